// What a page says: the minimum a responder needs to decide to get up, and nothing about the data that
// was taken. A page carries the alert id, the employee as configured (pseudonym, id or nothing), the
// severity, the volume and how unusual it is, the detectors, the window and a link to the alert. Never the
// explanation text, table names, client addresses, sessions or queries: those stay behind the link, where
// reading them is authenticated and audited.
import type { Severity } from '../alerts';
import { formatBytes, formatMultiple } from '../format';

export const KINDS = ['trigger', 'update', 'acknowledge', 'resolve', 'escalate', 'digest', 'test'] as const;
export type Kind = (typeof KINDS)[number];

/** Kinds that wake someone up and count against a channel's page budget (an update adds to an incident already paged). */
export function isPage(kind: Kind): boolean {
  return kind === 'trigger' || kind === 'escalate' || kind === 'digest' || kind === 'test';
}

/** One alert as pages show it; a case's page is its newest alert's, with the case around it. */
export interface AlertPage {
  /** The alert this page is about (a case's page: the alert that made it page or grow). */
  alertId: string;
  revision: number;
  /** Pseudonym, user id, or "" when pages name nobody. */
  who: string;
  severity: Severity;
  score: number;
  observedBytes: number;
  /** Multiple of the usual volume; 0 when there is no baseline. */
  ratio: number;
  detectors: string[];
  windowStart: number;
  windowEnd: number;
  firedAt: number;
  link: string;
  /** Set on the re-page of an alert still unacknowledged. */
  escalation?: { afterMs: number };
  /**
   * Set when the page is a case's (routes with pageBy: case): then severity and score are the case's
   * (its accumulated risk), detectors and window span the case, and the link opens the case.
   */
  case?: CaseOfPage;
}

export interface CaseOfPage {
  /** The case's name: the id of the alert that opened it. */
  id: string;
  alerts: number;
  firstDay: string;
  lastDay: string;
  risk: number;
}

/** The fields of an alert revision the notifier reads (no explanation, no evidence). */
export interface AlertRevision {
  alertId: string;
  revision: number;
  user: string;
  severity: Severity;
  score: number;
  detectors: string[];
  observedBytes: number;
  ratio: number;
  windowStart: number;
  windowEnd: number;
  firedAt: number;
  updatedAtWall: number;
}

export interface PageSettings {
  /** The employee as pages name them. */
  who: (user: string) => string;
  /** Base URL of the dashboard / API, without a trailing slash. */
  baseUrl: string;
}

/**
 * The dashboard's page of an alert: <base>/#/alerts/<id>. The dashboard routes in the fragment (web/src/
 * router.ts), so the server is asked only for its shell, which needs no token; the page then reads the
 * alert with the analyst's token (audited). "/alerts/<id>" without the "#" is no page at all.
 */
export function alertLink(baseUrl: string, alertId: string): string {
  return `${dashboardUrl(baseUrl)}#/alerts/${encodeURIComponent(alertId)}`;
}

/** The dashboard's page of a case: <base>/#/cases/<id of the alert that opened it>. */
export function caseLink(baseUrl: string, caseId: string): string {
  return `${dashboardUrl(baseUrl)}#/cases/${encodeURIComponent(caseId)}`;
}

/** The dashboard's alert queue: <base>/#/alerts. */
export function alertsLink(baseUrl: string): string {
  return `${dashboardUrl(baseUrl)}#/alerts`;
}

function dashboardUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/`;
}

export function pageOf(a: AlertRevision, s: PageSettings): AlertPage {
  return {
    alertId: a.alertId,
    revision: a.revision,
    who: s.who(a.user),
    severity: a.severity,
    score: a.score,
    observedBytes: a.observedBytes,
    ratio: a.ratio,
    detectors: [...a.detectors],
    windowStart: a.windowStart,
    windowEnd: a.windowEnd,
    firedAt: a.firedAt,
    link: alertLink(s.baseUrl, a.alertId),
  };
}

/**
 * "CRITICAL insider alert: emp-3fa9c2d1e0 took 20.4 GB (425x usual) [exportRate, volumeSelf]"; a case of
 * several alerts: "HIGH insider case: emp-3fa9c2d1e0 took 2.1 GB (6.5x usual), 3 alerts 2026-09-08 ..
 * 2026-09-12, risk 61 [slowDrip, volumeSelf]" (the volume is the newest alert's).
 */
export function summaryOf(p: AlertPage): string {
  const who = p.who === '' ? (p.case ? `case ${p.case.id}` : `alert ${p.alertId}`) : p.who;
  const ratio = p.ratio > 0 ? ` (${formatMultiple(p.ratio)} usual)` : '';
  const re = p.escalation ? 'STILL UNACKNOWLEDGED: ' : '';
  if (p.case && p.case.alerts > 1) {
    const days = p.case.firstDay === p.case.lastDay ? p.case.firstDay : `${p.case.firstDay} .. ${p.case.lastDay}`;
    return `${re}${p.severity.toUpperCase()} insider case: ${who} took ${formatBytes(p.observedBytes)}${ratio}, ${p.case.alerts} alerts ${days}, risk ${Math.floor(p.case.risk)} [${p.detectors.join(', ')}]`;
  }
  return `${re}${p.severity.toUpperCase()} insider alert: ${who} took ${formatBytes(p.observedBytes)}${ratio} [${p.detectors.join(', ')}]`;
}

/** The incident a page opens: the case it is about, or its alert. */
export function incidentOf(p: Pick<AlertPage, 'alertId' | 'case'>): string {
  return p.case?.id ?? p.alertId;
}

/** A digest: many alerts of a storm in one page, every one of them listed. */
export interface DigestPage {
  digestId: string;
  alerts: AlertPage[];
  /** Link to the alert list. */
  link: string;
}

export function digestCounts(alerts: ReadonlyArray<AlertPage>): Record<Severity, number> {
  const counts: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0 };
  for (const a of alerts) counts[a.severity]++;
  return counts;
}

export function worstSeverity(alerts: ReadonlyArray<AlertPage>): Severity {
  const order: Severity[] = ['critical', 'high', 'medium', 'low'];
  return order.find((s) => alerts.some((a) => a.severity === s)) ?? 'low';
}

/** "Alert storm: 96 insider alerts (3 critical, 12 high, 81 medium)" */
export function digestSummary(d: DigestPage): string {
  const c = digestCounts(d.alerts);
  const parts = (['critical', 'high', 'medium', 'low'] as const).filter((s) => c[s] > 0).map((s) => `${c[s]} ${s}`);
  return `Alert storm: ${d.alerts.length} insider alert${d.alerts.length === 1 ? '' : 's'} (${parts.join(', ')})`;
}

/** Alerts of a digest, worst first. */
export function sortedForDigest(alerts: ReadonlyArray<AlertPage>): AlertPage[] {
  const rank = { critical: 0, high: 1, medium: 2, low: 3 } as const;
  return [...alerts].sort((a, b) => rank[a.severity] - rank[b.severity] || b.observedBytes - a.observedBytes || (a.alertId < b.alertId ? -1 : 1));
}

/** What one delivery carries to a channel. */
export type Message =
  | { kind: 'trigger' | 'escalate' | 'update'; dedupKey: string; alert: AlertPage }
  | { kind: 'acknowledge' | 'resolve'; dedupKey: string; alertId: string; link: string }
  | { kind: 'digest'; dedupKey: string; digest: DigestPage }
  | { kind: 'test'; dedupKey: string; link: string };
