// A day's latest run of activity (events without a pause of RUN_GAP_MS), kept in its DayState so that
// an export across UTC midnight can be judged as one window (span.ts judges it; this only counts it).
import { MS_PER_DAY, MS_PER_HOUR } from '../calendar';

/** A pause this long ends a run (the explanation says "an hour"). */
export const RUN_GAP_MS = MS_PER_HOUR;
/** The longest window judged: a day's, like the day's own totals. */
export const RUN_MAX_MS = MS_PER_DAY;

const NOT_JUDGED: ReadonlyArray<string> = [];

/** The fields of a day's latest run (in DayState; -Infinity / 0 until its first counted event). */
export interface RunFields {
  runStart: number;
  runEnd: number;
  runBytes: number;
  runSensitiveBytes: number;
  /** The detectors of the alert of the day before the run was carried from: its bytes were judged there. */
  runJudged: ReadonlyArray<string>;
  /** Set only while the day-volume checks judge the window (span.ts): their clause says "the window". */
  window: string | undefined;
}

// `window` in every day from the start: one shape for all (set for a moment per event across midnight).
export const noRun = (): RunFields => ({ runStart: -Infinity, runEnd: -Infinity, runBytes: 0, runSensitiveBytes: 0, runJudged: NOT_JUDGED, window: undefined });

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

