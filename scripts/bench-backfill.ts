// Backfill benchmark: `detect --once` over a simulated period. A simulated organisation's events are
// stored in a ClickHouse database of the bench's own (migrated, directory loaded), then the backfill the
// CLI runs (src/detect/backfill.ts, the same engine set-up as `detect --once`) judges the whole period.
// References measured in the same run on the same events: (a) the plain read (storedEvents for every
// hour, no engine), (b) the engine alone on the events already in memory (hour by hour, as the backfill
// hands them over). The alerts' digest (count and a hash of ids, revisions and severities) must not
// change when the backfill is made faster. A figure, not a test: the machine is shared, compare ratios.
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
import { encodeRows, type ClickHouse } from '../src/store';
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
    let t = performance.now();
    const byHour: DetectEvent[][] = [];
    for (let h = 0; h < hours; h++) byHour.push(await storedEvents(db.ch, from + h * MS_PER_HOUR, from + (h + 1) * MS_PER_HOUR));
    const readSeconds = (performance.now() - t) / 1000;
    const events = byHour.reduce((n, b) => n + b.length, 0);

    // (b) The engine alone on the events in memory (its day histories come from ClickHouse, as in the backfill).
    const memEngine = engineFor(db.ch, detection, inputs, () => 0, { settledUntil });
    const memAlerts: AlertRecord[] = [];
    t = performance.now();
    for (const batch of byHour) memAlerts.push(...(await memEngine.process(batch)));
    const engineSeconds = (performance.now() - t) / 1000;
    byHour.length = 0;

    // The backfill as `detect --once` runs it (the sink keeps the revisions instead of storing them).
    const engine = engineFor(db.ch, detection, inputs, () => 0, { settledUntil });
    const stored: AlertRecord[] = [];
    t = performance.now();
    await backfill(db.ch, engine, { from, to: end }, async (a) => void stored.push(...a));
    const backfillSeconds = (performance.now() - t) / 1000;

    const rate = (s: number) => `${Math.round(events / s).toLocaleString('en').padStart(9)} events/s`;
    process.stdout.write(
      `backfill benchmark: ${o.employees} employees x ${o.days} days (seed ${o.seed}), ${events.toLocaleString('en')} events, ${hours} hours` +
        `${built ? `, built in ${buildSeconds.toFixed(0)} s` : `, database ${database} reused`} (load average ${load.toFixed(2)} on ${os.cpus().length} cores${load > 1 ? ': the machine is busy, compare the ratios' : ''})\n\n`,
    );
    process.stdout.write('what                                         time        rate                 /backfill\n');
    const row = (what: string, s: number) => process.stdout.write(`${what.padEnd(44)} ${s.toFixed(2).padStart(7)} s  ${rate(s)}   ${(s / backfillSeconds).toFixed(2).padStart(6)}\n`);
    row('backfill (detect --once)', backfillSeconds);
    row('(a) plain read, storedEvents per hour', readSeconds);
    row('(b) engine alone, events in memory', engineSeconds);
    process.stdout.write(`\nalerts, backfill:      ${digest(stored)}\nalerts, engine alone:  ${digest(memAlerts)}${digest(stored) === digest(memAlerts) ? '  (identical)' : '  (DIFFERENT)'}\n`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await db.done(o.keep);
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
