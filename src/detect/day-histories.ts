// The engine's day histories: one build per day, shared by every event of the day, with the rules for a
// day built before it began. An event dated ahead (a server's clock up to ingest.maxFutureSkewMs fast, or
// a hostile producer) needs its day's history while the day before's rows are still coming in: such an
// early build is built again once the day has begun, or the whole day would be judged on that early
// picture; unless built in the last minutes before the day (a clock slightly fast at midnight, or the
// live detector's build ahead), whose missing rows weigh nothing against weeks of baseline.
import { dayOf, MS_PER_DAY } from '../calendar';
import type { DayHistory } from './history';

/** A history built this close before its day began serves the day (see `early` below). */
export const EARLY_ENOUGH_MS = 5 * 60_000;

export interface DayHistories {
  /** Day `day`'s history: the one built or being built, or a new build (a failed build is not kept). */
  of(day: number): Promise<DayHistory>;
  /**
   * Builds day `day`'s history now and waits for it; within `earlyMs` of the day (EARLY_ENOUGH_MS unless
   * the caller needs longer: a large organisation's build ahead), replaces an early build of it (which
   * judges the events dated ahead meanwhile, and stays if this build fails), and a build begun within
   * `earlyMs` of the day serves the day.
   */
  load(day: number, earlyMs?: number): Promise<void>;
  /** Drops the days before `oldest`. */
  forget(oldest: number): void;
}

export function createDayHistories(build: (day: number) => Promise<DayHistory>, now: () => number): DayHistories {
  const histories = new Map<number, Promise<DayHistory>>();
  /** Days whose history was built before the day began by the clock, with when that build began. */
  const early = new Map<number, number>();
  /** The build ahead replacing an early history (load), until it is swapped in. */
  const replacing = new Map<number, Promise<DayHistory>>();
  /** How early a build of the day may begin and serve it, when load() was given longer than EARLY_ENOUGH_MS. */
  const allowed = new Map<number, number>();
  const earlyEnough = (day: number) => allowed.get(day) ?? EARLY_ENOUGH_MS;
  const of = (day: number) => {
    let h = histories.get(day);
    const begun = early.get(day);
    if (h && begun !== undefined && dayOf(now()) >= day) {
      early.delete(day);
      if (day * MS_PER_DAY - begun > earlyEnough(day)) {
        // Still building at midnight, the build ahead is awaited, not begun again.
        h = replacing.get(day);
        if (h) histories.set(day, h);
      }
    }
    if (!h) {
      if (day > dayOf(now())) early.set(day, now());
      else early.delete(day);
      const built = build(day);
      // A failed load is not cached: the next batch asks again (unless a newer build replaced it).
      built.catch(() => {
        if (histories.get(day) === built) histories.delete(day);
      });
      histories.set(day, (h = built));
    }
    return h;
  };
  return {
    of,
    async load(day, earlyMs = EARLY_ENOUGH_MS) {
      if (dayOf(now()) < day) allowed.set(day, Math.max(EARLY_ENOUGH_MS, earlyMs));
      // An early build of this day (an event dated ahead, hours before) would be thrown away by the day's
      // first event and built again inside its batch: build it again now instead.
      const begun = early.get(day);
      if (begun !== undefined && day * MS_PER_DAY - begun > earlyEnough(day) && day * MS_PER_DAY - now() <= earlyEnough(day)) {
        const replaced = histories.get(day);
        const started = now();
        const built = build(day);
        replacing.set(day, built);
        built.catch(() => {
          if (histories.get(day) === built) histories.delete(day);
        });
        try {
          await built;
        } finally {
          if (replacing.get(day) === built) replacing.delete(day);
        }
        // Swapped in unless a newer build took the slot (the early one failing empties it).
        const current = histories.get(day);
        if (current === replaced || current === undefined) {
          histories.set(day, built);
          // Begun within earlyMs of its day: it serves the day (once begun, nothing is early).
          if (dayOf(now()) < day) early.set(day, started);
          else early.delete(day);
        }
        return;
      }
      await of(day);
    },
    forget(oldest) {
      for (const byDay of [histories, early, allowed]) for (const day of byDay.keys()) if (day < oldest) byDay.delete(day);
    },
  };
}
