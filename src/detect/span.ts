// An export that runs across UTC midnight is split between two alert days (5.3 + 6.7 GB of one 12 GB
// export), and for people in the Americas or Asia a working afternoon or evening often does. So each day
// keeps its latest run of activity (events without a pause of RUN_GAP_MS), and a run still going on at
// the next day's first event carries into that day: while it goes on, the day-volume detectors also judge
// the window of the run that ends at the event, against the new day's thresholds, and an alert raised so
// names the window. The window is the run from its first event, or, for a run longer than that, from the
// first slot boundary of the day before (day-run.ts) at most a day before the event: a query every 30
// minutes keeps a run going for days, and must not make it too long to judge (it only adds its bytes).
// Only the run live at midnight is carried, not the day before's whole volume: what a day already judged
// is not judged again.
import { MS_PER_DAY } from '../calendar';
import { formatBytes, formatDuration } from '../format';
import type { DayState } from './day-state';
import { bytesFrom, SLOT_MS, type RunFields } from './day-run';
import type { Check, Finding } from './detectors';

const NO_TABLES: ReadonlySet<string> = new Set<string>();
const NO_FINDINGS: Finding[] = [];
/** The day's `window` while its checks judge the window: the clause says "the window" (its text is written after). */
const JUDGING_WINDOW = 'the window';

/** The detectors of the day before's alert: the carried run's bytes were judged there, and are not raised again. */
export function judgedOn(s: RunFields, detectors: ReadonlyArray<string>): void {
  if (detectors.length > 0) s.runJudged = detectors.map(statisticOf);
}

/** volumePeers is volumeSelf's finding judged by the peers: the same statistic. */
export const statisticOf = (d: string) => (d === 'volumePeers' ? 'volumeSelf' : d);

/** Whether the day's run began the day before (carried, still going on): only then is a window judged. */
export const carriesRun = (s: DayState) => s.runStart > -Infinity && s.runStart < s.day * MS_PER_DAY;

/** The detectors that judge a day's bytes (or its bytes from sensitive tables): they judge the window too. */
const DAY_VOLUME: ReadonlySet<string> = new Set(['volumeSelf', 'volumePeers', 'magnitude', 'ceiling', 'sensitive']);

/**
 * The day-volume findings on the window of the carried run (carriesRun) that ends at the day's latest
 * event, at most a day long, that the day's own totals did not give at this event (`own`: their
 * statistics) and the day before did not raise on the same bytes. The day's checks are run on the day
 * itself with the window's bytes in their place, put back after (nothing copied per event, the window's
 * text written only for a finding: the engine keeps a day's checks for every employee), their other
 * findings dropped. Each names the window and begins the day before.
 */
export function judgedAcrossMidnight(s: DayState, checks: ReadonlyArray<Check>, own: ReadonlyArray<string>): Finding[] {
  if (!carriesRun(s)) return NO_FINDINGS;
  const dayStart = s.day * MS_PER_DAY;
  // The first slot of the day before that begins at most a day before the event.
  const first = Math.ceil((s.runEnd - dayStart) / SLOT_MS);
  // The day before's part of the window: the run's (carried in: runBytes less the day's, all of which are
  // in the run while it goes on) when the run began after that slot, else the slots' from it (all in the
  // run): whichever is less.
  const before = Math.min(s.runBytes - s.bytes, bytesFrom(s.priorSlots, first));
  if (!(before > 0)) return NO_FINDINGS;
  const sensitiveBefore = Math.min(s.runSensitiveBytes - s.sensitiveBytes, bytesFrom(s.priorSensitiveSlots, first));
  const { bytes, sensitiveBytes, newSensitive } = s;
  const found: Finding[] = [];
  s.bytes += before;
  s.sensitiveBytes += sensitiveBefore;
  s.newSensitive = NO_TABLES;
  s.window = JUDGING_WINDOW;
  try {
    for (const check of checks) {
      const f = check(s);
      if (f && DAY_VOLUME.has(f.detector) && !own.includes(statisticOf(f.detector)) && !s.runJudged.includes(statisticOf(f.detector))) found.push(f);
    }
  } finally {
    s.bytes = bytes;
    s.sensitiveBytes = sensitiveBytes;
    s.newSensitive = newSensitive;
    s.window = undefined;
  }
  if (found.length === 0) return NO_FINDINGS;
  const start = Math.max(s.runStart, dayStart - MS_PER_DAY + first * SLOT_MS);
  const window = `${formatBytes(bytes + before)} in the ${formatDuration(s.runEnd - start)} from ${clock(start)} UTC the day before to ${clock(s.runEnd)} UTC without a pause of an hour (across UTC midnight)`;
  const details = { windowStart: new Date(start).toISOString(), windowEnd: new Date(s.runEnd).toISOString() };
  return found.map((f) => ({ ...f, sinceDay: s.day - 1, clause: `${window}: ${f.clause}`, details: { ...f.details, ...details } }));
}

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 16);
