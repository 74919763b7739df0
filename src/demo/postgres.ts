// `insider demo --source postgres`: the live export is a real pg_dump of a real table in a real
// PostgreSQL 15 with pgaudit, by a role named after the employee. The server's jsonlog is shipped to
// Kafka by rsyslog (imfile -> omkafka), decoded by the postgres source, stored and judged like any
// event; bytes are estimated from the table statistics the ingester reads (so the alert says "≈").
//
//   services up postgres -> database + a few GB table (generate_series, kept between demos)
//     -> rsyslog shipping the jsonlog -> an ingester for that topic -> the export (pg_dump, read at a set pace)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Kafka } from 'kafkajs';
import { Client } from 'pg';
import type { Config } from '../config';
import { formatBytes, formatDuration } from '../format';
import { createIngester, type Ingester } from '../ingest';
import type { Logger } from '../log';
import { localServices, postgresLayout, servicesUp, startRsyslogShipper, stateDirOf, type PostgresLayout, type RsyslogShipper } from '../local-services';
import type { ClickHouse } from '../store';
import { createRegistry } from '../telemetry';
import { ServiceError } from '../errors';

export const PG_DATABASE = 'insider_demo_crm';
const SERVER = 'pg-crm-1';
const STATS_ENV = 'INSIDER_DEMO_PG_STATS_URL';
const STATS_ROLE = 'insider_demo_stats';
/** Rows per INSERT while the table is generated: progress every step. */
const STEP_ROWS = 1_000_000;
/** Bytes of one generated row as COPY text (measured: id, name, e-mail, phone, address, note, time). */
const ROW_TEXT_BYTES = 190;

export interface PostgresDemo {
  topic: string;
  /** The table's true size as COPY text, measured once when it was generated. */
  tableBytes: number;
  tableRows: number;
  /** The `ingest` settings that make the detector read the PostgreSQL topic too. */
  ingestSettings(base: Readonly<Config['ingest']>, canonicalTopic: string): Config['ingest'];
  /** Starts the ingester of the PostgreSQL topic (its own consumer group). */
  startIngester(config: Readonly<Config>, ch: ClickHouse, log: Logger): Promise<Ingester>;
  /** pg_dump -t customers as `user`, read at a pace that makes it last about `seconds`. */
  runExport(user: string, seconds: number, progress: (line: string) => void, onBytes?: (sent: number) => void): Promise<{ bytes: number; endedAt: number }>;
  stop(): Promise<void>;
}

export async function preparePostgresDemo(o: {
  config: Readonly<Config>;
  kafka: Kafka;
  topicPrefix: string;
  gigabytes: number;
  people: readonly string[];
  dir: string;
  progress: (line: string) => void;
}): Promise<PostgresDemo> {
  const { config, progress } = o;
  await servicesUp(localServices(config, ['postgres']), (line) => progress(`services: ${line}`));
  const layout = postgresLayout(config, stateDirOf(config));
  const rows = Math.max(100_000, Math.round((o.gigabytes * 1e9) / ROW_TEXT_BYTES));
  const tableBytes = await ensureTable(layout, rows, o.people, progress);

  const topic = `${o.topicPrefix}-pg`;
  const admin = o.kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  process.env[STATS_ENV] = `postgres://${STATS_ROLE}@127.0.0.1:${layout.port}/${PG_DATABASE}`;

  fs.rmSync(path.join(o.dir, 'rsyslog'), { recursive: true, force: true });
  const shipper: RsyslogShipper = await startRsyslogShipper(
    { dir: path.join(o.dir, 'rsyslog'), file: layout.logs.jsonlog, destination: 'jsonlog', brokers: config.kafka.brokers, topic },
    (line) => progress(`shipper: ${line}`),
  );
  progress(`shipper: rsyslog (pid ${shipper.pid}) ships ${layout.logs.jsonlog} to topic ${topic}`);
  await waitShipping(layout, o.kafka, topic);

  const ingestSettings = (base: Readonly<Config['ingest']>, canonicalTopic: string): Config['ingest'] => ({
    ...base,
    topics: [canonicalTopic, topic],
    sources: { [topic]: { format: 'postgres', options: { destination: 'jsonlog', server: SERVER, statsUrlEnv: STATS_ENV } } },
  });
  return {
    topic,
    tableBytes,
    tableRows: rows,
    ingestSettings,
    async startIngester(live, ch, log) {
      const ingester = createIngester({
        settings: { ...ingestSettings(live.ingest, live.kafka.topic), topics: [topic], groupId: `${live.ingest.groupId}-pg`, fromBeginning: true },
        topic,
        kafka: o.kafka,
        ch,
        log,
        registry: createRegistry({ defaultMetrics: false }),
      });
      await ingester.start();
      return ingester;
    },
    runExport: (user, seconds, report, onBytes) => runDump(layout, user, tableBytes / Math.max(1, seconds), report, onBytes),
    stop: () => shipper.stop(),
  };
}

async function connect(layout: PostgresLayout, database: string): Promise<Client> {
  const c = new Client({ host: '127.0.0.1', port: layout.port, user: 'postgres', database, application_name: 'insider-demo-setup' });
  await c.connect();
  return c;
}

