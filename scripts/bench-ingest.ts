// Ingestion benchmark: the same N events (default 1,000,000) are produced once to a fresh topic, then
// consumed into identical ClickHouse schemas (raw table + rollup views) by
//   (a) this project's ingester (`insider ingest`, a separate process), and
//   (b) ClickHouse's own Kafka table engine with a materialized view (the reference),
// one after the other, each timed from start to the moment every row is visible. Prints both
// throughputs, their ratio, the ingester's peak memory, and the CPU time each run cost the ingester and
// the ClickHouse server (from /proc: on a small machine they share the cores, so CPU is what bounds the
// rate). A figure, not a test: machines are noisy.
//
//   npm run bench:ingest -- --events 1000000
//   npm run bench:ingest -- --profile /tmp/prof   (the ingester writes a V8 CPU profile there on exit)
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { createKafka } from '../src/kafka';
import { localServices, servicesUp } from '../src/local-services';
import { createLogger } from '../src/log';
import { createClickHouse, ident, migrate, sql, type ClickHouse } from '../src/store';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const EVENTS = flag('events', 1_000_000);
const PARTITIONS = flag('partitions', 4);
const PROFILE_DIR = args.includes('--profile') ? args[args.indexOf('--profile') + 1] : undefined;
// V8 flags for the ingester process only, e.g. --node "--max-old-space-size=192" (comma- or space-separated).
const NODE_FLAGS = args.includes('--node') ? args[args.indexOf('--node') + 1].split(/[ ,]+/).filter(Boolean) : [];
const root = path.join(__dirname, '..');
/** /proc counts CPU time in clock ticks (USER_HZ), 100 per second on Linux. */
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
const say = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const { config } = loadConfig();
  const services = await servicesUp(localServices(config), (l) => say(`[services] ${l}`));
  // Our own ClickHouse server's CPU is read from /proc; a server we did not start shows as unknown.
  const clickhousePid = services.find((s) => s.name === 'clickhouse')?.pid;
  const stamp = `${Date.now().toString(36)}`;
  const topic = `bench_${stamp}`;
  const kafka = createKafka(config.kafka, createLogger({ level: 'silent' }));
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });

  say(`producing ${EVENTS} events to ${topic} (${PARTITIONS} partitions)...`);
  const producedIn = await produceEvents(kafka, topic, EVENTS);
  say(`produced in ${(producedIn / 1000).toFixed(1)} s`);

  const rootCh = createClickHouse(config.clickhouse, { database: 'default' });
  const ours = await freshDatabase(config.clickhouse, rootCh, `bench_${stamp}_ingester`);
  const engine = await freshDatabase(config.clickhouse, rootCh, `bench_${stamp}_kafka_engine`);
  try {
    say('(a) this ingester...');
    const chBefore = cpuSeconds(clickhousePid);
    const a = await runIngester(config.kafka.brokers, ours, topic, stamp);
    const chA = cpuSeconds(clickhousePid) - chBefore;
    say('(b) ClickHouse Kafka engine + materialized view...');
    const chBeforeB = cpuSeconds(clickhousePid);
    const b = await runKafkaEngine(config.kafka.brokers, engine, topic, stamp);
    const chB = cpuSeconds(clickhousePid) - chBeforeB;

    const rate = (ms: number) => Math.round(EVENTS / (ms / 1000));
    const cpu = (seconds: number) => (Number.isFinite(seconds) ? seconds.toFixed(1) : 'unknown');
    const rows = [
      ['reference: ClickHouse Kafka engine + MV', (b / 1000).toFixed(1), rate(b).toLocaleString('en-US'), '', cpu(chB), ''],
      ['insider ingest', (a.ms / 1000).toFixed(1), rate(a.ms).toLocaleString('en-US'), cpu(a.cpuSeconds), cpu(chA), `${Math.round(a.peakRssKb / 1024)} MB`],
    ];
    const out = [
      '',
      `Ingestion benchmark: ${EVENTS.toLocaleString('en-US')} events, ${PARTITIONS} partitions, ClickHouse ${await rootCh.serverVersion()}, ${os.cpus().length} cores`,
      table(['consumer', 'seconds', 'events/s', 'CPU s (consumer)', 'CPU s (ClickHouse)', 'peak RSS'], rows),
      `ratio (insider ingest / Kafka engine throughput): ${(b / a.ms).toFixed(2)}`,
      '',
    ].join('\n');
    process.stdout.write(out);
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
    for (const db of [ours, engine]) {
      await rootCh.exec(sql`DROP DATABASE IF EXISTS ${ident(db.database)}`).catch(() => {});
      await db.close();
    }
    await rootCh.close();
  }
}

async function produceEvents(kafka: ReturnType<typeof createKafka>, topic: string, n: number): Promise<number> {
  const producer = kafka.producer();
  await producer.connect();
  const started = Date.now();
  const base = Date.now() - 10 * 24 * 3600 * 1000;
  const chunk = 10_000;
  const inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < n; i += chunk) {
    const messages = [];
    for (let j = i; j < Math.min(n, i + chunk); j++) {
      const user = `user${j % 1000}@corp.example`;
      messages.push({
        key: user,
        value: JSON.stringify({
          event_id: `bench-${j}`,
          ts: new Date(base + j * 500).toISOString(),
          user,
          action: j % 20 === 0 ? 'EXPORT' : 'SELECT',
          bytes: 1000 + ((j * 7919) % 500000),
          rows: j % 300,
          source: 'pg-main',
          database: 'crm',
          table: `table_${j % 40}`,
          client_ip: `10.1.${j % 16}.${j % 250}`,
          client_app: 'psql',
          session_id: `s-${j % 5000}`,
          query_id: `q-${j}`,
          status: 'ok',
        }),
      });
    }
    inFlight.push(producer.send({ topic, acks: -1, messages }));
    if (inFlight.length >= 4) await inFlight.shift();
  }
  await Promise.all(inFlight);
  await producer.disconnect();
  return Date.now() - started;
}

