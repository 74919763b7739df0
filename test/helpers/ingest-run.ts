// Helpers for ingestion tests against the real services: a topic, database and group of their own,
// generated traffic with labelled malformed messages, the `insider ingest` process, and the checks.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kafka, Message } from 'kafkajs';
import type { Config } from '../../src/config';
import { createKafka } from '../../src/kafka';
import { createLogger } from '../../src/log';
import { createClickHouse, ident, inList, localDatabaseOf, migrate, sql, type ClickHouse } from '../../src/store';
import { testConfig, uniqueName } from './env';
import { waitUntil } from './wait';

// Suites import it from here too.
export { waitUntil };

export const BIN = path.join(__dirname, '..', '..', 'bin', 'insider.js');
export const ARTIFACTS = path.join(__dirname, '..', '..', 'artifacts', 'ingest');

export interface IngestFixture {
  name: string;
  topic: string;
  database: string;
  groupId: string;
  configFile: string;
  kafka: Kafka;
  ch: ClickHouse;
  config: Readonly<Config>;
  cleanup(): Promise<void>;
}

/**
 * `slow`: small fetches, one partition at a time. Many small batches give a crash test many moments
 * to strike mid-batch, and keep a run going long enough to be interrupted.
 */
export async function ingestFixture(
  prefix: string,
  overrides: { clickhouseUrl?: string; cluster?: Config['clickhouse']['cluster']; partitions?: number; slow?: boolean; fetchMaxBytes?: number; maxBatchRecords?: number } = {},
): Promise<IngestFixture> {
  const base = testConfig();
  const name = uniqueName(prefix);
  const cluster = overrides.cluster ?? base.clickhouse.cluster;
  const config: Readonly<Config> = { ...base, clickhouse: { ...base.clickhouse, url: overrides.clickhouseUrl ?? base.clickhouse.url, cluster } };
  const kafka = createKafka(config.kafka, createLogger({ level: 'silent' }));
  const admin = kafka.admin();
  await admin.connect();
  const partitions = overrides.partitions ?? 4;
  await admin.createTopics({ topics: [{ topic: name, numPartitions: partitions }], waitForLeaders: false });
  // kafkajs's own waitForLeaders gives up on "This server does not host this topic-partition", which a
  // busy broker answers for a moment after the creation (a CI run under load): wait for the leaders here.
  await waitUntil(`a leader for each partition of ${name}`, async () => {
    const metadata = await admin.fetchTopicMetadata({ topics: [name] }).catch(() => undefined);
    const found = metadata?.topics[0]?.partitions ?? [];
    return found.length === partitions && found.every((p) => p.leader >= 0);
  }, 60000, 200);
  await admin.disconnect();

  const adminCh = createClickHouse(config.clickhouse, { database: 'default' });
  const ch = createClickHouse(config.clickhouse, { database: name });
  await migrate(adminCh, ch);
  await adminCh.close();

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ingest-'));
  const configFile = path.join(dir, 'config.yaml');
  fs.writeFileSync(
    configFile,
    [
      `kafka: { topic: "${name}"${overrides.maxBatchRecords ? `, maxBatchRecords: ${overrides.maxBatchRecords}` : ''} }`,
      `clickhouse: { database: "${name}", url: "${config.clickhouse.url}", requestTimeoutMs: 10000, cluster: ${JSON.stringify(cluster)} }`,
      `ingest: { groupId: "${name}", sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000, metrics: { port: 0 }, retry: { initialDelayMs: 100, maxDelayMs: 2000 }${overrides.slow ? ', fetchMaxBytes: 65536, concurrentPartitions: 1' : ''}${overrides.fetchMaxBytes ? `, fetchMaxBytes: ${overrides.fetchMaxBytes}` : ''} }`,
      'log: { level: info }',
    ].join('\n'),
  );
  return {
    name,
    topic: name,
    database: name,
    groupId: name,
    configFile,
    kafka,
    ch,
    config,
    cleanup: async () => {
      const a = kafka.admin();
      await a.connect();
      await a.deleteTopics({ topics: [name, `${name}.dlq`] }).catch(() => {});
      await a.disconnect();
      const root = createClickHouse(config.clickhouse, { database: 'default' });
      // On a cluster: both databases (Distributed and shard tables) on every node.
      const nodes = root.cluster ? root.cluster.shards.flatMap((replicas, s) => replicas.map((_, r) => root.cluster!.node(s, r, 'default'))) : [root];
      for (const node of nodes) {
        await node.exec(sql`DROP DATABASE IF EXISTS ${ident(name)}`).catch(() => {});
        if (root.cluster) await node.exec(sql`DROP DATABASE IF EXISTS ${ident(localDatabaseOf(name))}`).catch(() => {});
      }
      await Promise.all([root.close(), ch.close()]);
    },
  };
}

