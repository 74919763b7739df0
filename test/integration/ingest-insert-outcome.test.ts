// What the ingester finds and repairs after an insert whose outcome it does not know, on the real
// ClickHouse (src/ingest/insert-outcome.ts, store/write-fence.ts). The half-written states a server killed
// mid-insert leaves are made here on purpose: materialized views detached during an insert write the
// table without them (the server writes the table, then the views in the order of their names).
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { createLogger } from '../../src/log';
import { fenceAttempt, fencedWriter, openAttempt, serverCode, type FencedWriter } from '../../src/store/write-fence';
import { SERVER_CODES } from '../../src/store';
import { insertQueryId, repairPartition, settleInsert, waitForInserts, type InsertRange } from '../../src/ingest/insert-outcome';
import { Abandoned } from '../../src/kafka/retry';
import { ident, sql, type ClickHouse } from '../../src/store';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';
import { expectRollupsEqualRaw, storeTotals, waitUntil } from '../helpers/ingest-run';

jest.setTimeout(120000);
const log = createLogger({ level: 'silent' });
const VIEWS = ['ingest_batches_mv', 'user_daily_mv', 'user_hourly_mv', 'user_table_daily_mv'];
const TOPIC = 'events';

function rows(partition: number, first: number, n: number, tsOf: (i: number) => number, userOf = (i: number) => `user${i % 7}@corp.example`) {
  return Array.from({ length: n }, (_, i) => ({
    event_id: `p${partition}-${first + i}`,
    ts: Math.floor(tsOf(i) / 1000),
    user: userOf(i),
    action: i % 5 === 0 ? 'EXPORT' : 'SELECT',
    bytes: 1000 + i,
    rows: i % 9,
    db_name: 'crm',
    table_name: `t${i % 3}`,
    status: i % 11 === 0 ? 'error' : 'ok',
    ingested_at: Math.floor(Date.now() / 1000),
    kafka_topic: TOPIC,
    kafka_partition: partition,
    kafka_offset: first + i,
  }));
}
const range = (partition: number, first: number, n: number): InsertRange => ({ topic: TOPIC, partition, first, last: first + n - 1, events: n });
// Two days either side of a month boundary: one insert writes parts of two months in every rollup.
const ACROSS_MONTHS = (i: number) => Date.UTC(2026, 8, 30, 22) + i * 60_000;

/** Inserts with some views detached: what a server killed between the table and those views leaves. */
async function insertWithoutViews(ch: ClickHouse, views: string[], values: object[]): Promise<void> {
  for (const v of views) await ch.exec(sql`DETACH TABLE ${ident(v)}`);
  try {
    await ch.insert('access_events', values);
  } finally {
    for (const v of views) await ch.exec(sql`ATTACH TABLE ${ident(v)}`);
  }
}

