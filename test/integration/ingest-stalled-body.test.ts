// A writer frozen in the middle of sending an insert's body (SIGSTOP, a frozen VM), on the real ClickHouse:
// the server has the request's start and waits for the rest, and does not list it in system.processes
// yet, so a new owner's wait passes it over. Only the server's http_receive_timeout ends it
// (src/store/receive-timeout.ts; deploy/local/clickhouse/users.xml sets it). The freeze is made by a proxy
// that stops passing on what the writer sends part-way through its request.
import crypto from 'node:crypto';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClickHouseError } from '../../src/errors';
import { accessEventRows, type StoredEvent } from '../../src/ingest/event-rows';
import { insertQueryId, waitForInserts } from '../../src/ingest/insert-outcome';
import { createLogger } from '../../src/log';
import { checkReceiveTimeout, createClickHouse, encodeRows, openAttempt, SERVER_CODES, sql, type ClickHouse } from '../../src/store';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';
import { expectRollupsEqualRaw, storeTotals, waitUntil } from '../helpers/ingest-run';
import { stallingProxy, type StallingProxy } from '../helpers/stalling-proxy';

jest.setTimeout(120000);
// Not part of the compatibility check's recording: a replay sends whole statements, never a body that stops.
delete process.env.INSIDER_CLICKHOUSE_RECORD_DIR;
const log = createLogger({ level: 'silent' });
const TOPIC = 'events';
const AT = Date.UTC(2026, 10, 3, 9);

/** Events as the ingester stores them, sent as it sends them (TabSeparated, gzipped: store/clickhouse.ts). */
const rows = (n: number): StoredEvent[] =>
  Array.from({ length: n }, (_, i) => ({
    event_id: `stalled-${i}`,
    ts: Math.floor((AT + i * 1000) / 1000),
    ts_ms: 0,
    user: `user${i % 5}@corp.example`,
    action: 'SELECT',
    bytes: 1000 + i,
    rows: 1,
    source: 'pg-main',
    db_name: 'crm',
    table_name: 'customers',
    client_ip: '10.1.2.3',
    client_app: 'psql',
    session_id: 's-1',
    query_id: `q-${i}`,
    status: 'ok',
    bytes_estimated: 0,
    identity: '',
    extra: '{}',
    ingested_at: Math.floor(Date.now() / 1000),
    kafka_topic: TOPIC,
    kafka_partition: 0,
    kafka_offset: i,
  }));
const asSent = (batch: StoredEvent[]) => ({ encoded: encodeRows(accessEventRows, batch) });

/** Rows whose body does not compress to nothing (request bodies are gzipped), so that it stops in its middle. */
const incompressible = (batch: StoredEvent[]) => batch.map((r) => ({ ...r, event_id: `${r.event_id}-${crypto.randomBytes(16).toString('hex')}` }));

