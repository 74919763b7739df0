// Day-history benchmark: how long the detector takes to build a day's history (src/detect/history.ts)
// at the day change, for simulated organisations of 1,000 / 4,000 / 10,000 people, through the product's
// own entry point (loadDayHistory, rows from an in-memory source: ClickHouse's time is not measured here):
// on its own (a detector's first day), and the next day's taking over from the day before's (history-carry.ts).
// Reference, measured in the same run on the same rows: one plain pass that groups, sorts and logs them
// (what any history must at least do), so the figure is a ratio. Also printed: the robust summaries of
// every window the build takes (Hodges-Lehmann location and Qn spread, the build's own estimators) against
// their pairwise definitions on the same windows, and the longest gap of a 50 ms timer during the build
// (a long gap is an event loop the Kafka consumer's heartbeats could not reach).
// A figure, not a test: machines are noisy; the ratios are what to compare.
//
//   npm run bench:history [-- --users 1000,4000,10000 --seed 7]
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig, type DetectionConfig } from '../src/config';
import { catalogFrom } from '../src/detect/catalog';
import { historyDaysNeeded, loadDayHistory } from '../src/detect/history';
import { createHistoryCarry, type HistoryCarry } from '../src/detect/history-carry';
import type { UserDayValue } from '../src/detect/history-source';
import { isWeekend } from '../src/calendar';
import { hodgesLehmann, qn } from '../src/detect/statistics/distributions';
import { pairwiseHodgesLehmann, pairwiseQn } from '../test/helpers/pairwise-statistics';
import { organisation, rangedSourceOf, type Organisation } from '../test/helpers/simulated-history';

const DAY_MS = 86_400_000;
const CATALOG = catalogFrom([{ database: 'crm', table: 'customers', sensitivity: 'pii' }]);

/** The reference: group the rows by user, sort each by day, take logs (a lower bound of any history). */
function plainPass(rows: Organisation['rows']): number {
  let check = 0;
  for (const list of [rows.daily, rows.busiestHour, rows.sensitive]) {
    const byUser = new Map<string, UserDayValue[]>();
    for (const r of list) {
      let l = byUser.get(r.user);
      if (!l) byUser.set(r.user, (l = []));
      l.push(r);
    }
    for (const l of byUser.values()) {
      l.sort((a, b) => a.day - b.day);
      for (const r of l) check += Math.log(r.bytes);
    }
  }
  return check;
}

/** Every trailing window of working-day logs the build summarises (baselineDays before each day of the pool and today). */
function windows(rows: UserDayValue[], day: number, poolDays: number, baselineDays: number): number[][] {
  const byUser = new Map<string, UserDayValue[]>();
  for (const r of rows) {
    let l = byUser.get(r.user);
    if (!l) byUser.set(r.user, (l = []));
    l.push(r);
  }
  const out: number[][] = [];
  for (const l of byUser.values()) {
    l.sort((a, b) => a.day - b.day);
    for (let d = day - poolDays; d <= day; d++) {
      const w = l.filter((r) => r.day >= d - baselineDays && r.day < d && !isWeekend(r.day)).map((r) => Math.log(r.bytes));
      if (w.length > 1) out.push(w);
    }
  }
  return out;
}

const seconds = (f: () => unknown) => {
  const t = performance.now();
  f();
  return (performance.now() - t) / 1000;
};

/** Builds the history while a 50 ms timer runs; its longest gap tells how long the event loop was held. */
async function timedBuild(org: Organisation, day: number, detection: DetectionConfig, carry?: HistoryCarry): Promise<{ seconds: number; longestGapMs: number; ticks: number }> {
  let last = performance.now();
  let longest = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    ticks++;
  }, 50);
  const t = performance.now();
  await loadDayHistory(rangedSourceOf(org.rows), day, detection, org.people, CATALOG, carry);
  const took = (performance.now() - t) / 1000;
  longest = Math.max(longest, performance.now() - last);
  clearInterval(timer);
  return { seconds: took, longestGapMs: longest, ticks };
}

const sizes = (v: string) => {
  const list = v.split(',').map(Number);
  if (list.some((n) => !Number.isInteger(n) || n <= 0)) throw new InvalidArgumentError('expected positive integers separated by commas');
  return list;
};

async function main(): Promise<void> {
  const opts = new Command()
    .description('Time building a day history for simulated organisations, against a plain pass over the same rows')
    .option('--users <list>', 'organisation sizes', sizes, [1000, 4000, 10000])
    .option('--seed <n>', 'seed of the simulated organisation', (v) => Number(v), 7)
    .option('--no-estimators', 'skip the estimator comparison (pairwise definitions are slow at 10,000 people)')
    .parse()
    .opts<{ users: number[]; seed: number; estimators: boolean }>();
  const { detection } = loadConfig({ env: {} }).config;
  const day = Math.floor(Date.UTC(2026, 10, 2) / DAY_MS); // a Monday, not a month end
  const first = day - historyDaysNeeded(detection);
  const load = os.loadavg()[0];
  process.stdout.write(
    `day-history benchmark: ${historyDaysNeeded(detection)} days of rows, baseline ${detection.baselineDays} days, pool ${detection.poolDays} days (load average ${load.toFixed(2)} on ${os.cpus().length} cores${load > 1 ? ': the machine is busy, compare the ratios' : ''})\n\n`,
  );
  process.stdout.write('people    rows      plain pass   build      build/plain   longest 50ms-timer gap   next day   build/next   estimators: pairwise   current   pairwise/current\n');
  for (const n of opts.users) {
    // The rows of one more day before: the day before's history, which the next day's takes over from.
    const org = organisation(n, day, first - 1, opts.seed);
    const rowCount = org.rows.daily.length + org.rows.busiestHour.length + org.rows.sensitive.length + org.rows.night.length;
    plainPass(org.rows); // warm-up
    const plain = Math.min(seconds(() => plainPass(org.rows)), seconds(() => plainPass(org.rows)));
    const build = await timedBuild(org, day, detection);
    const carry = createHistoryCarry();
    await loadDayHistory(rangedSourceOf(org.rows), day - 1, detection, org.people, CATALOG, carry);
    const next = await timedBuild(org, day, detection, carry);
    let estimators = '';
    if (opts.estimators) {
      const ws = [...windows(org.rows.daily, day, detection.poolDays, detection.baselineDays), ...windows(org.rows.busiestHour, day, detection.poolDays, detection.baselineDays)];
      const old = seconds(() => ws.forEach((w) => pairwiseQn(w) + pairwiseHodgesLehmann(w)));
      const now = seconds(() => ws.forEach((w) => qn(w) + hodgesLehmann(w)));
      estimators = `${old.toFixed(2).padStart(8)} s ${now.toFixed(2).padStart(7)} s ${(old / now).toFixed(1).padStart(10)}x  (${ws.length.toLocaleString('en')} windows)`;
    }
    process.stdout.write(
      `${n.toLocaleString('en').padEnd(9)} ${rowCount.toLocaleString('en').padEnd(9)} ${plain.toFixed(3).padStart(7)} s ${build.seconds.toFixed(2).padStart(8)} s ${(build.seconds / plain).toFixed(0).padStart(10)}x ${build.longestGapMs.toFixed(0).padStart(14)} ms (${build.ticks} ticks) ${next.seconds.toFixed(2).padStart(8)} s ${(build.seconds / next.seconds).toFixed(1).padStart(9)}x   ${estimators}\n`,
    );
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
