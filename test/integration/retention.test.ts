// Retention with legal hold against the real ClickHouse: a year-old month of raw events, rollups, alerts,
// triage actions and audit entries for two employees, one of whose alerts is under legal hold. A run
// drops what is past retention, copies the held alert's evidence (raw events, rollups of its window) aside,
// keeps the partitions of chained tables that hold it, and `audit verify` still passes: the dropped rows
// are a sealed, recorded prefix, not a broken chain. A partition dropped by hand, unrecorded, is named.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { writeAlerts, type AlertRecord } from '../../src/alerts';
import { MS_PER_DAY } from '../../src/calendar';
import { sealChains, verifyChains } from '../../src/chain';
import { listHolds, placeHold, releaseHold, runRetention, type RetentionSettings } from '../../src/retention';
import { sql, type ClickHouse } from '../../src/store';
import { audit, entryOf, recordAction, type Actor } from '../../src/triage';
import { row, syntheticAlert } from '../helpers/api-fixture';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';

const bin = path.join(__dirname, '..', '..', 'bin', 'insider.js');
const ANA = 'ana@corp.example';
const BEN = 'ben@corp.example';
const HOUR = 3_600_000;
const actor: Actor = { name: 'lee.lawyer', role: 'admin', sourceIp: 'cli', requestId: 'req-hold' };
const settings: RetentionSettings = { days: { events: 30, rollups: 30, alerts: 90, audit: 90 } };

/** Midnight UTC of the 10th of the month `monthsAgo` months back (a whole month past every retention above). */
function dayMonthsAgo(monthsAgo: number, dayOfMonth = 10): number {
  const d = new Date();
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - monthsAgo, dayOfMonth);
}

function alertOn(user: string, dayStart: number, id: string): AlertRecord {
  const wall = dayStart + 20 * HOUR;
  return { ...syntheticAlert(user, Math.floor(dayStart / MS_PER_DAY), { id }), createdAtWall: wall, updatedAtWall: wall };
}

const n = async (ch: ClickHouse, q: ReturnType<typeof sql>) => Number((await ch.query<{ n: string }>(q))[0].n);

