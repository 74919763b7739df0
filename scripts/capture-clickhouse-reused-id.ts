// Captures test/fixtures/clickhouse/reused-query-id.jsonl: one statement run several times over HTTP
// under one query id the client chose (`?query_id=`, one keep-alive connection), as an attacker would
// to have identical reads counted once, on the local ClickHouse (18.16 here) with log_queries = 1; then
// its system.query_log rows read exactly as the poller reads them (queryLogRows: repeats numbered),
// written as the poller produces them (without `t`). Run:
//   INSIDER_STATE_DIR=... npx tsx scripts/capture-clickhouse-reused-id.ts
// (FIXTURE_DB names the scratch database, default insider_fixtures_chq_reuse; dropped afterwards.)
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { queryLogColumns, queryLogRows } from '../src/sources/clickhouse/poller';
import { createClickHouse, ident, sql } from '../src/store';

const OUT = path.join(__dirname, '..', 'test', 'fixtures', 'clickhouse', 'reused-query-id.jsonl');
const DB = process.env.FIXTURE_DB ?? 'insider_fixtures_chq_reuse';
const RUNS = 6;

async function main(): Promise<void> {
  const { config } = loadConfig();
  const ch = createClickHouse(config.clickhouse, { database: 'default' });
  await ch.exec(sql`DROP DATABASE IF EXISTS ${ident(DB)}`);
  await ch.exec(sql`CREATE DATABASE ${ident(DB)}`);
  await ch.exec(sql`CREATE TABLE ${ident(DB)}.customers (id UInt64, name String) ENGINE = MergeTree ORDER BY id`);
  await ch.exec(sql`INSERT INTO ${ident(DB)}.customers SELECT number, concat('customer-', toString(number)) FROM system.numbers LIMIT 20000`);
  const queryId = `fixture-${crypto.randomBytes(4).toString('hex')}-reused`;
  for (let i = 0; i < RUNS; i++) {
    const url = new URL(config.clickhouse.url);
    url.searchParams.set('query_id', queryId);
    url.searchParams.set('log_queries', '1');
    const res = await fetch(url, { method: 'POST', body: `SELECT * FROM ${DB}.customers FORMAT TabSeparated` });
    await res.text();
  }
  await ch.exec(sql`SYSTEM FLUSH LOGS`);
  const cols = await queryLogColumns(ch);
  let rows: Awaited<ReturnType<typeof queryLogRows>> = [];
  for (let i = 0; i < 40 && rows.length < RUNS; i++) {
    await new Promise((r) => setTimeout(r, 500));
    rows = await queryLogRows(ch, cols, sql`query_id = ${queryId}`, 100);
  }
  fs.writeFileSync(OUT, rows.map(({ t: _t, ...r }) => JSON.stringify(r)).join('\n') + '\n');
  await ch.exec(sql`DROP DATABASE ${ident(DB)}`);
  await ch.close();
  process.stderr.write(`${rows.length} rows of ${queryId} written to ${OUT}\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
