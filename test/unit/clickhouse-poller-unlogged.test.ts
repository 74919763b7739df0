// The query-log poller's read of system.processes (queries run with log_queries = 0, which query_log
// never records), on the rows the real 18.16 listed (test/fixtures/clickhouse/processes.jsonl): each
// such query is sent once though every poll sees it running, and not again after a restart (the keys
// sent are stored); a failing read of system.processes holds up no query_log row. The audited server,
// the cursor store and Kafka are fakes here; test/integration/sources-clickhouse.test.ts has the real ones.
import fs from 'node:fs';
import path from 'node:path';
import type { Producer } from 'kafkajs';
import { createLogger } from '../../src/log';
import { clickhouseQueryLogFormat, parseClickhouseOptions } from '../../src/sources/clickhouse';
import { createQueryLogPoller } from '../../src/sources/clickhouse/poller';
import type { ClickHouse, SqlFragment } from '../../src/store';

const rows = fs
  .readFileSync(path.join(__dirname, '..', 'fixtures', 'clickhouse', 'processes.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as Record<string, unknown>);
const queryLogRow = { type: 2, event_time_utc: '2026-12-07 10:30:00', t: '1796639400', query_id: 'q-logged', query: 'SELECT 1 FROM t', user: 'u', address: '::ffff:127.0.0.1' };

function world() {
  const cursors = new Map<string, { t: number; ids: string[]; rows_sent: number }>();
  const state = { running: rows, processesFail: false, queryLog: [] as Array<Record<string, unknown>>, marks: [] as string[] };
  const audited = {
    query: async (q: SqlFragment) => {
      const text = q.text;
      if (text.includes("table = 'query_log'")) return [{ name: 'address', type: 'FixedString(16)' }];
      if (text.includes("table = 'processes'")) return [{ name: 'Settings.Names', type: 'Array(String)' }, { name: 'Settings.Values', type: 'Array(String)' }];
      if (text.includes('FROM system.processes')) {
        if (state.processesFail) throw new Error('Code: 497. Not enough privileges');
        // As the server does: the rows whose text holds the poller's marker are left out.
        const mark = /position\(query, '([^']*)'\) = 0/.exec(text)![1];
        state.marks.push(mark);
        return state.running.filter((r) => !String(r.query).includes(mark));
      }
      if (text.includes('FROM system.query_log')) return state.queryLog;
      return [{ t: '1796639000' }]; // now() - lagS
    },
  } as unknown as ClickHouse;
  const store = {
    query: async (q: SqlFragment) => {
      const source = /source = '([^']*)'/.exec(q.text)![1];
      const c = cursors.get(source);
      return c ? [{ t: String(c.t), ids: c.ids, rows_sent: String(c.rows_sent) }] : [];
    },
    insert: async (_table: string, r: Array<{ source: string; cursor_time: number; cursor_ids: string[]; rows_sent: number }>) => {
      for (const c of r) cursors.set(c.source, { t: c.cursor_time, ids: c.cursor_ids, rows_sent: c.rows_sent });
    },
  } as unknown as ClickHouse;
  const sent: Array<{ key: string; value: string }> = [];
  const requests: number[] = [];
  const producer = {
    send: async ({ messages }: { messages: Array<{ key: string; value: string }> }) => {
      requests.push(messages.reduce((n, m) => n + Buffer.byteLength(m.value), 0));
      sent.push(...messages);
    },
  } as unknown as Producer;
  const poller = () =>
    createQueryLogPoller({ topic: 'chq', server: 'ch-audited', options: parseClickhouseOptions({}, 'chq'), store, producer, audited, log: createLogger({ level: 'silent' }) });
  return { state, sent, requests, cursors, poller };
}

const idsOf = (sent: Array<{ value: string }>) => sent.map((m) => (JSON.parse(m.value) as { query_id: string }).query_id.replace(/^fixture-[0-9a-f]+-/, '')).sort();

