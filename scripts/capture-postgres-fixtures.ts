// Captures the PostgreSQL fixtures the unit tests decode: a real PostgreSQL 15 + pgaudit 1.7 (the local
// service, `insider services up postgres`) runs the audit scenario (test/fixtures/postgres/scenario.ts)
// and its three log destinations are copied as written, with the table statistics read at the time,
// what each case must show (cases.json) and the events the decoder makes of the jsonlog (expected.jsonl,
// to review when it changes). Run: npx tsx scripts/capture-postgres-fixtures.ts
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { localServices, postgresLayout, servicesUp, stateDirOf } from '../src/local-services';
import { readTableStats } from '../src/sources';
import { decodeFixture, FIXTURE_DIR as OUT, FIXTURE_FILES as FILES } from '../test/fixtures/postgres/decode';
import { runCases, setUp, tearDown, type ScenarioNames } from '../test/fixtures/postgres/scenario';

const NAMES: ScenarioNames = { database: 'insider_fixtures', analyst: 'fx_analyst', shared: 'fx_shared', pii: 'fx_pii' };

async function main(): Promise<void> {
  const { config } = loadConfig();
  await servicesUp(localServices(config, ['postgres']), (l) => process.stderr.write(`[services] ${l}\n`));
  const layout = postgresLayout(config, stateDirOf(config));
  await setUp(layout, NAMES);
  const start = Object.fromEntries(Object.entries(layout.logs).map(([k, f]) => [k, fs.statSync(f).size]));
  const cases = await runCases(layout, NAMES);
  // The logging collector writes within milliseconds; give it a moment.
  await new Promise((r) => setTimeout(r, 1500));
  for (const [dest, file] of Object.entries(layout.logs) as Array<[keyof typeof FILES, string]>) {
    const fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size - start[dest];
    const buf = Buffer.alloc(size);
    fs.readSync(fd, buf, 0, size, start[dest]);
    fs.closeSync(fd);
    fs.writeFileSync(path.join(OUT, FILES[dest]), buf);
    process.stderr.write(`${FILES[dest]}: ${buf.length} bytes\n`);
  }
  const stats = (await readTableStats(`postgres://postgres@127.0.0.1:${layout.port}/postgres`, 'fixture-pg')).filter((r) => r.database === NAMES.database);
  fs.writeFileSync(path.join(OUT, 'stats.json'), `${JSON.stringify(stats, null, 1)}\n`);
  fs.writeFileSync(path.join(OUT, 'cases.json'), `${JSON.stringify({ names: NAMES, cases }, null, 1)}\n`);
  fs.writeFileSync(path.join(OUT, 'expected.jsonl'), (await decodeFixture('jsonlog', stats)).events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  await tearDown(layout, NAMES);
  process.stderr.write(`fixtures written to ${OUT}\n`);
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  });
}
