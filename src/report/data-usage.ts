// Usage sections of an audit report: the period summary, the top downloaders against their own
// baseline, volume per department, and access to sensitive tables. Volumes are bytes of successful
// queries (failed queries move no data), as the detector counts them.
import { MS_PER_DAY } from '../calendar';
import { inList, sql } from '../store';
import { dayLit, departmentOf, type ReportContext } from './data-context';
import { daysOf } from './period';

/** Sensitivities whose access the report lists. */
export const SENSITIVE = ['pii', 'payment'] as const;

// ---------------------------------------------------------------------------------------------------
// Period summary

export interface SummarySection {
  events: number;
  failedEvents: number;
  bytes: number;
  /** Of `bytes`, how much was estimated (rows x average row width: pgaudit), shown with "≈". */
  estimatedBytes?: number;
  activeUsers: number;
  sources: Array<{ source: string; events: number; bytes: number; users: number; estimatedBytes?: number }>;
  daily: Array<{ day: string; events: number; bytes: number }>;
}

export async function summarySection(ctx: ReportContext): Promise<SummarySection> {
  const { ch, period } = ctx;
  const where = sql`ts >= ${new Date(period.from)} AND ts < ${new Date(period.to)}`;
  const [total] = await ch.query<{ n_events: string; n_failed: string; ok_bytes: string; est_bytes: string; n_users: string }>(sql`
    SELECT count() AS n_events, countIf(status = 'error') AS n_failed, sumIf(bytes, status = 'ok') AS ok_bytes,
           sumIf(bytes, status = 'ok' AND bytes_estimated = 1) AS est_bytes, uniqExact(user) AS n_users
    FROM access_events WHERE ${where}`);
  const sources = await ch.query<{ src: string; n_events: string; ok_bytes: string; est_bytes: string; n_users: string }>(sql`
    SELECT source AS src, count() AS n_events, sumIf(bytes, status = 'ok') AS ok_bytes,
           sumIf(bytes, status = 'ok' AND bytes_estimated = 1) AS est_bytes, uniqExact(user) AS n_users
    FROM access_events WHERE ${where}
    GROUP BY source ORDER BY ok_bytes DESC, src`);
  const daily = await ch.query<{ d: string; n_events: string; ok_bytes: string }>(sql`
    SELECT toString(toDate(ts)) AS d, count() AS n_events, sumIf(bytes, status = 'ok') AS ok_bytes
    FROM access_events WHERE ${where}
    GROUP BY d ORDER BY d`);
  const byDay = new Map(daily.map((r) => [r.d, r]));
  return {
    events: Number(total.n_events),
    failedEvents: Number(total.n_failed),
    bytes: Number(total.ok_bytes),
    estimatedBytes: Number(total.est_bytes),
    activeUsers: Number(total.n_users),
    sources: sources.map((r) => ({ source: r.src, events: Number(r.n_events), bytes: Number(r.ok_bytes), users: Number(r.n_users), estimatedBytes: Number(r.est_bytes) })),
    daily: daysOf(period).map((day) => ({ day, events: Number(byDay.get(day)?.n_events ?? 0), bytes: Number(byDay.get(day)?.ok_bytes ?? 0) })),
  };
}

// ---------------------------------------------------------------------------------------------------
// Per-user daily volumes (rollup user_daily), shared by the downloaders and departments

interface UserDay {
  user: string;
  day: string;
  bytes: number;
  events: number;
}

async function userDays(ctx: ReportContext): Promise<UserDay[]> {
  const rows = await ctx.ch.query<{ user: string; d: string; b: string; n: string }>(sql`
    SELECT user, toString(day) AS d, sumMerge(sum_bytes) AS b, countMerge(event_count) AS n
    FROM user_daily
    WHERE day >= toDate(${dayLit(ctx.period.from)}) AND day < toDate(${dayLit(ctx.period.to)})
    GROUP BY user, day`);
  return rows.map((r) => ({ user: r.user, day: r.d, bytes: Number(r.b), events: Number(r.n) }));
}

// ---------------------------------------------------------------------------------------------------
// Top downloaders against their own baseline

export interface Baseline {
  /** Active days (volume > 0) in the baselineDays before the period. */
  days: number;
  p10: number;
  median: number;
  p90: number;
}

export interface TopUser {
  rank: number;
  user: string;
  department: string;
  bytes: number;
  events: number;
  activeDays: number;
  peakDay: string;
  peakBytes: number;
  /** Volume of every day of the period. */
  daily: Array<{ day: string; bytes: number }>;
  baseline: Baseline | null;
  /** peakBytes / baseline median; null without a baseline. */
  peakRatio: number | null;
}

export interface TopUsersSection {
  baselineDays: number;
  users: TopUser[];
}

