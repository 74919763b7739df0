// Coverage and quality sections of an audit report: the employees detection cannot judge yet (too
// little history for a baseline), and the health of the data itself (dead letters, ingestion, gaps).
import { MS_PER_DAY, MS_PER_HOUR } from '../calendar';
import { fromDateTime, sql } from '../store';
import { dayLit, iso, type ReportContext } from './data-context';

// ---------------------------------------------------------------------------------------------------
// Detection coverage: employees without enough history for their own baseline

export interface CoverageSection {
  /** Trailing days before the end of the period that were looked at, and the active days needed. */
  windowDays: number;
  minHistoryDays: number;
  employees: number;
  covered: number;
  serviceAccounts: number;
  /** Users with activity in the period that the directory does not know. */
  notInDirectory: number;
  insufficient: Array<{ user: string; department: string; role: string; hireDate: string | null; activeDays: number }>;
}

export async function coverageSection(ctx: ReportContext): Promise<CoverageSection> {
  const { settings, period } = ctx;
  const windowFrom = period.to - settings.baselineDays * MS_PER_DAY;
  const rows = await ctx.ch.query<{ user: string; n_days: string }>(sql`
    SELECT user, countIf(b > 0) AS n_days
    FROM (
      SELECT user, day, sumMerge(sum_bytes) AS b FROM user_daily
      WHERE day >= toDate(${dayLit(windowFrom)}) AND day < toDate(${dayLit(period.to)})
      GROUP BY user, day
    )
    GROUP BY user`);
  const activeDays = new Map(rows.map((r) => [r.user, Number(r.n_days)]));
  const first = dayLit(period.from);
  const last = dayLit(period.to - 1);
  // Employees during the period: hired by its last day, not gone before its first.
  const employees = [...ctx.people.values()].filter((e) => e.account_type === 'human' && (e.hire_date === null || e.hire_date <= last) && (e.end_date === null || e.end_date >= first));
  const insufficient = employees
    .map((e) => ({ user: ctx.pseudonyms.of(e.id), id: e.id, department: e.department, role: e.role, hireDate: e.hire_date, activeDays: activeDays.get(e.id) ?? 0 }))
    .filter((e) => e.activeDays < settings.minHistoryDays)
    .sort((a, b) => a.activeDays - b.activeDays || (a.user < b.user ? -1 : 1))
    .map(({ id: _, ...rest }) => rest);
  const inPeriod = await ctx.ch.query<{ user: string }>(sql`
    SELECT DISTINCT user FROM user_daily WHERE day >= toDate(${first}) AND day <= toDate(${last})`);
  return {
    windowDays: settings.baselineDays,
    minHistoryDays: settings.minHistoryDays,
    employees: employees.length,
    covered: employees.length - insufficient.length,
    serviceAccounts: [...ctx.people.values()].filter((e) => e.account_type === 'service').length,
    notInDirectory: inPeriod.filter((r) => !ctx.people.has(r.user)).length,
    insufficient,
  };
}

// ---------------------------------------------------------------------------------------------------
// Data quality: dead letters, ingestion, hours without events

export interface DataQualitySection {
  deadLetters: { total: number; byReason: Array<{ reason: string; count: number }> };
  ingestion: { batches: number; events: number };
  hours: { total: number; withEvents: number };
  gapHours: number;
  /** Runs of at least gapHours consecutive UTC hours without any event (event time). */
  gaps: Array<{ from: string; to: string; hours: number }>;
}

/** Runs of at least `minHours` consecutive hours of [from, to) that are not in `busy` (hour starts, ms). */
export function gapsOf(busy: ReadonlySet<number>, range: { from: number; to: number }, minHours: number): DataQualitySection['gaps'] {
  const gaps: DataQualitySection['gaps'] = [];
  let runStart: number | null = null;
  const close = (end: number) => {
    if (runStart !== null && (end - runStart) / MS_PER_HOUR >= minHours) gaps.push({ from: iso(runStart), to: iso(end), hours: (end - runStart) / MS_PER_HOUR });
    runStart = null;
  };
  for (let h = range.from; h < range.to; h += MS_PER_HOUR) {
    if (busy.has(h)) close(h);
    else runStart ??= h;
  }
  close(range.to);
  return gaps;
}

export async function dataQualitySection(ctx: ReportContext): Promise<DataQualitySection> {
  const { ch, period, settings } = ctx;
  const reasons = await ch.query<{ code: string; n: string }>(sql`
    SELECT reason_code AS code, count() AS n FROM dead_letters
    WHERE dead_lettered_at >= ${new Date(period.from)} AND dead_lettered_at < ${new Date(period.to)}
    GROUP BY code ORDER BY n DESC, code`);
  const [batches] = await ch.query<{ n: string; e: string }>(sql`
    SELECT count() AS n, sum(events) AS e FROM ingest_batches
    WHERE inserted_at >= ${new Date(period.from)} AND inserted_at < ${new Date(period.to)}`);
  const hourly = await ch.query<{ h: string; n: string }>(sql`
    SELECT toString(hour) AS h, countMerge(event_count) AS n FROM user_hourly
    WHERE hour >= ${new Date(period.from)} AND hour < ${new Date(period.to)}
    GROUP BY hour`);
  const busy = new Set(hourly.filter((r) => Number(r.n) > 0).map((r) => fromDateTime(r.h)));
  const gaps = gapsOf(busy, period, settings.gapHours);
  return {
    deadLetters: { total: reasons.reduce((s, r) => s + Number(r.n), 0), byReason: reasons.map((r) => ({ reason: r.code, count: Number(r.n) })) },
    ingestion: { batches: Number(batches?.n ?? 0), events: Number(batches?.e ?? 0) },
    hours: { total: (period.to - period.from) / MS_PER_HOUR, withEvents: busy.size },
    gapHours: settings.gapHours,
    gaps,
  };
}
