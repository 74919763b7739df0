// The figures of a run: the distributions, printed as a table on stdout, and everything measured written
// to artifacts/bench/detect-latency.json. The exit code says whether every export was alerted.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { IntervalHistogram } from 'node:perf_hooks';
import type { ClickHouse } from '../../src/store';
import type { BackgroundStats } from './background';
import type { ExportResult } from './bulk-exports';
import { distribution, int, row, table } from './figures';
import type { Options } from './options';
import type { Child } from './processes';
import { CHUNK_BYTES, CHUNK_EVERY_MS, EXPORT_TIMEOUT_MS, GOAL_P95_MS, POLL_MS, say, STAGGER_MS, WARMUP_MS } from './settings';
import type { Polls } from './watch';

export interface RunRecord {
  opts: Options;
  runStarted: number;
  outDir: string;
  ch: ClickHouse;
  /** What the run ran on, as the JSON records it. */
  environment: { database: string; topic: string; detectGroup: string; historyEvents: number; templateEvents: number; setupMs: number };
  /** How much the background's bytes were scaled down. */
  scale: number;
  results: ExportResult[];
  polls: Polls;
  /** Export events never seen in access_events, even after the grace period. */
  notVisible: number;
  bg: BackgroundStats;
  /** Alerts of the other employees (the background), today. */
  backgroundAlerts: number;
  /** The measurement: from the first export's start to the last one's end. */
  measureStart: number;
  measureEnd: number;
  ackedAtStart: number;
  ackedAtEnd: number;
  /** Every process watched (name, pid) and its CPU seconds at the start and the end. */
  processes: Array<[string, number | undefined]>;
  cpuStart: number[];
  cpuEnd: number[];
  machineStart: { busy: number };
  machineEnd: { busy: number };
  loopDelay: IntervalHistogram;
  lagDuring: { detector: number[]; ingester: number[] };
  ingester: Child;
  detector: Child;
}

/** Prints the figures, writes the JSON, and returns the exit code (1 when an export was missed or an alert was wrong). */
export async function report(run: RunRecord): Promise<number> {
  const { opts, runStarted, outDir, ch, environment, scale, results, notVisible, bg, backgroundAlerts, measureStart, measureEnd, ackedAtStart, ackedAtEnd } = run;
  const { processes, cpuStart, cpuEnd, machineStart, machineEnd, loopDelay, lagDuring, ingester, detector } = run;
  const { sent, visibleMs, pollTimes, errors: pollErrors, lastError: lastPollError } = run.polls;
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
    `background alerts (other employees, today): ${int(backgroundAlerts)}`,
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
    environment,
    background: { target: opts.rate, achieved, slowestSecond: minSecond, sustained, acked: bg.acked, failed: bg.failed, shortfall: bg.shortfall, lastError: bg.lastError ?? null, perSecond: bg.perSecond },
    alertLatencyMs: alertDist,
    ingestVisibilityMs: visibleDist,
    ratioOfMedians: Number.isFinite(ratio) ? ratio : null,
    goal: { p95Ms: GOAL_P95_MS, met: goalMet },
    exports: results,
    backgroundAlerts,
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
}
