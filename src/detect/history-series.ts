// A person's daily values as the history build reads them (sorted days, logs, robust summaries of a
// window, memoised) and the steps the build is cut into, so that a caller can give the event loop turns.
import { isWeekend } from '../calendar';
import type { UserDayValue } from './history-source';
import { robustSummary, type RobustSummary } from './statistics/expectation';

/**
 * The build as steps: a generator that yields after every few people (and every few thousand rows), so that a
 * caller can give the event loop a turn between slices of it. 10,000 people take seconds, and a detector
 * that held its thread that long would miss its Kafka heartbeats and stall the days it is judging.
 */
export type Steps<T> = Generator<void, T, void>;
/** Rows read between two steps of grouping them. */
export const ROWS_PER_STEP = 4096;
/** People worked out between two steps (a step per person cost more than a little of their work: a generator's resumption through the build's chain). */
export const USERS_PER_STEP = 32;

/** Runs the steps in one go, without a turn of the event loop between them. */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * One user's daily values, sorted by day, as logs (bytes > 0 only). Typed arrays: two days' histories of
 * everyone are held (as JavaScript arrays, 24 bytes a day of each statistic; here 12).
 */
export interface Series {
  days: Int32Array;
  logs: Float64Array;
  /**
   * The last window's summary, by the range of indices it covers: windows that differ only by days
   * without activity (a weekend) are one. One, not a memo of every window: a build asks for each series'
   * windows day after day (a memo of them all was a fifth of a first build's peak memory).
   */
  last: { key: number; summary: RobustSummary | null } | null;
}

export function* seriesOf(rows: ReadonlyArray<UserDayValue>): Steps<Map<string, Series>> {
  const out = new Map<string, Series>();
  for (const [user, list] of yield* byUserInDayOrder(rows)) {
    yield;
    const series: Series = { days: new Int32Array(list.length), logs: new Float64Array(list.length), last: null };
    for (let i = 0; i < list.length; i++) {
      const { day, bytes } = rows[list[i]];
      series.days[i] = day;
      series.logs[i] = Math.log(bytes);
    }
    out.set(user, series);
  }
  return out;
}

/**
 * The indices of the rows with bytes, by user (in the order users first appear) and, for each, sorted by
 * day (stable: a day's rows in the order read). Placed by counting the days, not sorted per person: a
 * build groups millions of rows every day, and a comparator sort of each person's was most of it. The
 * window's days are a few hundred at most; a wider range (rows not from one window), or a day that is no
 * whole number, is sorted.
 */
function* byUserInDayOrder(rows: ReadonlyArray<UserDayValue>): Steps<Map<string, Int32Array>> {
  // Each row's person, by their place in the order users first appear (-1: no bytes).
  const slotOf = new Int32Array(rows.length).fill(-1);
  const slots = new Map<string, number>();
  const sizes: number[] = [];
  let first = Infinity;
  let last = -Infinity;
  let whole = true;
  for (let i = 0; i < rows.length; i++) {
    if ((i + 1) % ROWS_PER_STEP === 0) yield;
    const r = rows[i];
    if (!(r.bytes > 0)) continue;
    let slot = slots.get(r.user);
    if (slot === undefined) slots.set(r.user, (slot = sizes.push(0) - 1));
    sizes[slot]++;
    slotOf[i] = slot;
    first = Math.min(first, r.day);
    last = Math.max(last, r.day);
    whole &&= Number.isInteger(r.day);
  }
  // The rows with bytes in day order, stable.
  let ordered: Int32Array;
  if (sizes.length === 0) ordered = new Int32Array(0);
  else if (whole && last - first <= 4 * rows.length + 4096) {
    const starts = new Int32Array(last - first + 2);
    for (let i = 0; i < rows.length; i++) {
      if ((i + 1) % ROWS_PER_STEP === 0) yield;
      if (slotOf[i] >= 0) starts[rows[i].day - first + 1]++;
    }
    for (let d = 1; d < starts.length; d++) starts[d] += starts[d - 1];
    ordered = new Int32Array(starts[starts.length - 1]);
    for (let i = 0; i < rows.length; i++) {
      if ((i + 1) % ROWS_PER_STEP === 0) yield;
      if (slotOf[i] >= 0) ordered[starts[rows[i].day - first]++] = i;
    }
  } else {
    const kept: number[] = [];
    for (let i = 0; i < rows.length; i++) if (slotOf[i] >= 0) kept.push(i);
    ordered = Int32Array.from(kept.sort((a, b) => rows[a].day - rows[b].day));
  }
  yield;
  // Each person's rows, in day order: one shared array, a view each.
  const at = new Int32Array(sizes.length + 1);
  for (let k = 0; k < sizes.length; k++) at[k + 1] = at[k] + sizes[k];
  const all = new Int32Array(at[sizes.length]);
  const next = at.slice(0, sizes.length);
  for (let j = 0; j < ordered.length; j++) {
    if ((j + 1) % ROWS_PER_STEP === 0) yield;
    const i = ordered[j];
    all[next[slotOf[i]]++] = i;
  }
  const out = new Map<string, Int32Array>();
  for (const [user, slot] of slots) out.set(user, all.subarray(at[slot], at[slot + 1]));
  return out;
}

