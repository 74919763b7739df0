// Every figure of an audit report, read from ClickHouse: one function per section, each returning plain
// data (no formatting). Volumes are bytes of successful queries (failed queries move no data), as the
// detector counts them. Event-time data (access events, alerts) and wall-time data (analyst actions,
// dead letters, ingestion) are both read for [from, to). Employees appear as pseudonyms when
// api.pseudonymize is on (the same pseudonyms as the API and pages).
import { listAlerts, SEVERITIES, type AlertRecord, type Severity } from '../alerts';
import { dateString, dayOf, MS_PER_DAY, MS_PER_HOUR } from '../calendar';
import type { Catalog } from '../detect/catalog';
import { currentDirectory, type DirectoryEntry } from '../directory';
import { fromDateTime, inList, sql, type ClickHouse } from '../store';
import { actionsOf, deriveState, type AlertStatus, type Disposition } from '../triage/lifecycle';
import type { Pseudonyms } from '../triage/pseudonyms';
import { daysOf, periodLabel, type ReportPeriod } from './period';

export interface ReportSettings {
  topUsers: number;
  gapHours: number;
  /** From detection: the trailing days of a baseline, and the active days before it is trusted. */
  baselineDays: number;
  minHistoryDays: number;
}

export interface ReportContext {
  ch: ClickHouse;
  period: ReportPeriod;
  /** Triage state (status, open alerts) is taken as of this instant (ms). */
  asOf: number;
  pseudonyms: Pseudonyms;
  catalog: Catalog;
  /** The current directory, by employee id. */
  people: ReadonlyMap<string, DirectoryEntry>;
  settings: ReportSettings;
}

/** Sensitivities whose access the report lists. */
export const SENSITIVE = ['pii', 'payment'] as const;
export const NOT_IN_DIRECTORY = '(not in directory)';

const dayLit = (ms: number) => dateString(dayOf(ms));
const iso = (ms: number) => new Date(ms).toISOString();

export async function loadPeople(ch: ClickHouse): Promise<Map<string, DirectoryEntry>> {
  const dir = await currentDirectory(ch);
  return new Map(dir.entries.map((e) => [e.id, e]));
}

function departmentOf(ctx: ReportContext, user: string): string {
  return ctx.people.get(user)?.department || NOT_IN_DIRECTORY;
}

// ---------------------------------------------------------------------------------------------------
// Period summary

export interface SummarySection {
  events: number;
  failedEvents: number;
  bytes: number;
  activeUsers: number;
  sources: Array<{ source: string; events: number; bytes: number; users: number }>;
  daily: Array<{ day: string; events: number; bytes: number }>;
}

