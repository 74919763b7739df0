// Cases in an audit report: one employee's alerts while an episode lasts (src/cases), counted as the
// analysts worked them. A case opened in the period when its first alert fired in it; it closed when the
// last of its alerts was resolved, by the report's asOf; its disposition is its alerts' when they agree,
// else "mixed"; its time to triage runs from its first alert firing to the first acknowledgement or
// resolution of any of its alerts. Alerts of CASES_LOOKBACK_DAYS before the period are read too, so that
// a case begun shortly before keeps its first alert.
import type { AlertSummaryRecord, Severity } from '../alerts';
import { casesOf, type CaseAlert } from '../cases';
import { MS_PER_DAY } from '../calendar';
import type { Disposition, TriageState } from '../triage';
import { departmentOf, iso, type ReportContext } from './data-context';
import { allAlerts, median, statesAsOf } from './data-triage';

const CASES_LOOKBACK_DAYS = 30;

export interface ReportCase {
  /** The id of the alert that opened it. */
  caseOf: string;
  user: string;
  department: string;
  firstDay: string;
  lastDay: string;
  openedAt: string;
  alerts: number;
  peakRisk: number;
  peakSeverity: Severity;
  /** open: one of its alerts is not resolved as of asOf. */
  status: 'open' | 'closed';
  closedAt: string | null;
  disposition: Disposition | 'mixed' | null;
  timeToTriageMs: number | null;
}

export interface CasesSection {
  asOf: string;
  opened: number;
  closed: number;
  /** Of the cases read, those with an alert not resolved as of asOf. */
  openAtEnd: number;
  byDisposition: Record<string, number>;
  medianTimeToTriageMs: number | null;
  /** The cases opened in the period, by time opened. */
  cases: ReportCase[];
}

type Read = AlertSummaryRecord & CaseAlert & { state: TriageState };

export async function casesSection(ctx: ReportContext): Promise<CasesSection> {
  const { period, asOf } = ctx;
  const summaries = (await allAlerts(ctx, { from: period.from - CASES_LOOKBACK_DAYS * MS_PER_DAY, to: period.to })).filter((a) => a.firedAt < period.to);
  const states = await statesAsOf(ctx, summaries);
  const read: Read[] = summaries.map((a) => {
    const state = states.get(a.alertId)!;
    return { ...a, state, resolvedAt: state.status === 'resolved' ? state.resolvedAt : null };
  });
  const all = casesOf(read, asOf, ctx.settings.cases).map((c) => {
    const first = c.alerts[0];
    const open = c.alerts.some((a) => a.resolvedAt === null);
    const closedAt = open ? null : Math.max(...c.alerts.map((a) => a.resolvedAt!));
    const dispositions = new Set(c.alerts.map((a) => a.state.disposition));
    const triaged = c.alerts.flatMap((a) => a.state.history.filter((h) => h.action === 'acknowledge' || h.action === 'resolve').map((h) => h.at));
    const out: ReportCase = {
      caseOf: first.alertId,
      user: ctx.pseudonyms.of(c.user),
      department: departmentOf(ctx, c.user),
      firstDay: c.firstDay,
      lastDay: c.lastDay,
      openedAt: iso(first.firedAt),
      alerts: c.alerts.length,
      peakRisk: c.peakRisk,
      peakSeverity: c.peakSeverity,
      status: open ? 'open' : 'closed',
      closedAt: closedAt === null ? null : iso(closedAt),
      disposition: open ? null : dispositions.size === 1 ? [...dispositions][0] : 'mixed',
      timeToTriageMs: triaged.length === 0 ? null : Math.max(0, Math.min(...triaged) - first.firedAt),
    };
    return { out, firedAt: first.firedAt, closedAt };
  });
  const opened = all.filter((c) => c.firedAt >= period.from && c.firedAt < period.to).sort((a, b) => a.firedAt - b.firedAt || (a.out.caseOf < b.out.caseOf ? -1 : 1));
  const closed = all.filter((c) => c.closedAt !== null && c.closedAt >= period.from && c.closedAt < period.to);
  const byDisposition: Record<string, number> = {};
  for (const c of closed) byDisposition[c.out.disposition ?? 'none'] = (byDisposition[c.out.disposition ?? 'none'] ?? 0) + 1;
  return {
    asOf: iso(asOf),
    opened: opened.length,
    closed: closed.length,
    openAtEnd: all.filter((c) => c.out.status === 'open').length,
    byDisposition,
    medianTimeToTriageMs: median(opened.flatMap((c) => (c.out.timeToTriageMs === null ? [] : [c.out.timeToTriageMs]))),
    cases: opened.map((c) => c.out),
  };
}
