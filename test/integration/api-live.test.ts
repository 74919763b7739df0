// Live updates and the caches, as a dashboard and an attacker meet them, on real sockets and the real
// ClickHouse, with two API processes' worth of state (two servers sharing one database) and the CLI as a
// third process: the event stream is behind the token like every route; a new alert and a triage action
// reach the queue's stream and the alert's stream as summaries (no evidence); a revoked token, a disabled
// user and an expired token end the open streams (in the process that made the change at once, in the
// other within one poll of its change feed) and are refused when the client reconnects; the token cache
// answers without ClickHouse while nothing changed, and is not trusted while its feed is stale; the alert
// page and its chart are held the same way, dropped when the feed sees the alert change, every view audited.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { refreshListing, writeAlerts } from '../../src/alerts';
import { startApi, type RunningApi } from '../../src/api';
import { dateString, MS_PER_DAY } from '../../src/calendar';
import type { Config } from '../../src/config';
import { storeDirectory } from '../../src/directory';
import { createLogger } from '../../src/log';
import { createClickHouse, sql, toDateTime, type ClickHouse } from '../../src/store';
import { createRegistry } from '../../src/telemetry';
import { createPseudonyms, createToken, createUser, readAudit, type Actor } from '../../src/triage';
import { ADMIN_TOKEN, apiTestConfig, directory, PEOPLE, syntheticAlert } from '../helpers/api-fixture';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';
import { waitUntil } from '../helpers/wait';
import { openStream, type TestStream } from '../helpers/event-stream';

const log = createLogger({ level: 'silent' });
const bin = path.join(__dirname, '..', '..', 'bin', 'insider.js');
const POLL_MS = 300;

