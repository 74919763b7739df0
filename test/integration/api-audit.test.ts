// The audit trail of refused requests and the request ids it records, on the real ClickHouse, as an
// attacker would test them: 340 guessed tokens from one address are in the trail (a few one by one, the
// rest counted in a summary) without one presented token or its hash; a real token refused (revoked,
// expired, of a disabled user) names its owner; 429s are recorded too; and a caller cannot choose the
// request id an entry is filed under (its own X-Request-Id is kept apart).
import { buildApi, startApi, type ApiApp } from '../../src/api';
import type { Config } from '../../src/config';
import { createLogger } from '../../src/log';
import { sql, type ClickHouse } from '../../src/store';
import { createRegistry } from '../../src/telemetry';
import { hashToken, readAudit, type AuditEntry } from '../../src/triage';
import { ADMIN_TOKEN, apiTestConfig } from '../helpers/api-fixture';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';

const log = createLogger({ level: 'silent' });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Entries written one by one per address per window (the default of the API). */
const PER_ADDRESS = 10;

describe('the audit trail of refused requests, and request ids (real ClickHouse)', () => {
  const base = testConfig();
  const database = uniqueName('itapi_audit');
  let admin: ClickHouse;
  let ch: ClickHouse;
  let config: Config;
  let app: ApiApp;

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const root = (method: 'GET' | 'POST', url: string, payload?: object) =>
    app.inject({ method, url, headers: bearer(ADMIN_TOKEN), ...(payload ? { payload } : {}) });
  /** Entries are written after the answer: wait until `n` of them match. */
  const entries = async (filter: Parameters<typeof readAudit>[1], n: number): Promise<AuditEntry[]> => {
    for (let i = 0; i < 100; i++) {
      const found = await readAudit(ch, { ...filter, limit: 10_000 });
      if (found.length >= n) return found;
      await new Promise((r) => setTimeout(r, 100));
    }
    return readAudit(ch, { ...filter, limit: 10_000 });
  };

  beforeAll(async () => {
    ({ admin, ch } = await freshDatabase(database, base.clickhouse));
    config = apiTestConfig(database);
    app = await buildApi({ config, ch, log, registry: createRegistry({ defaultMetrics: false }) });
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await dropDatabase(database, { admin, ch });
  });

  it('records 340 guessed tokens from one address: a few one by one, the rest counted, never a token or its hash', async () => {
    // A clock that stands still: the 340 requests fall in one window of the trail's rate limit.
    const at = Date.now();
    const guessing = await buildApi({ config, ch, log, registry: createRegistry({ defaultMetrics: false }), now: () => at });
    const guesses = Array.from({ length: 340 }, (_, i) => `ins_guess${String(i).padStart(4, '0')}AAAAAAAAAAAAAAAAAAAAAAAA`);
    try {
      for (const g of guesses) {
        const res = await guessing.inject({ method: 'GET', url: '/api/alerts', headers: bearer(g), remoteAddress: '203.0.113.7' });
        expect(res.statusCode).toBe(401);
      }
      const one = await entries({ action: 'auth.failed' }, PER_ADDRESS);
      expect(one.filter((e) => e.sourceIp === '203.0.113.7' && e.target === 'GET /api/alerts')).toHaveLength(PER_ADDRESS);
      expect(one[0]).toMatchObject({ actor: '', action: 'auth.failed', details: { reason: 'unknown' } });
      expect(one[0].requestId).toMatch(UUID);
      // The window's summary: how many more, and why.
      await guessing.refusalAudit.flush();
    } finally {
      await guessing.close();
    }
    const all = await readAudit(ch, { action: 'auth.failed', limit: 10_000 });
    const summary = all.filter((e) => e.target === '*');
    expect(summary).toEqual([expect.objectContaining({ sourceIp: '203.0.113.7', details: expect.objectContaining({ summary: true, count: 340 - PER_ADDRESS, reasons: { unknown: 340 - PER_ADDRESS } }) })]);
    expect(all).toHaveLength(PER_ADDRESS + 1);

    const stored = JSON.stringify(await ch.query(sql`SELECT * FROM audit_log`));
    for (const g of guesses) {
      expect(stored).not.toContain(g);
      expect(stored).not.toContain(hashToken(g));
    }
  });

  it("records why a request was refused: no token, a malformed header, and a real token revoked, expired or of a disabled user, naming its owner", async () => {
    expect((await root('POST', '/api/users', { name: 'rita.r', role: 'analyst' })).statusCode).toBe(201);
    const issue = async () => (await root('POST', '/api/users/rita.r/tokens', { validDays: 1 })).json() as { token: string; tokenId: string };
    const revoked = await issue();
    const expiring = await issue();
    await root('POST', `/api/users/rita.r/tokens/${revoked.tokenId}/revoke`);
    const later = await buildApi({ config, ch, log, registry: createRegistry({ defaultMetrics: false }), now: () => Date.now() + 2 * 86_400_000 });
    try {
      const from = (remoteAddress: string, headers: Record<string, string>, on: ApiApp = app) => on.inject({ method: 'GET', url: '/api/suppressions', headers, remoteAddress });
      expect((await from('198.51.100.1', {})).statusCode).toBe(401);
      expect((await from('198.51.100.2', { authorization: 'Basic cml0YTpyaXRh' })).statusCode).toBe(401);
      const first = (await entries({ action: 'auth.failed', target: 'GET /api/suppressions' }, 2)).map((e) => [e.sourceIp, e.details.reason]);
      expect(first).toEqual(expect.arrayContaining([['198.51.100.1', 'missing'], ['198.51.100.2', 'malformed']]));
      expect((await from('198.51.100.3', bearer(revoked.token))).statusCode).toBe(401);
      expect((await from('198.51.100.4', bearer(expiring.token), later)).statusCode).toBe(401);
      await later.refusalAudit.flush();
    } finally {
      await later.close();
    }
    await root('POST', '/api/users/rita.r/disable');
    expect((await app.inject({ method: 'GET', url: '/api/suppressions', headers: bearer(expiring.token), remoteAddress: '198.51.100.5' })).statusCode).toBe(401);
    await app.refusalAudit.flush();

    const trail = (await readAudit(ch, { action: 'auth.failed', limit: 1000 })).filter((e) => e.sourceIp.startsWith('198.51.100.'));
    const byIp = Object.fromEntries(trail.map((e) => [e.sourceIp, [e.actor, e.details.reason, e.details.tokenId ?? null, e.target]]));
    expect(byIp).toEqual({
      '198.51.100.1': ['', 'missing', null, 'GET /api/suppressions'],
      '198.51.100.2': ['', 'malformed', null, 'GET /api/suppressions'],
      '198.51.100.3': ['rita.r', 'revoked', revoked.tokenId, 'GET /api/suppressions'],
      '198.51.100.4': ['rita.r', 'expired', expiring.tokenId, 'GET /api/suppressions'],
      '198.51.100.5': ['rita.r', 'disabled', expiring.tokenId, 'GET /api/suppressions'],
    });
    const stored = JSON.stringify(await ch.query(sql`SELECT * FROM audit_log`));
    for (const t of [revoked.token, expiring.token]) expect(stored).not.toContain(t);
  });

  it('records 429 answers, rate-limited like the 401s', async () => {
    const at = Date.now();
    const limited = await buildApi({ config: { ...config, api: { ...config.api, rateLimit: { max: 2, windowMs: 60_000 } } }, ch, log, registry: createRegistry({ defaultMetrics: false }), now: () => at });
    try {
      const codes = [];
      for (let i = 0; i < 30; i++) codes.push((await limited.inject({ method: 'GET', url: '/api/me', headers: bearer(ADMIN_TOKEN), remoteAddress: '192.0.2.9' })).statusCode);
      expect(codes.filter((c) => c === 429)).toHaveLength(28);
      const one = await entries({ action: 'rate.limited' }, PER_ADDRESS);
      expect(one.filter((e) => e.sourceIp === '192.0.2.9' && e.target === 'GET /api/me')).toHaveLength(PER_ADDRESS);
      await limited.refusalAudit.flush();
    } finally {
      await limited.close();
    }
    const trail = (await readAudit(ch, { action: 'rate.limited', limit: 1000 })).filter((e) => e.sourceIp === '192.0.2.9');
    expect(trail.filter((e) => e.target === 'GET /api/me')).toHaveLength(PER_ADDRESS);
    expect(trail.filter((e) => e.target === '*')).toEqual([expect.objectContaining({ details: expect.objectContaining({ count: 28 - PER_ADDRESS }) })]);
  });

  it("files entries under the server's request id, never the caller's, which is kept apart", async () => {
    expect((await root('POST', '/api/users', { name: 'vic.v', role: 'viewer' })).statusCode).toBe(201);
    const vic = ((await root('POST', '/api/users/vic.v/tokens', {})).json() as { token: string }).token;
    const api = await startApi({ config: { ...config, api: { ...config.api, host: '127.0.0.1', port: 21310 } }, ch, log, registry: createRegistry({ defaultMetrics: false }) });
    try {
      // The admin's request and, with the same X-Request-Id, the viewer's forbidden one.
      const a = await fetch(`${api.url}/api/users`, { headers: { ...bearer(ADMIN_TOKEN), 'x-request-id': 'trace-42' } });
      const v = await fetch(`${api.url}/api/audit`, { headers: { ...bearer(vic), 'x-request-id': 'trace-42' } });
      expect([a.status, v.status]).toEqual([200, 403]);
      const ids = [a.headers.get('x-request-id'), v.headers.get('x-request-id')];
      for (const id of ids) expect(id).toMatch(UUID);
      expect(ids[0]).not.toBe(ids[1]);
      const denied = await entries({ action: 'access.denied', actor: 'vic.v' }, 1);
      expect(denied[0]).toMatchObject({ requestId: ids[1], clientRequestId: 'trace-42' });
      const listed = (await (await fetch(`${api.url}/api/audit?action=access.denied`, { headers: bearer(ADMIN_TOKEN) })).json()) as { items: Array<{ requestId: string; clientRequestId: string | null }> };
      expect(listed.items[0]).toMatchObject({ requestId: ids[1], clientRequestId: 'trace-42' });
      // A malformed X-Request-Id is not kept at all.
      await fetch(`${api.url}/api/audit`, { headers: { ...bearer(vic), 'x-request-id': 'bad id!' } });
      const next = await entries({ action: 'access.denied', actor: 'vic.v' }, 2);
      expect(next[0].requestId).toMatch(UUID);
      expect(next[0]).not.toHaveProperty('clientRequestId');
    } finally {
      await api.close();
    }
  });
});
