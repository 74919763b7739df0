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
//
// The parts, in scripts/bench-detect-latency/: options.ts (the command line), settings.ts (timings),
// exporters.ts (who exports), background.ts (the background load, in a worker thread), processes.ts (the
// product's processes, CPU, lag), watch.ts (the ClickHouse polls and the lag sampler), bulk-exports.ts
// (the timed exports), figures.ts and report.ts (what is printed and written). This file runs them in order.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { Producer } from 'kafkajs';
import { MS_PER_DAY, dayOf } from '../src/calendar';
import { loadConfig } from '../src/config';
import { prepareEnvironment, type LiveEnvironment } from '../src/demo/environment';
import { templateEvents } from '../src/demo/traffic';
import { createKafka } from '../src/kafka';
import { stateDirOf } from '../src/local-services';
import { createLogger } from '../src/log';
import { inList, sql, type ClickHouse } from '../src/store';
import { backgroundWorker, startBackground, type BackgroundJob, type BackgroundMessage } from './bench-detect-latency/background';
import { runExports } from './bench-detect-latency/bulk-exports';
import { chooseExporters, profiles } from './bench-detect-latency/exporters';
import { int } from './bench-detect-latency/figures';
import { parseOptions } from './bench-detect-latency/options';
import { cpuSeconds, machineCpuSeconds, newestMtime, servicePid, startChild, waitReady, type Child } from './bench-detect-latency/processes';
import { report } from './bench-detect-latency/report';
import { Interrupted, root, say, sleep, POLL_MS, STAGGER_MS, VISIBILITY_GRACE_MS, WARMUP_MS } from './bench-detect-latency/settings';
import { startLagSampler, startPolls, type Polls } from './bench-detect-latency/watch';

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
  let polls: Polls | undefined;
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
    const watch = startPolls(ch, exportUsers, todayStart, preexisting);
    polls = watch;
    const { sent, pendingVisible } = watch;

    // Consumer lag of both groups, every second, and CPU use of every process involved.
    const lagSampler = startLagSampler(admin, ws.topic, { detector: detectGroup, ingester: ws.groupId });
    const { lag } = lagSampler;
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
    background = startBackground(__filename, ws.topic, template, opts.rate);
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
    const results = await runExports({ exporters, measureStart, producer: exportProducer, topic: ws.topic, polls: watch, detectorLag: lag.detector, interrupted: () => interrupted });
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
    const stopping = Promise.all([lagSampler.stop(), watch.stop()]);
    await background.stop();
    await stopping;
    background = undefined;
    polls = undefined;
    const [bgAlertRow] = await ch.query<{ n: string }>(sql`
      SELECT uniqExact(alert_id) AS n FROM alerts WHERE user NOT IN ${inList(exportUsers)} AND window_end > ${todayStart}`);
    // The detector logs each alert once it is stored: a cross-check of the polls (same machine, same clock).
    for (const r of results) {
      const logged = r.alertId ? detector.alertLogged.get(r.alertId) : undefined;
      const trigger = r.triggerEventId ? sent.get(r.triggerEventId) : undefined;
      if (r.outcome === 'alert' && logged !== undefined && trigger) r.detectorLoggedMs = logged - trigger.at;
    }

    return await report({
      opts,
      runStarted,
      outDir,
      ch,
      environment: { database: ws.database, topic: ws.topic, detectGroup, historyEvents: env.historyEvents, templateEvents: template.length, setupMs },
      scale,
      results,
      polls: watch,
      notVisible,
      bg,
      backgroundAlerts: Number(bgAlertRow.n),
      measureStart,
      measureEnd,
      ackedAtStart,
      ackedAtEnd,
      processes,
      cpuStart,
      cpuEnd,
      machineStart,
      machineEnd,
      loopDelay,
      lagDuring,
      ingester,
      detector,
    });
  } finally {
    const stopPolls = polls?.stop();
    if (background) await background.stop().catch(() => {});
    if (stopPolls) await stopPolls.catch(() => {});
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
