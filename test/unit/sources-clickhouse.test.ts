// The clickhouse-query-log format on rows the real ClickHouse 18.16 wrote to its system.query_log
// (test/fixtures/clickhouse/, captured by scripts/capture-clickhouse-fixtures.ts through the poller's
// own SELECT): queries of known result size give events of those sizes; tables come from the query
// text (18.16 has no `tables` column) or from `tables` where a newer server has it.
import fs from 'node:fs';
import path from 'node:path';
import { toCanonical } from '../../src/event';
import { clickhouseQueryLogFormat, executionKey } from '../../src/sources/clickhouse';
import { numberRepeats } from '../../src/sources/clickhouse/poller';
import type { DecodeResult } from '../../src/sources/types';

const DIR = path.join(__dirname, '..', 'fixtures', 'clickhouse');
const rows = fs.readFileSync(path.join(DIR, 'query_log.jsonl'), 'utf8').trim().split('\n');
const { cases } = JSON.parse(fs.readFileSync(path.join(DIR, 'cases.json'), 'utf8')) as {
  cases: Array<{ name: string; queryId: string; expected: { action: string; database: string; table: string; rows: number; bytes: number; status: string } | null }>;
};
const decoder = clickhouseQueryLogFormat.create({ server: 'ch-audited' }, 't');
const ctx = { limits: { maxMessageBytes: 1 << 20, maxFutureSkewMs: 1e12 }, now: Date.UTC(2030, 0, 1), session: () => undefined, tableStats: () => undefined };
const decode = (text: string): DecodeResult => decoder.decode({ value: Buffer.from(text), topic: 't', partition: 0, offset: '0' }, ctx);
const eventsOf = (text: string) => {
  const r = decode(text);
  if (!r.ok) throw new Error(`${r.code}: ${r.reason}`);
  return r.events.map((e) => toCanonical(e.event));
};

