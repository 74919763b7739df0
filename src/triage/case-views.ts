// Cases as analysts see and work them: the stored alerts of a period grouped into cases (src/cases), each
// with its risk and its alerts' triage, and actions on a case, which are its alerts' actions. A case is
// derived from its alerts on every read (named by the alert that opened it), so it can never disagree
// with them: it is open while one of its alerts is, and resolving it resolves each of its alerts, each
// action audited as the alert's own. Lists carry summaries; a timeline's explanations are one audited
// alert view per alert.
import { casesOf, type CaseSummary, type TimelineOptions, type TimelineStep } from '../cases';
import { MS_PER_DAY } from '../calendar';
import { TriageError } from '../errors';
import { actOnAlert, type ActRequest } from './alert-actions';
import { queryAlerts, showAlert, type AlertQuery, type AlertSummary } from './alert-reads';
import type { Actor } from './audit';
import type { TriageDeps } from './service-deps';

/** How far either side of an alert its case is looked for: a case longer than this is read in part. */
export const CASE_REACH_DAYS = 365;
/** The days a list reads before its period, so that a case begun before it keeps its name and its risk. */
const LIST_LOOKBACK_DAYS = 30;
const PAGE = 500;

type CaseAlertSummary = AlertSummary & { resolvedAt: number | null };

export interface CaseView {
  /** The id of the alert that opened the case: the case's name. */
  caseOf: string;
  /** The pseudonym, or the id when pseudonymisation is off. */
  user: string;
  department: string | null;
  firstDay: string;
  lastDay: string;
  /** Open while one of its alerts is not resolved. */
  open: boolean;
  risk: number;
  severity: CaseSummary['severity'];
  peakRisk: number;
  peakSeverity: CaseSummary['peakSeverity'];
  detectors: string[];
  /** Its alerts in the order they fired, with the case's risk after each and the alert's own triage status. */
  alerts: Array<TimelineStep & { status: AlertSummary['triage']['status'] }>;
}

export interface CaseQuery {
  /** Alerts whose window ends after this time (default: 90 days ago) and starts before `to`. */
  from?: number;
  to?: number;
  /** An id or a pseudonym. */
  user?: string;
  /** Resolved cases too. */
  all?: boolean;
}

/**
 * Every alert summary matching the query, page by page, with when its triage resolved it; each alert
 * once (a revision stored between two pages can move an alert across the page boundary).
 */
