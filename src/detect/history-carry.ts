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
// settings and the people. The carry compares the two histories' rows over the days they share and takes
// only the days before the first one that differs (a late event in a past day: the days from it are
// judged again).
import path from 'node:path';
import type { DetectionConfig } from '../config';
import type { JudgedDay } from './history-judged';
import { hourDaysNeeded, MONTH_END_LOOKBACK, type ExpectationMemo, type Expectations } from './history-expectations';
import { lowerBound, nightOn, type Nights, type Series } from './history-series';
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

/** What a history built with the same settings and people hands over. */
export interface HistoryCarry {
  /** What the last history kept that a history of `inputs` may take as it is (empty when nothing is shared). */
  take(inputs: HistoryInputs): Carried;
  /** Hands a history over to the next one (called when it is built). */
  keep(inputs: HistoryInputs, worked: Carried): void;
}

interface Kept {
  inputs: HistoryInputs;
  users: ReadonlySet<string>;
  worked: Carried;
}

/** The first day in [lo, hi] on which the two series differ (a day in one only, or another value), or Infinity. */
function firstDifference(a: Series | undefined, b: Series | undefined, lo: number, hi: number): number {
  const days = (s: Series | undefined) => s?.days ?? [];
  let i = lowerBound(days(a), lo);
  let j = lowerBound(days(b), lo);
  for (;;) {
    const da = a && i < a.days.length && a.days[i] <= hi ? a.days[i] : Infinity;
    const db = b && j < b.days.length && b.days[j] <= hi ? b.days[j] : Infinity;
    if (da === Infinity && db === Infinity) return Infinity;
    if (da !== db || a!.logs[i] !== b!.logs[j]) return Math.min(da, db);
    i++;
    j++;
  }
}

function firstSeriesDifference(a: ReadonlyMap<string, Series>, b: ReadonlyMap<string, Series>, lo: number, hi: number): number {
  let first = Infinity;
  for (const [user, s] of a) first = Math.min(first, firstDifference(s, b.get(user), lo, hi));
  for (const [user, s] of b) if (!a.has(user)) first = Math.min(first, firstDifference(undefined, s, lo, hi));
  return first;
}

/** The same for night-time bytes by user and day. */
function firstNightDifference(a: SeriesSet['nights'], b: SeriesSet['nights'], lo: number, hi: number): number {
  let first = Infinity;
  const oneWay = (x: SeriesSet['nights'], y: SeriesSet['nights']) => {
    for (const [user, n] of x) {
      const other = y.get(user);
      for (let i = lowerBound(n.days, lo); i < n.days.length && n.days[i] <= hi; i++) if (nightOn(other, n.days[i]) !== n.bytes[i]) first = Math.min(first, n.days[i]);
    }
  };
  oneWay(a, b);
  oneWay(b, a);
  return first;
}
/**
 * A day's expectations, completed for the people the history that worked them out did not have (no rows
 * in its window, so none before that day either): each gets what a person without rows gets, the prior
 * alone, as a history of its own gives them.
 */
function completed(ex: Expectations, d: number, users: ReadonlyArray<string>, known: ReadonlySet<string>, sensitives: SeriesSet['sensitives']): Expectations | null {
  const missing = users.filter((u) => !known.has(u));
  if (missing.length === 0) return ex;
  // Someone with sensitive rows before d but no volume or busiest hour (rollups that disagree, until an
  // insert stopped half-way is repaired) has a sensitive expectation of their own: not the prior's.
  if (missing.some((u) => (sensitives.get(u)?.days[0] ?? Infinity) < d)) return null;
  const out: Expectations = { ...ex, volume: new Map(ex.volume), hour: new Map(ex.hour), sensitive: new Map(ex.sensitive), active: new Map(ex.active), priors: new Map(ex.priors) };
  for (const u of missing) {
    for (const stat of ['volume', 'hour', 'sensitive'] as const) {
      const e = ex.without(u, stat);
      if (e) out[stat].set(u, e);
    }
    out.active.set(u, 0);
    out.priors.set(u, ex.prior(u, 'volume'));
  }
  return out;
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
    take(inputs) {
      const out: Carried = { memo: { expectations: new Map(), uplifts: new Map() }, judged: new Map() };
      const k = kept;
      const { day, first, detection, people, series, users } = inputs;
      if (!k || k.inputs.detection !== detection || k.inputs.people !== people) return out;
      // The days both histories have rows for: [first, the earlier of the two days).
      const last = Math.min(day, k.inputs.day) - 1;
      const was = k.inputs.series;
      const differs = Math.min(
        firstSeriesDifference(was.volumes, series.volumes, first, last),
        firstSeriesDifference(was.hours, series.hours, day - hourDaysNeeded(detection), last),
        firstSeriesDifference(was.sensitives, series.sensitives, first, last),
      );
      // Day d's expectations rest on the rows of [d - B, d), its month-end uplift on those of the month
      // ends in [d - MONTH_END_LOOKBACK, d) and their expectations: days whose rows are all compared.
      const before = Math.min(differs, last + 1);
      const B = detection.baselineDays;
      for (const [d, ex] of k.worked.memo.expectations) {
        const taken = d - B >= first && d <= before ? completed(ex, d, users, k.users, series.sensitives) : null;
        if (taken) out.memo.expectations.set(d, taken);
      }
      for (const [d, up] of k.worked.memo.uplifts) if (d - MONTH_END_LOOKBACK - B >= first && d <= before) out.memo.uplifts.set(d, up);
      // A pool day's judgement rests on its expectations and on its own rows (night-time bytes included:
      // read for the pool's days only).
      const judgedBefore = Math.min(before, firstNightDifference(was.nights, series.nights, day - detection.poolDays, last));
      for (const [d, list] of k.worked.judged) {
        if (!(d < judgedBefore && out.memo.uplifts.has(d))) continue;
        if (list.restore()) out.judged.set(d, list);
        else spill?.onError(new Error(`the pool day ${d} spilled to ${spill.dir} could not be read back; judged again`), 'read');
      }
      return out;
    },
    keep(inputs, worked) {
      // The next day's history needs the pool's days as judged, and this day's expectations and uplifts
      // (it judges this day). Not the other days' expectations: at 100,000 people they are gigabytes; a
      // month end's uplift works the month ends before it out again.
      const today = worked.memo.expectations.get(inputs.day);
      const memo = { expectations: new Map(today ? [[inputs.day, today]] : []), uplifts: worked.memo.uplifts };
      if (spill) {
        // Files of days the new history did not take over go; its own days wait on disk.
        const now = new Set(worked.judged.values());
        for (const list of kept?.worked.judged.values() ?? []) if (!now.has(list)) list.discard();
        for (const list of now) {
          try {
            list.spill(path.join(spill.dir, `pool-day-${++files}.f64`));
          } catch (err) {
            // Disk full or gone: the rest stay in memory too (one report a build).
            spill.onError(err as Error, 'write');
            break;
          }
        }
      }
      kept = { inputs, users: new Set(inputs.users), worked: { memo, judged: worked.judged } };
    },
  };
}