/** The customers table, generated in steps with progress; kept between demos when it has the rows asked for. */
async function ensureTable(layout: PostgresLayout, rows: number, people: readonly string[], progress: (line: string) => void): Promise<number> {
  const root = await connect(layout, 'postgres');
  try {
    const exists = await root.query(`SELECT 1 FROM pg_database WHERE datname = '${PG_DATABASE}'`);
    if (exists.rowCount === 0) await root.query(`CREATE DATABASE ${PG_DATABASE}`);
    await root.query(`DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${STATS_ROLE}') THEN CREATE ROLE ${STATS_ROLE} LOGIN IN ROLE pg_read_all_data; END IF; END $$`);
    for (const person of people) {
      const ident = `"${person.replace(/"/g, '""')}"`;
      await root.query(`DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${person.replace(/'/g, "''")}') THEN CREATE ROLE ${ident} LOGIN; END IF; END $$`);
    }
  } finally {
    await root.end();
  }
  const db = await connect(layout, PG_DATABASE);
  try {
    await db.query(`CREATE TABLE IF NOT EXISTS demo_meta (rows bigint, copy_bytes bigint)`);
    const meta = await db.query<{ rows: string; copy_bytes: string }>(`SELECT rows, copy_bytes FROM demo_meta`);
    if (meta.rowCount === 1 && Number(meta.rows[0].rows) === rows) {
      progress(`postgres: ${PG_DATABASE}.public.customers is there from an earlier demo (${rows.toLocaleString('en')} rows, ${formatBytes(Number(meta.rows[0].copy_bytes))} as COPY text)`);
      await grant(db, people);
      return Number(meta.rows[0].copy_bytes);
    }
    progress(`postgres: generating ${PG_DATABASE}.public.customers, ${rows.toLocaleString('en')} rows (about ${formatBytes(rows * ROW_TEXT_BYTES)} as COPY text; once, kept for later demos)`);
    await db.query(`DROP TABLE IF EXISTS customers; DELETE FROM demo_meta`);
    // Unlogged: a demo table needs no WAL, and is written twice as fast without it.
    await db.query(`CREATE UNLOGGED TABLE customers (id bigint, name text, email text, phone text, address text, note text, created_at timestamptz)`);
    const started = Date.now();
    for (let from = 1; from <= rows; from += STEP_ROWS) {
      const to = Math.min(rows, from + STEP_ROWS - 1);
      await db.query(`
        INSERT INTO customers
        SELECT g, 'Customer ' || g, 'customer' || g || '@mail.example', '+44 20 7946 ' || lpad((g % 10000)::text, 4, '0'),
               g || ' High Street, Flat ' || (g % 97) || ', London', 'loyalty tier ' || (g % 5) || ', opted in: ' || (g % 2 = 0),
               timestamptz '2020-01-01 00:00:00+00' + g * interval '7 seconds'
        FROM generate_series(${from}, ${to}) g`);
      const done = to / rows;
      const eta = ((Date.now() - started) / done) * (1 - done);
      progress(`postgres: ${to.toLocaleString('en')} of ${rows.toLocaleString('en')} rows (${Math.round(done * 100)}%, ${formatDuration(eta)} to go)`);
    }
    progress('postgres: ANALYZE (the statistics the bytes are estimated from)');
    await db.query('ANALYZE customers');
    // The true size as COPY text (tab-separated, newline-ended; nothing here needs escaping), for the
    // summary's comparison with the estimate.
    progress('postgres: measuring its true size as COPY text');
    const size = await db.query<{ b: string }>(`SELECT sum(octet_length(concat_ws(E'\\t', id, name, email, phone, address, note, created_at)) + 1)::bigint AS b FROM customers`);
    const copyBytes = Number(size.rows[0].b);
    await db.query(`INSERT INTO demo_meta VALUES (${rows}, ${copyBytes})`);
    await grant(db, people);
    progress(`postgres: customers ready in ${formatDuration(Date.now() - started)}: ${formatBytes(copyBytes)} as COPY text`);
    return copyBytes;
  } finally {
    await db.end();
  }
}

async function grant(db: Client, people: readonly string[]): Promise<void> {
  for (const person of people) await db.query(`GRANT SELECT ON customers TO "${person.replace(/"/g, '""')}"`);
}

/** Waits until a line PostgreSQL writes now reaches the topic (rsyslog starts at the end of the file). */
async function waitShipping(layout: PostgresLayout, kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const c = await connect(layout, PG_DATABASE);
      await c.query(`SELECT count(*) FROM demo_meta`);
      await c.end();
      const [p] = await admin.fetchTopicOffsets(topic);
      if (Number(p.high) > 0) return;
      await new Promise((r) => setTimeout(r, 1000));
    }
    throw new ServiceError('SERVICE_START_FAILED', `rsyslog did not ship PostgreSQL's log to ${topic} within 60 s`);
  } finally {
    await admin.disconnect();
  }
}

/** pg_dump -t customers, its output read at `bytesPerSecond` (a dump over a slow link) and thrown away. */
function runDump(layout: PostgresLayout, user: string, bytesPerSecond: number, report: (line: string) => void, onBytes?: (sent: number) => void): Promise<{ bytes: number; endedAt: number }> {
  const env = { ...process.env };
  delete env.PGAPPNAME;
  const dump = spawn('pg_dump', ['-h', '127.0.0.1', '-p', String(layout.port), '-U', user, '-d', PG_DATABASE, '-t', 'customers'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let bytes = 0;
  let lastReport = Date.now();
  let stderr = '';
  dump.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  dump.stdout.on('data', (c: Buffer) => {
    bytes += c.length;
    onBytes?.(bytes);
    dump.stdout.pause();
    setTimeout(() => dump.stdout.resume(), (c.length / bytesPerSecond) * 1000);
    if (Date.now() - lastReport >= 10_000) {
      lastReport = Date.now();
      report(`export: pg_dump has sent ${formatBytes(bytes)} so far`);
    }
  });
  return new Promise((resolve, reject) => {
    dump.once('error', reject);
    dump.once('exit', (code) => (code === 0 ? resolve({ bytes, endedAt: Date.now() }) : reject(new Error(`pg_dump exited with ${code}: ${stderr.trim()}`))));
  });
}
