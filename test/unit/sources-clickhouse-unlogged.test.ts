// Reads a ClickHouse user hid from system.query_log (`log_queries = 0`), seen in system.processes while
// they ran: rows the real server (18.16) listed, captured by scripts/capture-clickhouse-unlogged.ts
// through the poller's own SELECT (test/fixtures/clickhouse/processes.jsonl), of a slow read run by an
// audited session (log_queries = 1) after `SET log_queries = 0`, with `?log_queries=0` on the URL, with
// logging on, and with logging off but no table read. query_log had no row of the two hidden reads
// (processes-cases.json, `inQueryLog`): their events here are all the product ever knows of them.
import fs from 'node:fs';
import path from 'node:path';
import { unmeasuredOf } from '../../src/detect/event';
import { toCanonical } from '../../src/event';
import { clickhouseQueryLogFormat } from '../../src/sources/clickhouse';
import { unloggedOf, type ProcessesRow } from '../../src/sources/clickhouse/poller';
import { queryLogOffBy } from '../../src/sources/clickhouse/unlogged';
import type { DecodeResult } from '../../src/sources/types';

const DIR = path.join(__dirname, '..', 'fixtures', 'clickhouse');
const rows = fs.readFileSync(path.join(DIR, 'processes.jsonl'), 'utf8').trim().split('\n');
const { database, cases } = JSON.parse(fs.readFileSync(path.join(DIR, 'processes-cases.json'), 'utf8')) as {
  database: string;
  cases: Array<{ name: string; queryId: string; inQueryLog: boolean; expected: { table: string; offBy: string } | null }>;
};
const decoder = clickhouseQueryLogFormat.create({ server: 'ch-audited' }, 't');
const ctx = { limits: { maxMessageBytes: 1 << 20, maxFutureSkewMs: 1e12 }, now: Date.UTC(2030, 0, 1), session: () => undefined, tableStats: () => undefined };
const decode = (text: string): DecodeResult => decoder.decode({ value: Buffer.from(text), topic: 't', partition: 0, offset: '0' }, ctx);
const decoded = (text: string) => {
  const r = decode(text);
  if (!r.ok) throw new Error(`${r.code}: ${r.reason}`);
  return r.events;
};
const rowOf = (queryId: string) => rows.find((r) => r.includes(`"query_id":"${queryId}"`))!;