describe('settling an insert whose outcome is unknown', () => {
  const config = testConfig();
  let admin: ClickHouse;
  let ch: ClickHouse;
  let database: string;
  let write: FencedWriter;

  beforeEach(async () => {
    database = uniqueName('it_insert_outcome');
    ({ admin, ch } = await freshDatabase(database, config.clickhouse));
    write = fencedWriter(ch, { queryIdPrefix: 'it-outcome:', confirm: async () => {}, killAfterMs: 60000, log });
  });
  afterEach(async () => {
    await dropDatabase(database, { admin, ch });
  });

  const insertWithout = (views: string[], values: object[]) => insertWithoutViews(ch, views, values);
  const rawCount = async () => Number((await ch.query<{ n: string }>(sql`SELECT count() AS n FROM access_events`))[0].n);
  const ledgerRows = async () => Number((await ch.query<{ n: string }>(sql`SELECT count() AS n FROM ingest_batches`))[0].n);

  it('each replay table has the columns of access_events, in order (INSERT ... SELECT * relies on it)', async () => {
    // DESCRIBE lists the columns in table order (18.16's system.columns has no position).
    const columns = async (table: string) => (await ch.query<{ name: string; type: string }>(sql`DESCRIBE TABLE ${ident(table)}`)).map((c) => ({ name: c.name, type: c.type }));
    const raw = await columns('access_events');
    expect(raw.length).toBeGreaterThan(10);
    for (const replay of ['replay_user_daily', 'replay_user_hourly', 'replay_user_table_daily']) expect({ replay, columns: await columns(replay) }).toEqual({ replay, columns: raw });
  });

  it('a batch stored whole is "stored" and left as it is; a batch never stored is "absent"', async () => {
    await ch.insert('access_events', rows(0, 0, 500, ACROSS_MONTHS));
    const before = await storeTotals(ch);
    expect(await settleInsert(ch, write, range(0, 0, 500), { log })).toBe('stored');
    expect(await storeTotals(ch)).toEqual(before);
    expect(await settleInsert(ch, write, range(0, 500, 100), { log })).toBe('absent');
    expect(await settleInsert(ch, write, range(1, 0, 500), { log })).toBe('absent');
  });

  it('events stored without their ledger row (no view ran) are deleted, and the batch is "absent"', async () => {
    await ch.insert('access_events', rows(0, 0, 300, ACROSS_MONTHS));
    await insertWithout(VIEWS, rows(0, 300, 400, ACROSS_MONTHS));
    expect(await rawCount()).toBe(700);
    expect(await settleInsert(ch, write, range(0, 300, 400), { log })).toBe('absent');
    expect(await rawCount()).toBe(300);
    expect(await ledgerRows()).toBe(1);
    const t = await storeTotals(ch);
    expect([t.rows, t.uniqueEvents]).toEqual([300, 300]);
    expectRollupsEqualRaw(t);
  });

  it('a DELETE ClickHouse does not carry out stops the settle loudly: reported with the mutation, counted, and the settle ends once it runs', async () => {
    // No merge or mutation of the table runs: what a wedged 18.16 does after a crash (a merge into a
    // temporary directory the crash left, failing forever; see local-services' removeLeftoverPartDirectories).
    await ch.exec(sql`SYSTEM STOP MERGES ${ident(database)}.access_events`);
    await insertWithout(VIEWS, rows(0, 0, 200, ACROSS_MONTHS));
    const lines: Array<Record<string, unknown>> = [];
    const watched = createLogger({ level: 'info', destination: { write: (s: string) => lines.push(JSON.parse(s)) } });
    let stalls = 0;
    const settled = settleInsert(ch, write, range(0, 0, 200), { log: watched, stall: { firstMs: 500, everyMs: 1000, onStall: () => stalls++ } });
    try {
      await waitUntil('the pending DELETE reported twice', async () => stalls >= 2, 30000, 100);
      const report = lines.find((l) => String(l.msg).startsWith('a mutation of access_events'));
      expect(report).toMatchObject({ level: 40, mergesRunning: 0 });
      expect(report?.mutations).toEqual([expect.objectContaining({ command: expect.stringContaining('DELETE WHERE'), parts_to_do: expect.anything() })]);
      expect(await rawCount()).toBe(200);
    } finally {
      await ch.exec(sql`SYSTEM START MERGES ${ident(database)}.access_events`);
    }
    expect(await settled).toBe('absent');
    expect(await rawCount()).toBe(0);
  });

  it('a stored batch that some rollups miss (server stopped between views) is added to those rollups only, once', async () => {
    // Another batch on the same users and days is stored whole: its share must not be added again.
    await ch.insert('access_events', rows(0, 0, 600, ACROSS_MONTHS));
    await insertWithout(['user_hourly_mv', 'user_table_daily_mv'], rows(0, 600, 400, ACROSS_MONTHS));
    const broken = await storeTotals(ch);
    expect(() => expectRollupsEqualRaw(broken)).toThrow();
    expect(broken.daily.events).toBe(1000);
    expect(broken.hourly.events).toBe(600);
    expect(await settleInsert(ch, write, range(0, 600, 400), { log })).toBe('stored');
    const t = await storeTotals(ch);
    expect([t.rows, t.uniqueEvents]).toEqual([1000, 1000]);
    expectRollupsEqualRaw(t);
    // Settling again finds it whole and changes nothing.
    expect(await settleInsert(ch, write, range(0, 600, 400), { log })).toBe('stored');
    expect(await storeTotals(ch)).toEqual(t);
  });

  it('a rollup that holds one month of a batch and not the other gets only the missing month', async () => {
    await ch.insert('access_events', rows(0, 0, 400, ACROSS_MONTHS));
    // The server wrote September's part of user_daily and not October's: the per-key check sees it.
    await ch.exec(sql`ALTER TABLE user_daily DROP PARTITION 202610`);
    const broken = await storeTotals(ch);
    expect(broken.daily.events).toBeLessThan(400);
    expect(broken.daily.events).toBeGreaterThan(0);
    expect(await settleInsert(ch, write, range(0, 0, 400), { log })).toBe('stored');
    expectRollupsEqualRaw(await storeTotals(ch));
  });

  it('repairs are writes: a member that cannot prove it still owns the partition deletes nothing', async () => {
    await insertWithout(VIEWS, rows(3, 0, 100, ACROSS_MONTHS));
    const lost = fencedWriter(ch, { queryIdPrefix: 'it-outcome:', confirm: async () => Promise.reject(new Abandoned('write')), killAfterMs: 60000, log });
    await expect(settleInsert(ch, lost, range(3, 0, 100), { log })).rejects.toBeInstanceOf(Abandoned);
    await expect(repairPartition(ch, lost, TOPIC, 3, 0, { log })).rejects.toBeInstanceOf(Abandoned);
    expect(await rawCount()).toBe(100);
  });

  it('on reassignment, orphans above the committed offset are deleted and half-written batches completed', async () => {
    await ch.insert('access_events', rows(2, 0, 200, ACROSS_MONTHS));
    await insertWithout(['user_daily_mv', 'user_hourly_mv', 'user_table_daily_mv'], rows(2, 200, 200, ACROSS_MONTHS));
    await insertWithout(VIEWS, rows(2, 400, 200, ACROSS_MONTHS));
    await repairPartition(ch, write, TOPIC, 2, 200, { log });
    const t = await storeTotals(ch);
    expect([t.rows, t.uniqueEvents]).toEqual([400, 400]);
    expectRollupsEqualRaw(t);
  });
});