/** Kinds of malformed message, each with the reason code the ingester must give it. */
export const MALFORMED: Array<{ kind: string; code: string; make: (i: number) => Buffer }> = [
  { kind: 'invalid-json', code: 'invalid_json', make: (i) => Buffer.from(`{"event_id": "bad-${i}", `) },
  { kind: 'json-array', code: 'not_an_object', make: (i) => Buffer.from(`[${i}]`) },
  { kind: 'json-string', code: 'not_an_object', make: (i) => Buffer.from(`"event ${i}"`) },
  { kind: 'json-null', code: 'not_an_object', make: () => Buffer.from('null') },
  { kind: 'empty', code: 'empty_message', make: () => Buffer.alloc(0) },
  { kind: 'invalid-utf8', code: 'invalid_utf8', make: () => Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]) },
  { kind: 'missing-event-id', code: 'missing_field', make: (i) => json({ ...good(i), event_id: undefined }) },
  { kind: 'missing-user', code: 'missing_field', make: (i) => json({ ...good(i), user: undefined }) },
  { kind: 'missing-ts', code: 'missing_field', make: (i) => json({ ...good(i), ts: undefined }) },
  { kind: 'missing-action', code: 'missing_field', make: (i) => json({ ...good(i), action: undefined }) },
  { kind: 'missing-bytes', code: 'missing_field', make: (i) => json({ ...good(i), bytes: undefined }) },
  { kind: 'negative-bytes', code: 'negative_number', make: (i) => json({ ...good(i), bytes: -10 }) },
  { kind: 'fractional-bytes', code: 'not_an_integer', make: (i) => json({ ...good(i), bytes: 10.5 }) },
  { kind: 'string-bytes', code: 'wrong_type', make: (i) => json({ ...good(i), bytes: '1000' }) },
  { kind: 'huge-bytes', code: 'number_too_large', make: (i) => json({ ...good(i), bytes: 2 ** 60 }) },
  { kind: 'negative-rows', code: 'negative_number', make: (i) => json({ ...good(i), rows: -1 }) },
  { kind: 'unparseable-ts', code: 'bad_timestamp', make: (i) => json({ ...good(i), ts: 'last tuesday' }) },
  { kind: 'impossible-date', code: 'bad_timestamp', make: (i) => json({ ...good(i), ts: '2026-02-30T10:00:00Z' }) },
  { kind: 'future-ts', code: 'timestamp_out_of_range', make: (i) => json({ ...good(i), ts: '2199-01-01T00:00:00Z' }) },
  { kind: 'pre-1970-ts', code: 'timestamp_out_of_range', make: (i) => json({ ...good(i), ts: -86400000 }) },
  { kind: 'long-event-id', code: 'too_long', make: (i) => json({ ...good(i), event_id: `x${i}`.padEnd(300, 'x') }) },
  { kind: 'empty-user', code: 'empty_string', make: (i) => json({ ...good(i), user: '' }) },
  { kind: 'object-user', code: 'wrong_type', make: (i) => json({ ...good(i), user: { id: i } }) },
  { kind: 'bad-status', code: 'bad_status', make: (i) => json({ ...good(i), status: 'partial' }) },
  { kind: 'numeric-table', code: 'wrong_type', make: (i) => json({ ...good(i), table: 42 }) },
];
/** A duplicate of a valid event (same event_id) is quarantined too. */
export const DUPLICATE = { kind: 'duplicate-event-id', code: 'duplicate_event_id' };
/** One message over the ingester's 1 MiB limit: 5 MB. */
export const OVERSIZED = { kind: 'oversized-5mb', code: 'too_large' };

