// Detection latency benchmark: how long after the event that crosses a threshold is the alert stored?
//
// A fresh environment (simulated organisation, its history ingested so that baselines exist), then the
// real `insider ingest` and `insider detect` as separate processes on its topic. This process produces a
// steady background of ordinary events (default 20,000 events/s: one simulated working day, re-stamped
// "now" and replayed in a loop) and, after a warm-up, runs bulk exports (default 20, staggered, a few at
// once) by tenured employees who have no other live traffic: 250 MB chunks every 200 ms until their alert
// is stored. For each alert: time from just before the send() that carried the trigger event to the poll
// of ClickHouse's `alerts` that first shows it. Reference, measured in the same run under the same load:
// the time from send() of the export events to their row being visible in access_events (the ingester).
// Prints both distributions and the ratio of their medians. A figure, not a test: machines are noisy.
//
// The background's bytes are scaled down so that each background employee moves about one ordinary day's
// volume over the whole run: replaying their day hundreds of times at full volume would make every one of
// them alert within seconds (an alert storm, not a background). Their events are judged all the same.
// The background is produced in a worker thread, so that it does not delay this thread's timestamps.
// Also printed, to tell where the time goes: the detector's own log time of each alert, Kafka's ack of
// the export events, both consumer groups' lag, and the CPU share of every process during the exports.
// The product's logs go to artifacts/bench/detect-latency-{ingest,detect}.log (--profile: CPU profiles).
//
//   npm run build && npm run bench:latency -- --rate 20000 --exports 20
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import readline from 'node:readline';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Admin, Producer } from 'kafkajs';
import { MS_PER_DAY, dayOf } from '../src/calendar';
import { loadConfig } from '../src/config';
import { prepareEnvironment, type LiveEnvironment } from '../src/demo/environment';
import { exportChunk, restamp, send, templateEvents, type ExportPlan } from '../src/demo/traffic';
import { createKafka } from '../src/kafka';
import { stateDirOf } from '../src/local-services';
import { createLogger } from '../src/log';
import type { CanonicalEvent, DirectoryRow } from '../src/simulate';
import { inList, sql, type ClickHouse } from '../src/store';

const root = path.join(__dirname, '..');
const say = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));
const sleepUntil = (t: number) => sleep(t - Date.now());

const WARMUP_MS = 10_000; // background only, before the first export
const STAGGER_MS = 2_500; // one export starts every 2.5 s
const CHUNK_BYTES = 250e6; // 250 MB a chunk ...
const CHUNK_EVERY_MS = 200; // ... every 200 ms ...
const EXPORT_MAX_BYTES = 20e9; // ... until the alert is stored, or 20 GB
const EXPORT_TIMEOUT_MS = 60_000; // no alert 60 s after the first chunk: missed
const POLL_MS = 50; // ClickHouse polls (alerts, access_events)
const TICK_MS = 50; // background batches
const MAX_SEND_EVENTS = 2_000; // per background send: well under the broker's 1 MiB record batch per partition
const MAX_IN_FLIGHT = 6;
const VISIBILITY_GRACE_MS = 30_000; // after the last export: export events still not visible are counted as such
const READY_TIMEOUT_MS = 180_000;
const GOAL_P95_MS = 5_000;
const CLK_TCK = 100;

class Interrupted extends Error {}

interface Options {
  seed: number;
  employees: number;
  days: number;
  rate: number;
  exports: number;
  keep: boolean;
  profile: boolean;
}

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
};
const nonNegativeInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
};

function parseOptions(): Options {
  const program = new Command('bench-detect-latency')
    .description('time from producing the threshold-crossing event of a bulk export to its alert being stored, under a steady background load')
    .addOption(new Option('--seed <n>', 'simulation seed').argParser(nonNegativeInt).default(42))
    .addOption(new Option('--employees <n>', 'employees in the simulated organisation').argParser(positiveInt).default(200))
    .addOption(new Option('--days <n>', 'days of history before today').argParser(positiveInt).default(30))
    .addOption(new Option('--rate <n>', 'background events per second').argParser(positiveInt).default(20_000))
    .addOption(new Option('--exports <n>', 'bulk exports to time').argParser(positiveInt).default(20))
    .option('--keep', 'keep the ClickHouse database, Kafka topic and simulation files for inspection', false)
    .option('--profile', 'run insider ingest and insider detect with --cpu-prof (profiles in artifacts/bench/)', false)
    .parse(process.argv);
  return program.opts<Options>();
}

// ---------------------------------------------------------------------------------------------------
// Figures

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length))) - 1];
}

interface Distribution {
  n: number;
  p50: number;
  p95: number;
  max: number;
  min: number;
}

function distribution(values: readonly number[]): Distribution {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, min: s[0] ?? NaN, p50: percentile(s, 0.5), p95: percentile(s, 0.95), max: s[s.length - 1] ?? NaN };
}

const secs = (ms: number) => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : '-');
const int = (n: number) => Math.round(n).toLocaleString('en-US');

const row = (label: string, d: Distribution) => [label, String(d.n), secs(d.p50), secs(d.p95), secs(d.max)];

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------------------------------------------
// Who exports: tenured people of ordinary volume, from the simulated history

interface UserProfile {
  days: Map<string, number>;
  clientIp: string;
  app: string;
  source: string;
}

