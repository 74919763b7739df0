// Reference detector "mean-3sd": a user's UTC day is anomalous when its bytes exceed the mean plus three
// standard deviations of that user's trailing 30 days (the day itself excluded). Days without events
// count as 0 from the user's first seen day on; a day with fewer than 7 days of such history is not
// judged. The standard deviation is the sample one (n - 1). A daily batch job: alerts fire at the end of
// the day. Deliberately the textbook rule, not tuned: one past spike inflates the baseline for 30 days,
// which is exactly why the product's own baselines are robust (median, MAD) instead.
import { mean, sampleStandardDeviation } from 'simple-statistics';
import type { Detector, EvalAlert, Severity } from './detector';
import { dailyVolumes, daysOf, firstSeenDays, isoDay, MS_PER_DAY, type UserDay } from './daily-volume';

export interface MeanSdOptions {
  /** Trailing days that form the baseline. */
  windowDays: number;
  /** Days of history (from the first seen day) needed before a day is judged. */
  minHistoryDays: number;
  /** How many standard deviations above the mean is anomalous. */
  k: number;
}

export const MEAN_3SD: Readonly<MeanSdOptions> = Object.freeze({ windowDays: 30, minHistoryDays: 7, k: 3 });

export type Judgement =
  | { judged: false; historyDays: number }
  | { judged: true; historyDays: number; mean: number; sd: number; threshold: number; anomalous: boolean; z: number };

/** Pure: judges one observed value against its history (oldest first, zeros included). */
export function judgeDay(history: ReadonlyArray<number>, observed: number, opts: Readonly<MeanSdOptions> = MEAN_3SD): Judgement {
  if (history.length < opts.minHistoryDays) return { judged: false, historyDays: history.length };
  const m = mean(history as number[]);
  const sd = history.length > 1 ? sampleStandardDeviation(history as number[]) : 0;
  const threshold = m + opts.k * sd;
  const excess = observed - m;
  // A flat history (sd = 0) makes any increase infinitely many deviations away.
  const z = sd > 0 ? excess / sd : excess > 0 ? Infinity : 0;
  return { judged: true, historyDays: history.length, mean: m, sd, threshold, anomalous: observed > threshold, z };
}

/**
 * Pure: the trailing history of `day` for one user: the values of days max(firstSeen, day - windowDays)
 * .. day - 1, with 0 for days that have no entry in `bytesByDay`.
 */
export function trailingHistory(bytesByDay: ReadonlyMap<number, number>, firstSeen: number, day: number, windowDays: number): number[] {
  const out: number[] = [];
  for (let d = Math.max(firstSeen, day - windowDays); d < day; d++) out.push(bytesByDay.get(d) ?? 0);
  return out;
}

/** By how many standard deviations: 3 (the trigger) low, 5 medium, 10 high, 20 critical. */
export function meanSdSeverity(z: number): Severity {
  if (z >= 20) return 'critical';
  if (z >= 10) return 'high';
  if (z >= 5) return 'medium';
  return 'low';
}

/**
 * Pure: alerts for the days first..last (inclusive). `days` must hold every stored user-day from
 * `windowDays` before `first` to `last`; `firstSeen` each user's first day with events ever.
 */
export function meanSdAlerts(
  days: ReadonlyArray<UserDay>,
  firstSeen: ReadonlyMap<string, number>,
  range: { first: number; last: number },
  opts: Readonly<MeanSdOptions> & { name: string } = { ...MEAN_3SD, name: 'mean-3sd' },
): EvalAlert[] {
  const perUser = new Map<string, Map<number, number>>();
  for (const d of days) {
    let m = perUser.get(d.user);
    if (!m) perUser.set(d.user, (m = new Map()));
    m.set(d.day, (m.get(d.day) ?? 0) + d.bytes);
  }
  const alerts: EvalAlert[] = [];
  for (const [user, bytesByDay] of [...perUser].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const seen = Math.min(firstSeen.get(user) ?? Infinity, ...bytesByDay.keys());
    for (const [day, observed] of [...bytesByDay].sort(([a], [b]) => a - b)) {
      // Only days with events can exceed mean + k sd (>= 0); quiet days are judged and never flagged.
      if (day < range.first || day > range.last) continue;
      const j = judgeDay(trailingHistory(bytesByDay, seen, day, opts.windowDays), observed, opts);
      if (!j.judged || !j.anomalous) continue;
      const windowEnd = new Date((day + 1) * MS_PER_DAY);
      alerts.push({
        user,
        detector: opts.name,
        severity: meanSdSeverity(j.z),
        windowStart: new Date(day * MS_PER_DAY),
        windowEnd,
        firedAt: windowEnd,
        observedBytes: observed,
        reason:
          `${observed} bytes on ${isoDay(day)} (UTC) > mean ${Math.round(j.mean)} + ${opts.k} sd ${Math.round(j.sd)} = ${Math.round(j.threshold)} ` +
          `of the previous ${j.historyDays} days (${Number.isFinite(j.z) ? `${j.z.toFixed(1)} sd` : 'flat history'})`,
      });
    }
  }
  return alerts;
}

export function meanSdDetector(opts: Partial<MeanSdOptions> & { name?: string } = {}): Detector {
  const settings = { ...MEAN_3SD, ...opts, name: opts.name ?? 'mean-3sd' };
  return {
    name: settings.name,
    description: `a user's UTC day above mean + ${settings.k} sd of their trailing ${settings.windowDays} days (zeros included, at least ${settings.minHistoryDays} days of history); fires at the end of the day`,
    async detect({ ch, from, to }) {
      const range = daysOf(from, to);
      const [days, firstSeen] = await Promise.all([dailyVolumes(ch, range.first - settings.windowDays, range.last), firstSeenDays(ch, range.last)]);
      return meanSdAlerts(days, firstSeen, range, settings);
    },
  };
}
