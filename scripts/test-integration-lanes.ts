// The integration tests in two lanes at once: most suites spend their time waiting (for a session to
// expire, a poll, a process to start), so two run side by side in about the time of one. Used by
// `npm test` (through test:integration:record); `npm run test:integration` still runs them one by one.
//
// - First, alone: the suites that stop or restart a server every other suite shares (the shared Kafka).
// - Then the services are checked (started when down) once, and two lanes run at once, each one suite at a time:
//   - `own`: the suites that kill or pause processes and count on a session timeout to move their partitions
//     (ingesters, detectors, the 2 x 2 cluster, a ClickHouse of their own killed mid-insert). Two of them never
//     run at once.
//   - `shared`: every other suite. Each test makes its own database, topic and group names; suites with servers
//     of their own on fixed ports (chdb, a second Kafka or PostgreSQL) are in one lane, so never two at once.
// Every suite not named below goes to `shared`; a new suite that kills or pauses a process and counts on a
// session timeout belongs in `OWN`, one that stops a shared server in `ALONE`. A recording
// (INSIDER_CLICKHOUSE_RECORD_DIR) is emptied once, here, and written by all three runs.
//
// Each lane's output is printed as it comes, each line marked with its lane; at the end, every suite's
// time, slowest first (CI keeps no other trace of where its minutes went). Exits 1 when any run failed.
//
//   tsx scripts/test-integration-lanes.ts [jest flags, e.g. -t NAME; the lanes choose the files]
import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../src/package-root';
import { RECORD_DIR_ENV } from '../src/store/statement-recording';
import globalSetup, { LANES_READY_ENV, RECORD_KEEP_ENV } from '../test/helpers/global-setup';
import { runLabelled } from './run-labelled';

const ALONE = ['ingest-broker-restart'];
const OWN = [
  'ingest',
  'clickhouse-cluster',
  'ingest-pause',
  'ingest-faults',
  'ingest-stalled-body',
  'ingest-clickhouse-outage',
  'ingest-insert-outcome',
  'detect-alert-writes',
  'detect-shared',
  'kafka', // blocks its consumer's event loop past the session timeout
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
  fs.rmSync(out, { force: true }); // a lane that writes none must not show an earlier run's times
  const args = ['--selectProjects', 'integration', '--runInBand', '--json', `--outputFile=${out}`, ...lane.args, ...extra];
  return runLabelled(lane.name, JEST, args); // with main's environment (RECORD_KEEP_ENV, LANES_READY_ENV)
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

/** Jest flags whose value is the next argument (any other word is taken for a path). */
const TAKES_VALUE = new Set(['-t', '--testNamePattern', '--testTimeout', '--seed', '--maxWorkers', '-w']);

/** True when the arguments name test files (a path pattern: positional, or a flag that selects paths). */
function choosesFiles(args: string[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (/^--(testPathPatterns?|runTestsByPath|findRelatedTests)\b/.test(a) || !a.startsWith('-')) return true;
    if (TAKES_VALUE.has(a)) i++;
  }
  return false;
}

async function main(): Promise<number> {
  // The lanes choose the files: a path pattern would be added to each lane's (jest ORs them), running a
  // suite in both lanes at once.
  if (choosesFiles(extra)) {
    process.stdout.write('usage: tsx scripts/test-integration-lanes.ts [jest flags such as -t NAME]; to run chosen files, use jest --selectProjects integration FILES\n');
    return 2;
  }
  fs.mkdirSync(TIMES_DIR, { recursive: true });
  const recording = process.env[RECORD_DIR_ENV];
  if (recording) fs.rmSync(path.resolve(PACKAGE_ROOT, recording), { recursive: true, force: true });
  process.env[RECORD_KEEP_ENV] = '1';
  const began = Date.now();
  const alone: Lane = { name: 'alone', args: ['--testPathPatterns', pattern(ALONE)] };
  const own: Lane = { name: 'own', args: ['--testPathPatterns', pattern(OWN)] };
  const shared: Lane = { name: 'shared', args: ['--testPathIgnorePatterns', pattern([...ALONE, ...OWN])] };
  const codes = [await run(alone)];
  // Once, before the lanes: two lanes' setups finding a service down would both start it, on one data directory.
  try {
    await globalSetup();
  } catch (err) {
    process.stdout.write(`the services are not all up after the first run; the lanes are not started: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  // The lanes' own setups only check them now (global-setup.ts).
  process.env[LANES_READY_ENV] = '1';
  codes.push(...(await Promise.all([run(own), run(shared)])));
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