async function freshDatabase(settings: ReturnType<typeof loadConfig>['config']['clickhouse'], rootCh: ClickHouse, database: string): Promise<ClickHouse> {
  const ch = createClickHouse(settings, { database });
  await migrate(rootCh, ch);
  return ch;
}

async function count(ch: ClickHouse): Promise<number> {
  const [r] = await ch.query<{ n: string }>(sql`SELECT count() AS n FROM access_events`);
  return Number(r.n);
}

async function waitForAll(ch: ClickHouse, what: string): Promise<void> {
  let last = -1;
  let lastReport = Date.now();
  let lastChange = Date.now();
  for (;;) {
    const n = await count(ch);
    if (n >= EVENTS) return;
    if (n !== last) lastChange = Date.now();
    if (Date.now() - lastChange > 90_000) throw new Error(`${what} stalled at ${n} of ${EVENTS} rows for 90 s`);
    if (Date.now() - lastReport > 5000) {
      say(`  ${what}: ${n.toLocaleString('en-US')} rows`);
      lastReport = Date.now();
    }
    last = n;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function runIngester(brokers: readonly string[], ch: ClickHouse, topic: string, stamp: string): Promise<{ ms: number; peakRssKb: number; cpuSeconds: number }> {
  const env = {
    ...process.env,
    INSIDER_KAFKA_BROKERS: brokers.join(','),
    INSIDER_KAFKA_TOPIC: topic,
    INSIDER_CLICKHOUSE_DATABASE: ch.database,
    INSIDER_INGEST_GROUP_ID: `bench_${stamp}_ingester`,
    INSIDER_INGEST_METRICS_PORT: '0',
    INSIDER_LOG_LEVEL: 'warn',
  };
  const started = Date.now();
  const profile = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(PROFILE_DIR)}`] : [];
  const child = spawn(process.execPath, [...profile, ...NODE_FLAGS, path.join(root, 'bin', 'insider.js'), 'ingest'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  let peakRssKb = 0;
  const sample = setInterval(() => {
    peakRssKb = Math.max(peakRssKb, vmHwmKb(child.pid));
  }, 200);
  // An ingester that exits (not built, a bad setting) fails the run at once, not after the stall timeout.
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const early = exited.then(() => {
    throw new Error(`the ingester exited (code ${child.exitCode ?? child.signalCode}) before storing all ${EVENTS.toLocaleString('en-US')} events; its messages are above`);
  });
  try {
    await Promise.race([waitForAll(ch, 'ingester'), early]);
    return { ms: Date.now() - started, peakRssKb: Math.max(peakRssKb, vmHwmKb(child.pid)), cpuSeconds: cpuSeconds(child.pid) };
  } finally {
    early.catch(() => {});
    clearInterval(sample);
    child.kill('SIGTERM');
    await exited;
  }
}

/** The reference: Kafka engine table -> materialized view -> the same access_events schema. */
async function runKafkaEngine(brokers: readonly string[], ch: ClickHouse, topic: string, stamp: string): Promise<number> {
  await ch.exec(sql`
    CREATE TABLE kafka_source (
      event_id String, ts String, user String, action String, bytes UInt64, rows UInt64,
      source String, database String, table String, client_ip String, client_app String,
      session_id String, query_id String, status String
    ) ENGINE = Kafka SETTINGS
      kafka_broker_list = ${brokers.join(',')},
      kafka_topic_list = ${topic},
      kafka_group_name = ${`bench_${stamp}_kafka_engine`},
      kafka_format = 'JSONEachRow',
      kafka_row_delimiter = ${'\n'},
      kafka_num_consumers = ${PARTITIONS}`);
  const started = Date.now();
  // 18.16's Kafka engine has no _topic/_partition/_offset virtual columns: those stay empty here.
  await ch.exec(sql`
    CREATE MATERIALIZED VIEW kafka_source_mv TO access_events AS
    SELECT event_id, parseDateTimeBestEffort(ts) AS ts, toUInt16(0) AS ts_ms, user, upper(action) AS action, bytes, rows,
      source, database AS db_name, table AS table_name, client_ip, client_app, session_id, query_id,
      CAST(status AS Enum8('ok' = 1, 'error' = 2)) AS status, toUInt8(0) AS bytes_estimated, '' AS identity, '' AS extra, now() AS ingested_at,
      ${topic} AS kafka_topic, toUInt32(0) AS kafka_partition, toUInt64(0) AS kafka_offset
    FROM kafka_source`);
  try {
    await waitForAll(ch, 'Kafka engine');
    return Date.now() - started;
  } finally {
    await ch.exec(sql`DROP TABLE IF EXISTS kafka_source_mv`);
    await ch.exec(sql`DROP TABLE IF EXISTS kafka_source`);
  }
}

function vmHwmKb(pid: number | undefined): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** User + system CPU time of a process so far (its threads included: GC, libuv, the server's pools); NaN when unknown. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:ingest failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
