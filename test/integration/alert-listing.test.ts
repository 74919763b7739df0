// Exact listings over every alert, on the real ClickHouse: 10,001 alerts (revisions, acknowledgements,
// resolutions, snoozes running and ended) where the one open alert that matters is older than the 10,000
// others. The API, the CLI and the report all find it, with totals that equal the true count; filters,
// sorts and keyset pages agree with a computation over the data the test wrote; pages neither repeat nor
// skip while alerts arrive and change; the SQL fold of the listing equals deriveState on random action
// sequences (ties, snoozes, refused transitions included); concurrent writers leave the listing right; a
// listing row left behind is repaired; forged cursors are refused or harmless.
import { caseOptions } from '../../src/cases';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { countListing, listingPage, refreshListing, repairListing, SEVERITIES, writeAlerts, type AlertRecord, type Severity } from '../../src/alerts';
import { buildApi, type ApiApp } from '../../src/api';
import { MS_PER_DAY } from '../../src/calendar';
import type { Config } from '../../src/config';
import { catalogFrom } from '../../src/detect/catalog';
import { storeDirectory, type DirectoryEntry } from '../../src/directory';
import { createLogger } from '../../src/log';
import { openAlertsSection } from '../../src/report/data';
import { createClickHouse, sql, toDateTime, type ClickHouse } from '../../src/store';
import { createRegistry } from '../../src/telemetry';
import { createPseudonymMap, createPseudonyms, deriveState, recordAction, STATUSES, type AlertAction, type AlertStatus } from '../../src/triage';
import { ADMIN_TOKEN, apiTestConfig, PSEUDONYM_KEY, syntheticAlert } from '../helpers/api-fixture';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';

const log = createLogger({ level: 'silent' });
const bin = path.join(__dirname, '..', '..', 'bin', 'insider.js');
const pseudonyms = createPseudonyms({ enabled: true, key: PSEUDONYM_KEY });
const DEPARTMENTS = ['Analytics', 'Finance', 'Support'];
const PEOPLE = Array.from({ length: 300 }, (_, i) => `p${String(i).padStart(3, '0')}@corp.example`);
const TODAY = Math.floor(Date.now() / MS_PER_DAY);
const NEWER = 10_000;

interface Planned {
  id: string;
  user: string;
  department: string;
  severity: Severity;
  score: number;
  detectors: string[];
  windowEnd: number;
  status: AlertStatus;
}

const hex = (n: number, width = 10) => n.toString(16).padStart(width, '0');
const dayId = (day: number) => new Date(day * MS_PER_DAY).toISOString().slice(0, 10).replace(/-/g, '');

function alertOf(p: { id: string; user: string; day: number; severity: Severity; score: number; detectors: string[]; revision?: number }): AlertRecord {
  const a = syntheticAlert(p.user, p.day, { id: p.id });
  return { ...a, revision: p.revision ?? 1, severity: p.severity, score: p.score, detectors: p.detectors, observedBytes: 1e9 + p.score * 1e6, ratio: p.score / 10 };
}

/** An action row as recordAction writes it. */
function actionRow(alertId: string, at: number, action: string, extra: { assignee?: string; disposition?: string; note?: string; snoozeUntil?: number; actionId?: string } = {}) {
  return {
    action_id: extra.actionId ?? crypto.randomUUID(),
    alert_id: alertId,
    at: toDateTime(at),
    at_ms: at % 1000,
    actor: 'tester',
    action,
    assignee: extra.assignee ?? '',
    disposition: extra.disposition ?? '',
    note: extra.note ?? '',
    snooze_until: toDateTime(extra.snoozeUntil ?? 0),
    suppression_id: '',
  };
}