describe('clickhouse-query-log on rows the real server logged', () => {
  it('has a row for every query of the scenario', () => {
    expect(rows.map((r) => (JSON.parse(r) as { query_id: string }).query_id).sort()).toEqual(cases.map((c) => c.queryId).sort());
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const row = rows.find((r) => r.includes(`"query_id":"${c.queryId}"`))!;
    const events = eventsOf(row);
    if (!c.expected) {
      expect(events).toEqual([]);
      return;
    }
    const [e] = events;
    expect({ action: e.action, database: e.database, table: e.table, rows: e.rows, status: e.status }).toEqual({ action: c.expected.action, database: c.expected.database, table: c.expected.table, rows: c.expected.rows, status: c.expected.status });
    // -1: a join's result size depends on String lengths; the row's own result_bytes then.
    expect(e.bytes).toBe(c.expected.bytes >= 0 ? c.expected.bytes : Number((JSON.parse(row) as { result_bytes: string }).result_bytes));
    expect([e.event_id.replace(/\/[0-9a-f]{12}$/, '/KEY'), e.query_id, e.client_ip, e.client_app, e.bytes_estimated, e.source]).toEqual([`ch-audited/${c.queryId}/KEY`, c.queryId, '127.0.0.1', 'node', false, 'ch-audited']);
    expect(e.tables_from).toBe('query text');
    expect(e.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
  });

  // Rows the real server logged for an attacker's queries (helper-86's run): a table read through the
  // merge() and remote() table functions, and a query id used twice, by a 4-byte query and then by a
  // read of the whole table.
  const attacker = fs.readFileSync(path.join(DIR, 'attacker.jsonl'), 'utf8').trim().split('\n');

  it('a table read through merge() or remote() counts its result bytes, named by the function', () => {
    const read = (fn: string) => eventsOf(attacker.find((r) => r.includes(`FROM ${fn}(`))!);
    expect([...read('merge'), ...read('remote')].map((e) => [e.table, e.bytes, e.rows, e.tables_from])).toEqual([
      ['merge()', 1948890, 20000, 'table functions in the query'],
      ['remote()', 1948890, 20000, 'table functions in the query'],
    ]);
  });

  it('a comment between FROM and the function hides nothing; a function named in a string reads nothing', () => {
    const row = JSON.parse(attacker.find((r) => r.includes('FROM merge('))!) as Record<string, unknown>;
    const as = (query: string) => eventsOf(JSON.stringify({ ...row, query })).map((e) => e.table);
    expect(as("SELECT * FROM/**/merge('spoof_ch', '^customers$')")).toEqual(['merge()']);
    expect(as("SELECT * FROM /* x */ remote('127.0.0.1', spoof_ch, customers)")).toEqual(['remote()']);
    expect(as("SELECT * FROM numbers(1), url('http://x', CSV, 'a String')")).toEqual(['url()']);
    expect(as("SELECT ' FROM merge(' AS s")).toEqual([]);
  });

  it('a query id used again is another event (its id from the row, the same when the row is read again)', () => {
    const twice = attacker.filter((r) => r.includes('"query_id":"spoof_c3_1677"'));
    const ids = twice.map((r) => eventsOf(r)[0].event_id);
    expect(new Set(ids).size).toBe(2);
    expect(twice.map((r) => eventsOf(r)[0].event_id)).toEqual(ids);
    expect(twice.map((r) => eventsOf(r)[0].bytes)).toEqual([4, 1948890]);
  });

  // Rows the real server logged for one statement run six times under one query id the client chose
  // (scripts/capture-clickhouse-reused-id.ts, over one keep-alive HTTP connection): five are alike in
  // every column the key hashes (the same second, 1 ms, sizes, user, query; 18.16 logs their port,
  // memory_usage and thread_numbers alike too), read as the poller reads them, which numbers those five
  // `repeat` 0 (none) to 4. Each read once counted: six ids, 6 x 608,890 bytes.
  const reused = fs.readFileSync(path.join(DIR, 'reused-query-id.jsonl'), 'utf8').trim().split('\n');

  it('N executions of one statement under one reused query id give N events with N ids, the same when read again', () => {
    const ids = reused.map((r) => eventsOf(r)[0].event_id);
    expect(reused).toHaveLength(6);
    expect(new Set(ids).size).toBe(6);
    expect(reused.map((r) => eventsOf(r)[0].event_id)).toEqual(ids);
    expect(reused.map((r) => eventsOf(r)[0].bytes)).toEqual(Array(6).fill(608890));
    // The first of alike rows (and a row alike no other) keeps the id it had before repeats were numbered.
    expect([ids[0], ids[5]]).toEqual(['ch-audited/fixture-c70c2f41-reused/ea69a85d4ef0', 'ch-audited/fixture-c70c2f41-reused/bd0a38872b64']);
  });

  it('the poller numbers the repeats of rows as the server returned them, the same each time', () => {
    const asLogged = () =>
      reused.map((r) => {
        const { repeat: _repeat, ...row } = JSON.parse(r) as Record<string, unknown>;
        return row;
      });
    expect(asLogged().map((r) => JSON.stringify(r))).not.toEqual(reused);
    expect(numberRepeats(asLogged()).map((r) => JSON.stringify(r))).toEqual(reused);
    expect(numberRepeats(numberRepeats(asLogged())).map((r) => JSON.stringify(r))).toEqual(reused);
    expect(new Set(numberRepeats(asLogged()).map((r) => executionKey(r))).size).toBe(6);
    expect(new Set(asLogged().map((r) => executionKey(r))).size).toBe(2);
  });

  it('a join gives one event per table, the bytes on the first', () => {
    const row = rows.find((r) => r.includes('-join"'))!;
    expect(eventsOf(row).map((e) => [e.table, e.bytes > 0, e.rows])).toEqual([
      ['measures', true, 10],
      ['customer names', false, 0],
    ]);
  });

  it('uses the tables column where the server has it, and skips QueryStart rows and shards\' parts of distributed queries', () => {
    const row = JSON.parse(rows.find((r) => r.includes('-select"'))!) as Record<string, unknown>;
    expect(eventsOf(JSON.stringify({ ...row, tables: ['crm.customers', '_table_function.numbers'] })).map((e) => [e.database, e.table, e.tables_from])).toEqual([['crm', 'customers', 'query_log.tables']]);
    expect(eventsOf(JSON.stringify({ ...row, type: 'QueryStart' }))).toEqual([]);
    expect(eventsOf(JSON.stringify({ ...row, is_initial_query: 0 }))).toEqual([]);
    expect(eventsOf(JSON.stringify({ ...row, type: 'QueryFinish' }))[0].rows).toBe(100);
  });

  it.each([
    ['not JSON', 'SELECT 1', 'wrong_format'],
    ['another format', '{"event_id":"e","ts":1,"user":"u","action":"SELECT","bytes":1}', 'envelope_unknown'],
    ['an unknown type', JSON.stringify({ query_id: 'q', type: 'Finished?', query: 'SELECT 1' }), 'wrong_type'],
    ['a bad time', JSON.stringify({ query_id: 'q', type: 2, query: 'SELECT * FROM t', user: 'u', event_time: 'soon', result_rows: '1', result_bytes: '8' }), 'bad_timestamp'],
    ['a row without its user', JSON.stringify({ query_id: 'q', type: 2, query: 'SELECT * FROM t', event_time: '2026-12-02 05:48:10', result_rows: '1', result_bytes: '8' }), 'empty_string'],
  ])('%s is dead-lettered with a reason', (_what, text, code) => {
    const r = decode(text);
    expect(r.ok ? 'decoded' : r.code).toBe(code);
  });
});

describe('a long select list before FROM (no setting changed, no privilege needed)', () => {
  it("a read whose FROM comes after 2,000 tokens is still a read of its table (seen on 18.16: query_log's row, 2.1 MB of h102_db.customers, was 'no table')", () => {
    // The real row, of `SELECT email, 1, 1, ... (1,000 times) FROM h102_db.customers /* h102tok */ FORMAT Null`.
    const row = {"type": 2, "event_time": "2026-12-07 10:54:24", "query_duration_ms": "108", "read_rows": "100000", "read_bytes": "2088890", "written_rows": "0", "result_rows": "100000", "result_bytes": "2106890", "exception": "", "user": "default", "query_id": "h102-many-columns", "address": "::ffff:127.0.0.1", "client_name": "", "http_user_agent": "curl/7.88.1", "is_initial_query": 1, "query": `SELECT email${", 1".repeat(1000)} FROM h102_db.customers /* h102tok */ FORMAT Null`};
    const events = eventsOf(JSON.stringify(row));
    expect(events.map((e) => [e.database, e.table, e.bytes])).toEqual([['h102_db', 'customers', 2106890]]);
  });
});

describe('a read that fails while it sends its result (an export that ends on a cast or throwIf on purpose)', () => {
  // Captured from 18.16 (2026-12-07): `SELECT id, email, note, toUInt64(if(id = 199999, 'end😀', '1')) AS x
  // FROM h54_db.customers` over HTTP sent the client 8,681,691 bytes, then the error; the same read without
  // the cast sent 8,837,465. query_log: the failed one type 4 with result_bytes 0, read_bytes 12,348,575 (the
  // successful one's result_bytes).
  const [failed, ok] = fs.readFileSync(path.join(DIR, 'failed-while-sending.jsonl'), 'utf8').trim().split('\n');

  it('counts what it read, as data moved (status ok, estimated), with the error kept', () => {
    const [e] = eventsOf(failed);
    expect(e).toMatchObject({ table: 'customers', database: 'h54_db', status: 'ok', bytes: 12348575, rows: 200000, bytes_estimated: true });
    expect(e).toMatchObject({ failed_while_sending: true, error: expect.stringMatching(/^Code: 6, .*Cannot parse string 'end😀' as UInt64/) });
    const [read] = eventsOf(ok);
    expect([read.bytes, read.status, read.bytes_estimated]).toEqual([12348575, 'ok', false]);
  });

  it('still counts nothing for a read that failed before it began, nor for a failed write', () => {
    const row = JSON.parse(failed);
    expect(eventsOf(JSON.stringify({ ...row, type: 3, read_rows: '0', read_bytes: '0' })).map((e) => [e.status, e.bytes])).toEqual([['error', 0]]);
    const write = { ...row, query: 'INSERT INTO h54_db.copy SELECT * FROM h54_db.customers' };
    expect(eventsOf(JSON.stringify(write)).every((e) => e.bytes === 0)).toBe(true);
  });

  it('cuts a long error text without splitting a character (half a pair is not text: the event was refused)', () => {
    const row = JSON.parse(failed);
    const exception = `${'x'.repeat(511)}😀${row.exception}`;
    const r = decode(JSON.stringify({ ...row, exception }));
    expect(r.ok).toBe(true);
    const [e] = eventsOf(JSON.stringify({ ...row, exception }));
    expect(e.error).toBe('x'.repeat(511));
  });
});
