// An export that runs across UTC midnight is split between two alert days (5.3 + 6.7 GB of one 12 GB
// export), and for people in the Americas or Asia a working afternoon or evening often does. So each day
// keeps its latest run of activity (events without a pause of RUN_GAP_MS), and a run still going on at
// the next day's first event carries into that day: while it goes on, the day-volume detectors also judge
// the run's bytes, the window from its first event the day before to the latest one (at most a day long),
// against the new day's thresholds, and an alert raised so names the window. Only the run live at
// midnight is carried, not the day before's whole volume: what a day already judged is not judged again.
import { MS_PER_DAY, MS_PER_HOUR } from '../calendar';
import { formatBytes, formatDuration } from '../format';
import type { DayState } from './day-state';
import type { Check, Finding } from './detectors';

/** A pause this long ends a run (the explanation says "an hour"). */
export const RUN_GAP_MS = MS_PER_HOUR;
/** The longest window judged: a day's, like the day's own totals. */
export const RUN_MAX_MS = MS_PER_DAY;

const NOT_JUDGED: ReadonlyArray<string> = [];
const NO_TABLES: ReadonlySet<string> = new Set<string>();

/** The fields of a day's latest run (in DayState; -Infinity / 0 until its first counted event). */
export interface RunFields {
  runStart: number;
  runEnd: number;
  runBytes: number;
  runSensitiveBytes: number;
  /** The detectors of the alert of the day before the run was carried from: its bytes were judged there. */
  runJudged: ReadonlyArray<string>;
  /** Set on the view judged across midnight only: the window, for the explanation. */
  window?: string;
}

export const noRun = (): RunFields => ({ runStart: -Infinity, runEnd: -Infinity, runBytes: 0, runSensitiveBytes: 0, runJudged: NOT_JUDGED });

/** Adds a counted event to the day's run: a pause of RUN_GAP_MS or more starts a new one. */
export function extendRun(s: RunFields, ts: number, bytes: number, sensitive: boolean): void {
  if (!(ts - s.runEnd < RUN_GAP_MS)) {
    s.runStart = ts;
    s.runBytes = 0;
    s.runSensitiveBytes = 0;
    s.runJudged = NOT_JUDGED;
  }
  s.runEnd = Math.max(s.runEnd, ts);
  s.runBytes += bytes;
  if (sensitive) s.runSensitiveBytes += bytes;
}

/**
 * Before a day's first counted event at `ts`: the run of the day before, if it is still going on (its
 * last event less than RUN_GAP_MS before), becomes the day's run. Whether it did.
 */
export function carryRun(s: RunFields, before: RunFields | undefined, ts: number): boolean {
  if (s.runEnd !== -Infinity || !before || !(ts - before.runEnd < RUN_GAP_MS)) return false;
  s.runStart = before.runStart;
  s.runEnd = before.runEnd;
  s.runBytes = before.runBytes;
  s.runSensitiveBytes = before.runSensitiveBytes;
  return true;
}

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