export async function topUsersSection(ctx: ReportContext): Promise<TopUsersSection> {
  const { ch, period, settings } = ctx;
  const perUser = new Map<string, { bytes: number; events: number; days: Map<string, number> }>();
  for (const r of await userDays(ctx)) {
    let u = perUser.get(r.user);
    if (!u) perUser.set(r.user, (u = { bytes: 0, events: 0, days: new Map() }));
    u.bytes += r.bytes;
    u.events += r.events;
    u.days.set(r.day, r.bytes);
  }
  const top = [...perUser.entries()]
    .filter(([, u]) => u.bytes > 0)
    .sort((a, b) => b[1].bytes - a[1].bytes || (a[0] < b[0] ? -1 : 1))
    .slice(0, settings.topUsers);
  const baselines = new Map<string, Baseline>();
  if (top.length > 0) {
    const baseFrom = period.from - settings.baselineDays * MS_PER_DAY;
    const rows = await ch.query<{ user: string; n_days: string; p10: number; p50: number; p90: number }>(sql`
      SELECT user, count() AS n_days, quantileExact(0.1)(b) AS p10, quantileExact(0.5)(b) AS p50, quantileExact(0.9)(b) AS p90
      FROM (
        SELECT user, day, sumMerge(sum_bytes) AS b
        FROM user_daily
        WHERE user IN ${inList(top.map(([u]) => u))} AND day >= toDate(${dayLit(baseFrom)}) AND day < toDate(${dayLit(period.from)})
        GROUP BY user, day
        HAVING b > 0
      )
      GROUP BY user`);
    for (const r of rows) baselines.set(r.user, { days: Number(r.n_days), p10: Number(r.p10), median: Number(r.p50), p90: Number(r.p90) });
  }
  const days = daysOf(period);
  return {
    baselineDays: settings.baselineDays,
    users: top.map(([user, u], i) => {
      const daily = days.map((day) => ({ day, bytes: u.days.get(day) ?? 0 }));
      const peak = daily.reduce((best, d) => (d.bytes > best.bytes ? d : best), daily[0]);
      const baseline = baselines.get(user) ?? null;
      return {
        rank: i + 1,
        user: ctx.pseudonyms.of(user),
        department: departmentOf(ctx, user),
        bytes: u.bytes,
        events: u.events,
        activeDays: daily.filter((d) => d.bytes > 0).length,
        peakDay: peak.day,
        peakBytes: peak.bytes,
        daily,
        baseline,
        peakRatio: baseline && baseline.median > 0 ? peak.bytes / baseline.median : null,
      };
    }),
  };
}

// ---------------------------------------------------------------------------------------------------
// Volume per department

export interface DepartmentsSection {
  departments: Array<{ department: string; activeUsers: number; events: number; bytes: number; share: number }>;
  /** Volume per department for every day of the period (departments in the order above). */
  daily: Array<{ day: string; bytes: Record<string, number> }>;
}

export async function departmentsSection(ctx: ReportContext): Promise<DepartmentsSection> {
  const totals = new Map<string, { users: Set<string>; events: number; bytes: number }>();
  const perDay = new Map<string, Map<string, number>>();
  for (const r of await userDays(ctx)) {
    const dept = departmentOf(ctx, r.user);
    let t = totals.get(dept);
    if (!t) totals.set(dept, (t = { users: new Set(), events: 0, bytes: 0 }));
    t.users.add(r.user);
    t.events += r.events;
    t.bytes += r.bytes;
    let d = perDay.get(r.day);
    if (!d) perDay.set(r.day, (d = new Map()));
    d.set(dept, (d.get(dept) ?? 0) + r.bytes);
  }
  const all = [...totals.values()].reduce((s, t) => s + t.bytes, 0);
  const departments = [...totals.entries()]
    .map(([department, t]) => ({ department, activeUsers: t.users.size, events: t.events, bytes: t.bytes, share: all > 0 ? t.bytes / all : 0 }))
    .sort((a, b) => b.bytes - a.bytes || (a.department < b.department ? -1 : 1));
  return {
    departments,
    daily: daysOf(ctx.period).map((day) => ({ day, bytes: Object.fromEntries(departments.map((d) => [d.department, perDay.get(day)?.get(d.department) ?? 0])) })),
  };
}

// ---------------------------------------------------------------------------------------------------
// Access to sensitive tables

export interface SensitiveSection {
  tables: Array<{ table: string; sensitivity: string; users: number; events: number; bytes: number; rows: number }>;
  users: Array<{ user: string; department: string; tables: number; events: number; bytes: number }>;
}

export async function sensitiveSection(ctx: ReportContext): Promise<SensitiveSection> {
  const rows = await ctx.ch.query<{ user: string; db: string; tbl: string; b: string; r: string; n: string }>(sql`
    SELECT user, db_name AS db, table_name AS tbl, sum(sum_bytes) AS b, sum(sum_rows) AS r, sum(event_count) AS n
    FROM user_table_daily
    WHERE day >= toDate(${dayLit(ctx.period.from)}) AND day < toDate(${dayLit(ctx.period.to)})
    GROUP BY user, db_name, table_name`);
  const tables = new Map<string, { sensitivity: string; users: Set<string>; events: number; bytes: number; rows: number }>();
  const users = new Map<string, { tables: Set<string>; events: number; bytes: number }>();
  for (const row of rows) {
    const table = `${row.db}.${row.tbl}`;
    const sensitivity = ctx.catalog.sensitivity(table);
    if (!(SENSITIVE as ReadonlyArray<string>).includes(sensitivity)) continue;
    let t = tables.get(table);
    if (!t) tables.set(table, (t = { sensitivity, users: new Set(), events: 0, bytes: 0, rows: 0 }));
    t.users.add(row.user);
    t.events += Number(row.n);
    t.bytes += Number(row.b);
    t.rows += Number(row.r);
    let u = users.get(row.user);
    if (!u) users.set(row.user, (u = { tables: new Set(), events: 0, bytes: 0 }));
    u.tables.add(table);
    u.events += Number(row.n);
    u.bytes += Number(row.b);
  }
  return {
    tables: [...tables.entries()]
      .map(([table, t]) => ({ table, sensitivity: t.sensitivity, users: t.users.size, events: t.events, bytes: t.bytes, rows: t.rows }))
      .sort((a, b) => b.bytes - a.bytes || (a.table < b.table ? -1 : 1)),
    users: [...users.entries()]
      .map(([user, u]) => ({ user: ctx.pseudonyms.of(user), department: departmentOf(ctx, user), tables: u.tables.size, events: u.events, bytes: u.bytes }))
      .sort((a, b) => b.bytes - a.bytes || (a.user < b.user ? -1 : 1)),
  };
}
