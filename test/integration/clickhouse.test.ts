// Writes and reads rows on the real ClickHouse with @clickhouse/client, and checks error classification.
import { ClickHouseError } from '../../src/errors';
import { createClickHouse, ident, inList, sql, type ClickHouse } from '../../src/store';
import { testClickHouse, testConfig, uniqueName } from '../helpers/env';

describe('ClickHouse (real server)', () => {
  let ch: ClickHouse;
  const table = uniqueName('it_rows');

  beforeAll(async () => {
    ch = await testClickHouse();
    await ch.exec(sql`CREATE TABLE ${ident(table)} (user String, ts DateTime('UTC'), bytes UInt64) ENGINE = MergeTree ORDER BY (user, ts)`);
  });
  afterAll(async () => {
    await ch.exec(sql`DROP TABLE IF EXISTS ${ident(table)}`);
    await ch.close();
  });

  it('inserts rows and reads them back', async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => ({ user: `u${i % 10}`, ts: 1_700_000_000 + i, bytes: i * 1000 }));
    await ch.insert(table, rows);
    const [total] = await ch.query<{ n: string; sum: string }>(sql`SELECT count() AS n, sum(bytes) AS sum FROM ${ident(table)}`);
    expect(Number(total.n)).toBe(1000);
    expect(Number(total.sum)).toBe(rows.reduce((s, r) => s + r.bytes, 0));
    const perUser = await ch.query<{ user: string; n: string; last: string }>(
      sql`SELECT user, count() AS n, toString(max(ts)) AS last FROM ${ident(table)} WHERE user IN ${inList(['u3', 'u7'])} GROUP BY user ORDER BY user`,
    );
    expect(perUser).toEqual([
      { user: 'u3', n: '100', last: '2023-11-14 22:29:53' },
      { user: 'u7', n: '100', last: '2023-11-14 22:29:57' },
    ]);
  });

  it('reports the server version', async () => {
    expect(await ch.serverVersion()).toMatch(/^\d+\.\d+/);
  });

  it('classifies a rejected statement as not retriable, with the server code', async () => {
    const err = await ch.exec(sql`SELEC 1`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClickHouseError);
    expect((err as ClickHouseError).retriable).toBe(false);
    expect((err as ClickHouseError).code).toBe('CLICKHOUSE_REJECTED');
    expect((err as ClickHouseError).context.serverCode).toBe(62);
    const missing = await ch.query(sql`SELECT * FROM ${ident(uniqueName('missing'))}`).catch((e: unknown) => e);
    expect((missing as ClickHouseError).context.serverCode).toBe(60);
    expect((missing as Error).message).toMatch(/^ClickHouse rejected the query: Table .* doesn't exist/);
  });

  it('fails a TabSeparated read whose query fails after its first rows, passing none of them on', async () => {
    // Blocks of 1000 rows: the server has sent 150 of them when throwIf fires. Read as they stream, those
    // rows and then the error's text arrived with status 200 (18.16 and every server before 25.11).
    const lines: string[] = [];
    const err = await ch
      .queryTabSeparated(sql`SELECT toString(number), throwIf(number >= 150000) FROM system.numbers LIMIT 200000`, (line) => lines.push(line), { settings: { max_block_size: 1000 } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClickHouseError);
    expect((err as ClickHouseError).context.serverCode).toBe(395);
    expect(lines).toEqual([]);
  });

  it('fails a JSON read whose query fails after its first rows with the server\'s code, not as ClickHouse unreachable', async () => {
    // Without waiting for the end, 18.16 wrote the error's text after 150 blocks of rows (status 200): the
    // JSON parser failed on it, taken for an outage and retried without end by the callers that wait one out.
    const err = await ch.query(sql`SELECT toString(number) AS n, throwIf(number >= 150000) AS t FROM system.numbers LIMIT 200000`, { settings: { max_block_size: 1000 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClickHouseError);
    expect((err as ClickHouseError).context.serverCode).toBe(395);
    expect((err as ClickHouseError).retriable).toBe(false);
  });

  it('fails a TabSeparated read that a limit would end early, whatever overflow mode the profile set', async () => {
    // A user profile with read_overflow_mode or result_overflow_mode 'break' makes the server answer the
    // rows so far as a complete answer (status 200, no error): a history from part of the rows.
    const rollup = uniqueName('it_overflow');
    await ch.exec(sql`CREATE TABLE ${ident(rollup)} (user String, bytes UInt64) ENGINE = MergeTree ORDER BY user SETTINGS index_granularity = 128`);
    await ch.insert(rollup, Array.from({ length: 20000 }, (_, i) => ({ user: `u${i}`, bytes: i })));
    const profiles: Array<Record<string, string | number>> = [
      { max_rows_to_read: 1000, read_overflow_mode: 'break', max_block_size: 128 },
      { max_result_rows: 10, result_overflow_mode: 'break' },
    ];
    for (const settings of profiles) {
      const lines: string[] = [];
      const err = await ch.queryTabSeparated(sql`SELECT user, sum(bytes) FROM ${ident(rollup)} GROUP BY user`, (line) => lines.push(line), { settings }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ClickHouseError);
      expect(lines).toEqual([]);
    }
    await ch.exec(sql`DROP TABLE ${ident(rollup)}`);
  });

  it('fails a JSON read that a limit would end early, whatever overflow mode the profile set', async () => {
    // Reports, listings and the API read through query(): a partial answer would be a report missing rows.
    const table = uniqueName('it_overflow_json');
    await ch.exec(sql`CREATE TABLE ${ident(table)} (user String, bytes UInt64) ENGINE = MergeTree ORDER BY user SETTINGS index_granularity = 128`);
    await ch.insert(table, Array.from({ length: 20000 }, (_, i) => ({ user: `u${i}`, bytes: i })));
    const profiles: Array<Record<string, string | number>> = [
      { max_rows_to_read: 1000, read_overflow_mode: 'break', max_block_size: 128 },
      { max_result_rows: 10, result_overflow_mode: 'break' },
      { max_rows_to_group_by: 10, group_by_overflow_mode: 'break' },
    ];
    for (const settings of profiles) {
      const err = await ch.query(sql`SELECT user, sum(bytes) AS total FROM ${ident(table)} GROUP BY user`, { settings }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ClickHouseError);
    }
    const [row] = await ch.query<{ n: string }>(sql`SELECT count() AS n FROM ${ident(table)}`);
    expect(row.n).toBe('20000');
    await ch.exec(sql`DROP TABLE ${ident(table)}`);
  });

  it('passes on what a reader throws as its own failure, not as ClickHouse unreachable, and reads on afterwards', async () => {
    const bug = new TypeError('a reader bug');
    const err = await ch.queryTabSeparated(sql`SELECT number FROM system.numbers LIMIT 10`, () => { throw bug; }).catch((e: unknown) => e);
    expect(err).toBe(bug);
    const lines: string[] = [];
    await ch.queryTabSeparated(sql`SELECT 1;\n`, (line) => lines.push(line));
    expect(lines).toEqual(['1']);
  });

  it('passes on every row of a TabSeparated read larger than one block, in order, as lines', async () => {
    const lines: string[] = [];
    await ch.queryTabSeparated(sql`SELECT number, concat('a\tb', toString(number)) FROM system.numbers LIMIT 300000`, (line) => lines.push(line), { settings: { max_block_size: 1000 } });
    expect(lines.length).toBe(300000);
    expect(lines[0]).toBe('0\ta\\tb0');
    expect(lines[299999]).toBe('299999\ta\\tb299999');
  });

  it('classifies an unreachable server as retriable', async () => {
    const config = testConfig();
    const nowhere = createClickHouse({ ...config.clickhouse, url: 'http://127.0.0.1:1', requestTimeoutMs: 2000 });
    const err = await nowhere.query(sql`SELECT 1`).catch((e: unknown) => e);
    await nowhere.close();
    expect(err).toBeInstanceOf(ClickHouseError);
    expect((err as ClickHouseError).retriable).toBe(true);
    expect((err as ClickHouseError).code).toBe('CLICKHOUSE_UNAVAILABLE');
  });
});