describe('retention with legal hold (real ClickHouse)', () => {
  const config = testConfig();
  const database = uniqueName('it_retention');
  let admin: ClickHouse;
  let ch: ClickHouse;
  // Ana's held alert is 13 months back; Ben's alert (not held) 14 months back: other monthly partitions.
  const anaDay = dayMonthsAgo(13);
  const benDay = dayMonthsAgo(14);
  const recentDay = Date.now() - 2 * MS_PER_DAY;
  const anaAlert = alertOn(ANA, anaDay, 'al_ret_ana');
  const benAlert = alertOn(BEN, benDay, 'al_ret_ben');
  let holdId = '';

  beforeAll(async () => {
    ({ admin, ch } = await freshDatabase(database, config.clickhouse));
    const events = [];
    // Ana: her alert's day (12 events, its evidence) and the day after (6, outside the alert's window);
    // Ben: his alert's day; both: recent days that stay.
    for (let i = 0; i < 12; i++) events.push(row(ANA, anaDay + 9 * HOUR + i * 60_000, 250_000_000, 'crm.customers', { action: 'EXPORT' }));
    for (let i = 0; i < 6; i++) events.push(row(ANA, anaDay + MS_PER_DAY + 10 * HOUR + i * 60_000, 1_000_000, 'analytics.kpi'));
    for (let i = 0; i < 8; i++) events.push(row(BEN, benDay + 9 * HOUR + i * 60_000, 300_000_000, 'crm.customers', { action: 'EXPORT' }));
    for (const user of [ANA, BEN]) for (let i = 0; i < 5; i++) events.push(row(user, recentDay + i * 60_000, 1_000_000, 'analytics.kpi'));
    await ch.insert('access_events', events);
    await writeAlerts(ch, [anaAlert, benAlert]);
    // Triage and audit entries written at the time (a year ago), and one recent view of each alert.
    for (const a of [anaAlert, benAlert]) {
      await recordAction(ch, a.alertId, 'sam.analyst', { action: 'resolve', disposition: 'true_positive' }, a.updatedAtWall + HOUR);
      await audit(ch, entryOf({ ...actor, name: 'sam.analyst', role: 'analyst', requestId: `req-${a.alertId}` }, a.updatedAtWall + HOUR, 'alert.resolve', a.alertId));
      await audit(ch, entryOf({ ...actor, name: 'sam.analyst', role: 'analyst', requestId: `req-view-${a.alertId}` }, Date.now() - 10 * 60_000, 'alert.view', a.alertId));
    }
    holdId = (await placeHold(ch, actor, 'alert', anaAlert.alertId, 'matter 2026-17: preserve the evidence')).holdId;
  });
  afterAll(async () => {
    await dropDatabase(database, { admin, ch });
  });

  it('plans without changing anything on a dry run', async () => {
    const dry = await runRetention(ch, { settings, actor, dryRun: true });
    const plan = dry.partitions.map((p) => `${p.table} ${p.partition} ${p.action} ${p.heldRows}`);
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10).replace(/-/g, '');
    const month = (ms: number) => day(ms).slice(0, 6);
    expect(plan).toEqual(
      expect.arrayContaining([
        `access_events ${day(anaDay)} copy_and_drop 12`,
        `access_events ${day(anaDay + MS_PER_DAY)} drop 0`,
        `access_events ${day(benDay)} drop 0`,
        `user_daily ${month(anaDay)} copy_and_drop 1`,
        `user_hourly ${month(anaDay)} copy_and_drop 1`,
        `alerts ${month(anaDay)} keep_held 1`,
        `alerts ${month(benDay)} drop 0`,
        `alert_actions ${month(anaDay)} keep_held 1`,
        `alert_actions ${month(benDay)} drop 0`,
        // A row per write of the alert until ReplacingMergeTree merges them: one or two.
        expect.stringMatching(new RegExp(`^alert_listing ${month(anaDay)} keep_held [12]$`)),
        `alert_listing ${month(benDay)} drop 0`,
        `audit_log ${month(anaDay)} keep_held 1`,
        `audit_log ${month(benDay)} drop 0`,
      ]),
    );
    // Nothing recent is due.
    expect(plan.filter((p) => p.includes(day(recentDay)))).toEqual([]);
    expect(await n(ch, sql`SELECT count() AS n FROM access_events`)).toBe(36);
    expect(await n(ch, sql`SELECT count() AS n FROM retention_log`)).toBe(0);
  });

  it('drops what is past retention, keeps the held alert and its evidence, and the chains still verify', async () => {
    // Sealed before (a report or the sealer ran): the run seals too, but the test wants verify clean first.
    expect((await verifyChains(ch)).every((r) => r.problems.length === 0)).toBe(true);
    const r = await runRetention(ch, { settings, actor });
    expect(r.copiedRows).toBeGreaterThanOrEqual(12);

    // Raw events: only the recent days remain; the held alert's 12 events are in access_events_held.
    expect(await n(ch, sql`SELECT count() AS n FROM access_events`)).toBe(10);
    expect(await n(ch, sql`SELECT count() AS n FROM access_events_held`)).toBe(12);
    expect(await n(ch, sql`SELECT count() AS n FROM access_events_held WHERE user = ${ANA} AND ts >= ${new Date(anaAlert.windowStart)} AND ts < ${new Date(anaAlert.windowEnd)}`)).toBe(12);
    expect(await n(ch, sql`SELECT countMerge(event_count) AS n FROM user_daily_held WHERE user = ${ANA}`)).toBe(12);
    // The held alert survives, with its triage action and audit entries; Ben's year-old ones are gone.
    expect((await ch.query<{ alert_id: string }>(sql`SELECT alert_id FROM alerts ORDER BY alert_id`)).map((x) => x.alert_id)).toEqual(['al_ret_ana']);
    expect((await ch.query<{ alert_id: string }>(sql`SELECT alert_id FROM alert_actions`)).map((x) => x.alert_id)).toEqual(['al_ret_ana']);
    expect((await ch.query<{ target: string }>(sql`SELECT target FROM audit_log WHERE action = 'alert.resolve'`)).map((x) => x.target)).toEqual(['al_ret_ana']);
    const logged = await ch.query<{ table_name: string; action: string }>(sql`SELECT table_name, toString(action) AS action FROM retention_log WHERE run_id = ${r.runId}`);
    expect(logged.filter((x) => x.action === 'kept_held').map((x) => x.table_name).sort()).toEqual(['alert_actions', 'alert_listing', 'alerts', 'audit_log']);
    // The queue's listing goes with its alerts: only the held one is listed.
    expect((await ch.query<{ alert_id: string }>(sql`SELECT DISTINCT alert_id FROM alert_listing`)).map((x) => x.alert_id)).toEqual(['al_ret_ana']);
    const [entry] = await ch.query<{ details: string }>(sql`SELECT details FROM audit_log WHERE action = 'retention.run' AND target = ${r.runId}`);
    expect(JSON.parse(entry.details)).toMatchObject({ droppedRows: expect.any(Number), copiedRows: r.copiedRows });

    // The record verifies: Ben's dropped rows are retained (recorded), not deleted.
    const v = await verifyChains(ch);
    for (const c of v) expect([c.chain, c.ok, c.problems]).toEqual([c.chain, true, []]);
    const retained = Object.fromEntries(v.map((c) => [c.chain, c.retained]));
    expect(retained).toMatchObject({ alerts: 1, alert_actions: 1, audit_log: 1 });
    // And through the CLI.
    const cli = spawnSync(process.execPath, [bin, 'audit', 'verify'], { encoding: 'utf8', env: { ...process.env, INSIDER_CLICKHOUSE_DATABASE: database, INSIDER_LOG_LEVEL: 'warn' }, timeout: 60_000 });
    expect(cli.status).toBe(0);
    expect(cli.stdout).toContain('every chain verifies');
  });

  it('a second run drops nothing more, and the hold released lets the alert go the way of the rest', async () => {
    const again = await runRetention(ch, { settings, actor });
    expect(again.partitions.map((p) => p.action).sort()).toEqual(['keep_held', 'keep_held', 'keep_held', 'keep_held']);
    expect(again.droppedRows).toBe(0);
    await releaseHold(ch, actor, holdId, 'matter closed');
    expect(await listHolds(ch, { active: true })).toEqual([]);
    await runRetention(ch, { settings, actor });
    expect(await n(ch, sql`SELECT count() AS n FROM alerts`)).toBe(0);
    expect(await n(ch, sql`SELECT count() AS n FROM alert_listing`)).toBe(0);
    // The copy aside stays until someone decides otherwise: a released hold does not delete evidence.
    expect(await n(ch, sql`SELECT count() AS n FROM access_events_held`)).toBe(12);
    for (const c of await verifyChains(ch)) expect([c.chain, c.ok, c.problems]).toEqual([c.chain, true, []]);
  });

  it('names rows removed by a partition dropped by hand, outside retention', async () => {
    const [{ p }] = await ch.query<{ p: string }>(sql`SELECT toString(toYYYYMM(now())) AS p`);
    await ch.exec(sql`ALTER TABLE audit_log DROP PARTITION ID ${p}`);
    const v = (await verifyChains(ch)).find((c) => c.chain === 'audit_log')!;
    expect(v.ok).toBe(false);
    expect(v.problems.map((x) => x.kind)).toContain('record-deleted');
    expect(v.problems.find((x) => x.kind === 'record-deleted')!.message).toMatch(/alert\.(view|resolve|run)|hold\.|retention\.run/);
  });

  it('a forged retention record of a month not yet over, sealed, does not make its deleted rows look retained', async () => {
    // Someone with write access to ClickHouse covers the hand-dropped month with a record, and the sealer
    // (a pure function of the rows) seals it: retention never drops a month before it has ended.
    const [{ p }] = await ch.query<{ p: string }>(sql`SELECT toString(toYYYYMM(now())) AS p`);
    const now = Date.now();
    await ch.insert('retention_log', [{ run_id: 'ret_forged00000', at: new Date(now).toISOString().slice(0, 19).replace('T', ' '), at_ms: now % 1000, table_name: 'audit_log', partition_id: p, action: 'dropped', rows: 3, detail: '' }]);
    await sealChains(ch, { now: now + 2000, graceMs: 0 });
    const all = await verifyChains(ch);
    expect(all.find((c) => c.chain === 'retention_log')!.ok).toBe(true);
    const v = all.find((c) => c.chain === 'audit_log')!;
    expect(v.ok).toBe(false);
    expect(v.problems.map((x) => x.kind)).toContain('record-deleted');
  });
});

