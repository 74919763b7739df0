// What one day's history hands to the next (a backfill's day after day, a live detector's day change).
// Each day's history judges every user-day of the pool (28 days) again, each against the expectations
// of its day; the next day's history judges 27 of the same user-days, from the same rows. A history built
// with a carry takes the pool's days as judged by the one built before it, and yesterday's expectations
// (its "today"), when the rows they rest on are exactly the same, and works out only the rest: about
// two days' expectations instead of 29, and the same history as one built on its own (test:
// detect-backfill-history).
//
// Exact by construction: a pool day d's judgement rests on the series of every person in [d - B - 40, d]
// (expectations, month-end uplift, the day's own values and night-time bytes), nothing else but the
// settings and the people. The carry compares the two histories' rows over the days they share (by a
// digest of each day's: DayDigests) and takes only the days before the first one that differs (a late
// event in a past day: the days from it are judged again).
import { randomInt } from 'node:crypto';
import path from 'node:path';
import type { DetectionConfig } from '../config';
import type { JudgedDay } from './history-judged';
import { hourDaysNeeded, MONTH_END_LOOKBACK, type ExpectationMemo, type Expectations } from './history-expectations';
import { lowerBound, USERS_PER_STEP, type Nights, type Series, type Steps } from './history-series';
import type { Person } from './people';

/** A history's rows as the build holds them: the series of each statistic and the night-time bytes, by user. */
export interface SeriesSet {
  volumes: ReadonlyMap<string, Series>;
  hours: ReadonlyMap<string, Series>;
  sensitives: ReadonlyMap<string, Series>;
  nights: ReadonlyMap<string, Nights>;
}

/** What a history is built from. */
export interface HistoryInputs {
  day: number;
  /** The first day of its rows' window. */
  first: number;
  detection: DetectionConfig;
  people: ReadonlyMap<string, Person>;
  series: SeriesSet;
  /** Everyone with a volume or a busiest hour in the window. */
  users: ReadonlyArray<string>;
}

/** What one history worked out that another may take: the expectations by day, the pool's days as judged. */
export interface Carried {
  memo: ExpectationMemo;
  judged: Map<number, JudgedDay>;
}

/**
 * What a history built with the same settings and people hands over. Both are steps of the build (a live
 * detector's carry reads 27 pool days back from disk and digests everyone's rows: at 20,000 people a
 * quarter of a second in one go).
 */
export interface HistoryCarry {
  /** What the last history kept that a history of `inputs` may take as it is (empty when nothing is shared). */
  take(inputs: HistoryInputs): Steps<Carried>;
  /** Hands a history over to the next one (called when it is built). */
  keep(inputs: HistoryInputs, worked: Carried): Steps<void>;
}

interface Kept {
  day: number;
  detection: DetectionConfig;
  people: ReadonlyMap<string, Person>;
  users: ReadonlySet<string>;
  digests: Digests;
  worked: Carried;
}

/**
 * Every person's value on each day of a window, folded into a few numbers a day: how many values and two
 * sums of a 32-bit hash of (person, day, value), order-free. Two histories' rows are compared by these,
 * not by holding the last history's series until the next build: those were about half of what a live
 * detector held (two days' of everyone). Days outside [from, to] fold nothing, as no row was read there.
 * A change a day's digest misses needs two 32-bit sums to collide at once: about 1 in 2^64. The hash's
 * seeds are drawn when the process starts (digests are compared within one process only), so that
 * nobody who names accounts can work out a change that collides.
 */
interface DayDigests {
  from: number;
  to: number;
  /** Per day from `from`: the count of values, then the two sums. */
  folds: Uint32Array;
}

interface Digests {
  volumes: DayDigests;
  hours: DayDigests;
  sensitives: DayDigests;
  nights: DayDigests;
}

/** A person's values by day, as series (logs) and night-time bytes both hold them. */
type ByDay = ReadonlyMap<string, { days: Int32Array; logs?: Float64Array; bytes?: Float64Array }>;

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);

const SEEDS = [randomInt(2 ** 32), randomInt(2 ** 32)] as const;

