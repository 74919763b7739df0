// Reference detector "static-1gb": a user's UTC day is flagged when its download volume (bytes of
// successful queries) exceeds 1 GB = 1e9 bytes (decimal, as in "a 20 GB export"). It is a daily batch
// job over the `user_daily` rollup, so it can only know a day once the day is over: every alert fires
// at the end of its day (next 00:00 UTC), never while an export is running.
import type { Detector, EvalAlert, Severity } from './detector';
import { dailyVolumes, daysOf, isoDay, MS_PER_DAY, type UserDay } from './daily-volume';

export const ONE_GB = 1e9;

/** Severity by how far over the threshold the day went: x2 medium, x4 high, x10 critical. */
export function staticSeverity(bytes: number, threshold: number): Severity {
  const ratio = bytes / threshold;
  if (ratio >= 10) return 'critical';
  if (ratio >= 4) return 'high';
  if (ratio >= 2) return 'medium';
  return 'low';
}

/** Pure: one alert per user-day whose bytes are strictly above `threshold`. */
export function staticThresholdAlerts(days: ReadonlyArray<UserDay>, opts: { name: string; threshold: number }): EvalAlert[] {
  return days
    .filter((d) => d.bytes > opts.threshold)
    .map((d) => {
      const windowStart = new Date(d.day * MS_PER_DAY);
      const windowEnd = new Date((d.day + 1) * MS_PER_DAY);
      return {
        user: d.user,
        detector: opts.name,
        severity: staticSeverity(d.bytes, opts.threshold),
        windowStart,
        windowEnd,
        firedAt: windowEnd,
        observedBytes: d.bytes,
        reason: `${d.bytes} bytes on ${isoDay(d.day)} (UTC), above the fixed limit of ${opts.threshold} bytes per day (x${(d.bytes / opts.threshold).toFixed(1)})`,
      };
    });
}

export function staticThresholdDetector(opts: { name?: string; threshold?: number } = {}): Detector {
  const name = opts.name ?? 'static-1gb';
  const threshold = opts.threshold ?? ONE_GB;
  return {
    name,
    description: `a user's UTC day above ${threshold} bytes (1 GB = 1e9); a daily batch job, fires at the end of the day`,
    async detect({ ch, from, to }) {
      const { first, last } = daysOf(from, to);
      return staticThresholdAlerts(await dailyVolumes(ch, first, last, { above: threshold }), { name, threshold });
    },
  };
}