describe('alert listings: exact over every alert (real ClickHouse)', () => {
  const base = testConfig();
  const database = uniqueName('itlisting');
  let admin: ClickHouse;
  let ch: ClickHouse;
  let config: Config;
  let app: ApiApp;
  const planned: Planned[] = [];
  const OLD = `al_${dayId(TODAY - 400)}_${hex(0xfeed)}`;
  const OLD_USER = PEOPLE[7];

  const get = async (url: string) => {
    const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    return { status: res.statusCode, body: res.json() as { items: Array<{ alertId: string; severity: string; triage: { status: string } }>; total: number; nextCursor: string | null; error?: { code: string; message: string } } };
  };
  /** Every alert id of a listing, following nextCursor. */
  const everyPage = async (query: string, limit = 500) => {
    const ids: string[] = [];
    let cursor: string | null = null;
    let total = -1;
    do {
      const page = await get(`/api/alerts?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      ids.push(...page.body.items.map((i) => i.alertId));
      total = page.body.total;
      cursor = page.body.nextCursor;
    } while (cursor);
    return { ids, total };
  };
  const byWindow = (a: Planned, b: Planned) => b.windowEnd - a.windowEnd || b.score - a.score || (a.id < b.id ? -1 : 1);

  beforeAll(async () => {
    ({ admin, ch } = await freshDatabase(database, base.clickhouse));
    config = apiTestConfig(database, { rateLimit: { max: 1_000_000, windowMs: 60_000 } });
    const entries: DirectoryEntry[] = PEOPLE.map((id, i) => ({ id, name: id, department: DEPARTMENTS[i % 3], role: 'analyst', manager: '', location: '', timezone: 'UTC', hire_date: null, notice_date: null, end_date: null, account_type: 'human' }));
    await storeDirectory(ch, entries, { source: 'test', checksum: 'listing' });

    // 10,000 alerts over the last 250 days, 40 a day; then one open alert 400 days old.
    const alerts: AlertRecord[] = [];
    const actions: ReturnType<typeof actionRow>[] = [];
    const now = Date.now();
    for (let i = 0; i < NEWER; i++) {
      const day = TODAY - 1 - Math.floor(i / 40);
      const user = PEOPLE[i % PEOPLE.length];
      const id = `al_${dayId(day)}_${hex(i)}`;
      const severity = SEVERITIES[i % 4];
      const score = 20 + ((i * 7) % 80);
      const detectors = i % 3 === 0 ? ['volumeSelf', 'exportRate'] : ['volumeSelf'];
      // Every fifth alert has a second revision: worse, higher score, another detector.
      if (i % 5 === 0) {
        alerts.push(alertOf({ id, user, day, severity: 'low', score: 10, detectors: ['volumeSelf'] }));
        alerts.push(alertOf({ id, user, day, severity, score, detectors, revision: 2 }));
      } else {
        alerts.push(alertOf({ id, user, day, severity, score, detectors }));
      }
      const at = now - 3_600_000 + (i % 1000);
      const kind = i % 10;
      let status: AlertStatus = 'open';
      if (kind <= 1) {
        actions.push(actionRow(id, at, 'acknowledge'));
        status = 'acknowledged';
      } else if (kind === 2) {
        actions.push(actionRow(id, at, 'acknowledge'), actionRow(id, at + 1000, 'resolve', { disposition: 'true_positive' }));
        status = 'resolved';
      } else if (kind === 3) {
        actions.push(actionRow(id, at, 'snooze', { snoozeUntil: now + 86_400_000 }));
        status = 'snoozed';
      } else if (kind === 4) {
        // A snooze that has ended: open again by itself.
        actions.push(actionRow(id, at, 'snooze', { snoozeUntil: now - 60_000 }), actionRow(id, at + 1, 'note', { note: 'later' }));
      }
      planned.push({ id, user, department: DEPARTMENTS[PEOPLE.indexOf(user) % 3], severity, score, detectors, windowEnd: (day + 1) * MS_PER_DAY, status });
    }
    alerts.push(alertOf({ id: OLD, user: OLD_USER, day: TODAY - 400, severity: 'medium', score: 55, detectors: ['slowDrip'] }));
    planned.push({ id: OLD, user: OLD_USER, department: DEPARTMENTS[7 % 3], severity: 'medium', score: 55, detectors: ['slowDrip'], windowEnd: (TODAY - 399) * MS_PER_DAY, status: 'open' });
    await writeAlerts(ch, alerts);
    // Actions as recordAction writes them (an insert, then the listing refreshed), in bulk.
    await ch.insert('alert_actions', actions);
    await refreshListing(ch, [...new Set(actions.map((a) => a.alert_id))]);
    app = await buildApi({ config, ch, log, registry: createRegistry({ defaultMetrics: false }), live: false });
  }, 300_000);

  afterAll(async () => {
    await app?.close();
    await dropDatabase(database, { admin, ch });
  });

  it('lists the open alert older than 10,000 newer alerts under status=open, and the total is the true count', async () => {
    const open = planned.filter((p) => p.status === 'open');
    expect(open.length).toBe(6001);
    const first = await get('/api/alerts?status=open&limit=50');
    expect(first.status).toBe(200);
    expect(first.body.total).toBe(open.length);
    expect(first.body.items.map((i) => i.alertId)).toEqual(open.sort(byWindow).slice(0, 50).map((p) => p.id));
    // Oldest first, it is the first one.
    expect((await get('/api/alerts?status=open&sort=window&dir=asc&limit=1')).body.items[0].alertId).toBe(OLD);
    // Page by page, every open alert once, the old one last.
    const all = await everyPage('status=open');
    expect(all.total).toBe(open.length);
    expect(new Set(all.ids).size).toBe(all.ids.length);
    expect(all.ids).toEqual(open.sort(byWindow).map((p) => p.id));
    expect(all.ids[all.ids.length - 1]).toBe(OLD);
    // By the employee's pseudonym: one indexed read finds them.
    const mine = await get(`/api/alerts?status=open&user=${pseudonyms.of(OLD_USER)}&limit=500`);
    expect(mine.body.total).toBe(open.filter((p) => p.user === OLD_USER).length);
    expect(mine.body.items.map((i) => i.alertId)).toContain(OLD);
  });

  it('the CLI and the report find it too, with the same totals', async () => {
    const env = { ...process.env, INSIDER_CLICKHOUSE_DATABASE: database, INSIDER_PSEUDONYM_KEY: PSEUDONYM_KEY, INSIDER_LOG_LEVEL: 'silent' };
    const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const all = run(['alerts', 'list', '--status', 'open', '--all', '--json']);
    expect(all.status).toBe(0);
    const listed = JSON.parse(all.stdout) as Array<{ alertId: string }>;
    expect(listed.length).toBe(6001);
    expect(listed.map((a) => a.alertId)).toContain(OLD);
    const limited = run(['alerts', 'list', '--status', 'open', '--limit', '5']);
    expect(limited.stderr).toContain('5 of 6001 matching alerts shown');

    const report = await openAlertsSection({
      ch,
      period: { kind: 'day', from: (TODAY - 1) * MS_PER_DAY, to: TODAY * MS_PER_DAY },
      asOf: Date.now(),
      pseudonyms,
      catalog: catalogFrom([]),
      people: new Map(),
      settings: { topUsers: 10, gapHours: 2, baselineDays: 28, minHistoryDays: 14, cases: caseOptions(testConfig()) },
    });
    // Open, acknowledged and snoozed are all "not resolved": every alert but the resolved tenth.
    expect(report.total).toBe(planned.filter((p) => p.status !== 'resolved').length);
    expect(report.alerts[0].alertId).toBe(OLD);
  });

  it('filters and sorts as a computation over every alert the test wrote', async () => {
    const cases: Array<[string, (p: Planned) => boolean]> = [
      ['severity=high', (p) => p.severity === 'high'],
      ['minSeverity=high', (p) => p.severity === 'high' || p.severity === 'critical'],
      ['detector=exportRate', (p) => p.detectors.includes('exportRate')],
      ['department=Finance', (p) => p.department === 'Finance'],
      ['status=acknowledged&severity=critical', (p) => p.status === 'acknowledged' && p.severity === 'critical'],
      ['status=snoozed', (p) => p.status === 'snoozed'],
      ['status=resolved&department=Support', (p) => p.status === 'resolved' && p.department === 'Support'],
      [`from=${new Date((TODAY - 30) * MS_PER_DAY).toISOString()}&to=${new Date((TODAY - 10) * MS_PER_DAY).toISOString()}`, (p) => p.windowEnd > (TODAY - 30) * MS_PER_DAY && p.windowEnd - MS_PER_DAY < (TODAY - 10) * MS_PER_DAY],
      [`user=${pseudonyms.of(PEOPLE[42])}`, (p) => p.user === PEOPLE[42]],
      ['department=Nobody', () => false],
    ];
    for (const [query, keep] of cases) {
      const expected = planned.filter(keep).sort(byWindow);
      const page = await get(`/api/alerts?${query}&limit=100`);
      expect({ query, status: page.status, total: page.body.total }).toEqual({ query, status: 200, total: expected.length });
      expect({ query, ids: page.body.items.map((i) => i.alertId) }).toEqual({ query, ids: expected.slice(0, 100).map((p) => p.id) });
    }
    // Sorted by severity (then score, window, id), by volume, and by status in lifecycle order, keyset pages agree with a sort.
    const bySeverity = planned.slice().sort((a, b) => SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) || b.score - a.score || b.windowEnd - a.windowEnd || (a.id < b.id ? -1 : 1));
    expect((await everyPage('sort=severity&department=Analytics', 400)).ids).toEqual(bySeverity.filter((p) => p.department === 'Analytics').map((p) => p.id));
    const byStatus = planned.slice().sort((a, b) => STATUSES.indexOf(a.status) - STATUSES.indexOf(b.status) || b.windowEnd - a.windowEnd || (a.id < b.id ? -1 : 1));
    expect((await everyPage('sort=status&severity=low', 300)).ids).toEqual(byStatus.filter((p) => p.severity === 'low').map((p) => p.id));
    const byVolumeAsc = planned.slice().sort((a, b) => a.score - b.score || (a.id < b.id ? 1 : -1));
    expect((await everyPage('sort=volume&dir=asc&detector=exportRate', 700)).ids).toEqual(byVolumeAsc.filter((p) => p.detectors.includes('exportRate')).map((p) => p.id));
  });

  it('pages neither repeat nor skip while newer alerts arrive and seen ones change', async () => {
    const before = planned.filter((p) => p.status === 'open' && p.department === 'Finance').sort(byWindow).map((p) => p.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let round = 0;
    do {
      const page = await get(`/api/alerts?status=open&department=Finance&limit=700${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.body.items.map((i) => i.alertId));
      cursor = page.body.nextCursor;
      // Meanwhile: newer alerts of Finance people, and an alert already listed acknowledged.
      await writeAlerts(ch, [alertOf({ id: `al_${dayId(TODAY)}_${hex(0xa000 + round)}`, user: PEOPLE[1], day: TODAY, severity: 'high', score: 90, detectors: ['volumeSelf'] })]);
      await recordAction(ch, seen[round], 'tester', { action: 'acknowledge' }, Date.now());
      round++;
    } while (cursor);
    expect(seen).toEqual(before);
    // The listing now counts what changed: `round` new ones in, as many acknowledged ones out.
    const added = round;
    const acknowledged = round;
    expect((await get('/api/alerts?status=open&department=Finance&limit=1')).body.total).toBe(before.length + added - acknowledged);
  });

  it('derives the same state in SQL as deriveState, on random action sequences with ties, snoozes and refused transitions', async () => {
    const rand = (() => {
      let x = 2463534242;
      return () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>> 0) / 2 ** 32);
    })();
    const now = Date.now();
    const kinds = ['acknowledge', 'assign', 'note', 'resolve', 'snooze', 'reopen'] as const;
    const user = 'fold@corp.example';
    const ids: string[] = [];
    const rows: ReturnType<typeof actionRow>[] = [];
    const alerts: AlertRecord[] = [];
    for (let n = 0; n < 200; n++) {
      const id = `al_${dayId(TODAY - 2)}_${hex(0xf000 + n)}`;
      ids.push(id);
      alerts.push(alertOf({ id, user, day: TODAY - 2, severity: 'low', score: 1, detectors: ['volumeSelf'] }));
      let at = now - 7_200_000;
      for (let k = Math.floor(rand() * 8); k > 0; k--) {
        // Often in the same second, sometimes in the same millisecond (then the action id decides).
        at += rand() < 0.3 ? 0 : Math.floor(rand() * 3000);
        const action = kinds[Math.floor(rand() * kinds.length)];
        const snoozeUntil = action === 'snooze' ? Math.floor((now + (rand() < 0.5 ? -1 : 1) * Math.floor(rand() * 7_200_000)) / 1000) * 1000 : 0;
        rows.push(actionRow(id, at, action, { assignee: action === 'assign' ? (rand() < 0.2 ? '' : `a${Math.floor(rand() * 3)}`) : '', disposition: action === 'resolve' ? 'false_positive' : '', note: rand() < 0.3 ? 'n' : '', snoozeUntil, actionId: crypto.randomUUID() }));
      }
    }
    await writeAlerts(ch, alerts);
    await ch.insert('alert_actions', rows);
    await refreshListing(ch, ids);
    const actions = new Map<string, AlertAction[]>(ids.map((id) => [id, []]));
    for (const r of rows) {
      actions.get(r.alert_id)!.push({
        actionId: r.action_id, alertId: r.alert_id, at: Date.parse(`${r.at.replace(' ', 'T')}Z`) + r.at_ms, actor: r.actor, action: r.action as AlertAction['action'],
        assignee: r.assignee, disposition: r.disposition as AlertAction['disposition'], note: r.note, snoozeUntil: Date.parse(`${r.snooze_until.replace(' ', 'T')}Z`), suppressionId: '',
      });
    }
    // At several moments: before and after snoozes end by themselves.
    for (const at of [now, now + 3_600_000, now + 7_300_000]) {
      for (const status of STATUSES) {
        const expected = ids.filter((id) => deriveState(actions.get(id)!, at).status === status).sort();
        const listed = (await listingPage(ch, { users: [user], status }, { sort: 'window', dir: 'desc' }, { limit: 1000 }, at)).map((r) => r.alertId).sort();
        expect({ at, status, listed }).toEqual({ at, status, listed: expected });
        expect(await countListing(ch, { users: [user], status }, at)).toBe(expected.length);
      }
    }
  });

  it('stays right under concurrent writers (two processes acting, the detector revising)', async () => {
    const user = 'race@corp.example';
    const ids = Array.from({ length: 8 }, (_, n) => `al_${dayId(TODAY - 3)}_${hex(0xe000 + n)}`);
    await writeAlerts(ch, ids.map((id) => alertOf({ id, user, day: TODAY - 3, severity: 'low', score: 5, detectors: ['volumeSelf'] })));
    // Two "processes": separate ClickHouse connections, no shared state.
    const other = createClickHouse(base.clickhouse, { database });
    try {
      for (let round = 0; round < 3; round++) {
        await Promise.all(
          ids.flatMap((id, n) => [
            recordAction(ch, id, 'one', { action: round % 2 === 0 ? 'acknowledge' : 'reopen' }, Date.now()),
            recordAction(other, id, 'two', { action: 'note', note: `r${round}` }, Date.now()),
            writeAlerts(other, [alertOf({ id, user, day: TODAY - 3, severity: SEVERITIES[(round + n) % 4], score: 10 + round, detectors: ['volumeSelf'], revision: round + 2 })]),
          ]),
        );
      }
    } finally {
      await other.close();
    }
    const now = Date.now();
    const acked = (await listingPage(ch, { users: [user], status: 'acknowledged' }, { sort: 'window', dir: 'desc' }, { limit: 100 }, now)).map((r) => r.alertId).sort();
    // Eight readers at once, as a dashboard's tabs would be.
    const states = await Promise.all(ids.map(async (id) => (await get(`/api/alerts?user=${pseudonyms.of(user)}&limit=100`)).body.items.find((i) => i.alertId === id)!));
    expect(acked).toEqual(states.filter((s) => s.triage.status === 'acknowledged').map((s) => s.alertId).sort());
    // Round 2 acknowledged them (after a reopen in round 1): every one is acknowledged, at its last revision's severity.
    expect(acked).toEqual([...ids].sort());
    for (const [n, id] of ids.entries()) expect(states.find((s) => s.alertId === id)!.severity).toBe(SEVERITIES[(2 + n) % 4]);
    expect((await listingPage(ch, { users: [user], severity: SEVERITIES[2] }, { sort: 'window', dir: 'desc' }, { limit: 100 }, now)).map((r) => r.alertId)).toEqual([ids[0], ids[4]].sort());
  });

  it('repairs a listing row a writer left behind (an action stored, the process gone before the refresh)', async () => {
    const id = planned.find((p) => p.status === 'open' && p.department === 'Support')!.id;
    await ch.insert('alert_actions', [actionRow(id, Date.now(), 'resolve', { disposition: 'duplicate' })]);
    const status = async () => (await get(`/api/alerts?status=resolved&limit=1&user=${pseudonyms.of(planned.find((p) => p.id === id)!.user)}`)).body.items.map((i) => i.alertId);
    expect(await status()).not.toContain(id);
    expect(await repairListing(ch, { recentSeconds: 600 })).toBeGreaterThanOrEqual(1);
    expect(await status()).toContain(id);
    // Nothing is behind any more, over every alert.
    expect(await repairListing(ch)).toBe(0);
  });

  it('refuses forged cursors, and a cursor holding SQL is only a value', async () => {
    const first = await get('/api/alerts?sort=volume&limit=2');
    expect((await get(`/api/alerts?sort=window&limit=2&cursor=${first.body.nextCursor}`)).status).toBe(400);
    expect((await get(`/api/alerts?sort=volume&dir=asc&limit=2&cursor=${first.body.nextCursor}`)).status).toBe(400);
    expect((await get('/api/alerts?limit=2&cursor=bm90LWpzb24')).status).toBe(400);
    expect((await get(`/api/alerts?limit=2&offset=2&cursor=${first.body.nextCursor}`)).status).toBe(400);
    const forged = Buffer.from(JSON.stringify({ o: 'alerts:window:desc', v: [4_000_000_000, 100, "x' OR 1=1) --"] })).toString('base64url');
    const res = await get(`/api/alerts?limit=3&cursor=${forged}`);
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBe(3);
    const wrongType = Buffer.from(JSON.stringify({ o: 'alerts:window:desc', v: ['1 OR 1=1', 100, 'x'] })).toString('base64url');
    expect((await get(`/api/alerts?limit=3&cursor=${wrongType}`)).status).toBe(400);
  });

  it('maps every employee once under a new key (in the directory and with alerts: once, not twice), then nothing more', async () => {
    const other = createPseudonyms({ enabled: true, key: `${PSEUDONYM_KEY}-rotated` });
    const map = createPseudonymMap(ch, other);
    const [{ n: everyone }] = await ch.query<{ n: string }>(sql`
      SELECT uniqExact(user) AS n FROM (
        SELECT id AS user FROM directory_entries WHERE version = (SELECT max(version) FROM directory_versions)
        UNION ALL
        SELECT user FROM alert_listing
      )`);
    expect(Number(everyone)).toBeGreaterThanOrEqual(PEOPLE.length);
    expect(await map.sync()).toBe(Number(everyone));
    const [{ rows, users }] = await ch.query<{ rows: string; users: string }>(
      sql`SELECT count() AS rows, uniqExact(user) AS users FROM pseudonyms WHERE key_id = ${other.keyId}`,
    );
    expect([Number(rows), Number(users)]).toEqual([Number(everyone), Number(everyone)]);
    expect(await map.sync()).toBe(0);
    expect(await map.usersOf(other.of(OLD_USER))).toEqual([OLD_USER]);
    expect(await map.usersOf(other.of('nobody@corp.example'))).toEqual([]);
  });

  it("finds an employee whose first alert was stored just after a sync, before any change feed says so; a guess still syncs nothing", async () => {
    // Count the syncs (their anti-join) from here on.
    let syncs = 0;
    const counted = new Proxy(ch, {
      get: (target, prop, receiver) => {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'query' || typeof value !== 'function') return value;
        return (q: Parameters<ClickHouse['query']>[0]) => {
          if (JSON.stringify(q).includes('NOT IN (SELECT user FROM pseudonyms')) syncs++;
          return (value as ClickHouse['query']).call(target, q);
        };
      },
    });
    const watched = createPseudonymMap(counted, pseudonyms, { missSyncMs: 3_600_000 });
    await watched.sync();
    syncs = 0;
    expect(await watched.usersOf(pseudonyms.of('guess@corp.example'))).toEqual([]);
    expect(await watched.usersOf(pseudonyms.of('guess@corp.example'))).toEqual([]);
    expect(syncs).toBe(0);
    const user = 'newcomer@corp.example';
    await writeAlerts(ch, [alertOf({ id: `al_${dayId(TODAY - 1)}_${hex(0xd00d)}`, user, day: TODAY - 1, severity: 'high', score: 70, detectors: ['volumeSelf'] })]);
    expect(await watched.usersOf(pseudonyms.of(user))).toEqual([user]);
    expect(syncs).toBe(1);
  });

  it('finds a new employee for a lookup that decided while another lookup\'s sync had begun but not stored its rows', async () => {
    // The interleaving that made "stays right under concurrent writers" answer [] in CI, made certain by
    // delays: A's check (300 ms), B's check (800 ms: it ends after the sync's own watermark), the sync's
    // watermark (300 ms), the sync's insert (1.5 s).
    const checks = [300, 800, 300];
    let n = 0;
    const slow = new Proxy(ch, {
      get: (target, prop, receiver) => {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (prop === 'query' && typeof value === 'function') {
          return async (q: Parameters<ClickHouse['query']>[0]) => {
            if (JSON.stringify(q).includes('uniqExact(user) FROM alert_listing')) await new Promise((r) => setTimeout(r, checks[n++] ?? 0));
            return (value as ClickHouse['query']).call(target, q);
          };
        }
        if (prop === 'insert' && typeof value === 'function') {
          return async (table: string, rows: unknown[]) => {
            if (table === 'pseudonyms') await new Promise((r) => setTimeout(r, 1500));
            return (value as (t: string, r: unknown[]) => Promise<void>).call(target, table, rows);
          };
        }
        return value;
      },
    });
    const map = createPseudonymMap(slow, pseudonyms, { missSyncMs: 3_600_000 });
    await map.sync();
    n = 0;
    const user = 'latecomer@corp.example';
    await writeAlerts(ch, [alertOf({ id: `al_${dayId(TODAY - 1)}_${hex(0xd00e)}`, user, day: TODAY - 1, severity: 'high', score: 70, detectors: ['volumeSelf'] })]);
    const a = map.usersOf(pseudonyms.of(user));
    await new Promise((r) => setTimeout(r, 100));
    const b = map.usersOf(pseudonyms.of(user));
    expect(await Promise.all([a, b])).toEqual([[user], [user]]);
  });
});