const USERS = Array.from({ length: 97 }, (_, i) => `user${i}@corp.example`);
const BASE_TS = Date.UTC(2026, 9, 1);

function good(i: number, start = BASE_TS) {
  return {
    event_id: `ev-${i}`,
    ts: new Date(start + i * 1000).toISOString(),
    user: USERS[i % USERS.length],
    action: i % 10 === 0 ? 'EXPORT' : 'SELECT',
    bytes: 1000 + ((i * 7919) % 100000),
    rows: i % 50,
    database: 'crm',
    table: `t${i % 13}`,
    session_id: `s${i % 400}`,
    client_ip: `10.0.${i % 4}.${i % 200}`,
    status: i % 97 === 5 ? 'error' : 'ok',
  };
}

function json(v: unknown): Buffer {
  return Buffer.from(JSON.stringify(v));
}

export interface Traffic {
  messages: Message[];
  valid: number;
  /** Expected reason code per malformed kind, and how many of each. */
  malformed: Map<string, { code: string; count: number }>;
  malformedTotal: number;
  validBytes: number;
}

/**
 * n messages, about `malformedEvery`-th of them malformed (cycling through all kinds), a second apart
 * from `start` (default: 1 October 2026). `duplicates:
 * false` leaves out producer-side duplicates, which are caught only by the process that saw the first
 * copy (a rebalance or a crash in between stores both).
 */
export function traffic(n: number, opts: { malformedEvery?: number; oversized?: boolean; duplicates?: boolean; start?: number } = {}): Traffic {
  const every = opts.malformedEvery ?? 0;
  const kinds = [...MALFORMED.map((m) => ({ ...m, make: m.make })), ...(opts.duplicates === false ? [] : [{ ...DUPLICATE, make: (i: number) => json(good(i - 1, opts.start)) }])];
  const messages: Message[] = [];
  const malformed = new Map<string, { code: string; count: number }>();
  let valid = 0;
  let validBytes = 0;
  let k = 0;
  const count = (kind: string, code: string) => {
    const entry = malformed.get(kind) ?? { code, count: 0 };
    entry.count++;
    malformed.set(kind, entry);
  };
  for (let i = 0; i < n; i++) {
    if (every > 0 && i % every === every - 1) {
      const kind = kinds[k++ % kinds.length];
      // The duplicate repeats the previous event; keyed by its user so it lands on the same partition.
      const key = kind.kind === DUPLICATE.kind ? USERS[(i - 1) % USERS.length] : USERS[i % USERS.length];
      if (kind.kind === DUPLICATE.kind && (i - 1) % every === every - 1) continue;
      messages.push({ key, value: kind.make(i), headers: { 'test-kind': kind.kind } });
      count(kind.kind, kind.code);
      continue;
    }
    const e = good(i, opts.start);
    messages.push({ key: e.user, value: json(e) });
    valid++;
    if (e.status === 'ok') validBytes += e.bytes;
  }
  if (opts.oversized) {
    messages.push({ key: USERS[0], value: Buffer.alloc(5 * 1024 * 1024, 0x61), headers: { 'test-kind': OVERSIZED.kind } });
    count(OVERSIZED.kind, OVERSIZED.code);
  }
  const malformedTotal = [...malformed.values()].reduce((s, m) => s + m.count, 0);
  return { messages, valid, malformed, malformedTotal, validBytes };
}

export async function produce(kafka: Kafka, topic: string, messages: Message[]): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 5000) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 5000) });
    }
  } finally {
    await producer.disconnect();
  }
}

