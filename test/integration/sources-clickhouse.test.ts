// ClickHouse's system.query_log polled into Kafka by `insider sources poll` (a real process), decoded
// and stored by `insider ingest`, on the real ClickHouse 18.16 (the shared server: its query_log, no
// `tables` column, so tables come from the query text). Queries of known result size become events of
// those sizes, and each finished query becomes exactly one event and one Kafka message, across a
// SIGKILL and a restart of the poller. One statement run N times under one query id the client chose
// (as an attacker would, to have identical reads counted once) gives N events with N ids, and the
// poller's cursor, cutting such a second's rows in several polls, neither skips nor re-reads one. A
// read an audited session ran after `SET log_queries = 0` (no query_log row) is seen running in
// system.processes and stored once, with no bytes and the reason the detector reads.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Producer } from 'kafkajs';
import { unmeasuredOf } from '../../src/detect/event';
import { createLogger } from '../../src/log';
import { clickhouseDecoder, parseClickhouseOptions } from '../../src/sources/clickhouse';
import { createQueryLogPoller } from '../../src/sources/clickhouse/poller';
import { createClickHouse, ident, sql, type ClickHouse, type SqlFragment } from '../../src/store';
import { BIN, ingestFixture, killIngesters, startIngester, waitUntil, type IngestFixture } from '../helpers/ingest-run';
import { uniqueName } from '../helpers/env';

jest.setTimeout(300000);

interface Stored {
  query_id: string;
  action: string;
  db_name: string;
  table_name: string;
  rows: string;
  bytes: string;
  status: string;
  client_ip: string;
  client_app: string;
}

