// Backfill benchmark: `detect --once` over a simulated period. A simulated organisation's events are
// stored in a ClickHouse database of the bench's own (migrated, directory loaded), then the backfill the
// CLI runs (src/detect/backfill.ts, the same engine set-up as `detect --once`) judges the whole period.
// References measured in the same run on the same events: (a) the plain read (storedEvents for every
// hour, no engine), (b) the engine alone on the events already in memory (hour by hour, as the backfill
// hands them over). The alerts' digest (count and a hash of ids, revisions and severities) must not
// change when the backfill is made faster. A figure, not a test: the machine is shared, compare ratios.
// Each step's CPU seconds are printed too, this process's and ClickHouse's query threads' (system.events):
// on a machine of few cores their sum over the cores bounds the time more steadily than the clock.
//
//   npm run bench:backfill -- [--employees 500] [--days 60] [--seed 7] [--keep] [--reuse DATABASE]
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import { stringify } from 'csv-stringify/sync';
import type { AlertRecord } from '../src/alerts';
import { dayOf, MS_PER_DAY, MS_PER_HOUR } from '../src/calendar';
import { backfill, engineFor, storedEvents, type DetectEvent } from '../src/detect';
import { parseDirectory, storeDirectory } from '../src/directory';
import { accessEventRows } from '../src/ingest/event-rows';
import type { StoredEvent } from '../src/ingest/event-rows';
import { createSimulation, DIRECTORY_COLUMNS, type SimEvent } from '../src/simulate';
import { encodeRows, sql, type ClickHouse } from '../src/store';
import { loadEngineInputs } from '../src/triage';
import { benchDatabase } from '../test/helpers/database';
import { testConfig } from '../test/helpers/env';

interface Options {
  employees: number;
  days: number;
  seed: number;
  keep: boolean;
  reuse?: string;
}

/** A simulated event as the ingester stores it. */
function storedOf(e: SimEvent, offset: number): StoredEvent {
  return {
    event_id: e.event_id,
    ts: Math.floor(e.at / 1000),
    ts_ms: e.at % 1000,
    user: e.user,
    action: e.action,
    bytes: e.bytes,
    rows: e.rows ?? 0,
    source: e.source ?? '',
    db_name: e.database ?? '',
    table_name: e.table ?? '',
    client_ip: e.client_ip ?? '',
    client_app: e.client_app ?? '',
    session_id: e.session_id ?? '',
    query_id: e.query_id ?? '',
    status: e.status === 'error' ? 'error' : 'ok',
    bytes_estimated: 0,
    identity: '',
    extra: '',
    ingested_at: Math.floor(e.at / 1000),
    kafka_topic: 'bench',
    kafka_partition: 0,
    kafka_offset: offset,
  };
}

/** The simulation into `ch`: events, directory; the catalog and allowlist as files (as `detect` reads them). */
async function build(ch: ClickHouse, dir: string, o: Options, end: number): Promise<{ events: number; start: number }> {
  const sim = createSimulation({ seed: o.seed, employees: o.employees, days: o.days, end });
  const csv = stringify(sim.directory.map((r) => DIRECTORY_COLUMNS.map((c) => r[c])), { header: true, columns: [...DIRECTORY_COLUMNS] });
  const parsed = parseDirectory(csv, { source: 'bench' });
  await storeDirectory(ch, parsed.entries, { source: 'bench', checksum: parsed.checksum });
  let events = 0;
  for (const day of sim.days()) {
    for (let i = 0; i < day.events.length; i += 100_000) {
      const rows = day.events.slice(i, i + 100_000).map((e) => storedOf(e, events++));
      await ch.insert('access_events', rows, { encoded: encodeRows(accessEventRows, rows) });
    }
  }
  fs.writeFileSync(path.join(dir, 'tables.csv'), stringify(sim.tables.map((t) => [t.database, t.table, t.sensitivity]), { header: true, columns: ['database', 'table', 'sensitivity'] }));
  fs.writeFileSync(path.join(dir, 'allowlist.json'), `${JSON.stringify({ entries: sim.allowlist }, null, 2)}\n`);
  return { events, start: sim.start };
}

/** CPU seconds of ClickHouse's query threads so far (user and system; counted by 18.16 and later). */
async function clickhouseCpu(ch: ClickHouse): Promise<number> {
  const rows = await ch.query<{ us: string }>(sql`SELECT toString(sum(value)) AS us FROM system.events WHERE event IN ('UserTimeMicroseconds', 'SystemTimeMicroseconds')`);
  return Number(rows[0]?.us ?? 0) / 1e6;
}

/** Times `step`: its wall-clock seconds, this process's CPU seconds and ClickHouse's. */
async function timed<T>(ch: ClickHouse, step: () => Promise<T>): Promise<{ result: T; wall: number; cpu: number; clickhouse: number }> {
  const chBefore = await clickhouseCpu(ch);
  const cpuBefore = process.cpuUsage();
  const t = performance.now();
  const result = await step();
  const wall = (performance.now() - t) / 1000;
  const used = process.cpuUsage(cpuBefore);
  return { result, wall, cpu: (used.user + used.system) / 1e6, clickhouse: (await clickhouseCpu(ch)) - chBefore };
}