/** What a built history reads of a statistic's series: a person's, or undefined without days. */
export interface SeriesLookup {
  get(user: string): Series | undefined;
}

/**
 * Each series' days from `from` on, everyone's in two shared arrays: a series of its own was a Series
 * object and two typed arrays, about 400 bytes a person before the 20-odd days' 240 of data, in each of the
 * two days' histories a detector holds. A person's series is made (views of the shared arrays) when asked.
 */
export function* volumesFrom(series: ReadonlyMap<string, Series>, from: number): Steps<SeriesLookup> {
  const packed = yield* packDays(series, (s) => s.logs, from);
  return {
    get(user) {
      const p = packed.get(user);
      return p && { days: p.days, logs: p.values, last: null };
    },
  };
}

/** Days and values of everyone, in two shared arrays: see volumesFrom. */
export interface PackedDays {
  get(user: string): { days: Int32Array; values: Float64Array } | undefined;
}

/** Packs each person's days from `from` on (sorted, when `from` is given) with their values; people with none there are left out. */
export function* packDays<T extends { days: Int32Array }>(byUser: ReadonlyMap<string, T>, valuesOf: (t: T) => Float64Array, from = -Infinity): Steps<PackedDays> {
  const place = new Map<string, number>();
  const starts: number[] = [0];
  for (const [user, t] of byUser) {
    const n = t.days.length - lowerBound(t.days, from);
    if (n <= 0) continue;
    place.set(user, starts.length - 1);
    starts.push(starts[starts.length - 1] + n);
  }
  const bounds = Int32Array.from(starts);
  const days = new Int32Array(bounds[bounds.length - 1]);
  const values = new Float64Array(days.length);
  for (const [user, t] of byUser) {
    const k = place.get(user);
    if (k === undefined) continue;
    yield;
    const i = lowerBound(t.days, from);
    days.set(t.days.subarray(i), bounds[k]);
    values.set(valuesOf(t).subarray(i), bounds[k]);
  }
  return {
    get(user) {
      const k = place.get(user);
      return k === undefined ? undefined : { days: days.subarray(bounds[k], bounds[k + 1]), values: values.subarray(bounds[k], bounds[k + 1]) };
    },
  };
}

/** A person's night-time bytes by day, sorted by day (bytes > 0 only). */
export interface Nights {
  days: Int32Array;
  bytes: Float64Array;
}

/**
 * Night-time bytes by user and day. Typed arrays, not a Map of days per person: the next day's build
 * compares them (history-carry.ts), so two days' are held, a Map each was about 1.2 KB a person.
 */
export function* nightsOf(rows: ReadonlyArray<UserDayValue>): Steps<Map<string, Nights>> {
  const out = new Map<string, Nights>();
  for (const [user, list] of yield* byUserInDayOrder(rows)) {
    yield;
    // A day's rows (one per night group a person is in: one) are summed in the order read.
    const days: number[] = [];
    const bytes: number[] = [];
    for (const i of list) {
      const { day, bytes: b } = rows[i];
      if (days.length > 0 && days[days.length - 1] === day) bytes[bytes.length - 1] += b;
      else {
        days.push(day);
        bytes.push(b);
      }
    }
    out.set(user, { days: Int32Array.from(days), bytes: Float64Array.from(bytes) });
  }
  return out;
}

/** The night-time bytes of a day, or undefined when none. */
export function nightOn(n: Nights | undefined, day: number): number | undefined {
  if (!n) return undefined;
  const i = lowerBound(n.days, day);
  return i < n.days.length && n.days[i] === day ? n.bytes[i] : undefined;
}

/** Index of the first element >= x in a sorted array (numbers, or strings as the default sort orders them). */
export function lowerBound<T extends number | string>(a: ArrayLike<T>, x: T): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Robust summary of the working days in [day - window, day - 1] (all active days when fewer than 3 are working days). */
export function ownSummary(s: Series | undefined, day: number, window: number): { summary: RobustSummary | null; active: number } {
  if (!s) return { summary: null, active: 0 };
  const from = lowerBound(s.days, day - window);
  const to = lowerBound(s.days, day);
  const key = from * (s.days.length + 1) + to;
  if (s.last?.key === key) return { summary: s.last.summary, active: to - from };
  const working: number[] = [];
  const all: number[] = [];
  for (let i = from; i < to; i++) {
    all.push(s.logs[i]);
    // Whether it is a working day is worked out, not held: an array of flags per series cost about 200 bytes.
    if (!isWeekend(s.days[i])) working.push(s.logs[i]);
  }
  const values = working.length >= 3 ? working : all;
  const summary = robustSummary(values);
  s.last = { key, summary };
  return { summary, active: to - from };
}

export function valueOn(s: Series | undefined, day: number): number | null {
  if (!s) return null;
  const i = lowerBound(s.days, day);
  return i < s.days.length && s.days[i] === day ? s.logs[i] : null;
}