async function summaries(deps: TriageDeps, q: Omit<AlertQuery, 'limit' | 'cursor' | 'sort'>): Promise<CaseAlertSummary[]> {
  const found = new Map<string, CaseAlertSummary>();
  let cursor: string | undefined;
  do {
    const page = await queryAlerts(deps, { ...q, sort: 'window', limit: PAGE, cursor });
    for (const a of page.items) if (!found.has(a.alertId)) found.set(a.alertId, { ...a, resolvedAt: a.triage.status === 'resolved' ? a.triage.resolvedAt : null });
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return [...found.values()];
}

function viewOf(c: CaseSummary<CaseAlertSummary>): CaseView {
  return {
    caseOf: c.alerts[0].alertId,
    user: c.user,
    department: c.alerts[0].department,
    firstDay: c.firstDay,
    lastDay: c.lastDay,
    open: c.alerts.some((a) => a.triage.status !== 'resolved'),
    risk: c.risk,
    severity: c.severity,
    peakRisk: c.peakRisk,
    peakSeverity: c.peakSeverity,
    detectors: [...new Set(c.alerts.flatMap((a) => a.detectors))].sort(),
    alerts: c.steps.map((s, i) => ({ ...s, status: c.alerts[i].triage.status })),
  };
}

/**
 * Cases with an alert in a period (default: the last 90 days), open ones (or all), highest risk now first.
 * The alerts of LIST_LOOKBACK_DAYS before the period are read too, so that a case begun shortly before it
 * has the name, alerts and risk `showCase` gives it.
 */
export async function listCases(deps: TriageDeps, opts: TimelineOptions, q: CaseQuery): Promise<{ cases: CaseView[]; alerts: number }> {
  const now = (deps.now ?? Date.now)();
  const from = q.from ?? now - 90 * MS_PER_DAY;
  const alerts = await summaries(deps, { from: from - LIST_LOOKBACK_DAYS * MS_PER_DAY, to: q.to, user: q.user });
  const cases = casesOf(alerts, now, opts)
    .filter((c) => c.alerts.some((a) => a.windowEnd > from))
    .map(viewOf)
    .filter((c) => q.all || c.open)
    .sort((x, y) => y.risk - x.risk || y.peakRisk - x.peakRisk || (x.lastDay < y.lastDay ? 1 : x.lastDay > y.lastDay ? -1 : 0));
  return { cases, alerts: alerts.filter((a) => a.windowEnd > from).length };
}

/** The case holding an alert, from its employee's alerts around it. */
async function caseHolding(deps: TriageDeps, opts: TimelineOptions, alertId: string): Promise<CaseSummary<CaseAlertSummary>> {
  const [alert] = (await queryAlerts(deps, { alert: alertId, limit: 1 })).items;
  if (!alert) throw new TriageError('TRIAGE_NOT_FOUND', `no alert ${alertId}`, { alertId });
  const reach = CASE_REACH_DAYS * MS_PER_DAY;
  const theirs = await summaries(deps, { user: alert.user, from: alert.windowStart - reach, to: alert.windowEnd + reach });
  const found = casesOf(theirs, (deps.now ?? Date.now)(), opts).find((c) => c.alerts.some((a) => a.alertId === alertId));
  if (!found) throw new TriageError('TRIAGE_NOT_FOUND', `alert ${alertId} is in no case`, { alertId });
  return found;
}

/** One case as a timeline with each alert's explanation: every alert's view is audited (alert.view). */
export async function showCase(deps: TriageDeps, actor: Actor, opts: TimelineOptions, alertId: string): Promise<CaseView> {
  const c = await caseHolding(deps, opts, alertId);
  const shown = [];
  for (const a of c.alerts) shown.push(await showAlert(deps, actor, a.alertId));
  const explained = new Map(shown.map((a) => [a.alertId, a.explanation]));
  const view = viewOf(c);
  return { ...view, alerts: view.alerts.map((s) => ({ ...s, explanation: explained.get(s.alertId) })) };
}

/** The outcome of an action on a case: the alerts it was applied to, and those it was not, with why. */
export interface CaseActionResult {
  caseOf: string;
  applied: string[];
  /** refused: the alert's own rules refused it (about the actor, ...); else it was unchanged (already in that state, or not named). */
  skipped: Array<{ alertId: string; reason: string; refused: boolean }>;
}

export type CaseActionRequest = Pick<ActRequest, 'action' | 'assignee' | 'disposition' | 'note' | 'suppress' | 'adjust'> & {
  /** Only these alerts of the case (those the analyst saw): an alert stored since is left as it is. */
  alerts?: ReadonlyArray<string>;
};

/**
 * An action on a case is the action on each of its alerts it applies to: acknowledge the open and snoozed
 * ones, resolve the unresolved ones, assign and note every one; with `alerts`, only those named. Each is
 * the alert's own action, refused and audited as it would be alone; an alert refused on its own (its
 * reason said) is skipped and the others still get it. Refused on every alert it could apply to (the
 * insider on their own case, an unknown assignee): an error, nothing changed. Another error part way
 * (ClickHouse gone) says which alerts had it already. A resolution's suppression or adjustment is made
 * once, with the newest alert it resolves, which is resolved first: refused there, nothing is changed.
 */
export async function actOnCase(deps: TriageDeps, actor: Actor, opts: TimelineOptions, alertId: string, request: CaseActionRequest): Promise<CaseActionResult> {
  const c = await caseHolding(deps, opts, alertId);
  const result: CaseActionResult = { caseOf: c.alerts[0].alertId, applied: [], skipped: [] };
  const named = request.alerts === undefined ? null : new Set(request.alerts);
  const unknown = named ? [...named].filter((id) => !c.alerts.some((a) => a.alertId === id)) : [];
  if (unknown.length > 0) throw new TriageError('TRIAGE_INVALID', `not alerts of case ${result.caseOf}: ${unknown.join(', ')}`, { caseOf: result.caseOf });
  const { alerts: _, suppress, adjust, ...action } = request;
  const refused: TriageError[] = [];
  const todo: string[] = [];
  for (const a of c.alerts) {
    const status = a.triage.status;
    const unchanged =
      named && !named.has(a.alertId)
        ? 'not among the alerts named (stored since?)'
        : (request.action === 'acknowledge' && (status === 'acknowledged' || status === 'resolved')) || (request.action === 'resolve' && status === 'resolved')
          ? `already ${status}`
          : null;
    if (unchanged) result.skipped.push({ alertId: a.alertId, reason: unchanged, refused: false });
    else todo.push(a.alertId);
  }
  // The newest first when it carries a suppression or an adjustment: refused there, nothing else is done.
  const carrier = suppress || adjust ? todo.pop() : undefined;
  if ((suppress || adjust) && carrier === undefined) throw new TriageError('TRIAGE_CONFLICT', `case ${result.caseOf}: no alert left to resolve, so nothing to suppress or adjust with`, { caseOf: result.caseOf });
  if (carrier !== undefined) {
    await actOnAlert(deps, actor, carrier, { ...action, ...(suppress ? { suppress } : {}), ...(adjust ? { adjust } : {}) });
    result.applied.push(carrier);
  }
  for (const id of todo) {
    try {
      await actOnAlert(deps, actor, id, action);
      result.applied.push(id);
    } catch (err) {
      if (!(err instanceof TriageError)) {
        if (err instanceof Error && result.applied.length > 0) err.message += ` (case ${result.caseOf}: ${request.action} already applied to ${result.applied.join(', ')})`;
        throw err;
      }
      result.skipped.push({ alertId: id, reason: err.message, refused: true });
      refused.push(err);
    }
  }
  if (result.applied.length === 0 && refused.length > 0) {
    const why = result.skipped.filter((s) => s.refused).map((s) => `${s.alertId}: ${s.reason}`);
    throw new TriageError(refused[0].code as 'TRIAGE_NOT_FOUND' | 'TRIAGE_CONFLICT' | 'TRIAGE_INVALID', `case ${result.caseOf}: refused for every alert it applies to: ${why.join('; ')}`, { caseOf: result.caseOf, action: request.action });
  }
  return result;
}