describe('live updates and caches: event streams, revocation across processes (real ClickHouse)', () => {
  const base = testConfig();
  const database = uniqueName('itapi_live');
  let admin: ClickHouse;
  let ch: ClickHouse;
  let config: Config;
  let a: RunningApi;
  let b: RunningApi;
  let offset = 0;
  const streams: TestStream[] = [];
  const day = Math.floor(Date.now() / MS_PER_DAY) - 1;
  const ALERT = 'al_20260101_00000000b1';
  const root: Actor = { name: 'admin', role: 'admin', sourceIp: '127.0.0.1', requestId: 'test-setup' };
  const deps = () => ({ ch, pseudonyms: createPseudonyms({ enabled: false, key: undefined }) });

  const tokenOf = async (name: string, role: 'viewer' | 'analyst' | 'admin', validDays = 30) => {
    await createUser(deps(), root, name, role).catch(() => undefined);
    return (await createToken(deps(), root, name, validDays)).token;
  };
  const request = async (api: RunningApi, token: string, method: 'GET' | 'POST', url: string, body?: object) => {
    const res = await fetch(`${api.url}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
      body: method === 'POST' ? JSON.stringify(body ?? {}) : undefined,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { details?: { reason?: string } } } };
  };
  const stream = (api: RunningApi, token: string, query = '') => {
    const s = openStream(`${api.url}/api/stream${query}`, token);
    streams.push(s);
    return s;
  };

  beforeAll(async () => {
    ({ admin, ch } = await freshDatabase(database, base.clickhouse));
    config = apiTestConfig(database, { host: '127.0.0.1', live: { ...base.api.live, pollMs: POLL_MS, heartbeatMs: 1000 } });
    await storeDirectory(ch, directory(), { source: 'test', checksum: 'test' });
    await writeAlerts(ch, [syntheticAlert(PEOPLE[0], day, { id: ALERT })]);
    // Two servers on one database: what two API processes behind a load balancer share is ClickHouse.
    a = await startApi({ config: { ...config, api: { ...config.api, port: 26101 } }, ch, log, registry: createRegistry({ defaultMetrics: false }) });
    b = await startApi({ config: { ...config, api: { ...config.api, port: 26102 } }, ch, log, registry: createRegistry({ defaultMetrics: false }), now: () => Date.now() + offset });
  }, 60_000);

  afterAll(async () => {
    streams.forEach((s) => s.close());
    await a?.close();
    await b?.close();
    await dropDatabase(database, { admin, ch });
  });

  it('is behind the token like every route, and says 406 to a client that does not take a stream', async () => {
    const none = await fetch(`${a.url}/api/stream`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
    const viewer = await tokenOf('vic.viewer', 'viewer');
    const json = await fetch(`${a.url}/api/stream`, { headers: { authorization: `Bearer ${viewer}`, accept: 'application/json' } });
    expect(json.status).toBe(406);
    const bad = await fetch(`${a.url}/api/stream?alert=not-an-id`, { headers: { authorization: `Bearer ${viewer}` } });
    expect(bad.status).toBe(400);

    const ctl = new AbortController();
    const open = await fetch(`${a.url}/api/stream`, { headers: { authorization: `Bearer ${viewer}` }, signal: ctl.signal });
    expect(open.status).toBe(200);
    expect(open.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(open.headers.get('cache-control')).toBe('no-store');
    expect(open.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    ctl.abort();
  });

  it('pushes a new alert and a triage action, as summaries, to the queue stream and to the alert stream', async () => {
    const viewer = await tokenOf('vic.viewer', 'viewer');
    const analyst = await tokenOf('ana.analyst', 'analyst');
    const queue = stream(a, viewer);
    const page = stream(b, viewer, `?alert=${ALERT}`);
    await queue.waitFor((e) => e.type === 'ready');
    await page.waitFor((e) => e.type === 'ready');

    const NEW = 'al_20260101_00000000b2';
    await writeAlerts(ch, [syntheticAlert(PEOPLE[1], day, { id: NEW })]);
    const pushed = await queue.waitFor((e) => e.type === 'alerts' && JSON.stringify(e.data).includes(NEW), 15_000, `the new alert ${NEW}`);
    const item = (pushed.data as { items: Array<Record<string, unknown>> }).items.find((i) => i.alertId === NEW)!;
    // As a list shows it: a pseudonym, the numbers, the triage state; never the evidence.
    expect(item).toMatchObject({ alertId: NEW, severity: 'high', triage: { status: 'open' } });
    expect(item.user).toMatch(/^emp-[0-9a-f]{10}$/);
    for (const field of ['explanation', 'findings', 'evidence', 'triggerEventId']) expect(item).not.toHaveProperty(field);
    expect(JSON.stringify(pushed.data)).not.toContain(PEOPLE[1]);

    // Acknowledged through one server: both streams (one on each server) hear of it.
    expect((await request(a, analyst, 'POST', `/api/alerts/${ALERT}/acknowledge`, { note: 'on it' })).status).toBe(200);
    const acked = (e: { type: string; data: unknown }) =>
      e.type === 'alerts' && (e.data as { items: Array<{ alertId: string; triage: { status: string } }> }).items.some((i) => i.alertId === ALERT && i.triage.status === 'acknowledged');
    await queue.waitFor(acked, 15_000, 'the acknowledgement on the queue stream');
    await page.waitFor(acked, 15_000, 'the acknowledgement on the alert stream');
    // The alert's stream carries that alert only.
    expect(page.events.filter((e) => e.type === 'alerts').flatMap((e) => (e.data as { items: Array<{ alertId: string }> }).items.map((i) => i.alertId))).toEqual(
      expect.arrayContaining([ALERT]),
    );
    expect(JSON.stringify(page.events)).not.toContain(NEW);
  });

  it('holds an alert page and its chart between changes, reads them again once its feed saw the alert change, and audits every view', async () => {
    const viewer = await tokenOf('vic.viewer', 'viewer');
    const SETTLED = 'al_20260101_00000000b3';
    // Three days ago: the chart's days are over, so it is held too.
    const old = Math.floor(Date.now() / MS_PER_DAY) - 3;
    await writeAlerts(ch, [syntheticAlert(PEOPLE[2], old, { id: SETTLED })]);
    // Two polls: the second began after the alert was written, so A has seen it before the first view.
    await a.app.live.feed.poll();
    await a.app.live.feed.poll();
    type Page = { triage: { status: string } };
    type Chart = { days: Array<{ day: string; bytes: number }> };
    const page = async (api: RunningApi) => (await request(api, viewer, 'GET', `/api/alerts/${SETTLED}`)).body as unknown as Page;
    const chart = async (api: RunningApi) => (await request(api, viewer, 'GET', `/api/alerts/${SETTLED}/series?days=14`)).body as unknown as Chart;
    const alertDay = (c: Chart) => c.days.find((d) => d.day === dateString(old))!.bytes;
    expect((await page(a)).triage.status).toBe('open');
    const before = await chart(a);

    // Written behind the listing (no row the feed can see): what A holds is answered.
    await ch.insert('alert_actions', [
      { action_id: 'behind-1', alert_id: SETTLED, at: toDateTime(Date.now()), at_ms: 0, actor: 'elsewhere', action: 'acknowledge', assignee: '', disposition: '', note: '', snooze_until: toDateTime(0), suppression_id: '' },
    ]);
    await ch.exec(sql`INSERT INTO user_daily (user, day, sum_bytes) SELECT ${PEOPLE[2]}, toDate(${dateString(old)}), sumState(toUInt64(123456789))`);
    await a.app.live.feed.poll();
    expect((await page(a)).triage.status).toBe('open');
    expect(await chart(a)).toEqual(before);

    // A server whose feed never polls holds nothing: it reads ClickHouse on every request.
    const stale = await startApi({ config: { ...config, api: { ...config.api, port: 26104 } }, ch, log, registry: createRegistry({ defaultMetrics: false }), live: false });
    try {
      expect((await page(stale)).triage.status).toBe('acknowledged');
      expect(alertDay(await chart(stale))).toBe(alertDay(before) + 123456789);
    } finally {
      await stale.close();
    }

    // The writer's listing row (every writer refreshes it after its insert): once A's feed has looked, A reads again.
    // (through a connection of its own, as another process writes: this process's own writes are seen without the feed).
    const elsewhere = createClickHouse(base.clickhouse, { database });
    try {
      await refreshListing(elsewhere, [SETTLED]);
    } finally {
      await elsewhere.close();
    }
    await a.app.live.feed.poll();
    expect((await page(a)).triage.status).toBe('acknowledged');
    expect(alertDay(await chart(a))).toBe(alertDay(before) + 123456789);

    // Every view is in the audit trail, answered from what was held or not: A's three and the other server's one.
    expect(await readAudit(ch, { target: SETTLED, action: 'alert.view' })).toHaveLength(4);
    expect(await readAudit(ch, { target: SETTLED, action: 'alert.series' })).toHaveLength(4);
  });

  it('ends a stream when its token is revoked, at once in the process that revoked it; the reconnection is refused', async () => {
    const victim = await createToken(deps(), root, 'vic.viewer', 30);
    const s = stream(a, victim.token);
    await s.waitFor((e) => e.type === 'ready');
    const revoked = await request(a, ADMIN_TOKEN, 'POST', `/api/users/vic.viewer/tokens/${victim.tokenId}/revoke`);
    expect(revoked.status).toBe(200);
    // The route acts on its own process before answering: the end is there (or on its way) now.
    const end = await s.waitFor((e) => e.type === 'end', 2_000, 'the end event');
    expect(end.data).toMatchObject({ reason: 'revoked' });
    await s.closed();
    expect(s.errors.some((e) => e.code === 401)).toBe(true);
    expect((await request(a, victim.token, 'GET', '/api/me')).body.error?.details?.reason).toBe('revoked');
  });

  it("ends a disabled user's streams in another process within one poll, and that process refuses their tokens", async () => {
    const t1 = await tokenOf('dora.viewer', 'viewer');
    const onB = stream(b, t1);
    await onB.waitFor((e) => e.type === 'ready');
    expect((await request(b, t1, 'GET', '/api/me')).status).toBe(200);
    expect((await request(a, ADMIN_TOKEN, 'POST', '/api/users/dora.viewer/disable', { reason: 'left' })).status).toBe(200);
    const end = await onB.waitFor((e) => e.type === 'end', 5 * POLL_MS + 5_000, 'the end event on the other server');
    expect(end.data).toMatchObject({ reason: 'disabled' });
    expect((await request(b, t1, 'GET', '/api/me')).body.error?.details?.reason).toBe('disabled');
  });

  it('answers from the token cache while nothing changed, and refuses a token the CLI revoked once its feed has looked', async () => {
    const held = await createToken(deps(), root, 'ana.analyst', 30);
    const hits = async () => {
      const text = await (await fetch(`${b.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
      return Number(/insider_api_token_cache_total\{result="hit"\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    expect((await request(b, held.token, 'GET', '/api/me')).status).toBe(200);
    const before = await hits();
    expect((await request(b, held.token, 'GET', '/api/me')).status).toBe(200);
    expect(await hits()).toBeGreaterThan(before);

    const s = stream(b, held.token);
    await s.waitFor((e) => e.type === 'ready');
    // Another process (the CLI) revokes it: B learns it from its change feed.
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [bin, 'users', 'revoke', 'ana.analyst', held.tokenId], {
        env: { ...process.env, INSIDER_CLICKHOUSE_DATABASE: database, INSIDER_LOG_LEVEL: 'silent' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (d) => (err += String(d)));
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`insider users revoke exited ${code}: ${err}`))));
    });
    await b.app.live.feed.poll();
    expect((await request(b, held.token, 'GET', '/api/me')).body.error?.details?.reason).toBe('revoked');
    expect((await s.waitFor((e) => e.type === 'end', 5_000, 'the end event')).data).toMatchObject({ reason: 'revoked' });
  });

  it('trusts no cached token while its change feed is stale', async () => {
    const token = await tokenOf('sam.viewer', 'viewer');
    // A server whose feed never polls (no timer): every request asks ClickHouse, so a revocation made
    // elsewhere holds at once.
    const stale = await startApi({ config: { ...config, api: { ...config.api, port: 26103 } }, ch, log, registry: createRegistry({ defaultMetrics: false }), live: false });
    try {
      expect((await request(stale, token, 'GET', '/api/me')).status).toBe(200);
      expect(stale.app.live.principals.size()).toBe(0);
      expect((await request(a, ADMIN_TOKEN, 'POST', '/api/users/sam.viewer/disable')).status).toBe(200);
      expect((await request(stale, token, 'GET', '/api/me')).body.error?.details?.reason).toBe('disabled');
    } finally {
      await stale.close();
    }
  });

  it('ends a stream when its token expires', async () => {
    const token = await tokenOf('eve.viewer', 'viewer', 1);
    const s = stream(b, token);
    await s.waitFor((e) => e.type === 'ready');
    // B's clock moves two days on: the next heartbeat finds the token expired.
    offset = 2 * MS_PER_DAY;
    try {
      expect((await s.waitFor((e) => e.type === 'end', 10_000, 'the end event')).data).toMatchObject({ reason: 'expired' });
      await waitUntil('the reconnection refused', async () => s.errors.some((e) => e.code === 401), 15_000, 100);
    } finally {
      offset = 0;
    }
  });
});