describe('the poller and queries running with query logging off', () => {
  it('sends each such query once while it runs, and not again after a restart; the keys of those that ended are dropped', async () => {
    const w = world();
    const first = w.poller();
    expect(await first.pollOnce()).toBe(3);
    expect(idsOf(w.sent)).toEqual(['off-no-table', 'session-set-off', 'url-off']);
    // The next poll sees them further along: nothing more.
    w.state.running = rows.map((r) => ({ ...r, elapsed: Number(r.elapsed) + 2, read_rows: '40', seen_at: '2026-12-07 10:34:23' }));
    expect(await first.pollOnce()).toBe(0);
    expect(await w.poller().pollOnce()).toBe(0);
    expect(w.sent).toHaveLength(3);
    // They ended: the keys kept are dropped.
    w.state.running = [];
    await first.pollOnce();
    expect(w.cursors.get('chq/unlogged')?.ids).toEqual([]);
    expect(w.cursors.get('chq/unlogged')?.rows_sent).toBe(3);
  });

  it("a user who read the poller's marker (its read is in system.processes, which every user may read) cannot hide a query behind it at the next poll", async () => {
    const w = world();
    w.state.running = [];
    const poller = w.poller();
    await poller.pollOnce();
    const seen = w.state.marks[0];
    const export_ = rows.find((r) => String(r.query_id).endsWith('session-set-off'))!;
    w.state.running = [{ ...export_, query: `${String(export_.query)} /* ${seen} */` }];
    expect(await poller.pollOnce()).toBe(1);
    expect(w.state.marks[1]).not.toBe(seen);
  });

  it('a query of 3 MB (max_query_size and log_queries_cut_to_length raised: logged whole on 18.16) is sent cut, under the ingester limit, with its tables and bytes', async () => {
    const w = world();
    const pad = `/*${'A'.repeat(3_000_000)}*/`;
    const exportRow = rows.find((r) => String(r.query_id).endsWith('session-set-off'))!;
    w.state.running = [{ ...exportRow, query: `SELECT id, email FROM crm.customers ${pad} FORMAT Null` }];
    w.state.queryLog = [{ ...queryLogRow, query: `SELECT email ${pad} FROM crm.customers`, result_rows: '100000', result_bytes: '2106890' }];
    expect(await w.poller().pollOnce()).toBe(2);
    const decoder = clickhouseQueryLogFormat.create({ server: 'ch-audited' }, 'chq');
    const ctx = { limits: { maxMessageBytes: 1 << 20, maxFutureSkewMs: 1e12 }, now: Date.UTC(2030, 0, 1), session: () => undefined, tableStats: () => undefined };
    const decoded = w.sent.map((m) => {
      expect(Buffer.byteLength(m.value)).toBeLessThan(1 << 20);
      const r = decoder.decode({ value: Buffer.from(m.value), topic: 'chq', partition: 0, offset: '0' }, ctx);
      if (!r.ok) throw new Error(`${r.code}: ${r.reason}`);
      return r.events.map((e) => [e.event.db_name, e.event.table_name, e.event.bytes]);
    });
    expect(decoded).toEqual([[['crm', 'customers', 0]], [['crm', 'customers', 2106890]]]);
  });

  it('200 such queries of 64 K characters running at once (one user: one partition) are sent in requests under a megabyte', async () => {
    const w = world();
    const exportRow = rows.find((r) => String(r.query_id).endsWith('session-set-off'))!;
    w.state.running = Array.from({ length: 200 }, (_, i) => ({ ...exportRow, query_id: `q${i}`, query: `SELECT id, email FROM crm.customers /*${'A'.repeat(64_000)}*/` }));
    expect(await w.poller().pollOnce()).toBe(200);
    expect(w.sent).toHaveLength(200);
    expect(Math.max(...w.requests)).toBeLessThan(1 << 20);
  });

  it('a read of system.processes that fails holds up no query_log row', async () => {
    const w = world();
    w.state.processesFail = true;
    w.state.queryLog = [queryLogRow];
    expect(await w.poller().pollOnce()).toBe(1);
    expect(idsOf(w.sent)).toEqual(['q-logged']);
  });
});
