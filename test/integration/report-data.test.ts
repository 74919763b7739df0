// Audit reports on a simulated organisation (60 employees, 30 days, seed 7) in a fresh ClickHouse
// database: the detector's backfill raises alerts over the reported week, analysts act on some of them,
// then a report is written in every format. Each section's figures must equal the same figure computed
// here with SQL of its own, mostly on the raw access_events (the report reads the rollups). The PDF is
// rendered by the real Chromium and its pages, as PNG from pdftoppm, must not be blank.
//
// INSIDER_WRITE_SAMPLE_REPORT=1 also copies the report to docs/sample-report/ (docs/reports.md).
import { caseOptions } from '../../src/cases';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { parse as parseCsv } from 'csv-parse/sync';
import { listAlerts, writeAlerts } from '../../src/alerts';
import type { Config } from '../../src/config';
import { backfill } from '../../src/detect/backfill';
import { engineFor } from '../../src/detect/setup';
import { loadEngineInputs } from '../../src/triage/detector-inputs';
import { loadDirectory } from '../../src/evaluate/load';
import { generateReport, verifyReport, type GeneratedReport, type ReportData } from '../../src/report';
import { NOT_IN_DIRECTORY } from '../../src/report/data-context';
import { createSimulation, OUTPUT_FILES, writeSimulation } from '../../src/simulate';
import { inList, sql, type ClickHouse } from '../../src/store';
import { createPseudonyms } from '../../src/triage/pseudonyms';
import type { Actor } from '../../src/triage/audit';
import { actOnAlert, showAlert } from '../../src/triage/service';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** The simulated period ends on Monday 2026-11-23; the report covers the week before it. */
const END = Date.UTC(2026, 10, 23);
const PERIOD = { kind: 'week' as const, from: END - 7 * DAY, to: END };
const SAMPLE_DIR = path.join(__dirname, '..', '..', 'docs', 'sample-report');
const ANALYST: Actor = { name: 'ana.analyst', role: 'analyst', sourceIp: '10.20.0.5', requestId: 'report-test' };
const LEAD: Actor = { name: 'lee.lead', role: 'admin', sourceIp: '10.20.0.9', requestId: 'report-test' };

const NEW_HIRE = 'nia.newhire@corp.example';

/** Canonical events of a bulk read: `n` chunks of `bytes`, a minute apart. */
function exportEvents(user: string, at: number, n: number, bytes: number, database: string, table: string, action = 'EXPORT') {
  return Array.from({ length: n }, (_, i) => ({
    event_id: `extra-${user}-${at}-${i}`, ts: new Date(at + i * 60_000).toISOString(), user, action, bytes, rows: Math.round(bytes / 500), source: 'pg-extra-1',
    database, table, client_ip: '10.66.0.7', client_app: 'DBeaver', session_id: `extra-${at}`, query_id: `q-${i}`, status: 'ok',
  }));
}