describe('ClickHouse system.query_log through the poller to the ingester', () => {
  let f: IngestFixture;
  let audited: ClickHouse;
  let db: string;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'it-chq-'));
  const pollers: ChildProcess[] = [];
  /** query id -> what it must give */
  const expected = new Map<string, { action: string; table: string; rows: number; bytes: number; status: string }>();

  const startPoller = (label: string) => {
    const out = fs.openSync(path.join(dir, `poller-${label}.log`), 'a');
    const child = spawn(process.execPath, [BIN, '--config', f.configFile, 'sources', 'poll', '--topic', f.topic], { stdio: ['ignore', out, out], env: { ...process.env } });
    fs.closeSync(out);
    pollers.push(child);
    return child;
  };
  const pollerLog = (label: string) => fs.readFileSync(path.join(dir, `poller-${label}.log`), 'utf8');

  /** Runs a query as an audited user would (log_queries = 1) with a query id of ours. */
  const run = async (queryId: string, q: SqlFragment, want: { action: string; table: string; rows: number; bytes: number; status?: string }) => {
    // Over plain HTTP, as a client would, with its own query id.
    const url = new URL(f.config.clickhouse.url);
    url.searchParams.set('query_id', queryId);
    url.searchParams.set('log_queries', '1');
    const res = await fetch(url, { method: 'POST', body: `${q.text} FORMAT Null` });
    await res.text();
    if (want.status === 'error') expectFail(res.status);
    else expectOk(res.status);
    expected.set(queryId, { status: 'ok', ...want });
  };
  const stored = () => f.ch.query<Stored>(sql`SELECT query_id, action, db_name, table_name, rows, bytes, status, client_ip, client_app FROM access_events WHERE kafka_topic = ${f.topic} ORDER BY query_id`);

  beforeAll(async () => {
    f = await ingestFixture('it_chq', { partitions: 1 });
    db = uniqueName('it_chq_audited');
    const base = f.config.clickhouse;
    const admin = createClickHouse(base, { database: 'default' });
    await admin.exec(sql`CREATE DATABASE ${ident(db)}`);
    await admin.close();
    audited = createClickHouse(base, { database: db });
    await audited.exec(sql`CREATE TABLE ${ident(db)}.${ident('measures')} (n UInt64, m UInt32) ENGINE = MergeTree ORDER BY n`);
    await audited.exec(sql`INSERT INTO ${ident(db)}.${ident('measures')} SELECT number, number FROM system.numbers LIMIT 100000`);
    const lines = fs.readFileSync(f.configFile, 'utf8').split('\n').filter((l) => l.startsWith('kafka:') || l.startsWith('clickhouse:') || l.startsWith('log:'));
    lines.push(
      `ingest: { groupId: "${f.groupId}", topics: ["${f.topic}"], sources: { "${f.topic}": { format: clickhouse-query-log, options: { server: "${f.name}", url: "${base.url}", intervalMs: 500, lagS: 9 } } }, metrics: { port: 0 } }`,
    );
    fs.writeFileSync(f.configFile, `${lines.join('\n')}\n`);
    const ingester = startIngester(f, 'chq');
    await ingester.started();
  });

  afterAll(async () => {
    for (const p of pollers) if (p.exitCode === null) p.kill('SIGKILL');
    killIngesters();
    if (audited) {
      await audited.exec(sql`DROP DATABASE IF EXISTS ${ident(db)}`).catch(() => {});
      await audited.close();
    }
    await f?.cleanup();
  });

  it('queries of known result size become events of those sizes, each query once across a SIGKILL and a restart of the poller', async () => {
    const first = startPoller('1');
    await waitUntil('the poller started from now', async () => pollerLog('1').includes('first start, from now on'), 60000, 200);
    const table = sql`${ident(db)}.${ident('measures')}`;
    // Two UInt64 + UInt32 columns: 12 bytes a row in the result.
    await run(uniqueName('q_a'), sql`SELECT n, m FROM ${table} WHERE n < 100`, { action: 'SELECT', table: 'measures', rows: 100, bytes: 1200 });
    await run(uniqueName('q_b'), sql`SELECT n FROM ${table} WHERE n < 5000`, { action: 'SELECT', table: 'measures', rows: 5000, bytes: 40000 });
    await run(uniqueName('q_c'), sql`SELECT * FROM ${ident(db)}.no_such_table`, { action: 'SELECT', table: 'no_such_table', rows: 0, bytes: 0, status: 'error' });
    const firstIds = [...expected.keys()];
    await waitUntil('the first queries stored', async () => (await stored()).filter((r) => firstIds.includes(r.query_id)).length === firstIds.length, 90000, 500);
    // The cursor is stored after each poll's rows were acknowledged: kill the poller without warning.
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    // Queries while it is down.
    await run(uniqueName('q_d'), sql`SELECT m FROM ${table} WHERE n < 250`, { action: 'SELECT', table: 'measures', rows: 250, bytes: 1000 });
    await run(uniqueName('q_e'), sql`SELECT n, m FROM ${table} WHERE n >= 99000`, { action: 'SELECT', table: 'measures', rows: 1000, bytes: 12000 });
    const second = startPoller('2');
    await waitUntil('every query stored', async () => (await stored()).filter((r) => expected.has(r.query_id)).length >= expected.size, 90000, 500);
    // Two more polls' time for any duplicate to show up.
    await new Promise((r) => setTimeout(r, 3000));
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));

    const rows = (await stored()).filter((r) => expected.has(r.query_id));
    const report = rows.map((r) => `${r.query_id.padEnd(30)} ${r.action} ${r.db_name}.${r.table_name} ${r.rows} rows ${r.bytes} B ${r.status} from ${r.client_ip} (${r.client_app})`);
    process.stdout.write(`\nquery_log events:\n${report.join('\n')}\n`);
    expect(rows.map((r) => r.query_id).sort()).toEqual([...expected.keys()].sort());
    for (const r of rows) {
      const x = expected.get(r.query_id)!;
      expect({ id: r.query_id, action: r.action, database: r.db_name, table: r.table_name, rows: Number(r.rows), bytes: Number(r.bytes), status: r.status }).toEqual({
        id: r.query_id,
        action: x.action,
        database: db,
        table: x.table,
        rows: x.rows,
        bytes: x.bytes,
        status: x.status,
      });
      expect(r.client_ip).toBe('127.0.0.1');
    }
    // Exactly one message per query on the topic: the restart sent nothing twice.
    const messages = await readTopic(f, expected.size * 4);
    const perQuery = new Map<string, number>();
    for (const m of messages) {
      const id = (JSON.parse(m) as { query_id: string }).query_id;
      if (expected.has(id)) perQuery.set(id, (perQuery.get(id) ?? 0) + 1);
    }
    expect([...perQuery.values()]).toEqual([...expected.keys()].map(() => 1));
    const [dead] = await f.ch.query<{ n: string }>(sql`SELECT count() AS n FROM dead_letters WHERE reason_code = 'duplicate_event_id'`);
    expect(Number(dead.n)).toBe(0);
  });

  /** Runs one statement `times` times under one query id, as fast as one keep-alive connection goes (the same second, mostly the same duration). */
  const runAgain = async (queryId: string, q: SqlFragment, times: number) => {
    for (let i = 0; i < times; i++) {
      const url = new URL(f.config.clickhouse.url);
      url.searchParams.set('query_id', queryId);
      url.searchParams.set('log_queries', '1');
      const res = await fetch(url, { method: 'POST', body: `${q.text} FORMAT Null` });
      await res.text();
      expectOk(res.status);
    }
  };
  const N = 6;

  it('N executions of one statement under one reused query id become N events with N distinct ids, each counted', async () => {
    const poller = startPoller('3');
    const queryId = uniqueName('q_reused');
    await runAgain(queryId, sql`SELECT n, m FROM ${ident(db)}.${ident('measures')} WHERE n < 100`, N);
    const mine = () => f.ch.query<{ event_id: string; bytes: string; rows: string }>(sql`SELECT event_id, bytes, rows FROM access_events WHERE kafka_topic = ${f.topic} AND query_id = ${queryId}`);
    let got: Awaited<ReturnType<typeof mine>> = [];
    try {
      await waitUntil(`the ${N} executions stored`, async () => (got = await mine()).length >= N, 60000, 500);
      // Two more polls' time for any further one to show up.
      await new Promise((r) => setTimeout(r, 3000));
      got = await mine();
    } finally {
      poller.kill('SIGTERM');
      await new Promise((r) => poller.once('exit', r));
      process.stdout.write(`\n${N} executions under ${queryId}: ${got.length} events stored, ${new Set(got.map((r) => r.event_id)).size} ids\n`);
    }
    expect(got).toHaveLength(N);
    expect(new Set(got.map((r) => r.event_id)).size).toBe(N);
    expect(got.map((r) => [Number(r.bytes), Number(r.rows)])).toEqual(Array(N).fill([1200, 100]));
    const [dead] = await f.ch.query<{ n: string }>(sql`SELECT count() AS n FROM dead_letters WHERE reason_code = 'duplicate_event_id' AND kafka_topic = ${f.topic}`);
    expect(Number(dead.n)).toBe(0);
  });

  it('the cursor neither skips nor re-reads executions under one reused query id when a poll cuts their second (batchRows 2)', async () => {
    // In this process, against the real server's query_log (shared: other queries come in between) and
    // the real cursor table; the produced rows are kept here.
    const source = `${f.topic}-cursor`;
    const options = parseClickhouseOptions({ url: f.config.clickhouse.url, lagS: 1, batchRows: 2 }, source);
    const sent: string[] = [];
    const producer = { send: async ({ messages }: { messages: Array<{ value: string }> }) => void sent.push(...messages.map((m) => m.value)) } as unknown as Producer;
    const poller = createQueryLogPoller({ topic: source, server: 'ch-audited', options, store: f.ch, producer, log: createLogger({ level: 'silent' }) });
    try {
      await poller.pollOnce(); // first start: from now on
      const queryId = uniqueName('q_cursor');
      await runAgain(queryId, sql`SELECT n FROM ${ident(db)}.${ident('measures')} WHERE n < 10`, N);
      await f.ch.exec(sql`SYSTEM FLUSH LOGS`);
      // The server writes query_log on its own thread: on a loaded machine (CI's three lanes) its rows were
      // not there 2.5 s after the flush, and the poll found none. Wait for them, then past lagS.
      const logged = async () => Number((await f.ch.query<{ n: string }>(sql`SELECT count() AS n FROM system.query_log WHERE query_id = ${queryId} AND type = 2`, { settings: { log_queries: 0 } }))[0].n);
      await waitUntil(`the ${N} executions in query_log`, async () => (await logged()) >= N, 30000, 250);
      await new Promise((r) => setTimeout(r, 2500)); // past lagS
      const drain = async () => {
        for (let i = 0; i < 1000; i++) if ((await poller.pollOnce()) === 0) return;
      };
      await drain();
      await new Promise((r) => setTimeout(r, 1500));
      await drain(); // a later poll sends none of them again
      const rows = sent.filter((v) => (JSON.parse(v) as { query_id: string }).query_id === queryId);
      const decoder = clickhouseDecoder('ch-audited', 'default');
      const ctx = { limits: { maxMessageBytes: 1 << 20, maxFutureSkewMs: 60000 }, now: Date.now(), session: () => undefined, tableStats: () => undefined };
      const ids = rows.map((v) => {
        const r = decoder.decode({ value: Buffer.from(v), topic: source, partition: 0, offset: '0' }, ctx);
        if (!r.ok) throw new Error(r.reason);
        return r.events[0].event.event_id;
      });
      process.stdout.write(`\n${N} executions under ${queryId}, polled 2 rows at a time: ${rows.length} rows sent, ${new Set(ids).size} ids (${sent.length} rows in all)\n`);
      expect(rows).toHaveLength(N);
      expect(new Set(ids).size).toBe(N);
    } finally {
      await poller.close();
    }
  });
});