/** FNV-1a of a string from a seed: the person's part of the hash, once per person. */
function hashString(s: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/** A 32-bit finaliser (murmur3's) of the person's hash mixed with the day and the value's 64 bits. */
function mix(h: number, day: number, lo: number, hi: number): number {
  h = Math.imul(h ^ day, 0x9e3779b1);
  h = Math.imul(h ^ lo, 0x85ebca6b);
  h = Math.imul(h ^ hi, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function* digestOf(byDay: ByDay, from: number, to: number): Steps<DayDigests> {
  const folds = new Uint32Array(3 * Math.max(0, to - from + 1));
  let n = 0;
  for (const [user, s] of byDay) {
    if (n++ % USERS_PER_STEP === 0) yield;
    const values = (s.logs ?? s.bytes)!;
    const h1 = hashString(user, SEEDS[0]);
    const h2 = hashString(user, SEEDS[1]);
    for (let i = lowerBound(s.days, from); i < s.days.length && s.days[i] <= to; i++) {
      const at = 3 * (s.days[i] - from);
      bits[0] = values[i];
      folds[at]++;
      folds[at + 1] = (folds[at + 1] + mix(h1, s.days[i], words[0], words[1])) >>> 0;
      folds[at + 2] = (folds[at + 2] + mix(h2, s.days[i], words[1], words[0])) >>> 0;
    }
  }
  return { from, to, folds };
}

/** The first day in [lo, hi] whose values differ between the two digests, or Infinity. */
function firstDifference(a: DayDigests, b: DayDigests, lo: number, hi: number): number {
  const fold = (x: DayDigests, d: number, k: number) => (d >= x.from && d <= x.to ? x.folds[3 * (d - x.from) + k] : 0);
  for (let d = lo; d <= hi; d++) for (let k = 0; k < 3; k++) if (fold(a, d, k) !== fold(b, d, k)) return d;
  return Infinity;
}

/** Worked out by take() for the history being built, and kept by its keep(). */
const digested = new WeakMap<HistoryInputs, Digests>();

/** The digests of a history's rows, each over the window its rows were read for (history.ts: loadDayHistory). */
function* digestsOf(inputs: HistoryInputs): Steps<Digests> {
  const hit = digested.get(inputs);
  if (hit) return hit;
  const { day, first, detection, series } = inputs;
  const out = {
    volumes: yield* digestOf(series.volumes, first, day - 1),
    hours: yield* digestOf(series.hours, day - hourDaysNeeded(detection), day - 1),
    sensitives: yield* digestOf(series.sensitives, first, day - 1),
    nights: yield* digestOf(series.nights, day - detection.poolDays, day - 1),
  };
  digested.set(inputs, out);
  return out;
}

/**
 * A day's expectations, completed for the people the history that worked them out did not have (no rows
 * in its window, so none before that day either): each gets what a person without rows gets, the prior
 * alone, as a history of its own gives them.
 */
function* completed(ex: Expectations, d: number, users: ReadonlyArray<string>, known: ReadonlySet<string>, sensitives: SeriesSet['sensitives']): Steps<Expectations | null> {
  const missing: string[] = [];
  for (let i = 0; i < users.length; i++) {
    if (i % USERS_PER_STEP === 0) yield;
    if (!known.has(users[i])) missing.push(users[i]);
  }
  if (missing.length === 0) return ex;
  // Someone with sensitive rows before d but no volume or busiest hour (rollups that disagree, until an
  // insert stopped half-way is repaired) has a sensitive expectation of their own: not the prior's.
  if (missing.some((u) => (sensitives.get(u)?.days[0] ?? Infinity) < d)) return null;
  // Copies of everyone's, a step of people at a time.
  const copy = function* <V>(from: ReadonlyMap<string, V>): Steps<Map<string, V>> {
    const to = new Map<string, V>();
    let n = 0;
    for (const [u, v] of from) {
      if (n++ % USERS_PER_STEP === 0) yield;
      to.set(u, v);
    }
    return to;
  };
  const made = { volume: yield* copy(ex.volume), hour: yield* copy(ex.hour), sensitive: yield* copy(ex.sensitive) };
  const active = yield* copy(ex.active);
  const priors = yield* copy(ex.priors);
  for (let i = 0; i < missing.length; i++) {
    if (i % USERS_PER_STEP === 0) yield;
    const u = missing[i];
    for (const stat of ['volume', 'hour', 'sensitive'] as const) {
      const e = ex.without(u, stat);
      if (e) made[stat].set(u, e);
    }
    active.set(u, 0);
    priors.set(u, ex.prior(u, 'volume'));
  }
  return { ...ex, ...made, active, priors };
}

/**
 * Where a live detector's carry waits between two builds: the pool's days as judged, on disk in `dir`
 * (history-judged.ts: read back once, by the next day's build). A day that cannot be written stays in
 * memory, one that cannot be read back is judged again (`onError` hears of both): the same history either way.
 */
export interface CarrySpill {
  dir: string;
  onError(err: Error, what: 'write' | 'read'): void;
}

/**
 * Spilled files are numbered across the process, not per carry: a live detector's start-up attempt that
 * failed may still finish a build into the same folder as the next attempt's carry.
 */
let files = 0;

export function createHistoryCarry(spill?: CarrySpill): HistoryCarry {
  let kept: Kept | null = null;
  return {
    *take(inputs) {
      const out: Carried = { memo: { expectations: new Map(), uplifts: new Map() }, judged: new Map() };
      const k = kept;
      const { day, first, detection, people, series, users } = inputs;
      if (!k || k.detection !== detection || k.people !== people) return out;
      // The days both histories have rows for: [first, the earlier of the two days).
      const last = Math.min(day, k.day) - 1;
      const was = k.digests;
      const now = yield* digestsOf(inputs);
      const differs = Math.min(
        firstDifference(was.volumes, now.volumes, first, last),
        firstDifference(was.hours, now.hours, day - hourDaysNeeded(detection), last),
        firstDifference(was.sensitives, now.sensitives, first, last),
      );
      // Day d's expectations rest on the rows of [d - B, d), its month-end uplift on those of the month
      // ends in [d - MONTH_END_LOOKBACK, d) and their expectations: days whose rows are all compared.
      const before = Math.min(differs, last + 1);
      const B = detection.baselineDays;
      for (const [d, ex] of k.worked.memo.expectations) {
        const taken = d - B >= first && d <= before ? yield* completed(ex, d, users, k.users, series.sensitives) : null;
        if (taken) out.memo.expectations.set(d, taken);
      }
      for (const [d, up] of k.worked.memo.uplifts) if (d - MONTH_END_LOOKBACK - B >= first && d <= before) out.memo.uplifts.set(d, up);
      // A pool day's judgement rests on its expectations and on its own rows (night-time bytes included:
      // read for the pool's days only).
      const judgedBefore = Math.min(before, firstDifference(was.nights, now.nights, day - detection.poolDays, last));
      for (const [d, list] of k.worked.judged) {
        if (!(d < judgedBefore && out.memo.uplifts.has(d))) continue;
        // A spilled day is read back from disk: a step each.
        yield;
        if (list.restore()) out.judged.set(d, list);
        else spill?.onError(new Error(`the pool day ${d} spilled to ${spill.dir} could not be read back; judged again`), 'read');
      }
      return out;
    },
    *keep(inputs, worked) {
      // The next day's history needs the pool's days as judged, and this day's expectations and uplifts
      // (it judges this day). Not the other days' expectations: at 100,000 people they are gigabytes; a
      // month end's uplift works the month ends before it out again.
      const today = worked.memo.expectations.get(inputs.day);
      const memo = { expectations: new Map(today ? [[inputs.day, today]] : []), uplifts: worked.memo.uplifts };
      // Its own days wait on disk, a step each.
      const now = new Set(worked.judged.values());
      if (spill) {
        for (const list of now) {
          yield;
          try {
            list.spill(path.join(spill.dir, `pool-day-${++files}.f64`));
          } catch (err) {
            // Disk full or gone: the rest stay in memory too (one report a build).
            spill.onError(err as Error, 'write');
            break;
          }
        }
      }
      const { day, detection, people, users } = inputs;
      const digests = yield* digestsOf(inputs);
      yield;
      const known = new Set(users);
      // The history kept until now is read here, in the step that replaces it, not before the steps above:
      // another build sharing the carry may have kept its own meanwhile. Its days this one did not take
      // over go (a take still reading them judges them again).
      if (spill) for (const list of kept?.worked.judged.values() ?? []) if (!now.has(list)) list.discard();
      kept = { day, detection, people, users: known, digests, worked: { memo, judged: worked.judged } };
    },
  };
}
