// Triage sections of an audit report: every alert fired in the period with its triage state, the
// alerts still open by age, and the analyst actions of the audit trail (wall time).
import { alertSummaryPages, listingIds, type AlertSummaryRecord, type Severity } from '../alerts';
import { MS_PER_DAY } from '../calendar';
import { fromDateTime, sql } from '../store';
import { actionsOf, deriveState, type AlertStatus, type Disposition, type TriageState } from '../triage';
import { departmentOf, iso, type ReportContext } from './data-context';
import { daysOf } from './period';

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

/** Each alert's triage state as of ctx.asOf (actions after it are not counted), by alert id. */
export async function statesAsOf(ctx: ReportContext, alerts: ReadonlyArray<AlertSummaryRecord>): Promise<Map<string, TriageState>> {
  const actions = await actionsOf(ctx.ch, alerts.map((a) => a.alertId));
  return new Map(alerts.map((a) => [a.alertId, deriveState((actions.get(a.alertId) ?? []).filter((x) => x.at <= ctx.asOf), ctx.asOf)]));
}

/** Alerts (current revision) with their triage state as of ctx.asOf. */
async function alertsWithState(ctx: ReportContext, alerts: AlertSummaryRecord[]): Promise<ReportAlert[]> {
  const states = await statesAsOf(ctx, alerts);
  return alerts.map((a) => {
    const s = states.get(a.alertId)!;
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

/** Every current alert the filter selects (read a page at a time: none is left out however many). */
export async function allAlerts(ctx: ReportContext, f: Parameters<typeof alertSummaryPages>[1]): Promise<AlertSummaryRecord[]> {
  const out: AlertSummaryRecord[] = [];
  for await (const page of alertSummaryPages(ctx.ch, f)) out.push(...page);
  return out;
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export async function alertsSection(ctx: ReportContext): Promise<AlertsSection> {
  const { period } = ctx;
  // An alert belongs to the period it fired in; its window (a day, or a slow drip's days) overlaps it.
  const fired = (await allAlerts(ctx, { from: period.from, to: period.to }))
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

/**
 * Every alert (of any period) fired by ctx.asOf and not resolved at that time, oldest first. Candidates are
 * the alerts the listing has unresolved now and those acted on after asOf (whose state then may differ);
 * an alert resolved now and untouched since asOf was resolved then.
 */
export async function openAlertsSection(ctx: ReportContext): Promise<OpenAlertsSection> {
  const ids = new Set<string>();
  for await (const page of listingIds(ctx.ch, { statuses: ['open', 'acknowledged', 'snoozed'], to: ctx.asOf + 1 }, ctx.asOf)) page.forEach((id) => ids.add(id));
  const touched = await ctx.ch.query<{ alert_id: string }>(sql`SELECT DISTINCT alert_id FROM alert_actions WHERE at >= ${new Date(ctx.asOf)}`);
  touched.forEach((r) => ids.add(r.alert_id));
  const candidates: AlertSummaryRecord[] = [];
  const list = [...ids];
  for (let i = 0; i < list.length; i += 5000) {
    for await (const page of alertSummaryPages(ctx.ch, { ids: list.slice(i, i + 5000), to: ctx.asOf + 1 })) candidates.push(...page.filter((a) => a.firedAt <= ctx.asOf));
  }
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
