// A history source for a backfill: the per-day rows of settled days (no more events expected) read once
// for a block of days ahead and sliced for each day's history, instead of every day reading its whole
// window (~130 days) again. The rows are per user and day, so a slice of a longer read is the same set
// of rows the day's own query returns (in another order: ClickHouse's GROUP BY promises none, and the
// history build does not depend on it). A day that is not settled is read as before, when asked for.
import type { HistorySource, UserDayValue } from './history-source';

/** Days read beyond what a history asked for: one read serves this many later days. */
export const READ_AHEAD_DAYS = 14;

interface Block {
  first: number;
  last: number;
  rows: Promise<UserDayValue[]>;
}

/**
 * `inner`, with the rows of days up to `settledUntil` (inclusive) read ahead. The per-user tables of a
 * window (`tables`) are aggregated over it and cannot be sliced: read as before.
 */
export function readAheadHistorySource(inner: HistorySource, settledUntil: number): HistorySource {
  const blocks = new Map<string, Block>();
  const slice = (key: string, first: number, last: number, read: (first: number, last: number) => Promise<UserDayValue[]>): Promise<UserDayValue[]> => {
    if (last > settledUntil) return read(first, last);
    let b = blocks.get(key);
    if (!b || first < b.first || last > b.last) {
      b = { first, last: Math.min(settledUntil, last + READ_AHEAD_DAYS), rows: Promise.resolve([]) };
      b.rows = read(b.first, b.last);
      const mine = b;
      // A failed read is not kept: the next history asks again.
      b.rows.catch(() => blocks.get(key) === mine && blocks.delete(key));
      blocks.set(key, b);
    }
    return b.rows.then((rows) => rows.filter((r) => r.day >= first && r.day <= last));
  };
  return {
    daily: (first, last) => slice('daily', first, last, (f, l) => inner.daily(f, l)),
    busiestHour: (first, last) => slice('busiestHour', first, last, (f, l) => inner.busiestHour(f, l)),
    night: (first, last, groups) => slice(`night ${JSON.stringify(groups)}`, first, last, (f, l) => inner.night(f, l, groups)),
    dailyFrom: (first, last, tables) => slice(`dailyFrom ${JSON.stringify(tables)}`, first, last, (f, l) => inner.dailyFrom(f, l, tables)),
    tables: (first, recentFrom, last) => inner.tables(first, recentFrom, last),
  };
}
