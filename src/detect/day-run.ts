// A day's latest run of activity (events without a pause of RUN_GAP_MS), kept in its DayState so that
// an export across UTC midnight can be judged as one window (span.ts judges it; this only counts it),
// and the day's bytes per SLOT_MS: a run kept going for days (a query every 30 minutes) is judged over
// its last day only, from a slot of the day before, so it cannot be made too long to judge.
import { MS_PER_DAY, MS_PER_HOUR } from '../calendar';

/** A pause this long ends a run (the explanation says "an hour"). */
export const RUN_GAP_MS = MS_PER_HOUR;
/** The day's bytes are counted in slots this long: the window judged is at least a day less one slot. */
export const SLOT_MS = 3 * MS_PER_HOUR;
const SLOTS = MS_PER_DAY / SLOT_MS;

const NOT_JUDGED: ReadonlyArray<string> = [];
/** Shared by every day with no counted (sensitive) bytes yet: most people's sensitive slots stay so. */
export const NO_SLOTS: ReadonlyArray<number> = Object.freeze([]);

/** The fields of a day's latest run (in DayState; -Infinity / 0 until its first counted event). */
export interface RunFields {
  runStart: number;
  runEnd: number;
  /** Since runStart: carried from the day before, they include its part of the run. */
  runBytes: number;
  runSensitiveBytes: number;
  /** The detectors of the alert of the day before the run was carried from: its bytes were judged there. */
  runJudged: ReadonlyArray<string>;
  /** The day's counted bytes (and from sensitive tables) per SLOT_MS from its midnight: NO_SLOTS until used. */
  slots: ReadonlyArray<number>;
  sensitiveSlots: ReadonlyArray<number>;
  /** The slots of the day before the run was carried from (shared with it), NO_SLOTS when none was. */
  priorSlots: ReadonlyArray<number>;
  priorSensitiveSlots: ReadonlyArray<number>;
  /** Set only while the day-volume checks judge the window (span.ts): their clause says "the window". */
  window: string | undefined;
}

// `window` in every day from the start: one shape for all (set for a moment per event across midnight).
export const noRun = (): RunFields => ({
  runStart: -Infinity,
  runEnd: -Infinity,
  runBytes: 0,
  runSensitiveBytes: 0,
  runJudged: NOT_JUDGED,
  slots: NO_SLOTS,
  sensitiveSlots: NO_SLOTS,
  priorSlots: NO_SLOTS,
  priorSensitiveSlots: NO_SLOTS,
  window: undefined,
});

/** Adds a counted event to the day's run (a pause of RUN_GAP_MS or more starts a new one) and its slot. */
export function extendRun(s: RunFields, dayStart: number, ts: number, bytes: number, sensitive: boolean): void {
  if (!(ts - s.runEnd < RUN_GAP_MS)) {
    s.runStart = ts;
    s.runBytes = 0;
    s.runSensitiveBytes = 0;
    s.runJudged = NOT_JUDGED;
  }
  s.runEnd = Math.max(s.runEnd, ts);
  s.runBytes += bytes;
  const slot = Math.min(SLOTS - 1, Math.max(0, Math.floor((ts - dayStart) / SLOT_MS)));
  s.slots = addTo(s.slots, slot, bytes);
  if (sensitive) {
    s.runSensitiveBytes += bytes;
    s.sensitiveSlots = addTo(s.sensitiveSlots, slot, bytes);
  }
}

/** The slots with `bytes` added to one (its own array in place of the shared empty one). */
function addTo(slots: ReadonlyArray<number>, slot: number, bytes: number): ReadonlyArray<number> {
  const own = (slots === NO_SLOTS ? new Array<number>(SLOTS).fill(0) : slots) as number[];
  own[slot] += bytes;
  return own;
}

/** The bytes of `slots` from slot `first` to the day's end. */
export function bytesFrom(slots: ReadonlyArray<number>, first: number): number {
  let sum = 0;
  for (let i = first; i < slots.length; i++) sum += slots[i];
  return sum;
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
  s.priorSlots = before.slots;
  s.priorSensitiveSlots = before.sensitiveSlots;
  return true;
}

/**
 * A counted event of the day before (`before`) that arrived after the day's (`s`) first events, a source
 * being behind: its bytes join the run the day carried when it falls in it, and a run of the day before
 * that it now makes go on until within RUN_GAP_MS of the day's first run (`dayBytes`: the day's counted
 * bytes, all in that run while it is the first) is carried now. Whether it was carried now.
 */
export function lateBefore(s: RunFields, before: RunFields, dayStart: number, dayBytes: number, ts: number, bytes: number, sensitive: boolean): boolean {
  if (s.runStart === -Infinity) return false;
  if (s.runStart < dayStart) {
    if (ts >= s.runStart) {
      s.runBytes += bytes;
      if (sensitive) s.runSensitiveBytes += bytes;
    }
    // The day before's slots, now with the event: its first bytes (from sensitive tables) give it slots of
    // its own in place of the shared empty ones the day took at the carry.
    s.priorSlots = before.slots;
    s.priorSensitiveSlots = before.sensitiveSlots;
    return false;
  }
  if (!(s.runBytes === dayBytes && s.runStart - before.runEnd < RUN_GAP_MS)) return false;
  s.runStart = before.runStart;
  s.runBytes += before.runBytes;
  s.runSensitiveBytes += before.runSensitiveBytes;
  s.priorSlots = before.slots;
  s.priorSensitiveSlots = before.sensitiveSlots;
  return true;
}
