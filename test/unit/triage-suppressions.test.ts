// Suppressions as rules: which requests are refused and why, when one is in force, and what the detector
// is given (allowlist entries: revoked ones left out, a table for user_table, all tables otherwise).
import { allowlistFrom } from '../../src/detect/allowlist';
import { asAllowlistEntries, isActive, suppressionRefusal, type NewSuppression, type Suppression } from '../../src/triage';

const NOW = Date.parse('2026-10-01T12:00:00Z');
const DAY = 86_400_000;

const wanted = (s: Partial<NewSuppression> = {}): NewSuppression => ({ scope: 'user', user: 'ana@corp.example', until: NOW + 30 * DAY, reason: 'quarterly export', ...s });

function suppression(s: Partial<Suppression> = {}): Suppression {
  return {
    id: 'sup_000000000001',
    scope: 'user',
    user: 'ana@corp.example',
    table: '',
    from: 0,
    until: NOW + 30 * DAY,
    reason: 'quarterly export',
    alertId: '',
    createdBy: 'cli:ops',
    createdAt: NOW - DAY,
    revokedBy: null,
    revokedAt: null,
    ...s,
  };
}

describe('suppressionRefusal', () => {
  it('accepts each scope as it should be given', () => {
    expect(suppressionRefusal(wanted(), NOW)).toBeNull();
    expect(suppressionRefusal(wanted({ scope: 'user_table', table: 'crm.customers' }), NOW)).toBeNull();
    expect(suppressionRefusal(wanted({ scope: 'service_account', user: 'svc-etl-orders' }), NOW)).toBeNull();
    expect(suppressionRefusal(wanted({ table: '' }), NOW)).toBeNull();
    expect(suppressionRefusal(wanted({ from: NOW - DAY, alertId: 'al_20261001_0123456789' }), NOW)).toBeNull();
  });

  it('needs a user', () => {
    expect(suppressionRefusal(wanted({ user: '' }), NOW)).toBe('a user is required');
    expect(suppressionRefusal(wanted({ user: '   ' }), NOW)).toBe('a user is required');
  });

  it('needs a reason', () => {
    expect(suppressionRefusal(wanted({ reason: '' }), NOW)).toBe('a reason is required');
    expect(suppressionRefusal(wanted({ reason: ' \t' }), NOW)).toBe('a reason is required');
  });

  it('user_table needs a table written as database.table', () => {
    for (const table of [undefined, '', 'customers', 'crm.', '.customers', 'a.b.c', 'crm. customers', 'crm customers.x']) {
      expect(suppressionRefusal(wanted({ scope: 'user_table', table }), NOW)).toBe('scope user_table needs a table as database.table');
    }
  });

  it('the other scopes take no table', () => {
    expect(suppressionRefusal(wanted({ scope: 'user', table: 'crm.customers' }), NOW)).toBe('scope user takes no table');
    expect(suppressionRefusal(wanted({ scope: 'service_account', table: 'crm.customers' }), NOW)).toBe('scope service_account takes no table');
  });

  it('needs an expiry in the future', () => {
    expect(suppressionRefusal(wanted({ until: NOW - 1 }), NOW)).toBe('the expiry (until) must be in the future');
    expect(suppressionRefusal(wanted({ until: NOW }), NOW)).toBe('the expiry (until) must be in the future');
    expect(suppressionRefusal(wanted({ until: Number.NaN }), NOW)).toBe('the expiry (until) must be in the future');
  });

  it('needs until after from', () => {
    expect(suppressionRefusal(wanted({ from: NOW + 30 * DAY }), NOW)).toBe('until must be after from');
    expect(suppressionRefusal(wanted({ from: NOW + 31 * DAY }), NOW)).toBe('until must be after from');
  });
});

describe('isActive', () => {
  it('in force while neither revoked nor expired', () => {
    expect(isActive(suppression(), NOW)).toBe(true);
    expect(isActive(suppression({ revokedAt: NOW - 1, revokedBy: 'cli:ops' }), NOW)).toBe(false);
    expect(isActive(suppression({ until: NOW - 1 }), NOW)).toBe(false);
    expect(isActive(suppression({ until: NOW }), NOW)).toBe(false);
  });
});

describe('asAllowlistEntries', () => {
  it('leaves revoked suppressions out and keeps the others in order', () => {
    const list = [
      suppression({ id: 'sup_a' }),
      suppression({ id: 'sup_revoked', revokedAt: NOW - 1000, revokedBy: 'cli:ops' }),
      suppression({ id: 'sup_b', user: 'ben@corp.example' }),
    ];
    expect(asAllowlistEntries(list).map((e) => e.user)).toEqual(['ana@corp.example', 'ben@corp.example']);
    expect(asAllowlistEntries(list).map((e) => e.reason).join(' ')).not.toContain('sup_revoked');
  });

  it('user_table covers its table only; user and service_account cover every table', () => {
    const [table, user, service] = asAllowlistEntries([
      suppression({ id: 'sup_t', scope: 'user_table', table: 'crm.customers' }),
      suppression({ id: 'sup_u', scope: 'user' }),
      suppression({ id: 'sup_s', scope: 'service_account', user: 'svc-etl-orders' }),
    ]);
    expect(table.tables).toEqual(new Set(['crm.customers']));
    expect(user.tables).toBeNull();
    expect(service).toMatchObject({ user: 'svc-etl-orders', tables: null });
  });

  it('carries the validity in event time and a reason naming the suppression, its scope and who made it', () => {
    const [e] = asAllowlistEntries([suppression({ id: 'sup_x', scope: 'user_table', table: 'crm.customers', from: NOW - DAY, until: NOW + DAY, createdBy: 'jane.doe', reason: 'month-end' })]);
    expect(e).toEqual({ user: 'ana@corp.example', from: NOW - DAY, until: NOW + DAY, tables: new Set(['crm.customers']), reason: 'suppression sup_x (user_table) by jane.doe: month-end' });
  });

  it('keeps an expired suppression (judged on event time: a replay of its period honours it)', () => {
    expect(asAllowlistEntries([suppression({ until: NOW - DAY })])).toHaveLength(1);
  });

  it('as the detector applies them: the table, the user, the validity', () => {
    const allow = allowlistFrom(
      asAllowlistEntries([
        suppression({ id: 'sup_t', scope: 'user_table', table: 'crm.customers', from: NOW - DAY, until: NOW + DAY }),
        suppression({ id: 'sup_r', user: 'ben@corp.example', revokedAt: NOW - 1, revokedBy: 'cli:ops' }),
      ]),
    );
    expect(allow.covering('ana@corp.example', 'crm.customers', NOW)?.reason).toMatch(/^suppression sup_t /);
    expect(allow.covering('ana@corp.example', 'analytics.kpi_daily', NOW)).toBeUndefined();
    expect(allow.covering('ana@corp.example', 'crm.customers', NOW + DAY)).toBeUndefined();
    expect(allow.covering('ana@corp.example', 'crm.customers', NOW - DAY - 1)).toBeUndefined();
    expect(allow.covering('ben@corp.example', 'crm.customers', NOW)).toBeUndefined();
  });

  it('nothing in, nothing out', () => {
    expect(asAllowlistEntries([])).toEqual([]);
  });
});
