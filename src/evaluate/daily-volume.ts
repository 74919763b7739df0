// Per-user daily download volume, read from the `user_daily` rollup (bytes of successful queries per
// user and UTC day). The reference detectors aggregate here, in ClickHouse, and judge in TypeScript.
import { sql, type ClickHouse } from '../store';
import { EvaluationError } from '../errors';

export const MS_PER_DAY = 86_400_000;

/** UTC day number: whole days since 1970-01-01. */
export function dayNumber(ms: number): number {
  return Math.floor(ms / MS_PER_DAY);
}

/** A day number as YYYY-MM-DD. */
export function isoDay(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

function parseDay(text: string): number {
  const ms = Date.parse(`${text}T00:00:00Z`);
  if (!Number.isFinite(ms)) throw new EvaluationError(`ClickHouse returned a day that is not a date: "${text}"`);
  return dayNumber(ms);
}

export interface UserDay {
  user: string;
  /** UTC day number. */
  day: number;
  bytes: number;
}

/** The UTC days that [from, to) touches, first and last (inclusive). */
export function daysOf(from: Date, to: Date): { first: number; last: number } {
  if (!(to.getTime() > from.getTime())) throw new EvaluationError(`an empty period: ${from.toISOString()} .. ${to.toISOString()}`);
  return { first: dayNumber(from.getTime()), last: dayNumber(to.getTime() - 1) };
}

/**
 * Bytes per user per UTC day, for days first..last (inclusive); days without events have no row.
 * With `above`, only the days whose bytes are strictly above it (filtered in ClickHouse).
 */
export async function dailyVolumes(ch: ClickHouse, first: number, last: number, opts: { above?: number } = {}): Promise<UserDay[]> {
  const having = opts.above === undefined ? sql`` : sql`HAVING day_bytes > ${opts.above}`;
  // Dates are compared as 'YYYY-MM-DD' literals: no time zone is involved anywhere.
  const rows = await ch.query<{ user: string; day_text: string; day_bytes: string }>(sql`
    SELECT user, toString(day) AS day_text, sumMerge(sum_bytes) AS day_bytes
    FROM user_daily
    WHERE day >= toDate(${isoDay(first)}) AND day <= toDate(${isoDay(last)})
    GROUP BY user, day
    ${having}
    ORDER BY user, day`);
  return rows.map((r) => ({ user: r.user, day: parseDay(r.day_text), bytes: Number(r.day_bytes) }));
}

/** Each user's first day with any stored event, up to `last` (inclusive). */
export async function firstSeenDays(ch: ClickHouse, last: number): Promise<Map<string, number>> {
  const rows = await ch.query<{ user: string; first_day: string }>(sql`
    SELECT user, toString(min(day)) AS first_day
    FROM user_daily
    WHERE day <= toDate(${isoDay(last)})
    GROUP BY user`);
  return new Map(rows.map((r) => [r.user, parseDay(r.first_day)]));
}
