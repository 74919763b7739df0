// Hostile input through every filter and path parameter of the API, against the real ClickHouse: each
// answer is a 400 (the value does not fit the field) or the correct result (empty: nothing matches),
// never a 500; afterwards a canary table and every stored row are as they were. Free-text filters
// (department, a user id with pseudonymisation off, the audit target) really reach SQL, through sql``.
import http from 'node:http';
import type { AlertRecord } from '../../src/alerts';
import { writeAlerts } from '../../src/alerts';
import { buildApi, type ApiApp } from '../../src/api';
import type { Config } from '../../src/config';
import { alertIdOf } from '../../src/alerts';
import { storeDirectory, type DirectoryEntry } from '../../src/directory';
import { createLogger } from '../../src/log';
import { ident, sql, type ClickHouse } from '../../src/store';
import { createRegistry } from '../../src/telemetry';
import { USER_NAME } from '../../src/triage';
import { INJECTION_CORPUS } from '../fixtures/sql-injection-corpus';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';

const log = createLogger({ level: process.env.API_TEST_LOG ?? 'silent' });
const ADMIN_TOKEN = 'bootstrap-admin-token-for-tests-0123456789';
const AUTH = { authorization: `Bearer ${ADMIN_TOKEN}` };
const DAY = 86_400_000;
const HOUR = 3_600_000;
const PEOPLE = ['ana@corp.example', 'ben@corp.example', 'cleo@corp.example'];
const DAY_1 = Math.floor(Date.now() / DAY) - 3;

function directory(): DirectoryEntry[] {
  return PEOPLE.map((id) => ({ id, name: id, department: 'Analytics', role: 'data_analyst', manager: '', location: 'London', timezone: 'UTC', hire_date: '2020-01-06', notice_date: null, end_date: null, account_type: 'human' as const }));
}

function alert(user: string, day: number, bytes: number): AlertRecord {
  const start = day * DAY;
  return {
    alertId: alertIdOf(user, day),
    revision: 1,
    user,
    windowStart: start,
    windowEnd: start + DAY,
    detectors: ['volumeSelf'],
    severity: 'high',
    score: 70,
    firedAt: start + 12 * HOUR,
    triggerEventId: 'ev-1',
    lastEventAt: start + 13 * HOUR,
    observedBytes: bytes,
    observedRows: 1000,
    eventCount: 12,
    baselineBytes: 100_000_000,
    peerBytes: 0,
    peerGroup: 'Analytics/data_analyst',
    ratio: bytes / 100_000_000,
    explanation: `${user}: ${bytes / 1e9} GB in 1 h; own weekday median 100 MB`,
    findings: [{ detector: 'volumeSelf', observed: bytes, threshold: 800_000_000, reference: 100_000_000, multiple: bytes / 100_000_000, clause: 'own weekday median 100 MB' }],
    evidence: {
      events: 12,
      failedEvents: 0,
      firstEventAt: new Date(start + 11 * HOUR).toISOString(),
      lastEventAt: new Date(start + 13 * HOUR).toISOString(),
      sensitiveBytes: bytes,
      topTables: [{ table: 'crm.customers', sensitivity: 'pii', bytes, rows: 1000, events: 12, share: 1 }],
      sessions: { count: 1, top: [{ id: 's1', bytes }] },
      clientIps: [{ ip: '10.0.0.1', bytes }],
      apps: [{ app: 'DBeaver', bytes }],
      allowlisted: { bytes: 0, events: 0, reasons: [] },
    },
    createdAtWall: Date.now(),
    updatedAtWall: Date.now(),
  };
}

const ALERTS = [alert(PEOPLE[0], DAY_1, 5e9), alert(PEOPLE[1], DAY_1 + 1, 3e9)];
const REAL_ID = ALERTS[0].alertId;

/** The project's escaping corpus, plus what URLs and ids add: encoded NUL, traversal, near-valid ids. */
const CORPUS: string[] = [
  ...INJECTION_CORPUS,
  '%00',
  '%2500',
  '../',
  '../../etc/passwd',
  '..\\..\\windows',
  '.',
  '..',
  "' OR '1'='1",
  `${REAL_ID}' OR 1=1 --`,
  `${REAL_ID}\n`,
  `${REAL_ID}\0`,
  ` ${REAL_ID}`,
  'emp-0123456789\' --',
  'sup_0123456789ab; DROP TABLE canary',
  `${PEOPLE[0]}' OR user != '`,
  `${PEOPLE[0]}\\`,
];

