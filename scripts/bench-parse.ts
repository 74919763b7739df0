// Parser benchmark: log records decoded per second on one core, for every format: each PostgreSQL
// destination (jsonlog, csvlog, stderr), MariaDB's slow + audit logs, ClickHouse's query_log (the
// records the real servers wrote, test/fixtures/), the cloud formats and the json mapping (their
// documented records), next to the canonical JSON path measured in the same run, through the same step
// the ingester runs (Sources.decodeBatch: envelope, decoder, join state, validation), in batches of 1,000.
// Also: the csvlog record splitter against csv-parse's sync API on the same records.
//   npm run bench:parse [-- --records N]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as csvParse } from 'csv-parse/sync';
import { createSources } from '../src/sources';
import { splitCsv } from '../src/sources/postgres/csv';
import { decodeFixture, fixtureRecords, fixtureStats, type Destination } from '../test/fixtures/postgres/decode';
import { auditRecords, slowRecords } from '../test/fixtures/mariadb/decode';

const FIXTURES = path.join(__dirname, '..', 'test', 'fixtures');
const jsonLines = (...p: string[]) => fs.readFileSync(path.join(FIXTURES, ...p), 'utf8').trim().split('\n');

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('records', 300_000);
const BATCH = 1000;
const LIMITS = { maxMessageBytes: 1 << 20, maxFutureSkewMs: 1e12 };

function messages(records: string[], n: number, wrap: (r: string) => string = (r) => r) {
  return Array.from({ length: n }, (_, i) => ({ value: Buffer.from(wrap(records[i % records.length])), topic: 't', partition: 0, offset: String(i) }));
}