describe('clickhouse-query-log on system.processes rows of queries run with query logging off', () => {
  it('has a row for every query of the scenario, and query_log recorded only the one with logging on', () => {
    expect(rows.map((r) => (JSON.parse(r) as { query_id: string }).query_id).sort()).toEqual(cases.map((c) => c.queryId).sort());
    expect(cases.filter((c) => c.inQueryLog).map((c) => c.name)).toEqual(['logged']);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const row = rowOf(c.queryId);
    const events = decoded(row).map((e) => e.event);
    if (!c.expected) {
      expect(events).toEqual([]);
      return;
    }
    expect(events).toHaveLength(1);
    const [stored] = events;
    const e = toCanonical(stored);
    const r = JSON.parse(row) as { seen_at: string; elapsed: number; port: number };
    expect({ action: e.action, database: e.database, table: e.table, bytes: e.bytes, rows: e.rows, user: e.user, client_ip: e.client_ip, client_app: e.client_app, status: e.status }).toEqual({
      action: 'SELECT',
      database,
      table: c.expected.table,
      bytes: 0,
      rows: 0,
      user: 'default',
      client_ip: '127.0.0.1',
      client_app: 'node',
      status: 'ok',
    });
    expect(e.event_id).toMatch(new RegExp(`^ch-audited/${c.queryId}/unlogged/[0-9a-f]{12}$`));
    expect([e.bytes_unknown, e.query_log_off_by, e.seen_in, e.read_rows, e.read_bytes]).toEqual([
      `ran with ${c.expected.offBy}: system.query_log has no row of it`,
      c.expected.offBy,
      'system.processes',
      20,
      630,
    ]);
    // When it began: the server's clock at the read, less the time it had run.
    expect(Date.parse(String(e.ts))).toBe(Math.round(Date.parse(`${r.seen_at.replace(' ', 'T')}Z`) - r.elapsed * 1000));
    // What the detector's unmeasuredReads reads from the stored event.
    expect(unmeasuredOf(stored.extra)).toBe(`ran with ${c.expected.offBy}: system.query_log has no row of it (turned off by ${c.expected.offBy})`);
  });

  it('the same query read in a later poll (further along, the server clock later) has the same event id; another query under the same id has another', () => {
    const row = JSON.parse(rowOf(cases.find((c) => c.name === 'url-off')!.queryId)) as ProcessesRow;
    const first = decoded(JSON.stringify(row))[0].event.event_id;
    const later = { ...row, elapsed: Number(row.elapsed) + 2.5, read_rows: '40', read_bytes: '1260', seen_at: '2026-12-07 10:34:24' };
    expect(decoded(JSON.stringify(later))[0].event.event_id).toBe(first);
    expect(decoded(JSON.stringify({ ...row, query: String(row.query).replace('id, email', 'email') }))[0].event.event_id).not.toBe(first);
  });

  it('the poller sends the rows with logging off, not the logged one; the decoder notes the one that reads no table', () => {
    const all = rows.map((r) => JSON.parse(r) as ProcessesRow);
    expect(unloggedOf(all).map((r) => r.query_id.replace(/^fixture-[0-9a-f]+-/, '')).sort()).toEqual(['off-no-table', 'session-set-off', 'url-off']);
    const noTable = decode(rowOf(cases.find((c) => c.name === 'off-no-table')!.queryId));
    expect(noTable).toMatchObject({ ok: true, events: [], note: 'ran with log_queries = 0, but reads no table' });
  });

  it('a row whose settings are not two arrays of one length is refused with the reason, not dropped', () => {
    const row = JSON.parse(rowOf(cases[0].queryId)) as Record<string, unknown>;
    expect(decode(JSON.stringify({ ...row, 'Settings.Values': ['0'] }))).toMatchObject({ ok: false, code: 'wrong_type', reason: expect.stringContaining('Settings.Names and Settings.Values') });
    expect(decode(JSON.stringify({ ...row, elapsed: 'soon' }))).toMatchObject({ ok: false, code: 'wrong_type' });
  });

  it('reads of system tables only (another poller reading system.query_log with logging off) give no event', () => {
    const row = JSON.parse(rowOf(cases[0].queryId)) as Record<string, unknown>;
    expect(decode(JSON.stringify({ ...row, query: 'SELECT * FROM system.query_log WHERE event_time > now() - 60' }))).toMatchObject({ ok: true, events: [] });
  });

  it('a table function read beside a system table is a read: remote() CROSS JOIN system.one (seen on 18.16: not in query_log, and named no table but system.one)', () => {
    const row = JSON.parse(rowOf(cases[0].queryId)) as Record<string, unknown>;
    const query = "SELECT sleepEachRow(0.1), id, email FROM remote('127.0.0.1', h102_db.customers) CROSS JOIN system.one LIMIT 30 FORMAT Null";
    const events = decoded(JSON.stringify({ ...row, query }));
    expect(events).toHaveLength(1);
    expect(events[0].event).toMatchObject({ table_name: 'remote()', bytes: 0 });
    expect(JSON.parse(events[0].event.extra)).toMatchObject({ tables_from: 'table functions in the query', query_log_off_by: 'log_queries = 0' });
    expect(decoded(JSON.stringify({ ...row, query: "SELECT * FROM merge('crm', '^cust') CROSS JOIN system.one" })).map((e) => e.event.table_name)).toEqual(['merge()']);
  });
});

describe('queryLogOffBy: the settings that keep a finished query out of query_log', () => {
  const off = (s: Record<string, string>, elapsedS = 1) => queryLogOffBy(new Map(Object.entries(s)), elapsedS);
  it('log_queries = 0 (18.16 and later), and what newer servers add, by name only', () => {
    expect(off({ log_queries: '0' })).toEqual(['log_queries = 0']);
    expect(off({ log_queries: 'false' })).toEqual(['log_queries = false']);
    expect(off({ log_queries: '1', max_block_size: '10' })).toEqual([]);
    expect(off({})).toEqual([]);
    // QUERY_FINISH still logs the QueryFinish row the decoder counts; the exception types do not.
    expect(off({ log_queries_min_type: 'QUERY_FINISH' })).toEqual([]);
    expect(off({ log_queries_min_type: 'EXCEPTION_WHILE_PROCESSING' })).toEqual(['log_queries_min_type = EXCEPTION_WHILE_PROCESSING']);
    expect(off({ log_queries_probability: '0.01' })).toEqual(['log_queries_probability = 0.01']);
    expect(off({ log_queries_probability: '1' })).toEqual([]);
    // A minimum duration hides the query only while it may still finish under it.
    expect(off({ log_queries_min_query_duration_ms: '100000' }, 3)).toEqual(['log_queries_min_query_duration_ms = 100000']);
    expect(off({ log_queries_min_query_duration_ms: '1000' }, 3)).toEqual([]);
    expect(off({ log_queries: '0', log_queries_probability: '0.5' })).toEqual(['log_queries = 0', 'log_queries_probability = 0.5']);
  });
});
