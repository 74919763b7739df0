// Captures the system.processes fixture the unit tests decode (test/fixtures/clickhouse/processes.jsonl):
// slow reads run on the local ClickHouse (18.16 here) over HTTP, each in a session whose user is audited
// (`SET log_queries = 1`, what their profile would say), some of them with query logging switched off
// the ways a user can (`SET log_queries = 0` in the session, `?log_queries=0` on the URL); while they
// run, their system.processes rows are read exactly as the poller reads them (processesRows). Then,
// after SYSTEM FLUSH LOGS, whether query_log has a row of each (processes-cases.json). Run:
//   INSIDER_STATE_DIR=... npx tsx scripts/capture-clickhouse-unlogged.ts
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { processesColumns, processesRows } from '../src/sources/clickhouse/poller';
import { createClickHouse, ident, inList, sql } from '../src/store';

const OUT = path.join(__dirname, '..', 'test', 'fixtures', 'clickhouse');
// On a shared server, a database name of one's own: FIXTURE_DB.
const DB = process.env.FIXTURE_DB ?? 'insider_fixtures_chu';

async function main(): Promise<void> {
  const { config } = loadConfig();
  const ch = createClickHouse(config.clickhouse, { database: 'default' });
  await ch.exec(sql`DROP DATABASE IF EXISTS ${ident(DB)}`);
  await ch.exec(sql`CREATE DATABASE ${ident(DB)}`);
  await ch.exec(sql`CREATE TABLE ${ident(DB)}.customers (id UInt64, email String) ENGINE = MergeTree ORDER BY id`);
  await ch.exec(sql`INSERT INTO ${ident(DB)}.customers SELECT number, concat('c', toString(number), '@example.com') FROM system.numbers LIMIT 40`);
  const run = crypto.randomBytes(4).toString('hex');
  // 40 rows, 10 a block, 0.1 s a row: 4 s (18.16 allows sleepEachRow 3 s a block at most).
  const slow = sql`SELECT sleepEachRow(0.1), id, email FROM ${ident(DB)}.customers`.text;
  const cases = [
    { name: 'session-set-off', off: 'SET log_queries = 0', query: slow, expected: { table: 'customers', offBy: 'log_queries = 0' } },
    { name: 'url-off', off: '?log_queries=0', query: slow, expected: { table: 'customers', offBy: 'log_queries = 0' } },
    { name: 'logged', off: '', query: slow, expected: null },
    { name: 'off-no-table', off: '?log_queries=0', query: 'SELECT sleepEachRow(0.1), number FROM numbers(40)', expected: null },
  ].map((c) => ({ ...c, queryId: `fixture-${run}-${c.name}` }));
  const http = async (params: Record<string, string>, body: string) => {
    const url = new URL(config.clickhouse.url);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const res = await fetch(url, { method: 'POST', body });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${body}: ${text}`);
  };
  const running = cases.map(async (c) => {
    const session = `${c.queryId}-session`;
    await http({ session_id: session }, 'SET log_queries = 1');
    if (c.off === 'SET log_queries = 0') await http({ session_id: session }, c.off);
    const params: Record<string, string> = { session_id: session, query_id: c.queryId, max_block_size: '10' };
    if (c.off === '?log_queries=0') params.log_queries = '0';
    await http(params, `${c.query} FORMAT Null`);
  });
  await new Promise((r) => setTimeout(r, 1500));
  const cols = await processesColumns(ch);
  const ids = new Set(cases.map((c) => c.queryId));
  const rows = (await processesRows(ch, cols, `capture-${run}`)).filter((r) => ids.has(r.query_id));
  await Promise.all(running);
  await ch.exec(sql`SYSTEM FLUSH LOGS`);
  const logged = await ch.query<{ query_id: string }>(sql`SELECT DISTINCT query_id FROM system.query_log WHERE query_id IN ${inList([...ids])} AND type = 2`, { settings: { log_queries: 0 } });
  const inQueryLog = new Set(logged.map((r) => r.query_id));
  fs.writeFileSync(path.join(OUT, 'processes.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const server = (await ch.query<{ v: string }>(sql`SELECT version() AS v`))[0].v;
  const out = { server, database: DB, cases: cases.map(({ query: _q, ...c }) => ({ ...c, inQueryLog: inQueryLog.has(c.queryId) })) };
  fs.writeFileSync(path.join(OUT, 'processes-cases.json'), `${JSON.stringify(out, null, 1)}\n`);
  await ch.exec(sql`DROP DATABASE ${ident(DB)}`);
  await ch.close();
  process.stderr.write(`${rows.length} rows written to ${OUT}; in query_log: ${[...inQueryLog].join(', ') || 'none'}\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
