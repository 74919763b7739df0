// An export that runs across UTC midnight is split between two alert days (5.3 + 6.7 GB of one 12 GB
// export), and for people in the Americas or Asia a working afternoon or evening often does. So each day
// keeps its latest run of activity (events without a pause of RUN_GAP_MS), and a run still going on at
// the next day's first event carries into that day: while it goes on, the day-volume detectors also judge
// the run's bytes, the window from its first event the day before to the latest one (at most a day long),
// against the new day's thresholds, and an alert raised so names the window. Only the run live at
// midnight is carried, not the day before's whole volume: what a day already judged is not judged again.
import { MS_PER_DAY } from '../calendar';
import { formatBytes, formatDuration } from '../format';
import type { DayState } from './day-state';
import { RUN_MAX_MS, type RunFields } from './day-run';
import type { Check, Finding } from './detectors';

const NO_TABLES: ReadonlySet<string> = new Set<string>();

/** The detectors of the day before's alert: the carried run's bytes were judged there, and are not raised again. */
export function judgedOn(s: RunFields, detectors: ReadonlyArray<string>): void {
  if (detectors.length > 0) s.runJudged = detectors.map(statisticOf);
}

/** volumePeers is volumeSelf's finding judged by the peers: the same statistic. */
export const statisticOf = (d: string) => (d === 'volumePeers' ? 'volumeSelf' : d);

/**
 * The day as the day-volume detectors judge it across midnight: the carried run's bytes in place of the
 * day's, or null when the day's run did not begin the day before (or has gone on longer than a day).
 */
export function acrossMidnight(s: DayState): DayState | null {
  const dayStart = s.day * MS_PER_DAY;
  // Only a carried run begins before the day; one longer than a day is not judged as one window.
  if (!(s.runStart > -Infinity && s.runStart < dayStart) || s.runEnd - s.runStart > RUN_MAX_MS) return null;
  const window = `${formatBytes(s.runBytes)} in the ${formatDuration(s.runEnd - s.runStart)} from ${clock(s.runStart)} UTC the day before to ${clock(s.runEnd)} UTC without a pause of an hour (across UTC midnight)`;
  return { ...s, bytes: s.runBytes, sensitiveBytes: s.runSensitiveBytes, newSensitive: NO_TABLES, window };
}

/** The detectors that judge a day's bytes (or its bytes from sensitive tables): they judge the window too. */
const DAY_VOLUME: ReadonlySet<string> = new Set(['volumeSelf', 'volumePeers', 'magnitude', 'ceiling', 'sensitive']);

/**
 * The day-volume findings on the window `run` (acrossMidnight) that the day's own totals did not give at
 * this event (`own`: their statistics) and the day before did not raise on the same bytes. The day's
 * checks are run on the window, their other findings dropped: no closure per person and detector for it
 * (the engine keeps a day's checks for every employee). Each names the window and begins the day before.
 */
export function judgedAcrossMidnight(s: DayState, run: DayState, checks: ReadonlyArray<Check>, own: ReadonlySet<string>): Finding[] {
  const out: Finding[] = [];
  for (const check of checks) {
    const f = check(run);
    if (!f || !DAY_VOLUME.has(f.detector) || own.has(statisticOf(f.detector)) || s.runJudged.includes(statisticOf(f.detector))) continue;
    out.push({ ...f, sinceDay: s.day - 1, clause: `${run.window}: ${f.clause}`, details: { ...f.details, windowStart: new Date(s.runStart).toISOString(), windowEnd: new Date(s.runEnd).toISOString() } });
  }
  return out;
}

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 16);