/** Count and a hash of every revision's id, revision and severity, in the order they were stored. */
function digest(alerts: ReadonlyArray<AlertRecord>): string {
  const h = crypto.createHash('sha256');
  for (const a of alerts) h.update(`${a.alertId}\t${a.revision}\t${a.severity}\t${a.score}\n`);
  return `${alerts.length} revisions, ${new Set(alerts.map((a) => a.alertId)).size} alerts, sha256 ${h.digest('hex').slice(0, 16)}`;
}

async function main(): Promise<void> {
  const o = new Command()
    .description('Time `detect --once` over a simulated period, against a plain read and the engine alone')
    .option('--employees <n>', 'simulated employees', (v) => Number(v), 500)
    .option('--days <n>', 'days of the period', (v) => Number(v), 60)
    .option('--seed <n>', 'seed of the simulation', (v) => Number(v), 7)
    .option('--keep', 'keep the database (print its name) for --reuse', false)
    .option('--reuse <database>', 'a database kept by an earlier run with the same options (skips the build)')
    .parse()
    .opts<Options>();
  const config = testConfig();
  const end = Date.UTC(2026, 9, 1);
  const from = end - o.days * MS_PER_DAY;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-backfill-'));
  const db = await benchDatabase('bench_backfill', config.clickhouse, o.reuse);
  const database = db.database;
  const load = os.loadavg()[0];
  try {
    const t0 = performance.now();
    // The files are written by the build; a reused database needs them again (a build without inserting is cheap).
    const built = o.reuse ? null : await build(db.ch, dir, o, end);
    if (o.reuse) {
      const sim = createSimulation({ seed: o.seed, employees: o.employees, days: o.days, end });
      fs.writeFileSync(path.join(dir, 'tables.csv'), stringify(sim.tables.map((t) => [t.database, t.table, t.sensitivity]), { header: true, columns: ['database', 'table', 'sensitivity'] }));
      fs.writeFileSync(path.join(dir, 'allowlist.json'), `${JSON.stringify({ entries: sim.allowlist }, null, 2)}\n`);
    }
    const buildSeconds = (performance.now() - t0) / 1000;
    const detection = { ...config.detection, catalogFile: path.join(dir, 'tables.csv'), allowlistFile: path.join(dir, 'allowlist.json') };
    const inputs = await loadEngineInputs(db.ch, detection);
    const hours = Math.ceil((end - from) / MS_PER_HOUR);
    // As `detect --once` over a past period: every day before the last is settled.
    const settledUntil = dayOf(end - 1) - 1;

    // (a) The plain read: every hour's events, as the backfill asked for them before, no engine.
    const read = await timed(db.ch, async () => {
      const out: DetectEvent[][] = [];
      for (let h = 0; h < hours; h++) out.push(await storedEvents(db.ch, from + h * MS_PER_HOUR, from + (h + 1) * MS_PER_HOUR));
      return out;
    });
    const byHour = read.result;
    const events = byHour.reduce((n, b) => n + b.length, 0);

    // (b) The engine alone on the events in memory (its day histories come from ClickHouse, as in the backfill).
    const memEngine = engineFor(db.ch, detection, inputs, () => 0, { settledUntil });
    const memAlerts: AlertRecord[] = [];
    const alone = await timed(db.ch, async () => {
      for (const batch of byHour) memAlerts.push(...(await memEngine.process(batch)));
    });
    byHour.length = 0;

    // The backfill as `detect --once` runs it (the sink keeps the revisions instead of storing them).
    const engine = engineFor(db.ch, detection, inputs, () => 0, { settledUntil });
    const stored: AlertRecord[] = [];
    const run = await timed(db.ch, () => backfill(db.ch, engine, { from, to: end }, async (a) => void stored.push(...a)));

    const cores = os.cpus().length;
    const rate = (s: number) => `${Math.round(events / s).toLocaleString('en').padStart(9)} events/s`;
    process.stdout.write(
      `backfill benchmark: ${o.employees} employees x ${o.days} days (seed ${o.seed}), ${events.toLocaleString('en')} events, ${hours} hours` +
        `${built ? `, built in ${buildSeconds.toFixed(0)} s` : `, database ${database} reused`} (load average ${load.toFixed(2)} on ${cores} cores${load > 1 ? ': the machine is busy, compare the ratios' : ''})\n\n`,
    );
    process.stdout.write('what                                         time        rate                 /backfill   CPU: this process, ClickHouse\n');
    const row = (what: string, s: { wall: number; cpu: number; clickhouse: number }) =>
      process.stdout.write(
        `${what.padEnd(44)} ${s.wall.toFixed(2).padStart(7)} s  ${rate(s.wall)}   ${(s.wall / run.wall).toFixed(2).padStart(6)}   ${s.cpu.toFixed(2).padStart(6)} s, ${s.clickhouse.toFixed(2).padStart(5)} s\n`,
      );
    row('backfill (detect --once)', run);
    row('(a) plain read, storedEvents per hour', read);
    row('(b) engine alone, events in memory', alone);
    const cpu = (run.cpu + run.clickhouse) / cores;
    process.stdout.write(
      `\nthe backfill's CPU over ${cores} cores: ${cpu.toFixed(2)} s, ${rate(cpu).trim()} at most were it spread perfectly; this process alone: ${rate(run.cpu).trim()} at most on one thread\n`,
    );
    process.stdout.write(`alerts, backfill:      ${digest(stored)}\nalerts, engine alone:  ${digest(memAlerts)}${digest(stored) === digest(memAlerts) ? '  (identical)' : '  (DIFFERENT)'}\n`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await db.done(o.keep);
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
