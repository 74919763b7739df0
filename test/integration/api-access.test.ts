// Access control of the triage API, route by route: every route registered is enumerated (apiRoutes())
// and must answer 401 without a token, with a bad one, with a malformed header and with an expired one;
// 403 to a role too low; and let the role that is enough through. A route added without declaring its
// access fails at registration; one added with a declaration fails here until EXPECTED names it.
import Fastify from 'fastify';
import { buildApi, routeAccess, startApi, type Access, type ApiApp } from '../../src/api';
import type { Config } from '../../src/config';
import { createLogger } from '../../src/log';
import { createClickHouse, type ClickHouse } from '../../src/store';
import { createRegistry } from '../../src/telemetry';
import { createPseudonyms, createToken, createUser, hashToken, readAudit, type Actor, type Role } from '../../src/triage';
import { ADMIN_TOKEN, apiTestConfig } from '../helpers/api-fixture';
import { dropDatabase, freshDatabase as migratedDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';

const log = createLogger({ level: 'silent' });
const DAY = 86_400_000;

/** What each route is meant to need. A new route must be added here, after deciding who may call it. */
const EXPECTED: Record<string, Access> = {
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'GET /api/me': 'viewer',
  'GET /openapi.json': 'viewer',
  'GET /metrics': 'viewer',
  'GET /api/alerts': 'viewer',
  'GET /api/alerts/:id': 'viewer',
  'GET /api/alerts/:id/series': 'viewer',
  'POST /api/alerts/:id/acknowledge': 'analyst',
  'POST /api/alerts/:id/assign': 'analyst',
  'POST /api/alerts/:id/notes': 'analyst',
  'POST /api/alerts/:id/resolve': 'analyst',
  'POST /api/alerts/:id/snooze': 'analyst',
  'POST /api/alerts/:id/reopen': 'analyst',
  'GET /api/cases': 'viewer',
  'GET /api/cases/:id': 'viewer',
  'POST /api/cases/:id/acknowledge': 'analyst',
  'POST /api/cases/:id/assign': 'analyst',
  'POST /api/cases/:id/notes': 'analyst',
  'POST /api/cases/:id/resolve': 'analyst',
  'GET /api/suppressions': 'viewer',
  'POST /api/suppressions': 'analyst',
  'POST /api/suppressions/:id/revoke': 'analyst',
  'GET /api/adjustments': 'viewer',
  'POST /api/adjustments/:id/revoke': 'analyst',
  'POST /api/pseudonyms/:pseudonym/reveal': 'analyst',
  'POST /api/me/sign-out': 'viewer',
  'GET /api/users': 'admin',
  'POST /api/users': 'admin',
  'POST /api/users/:name/role': 'admin',
  'POST /api/users/:name/disable': 'admin',
  'POST /api/users/:name/enable': 'admin',
  'GET /api/users/:name/tokens': 'admin',
  'POST /api/users/:name/tokens': 'admin',
  'POST /api/users/:name/tokens/:tokenId/revoke': 'admin',
  'GET /api/audit': 'admin',
  'GET /api/tuning': 'admin',
  'GET /api/tuning/runs': 'admin',
  'GET /api/tuning/runs/:runId': 'admin',
  'POST /api/tuning/runs': 'admin',
  'POST /api/tuning/floor': 'admin',
  'GET /api/employees/:user': 'viewer',
  'GET /api/reports': 'viewer',
  'GET /api/reports/:schedule/:day/files/*': 'viewer',
  'POST /api/reports': 'analyst',
  // Live updates (Server-Sent Events): the summaries a list carries.
  'GET /api/stream': 'viewer',
  // The dashboard's shell and its hashed assets: no data in them, everything comes from /api.
  'GET /': 'public',
  'GET /assets/*': 'public',
  // Single sign-on: whether it is on, the redirect to the identity provider, and its redirect back.
  'GET /auth/sso': 'public',
  'GET /auth/login': 'public',
  'GET /auth/callback': 'public',
};

const ROLE_ORDER: Role[] = ['viewer', 'analyst', 'admin'];

/** A concrete URL for a route pattern: well-formed ids that exist or not (auth comes before lookup). */
function sampleUrl(pattern: string): string {
  return pattern
    .replace('/api/suppressions/:id', '/api/suppressions/sup_0123456789ab')
    .replace('/api/adjustments/:id', '/api/adjustments/adj_0123456789ab')
    .replace(':id', 'al_20260925_3fa9c2d1e0')
    .replace(':pseudonym', 'emp-0123456789')
    .replace(':runId', 'tr_20261001120000_1a2b3c4d')
    // A user of its own: the admin's calls change its role, disable and enable it.
    .replace(':name/tokens/:tokenId', 'sam.sample/tokens/tok_00000000')
    .replace(':name', 'sam.sample')
    .replace(':user', 'emp-0123456789')
    // A file viewers may read (report.pdf and the others holding the audit trail need admin: api-disclosure).
    .replace(':schedule/:day/files/*', 'weekly/2026-11-16/files/csv/alerts.csv');
}

interface Db {
  ch: ClickHouse;
  config: Readonly<Config>;
  dispose(): Promise<void>;
}

async function freshDatabase(overrides: Partial<Config['api']> = {}): Promise<Db> {
  const base = testConfig();
  const database = uniqueName('itapi_access');
  const { admin, ch } = await migratedDatabase(database, base.clickhouse);
  const config = apiTestConfig(database, overrides);
  return {
    ch,
    config,
    dispose: async () => {
      await dropDatabase(database, { admin, ch });
    },
  };
}

describe('API access control (real ClickHouse)', () => {
  let db: Db;
  let app: ApiApp;
  const tokens: Record<Role, string> = { viewer: '', analyst: '', admin: '' };
  const names: Record<Role, string> = { viewer: '', analyst: '', admin: '' };
  /** A new token of the role's user (sign-out ends the token it is called with). */
  let issue: (role: Role) => Promise<string>;

  beforeAll(async () => {
    db = await freshDatabase();
    app = await buildApi({ config: db.config, ch: db.ch, log, registry: createRegistry({ defaultMetrics: false }) });
    const deps = { ch: db.ch, pseudonyms: createPseudonyms({ enabled: false, key: undefined }) };
    const bootstrap: Actor = { name: 'admin', role: 'admin', sourceIp: '127.0.0.1', requestId: 'test-setup' };
    for (const [name, role] of [['vera.viewer', 'viewer'], ['ann.analyst', 'analyst'], ['adam.admin', 'admin']] as const) {
      await createUser(deps, bootstrap, name, role);
      tokens[role] = (await createToken(deps, bootstrap, name, 30)).token;
      names[role] = name;
    }
    await createUser(deps, bootstrap, 'sam.sample', 'viewer');
    issue = async (role: Role) => (await createToken(deps, bootstrap, names[role], 30)).token;
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  const call = (method: string, url: string, headers: Record<string, string> = {}, on: ApiApp = app) =>
    on.inject({ method: method as 'GET' | 'POST', url, headers, ...(method === 'POST' ? { payload: {} } : {}) });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('lists every route with the access it is meant to have', () => {
    const listed = Object.fromEntries(app.apiRoutes().map((r) => [`${r.method} ${r.url}`, r.access]));
    expect(listed).toEqual(EXPECTED);
    // No route changes or deletes the audit trail.
    expect(app.apiRoutes().filter((r) => r.url.startsWith('/api/audit') && r.method !== 'GET')).toEqual([]);
  });

  it('answers 401 on every route but health and readiness without a valid token', async () => {
    const expired = await buildApi({ config: db.config, ch: db.ch, log, registry: createRegistry({ defaultMetrics: false }), now: () => Date.now() + 31 * DAY });
    const failures: string[] = [];
    try {
      for (const route of app.apiRoutes()) {
        if (route.access === 'public') continue;
        const url = sampleUrl(route.url);
        const attempts: Array<[string, Record<string, string>, ApiApp]> = [
          ['no token', {}, app],
          ['an unknown token', bearer('ins_thisTokenWasNeverIssuedToAnybody0000'), app],
          ['a malformed header', { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` }, app],
          ['an empty bearer', { authorization: 'Bearer ' }, app],
          ['the hash instead of the token', bearer(hashToken(tokens.admin)), app],
          ['an expired token', bearer(tokens.admin), expired],
        ];
        for (const [what, headers, on] of attempts) {
          const res = await call(route.method, url, headers, on);
          const body = res.json() as { error?: { code?: string } };
          if (res.statusCode !== 401 || body.error?.code !== 'UNAUTHENTICATED' || res.headers['www-authenticate'] !== 'Bearer') {
            failures.push(`${route.method} ${route.url} with ${what}: ${res.statusCode} ${res.body.slice(0, 200)}`);
          }
        }
      }
    } finally {
      await expired.close();
    }
    expect(failures).toEqual([]);
  });

  it('answers 403 to a role too low and lets the role that is enough through, on every route', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const route of app.apiRoutes()) {
      if (route.access === 'public') continue;
      const need = ROLE_ORDER.indexOf(route.access);
      for (const [i, role] of ROLE_ORDER.entries()) {
        const token = route.url === '/api/me/sign-out' ? await issue(role) : tokens[role];
        // The event stream would stay open: a client that accepts only JSON is let in and told 406.
        const accept: Record<string, string> = route.url === '/api/stream' ? { accept: 'application/json' } : {};
        const res = await call(route.method, sampleUrl(route.url), { ...bearer(token), ...accept });
        checked++;
        if (i < need) {
          const body = res.json() as { error?: { code?: string; message?: string } };
          if (res.statusCode !== 403 || body.error?.code !== 'FORBIDDEN') failures.push(`${role} on ${route.method} ${route.url}: ${res.statusCode}, expected 403`);
        } else if (res.statusCode === 401 || res.statusCode === 403 || res.statusCode >= 500) {
          failures.push(`${role} on ${route.method} ${route.url}: ${res.statusCode} ${res.body.slice(0, 200)}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBe(3 * Object.values(EXPECTED).filter((a) => a !== 'public').length);
    // The bootstrap admin from the environment is an admin.
    const me = await call('GET', '/api/me', bearer(ADMIN_TOKEN));
    expect(me.json()).toEqual({ name: 'admin', role: 'admin', credential: 'bootstrap' });
    // A refused attempt is in the audit trail: who tried what, from where.
    const denied = await readAudit(db.ch, { actor: 'vera.viewer', action: 'access.denied' });
    expect(denied.map((e) => e.target)).toEqual(expect.arrayContaining(['POST /api/pseudonyms/:pseudonym/reveal', 'GET /api/audit']));
    expect(denied[0]).toMatchObject({ role: 'viewer', sourceIp: '127.0.0.1' });
  });

  it('serves health and readiness without a token', async () => {
    expect((await call('GET', '/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await call('GET', '/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { clickhouse: 'ok', migrations: 'ok' } });
  });

  it('says 503 on /readyz when the schema is not migrated', async () => {
    const base = testConfig();
    const ch = createClickHouse(base.clickhouse, { database: uniqueName('itapi_missing') });
    const bare = await buildApi({ config: { ...db.config, clickhouse: { ...base.clickhouse, database: ch.database } }, ch, log, registry: createRegistry({ defaultMetrics: false }) });
    try {
      const res = await call('GET', '/readyz', {}, bare);
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ status: 'not_ready', checks: { clickhouse: 'ok' } });
    } finally {
      await bare.close();
      await ch.close();
    }
  });

  it('answers unknown paths with 401 without a token and 404 with one', async () => {
    expect((await call('GET', '/api/nothing-here')).statusCode).toBe(401);
    expect((await call('DELETE', '/api/audit')).statusCode).toBe(401);
    const res = await call('DELETE', '/api/audit', bearer(tokens.admin));
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('refuses a route that declares no access when it is registered', () => {
    expect(() => routeAccess({ method: 'GET', url: '/api/new' })).toThrow(/declare exactly one of config.minRole/);
    expect(() => routeAccess({ method: 'GET', url: '/api/new', config: { minRole: 'root' } })).toThrow(/declare exactly one/);
    expect(() => routeAccess({ method: 'GET', url: '/api/new', config: { minRole: 'viewer', public: true } })).toThrow(/declare exactly one/);
    // The same check as buildApi's onRoute hook, on a fastify instance of its own.
    const bare = Fastify();
    bare.addHook('onRoute', (r) => void routeAccess(r));
    expect(() => bare.get('/api/new', async () => 'x')).toThrow(/route GET \/api\/new: declare exactly one/);
    void bare.close();
  });

  it('limits the rate per client address, unauthenticated attempts included, with a 429 in the same shape', async () => {
    const limited = await buildApi({ config: { ...db.config, api: { ...db.config.api, rateLimit: { max: 3, windowMs: 60_000 } } }, ch: db.ch, log, registry: createRegistry({ defaultMetrics: false }) });
    try {
      const from = (remoteAddress: string, headers: Record<string, string> = {}) => limited.inject({ method: 'GET', url: '/api/me', headers, remoteAddress });
      expect((await from('10.0.0.7')).statusCode).toBe(401);
      expect((await from('10.0.0.7', bearer('ins_guess1'))).statusCode).toBe(401);
      expect((await from('10.0.0.7', bearer(tokens.viewer))).statusCode).toBe(200);
      const res = await from('10.0.0.7', bearer(tokens.viewer));
      expect(res.statusCode).toBe(429);
      expect(res.json()).toMatchObject({ error: { code: 'RATE_LIMITED', message: expect.stringContaining('at most 3 per 60 s') } });
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      // Another address has its own allowance.
      expect((await from('10.0.0.8', bearer(tokens.viewer))).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('counts requests by route and status on /metrics', async () => {
    await call('GET', '/api/alerts', bearer(tokens.viewer));
    const res = await call('GET', '/metrics', bearer(tokens.viewer));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/insider_api_http_requests_total\{method="GET",route="\/api\/alerts",status="200"\} \d+/);
    expect(res.body).toMatch(/insider_api_http_requests_total\{method="POST",route="\/api\/alerts\/:id\/resolve",status="403"\} \d+/);
    expect(res.body).toContain('insider_api_http_request_duration_seconds_bucket');
  });

  it('serves an OpenAPI document of every authenticated route, generated from the schemas', async () => {
    const res = await call('GET', '/openapi.json', bearer(tokens.viewer));
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { openapi: string; paths: Record<string, Record<string, { security?: unknown[]; parameters?: Array<{ name: string; in: string; schema?: unknown }> }>> };
    expect(doc.openapi).toBe('3.1.0');
    // Every parameter is a named one with a schema object (a record-typed query string once came out as
    // parameters named "propertyNames" and "additionalProperties").
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        for (const p of op.parameters ?? []) {
          expect({ at: `${method} ${path}`, name: p.name, in: p.in, schema: typeof p.schema }).toEqual({ at: `${method} ${path}`, name: expect.stringMatching(/^([A-Za-z_][\w.-]*|\*)$/), in: expect.stringMatching(/^(query|path|header|cookie)$/), schema: 'object' });
          expect(['propertyNames', 'additionalProperties']).not.toContain(p.name);
        }
      }
    }
    expect(doc.paths['/auth/callback'].get.parameters?.map((p) => p.name)).toEqual(expect.arrayContaining(['code', 'state', 'error', 'error_description', 'iss']));
    // The dashboard's static files are not part of the API document.
    for (const key of Object.keys(EXPECTED).filter((k) => k !== 'GET /' && k !== 'GET /assets/*')) {
      const [method, url] = key.split(' ');
      const path = url.replace(/:(\w+)/g, '{$1}').replace(/\*$/, '{*}');
      expect(doc.paths[path]?.[method.toLowerCase()]).toBeDefined();
    }
    expect(doc.paths['/healthz'].get.security).toEqual([]);
    expect(doc.paths['/api/alerts'].get.parameters?.map((p) => p.name)).toEqual(
      expect.arrayContaining(['status', 'severity', 'user', 'department', 'detector', 'from', 'to', 'limit', 'offset']),
    );
  });

  it('listens on a real socket (startApi): health open, the rest behind the token', async () => {
    const api = await startApi({ config: { ...db.config, api: { ...db.config.api, host: '127.0.0.1', port: 21312 } }, ch: db.ch, log, registry: createRegistry({ defaultMetrics: false }) });
    try {
      expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
      const anonymous = await fetch(`${api.url}/api/alerts`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('cache-control')).toBe('no-store');
      const me = await fetch(`${api.url}/api/me`, { headers: { ...bearer(tokens.analyst), 'x-request-id': 'trace-42' } });
      expect(await me.json()).toEqual({ name: 'ann.analyst', role: 'analyst', credential: 'token' });
      // The request id is the server's (the caller's is kept apart: api-audit.test.ts).
      expect(me.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await api.close();
    }
  });
});
