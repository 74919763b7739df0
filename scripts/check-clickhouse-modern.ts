// The compatibility check (docs/clickhouse-compatibility.md): replays every statement the product sent
// to ClickHouse 18.16 during the integration tests (recorded with INSIDER_CLICKHOUSE_RECORD_DIR) on
// ClickHouse 26.x (chdb behind its HTTP front, started here on a fresh data directory), in the order
// 18.16 answered them, through the product's own wrapper, and compares every answer. Prints the
// counts, the expected differences with their reasons, and every other difference; exits 1 when
// there is any other difference, or when the recording is empty.
//
//   npm run check:clickhouse-modern [-- --recording DIR] [--port 24180] [--server-timezone Asia/Kolkata] [--keep]
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, type Config } from '../src/config';
import { localServices, servicesDown, servicesUp, stateDirOf } from '../src/local-services';
import { PACKAGE_ROOT } from '../src/package-root';
import { createClickHouse, type ClickHouse } from '../src/store';
import { describeStatement, readRecording } from '../test/compat/recording';
import { describeDifference, replayAll, summarize, type ReplayedStatement } from '../test/compat/replay';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const say = (line: string) => process.stdout.write(`${line}\n`);
const note = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<number> {
  const started = Date.now();
  const recordingDir = path.resolve(PACKAGE_ROOT, option('recording', process.env.INSIDER_CLICKHOUSE_RECORD_DIR ?? 'artifacts/clickhouse-recording'));
  const port = Number(option('port', '24180'));
  const statements = readRecording(recordingDir);
  if (statements.length === 0) {
    say(`no statements in ${recordingDir}: was the recording made (npm run test:integration:record)?`);
    return 1;
  }

  const base = loadConfig().config;
  // The 26.x server runs in another time zone than 18.16 (UTC): no answer may depend on the server's zone.
  const timezone = option('server-timezone', 'Asia/Kolkata');
  const config: Config = { ...base, localServices: { ...base.localServices, chdb: { ...base.localServices.chdb, url: `http://127.0.0.1:${port}`, timezone } } };
  const services = localServices(config, ['chdb']);
  // A fresh engine: the replay recreates every database from its first statement.
  await servicesDown(services, () => {});
  fs.rmSync(path.join(stateDirOf(config), 'chdb', `data-${port}`), { recursive: true, force: true });
  const [front] = await servicesUp(services, (l) => note(`[services] ${l}`));
  if (!front.ready) throw new Error(`the chdb front did not start at ${config.localServices.chdb.url}`);

  const clients = new Map<string, ClickHouse>();
  const client = (database: string) => {
    let ch = clients.get(database);
    if (!ch) clients.set(database, (ch = createClickHouse({ ...config.clickhouse, url: config.localServices.chdb.url, requestTimeoutMs: 300_000 }, { database })));
    return ch;
  };

  const replayStarted = Date.now();
  let results: ReplayedStatement[];
  try {
    results = await replayAll(statements, client, (n) => note(`replayed ${n} of ${statements.length} statements`));
  } finally {
    await Promise.all([...clients.values()].map((c) => c.close()));
    if (!args.includes('--keep')) await servicesDown(services, () => {});
  }
  const replaySeconds = (Date.now() - replayStarted) / 1000;

  const sum = summarize(results);
  const kinds = (verdicts: string[]) =>
    ['query', 'exec', 'insert', 'version'].map((k) => `${results.filter((r) => r.statement.kind === k && verdicts.includes(r.verdict)).length} ${k}`).join(', ');
  say(`ClickHouse compatibility check: ${front.version}, server time zone ${timezone}, against the recording of 18.16 (UTC) in ${path.relative(PACKAGE_ROOT, recordingDir)}`);
  say(`  statements recorded:  ${sum.statements} in ${sum.databases} databases (${kinds(['same', 'expected', 'different', 'not-replayed'])})`);
  say(`  replayed:             ${sum.replayed} (${kinds(['same', 'expected', 'different'])}) in ${replaySeconds.toFixed(1)} s`);
  say(`  identical results:    ${sum.same}`);
  say(`  expected differences: ${[...sum.expected.values()].reduce((a, b) => a + b, 0)}`);
  for (const [reason, n] of sum.expected) say(`    ${n} x ${reason}`);
  say(`  not replayed:         ${[...sum.notReplayed.values()].reduce((a, b) => a + b, 0)}`);
  for (const [reason, n] of sum.notReplayed) say(`    ${n} x ${reason}`);
  say(`  other differences:    ${sum.different.length}`);
  for (const r of sum.different.slice(0, 50)) say(`  - ${describeDifference(r)}`);
  if (sum.different.length > 50) say(`  ... and ${sum.different.length - 50} more (see the report file)`);

  const outDir = path.join(PACKAGE_ROOT, 'artifacts', 'clickhouse-compat');
  fs.mkdirSync(outDir, { recursive: true });
  const report = {
    server: front.version,
    recording: recordingDir,
    seconds: (Date.now() - started) / 1000,
    counts: { statements: sum.statements, replayed: sum.replayed, same: sum.same, expected: Object.fromEntries(sum.expected), notReplayed: Object.fromEntries(sum.notReplayed) },
    differences: results
      .filter((r) => r.verdict !== 'same')
      .map((r) => ({ verdict: r.verdict, reason: r.reason, database: r.statement.database, statement: describeStatement(r.statement, 2000), old: r.statement.outcome, modern: r.modern })),
  };
  fs.writeFileSync(path.join(outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  say(`  report: ${path.relative(PACKAGE_ROOT, path.join(outDir, 'report.json'))}; ${report.seconds.toFixed(1)} s in all`);
  return sum.different.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