type Query = Record<string, string>;
const qs = (q: Query) => Object.entries(q).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');

describe('API input hardening (real ClickHouse)', () => {
  let ch: ClickHouse;
  let admin: ClickHouse;
  let database: string;
  let plain: ApiApp;
  let pseudo: ApiApp;

  const counts = async () => {
    const [row] = await ch.query<{ alerts: string; revisions: string; users: string; tokens: string; suppressions: string; canary: string; canarySum: string }>(sql`
      SELECT (SELECT uniqExact(alert_id) FROM alerts) AS alerts, (SELECT count() FROM alerts) AS revisions,
             (SELECT count() FROM api_user_changes) AS users, (SELECT count() FROM api_tokens) AS tokens,
             (SELECT count() FROM suppressions) AS suppressions,
             (SELECT count() FROM ${ident('canary')}) AS canary, (SELECT sum(id) FROM ${ident('canary')}) AS canarySum`);
    return row;
  };
  let before: Awaited<ReturnType<typeof counts>>;

  beforeAll(async () => {
    const base = testConfig();
    database = uniqueName('itapi_inject');
    ({ admin, ch } = await freshDatabase(database, base.clickhouse));
    await storeDirectory(ch, directory(), { source: 'test', checksum: 'test' });
    await writeAlerts(ch, ALERTS);
    await ch.exec(sql`CREATE TABLE ${ident('canary')} (id UInt32, v String) ENGINE = MergeTree ORDER BY id`);
    await ch.insert('canary', [{ id: 1, v: 'one' }, { id: 2, v: 'two' }, { id: 3, v: 'three' }]);
    const config = (pseudonymize: boolean): Config => ({
      ...base,
      clickhouse: { ...base.clickhouse, database },
      api: { ...base.api, pseudonymize, pseudonymKey: 'pseudonym-key-for-tests-0123456789', adminToken: ADMIN_TOKEN, rateLimit: { max: 1_000_000, windowMs: 60_000 } },
    });
    plain = await buildApi({ config: config(false), ch, log, registry: createRegistry({ defaultMetrics: false }) });
    pseudo = await buildApi({ config: config(true), ch, log, registry: createRegistry({ defaultMetrics: false }) });
    // Something in the audit trail, so that an empty answer means "filtered out", not "nothing there".
    expect((await plain.inject({ method: 'GET', url: `/api/alerts/${REAL_ID}`, headers: AUTH })).statusCode).toBe(200);
    before = await counts();
  }, 60_000);

  afterAll(async () => {
    await plain?.close();
    await pseudo?.close();
    await dropDatabase(database, { admin, ch });
  });

  /** Runs every corpus value through `param` of `path`; returns the problems and how many reached a 200. */
  async function sweep(app: ApiApp, path: string, param: string, extra: Query = {}): Promise<{ problems: string[]; ok: number }> {
    const problems: string[] = [];
    let ok = 0;
    for (const value of CORPUS) {
      const res = await app.inject({ method: 'GET', url: `${path}?${qs({ ...extra, [param]: value })}`, headers: AUTH });
      const body = res.json() as { items?: unknown[]; error?: { code: string } };
      const shown = JSON.stringify(value.slice(0, 40));
      if (res.statusCode === 200) {
        ok++;
        if (body.items?.length !== 0) problems.push(`${path} ${param}=${shown}: 200 with ${body.items?.length} items`);
      } else if (res.statusCode !== 400 || body.error?.code !== 'INVALID_REQUEST') {
        problems.push(`${path} ${param}=${shown}: ${res.statusCode} ${res.body.slice(0, 160)}`);
      }
    }
    return { problems, ok };
  }

  it('answers every filter of /api/alerts with a 400 or the correct (empty) page', async () => {
    const problems: string[] = [];
    const reached: Record<string, number> = {};
    for (const [name, app] of [['plain', plain], ['pseudonymised', pseudo]] as const) {
      for (const param of ['status', 'severity', 'user', 'department', 'detector', 'from', 'to', 'limit', 'offset']) {
        const r = await sweep(app, '/api/alerts', param);
        problems.push(...r.problems.map((p) => `${name}: ${p}`));
        reached[`${name}.${param}`] = r.ok;
      }
    }
    expect(problems).toEqual([]);
    // The free-text filters did reach SQL (most values are fine there), the patterned ones did not.
    expect(reached['plain.department']).toBeGreaterThan(CORPUS.length - 8);
    expect(reached['plain.user']).toBeGreaterThan(CORPUS.length - 8);
    expect(reached['pseudonymised.user']).toBe(0);
    for (const p of ['status', 'severity', 'from', 'to', 'limit', 'offset']) expect(reached[`plain.${p}`]).toBe(0);

    // The same filters with ordinary values find what is there.
    const found = async (q: Query, app = plain) => ((await app.inject({ method: 'GET', url: `/api/alerts?${qs(q)}`, headers: AUTH })).json() as { items: Array<{ alertId: string }> }).items.map((a) => a.alertId);
    expect(await found({ department: 'Analytics' })).toHaveLength(2);
    expect(await found({ user: PEOPLE[0] })).toEqual([REAL_ID]);
    expect(await found({ detector: 'volumeSelf', severity: 'high', status: 'open' })).toHaveLength(2);
    expect(await found({ from: new Date(DAY_1 * DAY + DAY / 2).toISOString(), to: new Date((DAY_1 + 1) * DAY).toISOString() })).toEqual([REAL_ID]);
    expect(await found({ limit: '1', offset: '1' })).toHaveLength(1);
  });

  it('answers every filter of /api/audit with a 400 or the correct (empty) list', async () => {
    const problems: string[] = [];
    let reached = 0;
    for (const param of ['actor', 'action', 'target', 'from', 'to', 'limit']) {
      const r = await sweep(plain, '/api/audit', param);
      problems.push(...r.problems);
      if (param === 'target') reached = r.ok;
    }
    expect(problems).toEqual([]);
    expect(reached).toBeGreaterThan(CORPUS.length - 8);
    const audited = async (q: Query) => ((await plain.inject({ method: 'GET', url: `/api/audit?${qs(q)}`, headers: AUTH })).json() as { items: unknown[] }).items;
    expect(await audited({ target: REAL_ID, action: 'alert.view', actor: 'admin' })).toHaveLength(1);
    const hourAgo = new Date(Date.now() - HOUR).toISOString();
    expect(await audited({ target: REAL_ID, from: hourAgo, to: new Date(Date.now() + HOUR).toISOString(), limit: '5' })).toHaveLength(1);
    expect(await audited({ target: REAL_ID, to: hourAgo })).toHaveLength(0);
  });

  it('answers every path parameter with a 400 (or a 404 for an empty segment), never reaching a lookup', async () => {
    const routes: Array<[string, (v: string) => string]> = [
      ['GET', (v) => `/api/alerts/${v}`],
      ['GET', (v) => `/api/alerts/${v}/series`],
      ['POST', (v) => `/api/alerts/${v}/acknowledge`],
      ['POST', (v) => `/api/alerts/${v}/notes`],
      ['POST', (v) => `/api/suppressions/${v}/revoke`],
      ['POST', (v) => `/api/pseudonyms/${v}/reveal`],
      ['POST', (v) => `/api/users/${v}/tokens`],
      ['GET', (v) => `/api/users/${v}/tokens`],
      ['POST', (v) => `/api/users/${v}/role`],
      ['POST', (v) => `/api/users/${v}/disable`],
      ['POST', (v) => `/api/users/${v}/enable`],
      ['POST', (v) => `/api/users/${v}/tokens/tok_00000000/revoke`],
      ['POST', (v) => `/api/users/vera.viewer/tokens/${v}/revoke`],
    ];
    const problems: string[] = [];
    for (const app of [plain, pseudo]) {
      for (const [method, url] of routes) {
        for (const value of CORPUS) {
          const res = await app.inject({ method: method as 'GET' | 'POST', url: url(encodeURIComponent(value)), headers: AUTH, ...(method === 'POST' ? { payload: { note: 'x' } } : {}) });
          // "", "." and ".." change the path itself (an empty or a dot segment): no route, or a 400. A
          // well-formed user name ("NULL") is looked up like any name: no such user, a 404.
          const userName = url('x').includes('/api/users/x') && USER_NAME.test(value);
          const allowed = ['', '.', '..'].includes(value) || userName ? [400, 404] : [400];
          if (!allowed.includes(res.statusCode)) problems.push(`${method} ${url(JSON.stringify(value.slice(0, 40)))}: ${res.statusCode} ${res.body.slice(0, 160)}`);
        }
      }
    }
    expect(problems).toEqual([]);
    // Nothing was looked up: a refused reveal of a real-looking pseudonym would be audited, these were not.
    const reveals = (await plain.inject({ method: 'GET', url: '/api/audit?action=pseudonym.reveal', headers: AUTH })).json() as { items: unknown[] };
    expect(reveals.items).toEqual([]);
  });

  it('does not resolve dot segments sent as they are on a real socket (no route to escape to)', async () => {
    // inject() and fetch() normalise "/a/../b" before sending; a raw HTTP client does not.
    await plain.listen({ host: '127.0.0.1', port: 21313 });
    const { port } = plain.server.address() as { port: number };
    const raw = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path, method: 'GET', headers: AUTH }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    for (const path of ['/api/alerts/../users', '/api/alerts/..%2Fusers', '/api/alerts/%2e%2e/series', '/api/users/../../audit', '/api/alerts/./series', `/api/alerts/${REAL_ID}/../../users`]) {
      const status = await raw(path);
      expect({ path, refused: status === 400 || status === 404 }).toEqual({ path, refused: true });
    }
    expect(await raw('/api/users')).toBe(200);
  });

  it('refuses text that cannot be stored as sent, and stores the rest exactly (notes)', async () => {
    const problems: string[] = [];
    const stored: string[] = [];
    for (const value of CORPUS) {
      const res = await plain.inject({ method: 'POST', url: `/api/alerts/${REAL_ID}/notes`, headers: AUTH, payload: { note: value } });
      if (res.statusCode === 200) stored.push(value.trim());
      else if (!(res.statusCode === 400 && (value.trim() === '' || value.length > 4000)) && !(res.statusCode === 413 && value.length > 60_000)) {
        problems.push(`note ${JSON.stringify(value.slice(0, 40))}: ${res.statusCode} ${res.body.slice(0, 160)}`);
      }
    }
    // A lone surrogate has no UTF-8 form: refused as a 400, not a 500 from the escaping helper.
    const lone = await plain.inject({ method: 'POST', url: `/api/alerts/${REAL_ID}/notes`, headers: { ...AUTH, 'content-type': 'application/json' }, payload: '{"note":"a\\ud800b"}' });
    expect(lone.statusCode).toBe(400);
    expect(lone.json()).toMatchObject({ error: { code: 'INVALID_REQUEST', message: expect.stringContaining('unpaired') } });
    const filter = await plain.inject({ method: 'GET', url: '/api/alerts?department=%ED%A0%80', headers: AUTH });
    expect([200, 400]).toContain(filter.statusCode);
    const badJson = await plain.inject({ method: 'POST', url: `/api/alerts/${REAL_ID}/notes`, headers: { ...AUTH, 'content-type': 'application/json' }, payload: '{"note": ' });
    expect(badJson.statusCode).toBe(400);
    expect(problems).toEqual([]);

    const res = await plain.inject({ method: 'GET', url: `/api/alerts/${REAL_ID}`, headers: AUTH });
    expect(res.statusCode).toBe(200);
    const detail = res.json() as { triage: { notes: Array<{ note: string }> } };
    expect(detail.triage.notes.map((n) => n.note)).toEqual(stored);
    expect(stored.length).toBeGreaterThan(CORPUS.length - 10);
  });

  it('leaves the canary and every stored row as they were', async () => {
    const after = await counts();
    expect(after).toEqual(before);
    expect(after.canary).toBe('3');
    expect(after.alerts).toBe('2');
    const rows = await ch.query<{ id: number; v: string }>(sql`SELECT id, v FROM ${ident('canary')} ORDER BY id`);
    expect(rows).toEqual([{ id: 1, v: 'one' }, { id: 2, v: 'two' }, { id: 3, v: 'three' }]);
  });
});
