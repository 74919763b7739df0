// Captures the ClickHouse query-log fixture the unit tests decode: queries of known result size run on
// the local ClickHouse (18.16 here) over HTTP with query ids of their own and log_queries = 1, then
// their system.query_log rows are read exactly as the poller reads them (queryLogRows) and written one
// JSON object a line, with what each query must give (cases.json). Run:
//   INSIDER_STATE_DIR=... npx tsx scripts/capture-clickhouse-fixtures.ts
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { queryLogColumns, queryLogRows } from '../src/sources/clickhouse/poller';
import { createClickHouse, ident, inList, sql } from '../src/store';

const OUT = path.join(__dirname, '..', 'test', 'fixtures', 'clickhouse');
const DB = 'insider_fixtures_chq';

async function main(): Promise<void> {
  const { config } = loadConfig();
  const ch = createClickHouse(config.clickhouse, { database: 'default' });
  await ch.exec(sql`DROP DATABASE IF EXISTS ${ident(DB)}`);
  await ch.exec(sql`CREATE DATABASE ${ident(DB)}`);
  await ch.exec(sql`CREATE TABLE ${ident(DB)}.measures (n UInt64, m UInt32) ENGINE = MergeTree ORDER BY n`);
  await ch.exec(sql`CREATE TABLE ${ident(DB)}.${ident('customer names')} (id UInt64, name String) ENGINE = MergeTree ORDER BY id`);
  await ch.exec(sql`INSERT INTO ${ident(DB)}.measures SELECT number, number FROM system.numbers LIMIT 100000`);
  await ch.exec(sql`INSERT INTO ${ident(DB)}.${ident('customer names')} SELECT number, concat('Zoë ', toString(number)) FROM system.numbers LIMIT 1000`);
  const run = crypto.randomBytes(4).toString('hex');
  const cases = [
    { name: 'select', sql: sql`SELECT n, m FROM ${ident(DB)}.measures WHERE n < 100`, expected: { action: 'SELECT', database: DB, table: 'measures', rows: 100, bytes: 1200, status: 'ok' } },
    { name: 'select-larger', sql: sql`SELECT n FROM ${ident(DB)}.measures WHERE n < 5000`, expected: { action: 'SELECT', database: DB, table: 'measures', rows: 5000, bytes: 40000, status: 'ok' } },
    { name: 'join', sql: sql`SELECT a.n, b.name FROM ${ident(DB)}.measures AS a ANY INNER JOIN ${ident(DB)}.${ident('customer names')} AS b ON a.n = b.id WHERE a.n < 10`, expected: { action: 'SELECT', database: DB, table: 'measures', rows: 10, bytes: -1, status: 'ok' } },
    { name: 'quoted', sql: sql`SELECT id FROM ${ident(DB)}.${ident('customer names')} WHERE name != ${"it's \\ a 'test'"} AND id < 7`, expected: { action: 'SELECT', database: DB, table: 'customer names', rows: 7, bytes: 56, status: 'ok' } },
    { name: 'failed', sql: sql`SELECT * FROM ${ident(DB)}.no_such_table`, expected: { action: 'SELECT', database: DB, table: 'no_such_table', rows: 0, bytes: 0, status: 'error' } },
    { name: 'insert', sql: sql`INSERT INTO ${ident(DB)}.measures SELECT number + 200000, 1 FROM system.numbers LIMIT 10`, expected: { action: 'INSERT', database: DB, table: 'measures', rows: 10, bytes: 0, status: 'ok' } },
    { name: 'no-table', sql: sql`SELECT 1`, expected: null },
  ].map((c) => ({ ...c, queryId: `fixture-${run}-${c.name}` }));
  for (const c of cases) {
    const url = new URL(config.clickhouse.url);
    url.searchParams.set('query_id', c.queryId);
    url.searchParams.set('log_queries', '1');
    const res = await fetch(url, { method: 'POST', body: c.sql.text });
    await res.text();
  }
  const ids = cases.map((c) => c.queryId);
  const cols = await queryLogColumns(ch);
  let rows: Awaited<ReturnType<typeof queryLogRows>> = [];
  for (let i = 0; i < 40 && rows.length < ids.length; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    rows = await queryLogRows(ch, cols, sql`query_id IN ${inList(ids)}`, 100);
  }
  fs.writeFileSync(path.join(OUT, 'query_log.jsonl'), rows.map(({ t: _t, ...r }) => JSON.stringify(r)).join('\n') + '\n');
  fs.writeFileSync(path.join(OUT, 'cases.json'), `${JSON.stringify({ server: (await ch.query<{ v: string }>(sql`SELECT version() AS v`))[0].v, cases: cases.map(({ sql: _s, ...c }) => c) }, null, 1)}\n`);
  await ch.exec(sql`DROP DATABASE ${ident(DB)}`);
  await ch.close();
  process.stderr.write(`${rows.length} rows written to ${OUT}\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
