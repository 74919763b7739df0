// The evaluation harness against the real Kafka and ClickHouse: the reference detectors on hand-made
// rows (what user_daily gives them), and `insider eval` end to end on a small organisation.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { severityRank } from '../../src/alerts';
import { caseOptions } from '../../src/cases';
import { DEFAULT_EVAL_END, isBulk, meanSdDetector, scoreCases, staticThresholdDetector, type EvaluationResult } from '../../src/evaluate';
import { createKafka } from '../../src/kafka';
import { createLogger } from '../../src/log';
import { createSimulation, type Labels } from '../../src/simulate';
import { createClickHouse, ident, migrate, sql, type ClickHouse } from '../../src/store';
import { testConfig, uniqueName } from '../helpers/env';

const BIN = path.join(__dirname, '..', '..', 'bin', 'insider.js');
const DAY = 86_400_000;
const D0 = Date.UTC(2026, 2, 1); // 2026-03-01, a Sunday

function insider(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('reference detectors on ClickHouse', () => {
  const config = testConfig();
  const database = uniqueName('it_eval_detectors');
  let ch: ClickHouse;

  let n = 0;
  const row = (user: string, at: number, bytes: number, status: 'ok' | 'error' = 'ok') => ({
    event_id: `e${++n}`,
    ts: Math.floor(at / 1000),
    ts_ms: at % 1000,
    user,
    action: 'EXPORT',
    bytes,
    rows: 1,
    source: 'pg',
    db_name: 'crm',
    table_name: 'customers',
    client_ip: '10.0.0.1',
    client_app: 'psql',
    session_id: 's',
    query_id: 'q',
    status,
    extra: '{}',
    ingested_at: Math.floor(at / 1000),
    kafka_topic: 't',
    kafka_partition: 0,
    kafka_offset: n,
  });

  beforeAll(async () => {
    const admin = createClickHouse(config.clickhouse, { database: 'default' });
    ch = createClickHouse(config.clickhouse, { database });
    await migrate(admin, ch);
    await admin.close();
    const rows = [];
    // "big": 0.8 GB that worked and a 5 GB export that failed (moves no data) on day 3; on day 5 two
    // halves of 1.6 GB either side of midnight UTC (neither UTC day is over 1 GB); day 8: 1.2 GB.
    rows.push(row('big', D0 + 3 * DAY + 10 * 3600e3, 4e8), row('big', D0 + 3 * DAY + 11 * 3600e3, 4e8), row('big', D0 + 3 * DAY + 12 * 3600e3, 5e9, 'error'));
    rows.push(row('big', D0 + 5 * DAY + 23.5 * 3600e3, 8e8), row('big', D0 + 6 * DAY + 0.5 * 3600e3, 8e8));
    rows.push(row('big', D0 + 8 * DAY + 9 * 3600e3, 6e8), row('big', D0 + 8 * DAY + 15 * 3600e3, 6e8));
    // "steady": about 100 MB every day for 12 days, then 900 MB in two events on day 12.
    for (let d = 0; d < 12; d++) rows.push(row('steady', D0 + d * DAY + 9 * 3600e3, 1e8 + d * 1e6));
    rows.push(row('steady', D0 + 12 * DAY + 9 * 3600e3, 4.5e8), row('steady', D0 + 12 * DAY + 16 * 3600e3, 4.5e8));
    await ch.insert('access_events', rows);
  });

  afterAll(async () => {
    const admin = createClickHouse(config.clickhouse, { database: 'default' });
    await admin.exec(sql`DROP DATABASE IF EXISTS ${ident(database)}`);
    await Promise.all([admin.close(), ch.close()]);
  });

  const period = { from: new Date(D0), to: new Date(D0 + 20 * DAY) };

  it('static-1gb flags only UTC days whose successful queries moved more than 1e9 bytes', async () => {
    const alerts = await staticThresholdDetector().detect({ ch, ...period });
    expect(alerts.map((a) => [a.user, a.windowStart.toISOString(), a.observedBytes, a.firedAt.toISOString()])).toEqual([
      ['big', '2026-03-09T00:00:00.000Z', 1.2e9, '2026-03-10T00:00:00.000Z'],
    ]);
    // A period that ends before day 8 sees nothing.
    expect(await staticThresholdDetector().detect({ ch, from: period.from, to: new Date(D0 + 8 * DAY) })).toEqual([]);
  });

  it('mean-3sd flags the steady user\'s spike day against their own trailing days', async () => {
    const alerts = await meanSdDetector().detect({ ch, ...period });
    const steady = alerts.filter((a) => a.user === 'steady');
    expect(steady.map((a) => [a.windowStart.toISOString(), a.observedBytes, a.firedAt.toISOString()])).toEqual([['2026-03-13T00:00:00.000Z', 9e8, '2026-03-14T00:00:00.000Z']]);
    expect(steady[0].reason).toMatch(/of the previous 12 days/);
    // Judged from a later start, the history before it still counts.
    const later = await meanSdDetector().detect({ ch, from: new Date(D0 + 12 * DAY), to: period.to });
    expect(later.filter((a) => a.user === 'steady')).toHaveLength(1);
  });
});

describe('insider eval', () => {
  const config = testConfig();
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'insider-eval-it-'));
  const options = { seed: 42, employees: 60, days: 45 };
  let run: { code: number | null; stdout: string; stderr: string };
  let result: EvaluationResult;
  let labels: Labels;

  beforeAll(async () => {
    // The same simulation the harness runs, generated here to know what the result must cover.
    const sim = createSimulation({ ...options, end: DEFAULT_EVAL_END });
    for (const _ of sim.days()) void _;
    labels = sim.labels();
    run = await insider(['eval', '--seed', '42', '--employees', '60', '--days', '45', '--out', out]);
    if (run.code !== 0) throw new Error(`insider eval failed (${run.code}):\n${run.stderr.slice(-4000)}`);
    result = JSON.parse(fs.readFileSync(path.join(out, 'eval-42.json'), 'utf8')) as EvaluationResult;
  }, 900_000);

  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it('prints the result file\'s path and shows progress on stderr', () => {
    expect(run.stdout.trimEnd().split('\n').pop()).toMatch(new RegExp(`^result: ${path.join(out, 'eval-42.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(\\d+\\.\\d s\\)$`));
    for (const step of ['simulate:', 'replay: done', 'ingest: ', 'detect: static-1gb', 'detect: mean-3sd', 'detect: insider']) expect(run.stderr).toContain(step);
  });

  it('stores every simulated event before detecting', () => {
    expect(result.seed).toBe(42);
    expect(result.params).toMatchObject({ employees: 60, days: 45, start: labels.start, end: labels.end, reusedSimulation: null });
    expect(result.data.events).toBe(labels.events);
    expect(result.data.stored).toBe(labels.events);
    expect(result.data.deadLettered).toBe(0);
    expect(result.data.users).toBe(labels.users);
    expect(result.data.userDays).toBe(labels.users * labels.days);
    expect(Number.isFinite(Date.parse(result.generatedAt))).toBe(true);
  });

  it('has every labelled scenario, each with a result from both reference detectors', () => {
    expect(labels.scenarios.filter((s) => s.expected === 'malicious').length).toBeGreaterThanOrEqual(7);
    expect(result.scenarios.map((s) => [s.id, s.kind, s.expected, s.user])).toEqual(labels.scenarios.map((s) => [s.id, s.kind, s.expected, s.user]));
    expect(result.detectors.map((d) => d.name)).toEqual(['static-1gb', 'mean-3sd', 'insider']);
    for (const s of result.scenarios) {
      for (const d of result.detectors) {
        const r = s.results[d.name];
        expect(r).toBeDefined();
        if (r.detected) {
          expect(r.timeToFirstAlertMs).toBeGreaterThanOrEqual(0);
          expect(Date.parse(r.firstAlertAt!) - Date.parse(s.start)).toBe(r.timeToFirstAlertMs);
          expect(r.severity).not.toBeNull();
          expect(r.alertUserDays).toBeGreaterThan(0);
        } else {
          expect(r).toMatchObject({ severity: null, firstAlertAt: null, timeToFirstAlertMs: null, firedBeforeEnd: null, alertUserDays: 0 });
        }
      }
      // Insider scenarios have a row each; benign look-alikes are counted by kind in the false-alert table.
      if (s.expected === 'malicious') expect(run.stdout).toMatch(new RegExp(`^${s.id}\\s+${s.kind}\\s`, 'm'));
      else expect(run.stdout).toMatch(new RegExp(`^${s.kind}\\s+\\d+\\s+\\d+\\s+\\d+\\s+\\d+$`, 'm'));
    }
  });

  it('reports metrics in range for both reference detectors', () => {
    const malicious = labels.scenarios.filter((s) => s.expected === 'malicious').length;
    for (const name of ['static-1gb', 'mean-3sd']) {
      const d = result.detectors.find((x) => x.name === name)!;
      const m = d.metrics;
      expect(m.maliciousScenarios).toBe(malicious);
      expect(m.detected).toBe(result.scenarios.filter((s) => s.expected === 'malicious' && s.results[name].detected).length);
      expect(m.recall).toBeCloseTo(m.detected / malicious, 12);
      expect(m.recall).toBeGreaterThan(0);
      expect(m.recall).toBeLessThanOrEqual(1);
      expect(m.rawAlerts).toBe(d.alerts.length);
      expect(m.alertUserDays).toBeGreaterThan(0);
      expect(m.alertUserDays).toBeLessThanOrEqual(m.rawAlerts);
      expect(m.trueAlertUserDays + m.falseAlertUserDays).toBe(m.alertUserDays);
      expect(m.precision).toBeCloseTo(m.trueAlertUserDays / m.alertUserDays, 12);
      expect(m.precision).toBeGreaterThan(0);
      expect(m.precision).toBeLessThanOrEqual(1);
      expect(m.userDays).toBe(result.data.userDays);
      expect(m.falseAlertsPer1000UserDays).toBeCloseTo((m.falseAlertUserDays * 1000) / m.userDays, 9);
      const benignTotal = Object.values(m.falseAlertsByBenignScenario).reduce((s, v) => s + v, 0);
      expect(benignTotal + m.unlabelledFalseAlerts).toBeGreaterThanOrEqual(m.falseAlertUserDays);
      expect(Object.keys(m.falseAlertsByBenignScenario).sort()).toEqual(labels.scenarios.filter((s) => s.expected === 'benign').map((s) => s.id).sort());
      expect(run.stdout).toMatch(new RegExp(`^${name}\\s+\\d+\\.\\d% \\(${m.detected}/${malicious}\\)`, 'm'));
    }
  });

  it('counts each detector\'s cases as the stored alerts group them, prints them, and keeps each caught insider in one case', () => {
    for (const d of result.detectors) {
      const c = d.cases;
      // Grouping the result file's own alerts again gives the same cases, true and false.
      const again = scoreCases(
        d.alerts.map((a) => ({ ...a, detector: d.name, windowStart: new Date(a.windowStart), windowEnd: new Date(a.windowEnd), firedAt: new Date(a.firedAt) })),
        labels.scenarios,
        { users: result.data.users, days: result.params.days },
        caseOptions(config),
      );
      expect(again).toEqual(c);
      expect(c.trueCases + c.falseCases).toBe(c.cases);
      // A case is at least one alert user-day of one person, and a person's days never make more cases than days.
      expect(c.cases).toBeGreaterThan(0);
      expect(c.cases).toBeLessThanOrEqual(d.metrics.alertUserDays);
      expect(c.falseCasesPer1000UserDays).toBeCloseTo((c.falseCases * 1000) / result.data.userDays, 9);
      expect(c.detectedScenarios).toBe(d.metrics.detected);
      expect(run.stdout).toMatch(new RegExp(`^${d.name}\\s+${c.cases}\\s+${c.casesPerDay!.toFixed(2)}\\s+${c.trueCases}\\s+${c.falseCases}\\s`, 'm'));
    }
    const engine = result.detectors.find((d) => d.name === 'insider')!.cases;
    expect(engine.splitScenarios).toEqual({});
    expect(engine.scenariosInOneCase).toBe(engine.detectedScenarios);
  });

  it('static-1gb detects the 20 GB bulk export, as a daily job at the end of its day', () => {
    const bulk = result.scenarios.find((s) => s.kind === 'bulk_export')!;
    expect(bulk.bytes).toBeGreaterThan(19e9);
    const r = bulk.results['static-1gb'];
    expect(r).toMatchObject({ detected: true, severity: 'critical', firedBeforeEnd: false });
    expect(Date.parse(r.firstAlertAt!)).toBe((Math.floor(Date.parse(bulk.start) / DAY) + 1) * DAY);
    const matching = result.detectors.find((d) => d.name === 'static-1gb')!.alerts.filter((a) => a.matches.includes(bulk.id));
    expect(matching).toHaveLength(1);
    expect(matching[0]).toMatchObject({ user: bulk.user, severity: 'critical' });
    expect(matching[0].observedBytes).toBeGreaterThanOrEqual(bulk.bytes);
  });

  it('the engine catches every bulk export (10x or more) before it ends, stamped with the crossing event', () => {
    const big = result.scenarios.filter((s) => s.expected === 'malicious' && isBulk(s));
    expect(big.length).toBeGreaterThanOrEqual(1);
    for (const s of big) expect(s.results.insider).toMatchObject({ detected: true, firedBeforeEnd: true });
    const bulk = result.scenarios.find((s) => s.kind === 'bulk_export')!;
    // Severity is calibrated on the organisation's own days: at least medium (1 in 10,000 ordinary user-days).
    expect(severityRank(bulk.results.insider.severity!)).toBeGreaterThanOrEqual(severityRank('medium'));
    // In event time, minutes after the first chunk: not at the end of the day like the reference jobs.
    expect(bulk.results.insider.timeToFirstAlertMs!).toBeLessThan(bulk.results['static-1gb'].timeToFirstAlertMs!);
    const engine = result.detectors.find((d) => d.name === 'insider')!;
    const alert = engine.alerts.find((a) => a.matches.includes(bulk.id))!;
    expect(alert.reason).toMatch(/anomaly: .* for them: expected/);
    expect(alert.reason).toContain('crm.customers (pii)');
  });

  it('drops its database and topic afterwards', async () => {
    const admin = createClickHouse(testConfig().clickhouse, { database: 'default' });
    const dbs = await admin.query<{ name: string }>(sql`SELECT name FROM system.databases WHERE name = ${result.data.database}`);
    await admin.close();
    expect(dbs).toEqual([]);
    const kafka = createKafka(testConfig().kafka, createLogger({ level: 'silent' }));
    const ka = kafka.admin();
    await ka.connect();
    const topics = await ka.listTopics();
    await ka.disconnect();
    expect(topics).not.toContain(result.data.topic);
    expect(result.data.kept).toBe(false);
  });

  it('refuses to reuse a directory that is not a simulation', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'insider-eval-empty-'));
    try {
      const r = await insider(['eval', '--reuse', empty, '--out', out]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`--reuse ${empty}: labels.json is missing`);
      expect(r.stderr).toContain('[EVALUATION_FAILED]');
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
