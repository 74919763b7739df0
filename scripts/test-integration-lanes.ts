// The integration tests in two lanes at once: most suites spend their time waiting (for a session to
// expire, a poll, a process to start), so two run side by side in about the time of one. Used by
// `npm test` (through test:integration:record); `npm run test:integration` still runs them one by one.
//
// - First, alone: the suites that stop or restart a server every other suite shares (the shared Kafka).
//   Their run also starts the services, so the two lanes that follow find them up.
// - Then two lanes, each one suite at a time (`--runInBand`), at once:
//   - `own`: the suites that run servers of their own (a ClickHouse they kill, the 2 x 2 cluster, chdb),
//     pause or kill processes against a session timeout, or flood the broker. They never run two at once.
//   - `shared`: every other suite. Each test already makes its own database, topic and group names.
// Every suite not named below goes to `shared`; a new suite that kills or pauses something belongs in `OWN`.
//
// Each lane's output is printed as it comes, each line marked with its lane; at the end, every suite's
// time, slowest first (CI keeps no other trace of where its minutes went). Exits 1 when any run failed.
//
//   tsx scripts/test-integration-lanes.ts [extra jest arguments...]
import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../src/package-root';
import { runLabelled } from './run-labelled';

const ALONE = ['ingest-broker-restart'];
const OWN = [
  'clickhouse-cluster',
  'ingest-pause',
  'ingest-faults',
  'ingest-stalled-body',
  'ingest-clickhouse-outage',
  'ingest-insert-outcome',
  'detect-alert-writes',
  'detect-shared',
  'kafka-record-flood',
  'local-services',
  'local-postgres',
  'chdb-front',
  'ingest-dedup-token',
];

const JEST = path.join(PACKAGE_ROOT, 'node_modules', '.bin', 'jest');
const TIMES_DIR = path.join(PACKAGE_ROOT, 'artifacts', 'integration-times');
const extra = process.argv.slice(2);
const pattern = (names: string[]) => `integration/(${names.join('|')})\\.test\\.ts$`;

interface Lane {
  name: string;
  args: string[];
}

/** Runs one jest, its lines marked with the lane's name; resolves to its exit code. */
function run(lane: Lane): Promise<number> {
  const out = path.join(TIMES_DIR, `${lane.name}.json`);
  return runLabelled(lane.name, JEST, ['--selectProjects', 'integration', '--runInBand', '--json', `--outputFile=${out}`, ...lane.args, ...extra]);
}

interface JestJson {
  testResults?: { name: string; status: string; startTime: number; endTime: number }[];
}

/** Every suite's time, slowest first, from the lanes' --json files. */
function printTimes(lanes: Lane[]): void {
  const rows: { lane: string; file: string; seconds: number; status: string }[] = [];
  for (const lane of lanes) {
    const file = path.join(TIMES_DIR, `${lane.name}.json`);
    if (!fs.existsSync(file)) continue;
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as JestJson;
    for (const t of json.testResults ?? []) {
      rows.push({ lane: lane.name, file: path.relative(PACKAGE_ROOT, t.name), seconds: (t.endTime - t.startTime) / 1000, status: t.status });
    }
  }
  rows.sort((a, b) => b.seconds - a.seconds);
  process.stdout.write(`\nintegration suites by time (${rows.length}):\n`);
  for (const r of rows) process.stdout.write(`  ${r.seconds.toFixed(1).padStart(7)} s  ${r.lane.padEnd(6)} ${r.status === 'passed' ? '' : `${r.status.toUpperCase()} `}${r.file}\n`);
}

async function main(): Promise<number> {
  fs.mkdirSync(TIMES_DIR, { recursive: true });
  const began = Date.now();
  const alone: Lane = { name: 'alone', args: ['--testPathPatterns', pattern(ALONE)] };
  const own: Lane = { name: 'own', args: ['--testPathPatterns', pattern(OWN)] };
  const shared: Lane = { name: 'shared', args: ['--testPathIgnorePatterns', pattern([...ALONE, ...OWN])] };
  const codes = [await run(alone), ...(await Promise.all([run(own), run(shared)]))];
  printTimes([alone, own, shared]);
  const failed = codes.some((c) => c !== 0);
  process.stdout.write(`integration: ${failed ? 'FAILED' : 'passed'} in ${((Date.now() - began) / 1000).toFixed(0)} s (lanes alone, own, shared exited ${codes.join(', ')})\n`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stdout.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
