// What one INSERT into access_events costs the ClickHouse server, by block size: the same events are
// inserted into a fresh, migrated database (raw table, ledger and rollup views) in blocks of each size,
// four partitions side by side as the ingester does, and the server's CPU time is read from /proc. The
// rollup views build their aggregate states per key and block, so a small block costs far more per
// event; the ingester inserts one partition's share of a fetch at a time (bench:ingest, issue 19). The
// first size is the reference the others are a ratio to. A figure, not a test.
//
//   npm run bench:insert-blocks -- [--events 300000] [--sizes 6000,24000,75000]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { Command } from 'commander';
import { loadConfig } from '../src/config';
import type { StoredEvent } from '../src/ingest/event-rows';
import { accessEventRows } from '../src/ingest/event-rows';
import { localServices, servicesUp } from '../src/local-services';
import { createClickHouse, encodeRows, ident, migrate, sql } from '../src/store';

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
const PARTITIONS = 4;
const say = (line: string) => process.stderr.write(`${line}\n`);

function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Events as the bench:ingest producer makes them: 1,000 employees, 40 tables, one event every half second. */
function events(n: number): StoredEvent[][] {
  const base = Math.floor(Date.now() / 1000) - 10 * 86400;
  const parts: StoredEvent[][] = Array.from({ length: PARTITIONS }, () => []);
  for (let j = 0; j < n; j++) {
    const user = `user${j % 1000}@corp.example`;
    const partition = j % PARTITIONS;
    parts[partition].push({
      event_id: `blocks-${j}`, ts: base + Math.floor(j / 2), ts_ms: 0, user, action: j % 20 === 0 ? 'EXPORT' : 'SELECT',
      bytes: 1000 + ((j * 7919) % 500000), rows: j % 300, source: 'pg-main', db_name: 'crm', table_name: `table_${j % 40}`,
      client_ip: `10.1.${j % 16}.${j % 250}`, client_app: 'psql', session_id: `s-${j % 5000}`, query_id: `q-${j}`, status: 'ok',
      bytes_estimated: 0, identity: '', extra: '', ingested_at: base, kafka_topic: 'blocks', kafka_partition: partition, kafka_offset: parts[partition].length,
    });
  }
  return parts;
}

async function main(): Promise<void> {
  const opts = new Command()
    .option('--events <n>', 'events inserted per block size', '300000')
    .option('--sizes <list>', 'block sizes, comma-separated; the first is the reference', '6000,24000,75000')
    .parse()
    .opts<{ events: string; sizes: string }>();
  const sizes = opts.sizes.split(',').map(Number);
  const { config } = loadConfig();
  const services = await servicesUp(localServices(config, ['clickhouse']), (l) => say(`[services] ${l}`));
  const pid = services.find((s) => s.name === 'clickhouse')?.pid;
  if (pid === undefined) throw new Error('bench:insert-blocks reads the CPU time of the local ClickHouse server; this one was not started by `insider services up`');
  const root = createClickHouse(config.clickhouse, { database: 'default' });
  const version = await root.serverVersion();
  const parts = events(Number(opts.events));
  const results: Array<{ size: number; inserts: number; cpu: number; seconds: number }> = [];
  try {
    for (const size of sizes) {
      const ch = createClickHouse(config.clickhouse, { database: `bench_blocks_${size}_${Date.now().toString(36)}` });
      await migrate(root, ch);
      say(`blocks of ${size}...`);
      let inserts = 0;
      const cpu0 = cpuSeconds(pid);
      const t0 = Date.now();
      await Promise.all(
        parts.map(async (part) => {
          for (let i = 0; i < part.length; i += size) {
            const block = part.slice(i, i + size);
            await ch.insert('access_events', block, { encoded: encodeRows(accessEventRows, block) });
            inserts++;
          }
        }),
      );
      results.push({ size, inserts, cpu: cpuSeconds(pid) - cpu0, seconds: (Date.now() - t0) / 1000 });
      await root.exec(sql`DROP DATABASE IF EXISTS ${ident(ch.database)}`);
      await ch.close();
    }
  } finally {
    await root.close();
  }
  const reference = results[0];
  const rows = results.map((r) => [
    r.size.toLocaleString('en-US'), String(r.inserts), r.seconds.toFixed(1), r.cpu.toFixed(2), ((r.cpu * 1000) / r.inserts).toFixed(0), (r.cpu / reference.cpu).toFixed(2),
  ]);
  const header = ['rows per insert', 'inserts', 'seconds', 'ClickHouse CPU s', 'CPU ms per insert', 'CPU vs first'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  process.stdout.write(
    [`\nInsert cost by block size: ${Number(opts.events).toLocaleString('en-US')} events into access_events (+ ledger and rollup views), ${PARTITIONS} partitions side by side, ClickHouse ${version}`, line(header), ...rows.map(line), ''].join('\n'),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:insert-blocks failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