export async function summarySection(ctx: ReportContext): Promise<SummarySection> {
  const { ch, period } = ctx;
  const where = sql`ts >= ${new Date(period.from)} AND ts < ${new Date(period.to)}`;
  const [total] = await ch.query<{ n_events: string; n_failed: string; ok_bytes: string; n_users: string }>(sql`
    SELECT count() AS n_events, countIf(status = 'error') AS n_failed, sumIf(bytes, status = 'ok') AS ok_bytes, uniqExact(user) AS n_users
    FROM access_events WHERE ${where}`);
  const sources = await ch.query<{ src: string; n_events: string; ok_bytes: string; n_users: string }>(sql`
    SELECT source AS src, count() AS n_events, sumIf(bytes, status = 'ok') AS ok_bytes, uniqExact(user) AS n_users
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
    activeUsers: Number(total.n_users),
    sources: sources.map((r) => ({ source: r.src, events: Number(r.n_events), bytes: Number(r.ok_bytes), users: Number(r.n_users) })),
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

// ---------------------------------------------------------------------------------------------------
// Alerts: every alert fired in the period, and the open ones by age

export interface ReportAlert {
  alertId: string;
  user: string;
  department: string;
  severity: Severity;
  score: number;
  detectors: string[];
  firedAt: string;
  observedBytes: number;
  baselineBytes: number;
  ratio: number;
  status: AlertStatus;
  disposition: Disposition | null;
  assignee: string | null;
  acknowledgedAt: string | null;
  resolvedAt: string | null;
  /** From firing (event time) to the first acknowledgement (or resolution), ms; null while there is none. */
  timeToAcknowledgeMs: number | null;
  timeToResolveMs: number | null;
}

export interface AlertsSection {
  asOf: string;
  total: number;
  bySeverity: Record<Severity, number>;
  byStatus: Record<AlertStatus, number>;
  byDisposition: Record<string, number>;
  medianTimeToAcknowledgeMs: number | null;
  medianTimeToResolveMs: number | null;
  /** Alerts fired per day of the period, by severity. */
  daily: Array<{ day: string } & Record<Severity, number>>;
  alerts: ReportAlert[];
}

const noSeverities = (): Record<Severity, number> => ({ low: 0, medium: 0, high: 0, critical: 0 });

/** Alerts (current revision) with their triage state as of ctx.asOf (actions after it are not counted). */
async function alertsWithState(ctx: ReportContext, alerts: AlertRecord[]): Promise<ReportAlert[]> {
  const actions = await actionsOf(ctx.ch, alerts.map((a) => a.alertId));
  return alerts.map((a) => {
    const s = deriveState((actions.get(a.alertId) ?? []).filter((x) => x.at <= ctx.asOf), ctx.asOf);
    return {
      alertId: a.alertId,
      user: ctx.pseudonyms.of(a.user),
      department: departmentOf(ctx, a.user),
      severity: a.severity,
      score: a.score,
      detectors: a.detectors,
      firedAt: iso(a.firedAt),
      observedBytes: a.observedBytes,
      baselineBytes: a.baselineBytes,
      ratio: a.ratio,
      status: s.status,
      disposition: s.disposition,
      assignee: s.assignee,
      acknowledgedAt: s.acknowledgedAt === null ? null : iso(s.acknowledgedAt),
      resolvedAt: s.resolvedAt === null ? null : iso(s.resolvedAt),
      timeToAcknowledgeMs: s.acknowledgedAt === null ? null : s.acknowledgedAt - a.firedAt,
      timeToResolveMs: s.resolvedAt === null ? null : s.resolvedAt - a.firedAt,
    };
  });
}

const ALL_ALERTS = 1_000_000;

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export async function alertsSection(ctx: ReportContext): Promise<AlertsSection> {
  const { period } = ctx;
  // An alert belongs to the period it fired in; its window (a day, or a slow drip's days) overlaps it.
  const fired = (await listAlerts(ctx.ch, { from: period.from, to: period.to, limit: ALL_ALERTS }))
    .filter((a) => a.firedAt >= period.from && a.firedAt < period.to)
    .sort((a, b) => a.firedAt - b.firedAt || (a.alertId < b.alertId ? -1 : 1));
  const alerts = await alertsWithState(ctx, fired);
  const bySeverity = noSeverities();
  const byStatus: Record<AlertStatus, number> = { open: 0, acknowledged: 0, snoozed: 0, resolved: 0 };
  const byDisposition: Record<string, number> = {};
  const perDay = new Map<string, Record<Severity, number>>();
  for (const a of alerts) {
    bySeverity[a.severity]++;
    byStatus[a.status]++;
    if (a.disposition) byDisposition[a.disposition] = (byDisposition[a.disposition] ?? 0) + 1;
    const day = a.firedAt.slice(0, 10);
    const d = perDay.get(day) ?? noSeverities();
    d[a.severity]++;
    perDay.set(day, d);
  }
  return {
    asOf: iso(ctx.asOf),
    total: alerts.length,
    bySeverity,
    byStatus,
    byDisposition,
    medianTimeToAcknowledgeMs: median(alerts.flatMap((a) => (a.timeToAcknowledgeMs === null ? [] : [a.timeToAcknowledgeMs]))),
    medianTimeToResolveMs: median(alerts.flatMap((a) => (a.timeToResolveMs === null ? [] : [a.timeToResolveMs]))),
    daily: daysOf(period).map((day) => ({ day, ...(perDay.get(day) ?? noSeverities()) })),
    alerts,
  };
}

export const AGE_BUCKETS = [
  { label: 'under 1 day', maxMs: MS_PER_DAY },
  { label: '1-7 days', maxMs: 7 * MS_PER_DAY },
  { label: '7-30 days', maxMs: 30 * MS_PER_DAY },
  { label: 'over 30 days', maxMs: Infinity },
] as const;

export interface OpenAlertsSection {
  asOf: string;
  total: number;
  byAge: Array<{ age: string } & Record<Severity, number> & { total: number }>;
  alerts: Array<ReportAlert & { ageMs: number; age: string }>;
}

/** Every alert (of any period) fired by ctx.asOf and not resolved at that time, oldest first. */
export async function openAlertsSection(ctx: ReportContext): Promise<OpenAlertsSection> {
  const candidates = (await listAlerts(ctx.ch, { to: ctx.asOf + 1, limit: ALL_ALERTS })).filter((a) => a.firedAt <= ctx.asOf);
  const open = (await alertsWithState(ctx, candidates))
    .filter((a) => a.status !== 'resolved')
    .map((a) => {
      const ageMs = ctx.asOf - Date.parse(a.firedAt);
      return { ...a, ageMs, age: AGE_BUCKETS.find((b) => ageMs < b.maxMs)!.label };
    })
    .sort((a, b) => b.ageMs - a.ageMs || (a.alertId < b.alertId ? -1 : 1));
  return {
    asOf: iso(ctx.asOf),
    total: open.length,
    byAge: AGE_BUCKETS.map((b) => {
      const inBucket = open.filter((a) => a.age === b.label);
      const counts = noSeverities();
      for (const a of inBucket) counts[a.severity]++;
      return { age: b.label, ...counts, total: inBucket.length };
    }),
    alerts: open,
  };
}

// ---------------------------------------------------------------------------------------------------
// Analyst actions (the audit trail)

export interface AuditSection {
  total: number;
  byAction: Array<{ action: string; count: number }>;
  byActor: Array<{ actor: string; role: string; count: number }>;
  entries: Array<{ at: string; actor: string; role: string; action: string; target: string; sourceIp: string }>;
}

export async function auditSection(ctx: ReportContext): Promise<AuditSection> {
  const rows = await ctx.ch.query<{ t: string; ms: number; actor: string; role: string; action: string; target: string; ip: string }>(sql`
    SELECT toString(at) AS t, at_ms AS ms, actor, role, action, target, source_ip AS ip
    FROM audit_log
    WHERE at >= ${new Date(ctx.period.from)} AND at < ${new Date(ctx.period.to)}
    ORDER BY at, at_ms, actor, action, target`);
  const entries = rows.map((r) => ({ at: iso(fromDateTime(r.t) + Number(r.ms)), actor: r.actor, role: r.role, action: r.action, target: r.target, sourceIp: r.ip }));
  const count = <K extends string>(key: (e: (typeof entries)[number]) => K) => {
    const m = new Map<K, number>();
    for (const e of entries) m.set(key(e), (m.get(key(e)) ?? 0) + 1);
    return [...m.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  };
  return {
    total: entries.length,
    byAction: count((e) => e.action).map(([action, n]) => ({ action, count: n })),
    byActor: count((e) => `${e.actor}\u0000${e.role}`).map(([k, n]) => ({ actor: k.split('\u0000')[0], role: k.split('\u0000')[1], count: n })),
    entries,
  };
}

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

// ---------------------------------------------------------------------------------------------------
// The whole report

export interface ReportData {
  format: 1;
  title: string;
  generatedAt: string;
  asOf: string;
  period: { kind: string; from: string; to: string; label: string };
  pseudonymised: boolean;
  summary: SummarySection;
  topUsers: TopUsersSection;
  departments: DepartmentsSection;
  sensitive: SensitiveSection;
  alerts: AlertsSection;
  openAlerts: OpenAlertsSection;
  analystActions: AuditSection;
  coverage: CoverageSection;
  dataQuality: DataQualitySection;
}

export async function collectReport(ctx: ReportContext, generatedAt: number): Promise<ReportData> {
  // One section after the other: a report is a batch job and the server has other work.
  const summary = await summarySection(ctx);
  const topUsers = await topUsersSection(ctx);
  const departments = await departmentsSection(ctx);
  const sensitive = await sensitiveSection(ctx);
  const alerts = await alertsSection(ctx);
  const openAlerts = await openAlertsSection(ctx);
  const analystActions = await auditSection(ctx);
  const coverage = await coverageSection(ctx);
  const dataQuality = await dataQualitySection(ctx);
  const { period } = ctx;
  return {
    format: 1,
    title: `Insider-threat audit report, ${period.kind === 'custom' ? '' : `${period.kind} `}${periodLabel(period)}`.replace(/ {2}/g, ' '),
    generatedAt: iso(generatedAt),
    asOf: iso(ctx.asOf),
    period: { kind: period.kind, from: iso(period.from), to: iso(period.to), label: periodLabel(period) },
    pseudonymised: ctx.pseudonyms.enabled,
    summary,
    topUsers,
    departments,
    sensitive,
    alerts,
    openAlerts,
    analystActions,
    coverage,
    dataQuality,
  };
}

export { SEVERITIES };