describe('an insert shared by the partitions of a fetch (their employees apart)', () => {
  const config = testConfig();
  let admin: ClickHouse;
  let ch: ClickHouse;
  let database: string;
  let write: FencedWriter;
  // Each partition's own employees, as the ingester groups them (src/ingest/insert-groups.ts).
  const own = (partition: number) => (i: number) => `p${partition}-user${i % 5}@corp.example`;
  const shared = (partition: number, first: number, n: number) => rows(partition, first, n, ACROSS_MONTHS, own(partition));

  beforeEach(async () => {
    database = uniqueName('it_insert_shared');
    ({ admin, ch } = await freshDatabase(database, config.clickhouse));
    write = fencedWriter(ch, { queryIdPrefix: 'it-shared:', confirm: async () => {}, killAfterMs: 60000, log });
  });
  afterEach(async () => {
    await dropDatabase(database, { admin, ch });
  });

  const insertWithout = (views: string[], values: object[]) => insertWithoutViews(ch, views, values);

  it('stopped between the views: settling one partition completes its share, a new owner of the other completes the rest, once', async () => {
    // Earlier inserts of both partitions, stored whole, on the same employees and days.
    await ch.insert('access_events', [...shared(0, 0, 300), ...shared(1, 0, 300)]);
    await insertWithout(['user_hourly_mv', 'user_table_daily_mv'], [...shared(0, 300, 200), ...shared(1, 300, 250)]);
    const broken = await storeTotals(ch);
    expect(() => expectRollupsEqualRaw(broken)).toThrow();
    expect(await settleInsert(ch, write, range(0, 300, 200), { log })).toBe('stored');
    await repairPartition(ch, write, TOPIC, 1, 300, { log });
    const t = await storeTotals(ch);
    expect([t.rows, t.uniqueEvents]).toEqual([1050, 1050]);
    expectRollupsEqualRaw(t);
    // Both again: whole, nothing added.
    expect(await settleInsert(ch, write, range(1, 300, 250), { log })).toBe('stored');
    await repairPartition(ch, write, TOPIC, 0, 300, { log });
    expect(await storeTotals(ch)).toEqual(t);
  });

  it('stopped before its ledger row: each partition finds its rows orphaned, deletes them and sends them again', async () => {
    await ch.insert('access_events', [...shared(0, 0, 100), ...shared(1, 0, 100)]);
    await insertWithout(VIEWS, [...shared(0, 100, 150), ...shared(1, 100, 120)]);
    expect(await settleInsert(ch, write, range(0, 100, 150), { log })).toBe('absent');
    expect(await settleInsert(ch, write, range(1, 100, 120), { log })).toBe('absent');
    const t = await storeTotals(ch);
    expect([t.rows, t.uniqueEvents]).toEqual([200, 200]);
    expectRollupsEqualRaw(t);
  });

  it('a new owner of any of its partitions waits for it while it runs, and for nothing else', async () => {
    const id = `${insertQueryId([range(0, 0, 10), range(1, 0, 10), range(11, 5, 9)])}${Date.now()}`;
    const raw = createClient({ url: config.clickhouse.url, username: config.clickhouse.username, password: config.clickhouse.password ?? '', request_timeout: 120000, log: { level: ClickHouseLogLevel.OFF } });
    // Stands in for the running insert: a query under its id, about 9 s long (sleep is per block of one row).
    const long = raw.command({ query: 'SELECT sleep(3) FROM numbers(3)', query_id: id, clickhouse_settings: { max_block_size: '1' } as never }).then(
      () => 'finished',
      (err: Error) => err.message,
    );
    try {
      await waitUntil('the stand-in running', async () => Number((await ch.query<{ n: string }>(sql`SELECT count() AS n FROM system.processes WHERE query_id = ${id}`))[0].n) === 1, 10000, 50);
      // Partitions 2 and 1 of another topic, and partition 1's prefix twins (11, 111): not in this insert.
      for (const [topic, partition] of [[TOPIC, 2], ['events2', 1], [TOPIC, 111]] as const) {
        const started = Date.now();
        await waitForInserts(ch, { topic, partition }, { killAfterMs: 60000, log });
        expect({ topic, partition, waited: Date.now() - started < 2000 }).toEqual({ topic, partition, waited: true });
      }
      // Partition 1 (second in the id) and 11 (third): waited for until killed past the limit.
      const started = Date.now();
      await waitForInserts(ch, { topic: TOPIC, partition: 1 }, { killAfterMs: 2000, log });
      expect(Date.now() - started).toBeGreaterThan(2000);
      expect(await long).toMatch(/cancel|kill/i);
    } finally {
      await raw.close();
    }
  });
});