export interface RunningIngester {
  child: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
  /** Resolves once the process has joined the group (its signal handlers are in place by then). */
  started(): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Kills every ingester a test started and did not stop (a failed test must not leave them behind). */
export function killIngesters(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/** `insider <args>` with the fixture's configuration, its output in artifacts/ingest/<name>-<label>.log. */
function startInsider(f: IngestFixture, label: string, args: string[], readyLine: string): RunningIngester {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const logFile = path.join(ARTIFACTS, `${f.name}-${label}.log`);
  const out = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [BIN, '--config', f.configFile, ...args], { stdio: ['ignore', out, out], env: { ...process.env } });
  fs.closeSync(out);
  running.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  const started = async () => {
    await waitUntil(`${label} started`, async () => fs.readFileSync(logFile, 'utf8').includes(readyLine), 120000, 100);
  };
  return { child, logFile, exited, started };
}

/** The exit code once the process exits; fails after `timeoutMs` naming its log (a stop that hangs is a failure, not a test timeout). */
export async function exitedWithin(ingester: RunningIngester, timeoutMs: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running ${timeoutMs / 1000} s after SIGTERM; its log: ${ingester.logFile}\n${logTail(ingester.logFile)}`)), timeoutMs);
  });
  try {
    return await Promise.race([ingester.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The last lines of a process's log, each cut to 400 characters, for a failure's message. */
export function logTail(logFile: string, lines = 30): string {
  const text = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '(no log)';
  return text.trimEnd().split('\n').slice(-lines).map((l) => l.slice(0, 400)).join('\n');
}

/** A process's peak resident set (VmHWM in /proc/<pid>/status), in MB; read it while the process runs. */
export function peakRssMb(pid: number | undefined): number {
  return Math.round(Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024);
}

export function startIngester(f: IngestFixture, label: string): RunningIngester {
  return startInsider(f, label, ['ingest'], '"msg":"ingesting"');
}

/** The live detector (`insider detect`); give the fixture's config a `detection.groupId` first (withDetectorGroup). */
export function startDetector(f: IngestFixture, label: string): RunningIngester {
  return startInsider(f, label, ['detect'], '"msg":"detecting"');
}

/** Gives the fixture's configuration a detector group of its own; returns the group id. */
export function withDetectorGroup(f: IngestFixture): string {
  const group = `${f.name}-detect`;
  fs.appendFileSync(f.configFile, `\ndetection: { groupId: "${group}" }\n`);
  return group;
}

/** The live detector's own account of what it judged, from its "detector stopped" log line. */
export function detectorStats(logFile: string): { events: number; duplicates: number; invalid: number } | undefined {
  // The stop line carries the detector's statistics; read each by name (their order and set may grow).
  const line = fs.readFileSync(logFile, 'utf8').split('\n').filter((l) => /"events":\d+/.test(l) && /"invalid":\d+/.test(l)).pop();
  if (!line) return undefined;
  const n = (name: string) => Number(new RegExp(`"${name}":(\\d+)`).exec(line)?.[1] ?? NaN);
  return { events: n('events'), duplicates: n('duplicates'), invalid: n('invalid') };
}

/** The ingester's own account of its run, from its "ingester stopped" log line. */
export function ingesterStats(logFile: string): { received: number; inserted: number; inserts: number; batchesInserted: number } | undefined {
  const line = fs.readFileSync(logFile, 'utf8').split('\n').filter((l) => l.includes('"msg":"ingester stopped"')).pop();
  if (!line) return undefined;
  const n = (name: string) => Number(new RegExp(`"${name}":(\\d+)`).exec(line)?.[1] ?? NaN);
  return { received: n('received'), inserted: n('inserted'), inserts: n('inserts'), batchesInserted: n('batchesInserted') };
}

/** How many members a consumer group has once it is stable; -1 while it rebalances. */
export async function stableMembers(kafka: Kafka, groupId: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    return groups[0]?.state === 'Stable' ? groups[0].members.length : -1;
  } finally {
    await admin.disconnect();
  }
}

/** Resolves once the consumer group has committed every partition of the topic up to its end. */
export async function waitForGroupAtEnd(kafka: Kafka, groupId: string, topic: string, timeoutMs = 300000): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const high = await admin.fetchTopicOffsets(topic);
    await waitUntil(`group ${groupId} at the end of ${topic}`, async () => {
      const [c] = await admin.fetchOffsets({ groupId, topics: [topic] });
      // An empty partition has nothing to commit: at its end whatever the group holds.
      return high.every((h) => h.high === h.low || c.partitions.find((p) => p.partition === h.partition)?.offset === h.high);
    }, timeoutMs, 500);
  } finally {
    await admin.disconnect();
  }
}

/** Waits until the group has committed past the start of every partition of `topic` that holds messages. */
export async function waitForGroupUnderWay(kafka: Kafka, groupId: string, topic: string, timeoutMs = 120000): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await waitUntil(`group ${groupId} under way on every partition of ${topic}`, async () => {
      const high = await admin.fetchTopicOffsets(topic);
      const [c] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return high.every((h) => h.high === h.low || Number(c.partitions.find((p) => p.partition === h.partition)?.offset ?? -1) > Number(h.low));
    }, timeoutMs, 500);
  } finally {
    await admin.disconnect();
  }
}

export async function rowCount(ch: ClickHouse): Promise<number> {
  const [r] = await ch.query<{ n: string }>(sql`SELECT count() AS n FROM access_events`);
  return Number(r.n);
}

export interface StoreTotals {
  rows: number;
  uniqueEvents: number;
  okBytes: number;
  okRows: number;
  events: number;
  deadLetterRows: number;
  deadLetterOffsets: number;
  hourly: { bytes: number; rows: number; events: number };
  daily: { bytes: number; rows: number; events: number };
  perTable: { bytes: number; rows: number; events: number };
}

export async function storeTotals(ch: ClickHouse): Promise<StoreTotals> {
  const [raw] = await ch.query<Record<string, string>>(sql`
    SELECT count() AS n, uniqExact(event_id) AS uniq, sumIf(bytes, status = 'ok') AS ok_bytes, sumIf(rows, status = 'ok') AS ok_rows
    FROM access_events`);
  const [dl] = await ch.query<Record<string, string>>(sql`
    SELECT count() AS n, uniqExact(kafka_partition, kafka_offset) AS offsets FROM dead_letters`);
  const rollup = async (table: string) => {
    const [r] = await ch.query<Record<string, string>>(sql`
      SELECT sumMerge(sum_bytes) AS b, sumMerge(sum_rows) AS r, countMerge(event_count) AS e FROM ${ident(table)}`);
    return { bytes: Number(r.b), rows: Number(r.r), events: Number(r.e) };
  };
  const [pt] = await ch.query<Record<string, string>>(sql`
    SELECT sum(sum_bytes) AS b, sum(sum_rows) AS r, sum(event_count) AS e FROM user_table_daily`);
  return {
    rows: Number(raw.n),
    uniqueEvents: Number(raw.uniq),
    okBytes: Number(raw.ok_bytes),
    okRows: Number(raw.ok_rows),
    events: Number(raw.n),
    deadLetterRows: Number(dl.n),
    deadLetterOffsets: Number(dl.offsets),
    hourly: await rollup('user_hourly'),
    daily: await rollup('user_daily'),
    perTable: { bytes: Number(pt.b), rows: Number(pt.r), events: Number(pt.e) },
  };
}

/** The same totals, as the rollups must show them when they equal the raw table. */
export function expectRollupsEqualRaw(t: StoreTotals): void {
  const raw = { bytes: t.okBytes, rows: t.okRows, events: t.events };
  for (const rollup of [t.hourly, t.daily, t.perTable]) {
    if (rollup.bytes !== raw.bytes || rollup.rows !== raw.rows || rollup.events !== raw.events) {
      throw new Error(`rollup ${JSON.stringify(rollup)} differs from raw ${JSON.stringify(raw)}`);
    }
  }
}

/** Reads the dead-letter topic from the beginning until `expected` messages arrived (or times out). */
export async function readDeadLetters(kafka: Kafka, topic: string, expected: number, timeoutMs = 60000) {
  const consumer = kafka.consumer({ groupId: uniqueName('dlq-reader'), maxBytes: 16 * 1024 * 1024, maxBytesPerPartition: 16 * 1024 * 1024 });
  const got: Array<{ headers: Record<string, string>; size: number }> = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    void consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        got.push({ headers, size: message.value?.length ?? 0 });
        if (got.length >= expected) {
          clearTimeout(timer);
          // Give a moment for anything beyond the expected count to show up too.
          setTimeout(resolve, 1000);
        }
      },
    });
  });
  await consumer.disconnect();
  return got;
}

/**
 * The end of a fault test: wait until every valid event and dead letter of the traffic is stored and
 * the group has committed to the end of the topic, let anything still in flight land, stop the
 * ingesters with SIGTERM (they must still be running and exit 0), then check that each valid event and each dead letter is stored exactly once and rollups equal raw.
 */
/** What was stored twice, for a failure's reader: each insert that holds a copy, and the ledger around it. */
export async function describeDuplicates(ch: ClickHouse): Promise<string> {
  // An event's copies are on one shard (its employee's), so the subquery may run shard by shard.
  const copies = await ch.query<Record<string, string>>(sql`
    SELECT kafka_partition AS p, ingested_at AS at, min(kafka_offset) AS first, max(kafka_offset) AS last, count() AS n
    FROM access_events WHERE event_id IN (SELECT event_id FROM access_events GROUP BY event_id HAVING count() > 1)
    GROUP BY p, at ORDER BY p, at`);
  const partitions = [...new Set(copies.map((c) => Number(c.p)))];
  const ledger = partitions.length === 0 ? [] : await ch.query<Record<string, string>>(sql`
    SELECT kafka_partition AS p, min_offset AS first, max_offset AS last, events, inserted_at AS at
    FROM ingest_batches WHERE kafka_partition IN ${inList(partitions)} ORDER BY p, first, at`);
  return [...copies.map((c) => `copies: ${JSON.stringify(c)}`), ...ledger.map((l) => `ledger: ${JSON.stringify(l)}`)].join('\n');
}

export async function stopAndExpectExactlyOnce(f: IngestFixture, ingesters: RunningIngester | RunningIngester[], t: Traffic): Promise<StoreTotals> {
  const all = Array.isArray(ingesters) ? ingesters : [ingesters];
  try {
    await waitUntil('all valid events stored', async () => (await rowCount(f.ch)) >= t.valid, 300000);
    await waitUntil('all dead letters recorded', async () => (await storeTotals(f.ch)).deadLetterOffsets >= t.malformedTotal, 60000);
    // Not stalled either: the group committed every partition to its end (ClickHouse acknowledged all).
    await waitForGroupAtEnd(f.kafka, f.groupId, f.topic, 120000);
  } catch (err) {
    // What the ingesters were doing is the first thing a stall's reader needs.
    throw new Error(`${(err as Error).message}\n${all.map((i) => `${i.logFile}:\n${logTail(i.logFile)}`).join('\n')}`);
  }
  await new Promise((r) => setTimeout(r, 3000));
  for (const ingester of all) expect(ingester.child.exitCode).toBeNull();
  for (const ingester of all) ingester.child.kill('SIGTERM');
  for (const ingester of all) expect(await exitedWithin(ingester, 60000)).toBe(0);
  const totals = await storeTotals(f.ch);
  if (totals.rows !== totals.uniqueEvents) process.stdout.write(`stored twice (partition, insert time, offsets, events) and the ledger of those partitions:\n${await describeDuplicates(f.ch)}\n`);
  expect([totals.rows, totals.uniqueEvents]).toEqual([t.valid, t.valid]);
  expectRollupsEqualRaw(totals);
  expect(totals.deadLetterOffsets).toBe(t.malformedTotal);
  // The figures behind the assertions above, for the run's record.
  process.stdout.write(`exactly once: ${t.messages.length} messages sent, ${totals.rows} stored (count), ${totals.uniqueEvents} uniqExact(event_id), ${totals.deadLetterOffsets} dead-lettered, rollups equal raw\n`);
  return totals;
}
