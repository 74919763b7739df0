// A case explained as a timeline: on which days what happened, with the numbers, and how the case's risk
// grew with each alert. Pure; the text is what the CLI prints and what a case page will show.
import type { AlertRecord, Severity } from '../alerts';
import { dateString, dayOf } from '../calendar';
import type { Config } from '../config';
import { floorsOf } from '../detect';
import { formatBytes, formatMultiple } from '../format';
import { groupIntoCases, type EpisodeOptions, type Resolution } from './episodes';
import { riskAt, riskSeverity, type RiskOptions } from './risk';

export interface TimelineOptions extends EpisodeOptions, RiskOptions {
  /** Scores of the floors (floorsOf(detection.scoring)); an alert floor too, for alerts scored without one. */
  floors: { alert: number; medium: number; high: number; critical: number };
  /** An alert stored after every alert of its case was resolved: a case of its own (new), or the case again (reopen). */
  afterResolution: 'new' | 'reopen';
}

/** The configured cases settings with the scoring floors their severities are read on. */
export function caseOptions(config: Pick<Config, 'cases' | 'detection'>): TimelineOptions {
  return { ...config.cases, floors: floorsOf(config.detection.scoring) };
}

export interface TimelineStep {
  alertId: string;
  /** The days the alert is about, YYYY-MM-DD (equal for a one-day alert). */
  firstDay: string;
  lastDay: string;
  severity: Severity;
  score: number;
  observedBytes: number;
  /** observedBytes / the person's usual day; 0 when there is no baseline. */
  ratio: number;
  detectors: string[];
  /** Absent when the case was made from summaries. */
  explanation?: string;
  /** The case's risk right after this alert fired, and its severity. */
  risk: number;
  caseSeverity: Severity;
}

export interface CaseSummary<T extends CaseAlert = CaseAlert> {
  user: string;
  /** The case's alerts as given, in the order they fired. */
  alerts: T[];
  firstDay: string;
  lastDay: string;
  /** Highest risk reached, right after one of its alerts, and that severity. */
  peakRisk: number;
  peakSeverity: Severity;
  /** The risk at `now` (decayed since the last alert), and its severity. */
  risk: number;
  severity: Severity;
  steps: TimelineStep[];
}

/** What a case needs of an alert: a stored alert, or a summary of one without its explanation (a list). */
export type CaseAlert = Pick<AlertRecord, 'alertId' | 'user' | 'windowStart' | 'windowEnd' | 'firedAt' | 'score' | 'severity' | 'observedBytes' | 'ratio' | 'detectors' | 'createdAtWall'> & {
  explanation?: string;
  /** When its triage resolved it (wall time), null while it is not resolved. */
  resolvedAt: number | null;
};

/**
 * An alert first stored after every alert of its case was resolved opens a new case; one resolved itself
 * never does (a later revision of a resolved alert, a backfill already judged). Times are wall clocks:
 * the latest resolution of each alert, the alert's first storage (whole seconds).
 */
export const afterResolution: Resolution<CaseAlert> = {
  storedAt: (a) => a.createdAtWall,
  startsNew: (open, next) => next.resolvedAt === null && open.every((a) => a.resolvedAt !== null && a.resolvedAt <= next.createdAtWall),
};

/** The span of days an alert is about: its window's first and last UTC day. */
export const alertSpan = (a: Pick<CaseAlert, 'windowStart' | 'windowEnd'>) => ({ first: dayOf(a.windowStart), last: dayOf(a.windowEnd - 1) });

/** The cases of a set of alerts (latest revision each), each with its timeline and its risk at `now`. */
export function casesOf<T extends CaseAlert>(alerts: ReadonlyArray<T>, now: number, opts: TimelineOptions): Array<CaseSummary<T>> {
  return groupIntoCases<T>(alerts, alertSpan, opts, opts.afterResolution === 'new' ? afterResolution : undefined).map((c) => {
    const byTime = [...c.alerts].sort((x, y) => x.firedAt - y.firedAt || (x.alertId < y.alertId ? -1 : 1));
    const contributions = byTime.map((a) => ({ score: a.score, at: a.firedAt }));
    const steps = byTime.map((a): TimelineStep => {
      const span = alertSpan(a);
      const risk = riskAt(contributions, a.firedAt, opts);
      return {
        alertId: a.alertId,
        firstDay: dateString(span.first),
        lastDay: dateString(span.last),
        severity: a.severity,
        score: a.score,
        observedBytes: a.observedBytes,
        ratio: a.ratio,
        detectors: a.detectors,
        ...(a.explanation === undefined ? {} : { explanation: a.explanation }),
        risk,
        caseSeverity: riskSeverity(risk, opts.floors),
      };
    });
    const peak = steps.reduce((m, s) => Math.max(m, s.risk), 0);
    const risk = riskAt(contributions, now, opts);
    return {
      user: c.user,
      alerts: byTime,
      firstDay: dateString(c.firstDay),
      lastDay: dateString(c.lastDay),
      peakRisk: peak,
      peakSeverity: riskSeverity(peak, opts.floors),
      risk,
      severity: riskSeverity(risk, opts.floors),
      steps,
    };
  });
}

/**
 * One line per alert, "2026-09-08  medium 41  2.1 GB, 6.5x usual  [volumeSelf]  case risk 41.0 (medium)"
 * (with the alert's triage status before the risk when given), then its explanation when there is one.
 */
export function timelineLines(steps: ReadonlyArray<TimelineStep & { status?: string }>): string[] {
  return steps.flatMap((s) => {
    const days = s.firstDay === s.lastDay ? s.firstDay : `${s.firstDay} .. ${s.lastDay}`;
    const volume = s.ratio > 0 ? `${formatBytes(s.observedBytes)}, ${formatMultiple(s.ratio)} usual` : formatBytes(s.observedBytes);
    const status = s.status === undefined ? '' : `  ${s.status}`;
    const line = `${days}  ${s.severity} ${s.score}  ${volume}  [${s.detectors.join(', ')}]${status}  case risk ${s.risk.toFixed(1)} (${s.caseSeverity})`;
    return s.explanation === undefined ? [line] : [line, `    ${s.explanation}`];
  });
}
