// Captures the PostgreSQL fixtures the unit tests decode: a real PostgreSQL 15 + pgaudit 1.7 (the local
// service, `insider services up postgres`) runs the audit scenario (test/fixtures/postgres/scenario.ts)
// and its three log destinations are copied as written, with the table statistics read at the time,
// what each case must show (cases.json) and the events the decoder makes of the jsonlog (expected.jsonl,
// to review when it changes). Run: npx tsx scripts/capture-postgres-fixtures.ts
// With --hostile: the hostile cases (test/fixtures/postgres/hostile.ts) into hostile/, with their statistics.
// With --reads: the reads pgaudit under-counts (test/fixtures/postgres/hostile-reads.ts) into hostile-reads/,
// in a database and role of their own (nothing else of the scenario: no certificate identities).
// With --cursor-flow: what DO blocks and procedures do with their cursors' rows (test/fixtures/postgres/
// cursor-flow.ts) into cursor-flow/, the same way.
// With --routines: routines run by sessions that did not make them, a DO block reading the client's cursor
// (test/fixtures/postgres/routine-reads.ts) into routine-reads/, the same way, with the routines read as
// the statistics collector reads them (routines.json).
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { localServices, postgresLayout, servicesUp, stateDirOf, type PostgresLayout } from '../src/local-services';
import { readRoutines, readTableStats } from '../src/sources';
import { splitRecords } from '../src/sources/framing';
import { decodeFixture, FIXTURE_DIR as OUT, FIXTURE_FILES as FILES } from '../test/fixtures/postgres/decode';
import { runCases, setUp, tearDown, type ScenarioNames } from '../test/fixtures/postgres/scenario';
import { runHostileCases, setUpHostile, tearDownHostile } from '../test/fixtures/postgres/hostile';
import { runReadCases, setUpReads, tearDownReads } from '../test/fixtures/postgres/hostile-reads';
import { runCursorFlowCases, setUpCursorFlow } from '../test/fixtures/postgres/cursor-flow';
import { runRoutineCases, setUpRoutines } from '../test/fixtures/postgres/routine-reads';

const NAMES: ScenarioNames = { database: 'insider_fixtures', analyst: 'fx_analyst', shared: 'fx_shared', pii: 'fx_pii' };
const HOSTILE_NAMES: ScenarioNames = { database: 'insider_hostile', analyst: 'hx_analyst', shared: 'hx_shared', pii: 'hx_pii' };
/** Only the database and the analyst are created. */
const READS_NAMES: ScenarioNames = { database: 'insider_reads', analyst: 'rx_analyst', shared: 'rx_shared', pii: 'rx_pii' };
/** Only the database and the analyst are created. */
const FLOW_NAMES: ScenarioNames = { database: 'h103_flow', analyst: 'h103_dba', shared: 'h103_shared', pii: 'h103_pii' };
/** Only the database and the analyst are created. */
const ROUTINE_NAMES: ScenarioNames = { database: 'h106_routines', analyst: 'h106_analyst', shared: 'h106_shared', pii: 'h106_pii' };

/** A log's records written since `start` of one database (the server is shared with whoever else runs at the same time). */
function recordsOf(file: string, start: number, dest: keyof typeof FILES, database: string): string {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(fs.fstatSync(fd).size - start);
  fs.readSync(fd, buf, 0, buf.length, start);
  fs.closeSync(fd);
  const mine = (r: string) =>
    dest === 'jsonlog' ? (JSON.parse(r) as { dbname?: string }).dbname === database : dest === 'csvlog' ? [database, `"${database}"`].includes(r.split(',')[2]) : r.includes(`@${database} `);
  return splitRecords(buf.toString('utf8'), dest !== 'jsonlog', dest === 'csvlog').filter(mine).map((r) => `${r}\n`).join('');
}