const pseudonyms = createPseudonyms({ enabled: true, key: 'sample-report-key-not-a-secret' });
const num = (v: unknown) => Number(v);
const dt = (ms: number) => new Date(ms);
const dayLit = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe('audit report on simulated data (real ClickHouse and Chromium)', () => {
  const base = testConfig();
  let config: Readonly<Config>;
  let admin: ClickHouse;
  let ch: ClickHouse;
  let database: string;
  let tmp: string;
  let report: GeneratedReport;
  let data: ReportData;
  let sensitiveTables: string[];
  let ids: string[];

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'insider-report-'));
    database = uniqueName('itreport');
    ({ admin, ch } = await freshDatabase(database, base.clickhouse));

    // The organisation: directory and table catalog as files, events straight into ClickHouse (as the
    // ingester writes them; ingestion itself is tested elsewhere), a few dead letters in the week.
    const sim = createSimulation({ seed: 7, employees: 60, days: 30, end: END, scenarios: true });
    const simDir = path.join(tmp, 'sim');
    await writeSimulation(sim, { outDir: simDir });
    // A new hire who started in the reported week (too little history for an own baseline).
    fs.appendFileSync(path.join(simDir, OUTPUT_FILES.directory), `${NEW_HIRE},Nia Newhire,Analytics,data_analyst,,London,Europe/London,2026-11-16,,,human\n`);
    await loadDirectory(ch, path.join(simDir, OUTPUT_FILES.directory));
    ids = [...sim.directory.map((d) => d.id), NEW_HIRE];
    // Exports on top of the simulation, so that the week has alerts of several severities.
    const humans = sim.directory.filter((d) => d.account_type === 'human').map((d) => d.id);
    const extra = [
      ...exportEvents(humans[3], Date.UTC(2026, 10, 19, 14), 4, 2_500_000_000, 'crm', 'customers'),
      ...exportEvents(humans[10], Date.UTC(2026, 10, 20, 2), 6, 3_000_000_000, 'payments', 'card_transactions'),
      ...exportEvents(humans[20], Date.UTC(2026, 10, 21, 11), 3, 600_000_000, 'hr', 'salaries'),
      ...[17, 18, 19, 20].map((d, i) => exportEvents(NEW_HIRE, Date.UTC(2026, 10, d, 10), 1, 20_000_000 + i, 'analytics', 'kpi_daily', 'SELECT')[0]),
    ];
    const lines = [...fs.readFileSync(path.join(simDir, OUTPUT_FILES.events), 'utf8').split('\n').filter((l) => l !== ''), ...extra.map((e) => JSON.stringify(e))];
    const rows = lines.map((line, i) => {
      const e = JSON.parse(line) as Record<string, string | number>;
      const at = Date.parse(String(e.ts));
      const ts = new Date(at).toISOString().slice(0, 19).replace('T', ' ');
      return {
        event_id: e.event_id, ts, ts_ms: at % 1000, user: e.user, action: e.action, bytes: e.bytes, rows: e.rows, source: e.source, db_name: e.database, table_name: e.table,
        client_ip: e.client_ip, client_app: e.client_app, session_id: e.session_id, query_id: e.query_id, status: e.status, extra: '',
        ingested_at: ts, kafka_topic: 'simulated', kafka_partition: i % 4, kafka_offset: Math.floor(i / 4),
      };
    });
    for (let i = 0; i < rows.length; i += 20_000) await ch.insert('access_events', rows.slice(i, i + 20_000));
    const dead = (code: string, k: number) => ({
      kafka_topic: 'simulated', kafka_partition: 0, kafka_offset: 1_000_000 + k, kafka_ts: '2026-11-18 10:00:00', reason_code: code, reason: `test ${code}`,
      payload_bytes: 10, payload_preview: '{', dead_lettered_at: `2026-11-18 10:00:0${k}`,
    });
    await ch.insert('dead_letters', [dead('invalid_json', 1), dead('invalid_json', 2), dead('missing_field', 3), { ...dead('bad_timestamp', 4), dead_lettered_at: '2026-11-24 10:00:00' }]);

    const catalog = path.join(simDir, OUTPUT_FILES.tables);
    sensitiveTables = (parseCsv(fs.readFileSync(catalog, 'utf8'), { columns: true }) as Array<{ database: string; table: string; sensitivity: string }>)
      .filter((t) => t.sensitivity === 'pii' || t.sensitivity === 'payment')
      .map((t) => `${t.database}.${t.table}`);
    config = { ...base, clickhouse: { ...base.clickhouse, database }, detection: { ...base.detection, catalogFile: catalog, allowlistFile: path.join(simDir, OUTPUT_FILES.allowlist) } };

    // Alerts: the detector over the reported week, as `insider detect --backfill` runs it.
    const engine = engineFor(ch, config.detection, await loadEngineInputs(ch, config.detection), () => PERIOD.to);
    await backfill(ch, engine, PERIOD, (alerts) => writeAlerts(ch, alerts));

    // Analysts: acknowledge, resolve, view, inside the week (the service's clock set to those times).
    const alerts = (await listAlerts(ch, { from: PERIOD.from, to: PERIOD.to })).filter((a) => a.firedAt >= PERIOD.from && a.firedAt < PERIOD.to - 6 * HOUR).sort((a, b) => a.firedAt - b.firedAt);
    expect(alerts.length).toBeGreaterThanOrEqual(1);
    const deps = (at: number) => ({ ch, pseudonyms, now: () => at });
    const first = alerts[0];
    await showAlert(deps(first.firedAt + 20 * 60_000), ANALYST, first.alertId);
    await actOnAlert(deps(first.firedAt + 30 * 60_000), ANALYST, first.alertId, { action: 'acknowledge' });
    await actOnAlert(deps(first.firedAt + 3 * HOUR + 1234), LEAD, first.alertId, { action: 'resolve', disposition: 'true_positive', note: 'confirmed with the manager' });
    if (alerts.length > 1) await actOnAlert(deps(alerts[1].firedAt + 90 * 60_000), ANALYST, alerts[1].alertId, { action: 'acknowledge' });
    if (alerts.length > 2) await actOnAlert(deps(alerts[2].firedAt + 2 * HOUR), LEAD, alerts[2].alertId, { action: 'resolve', disposition: 'false_positive' });
    // An action after the report's as-of time must not count.
    if (alerts.length > 1) await actOnAlert(deps(PERIOD.to + HOUR), LEAD, alerts[1].alertId, { action: 'resolve', disposition: 'expected_activity' });

    report = await generateReport({
      ch,
      period: PERIOD,
      formats: ['html', 'pdf', 'csv', 'json'],
      outDir: path.join(tmp, 'report'),
      pseudonyms,
      catalog: (await loadEngineInputs(ch, config.detection)).catalog,
      // The analysts' actions are stamped in the week (a clock set back), the alerts were stored now: with
      // cases.afterResolution "new" every alert would count as stored after those resolutions.
      settings: { topUsers: 10, gapHours: 2, baselineDays: config.detection.baselineDays, minHistoryDays: config.detection.minHistoryDays, cases: { ...caseOptions(testConfig()), afterResolution: 'reopen' } },
      chromiumPath: '/usr/bin/chromium',
      now: Date.UTC(2026, 10, 23, 6, 0, 0),
      asOf: PERIOD.to,
    });
    data = report.data;
    if (process.env.INSIDER_WRITE_SAMPLE_REPORT) {
      fs.rmSync(SAMPLE_DIR, { recursive: true, force: true });
      fs.cpSync(report.dir, SAMPLE_DIR, { recursive: true });
    }
  }, 240_000);

  afterAll(async () => {
    await dropDatabase(database, { admin, ch });
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const inPeriod = sql`ts >= ${dt(PERIOD.from)} AND ts < ${dt(PERIOD.to)}`;

  it('writes every format, and the manifest verifies every file by SHA-256', () => {
    expect(report.files).toEqual(expect.arrayContaining(['report.html', 'report.pdf', 'report.json', 'manifest.json', 'csv/alerts.csv', 'csv/top-users.csv', 'csv/summary.csv']));
    const v = verifyReport(report.dir, report.manifestSha256);
    expect(v.problems).toEqual([]);
    expect(v.checked).toBe(report.files.length - 1);
    // A changed byte is found.
    const csv = path.join(report.dir, 'csv', 'sources.csv');
    const original = fs.readFileSync(csv);
    fs.writeFileSync(csv, Buffer.concat([original, Buffer.from('x')]));
    expect(verifyReport(report.dir).problems).toEqual([expect.stringContaining('csv/sources.csv: changed')]);
    fs.writeFileSync(csv, original);
    expect(JSON.parse(fs.readFileSync(path.join(report.dir, 'report.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(data)));
  });

  it('period summary equals the raw events', async () => {
    const [t] = await ch.query<Record<string, string>>(sql`
      SELECT count() AS n, sum(if(status = 'ok', bytes, 0)) AS b, sum(status = 'error') AS f, uniqExact(user) AS u FROM access_events WHERE ${inPeriod}`);
    expect([data.summary.events, data.summary.bytes, data.summary.failedEvents, data.summary.activeUsers]).toEqual([num(t.n), num(t.b), num(t.f), num(t.u)]);
    expect(data.summary.events).toBeGreaterThan(1000);
    const sources = await ch.query<Record<string, string>>(sql`
      SELECT source AS s, count() AS n, sum(if(status = 'ok', bytes, 0)) AS b, uniqExact(user) AS u, sum(if(status = 'ok' AND bytes_estimated = 1, bytes, 0)) AS e
      FROM access_events WHERE ${inPeriod} GROUP BY source ORDER BY s`);
    expect([...data.summary.sources].sort((a, b) => (a.source < b.source ? -1 : 1))).toEqual(
      sources.map((r) => ({ source: r.s, events: num(r.n), bytes: num(r.b), users: num(r.u), estimatedBytes: num(r.e) })),
    );
    const daily = await ch.query<Record<string, string>>(sql`
      SELECT toString(toDate(ts)) AS d, count() AS n, sum(if(status = 'ok', bytes, 0)) AS b FROM access_events WHERE ${inPeriod} GROUP BY d ORDER BY d`);
    expect(data.summary.daily).toEqual(daily.map((r) => ({ day: r.d, events: num(r.n), bytes: num(r.b) })));
  });

  it('top downloaders and their baselines equal the raw events', async () => {
    const top = await ch.query<Record<string, string>>(sql`
      SELECT user AS who, sum(if(status = 'ok', bytes, 0)) AS b, count() AS n FROM access_events WHERE ${inPeriod} GROUP BY user ORDER BY b DESC, who LIMIT 10`);
    expect(data.topUsers.users.map((u) => [u.user, u.bytes, u.events])).toEqual(top.map((r) => [pseudonyms.of(r.who), num(r.b), num(r.n)]));
    const users = top.map((r) => r.who);
    const baselines = await ch.query<Record<string, string>>(sql`
      SELECT who, count() AS n, quantileExact(0.1)(b) AS p10, quantileExact(0.5)(b) AS p50, quantileExact(0.9)(b) AS p90
      FROM (
        SELECT user AS who, toDate(ts) AS d, sum(if(status = 'ok', bytes, 0)) AS b FROM access_events
        WHERE user IN ${inList(users)} AND ts >= ${dt(PERIOD.from - 28 * DAY)} AND ts < ${dt(PERIOD.from)}
        GROUP BY who, d HAVING b > 0
      ) GROUP BY who`);
    const byUser = new Map(baselines.map((r) => [pseudonyms.of(r.who), { days: num(r.n), p10: num(r.p10), median: num(r.p50), p90: num(r.p90) }]));
    for (const u of data.topUsers.users) expect([u.user, u.baseline]).toEqual([u.user, byUser.get(u.user) ?? null]);
    // The peak day and its ratio to the baseline median, per user.
    const peaks = await ch.query<Record<string, string>>(sql`
      SELECT who, argMax(d, b) AS peak_day, max(b) AS peak FROM (
        SELECT user AS who, toString(toDate(ts)) AS d, sum(if(status = 'ok', bytes, 0)) AS b FROM access_events WHERE ${inPeriod} AND user IN ${inList(users)} GROUP BY who, d
      ) GROUP BY who`);
    for (const p of peaks) {
      const u = data.topUsers.users.find((x) => x.user === pseudonyms.of(p.who))!;
      expect(u.peakBytes).toBe(num(p.peak));
      if (u.baseline) expect(u.peakRatio).toBeCloseTo(num(p.peak) / u.baseline.median, 9);
    }
  });

  it('volume per department (and per day) equals the raw events joined with the directory', async () => {
    // Named (AS dir below): 26.x requires an alias on a joined subquery; 18.16 accepts one.
    const current = sql`(SELECT id AS user, department FROM directory_entries WHERE version = (SELECT max(version) FROM directory_versions))`;
    const depts = await ch.query<Record<string, string>>(sql`
      SELECT department AS dep, uniqExact(user) AS u, count() AS n, sum(if(status = 'ok', bytes, 0)) AS b
      FROM access_events ANY LEFT JOIN ${current} AS dir USING user
      WHERE ${inPeriod} GROUP BY dep ORDER BY dep`);
    const expected = depts.map((r) => ({ department: r.dep || NOT_IN_DIRECTORY, activeUsers: num(r.u), events: num(r.n), bytes: num(r.b) }));
    expect(data.departments.departments.map(({ share: _, ...d }) => d).sort((a, b) => (a.department < b.department ? -1 : 1))).toEqual(expected.sort((a, b) => (a.department < b.department ? -1 : 1)));
    const daily = await ch.query<Record<string, string>>(sql`
      SELECT toString(toDate(ts)) AS d, department AS dep, sum(if(status = 'ok', bytes, 0)) AS b
      FROM access_events ANY LEFT JOIN ${current} AS dir USING user
      WHERE ${inPeriod} GROUP BY d, dep`);
    for (const r of daily) expect(data.departments.daily.find((x) => x.day === r.d)!.bytes[r.dep || NOT_IN_DIRECTORY]).toBe(num(r.b));
    expect(data.departments.departments.length).toBeGreaterThan(3);
  });

  it('access to sensitive tables equals the raw events on the tables the catalog marks pii or payment', async () => {
    const rows = await ch.query<Record<string, string>>(sql`
      SELECT concat(db_name, '.', table_name) AS t, uniqExact(user) AS u, count() AS n, sum(if(status = 'ok', bytes, 0)) AS b, sum(if(status = 'ok', rows, 0)) AS r
      FROM access_events WHERE ${inPeriod} AND concat(db_name, '.', table_name) IN ${inList(sensitiveTables)}
      GROUP BY t ORDER BY t`);
    expect(rows.length).toBeGreaterThan(0);
    expect(data.sensitive.tables.map(({ sensitivity: _, ...t }) => t).sort((a, b) => (a.table < b.table ? -1 : 1))).toEqual(rows.map((r) => ({ table: r.t, users: num(r.u), events: num(r.n), bytes: num(r.b), rows: num(r.r) })));
    const users = await ch.query<Record<string, string>>(sql`
      SELECT user AS who, uniqExact(concat(db_name, '.', table_name)) AS t, count() AS n, sum(if(status = 'ok', bytes, 0)) AS b
      FROM access_events WHERE ${inPeriod} AND concat(db_name, '.', table_name) IN ${inList(sensitiveTables)} GROUP BY who`);
    expect(data.sensitive.users.length).toBe(users.length);
    for (const r of users) expect(data.sensitive.users.find((u) => u.user === pseudonyms.of(r.who))).toMatchObject({ tables: num(r.t), events: num(r.n), bytes: num(r.b) });
  });

  it('every alert of the period with severity, status, disposition and times to acknowledge and resolve', async () => {
    const alerts = await ch.query<Record<string, string>>(sql`
      SELECT alert_id AS id, argMax(toString(severity), revision) AS sev, argMax(toUInt64(fired_at) * 1000 + fired_at_ms, revision) AS fired
      FROM alerts GROUP BY alert_id HAVING fired >= ${PERIOD.from} AND fired < ${PERIOD.to} ORDER BY id`);
    expect(alerts.length).toBeGreaterThan(0);
    expect(data.alerts.total).toBe(alerts.length);
    expect(data.alerts.alerts.map((a) => [a.alertId, a.severity]).sort()).toEqual(alerts.map((r) => [r.id, r.sev]).sort());
    for (const sev of ['low', 'medium', 'high', 'critical'] as const) expect(data.alerts.bySeverity[sev]).toBe(alerts.filter((r) => r.sev === sev).length);
    expect(data.alerts.daily.reduce((s, d) => s + d.low + d.medium + d.high + d.critical, 0)).toBe(alerts.length);

    const asOf = PERIOD.to;
    const acts = await ch.query<Record<string, string>>(sql`
      SELECT alert_id AS id,
             minIf(toUInt64(at) * 1000 + at_ms, action IN ('acknowledge', 'resolve')) AS ack,
             maxIf(toUInt64(at) * 1000 + at_ms, action = 'resolve') AS res,
             argMaxIf(disposition, toUInt64(at) * 1000 + at_ms, action = 'resolve') AS disp
      FROM alert_actions WHERE toUInt64(at) * 1000 + at_ms <= ${asOf} GROUP BY alert_id`);
    const fired = new Map(alerts.map((r) => [r.id, num(r.fired)]));
    let resolved = 0;
    for (const r of acts.filter((x) => fired.has(x.id))) {
      const a = data.alerts.alerts.find((x) => x.alertId === r.id)!;
      expect(a.timeToAcknowledgeMs).toBe(num(r.ack) - fired.get(r.id)!);
      if (num(r.res) > 0) {
        resolved++;
        expect([a.status, a.disposition, a.timeToResolveMs]).toEqual(['resolved', r.disp, num(r.res) - fired.get(r.id)!]);
      } else {
        expect([a.status, a.timeToResolveMs]).toEqual(['acknowledged', null]);
      }
    }
    expect(data.alerts.byStatus.resolved).toBe(resolved);
    expect(resolved).toBeGreaterThanOrEqual(1);
    expect(data.alerts.byStatus.acknowledged).toBe(acts.filter((x) => fired.has(x.id) && num(x.res) === 0).length);
    expect(data.alerts.byStatus.open).toBe(alerts.length - acts.filter((x) => fired.has(x.id)).length);
    expect(data.alerts.byDisposition.true_positive).toBe(1);
    expect(data.alerts.total).toBeGreaterThanOrEqual(3);
    expect(data.alerts.byStatus.acknowledged).toBeGreaterThanOrEqual(1);
  });

  it('cases: the week\'s alerts one case per employee (a week is within the quiet period), first alert, closing and time to triage', () => {
    // The backfill judged only this week, so every alert of the period opens or joins a case of the period.
    const users = [...new Set(data.alerts.alerts.map((a) => a.user))].sort();
    expect(data.cases.opened).toBe(users.length);
    expect(data.cases.cases.map((c) => c.user).sort()).toEqual(users);
    expect(data.cases.cases.reduce((n, c) => n + c.alerts, 0)).toBe(data.alerts.total);
    for (const c of data.cases.cases) {
      const theirs = data.alerts.alerts.filter((a) => a.user === c.user).sort((a, b) => a.firedAt.localeCompare(b.firedAt) || (a.alertId < b.alertId ? -1 : 1));
      expect([c.caseOf, c.openedAt]).toEqual([theirs[0].alertId, theirs[0].firedAt]);
      const closed = theirs.every((a) => a.status === 'resolved');
      expect(c.status).toBe(closed ? 'closed' : 'open');
      expect(c.disposition).toBe(closed ? (new Set(theirs.map((a) => a.disposition)).size === 1 ? theirs[0].disposition : 'mixed') : null);
    }
    // The first alert of the week was acknowledged 30 minutes after it fired: its case's time to triage.
    const first = [...data.alerts.alerts].sort((a, b) => a.firedAt.localeCompare(b.firedAt))[0];
    expect(data.cases.cases.find((c) => c.caseOf === first.alertId)!.timeToTriageMs).toBe(30 * 60_000);
    expect(data.cases.openAtEnd).toBe(data.cases.cases.filter((c) => c.status === 'open').length);
    expect(data.cases.closed).toBe(data.cases.cases.filter((c) => c.status === 'closed').length);
  });

  it('open alerts by age: every alert fired by the as-of time without a resolution by then', async () => {
    const open = await ch.query<Record<string, string>>(sql`
      SELECT alert_id AS id, argMax(toUInt64(fired_at) * 1000 + fired_at_ms, revision) AS fired FROM alerts
      WHERE alert_id NOT IN (SELECT alert_id FROM alert_actions WHERE action = 'resolve' AND toUInt64(at) * 1000 + at_ms <= ${PERIOD.to})
      GROUP BY alert_id HAVING fired <= ${PERIOD.to}`);
    expect(data.openAlerts.total).toBe(open.length);
    expect(data.openAlerts.alerts.map((a) => a.alertId).sort()).toEqual(open.map((r) => r.id).sort());
    const under1 = open.filter((r) => PERIOD.to - num(r.fired) < DAY).length;
    expect(data.openAlerts.byAge[0].total).toBe(under1);
    expect(data.openAlerts.byAge.reduce((s, b) => s + b.total, 0)).toBe(open.length);
  });

  it('analyst actions equal the audit trail of the period', async () => {
    const rows = await ch.query<Record<string, string>>(sql`
      SELECT action AS a, count() AS n FROM audit_log WHERE at >= ${dt(PERIOD.from)} AND at < ${dt(PERIOD.to)} GROUP BY a ORDER BY a`);
    expect([...data.analystActions.byAction].sort((a, b) => (a.action < b.action ? -1 : 1))).toEqual(rows.map((r) => ({ action: r.a, count: num(r.n) })));
    expect(data.analystActions.total).toBe(rows.reduce((s, r) => s + num(r.n), 0));
    expect(data.analystActions.byAction.map((a) => a.action)).toEqual(expect.arrayContaining(['alert.acknowledge', 'alert.resolve', 'alert.view']));
  });

  it('detection coverage: employees with fewer active days than the baseline needs', async () => {
    const people = await ch.query<Record<string, string>>(sql`
      SELECT id FROM directory_entries
      WHERE version = (SELECT max(version) FROM directory_versions) AND account_type = 'human'
        AND (isNull(hire_date) OR hire_date <= toDate(${dayLit(PERIOD.to - DAY)})) AND (isNull(end_date) OR end_date >= toDate(${dayLit(PERIOD.from)}))`);
    const active = await ch.query<Record<string, string>>(sql`
      SELECT user AS who, uniqExact(toDate(ts)) AS n FROM access_events
      WHERE status = 'ok' AND bytes > 0 AND ts >= ${dt(PERIOD.to - config.detection.baselineDays * DAY)} AND ts < ${dt(PERIOD.to)} GROUP BY who`);
    const days = new Map(active.map((r) => [r.who, num(r.n)]));
    const short = people.filter((p) => (days.get(p.id) ?? 0) < config.detection.minHistoryDays);
    expect(data.coverage.employees).toBe(people.length);
    expect(data.coverage.insufficient.map((x) => [x.user, x.activeDays]).sort()).toEqual(short.map((p) => [pseudonyms.of(p.id), days.get(p.id) ?? 0]).sort());
    expect(data.coverage.covered).toBe(people.length - short.length);
    expect(data.coverage.insufficient.map((x) => x.user)).toContain(pseudonyms.of(NEW_HIRE));
  });

  it('data quality: dead letters of the period and hours without events', async () => {
    const dead = await ch.query<Record<string, string>>(sql`
      SELECT reason_code AS r, count() AS n FROM dead_letters WHERE dead_lettered_at >= ${dt(PERIOD.from)} AND dead_lettered_at < ${dt(PERIOD.to)} GROUP BY r ORDER BY r`);
    expect([...data.dataQuality.deadLetters.byReason].sort((a, b) => (a.reason < b.reason ? -1 : 1))).toEqual(dead.map((r) => ({ reason: r.r, count: num(r.n) })));
    expect(data.dataQuality.deadLetters.total).toBe(3);
    const [hours] = await ch.query<Record<string, string>>(sql`SELECT uniqExact(toStartOfHour(ts)) AS h FROM access_events WHERE ${inPeriod}`);
    expect(data.dataQuality.hours).toEqual({ total: 168, withEvents: num(hours.h) });
    const gapHours = data.dataQuality.gaps.reduce((s, g) => s + g.hours, 0);
    expect(gapHours).toBeLessThanOrEqual(168 - num(hours.h));
    const [batches] = await ch.query<Record<string, string>>(sql`
      SELECT count() AS n, sum(events) AS e FROM ingest_batches WHERE inserted_at >= ${dt(PERIOD.from)} AND inserted_at < ${dt(PERIOD.to)}`);
    expect(data.dataQuality.ingestion).toEqual({ batches: num(batches.n), events: num(batches.e) });
  });

  it('CSV files hold the same rows as the JSON, and no employee id appears anywhere (pseudonymised)', () => {
    const read = (f: string) => parseCsv(fs.readFileSync(path.join(report.dir, 'csv', f), 'utf8'), { columns: true }) as Array<Record<string, string>>;
    expect(read('alerts.csv').map((r) => r.alert_id)).toEqual(data.alerts.alerts.map((a) => a.alertId));
    expect(read('top-users.csv').map((r) => [r.employee, Number(r.bytes)])).toEqual(data.topUsers.users.map((u) => [u.user, u.bytes]));
    expect(Object.fromEntries(read('summary.csv').map((r) => [r.figure, r.value]))).toMatchObject({ events: String(data.summary.events), bytes: String(data.summary.bytes), alerts: String(data.alerts.total) });
    expect(read('audit.csv')).toHaveLength(data.analystActions.total);
    const texts = report.files.filter((f) => !f.endsWith('.pdf')).map((f) => fs.readFileSync(path.join(report.dir, f), 'utf8'));
    const leaked = ids.filter((id) => texts.some((t) => t.includes(id)));
    expect(leaked).toEqual([]);
    const html = fs.readFileSync(path.join(report.dir, 'report.html'), 'utf8');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect((html.match(/<svg /g) ?? []).length).toBe(3);
  });

  it('the PDF, rendered by Chromium, has pages that pdftoppm turns into non-blank PNGs', () => {
    const pdf = path.join(report.dir, 'report.pdf');
    expect(fs.readFileSync(pdf).subarray(0, 5).toString()).toBe('%PDF-');
    const out = path.join(tmp, 'pages');
    fs.mkdirSync(out);
    execFileSync('pdftoppm', ['-png', '-r', '50', pdf, path.join(out, 'page')]);
    const pages = fs.readdirSync(out).filter((f) => f.endsWith('.png')).sort();
    expect(pages.length).toBeGreaterThanOrEqual(2);
    for (const p of pages) {
      const img = decodeGrayPng(fs.readFileSync(path.join(out, p)));
      expect(img.width).toBeGreaterThan(300);
      const dark = img.pixels.filter((v) => v < 200).length / img.pixels.length;
      // Text, tables or charts: more than 0.5% of the page is not white.
      expect({ page: p, inked: dark > 0.005 }).toEqual({ page: p, inked: true });
    }
  });
});

/** A minimal PNG reader for pdftoppm's output (8-bit gray, RGB or RGBA; IDAT zlib; scanline filters 0-4), as gray levels. */
function decodeGrayPng(buf: Buffer): { width: number; height: number; pixels: Uint8Array } {
  if (buf.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let off = 8;
  let width = 0;
  let height = 0;
  let channels = 1;
  const idat: Buffer[] = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    const body = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const channelsOf: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };
      if (body[8] !== 8 || !(body[9] in channelsOf) || body[12] !== 0) throw new Error(`unsupported PNG: depth ${body[8]}, colour type ${body[9]}, interlace ${body[12]}`);
      channels = channelsOf[body[9]];
    } else if (type === 'IDAT') idat.push(body);
    off += 12 + len;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x];
      const a = x >= channels ? out[y * stride + x - channels] : 0;
      const b = y > 0 ? out[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? out[(y - 1) * stride + x - channels] : 0;
      let p = 0;
      if (filter === 1) p = a;
      else if (filter === 2) p = b;
      else if (filter === 3) p = (a + b) >> 1;
      else if (filter === 4) {
        const e = a + b - c;
        const pa = Math.abs(e - a);
        const pb = Math.abs(e - b);
        const pc = Math.abs(e - c);
        p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[y * stride + x] = (v + p) & 0xff;
    }
  }
  const colours = channels === 2 || channels === 4 ? channels - 1 : channels;
  const pixels = new Uint8Array(width * height);
  for (let i = 0; i < width * height; i++) {
    let sum = 0;
    for (let k = 0; k < colours; k++) sum += out[i * channels + k];
    pixels[i] = Math.round(sum / colours);
  }
  return { width, height, pixels };
}