async function measure(topic: string, settings: Record<string, unknown>, msgs: ReturnType<typeof messages>): Promise<{ perSecond: number; events: number }> {
  const sources = createSources({ settings: { sources: settings } as never, role: 'reader' });
  sources.addStats(fixtureStats());
  let events = 0;
  // Warm-up, then the measured run.
  for (let i = 0; i < Math.min(msgs.length, 20_000); i += BATCH) await sources.decodeBatch(topic, msgs.slice(i, i + BATCH), LIMITS, Date.UTC(2030, 0, 1));
  const started = process.hrtime.bigint();
  for (let i = 0; i < msgs.length; i += BATCH) {
    const out = await sources.decodeBatch(topic, msgs.slice(i, i + BATCH), LIMITS, Date.UTC(2030, 0, 1));
    for (const o of out) if (o.ok) events += o.events.length;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { perSecond: msgs.length / seconds, events };
}

async function main(): Promise<void> {
  const load = os.loadavg()[0];
  process.stdout.write(`parse benchmark: ${N.toLocaleString('en')} records per format, one core (load average ${load.toFixed(2)} on ${os.cpus().length} cores${load > 1 ? ': the machine is busy, compare the ratios' : ''})\n\n`);
  // Canonical: the same accesses the jsonlog describes, as a producer of the contract would send them.
  const canonical = (await decodeFixture('jsonlog')).events.map((e) => {
    const { event_id, ts, user, action, bytes, rows, source, database, table, client_ip, client_app, session_id, query_id, status } = e;
    return JSON.stringify({ event_id, ts, user, action, bytes, rows, source, database, table, client_ip, client_app, session_id, query_id, status });
  });
  const reference = await measure('canonical', {}, messages(canonical, N));
  const rows: string[][] = [['format', 'records/s per core', 'vs canonical', 'bytes/record', 'events/record']];
  const avg = (rs: string[]) => Math.round(rs.reduce((s, r) => s + Buffer.byteLength(r), 0) / rs.length);
  rows.push(['canonical JSON (reference)', Math.round(reference.perSecond).toLocaleString('en'), '1.00', String(avg(canonical)), (reference.events / N).toFixed(2)]);
  for (const d of ['jsonlog', 'csvlog', 'stderr'] as Destination[]) {
    const records = fixtureRecords(d);
    const r = await measure('pg', { pg: { format: 'postgres', options: { destination: d, server: 'fixture-pg' } } }, messages(records, N));
    rows.push([`postgres ${d}, all lines`, Math.round(r.perSecond).toLocaleString('en'), (r.perSecond / reference.perSecond).toFixed(2), String(avg(records)), (r.events / N).toFixed(2)]);
    // The lines that make events: pgaudit's AUDIT lines (a statement with its table).
    const audit = records.filter((x) => x.includes('AUDIT: SESSION') && x.includes(',TABLE,'));
    const a = await measure('pg', { pg: { format: 'postgres', options: { destination: d, server: 'fixture-pg' } } }, messages(audit, N));
    rows.push([`postgres ${d}, AUDIT lines`, Math.round(a.perSecond).toLocaleString('en'), (a.perSecond / reference.perSecond).toFixed(2), String(avg(audit)), (a.events / N).toFixed(2)]);
  }
  const wrapped = await measure('pg', { pg: { format: 'postgres', options: { destination: 'jsonlog', server: 'fixture-pg' } } }, messages(fixtureRecords('jsonlog'), N, (r) => JSON.stringify({ msg: r, host: 'db1' })));
  rows.push(['postgres jsonlog in an rsyslog envelope', Math.round(wrapped.perSecond).toLocaleString('en'), (wrapped.perSecond / reference.perSecond).toFixed(2), '', (wrapped.events / N).toFixed(2)]);
  // The other formats: [label, format, options, records].
  const slow = slowRecords();
  const audit = auditRecords();
  const others: Array<[string, string, Record<string, unknown>, string[]]> = [
    // Both files on one topic; the order within a batch does not matter to the join (its prescan).
    ['mariadb slow + audit logs, all records', 'mariadb', { server: 'fixture-mdb' }, [...slow, ...audit]],
    ['mariadb slow-log entries', 'mariadb', { server: 'fixture-mdb' }, slow],
    ['clickhouse-query-log rows (18.16)', 'clickhouse-query-log', { server: 'ch' }, jsonLines('clickhouse', 'query_log.jsonl')],
    ['aws-das-postgres records', 'aws-das-postgres', { server: 'aurora' }, jsonLines('cloud', 'aws-das-postgres.jsonl')],
    ['snowflake query + access history', 'snowflake', { server: 'sf' }, jsonLines('cloud', 'snowflake.jsonl')],
    ['json mapping (MySQL JSON audit log)', 'json', { mappingFile: path.join(__dirname, '..', 'config', 'mappings', 'mysql-audit-json.yaml') }, jsonLines('json', 'mysql-audit-json.log').filter((l) => l !== '[' && l !== ']')],
  ];
  for (const [label, format, options, records] of others) {
    const r = await measure('t', { t: { format, options } }, messages(records, N));
    rows.push([label, Math.round(r.perSecond).toLocaleString('en'), (r.perSecond / reference.perSecond).toFixed(2), String(avg(records)), (r.events / N).toFixed(2)]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) process.stdout.write(`${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')}\n`);
  process.stdout.write('\n(a record that gives no event, such as a connection line, still counts as a record: the logs hold them)\n');

  // The csvlog splitter against csv-parse (the library the directory loader uses) on the same records.
  const csv = fixtureRecords('csvlog');
  const time = (fn: (r: string) => unknown) => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < 100_000; i++) fn(csv[i % csv.length]);
    return 100_000 / (Number(process.hrtime.bigint() - started) / 1e9);
  };
  time((r) => splitCsv(r));
  time((r) => csvParse(r, { relax_column_count: true }));
  const own = time((r) => splitCsv(r));
  const lib = time((r) => csvParse(r, { relax_column_count: true }));
  process.stdout.write(`\ncsvlog record splitting: src/sources/postgres/csv.ts ${Math.round(own).toLocaleString('en')}/s, csv-parse sync ${Math.round(lib).toLocaleString('en')}/s (${(own / lib).toFixed(1)}x)\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