/** --reads, --cursor-flow: the service must be running already (`insider services up postgres`). */
async function captureReads(dir: string, names: ScenarioNames, setUpCases: typeof setUpReads, runCases: (l: PostgresLayout, n: ScenarioNames) => Promise<unknown[]>, withRoutines = false): Promise<void> {
  const { config } = loadConfig();
  const layout = postgresLayout(config, stateDirOf(config));
  const out = path.join(OUT, dir);
  fs.mkdirSync(out, { recursive: true });
  await setUpCases(layout, names);
  try {
    const start = Object.fromEntries(Object.entries(layout.logs).map(([k, f]) => [k, fs.statSync(f).size]));
    const cases = await runCases(layout, names);
    await new Promise((r) => setTimeout(r, 1500));
    for (const [dest, file] of Object.entries(layout.logs) as Array<[keyof typeof FILES, string]>) {
      const lines = recordsOf(file, start[dest], dest, names.database);
      fs.writeFileSync(path.join(out, FILES[dest]), lines);
      process.stderr.write(`${FILES[dest]}: ${lines.length} bytes\n`);
    }
    const stats = (await readTableStats(`postgres://postgres@127.0.0.1:${layout.port}/postgres`, 'fixture-pg')).filter((r) => r.database === names.database);
    fs.writeFileSync(path.join(out, 'stats.json'), `${JSON.stringify(stats, null, 1)}\n`);
    fs.writeFileSync(path.join(out, 'cases.json'), `${JSON.stringify({ names, cases }, null, 1)}\n`);
    if (withRoutines) {
      const routines = (await readRoutines(`postgres://postgres@127.0.0.1:${layout.port}/postgres`, 'fixture-pg')).filter((r) => r.database === names.database);
      fs.writeFileSync(path.join(out, 'routines.json'), `${JSON.stringify(routines, null, 1)}\n`);
    }
  } finally {
    await tearDownReads(layout, names);
  }
  process.stderr.write(`fixtures written to ${out}\n`);
}

async function main(): Promise<void> {
  if (process.argv.includes('--reads')) return captureReads('hostile-reads', READS_NAMES, setUpReads, runReadCases);
  if (process.argv.includes('--cursor-flow')) return captureReads('cursor-flow', FLOW_NAMES, setUpCursorFlow, runCursorFlowCases);
  if (process.argv.includes('--routines')) return captureReads('routine-reads', ROUTINE_NAMES, setUpRoutines, runRoutineCases, true);
  const { config } = loadConfig();
  await servicesUp(localServices(config, ['postgres']), (l) => process.stderr.write(`[services] ${l}\n`));
  const layout = postgresLayout(config, stateDirOf(config));
  const hostile = process.argv.includes('--hostile');
  const names = hostile ? HOSTILE_NAMES : NAMES;
  const out = hostile ? path.join(OUT, 'hostile') : OUT;
  fs.mkdirSync(out, { recursive: true });
  await setUp(layout, names);
  if (hostile) await setUpHostile(layout, names);
  const start = Object.fromEntries(Object.entries(layout.logs).map(([k, f]) => [k, fs.statSync(f).size]));
  const cases = hostile ? await runHostileCases(layout, names) : await runCases(layout, names);
  // The logging collector writes within milliseconds; give it a moment.
  await new Promise((r) => setTimeout(r, 1500));
  for (const [dest, file] of Object.entries(layout.logs) as Array<[keyof typeof FILES, string]>) {
    const fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size - start[dest];
    const buf = Buffer.alloc(size);
    fs.readSync(fd, buf, 0, size, start[dest]);
    fs.closeSync(fd);
    fs.writeFileSync(path.join(out, FILES[dest]), buf);
    process.stderr.write(`${FILES[dest]}: ${buf.length} bytes\n`);
  }
  const stats = (await readTableStats(`postgres://postgres@127.0.0.1:${layout.port}/postgres`, 'fixture-pg')).filter((r) => r.database === names.database);
  fs.writeFileSync(path.join(out, 'stats.json'), `${JSON.stringify(stats, null, 1)}\n`);
  fs.writeFileSync(path.join(out, 'cases.json'), `${JSON.stringify({ names, cases }, null, 1)}\n`);
  if (!hostile) fs.writeFileSync(path.join(out, 'expected.jsonl'), (await decodeFixture('jsonlog', stats)).events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  if (hostile) await tearDownHostile(layout, names);
  await tearDown(layout, names);
  process.stderr.write(`fixtures written to ${out}\n`);
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  });
}
