// A candidate alert floor's alerts, summarised: alerts per day in all, per severity and per department,
// the busiest day; and the budget rule. Pure: the alerts come from replay.ts (one engine per candidate,
// all in one pass over the stored events).
import { type AlertRecord, SEVERITIES, type Severity } from '../alerts';
import { dateString, MS_PER_DAY } from '../calendar';
import { floorScore } from '../detect';

/** Alert floors tried by default, in expected ordinary user-days per 1,000 (the unit of detection.scoring). */
export const DEFAULT_FLOORS: ReadonlyArray<number> = [0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 3, 5, 10];

/** What tuning needs of an alert a candidate raised (its latest revision). */
export interface CandidateAlert {
  alertId: string;
  user: string;
  /** UTC day of the alert (day number). */
  day: number;
  windowStart: number;
  windowEnd: number;
  firedAt: number;
  severity: Severity;
  score: number;
  detectors: string[];
}

export function candidateAlertOf(a: AlertRecord): CandidateAlert {
  return { alertId: a.alertId, user: a.user, day: Math.floor((a.windowEnd - 1) / MS_PER_DAY), windowStart: a.windowStart, windowEnd: a.windowEnd, firedAt: a.firedAt, severity: a.severity, score: a.score, detectors: a.detectors };
}

export interface CandidateSummary {
  /** The candidate: its floor in per 1,000 user-days and as a score. */
  alertFloor: number;
  floorScore: number;
  alerts: number;
  /** Mean alerts per day over the replayed days, in all and per severity. */
  perDay: number;
  perDaySeverity: Record<Severity, number>;
  /** The busiest day's alerts (what a team sees on a bad day). */
  maxPerDay: number;
  /** Alerts raised per department over the period (divide by the days for a rate). */
  perDepartment: Record<string, number>;
  /** Alerts per UTC day that raised any (YYYY-MM-DD). */
  byDay: Record<string, number>;
}

export function summarise(alerts: ReadonlyArray<CandidateAlert>, opts: { alertFloor: number; days: number; departmentOf: (user: string) => string }): CandidateSummary {
  const perSeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const perDepartment: Record<string, number> = {};
  const perDay = new Map<number, number>();
  for (const a of alerts) {
    perSeverity[a.severity]++;
    const dept = opts.departmentOf(a.user) || '(not in the directory)';
    perDepartment[dept] = (perDepartment[dept] ?? 0) + 1;
    perDay.set(a.day, (perDay.get(a.day) ?? 0) + 1);
  }
  const days = Math.max(1, opts.days);
  return {
    alertFloor: opts.alertFloor,
    floorScore: floorScore(opts.alertFloor),
    alerts: alerts.length,
    perDay: alerts.length / days,
    perDaySeverity: Object.fromEntries(SEVERITIES.map((s) => [s, perSeverity[s] / days])) as Record<Severity, number>,
    maxPerDay: Math.max(0, ...perDay.values()),
    perDepartment,
    byDay: Object.fromEntries([...perDay].sort((a, b) => a[0] - b[0]).map(([d, n]) => [dateString(d), n])),
  };
}

/**
 * The most sensitive candidate whose mean alerts per day stay within `budget` (ties: the one that catches
 * the most, then the more sensitive). Null when even the strictest candidate exceeds the budget.
 */
export function withinBudget<T extends { summary: CandidateSummary; catches: number }>(candidates: ReadonlyArray<T>, budget: number): T | null {
  const fitting = candidates.filter((c) => c.summary.perDay <= budget);
  if (fitting.length === 0) return null;
  return [...fitting].sort((a, b) => b.catches - a.catches || b.summary.alertFloor - a.summary.alertFloor)[0];
}
