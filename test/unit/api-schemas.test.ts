// The API's pure parts: request schemas (ids, times, page sizes, pseudonym filters), bearer tokens,
// route access declarations and the presentation of records.
import { bearerToken, checkBootstrapToken, routeAccess } from '../../src/api/auth';
import { isoOrNull, nextOffset, presentSuppression } from '../../src/api/present';
import { alertId, alertQuery, auditQuery, isoTime, pseudonym, suppressionId, text, userName } from '../../src/api/schemas';

describe('request schemas', () => {
  it('accepts ids of the right shape only', () => {
    expect(alertId.safeParse('al_20260925_3fa9c2d1e0').success).toBe(true);
    for (const bad of ['al_20260925_3fa9c2d1e', 'al_20260925_3FA9C2D1E0', 'al_20260925_3fa9c2d1e0\n', "al_20260925_3fa9c2d1e0' --", ' al_20260925_3fa9c2d1e0', '']) {
      expect(alertId.safeParse(bad).success).toBe(false);
    }
    expect(suppressionId.safeParse('sup_0123456789ab').success).toBe(true);
    expect(suppressionId.safeParse('sup_0123456789ab0').success).toBe(false);
    expect(pseudonym.safeParse('emp-0123456789').success).toBe(true);
    expect(pseudonym.safeParse('emp-0123456789\u0000').success).toBe(false);
    expect(userName.safeParse('ana.lopez@corp.example').success).toBe(true);
    expect(userName.safeParse('ana lopez').success).toBe(false);
    expect(userName.safeParse('x'.repeat(129)).success).toBe(false);
  });

  it('reads times with a zone as epoch ms, and refuses the rest', () => {
    expect(isoTime.parse('2026-10-01T00:00:00Z')).toBe(Date.UTC(2026, 9, 1));
    expect(isoTime.parse('2026-10-01T02:00:00.500+02:00')).toBe(Date.UTC(2026, 9, 1, 0, 0, 0, 500));
    for (const bad of ['2026-10-01', '2026-10-01T00:00:00', '2026-02-30T00:00:00Z', '1969-12-31T23:59:59Z', '2200-01-01T00:00:00Z', '1759276800000', 'now']) {
      expect(isoTime.safeParse(bad).success).toBe(false);
    }
  });

  it('clamps page sizes to the maximum, refuses zero and non-numbers, and rejects unknown keys', () => {
    const q = alertQuery({ pseudonymize: true, pageMax: 500 });
    expect(q.parse({ limit: '100000', offset: '20' })).toEqual({ limit: 500, offset: 20 });
    expect(q.safeParse({ limit: '0' }).success).toBe(false);
    expect(q.safeParse({ limit: '-1' }).success).toBe(false);
    expect(q.safeParse({ limit: '1e3' }).success).toBe(false);
    expect(q.safeParse({ severty: 'high' }).success).toBe(false);
    expect(q.safeParse({ status: ['open', 'resolved'] }).success).toBe(false);
    expect(q.safeParse({ from: '2026-10-02T00:00:00Z', to: '2026-10-01T00:00:00Z' }).success).toBe(false);
    expect(auditQuery({ pageMax: 50 }).parse({ limit: '51' })).toEqual({ limit: 50 });
  });

  it('filters employees by pseudonym when pseudonymisation is on, by id when off', () => {
    expect(alertQuery({ pseudonymize: true, pageMax: 5 }).safeParse({ user: 'ana@corp.example' }).success).toBe(false);
    expect(alertQuery({ pseudonymize: true, pageMax: 5 }).safeParse({ user: 'emp-0123456789' }).success).toBe(true);
    expect(alertQuery({ pseudonymize: false, pageMax: 5 }).safeParse({ user: "ana@corp.example' OR 1=1 --" }).success).toBe(true);
  });

  it('refuses text that has no UTF-8 form, is empty or too long', () => {
    expect(text(10).safeParse('a\ud800b').success).toBe(false);
    expect(text(10).safeParse('').success).toBe(false);
    expect(text(10).safeParse('x'.repeat(11)).success).toBe(false);
    expect(text(10).safeParse("'; --\u0000").success).toBe(true);
  });
});

describe('auth helpers', () => {
  it('reads "Authorization: Bearer <token>" and nothing else', () => {
    expect(bearerToken('Bearer ins_abc')).toBe('ins_abc');
    expect(bearerToken('bearer  ins_abc ')).toBe('ins_abc');
    for (const bad of [undefined, '', 'Bearer', 'Bearer ', 'Basic YWRtaW46YWRtaW4=', 'Bearer a b', 'ins_abc', `Bearer ${'x'.repeat(1025)}`, 'Bearer tök']) {
      expect(bearerToken(bad)).toBeNull();
    }
  });

  it('requires every route to declare its access, exactly once', () => {
    expect(routeAccess({ method: 'GET', url: '/healthz', config: { public: true } })).toBe('public');
    expect(routeAccess({ method: 'POST', url: '/x', config: { minRole: 'analyst' } })).toBe('analyst');
    expect(() => routeAccess({ method: 'GET', url: '/x' })).toThrow(/route GET \/x: declare exactly one/);
    expect(() => routeAccess({ method: 'GET', url: '/x', config: { public: false } })).toThrow();
    expect(() => routeAccess({ method: 'GET', url: '/x', config: { minRole: 'superuser' } })).toThrow();
  });

  it('refuses a short bootstrap admin token', () => {
    expect(() => checkBootstrapToken('admin')).toThrow(/at least 16 characters/);
    expect(() => checkBootstrapToken(undefined)).not.toThrow();
    expect(() => checkBootstrapToken('x'.repeat(16))).not.toThrow();
  });
});

describe('presentation', () => {
  it('shows "no time" as null, including the zero DateTime ClickHouse 18.16 prints as 0000-00-00', () => {
    expect(isoOrNull(0)).toBeNull();
    expect(isoOrNull(NaN)).toBeNull();
    expect(isoOrNull(null)).toBeNull();
    expect(isoOrNull(Date.UTC(2026, 0, 1))).toBe('2026-01-01T00:00:00.000Z');
  });

  it('shows a suppression valid "always" with from: null', () => {
    const s = { id: 'sup_0123456789ab', scope: 'user' as const, user: 'emp-0123456789', table: '', from: 1000, until: Date.UTC(2027, 0, 1), reason: 'r', alertId: '', createdBy: 'ana', createdAt: Date.UTC(2026, 0, 1), revokedBy: null, revokedAt: null, active: true };
    expect(presentSuppression({ ...s, from: 0 })).toMatchObject({ from: null, until: '2027-01-01T00:00:00.000Z', revokedAt: null });
    expect(presentSuppression({ ...s, from: NaN }).from).toBeNull();
    expect(presentSuppression({ ...s, from: Date.UTC(2026, 5, 1) }).from).toBe('2026-06-01T00:00:00.000Z');
  });

  it('gives the offset of the next page, null on the last', () => {
    expect(nextOffset(0, 50, 120)).toBe(50);
    expect(nextOffset(100, 50, 120)).toBeNull();
    expect(nextOffset(0, 50, 50)).toBeNull();
  });
});