async function profiles(eventsFile: string): Promise<Map<string, UserProfile>> {
  const out = new Map<string, UserProfile>();
  const lines = readline.createInterface({ input: fs.createReadStream(eventsFile), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const e = JSON.parse(line) as CanonicalEvent;
    let p = out.get(e.user);
    if (!p) out.set(e.user, (p = { days: new Map(), clientIp: e.client_ip, app: e.client_app, source: e.source }));
    if (e.status === 'ok') p.days.set(e.ts.slice(0, 10), (p.days.get(e.ts.slice(0, 10)) ?? 0) + e.bytes);
  }
  return out;
}

interface Exporter {
  user: string;
  role: string;
  department: string;
  medianDailyBytes: number;
  activeDays: number;
  plan: ExportPlan;
}

function chooseExporters(directory: readonly DirectoryRow[], users: Map<string, UserProfile>, n: number, historyDays: number): Exporter[] {
  const today = dayOf(Date.now());
  const candidates: Exporter[] = [];
  for (const d of directory) {
    if (d.account_type !== 'human' || d.role === 'data_engineer') continue;
    if (d.notice_date || d.end_date) continue; // the departing watchlist would judge them differently
    if (Date.parse(`${d.hire_date}T00:00:00Z`) / MS_PER_DAY > today - historyDays - 180) continue;
    const p = users.get(d.id);
    if (!p || p.days.size < 10) continue;
    const volumes = [...p.days.values()].sort((a, b) => a - b);
    const median = volumes[Math.floor(volumes.length / 2)];
    if (median < 5e6 || median > 300e6) continue;
    candidates.push({
      user: d.id,
      role: d.role,
      department: d.department,
      medianDailyBytes: median,
      activeDays: p.days.size,
      plan: {
        user: d.id,
        table: 'crm.customers',
        totalBytes: EXPORT_MAX_BYTES,
        chunks: Math.round(EXPORT_MAX_BYTES / CHUNK_BYTES),
        rowBytes: 620,
        clientIp: p.clientIp,
        app: p.app,
        source: 'pg-crm-1',
        sessionId: '',
      },
    });
  }
  if (candidates.length < n) throw new Error(`only ${candidates.length} tenured employees of moderate volume in the simulated organisation; need ${n} (raise --employees or lower --exports)`);
  // Spread over the range of volumes: every (candidates/n)-th in order of median daily volume.
  candidates.sort((a, b) => a.medianDailyBytes - b.medianDailyBytes || a.user.localeCompare(b.user));
  return Array.from({ length: n }, (_, i) => candidates[Math.floor(((i + 0.5) * candidates.length) / n)]).map((c, i) => ({
    ...c,
    plan: { ...c.plan, sessionId: `bench-export-${i + 1}` },
  }));
}

// ---------------------------------------------------------------------------------------------------
// Background load

interface BackgroundStats {
  target: number;
  produced: number;
  acked: number;
  failed: number;
  /** Events the schedule asked for while more than a second behind: never sent. */
  shortfall: number;
  lastError?: string;
  /** Acknowledged events per wall-clock second since the start. */
  perSecond: number[];
  startedAt: number;
}

/** Runs in the background worker thread: produces until told to stop. */
/**
 * Re-stamping like src/demo/traffic.ts's restamp() (a new event_id and query_id, ts = now, everything else
 * as in the template), but by splicing into each template event's JSON, serialised once: kafkajs already
 * spends ~35 µs of CPU per message here, and randomUUID + randomBytes + JSON.stringify would add ~12 µs more
 * on a machine whose two cores also run Kafka, ClickHouse, the ingester and the detector.
 */
function restamper(template: readonly CanonicalEvent[]) {
  const parts = template.map((e) => {
    const { event_id: _id, ts: _ts, query_id: _q, ...rest } = e;
    return { key: e.user, body: JSON.stringify(rest).slice(1, -1) };
  });
  const prefix = `bg-${crypto.randomBytes(4).toString('hex')}-`;
  let seq = 0;
  const make = (i: number, ts: string) => {
    const p = parts[i % parts.length];
    const id = (seq++).toString(36);
    return { key: p.key, value: `{"event_id":"${prefix}${id}","ts":"${ts}",${p.body},"query_id":"${id}"}` };
  };
  // The same document restamp() would give, bar the ids.
  const probe = JSON.parse(make(0, new Date(0).toISOString()).value) as CanonicalEvent;
  const expected = restamp(template[0], 0);
  for (const k of Object.keys(expected) as Array<keyof CanonicalEvent>) {
    if (k !== 'event_id' && k !== 'query_id' && probe[k] !== expected[k]) throw new Error(`background event field ${k} differs from restamp()'s`);
  }
  return make;
}

function produceBackground(producer: Producer, topic: string, template: readonly CanonicalEvent[], rate: number) {
  const stats: BackgroundStats = { target: rate, produced: 0, acked: 0, failed: 0, shortfall: 0, perSecond: [], startedAt: Date.now() };
  const make = restamper(template);
  let stopped = false;
  let inFlight = 0;
  let next = 0;
  const loop = (async () => {
    while (!stopped) {
      const now = Date.now();
      let due = Math.floor((rate * (now - stats.startedAt)) / 1000) - stats.produced - stats.shortfall;
      if (due > rate) {
        stats.shortfall += due - rate;
        due = rate;
      }
      while (due > 0 && inFlight < MAX_IN_FLIGHT && !stopped) {
        const n = Math.min(due, MAX_SEND_EVENTS);
        const ts = new Date(now).toISOString();
        const messages = new Array<{ key: string; value: string }>(n);
        for (let k = 0; k < n; k++) messages[k] = make(next++, ts);
        due -= n;
        stats.produced += n;
        inFlight++;
        // Keyed by user with acks from all in-sync replicas, as send() in src/demo/traffic.ts does.
        producer.send({ topic, acks: -1, messages }).then(
          () => {
            stats.acked += n;
            const second = Math.floor((Date.now() - stats.startedAt) / 1000);
            while (stats.perSecond.length <= second) stats.perSecond.push(0);
            stats.perSecond[second] += n;
          },
          (err: unknown) => {
            stats.failed += n;
            stats.lastError = (err as Error).message;
          },
        ).finally(() => inFlight--);
        // Let acknowledgements and the stop message in between batches.
        await new Promise((resolve) => setImmediate(resolve));
      }
      await sleep(TICK_MS - (Date.now() - now));
    }
    const drainUntil = Date.now() + 15_000;
    while (inFlight > 0 && Date.now() < drainUntil) await sleep(20);
  })();
  return {
    stats,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

interface BackgroundJob {
  topic: string;
  rate: number;
  template: CanonicalEvent[];
}

type BackgroundMessage = { type: 'stats'; stats: BackgroundStats } | { type: 'stopped'; stats: BackgroundStats } | { type: 'failed'; error: string };

/** The worker thread's side: its own Kafka client and producer, stats to the main thread every 200 ms. */
async function backgroundWorker(job: BackgroundJob): Promise<void> {
  const port = parentPort!;
  const { config } = loadConfig();
  const kafka = createKafka(config.kafka, createLogger({ level: 'warn', name: 'bench-background' }));
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const bg = produceBackground(producer, job.topic, job.template, job.rate);
  const post = (m: BackgroundMessage) => port.postMessage(m);
  const report = setInterval(() => post({ type: 'stats', stats: bg.stats }), 200);
  port.once('message', () => {
    void (async () => {
      clearInterval(report);
      await bg.stop();
      await producer.disconnect().catch(() => {});
      post({ type: 'stopped', stats: bg.stats });
      port.close();
    })();
  });
}

/**
 * The background load, produced in a worker thread so that building and encoding 20,000 events a second
 * does not delay this thread's export sends and ClickHouse polls (their timestamps are the measurement).
 */
function startBackground(topic: string, template: readonly CanonicalEvent[], rate: number) {
  const stats: BackgroundStats = { target: rate, produced: 0, acked: 0, failed: 0, shortfall: 0, perSecond: [], startedAt: Date.now() };
  const tsx = require.resolve('tsx/cjs');
  const job: BackgroundJob = { topic, rate, template: [...template] };
  const worker = new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(__filename)});`, { eval: true, workerData: job });
  let exited = false;
  let stoppedStats: (() => void) | undefined;
  worker.on('message', (m: BackgroundMessage) => {
    if (m.type === 'failed') stats.lastError = m.error;
    else Object.assign(stats, m.stats);
    if (m.type === 'stopped') stoppedStats?.();
  });
  worker.on('error', (err) => {
    stats.lastError = `background worker: ${err.message}`;
    say(`  ${stats.lastError}`);
  });
  const exit = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  return {
    stats,
    async stop() {
      if (exited) return;
      const stopped = new Promise<void>((resolve) => (stoppedStats = resolve));
      worker.postMessage('stop');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([stopped.then(() => exit), new Promise((resolve) => (timer = setTimeout(resolve, 30_000)))]);
      clearTimeout(timer);
      if (!exited) await worker.terminate();
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// The product's processes

interface Child {
  name: string;
  proc: ChildProcess;
  logFile: string;
  errors: number;
  /** Wall time of the first log line of each alert id (the detector logs an alert once it is stored). */
  alertLogged: Map<string, number>;
  lastLines: string[];
  exited: boolean;
  ready: Promise<void>;
  stop(): Promise<void>;
}

function startChild(name: string, command: string, env: NodeJS.ProcessEnv, readyMsg: string, logFile: string, nodeArgs: string[] = []): Child {
  const proc = spawn(process.execPath, [...nodeArgs, path.join(root, 'bin', 'insider.js'), command], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = fs.createWriteStream(logFile);
  let markReady: () => void = () => {};
  let fail: (e: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    fail = reject;
  });
  ready.catch(() => {});
  const child: Child = {
    name,
    proc,
    logFile,
    errors: 0,
    alertLogged: new Map(),
    lastLines: [],
    exited: false,
    ready,
    async stop() {
      if (!child.exited) {
        const exit = new Promise((resolve) => proc.once('exit', resolve));
        proc.kill('SIGTERM');
        const timer = setTimeout(() => {
          say(`  ${name} did not stop within 20 s of SIGTERM: SIGKILL`);
          proc.kill('SIGKILL');
        }, 20_000);
        await exit;
        clearTimeout(timer);
      }
      await new Promise((resolve) => out.end(resolve));
    },
  };
  proc.stdout?.pipe(out, { end: false });
  const lines = readline.createInterface({ input: proc.stderr!, crlfDelay: Infinity });
  lines.on('line', (line) => {
    out.write(`${line}\n`);
    child.lastLines.push(line);
    if (child.lastLines.length > 20) child.lastLines.shift();
    if (!line.startsWith('{')) return;
    try {
      const rec = JSON.parse(line) as { msg?: string; level?: number; alert?: string; time?: string };
      if ((rec.level ?? 0) >= 50) child.errors++;
      if (rec.msg === readyMsg) markReady();
      if (typeof rec.alert === 'string' && rec.time && !child.alertLogged.has(rec.alert)) child.alertLogged.set(rec.alert, Date.parse(rec.time));
    } catch {
      // not a log record
    }
  });
  proc.once('exit', (code, signal) => {
    child.exited = true;
    fail(new Error(`${name} exited (${signal ?? `code ${code}`}) before it was ready; its log: ${logFile}\n${child.lastLines.slice(-5).join('\n')}`));
  });
  return child;
}

async function waitReady(child: Child): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${child.name} not ready within ${READY_TIMEOUT_MS / 1000} s; its log: ${child.logFile}`)), READY_TIMEOUT_MS);
  });
  try {
    await Promise.race([child.ready, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    newest = Math.max(newest, fs.statSync(path.join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
  }
  return newest;
}

/** CPU seconds (user + system) a process has used, or NaN when it cannot be read. */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/** CPU seconds the whole machine spent busy (all cores; not idle, not waiting for I/O). */
function machineCpuSeconds(): { busy: number } {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const [user, nice, system, , , irq, softirq] = line.trim().split(/\s+/).slice(1).map(Number);
  return { busy: (user + nice + system + irq + softirq) / CLK_TCK };
}

function servicePid(stateDir: string, name: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(stateDir, 'run', `${name}.pid`), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function groupLag(admin: Admin, topic: string, groupId: string, high: Map<number, bigint>): Promise<number> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  let lag = 0n;
  for (const [partition, h] of high) {
    const c = committed?.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
    if (c !== '-1' && BigInt(c) < h) lag += h - BigInt(c);
  }
  return Number(lag);
}

// ---------------------------------------------------------------------------------------------------
// The run

interface SentEvent {
  user: string;
  at: number;
  chunk: number;
  ackedAt?: number;
}

interface ExportResult {
  index: number;
  user: string;
  role: string;
  medianDailyMb: number;
  startedAt: number;
  chunksSent: number;
  sendErrors: number;
  outcome: 'alert' | 'missed' | 'error';
  alertId?: string;
  detectors?: string[];
  triggerEventId?: string;
  triggerChunk?: number;
  /** Trigger event's send() -> the answer of the first poll that showed the alert (an upper bound). */
  latencyMs?: number;
  /** Trigger event's send() -> the poll's request: a lower bound (the resolution is the poll's duration). */
  latencyLowerMs?: number;
  /** Trigger event's send() -> the detector's log line of the stored alert. */
  detectorLoggedMs?: number;
  /** Trigger event's send() -> the broker's acknowledgement. */
  triggerAckMs?: number;
  error?: string;
}

interface SeenAlert {
  alertId: string;
  triggerEventId: string;
  detectors: string[];
  /** The poll that first showed the alert: when it was sent, and when its answer arrived. */
  pollIssuedAt: number;
  seenAt: number;
}

async function main(): Promise<number> {
  const opts = parseOptions();
  const runStarted = Date.now();
  if (!fs.existsSync(path.join(root, 'dist', 'cli', 'index.js'))) throw new Error('the CLI is not built: run `npm run build` first');
  if (newestMtime(path.join(root, 'src')) > newestMtime(path.join(root, 'dist'))) say('warning: src/ changed after the last build; `insider ingest` and `insider detect` run from dist/ (npm run build)');
  const { config } = loadConfig();
  const log = createLogger({ level: 'warn', name: 'bench-detect-latency' });
  const kafka = createKafka(config.kafka, log);
  const simDir = path.join(os.tmpdir(), `insider-bench-latency-${opts.seed}-${process.pid}`);
  const outDir = path.join(root, 'artifacts', 'bench');
  fs.mkdirSync(outDir, { recursive: true });

  let interrupted = false;
  const onSigint = () => {
    if (interrupted) return;
    interrupted = true;
    say('SIGINT: stopping and cleaning up...');
  };
  process.on('SIGINT', onSigint);
  const checkInterrupted = () => {
    if (interrupted) throw new Interrupted('interrupted (SIGINT)');
  };

  say(`[setup] preparing the environment: ${opts.employees} employees, ${opts.days} days of history, seed ${opts.seed}`);
  const env: LiveEnvironment = await prepareEnvironment({
    config,
    kafka,
    log,
    prefix: 'bench',
    seed: opts.seed,
    employees: opts.employees,
    days: opts.days,
    dir: simDir,
    progress: (l) => say(`[setup] ${l}`),
  });
  const setupMs = Date.now() - runStarted;
  const { ws } = env;
  const ch: ClickHouse = ws.ch;
  const detectGroup = `${ws.topic}-detect`;
  const children: Child[] = [];
  const producers: Producer[] = [];
  const admin = kafka.admin();
  let background: ReturnType<typeof startBackground> | undefined;
  let pollerStop = false;
  let poller: Promise<void> | undefined;
  try {
    checkInterrupted();
    // Who exports, and the background without them.
    const users = await profiles(env.eventsFile);
    const exporters = chooseExporters(env.directory, users, opts.exports, opts.days);
    const exportUsers = exporters.map((e) => e.user);
    const raw = await templateEvents(env.eventsFile, { exclude: new Set(exportUsers) });
    const plannedMs = WARMUP_MS + opts.exports * STAGGER_MS + 20_000;
    const scale = Math.min(1, raw.length / ((opts.rate * plannedMs) / 1000));
    const template = raw.map((e) => ({ ...e, bytes: Math.round(e.bytes * scale), rows: Math.round(e.rows * scale) }));
    say(`[setup] ${Math.round(setupMs / 1000)} s; background template: ${template.length} events of one working day (${new Set(template.map((e) => e.user)).size} users), bytes scaled by ${scale.toExponential(2)}`);
    say(`[setup] exporters: ${exporters.map((e) => `${e.user} (${e.role}, ${(e.medianDailyBytes / 1e6).toFixed(0)} MB/day)`).join(', ')}`);

    // The product, as separate processes.
    const childEnv = {
      ...process.env,
      INSIDER_KAFKA_BROKERS: config.kafka.brokers.join(','),
      INSIDER_KAFKA_TOPIC: ws.topic,
      INSIDER_CLICKHOUSE_DATABASE: ws.database,
      INSIDER_INGEST_GROUP_ID: ws.groupId,
      INSIDER_DETECT_GROUP_ID: detectGroup,
      INSIDER_CATALOG_FILE: env.catalogFile,
      INSIDER_INGEST_METRICS_PORT: '0',
      INSIDER_LOG_LEVEL: 'info',
    };
    say('[start] insider ingest and insider detect...');
    const prof = (name: string) => (opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${outDir}`, `--cpu-prof-name=detect-latency-${name}.cpuprofile`] : []);
    children.push(startChild('insider ingest', 'ingest', childEnv, 'ingesting', path.join(outDir, 'detect-latency-ingest.log'), prof('ingest')));
    children.push(startChild('insider detect', 'detect', childEnv, 'detecting', path.join(outDir, 'detect-latency-detect.log'), prof('detect')));
    const [ingester, detector] = children;
    await Promise.all(children.map(waitReady));
    say('[start] both consuming');
    checkInterrupted();

    const exportProducer = kafka.producer({ allowAutoTopicCreation: false });
    producers.push(exportProducer);
    await Promise.all(producers.map((p) => p.connect()));
    await admin.connect();

    // Alerts that exist before any export (yesterday's, from the detector's warm-up) are not ours.
    const todayStart = new Date(dayOf(Date.now()) * MS_PER_DAY);
    const before = await ch.query<{ alert_id: string }>(sql`SELECT alert_id FROM alerts WHERE user IN ${inList(exportUsers)}`);
    const preexisting = new Set(before.map((r) => r.alert_id));

    // Polling ClickHouse: alerts of the exporters, and visibility of their events in access_events.
    const sent = new Map<string, SentEvent>();
    const pendingVisible = new Map<string, SentEvent>();
    const visibleMs: number[] = [];
    const seen = new Map<string, SeenAlert>();
    let pollErrors = 0;
    let lastPollError = '';
    const pollTimes = { alerts: [] as number[], visible: [] as number[] };
    // Any revision, not only revision = 1: alerts is a ReplacingMergeTree(revision) ordered by alert_id, so a
    // background merge keeps only the highest revision and revision 1 can vanish before a poll sees it.
    // trigger_event_id is carried over unchanged from revision 1 to every later one.
    const pollAlerts = async (issuedAt: number) => {
      const rows = await ch.query<{ user: string; alert_id: string; trigger_event_id: string; detectors: string[] }>(sql`
        SELECT user, alert_id, argMin(trigger_event_id, revision) AS trigger_event_id, argMin(detectors, revision) AS detectors
        FROM alerts
        WHERE user IN ${inList(exportUsers)} AND window_end > ${todayStart}
        GROUP BY user, alert_id`);
      const answeredAt = Date.now();
      pollTimes.alerts.push(answeredAt - issuedAt);
      for (const r of rows) {
        if (preexisting.has(r.alert_id) || seen.has(r.user)) continue;
        seen.set(r.user, { alertId: r.alert_id, triggerEventId: r.trigger_event_id, detectors: r.detectors, pollIssuedAt: issuedAt, seenAt: answeredAt });
      }
    };
    const pollVisible = async (issuedAt: number) => {
      if (pendingVisible.size === 0) return;
      const ids = [...pendingVisible.keys()];
      const pendingUsers = [...new Set([...pendingVisible.values()].map((s) => s.user))];
      const since = new Date(Math.min(...[...pendingVisible.values()].map((s) => s.at)) - 5_000);
      const rows = await ch.query<{ event_id: string }>(sql`
        SELECT event_id FROM access_events WHERE user IN ${inList(pendingUsers)} AND ts >= ${since} AND event_id IN ${inList(ids)}`);
      const answeredAt = Date.now();
      pollTimes.visible.push(answeredAt - issuedAt);
      for (const r of rows) {
        const s = pendingVisible.get(r.event_id);
        if (!s) continue;
        pendingVisible.delete(r.event_id);
        visibleMs.push(answeredAt - s.at);
      }
    };
    poller = (async () => {
      while (!pollerStop) {
        const issuedAt = Date.now();
        try {
          await Promise.all([pollAlerts(issuedAt), pollVisible(issuedAt)]);
        } catch (err) {
          pollErrors++;
          lastPollError = (err as Error).message;
          if (pollErrors % 20 === 1) say(`  ClickHouse poll failed (${pollErrors} so far): ${lastPollError}`);
        }
        await sleepUntil(issuedAt + POLL_MS);
      }
    })();

    // Consumer lag of both groups, every second, and CPU use of every process involved.
    const lag = { detector: [] as number[], ingester: [] as number[] };
    let lagStop = false;
    const lagSampler = (async () => {
      while (!lagStop) {
        const t = Date.now();
        try {
          const offsets = await admin.fetchTopicOffsets(ws.topic);
          const high = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
          lag.detector.push(await groupLag(admin, ws.topic, detectGroup, high));
          lag.ingester.push(await groupLag(admin, ws.topic, ws.groupId, high));
        } catch {
          // a sample less
        }
        await sleepUntil(t + 1000);
      }
    })();
    const stateDir = stateDirOf(config);
    const processes: Array<[string, number | undefined]> = [
      ['insider detect', detector.proc.pid],
      ['insider ingest', ingester.proc.pid],
      ['this benchmark (producer, polls)', process.pid],
      ['Kafka broker', servicePid(stateDir, 'kafka')],
      ['ClickHouse server', servicePid(stateDir, 'clickhouse')],
    ];

    // Background, warm-up, then the exports.
    say(`[load] background at ${int(opts.rate)} events/s; exports start in ${WARMUP_MS / 1000} s`);
    background = startBackground(ws.topic, template, opts.rate);
    const bg = background.stats;
    await sleep(WARMUP_MS);
    checkInterrupted();
    const measureStart = Date.now();
    const ackedAtStart = bg.acked;
    const cpuStart = processes.map(([, pid]) => cpuSeconds(pid));
    const machineStart = machineCpuSeconds();
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const lagFrom = { detector: lag.detector.length, ingester: lag.ingester.length };
    say(`[load] warm-up done: ${int(bg.acked / ((measureStart - bg.startedAt) / 1000))} events/s acknowledged so far; detector lag ${int(lag.detector.at(-1) ?? NaN)} events`);

    const results: ExportResult[] = exporters.map((e, i) => ({
      index: i + 1,
      user: e.user,
      role: e.role,
      medianDailyMb: Math.round(e.medianDailyBytes / 1e6),
      startedAt: 0,
      chunksSent: 0,
      sendErrors: 0,
      outcome: 'missed',
    }));
    const runExport = async (i: number) => {
      const r = results[i];
      const plan = exporters[i].plan;
      await sleepUntil(measureStart + i * STAGGER_MS);
      if (interrupted) return;
      r.startedAt = Date.now();
      const deadline = r.startedAt + EXPORT_TIMEOUT_MS;
      for (let c = 0; c < plan.chunks && !seen.has(r.user) && Date.now() < deadline && !interrupted; c++) {
        await sleepUntil(r.startedAt + c * CHUNK_EVERY_MS);
        if (seen.has(r.user)) break;
        const at = Date.now();
        const e = exportChunk(plan, at);
        const s: SentEvent = { user: r.user, at, chunk: c + 1 };
        sent.set(e.event_id, s);
        pendingVisible.set(e.event_id, s);
        try {
          await send(exportProducer, ws.topic, [e]);
          s.ackedAt = Date.now();
          r.chunksSent++;
        } catch (err) {
          r.sendErrors++;
          pendingVisible.delete(e.event_id);
          say(`  export ${r.index}: send failed: ${(err as Error).message}`);
        }
      }
      while (!seen.has(r.user) && Date.now() < deadline && !interrupted) await sleep(10);
      const a = seen.get(r.user);
      if (!a) {
        say(`  export ${r.index}/${results.length} ${r.user}: MISSED, no alert ${EXPORT_TIMEOUT_MS / 1000} s after the first chunk (${r.chunksSent} chunks sent)`);
        return;
      }
      r.alertId = a.alertId;
      r.detectors = a.detectors;
      r.triggerEventId = a.triggerEventId;
      const trigger = sent.get(a.triggerEventId);
      if (!trigger || trigger.user !== r.user) {
        r.outcome = 'error';
        r.error = `alert ${a.alertId}: trigger event ${a.triggerEventId} is not one of this export's events`;
        say(`  export ${r.index}/${results.length} ${r.user}: ERROR ${r.error}`);
        return;
      }
      r.outcome = 'alert';
      r.triggerChunk = trigger.chunk;
      r.latencyMs = a.seenAt - trigger.at;
      r.latencyLowerMs = Math.max(0, a.pollIssuedAt - trigger.at);
      if (trigger.ackedAt !== undefined) r.triggerAckMs = trigger.ackedAt - trigger.at;
      say(`  export ${r.index}/${results.length} ${r.user}: alert after chunk ${trigger.chunk} (${a.detectors.join(', ')}), seen ${secs(r.latencyMs)} s after the send; detector lag ${int(lag.detector.at(-1) ?? NaN)} events`);
    };
    await Promise.all(results.map((_, i) => runExport(i)));
    const measureEnd = Date.now();
    const ackedAtEnd = bg.acked;
    const cpuEnd = processes.map(([, pid]) => cpuSeconds(pid));
    const machineEnd = machineCpuSeconds();
    loopDelay.disable();
    const lagDuring = { detector: lag.detector.slice(lagFrom.detector), ingester: lag.ingester.slice(lagFrom.ingester) };
    checkInterrupted();

    // Export events not yet visible in access_events: a little longer (the background keeps running).
    const graceUntil = Date.now() + VISIBILITY_GRACE_MS;
    while (pendingVisible.size > 0 && Date.now() < graceUntil && !interrupted) await sleep(POLL_MS);
    const notVisible = pendingVisible.size;
    lagStop = true;
    pollerStop = true;
    await background.stop();
    await Promise.all([poller, lagSampler]);
    background = undefined;
    poller = undefined;
    const [bgAlertRow] = await ch.query<{ n: string }>(sql`
      SELECT uniqExact(alert_id) AS n FROM alerts WHERE user NOT IN ${inList(exportUsers)} AND window_end > ${todayStart}`);
    // The detector logs each alert once it is stored: a cross-check of the polls (same machine, same clock).
    for (const r of results) {
      const logged = r.alertId ? detector.alertLogged.get(r.alertId) : undefined;
      const trigger = r.triggerEventId ? sent.get(r.triggerEventId) : undefined;
      if (r.outcome === 'alert' && logged !== undefined && trigger) r.detectorLoggedMs = logged - trigger.at;
    }

    // The figures.
    const alerted = results.filter((r) => r.outcome === 'alert');
    const alertDist = distribution(alerted.map((r) => r.latencyMs!));
    const alertLowerDist = distribution(alerted.map((r) => r.latencyLowerMs!));
    const loggedDist = distribution(alerted.filter((r) => r.detectorLoggedMs !== undefined).map((r) => r.detectorLoggedMs!));
    const visibleDist = distribution(visibleMs);
    const ackDist = distribution([...sent.values()].filter((x) => x.ackedAt !== undefined).map((x) => x.ackedAt! - x.at));
    const ratio = alertDist.p50 / visibleDist.p50;
    const measureSecs = (measureEnd - measureStart) / 1000;
    const achieved = (ackedAtEnd - ackedAtStart) / measureSecs;
    const fullSeconds = bg.perSecond.slice(Math.ceil((measureStart - bg.startedAt) / 1000), Math.floor((measureEnd - bg.startedAt) / 1000));
    const minSecond = fullSeconds.length > 0 ? Math.min(...fullSeconds) : NaN;
    const sustained = achieved >= 0.98 * opts.rate;
    const missed = results.filter((r) => r.outcome === 'missed');
    const errors = results.filter((r) => r.outcome === 'error');
    const goalMet = missed.length === 0 && errors.length === 0 && alertDist.p95 <= GOAL_P95_MS;
    const cpuPct = processes.map(([name], i) => [name, (100 * (cpuEnd[i] - cpuStart[i])) / measureSecs] as const);
    const machineBusy = (100 * (machineEnd.busy - machineStart.busy)) / measureSecs;
    const others = machineBusy - cpuPct.reduce((sum, [, c]) => sum + (Number.isFinite(c) ? c : 0), 0);
    const cpu = [...cpuPct, ['other processes on the machine', others] as const].map(([name, c]) => [name, Number.isFinite(c) ? c.toFixed(0) : '?'] as const);
    const pollAlertDist = distribution(pollTimes.alerts);
    const pollVisibleDist = distribution(pollTimes.visible);
    const loopMs = { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 };
    const version = await ch.serverVersion();

    const out = [
      '',
      `Detection latency benchmark: ${opts.exports} bulk exports (${CHUNK_BYTES / 1e6} MB chunks every ${CHUNK_EVERY_MS} ms) under a background of ${int(opts.rate)} events/s;`,
      `${opts.employees} simulated employees, ${opts.days} days of history (seed ${opts.seed}), ClickHouse ${version}, ${os.cpus().length} cores`,
      '',
      table(
        ['', 'target', 'achieved', 'slowest second'],
        [['background events/s (during the exports)', int(opts.rate), int(achieved), int(minSecond)]],
      ),
      sustained
        ? `background load sustained (${measureSecs.toFixed(0)} s of exports)`
        : `NOTE: this machine did not sustain ${int(opts.rate)} events/s: ${int(achieved)} events/s achieved (${((100 * achieved) / opts.rate).toFixed(0)}%)${bg.failed ? `, ${int(bg.failed)} failed sends (${bg.lastError})` : ''}`,
      '',
      table(
        ['seconds', 'n', 'p50', 'p95', 'max'],
        [
          row('alert stored: trigger event sent -> alert seen in ClickHouse', alertDist),
          row('reference: export event sent -> row seen in access_events', visibleDist),
          row('  (alert: to the request of the poll that saw it; lower bound)', alertLowerDist),
          row('  (alert: to the detector logging it, after storing it)', loggedDist),
          row('  (export event: to the Kafka acknowledgement)', ackDist),
        ],
      ),
      `ratio of the medians (alert / ingest visibility): ${Number.isFinite(ratio) ? ratio.toFixed(2) : '-'}`,
      `exports run: ${results.length}, alerts seen: ${alertDist.n}, missed: ${missed.length}, errors: ${errors.length}${notVisible ? `, export events never visible: ${notVisible}` : ''}`,
      `background alerts (other employees, today): ${int(Number(bgAlertRow.n))}`,
      `max consumer lag during the exports (events): detector ${int(Math.max(0, ...lagDuring.detector))}, ingester ${int(Math.max(0, ...lagDuring.ingester))}`,
      `ClickHouse polled every ${POLL_MS} ms; a poll took p50/max ${pollAlertDist.p50}/${pollAlertDist.max} ms (alerts), ${pollVisibleDist.p50}/${pollVisibleDist.max} ms (access_events)${pollErrors ? `; ${pollErrors} failed polls (${lastPollError})` : ''}`,
      `CPU during the exports (% of one core, ${os.cpus().length} cores): ${cpu.map(([n, c]) => `${n} ${c}%`).join(', ')}`,
      `this process's event loop delay: p99 ${loopMs.p99.toFixed(0)} ms, max ${loopMs.max.toFixed(0)} ms; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`,
      `goal: p95 <= ${GOAL_P95_MS / 1000} s: ${goalMet ? 'met' : 'NOT met'}${sustained ? '' : ` (at ${int(achieved)} events/s, not ${int(opts.rate)})`}`,
      ...missed.map((r) => `MISSED: export ${r.index} by ${r.user}: no alert within ${EXPORT_TIMEOUT_MS / 1000} s (${r.chunksSent} chunks sent)`),
      ...errors.map((r) => `ERROR: export ${r.index} by ${r.user}: ${r.error}`),
      `results: ${path.relative(process.cwd(), path.join(outDir, 'detect-latency.json'))}; product logs: ${path.relative(process.cwd(), ingester.logFile)}, ${path.relative(process.cwd(), detector.logFile)}`,
      '',
    ].join('\n');
    process.stdout.write(out);

    const json = {
      startedAt: new Date(runStarted).toISOString(),
      options: opts,
      machine: { cores: os.cpus().length, clickhouse: version, node: process.version },
      settings: { warmupMs: WARMUP_MS, staggerMs: STAGGER_MS, chunkBytes: CHUNK_BYTES, chunkEveryMs: CHUNK_EVERY_MS, exportTimeoutMs: EXPORT_TIMEOUT_MS, pollMs: POLL_MS, backgroundBytesScale: scale },
      environment: { database: ws.database, topic: ws.topic, detectGroup, historyEvents: env.historyEvents, templateEvents: template.length, setupMs },
      background: { target: opts.rate, achieved, slowestSecond: minSecond, sustained, acked: bg.acked, failed: bg.failed, shortfall: bg.shortfall, lastError: bg.lastError ?? null, perSecond: bg.perSecond },
      alertLatencyMs: alertDist,
      ingestVisibilityMs: visibleDist,
      ratioOfMedians: Number.isFinite(ratio) ? ratio : null,
      goal: { p95Ms: GOAL_P95_MS, met: goalMet },
      exports: results,
      backgroundAlerts: Number(bgAlertRow.n),
      exportEventsNeverVisible: notVisible,
      consumerLag: { detector: lagDuring.detector, ingester: lagDuring.ingester },
      cpuPercentOfOneCore: Object.fromEntries(cpu),
      alertLatencyLowerBoundMs: alertLowerDist,
      alertLoggedByDetectorMs: loggedDist,
      exportEventAckMs: ackDist,
      polls: { alerts: pollAlertDist, accessEvents: pollVisibleDist, errors: pollErrors },
      eventLoopDelayMs: loopMs,
      loadAverage: os.loadavg(),
      productErrorsLogged: { ingest: ingester.errors, detect: detector.errors },
      runMs: Date.now() - runStarted,
    };
    fs.writeFileSync(path.join(outDir, 'detect-latency.json'), `${JSON.stringify(json, null, 2)}\n`);
    if (ingester.errors + detector.errors > 0) say(`note: the product logged ${ingester.errors + detector.errors} error(s); see the logs above`);
    return missed.length > 0 || errors.length > 0 ? 1 : 0;
  } finally {
    pollerStop = true;
    if (background) await background.stop().catch(() => {});
    if (poller) await poller.catch(() => {});
    await Promise.all(producers.map((p) => p.disconnect().catch(() => {})));
    if (children.length > 0) say('[cleanup] stopping insider ingest and insider detect...');
    await Promise.all(children.map((c) => c.stop().catch(() => {})));
    if (opts.keep) {
      await admin.disconnect().catch(() => {});
      await ws.close();
      say(`[cleanup] kept: ClickHouse database ${ws.database}, Kafka topic ${ws.topic}, groups ${ws.groupId} and ${detectGroup}, files in ${simDir}`);
    } else {
      await admin.connect().catch(() => {});
      await admin.deleteGroups([detectGroup]).catch(() => {});
      await admin.disconnect().catch(() => {});
      const failures = await ws.dispose();
      for (const f of failures) say(`[cleanup] could not remove ${f}`);
      fs.rmSync(simDir, { recursive: true, force: true });
      if (failures.length === 0) say('[cleanup] database, topic, consumer groups and simulation files removed');
    }
    process.off('SIGINT', onSigint);
    say(`[done] ${((Date.now() - runStarted) / 1000).toFixed(0)} s in all`);
  }
}

if (isMainThread) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`bench:latency ${err instanceof Interrupted ? err.message : `failed: ${(err as Error).stack ?? err}`}\n`);
      process.exitCode = err instanceof Interrupted ? 130 : 1;
    },
  );
} else {
  backgroundWorker(workerData as BackgroundJob).catch((err: unknown) => {
    parentPort?.postMessage({ type: 'failed', error: (err as Error).message } satisfies BackgroundMessage);
    process.exit(1);
  });
}