// Two ways a held employee's raw events were dropped anyway: a hold placed while a run was under way (after
// its plan, before its drops), and events done through a shared database role with the held person only in
// `identity` (PostgreSQL's authentication line: the role is app_svc, the person is carol).
describe('legal hold placed mid-run, and held people behind shared roles (real ClickHouse)', () => {
  const config = testConfig();
  const database = uniqueName('it_retention_race');
  const CAROL = 'carol@corp.example';
  const DAN = 'dan@corp.example';
  let admin: ClickHouse;
  let ch: ClickHouse;
  const carolDay = dayMonthsAgo(13, 5);
  const danDay = dayMonthsAgo(13, 20);

  beforeAll(async () => {
    ({ admin, ch } = await freshDatabase(database, config.clickhouse));
    const events = [];
    for (let i = 0; i < 4; i++) events.push({ ...row('app_svc', carolDay + 9 * HOUR + i * 60_000, 5_000_000, 'crm.customers', { action: 'EXPORT' }), identity: CAROL });
    for (let i = 0; i < 5; i++) events.push(row(DAN, danDay + 9 * HOUR + i * 60_000, 5_000_000, 'crm.customers', { action: 'EXPORT' }));
    await ch.insert('access_events', events);
  });
  afterAll(async () => {
    await dropDatabase(database, { admin, ch });
  });

  it('a hold placed after the plan and before the drops stops the run: nothing is dropped, and the next run keeps the held rows', async () => {
    // The worst moment: the plan is made (nothing held), the run is about to record and drop.
    let holdId = '';
    const racing = new Proxy(ch, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'insert' || typeof v !== 'function') return typeof v === 'function' ? v.bind(target) : v;
        return async (table: string, rows: unknown[]) => {
          if (table === 'retention_log' && !holdId) holdId = (await placeHold(ch, actor, 'employee', DAN, 'matter 2026-31: preserve dan')).holdId;
          return (v as (t: string, r: unknown[]) => Promise<void>).call(target, table, rows);
        };
      },
    });
    await expect(runRetention(racing, { settings, actor })).rejects.toThrow(/legal hold hold_[0-9a-f]{12} \(employee dan@corp\.example\) was placed during retention run/);
    expect(holdId).not.toBe('');
    expect(await n(ch, sql`SELECT count() AS n FROM access_events WHERE user = ${DAN}`)).toBe(5);
    // The stopped run's records of partitions still there do not break the chains.
    for (const c of await verifyChains(ch)) expect([c.chain, c.ok, c.problems]).toEqual([c.chain, true, []]);

    const again = await runRetention(ch, { settings, actor });
    expect(again.partitions.find((p) => p.table === 'access_events' && p.heldRows === 5)?.action).toBe('copy_and_drop');
    expect(await n(ch, sql`SELECT count() AS n FROM access_events_held WHERE user = ${DAN}`)).toBe(5);
    expect(await n(ch, sql`SELECT count() AS n FROM access_events WHERE user = ${DAN}`)).toBe(0);
  });

  it("a held employee's events through a shared role (identity) are copied aside before their partition is dropped", async () => {
    // Carol's day survived the first test only because that run stopped, and the second dropped it (unheld).
    // So here: put her day back, hold her, run.
    const events = [];
    for (let i = 0; i < 4; i++) events.push({ ...row('app_svc', carolDay + 9 * HOUR + i * 60_000, 5_000_000, 'crm.customers', { action: 'EXPORT' }), identity: CAROL });
    await ch.insert('access_events', events);
    await placeHold(ch, actor, 'employee', CAROL, 'matter 2026-32: preserve carol');
    const dry = await runRetention(ch, { settings, actor, dryRun: true });
    expect(dry.partitions.filter((p) => p.table === 'access_events').map((p) => [p.action, p.heldRows])).toEqual([['copy_and_drop', 4]]);
    await runRetention(ch, { settings, actor });
    expect(await n(ch, sql`SELECT count() AS n FROM access_events_held WHERE user = 'app_svc' AND identity = ${CAROL}`)).toBe(4);
    expect(await n(ch, sql`SELECT count() AS n FROM access_events WHERE identity = ${CAROL}`)).toBe(0);
    for (const c of await verifyChains(ch)) expect([c.chain, c.ok, c.problems]).toEqual([c.chain, true, []]);
  });

  it('a run that outlasts the grace period while another sealer runs still records and audits inside the chains', async () => {
    // A day of Erin's so the run has a partition to drop; while the run plans, an analyst's audit entry is
    // written and sealed (audit seal-every, a report): as when a run outlasts the grace period. The run's own
    // audit entry, stamped at its start, would land behind that sealed head: never sealed, named by verify.
    await ch.insert('access_events', [row('erin@corp.example', dayMonthsAgo(13, 25) + 9 * HOUR, 5_000_000, 'crm.customers')]);
    let sealedMeanwhile = false;
    const slow = new Proxy(ch, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'query' || typeof v !== 'function') return typeof v === 'function' ? v.bind(target) : v;
        return async (q: ReturnType<typeof sql>, o?: unknown) => {
          if (!sealedMeanwhile && String(q).includes('system.parts')) {
            sealedMeanwhile = true;
            // Meanwhile an analyst works (an audit entry after the run's start), and the sealer links it.
            await new Promise((r) => setTimeout(r, 1100));
            await audit(ch, entryOf({ ...actor, name: 'sam.analyst', role: 'analyst', requestId: 'req-meanwhile' }, Date.now(), 'alert.view', 'al_meanwhile'));
            await new Promise((r) => setTimeout(r, 1100));
            await sealChains(ch, { graceMs: 0, sealer: 'seal-every (meanwhile)' });
          }
          return (v as (q: unknown, o?: unknown) => Promise<unknown>).call(target, q, o);
        };
      },
    });
    const r = await runRetention(slow, { settings, actor });
    expect(sealedMeanwhile).toBe(true);
    // Erin's event and its three rollup rows.
    expect(r.droppedRows).toBe(4);
    expect(await n(ch, sql`SELECT count() AS n FROM access_events WHERE user = 'erin@corp.example'`)).toBe(0);
    await sealChains(ch, { now: Date.now() + 2000, graceMs: 0 });
    for (const c of await verifyChains(ch)) expect([c.chain, c.ok, c.problems]).toEqual([c.chain, true, []]);
  });

  it("a partition already copied for one hold has another hold's rows copied too when the run is run again", async () => {
    // Fran is held; Gus shares her day. The run copies Fran's rows, then Gus is held before the drops: the
    // run stops; the next one must copy Gus's rows though the partition's copy "was made" (and not Fran's twice).
    const FRAN = 'fran@corp.example';
    const GUS = 'gus@corp.example';
    const day = dayMonthsAgo(13, 27);
    await ch.insert('access_events', [
      ...[0, 1, 2].map((i) => row(FRAN, day + 9 * HOUR + i * 60_000, 5_000_000, 'crm.customers')),
      ...[0, 1].map((i) => row(GUS, day + 11 * HOUR + i * 60_000, 5_000_000, 'crm.orders')),
    ]);
    await placeHold(ch, actor, 'employee', FRAN, 'matter 2026-33: preserve fran');
    let gusHeld = false;
    const racing = new Proxy(ch, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'insert' || typeof v !== 'function') return typeof v === 'function' ? v.bind(target) : v;
        return async (table: string, rows: unknown[]) => {
          if (table === 'retention_log' && !gusHeld) {
            gusHeld = true;
            await placeHold(ch, actor, 'employee', GUS, 'matter 2026-34: preserve gus');
          }
          return (v as (t: string, r: unknown[]) => Promise<void>).call(target, table, rows);
        };
      },
    });
    await expect(runRetention(racing, { settings, actor })).rejects.toThrow(/was placed during retention run/);
    expect(await n(ch, sql`SELECT count() AS n FROM access_events_held WHERE user = ${FRAN}`)).toBe(3);
    await runRetention(ch, { settings, actor });
    const held = async (user: string) => [await n(ch, sql`SELECT count() AS n FROM access_events_held WHERE user = ${user}`), await n(ch, sql`SELECT countMerge(event_count) AS n FROM user_daily_held WHERE user = ${user}`)];
    expect({ fran: await held(FRAN), gus: await held(GUS) }).toEqual({ fran: [3, 3], gus: [2, 2] });
    expect(await n(ch, sql`SELECT count() AS n FROM access_events WHERE user IN (${FRAN}, ${GUS})`)).toBe(0);
  });
});