describe('the fence around an insert attempt', () => {
  const config = testConfig();
  let admin: ClickHouse;
  let ch: ClickHouse;
  let database: string;

  beforeAll(async () => {
    database = uniqueName('it_insert_fence');
    ({ admin, ch } = await freshDatabase(database, config.clickhouse));
  });
  afterAll(async () => {
    await dropDatabase(database, { admin, ch });
  });

  it('an insert sent in its session while the session lives is stored', async () => {
    const attempt = await openAttempt(ch, 'it-fence:');
    await ch.insert('access_events', rows(0, 0, 10, ACROSS_MONTHS), { queryId: attempt.queryId, session: attempt.session });
    expect(Number((await ch.query<{ n: string }>(sql`SELECT count() AS n FROM access_events WHERE kafka_partition = 0`))[0].n)).toBe(10);
  });

  it('once fenced, a late insert of the attempt (a paused writer, a request still on its way) is refused and stores nothing', async () => {
    const attempt = await openAttempt(ch, 'it-fence:');
    await fenceAttempt(ch, attempt, { killAfterMs: 60000, log });
    const late = await ch.insert('access_events', rows(1, 0, 10, ACROSS_MONTHS), { queryId: attempt.queryId, session: attempt.session }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(serverCode(late)).toBe(SERVER_CODES.SESSION_NOT_FOUND);
    expect(Number((await ch.query<{ n: string }>(sql`SELECT count() AS n FROM access_events WHERE kafka_partition = 1`))[0].n)).toBe(0);
  });

  it('waits while the attempt runs on the server, and kills it when it runs past the limit', async () => {
    const attempt = await openAttempt(ch, 'it-fence:');
    // A query holding the attempt's session for about 30 s (sleep is per block of one row).
    const raw = createClient({ url: config.clickhouse.url, username: config.clickhouse.username, password: config.clickhouse.password ?? '', request_timeout: 120000, log: { level: ClickHouseLogLevel.OFF } });
    const started = Date.now();
    const long = raw
      .command({
        query: 'SELECT sleep(3) FROM numbers(10)',
        query_id: attempt.queryId,
        session_id: attempt.session.id,
        clickhouse_settings: { max_block_size: '1', session_check: 1, session_timeout: 1 } as never,
      })
      .then(
        () => 'finished',
        (err: Error) => err.message,
      );
    await new Promise((r) => setTimeout(r, 500));
    await fenceAttempt(ch, attempt, { killAfterMs: 6000, log });
    const fencedAfter = Date.now() - started;
    expect(await long).toMatch(/cancel|kill/i);
    // Not before the kill: the running attempt held its session until then.
    expect(fencedAfter).toBeGreaterThan(6000);
    const [running] = await ch.query<{ n: string }>(sql`SELECT count() AS n FROM system.processes WHERE query_id = ${attempt.queryId}`);
    expect(Number(running.n)).toBe(0);
    await raw.close();
  });
});
