// Pages per case: what an incident on a channel is, and when it is opened, grown or settled.
//
// A route with `pageBy: case` (the default) pages a case (src/cases: an employee's alerts while an
// episode lasts) once, when the case's risk first matches the rule, under the case's name as dedup key
// (the id of the alert that opened it, so a case of one alert pages exactly as that alert would). As the
// case grows it sends updates to the same incident, not new pages: when an alert joins it, when its
// severity rises, or when an alert's volume doubled since it was last sent (a growing export's
// revisions: a few updates, not one a minute). It acknowledges the incident
// when none of the case's alerts is open any more, and resolves it when all are resolved. A route with
// `pageBy: alert` does the same for each alert on its own. Cases are derived from the stored alerts and
// their triage on every read, as the dashboard does, so a page and the case page never disagree.
import { alertSummaryPages, severityRank, type AlertStatus, type AlertSummaryRecord, type Severity } from '../alerts';
import { MS_PER_DAY } from '../calendar';
import { casesOf, type CaseAlert, type CaseSummary, type TimelineOptions } from '../cases';
import { statesOf, CASE_REACH_DAYS, type TriageState } from '../triage';
import type { ClickHouse } from '../store';
import { caseLink, pageOf, type AlertPage, type AlertRevision, type Kind, type PageSettings } from './page';

/** Ids and users per query (a statement stays far below ClickHouse's max_query_size however many alerts a cycle reads). */
const CHUNK = 2000;

export type StatusAlert = AlertSummaryRecord & Pick<CaseAlert, 'resolvedAt'> & { status: AlertStatus };
export type PagedCase = CaseSummary<StatusAlert>;

/**
 * The case of each of these alerts, from its employee's alerts within CASE_REACH_DAYS of them, and the
 * triage state at `t` of every alert read. An alert not stored (yet) is in no case.
 */
export async function readCases(ch: ClickHouse, opts: TimelineOptions, alertIds: ReadonlyArray<string>, t: number): Promise<{ caseOf: Map<string, PagedCase>; states: Map<string, TriageState> }> {
  const own: AlertSummaryRecord[] = [];
  for (let i = 0; i < alertIds.length; i += CHUNK) for await (const page of alertSummaryPages(ch, { ids: alertIds.slice(i, i + CHUNK) })) own.push(...page);
  if (own.length === 0) return { caseOf: new Map(), states: await statesOf(ch, alertIds, t) };
  const reach = CASE_REACH_DAYS * MS_PER_DAY;
  let from = Infinity;
  let to = -Infinity;
  for (const a of own) {
    from = Math.min(from, a.windowStart - reach);
    to = Math.max(to, a.windowEnd + reach);
  }
  // Nothing is stored about days after tomorrow.
  to = Math.min(to, t + 2 * MS_PER_DAY);
  const users = [...new Set(own.map((a) => a.user))];
  const theirs: AlertSummaryRecord[] = [];
  for (let i = 0; i < users.length; i += CHUNK) for await (const page of alertSummaryPages(ch, { users: users.slice(i, i + CHUNK), from, to })) theirs.push(...page);
  const states = await statesOf(ch, [...new Set([...alertIds, ...theirs.map((a) => a.alertId)])], t);
  const alerts: StatusAlert[] = theirs.map((a) => {
    const s = states.get(a.alertId);
    return { ...a, status: s?.status ?? 'open', resolvedAt: s?.status === 'resolved' ? s.resolvedAt : null };
  });
  const caseOf = new Map<string, PagedCase>();
  for (const c of casesOf(alerts, t, opts)) for (const a of c.alerts) caseOf.set(a.alertId, c);
  return { caseOf, states };
}

/**
 * A case's page, about its newest alert (or the fresh revision `a` when it is that or worse): the case's severity is
 * its risk right after its newest alert, never below that alert's own; the window and detectors are the
 * case's; the volume is the newest alert's; the link opens the case.
 */
export function casePageOf(a: AlertRevision, c: PagedCase, s: PageSettings): AlertPage {
  const newest = c.steps[c.steps.length - 1];
  const n = c.alerts[c.alerts.length - 1];
  // The fresh revision when it is the newest alert or worse than it (a late export grew yesterday's alert).
  const about: AlertRevision = n.alertId === a.alertId || severityRank(a.severity) > severityRank(n.severity) ? a : n;
  const severity = severityRank(about.severity) > severityRank(newest.caseSeverity) ? about.severity : newest.caseSeverity;
  return {
    ...pageOf(about, s),
    severity,
    score: newest.risk,
    detectors: [...new Set(c.alerts.flatMap((x) => x.detectors))].sort(),
    windowStart: Math.min(...c.alerts.map((x) => x.windowStart)),
    windowEnd: Math.max(...c.alerts.map((x) => x.windowEnd)),
    link: caseLink(s.baseUrl, c.alerts[0].alertId),
    case: { id: c.alerts[0].alertId, alerts: c.alerts.length, firstDay: c.firstDay, lastDay: c.lastDay, risk: newest.risk },
  };
}