describe('a read run with log_queries = 0, which system.query_log never records', () => {
  let f: IngestFixture;
  let db: string;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'it-chu-'));
  let poller: ChildProcess | undefined;

  beforeAll(async () => {
    f = await ingestFixture('it_chu', { partitions: 1 });
    db = uniqueName('it_chu_audited');
    const admin = createClickHouse(f.config.clickhouse, { database: 'default' });
    await admin.exec(sql`CREATE DATABASE ${ident(db)}`);
    await admin.exec(sql`CREATE TABLE ${ident(db)}.customers (id UInt64, email String) ENGINE = MergeTree ORDER BY id`);
    await admin.exec(sql`INSERT INTO ${ident(db)}.customers SELECT number, concat('c', toString(number), '@example.com') FROM system.numbers LIMIT 70`);
    await admin.close();
    const lines = fs.readFileSync(f.configFile, 'utf8').split('\n').filter((l) => l.startsWith('kafka:') || l.startsWith('clickhouse:') || l.startsWith('log:'));
    lines.push(
      `ingest: { groupId: "${f.groupId}", topics: ["${f.topic}"], sources: { "${f.topic}": { format: clickhouse-query-log, options: { server: "${f.name}", url: "${f.config.clickhouse.url}", intervalMs: 500, lagS: 9 } } }, metrics: { port: 0 } }`,
    );
    fs.writeFileSync(f.configFile, `${lines.join('\n')}\n`);
    await startIngester(f, 'chu').started();
  });

  afterAll(async () => {
    if (poller?.exitCode === null) poller.kill('SIGKILL');
    killIngesters();
    if (f) await f.ch.exec(sql`DROP DATABASE IF EXISTS ${ident(db)}`).catch(() => {});
    await f?.cleanup();
  });

  it('is seen running by the poller and stored once, as an event of no bytes whose reason the detector reads', async () => {
    const out = fs.openSync(path.join(dir, 'poller.log'), 'a');
    poller = spawn(process.execPath, [BIN, '--config', f.configFile, 'sources', 'poll', '--topic', f.topic], { stdio: ['ignore', out, out], env: { ...process.env } });
    fs.closeSync(out);
    await waitUntil('the poller started', async () => fs.readFileSync(path.join(dir, 'poller.log'), 'utf8').includes('first start'), 60000, 200);
    // An audited session (log_queries = 1, what the user's profile says) whose user turns logging off,
    // then reads the table slowly: 70 rows, 10 a block, 0.1 s a row, 7 s (several polls).
    const session = uniqueName('it_chu_session');
    const queryId = uniqueName('q_unlogged');
    const http = async (params: Record<string, string>, body: string) => {
      const url = new URL(f.config.clickhouse.url);
      for (const [k, v] of Object.entries({ session_id: session, ...params })) url.searchParams.set(k, v);
      const res = await fetch(url, { method: 'POST', body });
      await res.text();
      expectOk(res.status);
    };
    await http({}, 'SET log_queries = 1');
    await http({}, 'SET log_queries = 0');
    await http({ query_id: queryId, max_block_size: '10' }, `SELECT sleepEachRow(0.1), id, email FROM ${ident(db).text}.customers FORMAT Null`);
    const mine = () => f.ch.query<{ event_id: string; user: string; db_name: string; table_name: string; bytes: string; extra: string }>(
      sql`SELECT event_id, user, db_name, table_name, bytes, extra FROM access_events WHERE kafka_topic = ${f.topic} AND query_id = ${queryId}`,
    );
    await waitUntil('the unlogged read stored', async () => (await mine()).length > 0, 60000, 500);
    await new Promise((r) => setTimeout(r, 3000)); // more polls: it is not sent again
    poller.kill('SIGTERM');
    await new Promise((r) => poller!.once('exit', r));
    await f.ch.exec(sql`SYSTEM FLUSH LOGS`);
    const [inLog] = await f.ch.query<{ n: string }>(sql`SELECT count() AS n FROM system.query_log WHERE query_id = ${queryId}`, { settings: { log_queries: 0 } });
    const got = await mine();
    process.stdout.write(`\nread with log_queries = 0 (${queryId}): ${inLog.n} query_log rows, ${got.length} event(s): ${got.map((r) => `${r.event_id} ${r.bytes} B ${r.extra}`).join('; ')}\n`);
    expect(Number(inLog.n)).toBe(0);
    expect(got.map((r) => [r.user, r.db_name, r.table_name, Number(r.bytes)])).toEqual([['default', db, 'customers', 0]]);
    expect(got[0].event_id).toMatch(new RegExp(`^${f.name}/${queryId}/unlogged/[0-9a-f]{12}$`));
    expect(unmeasuredOf(got[0].extra)).toBe('ran with log_queries = 0: system.query_log has no row of it (turned off by log_queries = 0)');
    // One message for it on the topic though several polls saw it running.
    const messages = (await readTopic(f, 100)).filter((m) => (JSON.parse(m) as { query_id?: string }).query_id === queryId);
    expect(messages).toHaveLength(1);
    const [dead] = await f.ch.query<{ n: string }>(sql`SELECT count() AS n FROM dead_letters WHERE kafka_topic = ${f.topic}`);
    expect(Number(dead.n)).toBe(0);
  });
});

function expectOk(status: number): void {
  expect(status).toBe(200);
}
function expectFail(status: number): void {
  expect(status).toBeGreaterThanOrEqual(400);
}

/** Every message value of the (one-partition) topic so far. */
async function readTopic(f: IngestFixture, atMost: number): Promise<string[]> {
  const admin = f.kafka.admin();
  await admin.connect();
  const [p] = await admin.fetchTopicOffsets(f.topic);
  await admin.disconnect();
  const high = Number(p.high);
  const consumer = f.kafka.consumer({ groupId: uniqueName('it_chq_reader') });
  await consumer.connect();
  await consumer.subscribe({ topic: f.topic, fromBeginning: true });
  const values: string[] = [];
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        values.push(message.value?.toString('utf8') ?? '');
        if (Number(message.offset) + 1 >= high) resolve();
      },
    });
    if (high === 0) resolve();
  });
  await consumer.disconnect();
  expect(values.length).toBeLessThanOrEqual(Math.max(high, atMost));
  return values;
}