describe('a writer frozen in the middle of sending an insert', () => {
  const config = testConfig();
  let admin: ClickHouse;
  let ch: ClickHouse;
  let database: string;
  let proxy: StallingProxy;
  let frozen: ClickHouse;

  beforeEach(async () => {
    database = uniqueName('it_stalled_body');
    ({ admin, ch } = await freshDatabase(database, config.clickhouse));
    proxy = await stallingProxy(config.clickhouse.url);
    // It waits for the server's answer as long as a test may take.
    frozen = createClickHouse({ ...config.clickhouse, url: proxy.url, requestTimeoutMs: 60000 }, { database });
  });
  afterEach(async () => {
    await frozen.close();
    await proxy.close();
    await dropDatabase(database, { admin, ch });
  });

  it("is passed over by the new owner's wait, is dropped by the server once its body has stalled for http_receive_timeout, and stores nothing when it resumes", async () => {
    const batch = incompressible(rows(1000));
    const attempt = await openAttempt(frozen, insertQueryId([{ topic: TOPIC, partition: 0, first: 0, last: 999 }]));
    // The request line, its headers and a few rows reach the server; the rest is held back.
    proxy.stallAfter(2000);
    const paused = frozen.insert('access_events', batch, { queryId: attempt.queryId, session: attempt.session, ...asSent(batch) }).then(
      () => undefined,
      (err: unknown) => err,
    );
    await waitUntil('the body to stall', async () => proxy.stalled(), 10000, 20);

    // The new owner (the partition moved while the writer was frozen): on 18.16 the frozen insert is not
    // listed before the server has read its first buffer, so the wait does not hold the new owner back.
    await waitForInserts(ch, { topic: TOPIC, partition: 0 }, { killAfterMs: 60000, log });
    await ch.insert('access_events', batch, asSent(batch));

    // The server gives up on the stalled body (3 s in the local services' profile); the writer gets a
    // retriable failure when it resumes (18.16: CANNOT_READ_FROM_ISTREAM), not a refusal of its rows.
    // Unref'd: the answer comes first, and the 20 s timer must not keep Jest's process alive after the run.
    const early = await Promise.race([paused, sleep(20000, undefined, { ref: false }).then(() => 'no answer within 20 s')]);
    proxy.resume();
    const outcome = await paused;
    // What the writer held back has reached the server by now: had the server waited for it, the batch
    // would be stored twice.
    await sleep(1000);
    const t = await storeTotals(ch);
    expect([t.rows, t.uniqueEvents]).toEqual([1000, 1000]);
    expectRollupsEqualRaw(t);
    expect(early).toBe(outcome);
    expect(outcome).toBeInstanceOf(ClickHouseError);
    expect({ retriable: (outcome as ClickHouseError).retriable, code: (outcome as ClickHouseError).context.serverCode }).toEqual({
      retriable: true,
      code: SERVER_CODES.CANNOT_READ_FROM_ISTREAM,
    });
  });

  it('killed in the middle of sending an insert, its connection closed cleanly, stores nothing: its TabSeparated body is gzipped, and a cut one is refused whole', async () => {
    const batch = incompressible(rows(3000));
    const attempt = await openAttempt(frozen, insertQueryId([{ topic: TOPIC, partition: 0, first: 0, last: 2999 }]));
    proxy.stallAfter(30_000);
    const killed = frozen.insert('access_events', batch, { queryId: attempt.queryId, session: attempt.session, ...asSent(batch) }).then(
      () => 'answered as stored',
      (err: unknown) => err,
    );
    await waitUntil('the body to stall', async () => proxy.stalled(), 10000, 20);
    // The kernel closes a killed writer's connection with a FIN: for the server, the body ends here.
    proxy.cut();
    const outcome = await killed;
    expect(outcome).toBeInstanceOf(ClickHouseError);
    // What 18.16 stored of a plain body cut short: the rows it had, the last one possibly cut (measured).
    const t = await storeTotals(ch);
    expect([t.rows, t.uniqueEvents]).toEqual([0, 0]);
    expect((outcome as ClickHouseError).context.serverCode).toBe(SERVER_CODES.ZLIB_INFLATE_FAILED);
    expect((outcome as ClickHouseError).retriable).toBe(true);

    // Why: a plain body cut short the same way is taken whole by 18.16, the last row cut with it.
    await ch.exec(sql`CREATE TABLE cut_plain (a UInt64, b UInt64) ENGINE = MergeTree ORDER BY a`);
    const url = new URL(config.clickhouse.url);
    const query = encodeURIComponent(`INSERT INTO ${database}.cut_plain FORMAT TabSeparated`);
    const auth = Buffer.from(`${config.clickhouse.username}:${config.clickhouse.password ?? ''}`).toString('base64');
    const body = '1\t2000001\n2\t2000002\n3\t20';
    const socket = net.connect(Number(url.port), url.hostname);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.end(`POST /?query=${query} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${auth}\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n`);
    // The server answers (and keeps the connection): its answer is enough.
    const answer = await new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString('utf8'))));
    socket.destroy();
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(await ch.query(sql`SELECT a, b FROM cut_plain ORDER BY a`)).toEqual([
      { a: '1', b: '2000001' },
      { a: '2', b: '2000002' },
      { a: '3', b: '20' },
    ]);
  });

  it('is measured at start on the server: one that drops a stalled body in time passes, one that waits too long is warned about', async () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const watched = createLogger({ level: 'info', destination: { write: (s: string) => lines.push(JSON.parse(s)) } });
    const messages = () => lines.splice(0).map((l) => `${l.level >= 40 ? 'warn' : 'info'}: ${l.msg.split(' ').slice(0, 5).join(' ')}`);
    // 3 s: deploy/local/clickhouse/users.xml. The defaults' limit: 30 s - 2 x 3 s.
    const fine = await checkReceiveTimeout(ch, { sessionTimeoutMs: 30000, heartbeatIntervalMs: 3000 }, watched);
    expect([fine.ok, fine.limitMs, fine.servers.length, fine.servers[0].droppedAfterMs! > 0]).toEqual([true, 24000, 1, true]);
    expect(messages()).toEqual(['info: ClickHouse drops a stalled request']);
    // A session of 6 s with heartbeats every 2 s leaves 2 s: 3 s is too long.
    expect((await checkReceiveTimeout(ch, { sessionTimeoutMs: 6000, heartbeatIntervalMs: 2000 }, watched)).ok).toBe(false);
    expect(messages()).toEqual(['warn: ClickHouse waits too long for']);
    // A server that never gives up (http_receive_timeout 0): one that takes the connection and waits. The
    // check waits a second past the limit, no longer.
    const accepted: net.Socket[] = [];
    const patient = net.createServer((socket) => void accepted.push(socket));
    await new Promise<void>((resolve) => patient.listen(0, '127.0.0.1', resolve));
    const waiting = createClickHouse({ ...config.clickhouse, url: `http://127.0.0.1:${(patient.address() as net.AddressInfo).port}` }, { database });
    try {
      const never = await checkReceiveTimeout(waiting, { sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000, rebalanceTimeoutMs: 60000 }, watched);
      expect([never.ok, never.limitMs, never.servers[0].droppedAfterMs]).toEqual([false, 4000, undefined]);
      expect(messages()).toEqual(['warn: ClickHouse waits too long for']);
    } finally {
      await waiting.close();
      for (const socket of accepted) socket.destroy();
      await new Promise((resolve) => patient.close(resolve));
    }
    // Nothing measured is never taken for a timeout: a failed login answers at once, a closed port refuses.
    for (const [what, settings] of [
      ['a failed login', { ...config.clickhouse, username: 'no_such_user' }],
      ['a closed port', { ...config.clickhouse, url: 'http://127.0.0.1:1' }],
    ] as const) {
      const other = createClickHouse(settings, { database });
      try {
        const r = await checkReceiveTimeout(other, { sessionTimeoutMs: 30000, heartbeatIntervalMs: 3000 }, watched);
        expect({ what, ok: r.ok, droppedAfterMs: r.servers[0].droppedAfterMs, unmeasured: typeof r.servers[0].unmeasured }).toEqual({ what, ok: false, droppedAfterMs: undefined, unmeasured: 'string' });
        expect(messages()).toEqual(['warn: could not measure how long']);
      } finally {
        await other.close();
      }
    }
  });
});