/** An incident on a channel: what was sent under one dedup key for some alerts. */
export interface Incident {
  channel: string;
  dedupKey: string;
  /** How it was opened: a page of its own (trigger, escalate) or a line of a digest. */
  opened: 'trigger' | 'escalate' | 'digest';
  /** A case's page (else an alert's). */
  perCase: boolean;
  /** The alerts it was sent about, with the largest volume and the worst severity sent for it. */
  sent: Map<string, { bytes: number; severity: Severity }>;
  /** The most alerts a page of it said its case had (1 for an alert's page). */
  caseAlerts: number;
  acknowledged: boolean;
  resolved: boolean;
}

/** The incidents these outbox rows make (rows of every kind, of the alerts asked about). */
export function incidentsOf(rows: ReadonlyArray<{ channel: string; dedupKey: string; kind: Kind; alertId: string; content: string }>): Incident[] {
  const byKey = new Map<string, Incident>();
  const ordered = [...rows].sort((x, y) => rank(x.kind) - rank(y.kind));
  for (const r of ordered) {
    const key = `${r.channel}|${r.dedupKey}`;
    let inc = byKey.get(key);
    if (r.kind === 'trigger' || r.kind === 'escalate' || r.kind === 'digest') {
      const page = parse(r.content);
      // A digest of re-pages is an escalation too.
      const opened = page?.escalation ? 'escalate' : r.kind;
      inc ??= { channel: r.channel, dedupKey: r.dedupKey, opened, perCase: page?.case !== undefined, sent: new Map(), caseAlerts: 0, acknowledged: false, resolved: false };
      byKey.set(key, inc);
      if (page) note(inc, page);
    } else if (inc && r.kind === 'update') {
      const page = parse(r.content);
      if (page) note(inc, page);
    } else if (inc && r.kind === 'acknowledge') inc.acknowledged = true;
    else if (inc && r.kind === 'resolve') inc.resolved = true;
  }
  return [...byKey.values()];
}

const rank = (k: Kind) => (k === 'trigger' || k === 'escalate' || k === 'digest' ? 0 : 1);

function parse(content: string): AlertPage | undefined {
  if (content === '') return undefined;
  const p = JSON.parse(content) as Partial<AlertPage>;
  return typeof p.observedBytes === 'number' && typeof p.severity === 'string' ? (p as AlertPage) : undefined;
}

function note(inc: Incident, p: AlertPage): void {
  const prev = inc.sent.get(p.alertId);
  inc.sent.set(p.alertId, {
    bytes: Math.max(prev?.bytes ?? 0, p.observedBytes),
    severity: prev && severityRank(prev.severity) >= severityRank(p.severity) ? prev.severity : p.severity,
  });
  inc.caseAlerts = Math.max(inc.caseAlerts, p.case?.alerts ?? 1);
}

/**
 * Whether this page tells an incident something new: its case has more alerts than the incident was
 * told of, its severity is worse, or its alert's volume doubled since that alert was last sent.
 */
export function grows(inc: Incident, p: AlertPage): boolean {
  const worst = Math.max(...[...inc.sent.values()].map((s) => severityRank(s.severity)));
  const sent = inc.sent.get(p.alertId);
  return (p.case?.alerts ?? 1) > inc.caseAlerts || severityRank(p.severity) > worst || (sent !== undefined && p.observedBytes >= 2 * sent.bytes);
}

const worstOf = (incs: ReadonlyArray<Incident>) => Math.max(-1, ...incs.flatMap((i) => [...i.sent.values()].map((s) => severityRank(s.severity))));

export type Plan = { kind: 'trigger' | 'update'; dedupKey: string } | null;

/**
 * What a page of `subject` (a case's name, or an alert's id) does on a channel, given the incidents the
 * channel has for it (escalations left out) and whether an alert of it is still open in triage:
 * - an incident not resolved: an update when the page tells it something new and the channel takes
 *   updates; but a page worse than anything it was told, while it is acknowledged (someone is on it at
 *   the old severity) and an alert is open, is a new page;
 * - none, or only resolved ones: a page while an alert is open (a case reopened pages anew);
 * - only lines of digests: a page when it is now worse than the digest said (a digest takes no updates).
 * A new incident is named `subject`, or `subject/<n>` after n earlier ones.
 */
export function planFor(mine: ReadonlyArray<Incident>, p: AlertPage, subject: string, o: { open: boolean; updates: boolean }): Plan {
  const own = mine.filter((i) => i.opened === 'trigger');
  const live = own.filter((i) => !i.resolved);
  const next = own.length === 0 ? subject : `${subject}/${own.length}`;
  const rank = severityRank(p.severity);
  if (live.length > 0) {
    const target = live.find((i) => !i.acknowledged) ?? live[0];
    if (target.acknowledged && o.open && rank > worstOf(live)) return { kind: 'trigger', dedupKey: next };
    return o.updates && grows(target, p) ? { kind: 'update', dedupKey: target.dedupKey } : null;
  }
  if (!o.open) return null;
  const digested = mine.filter((i) => i.opened === 'digest');
  if (own.length === 0 && digested.length > 0 && rank <= worstOf(digested)) return null;
  return { kind: 'trigger', dedupKey: next };
}

/** What an incident's alerts' triage says of it: resolve when all are resolved, acknowledge when none is open any more. */
export function settledAs(statuses: ReadonlyArray<AlertStatus>): 'resolve' | 'acknowledge' | null {
  if (statuses.length === 0) return null;
  if (statuses.every((s) => s === 'resolved')) return 'resolve';
  return statuses.every((s) => s !== 'open') ? 'acknowledge' : null;
}
