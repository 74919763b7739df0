// What the detector reads about the days before the one it judges: per user and UTC day, the volume,
// the busiest clock hour, the night-time volume in their own time zone and the volume from sensitive
// tables; and the tables each user touched. Heavy aggregation stays in ClickHouse (the rollups
// user_daily, user_hourly, user_table_daily); the in-memory source of the evaluation tools computes
// the same rows from events (src/evaluate/memory-history.ts).
import { dateString, MS_PER_DAY } from '../calendar';
import { inList, join, sql, TsvRow, type ClickHouse, type SqlFragment } from '../store';

export interface UserDayValue {
  user: string;
  day: number;
  bytes: number;
}

export interface UserTables {
  user: string;
  /** Tables ("db.table") touched in [first, last] before the recent days... */
  before: string[];
  /** ... and in the recent days [recentFrom, last]. */
  recent: string[];
  /** Days with activity in [first, last]. */
  days: number;
}

/** Night hours of a group of users: local hours [startHour, endHour) in `timezone` (the night may wrap midnight). */
export interface NightGroup {
  timezone: string;
  startHour: number;
  endHour: number;
  users: string[];
}

/** Sensitive tables: exact "db.table" names and whole databases. */
export interface TableSet {
  tables: string[];
  databases: string[];
}

export interface HistorySource {
  /** Bytes of successful queries per user and UTC day, days first..last (inclusive). */
  daily(first: number, last: number): Promise<UserDayValue[]>;
  /**
   * The busiest clock hour per user and UTC day, counted beyond its largest single event: sustained
   * transfer (an export in chunks), not one big query.
   */
  busiestHour(first: number, last: number): Promise<UserDayValue[]>;
  /** Bytes moved during each group's local night, per user and UTC day. */
  night(first: number, last: number, groups: ReadonlyArray<NightGroup>): Promise<UserDayValue[]>;
  /** Bytes from the given tables per user and UTC day. */
  dailyFrom(first: number, last: number, tables: TableSet): Promise<UserDayValue[]>;
  /** Tables each user touched in [first, last], split at recentFrom. */
  tables(first: number, recentFrom: number, last: number): Promise<UserTables[]>;
}

const day = (d: number) => sql`toDate(${dateString(d)})`;

/**
 * The rows of a query selecting user, day number (toUInt16 of a Date: days since 1970) and bytes, read
 * as TabSeparated as they arrive: a large organisation's 96-day window is millions of rows, and JSON made
 * an object per row twice over (the peak of a day's build). Each user id is copied out of its line once
 * (TsvRow.pooled). A line of another shape fails the read (TsvRow): a history built from part of the rows judges
 * against baselines that are too low, for a whole day.
 */
async function userDays(ch: ClickHouse, q: SqlFragment): Promise<UserDayValue[]> {
  const out: UserDayValue[] = [];
  const f = new TsvRow(3);
  const users = new Map<string, string>();
  await ch.queryTabSeparated(q, (line) => {
    f.read(line);
    out.push({ user: f.pooled(0, users), day: f.number(1), bytes: f.number(2) });
  });
  return out;
}
/** Users per IN list: long lists pass ClickHouse's default max_query_size (256 KiB). */
const USERS_PER_QUERY = 2000;

/**
 * The least request timeout of a history read. A large organisation's reads aggregate 96 days of rollups
 * (the busiest hours of 100,000 employees: about 30 s on an idle server); held to the connection's timeout
 * chosen for inserts (60 s), a busy server's read would fail on every try and no day could be judged.
 */
export const HISTORY_READ_TIMEOUT_MS = 15 * 60_000;

export function clickhouseHistorySource(connection: ClickHouse): HistorySource {
  const ch = connection.withRequestTimeout(Math.max(connection.requestTimeoutMs, HISTORY_READ_TIMEOUT_MS));
  return {
    daily: (first, last) =>
      userDays(
        ch,
        sql`
          SELECT user, toUInt16(day) AS d, sumMerge(sum_bytes) AS b
          FROM user_daily
          WHERE day >= ${day(first)} AND day <= ${day(last)}
          GROUP BY user, day`,
      ),
    busiestHour: (first, last) =>
      userDays(
        ch,
        sql`
          SELECT user, toUInt16(toDate(hour)) AS d, max(hour_bytes - largest) AS b
          FROM (
            SELECT user, hour, sumMerge(sum_bytes) AS hour_bytes, maxMerge(max_event_bytes) AS largest
            FROM user_hourly
            WHERE hour >= ${new Date(first * MS_PER_DAY)} AND hour < ${new Date((last + 1) * MS_PER_DAY)}
            GROUP BY user, hour
          )
          GROUP BY user, d`,
      ),
    async night(first, last, groups) {
      const out: UserDayValue[] = [];
      for (const g of groups) {
        const local = sql`toHour(hour, ${g.timezone})`;
        const inNight = g.startHour <= g.endHour ? sql`(${local} >= ${g.startHour} AND ${local} < ${g.endHour})` : sql`(${local} >= ${g.startHour} OR ${local} < ${g.endHour})`;
        for (let i = 0; i < g.users.length; i += USERS_PER_QUERY) {
          out.push(
            ...(await userDays(
              ch,
              sql`
                SELECT user, toUInt16(toDate(hour)) AS d, sumMerge(sum_bytes) AS b
                FROM user_hourly
                WHERE user IN ${inList(g.users.slice(i, i + USERS_PER_QUERY))}
                  AND hour >= ${new Date(first * MS_PER_DAY)} AND hour < ${new Date((last + 1) * MS_PER_DAY)}
                  AND ${inNight}
                GROUP BY user, d`,
            )),
          );
        }
      }
      return out;
    },
    async dailyFrom(first, last, tables) {
      const any: SqlFragment[] = [];
      if (tables.tables.length > 0) any.push(sql`concat(db_name, '.', table_name) IN ${inList(tables.tables)}`);
      if (tables.databases.length > 0) any.push(sql`db_name IN ${inList(tables.databases)}`);
      if (any.length === 0) return [];
      return userDays(
        ch,
        sql`
          SELECT user, toUInt16(day) AS d, sum(sum_bytes) AS b
          FROM user_table_daily
          WHERE day >= ${day(first)} AND day <= ${day(last)} AND (${join(any, ' OR ')})
          GROUP BY user, day`,
      );
    },
    async tables(first, recentFrom, last) {
      const rows = await ch.query<{ user: string; before: string[]; recent: string[]; days: string }>(sql`
        SELECT user,
               groupUniqArrayIf(concat(db_name, '.', table_name), day < ${day(recentFrom)}) AS before,
               groupUniqArrayIf(concat(db_name, '.', table_name), day >= ${day(recentFrom)}) AS recent,
               uniqExact(day) AS days
        FROM user_table_daily
        WHERE day >= ${day(first)} AND day <= ${day(last)}
        GROUP BY user`);
      return rows.map((r) => ({ user: r.user, before: r.before, recent: r.recent, days: Number(r.days) }));
    },
  };
}
