// The next day's history, built a few minutes before the day begins. Built on demand, by the first event
// after midnight, it held up every partition for the whole build (a minute at 100,000 employees, every
// night); built ahead, in slices, today's events go on being judged meanwhile, and midnight only costs
// each employee's first event its thresholds. The last minutes of today are missing from that history:
// one evening's minutes against weeks of baseline (the engine builds it again if it began earlier).
// How early: PREPARE_AHEAD_MS, or one and a half times what the last build took (a large organisation
// on busy cores: minutes), at most MAX_AHEAD_MS; the engine is told to keep a build begun that early.
import { dayOf, MS_PER_DAY } from '../calendar';
import { EARLY_ENOUGH_MS } from '../detect';
import type { Logger } from '../log';

/** How long before midnight the next day's history is begun: within what the engine keeps, a minute to spare. */
export const PREPARE_AHEAD_MS = EARLY_ENOUGH_MS - 60_000;

/** The earliest a build ahead begins: the minutes of today its history lacks stay a small part of a day. */
export const MAX_AHEAD_MS = 30 * 60_000;

/** How long before midnight to begin, after a build that took `lastBuildMs`. */
export function aheadOf(lastBuildMs: number): number {
  return Math.min(MAX_AHEAD_MS, Math.max(PREPARE_AHEAD_MS, Math.ceil(1.5 * lastBuildMs) + 60_000));
}

/** How soon a failed build ahead is tried again (while the day has not begun). */
export const RETRY_AHEAD_MS = 20_000;

export interface DayAheadOptions {
  /** Builds a day's history and keeps it when begun within `earlyMs` of the day (engine.load). */
  build(day: number, earlyMs: number): Promise<void>;
  log: Logger;
  now?: () => number;
  /** How long a day's build took at start-up (the first night's lead rests on it). */
  lastBuildMs?: number;
}

/** Builds each next day's history PREPARE_AHEAD_MS before it begins, every day until the returned stop(). */
export function scheduleDayAhead(o: DayAheadOptions): () => void {
  const now = o.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  /** The last day built ahead: the next one is the day after, never the same day twice. */
  let done = -Infinity;
  let lastBuildMs = o.lastBuildMs ?? 0;
  const arm = () => {
    if (stopped) return;
    const day = Math.max(dayOf(now()) + 1, done + 1);
    timer = setTimeout(() => void ahead(day), Math.max(0, day * MS_PER_DAY - aheadOf(lastBuildMs) - now()));
    timer.unref();
  };
  const ahead = async (day: number) => {
    done = day;
    // A timer that fired after the day began (a process suspended): the day's first event builds it.
    if (now() < day * MS_PER_DAY) {
      const began = now();
      try {
        // A minute's grace: the timer may fire late, a retry begins later still.
        await o.build(day, aheadOf(lastBuildMs) + 60_000);
        lastBuildMs = now() - began;
        const late = now() > day * MS_PER_DAY;
        o.log[late ? 'warn' : 'info'](
          { day: new Date(day * MS_PER_DAY).toISOString().slice(0, 10), seconds: lastBuildMs / 1000, nextAheadSeconds: aheadOf(lastBuildMs) / 1000 },
          late ? "next day's history built ahead, but finished after midnight: the day's first events waited for it (the next one begins earlier)" : "next day's history built ahead of midnight",
        );
      } catch (err) {
        // A brief outage should not cost the night its build: again while the day has not begun (a build
        // still running at midnight is awaited by the first event, not begun again).
        const again = now() + RETRY_AHEAD_MS < day * MS_PER_DAY;
        o.log.warn({ err: (err as Error).message }, again ? "could not build the next day's history ahead of midnight; trying again" : "could not build the next day's history ahead of midnight; its first event will");
        if (again && !stopped) {
          timer = setTimeout(() => void ahead(day), RETRY_AHEAD_MS);
          timer.unref();
          return;
        }
      }
    }
    arm();
  };
  arm();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
