// Slow and low as a sequential test: a one-sided CUSUM (Page 1954) of the person's standardised excess
// on working days,
//
//   S(today) = max(0, S(yesterday) + clip(z(today)) - k)
//
// where z is the day's log volume against the expectation the run started from, as a normal score (the
// predictive t's upper-tail probability, like every other statistic: expectation.ts). Ordinary days drift
// around 0 and S keeps falling back to 0; a person who takes a little more every day (1.7x, 2x) adds
// z - k each day and S climbs: a run. While a run lasts its reference is frozen at the expectation of the
// day it began, so the drip cannot raise the baseline it is judged against. A run longer than
// maxRunDays starts over from the current expectation: a lasting change of habit (a new project) is
// reported as it happens, not forever. z is clipped: one spike is the daily volume's business, not the
// drip's, and one quiet day does not wipe out two weeks of excess.
//
// How high S goes among ordinary people (projects and busy weeks included) is calibrated like every
// other statistic: the tail of S over the organisation's recent working days (tail.ts).
import { normalUpper, tQuantileUpper, tUpper, upperToZ } from './distributions';
import { logValueForUpper, peerZOf, zEffOf, type Expectation } from './expectation';

export interface CusumParams {
  /** Allowance in spreads per day: the drift an ordinary day must exceed to add to S (0.5: tuned to detect 1-spread shifts). */
  k: number;
  /** z is clipped to [clipLow, clipHigh]. */
  clipLow: number;
  clipHigh: number;
  /** Working days a run may last before it starts over from the current expectation. */
  maxRunDays: number;
  /** A run starts only from an expectation resting on at least this many of the person's own days. */
  minReferenceDays: number;
}

export const CUSUM_CLIP = { clipLow: -1.5, clipHigh: 3 } as const;

/** The expectation a run is judged against (frozen at its start). */
export type Reference = Expectation;

/**
 * A log value's normal score against a reference (its predictive probability as a normal score). For a
 * person whose history does not fit their peer group (mixture > 0: a changed job?), excess counts only as
 * far as it is excess for the group too.
 */
export function scoreAgainst(ref: Reference, x: number): number {
  const own = zEffOf(ref, x);
  return ref.mixture > 0 && ref.peers ? Math.min(own, upperToZ(tUpper(peerZOf(ref, x), ref.peerDf))) : own;
}

export interface CusumState {
  s: number;
  /** The first day of the current run (S > 0), or null between runs. */
  runStart: number | null;
  runDays: number;
  /** The expectation the run is judged against (frozen at its start). */
  reference: Reference | null;
  /** Bytes above the reference's median summed over the run's days. */
  excessBytes: number;
}

export const CUSUM_START: CusumState = Object.freeze({ s: 0, runStart: null, runDays: 0, reference: null, excessBytes: 0 });

/** The reference a working day is judged against: the run's, or (between runs) the day's own expectation. */
export function referenceFor(state: CusumState, current: Reference, p: CusumParams): Reference {
  return state.reference !== null && state.runDays < p.maxRunDays ? state.reference : current;
}

/**
 * Whether the CUSUM judges the working day at all: not before the person has an established routine
 * (a run starts only from an expectation resting on minReferenceDays of their own days), unless a run is
 * under way. A day it does not judge is no ordinary day with S = 0: the calibration leaves it out.
 */
export function cusumJudges(state: CusumState, current: Reference, p: CusumParams): boolean {
  const restart = state.reference !== null && state.runDays >= p.maxRunDays;
  return !((restart || state.runStart === null) && referenceFor(state, current, p).ownDays < p.minReferenceDays);
}

/** S after a working day with log volume x (bytes > 0), given the day's current expectation. */
export function cusumStep(state: CusumState, day: number, x: number, current: Reference, p: CusumParams): CusumState {
  const ref = referenceFor(state, current, p);
  const restart = state.reference !== null && state.runDays >= p.maxRunDays;
  const prev = restart ? CUSUM_START : state;
  // No established routine yet (a short history leaning on the peers): nothing to drift from.
  if (prev.runStart === null && ref.ownDays < p.minReferenceDays) return CUSUM_START;
  const z = Math.min(p.clipHigh, Math.max(p.clipLow, scoreAgainst(ref, x)));
  const s = Math.max(0, prev.s + z - p.k);
  if (s === 0) return CUSUM_START;
  const excess = Math.exp(x) - Math.exp(ref.location);
  if (prev.runStart === null) return { s, runStart: day, runDays: 1, reference: ref, excessBytes: excess };
  return { s, runStart: prev.runStart, runDays: prev.runDays + 1, reference: prev.reference, excessBytes: prev.excessBytes + excess };
}

/**
 * Today's S for a volume of `bytes` (the running total), from yesterday's state: the same step, in closed
 * form, so that the detector can work out once a day the volume at which S crosses a threshold.
 */
export function cusumToday(state: CusumState, bytes: number, current: Reference, p: CusumParams): number {
  if (bytes <= 0) return Math.max(0, state.s + p.clipLow - p.k);
  const ref = referenceFor(state, current, p);
  const restart = state.reference !== null && state.runDays >= p.maxRunDays;
  const s0 = restart ? 0 : state.s;
  if ((restart || state.runStart === null) && ref.ownDays < p.minReferenceDays) return 0;
  const z = Math.min(p.clipHigh, Math.max(p.clipLow, scoreAgainst(ref, Math.log(bytes))));
  return Math.max(0, s0 + z - p.k);
}

/** The log volume today at which S reaches `target` (Infinity when even a clipped-high day cannot). */
export function cusumThreshold(state: CusumState, target: number, current: Reference, p: CusumParams): number {
  const ref = referenceFor(state, current, p);
  const restart = state.reference !== null && state.runDays >= p.maxRunDays;
  const s0 = restart ? 0 : state.s;
  if ((restart || state.runStart === null) && ref.ownDays < p.minReferenceDays) return Infinity;
  const z = target - s0 + p.k;
  if (z > p.clipHigh) return Infinity;
  const u = normalUpper(Math.max(p.clipLow, z));
  const own = logValueForUpper(ref, u);
  return ref.mixture > 0 && ref.peers ? Math.max(own, ref.peers.location + ref.peerSpread * tQuantileUpper(u, ref.peerDf)) : own;
}
