// The alerts a candidate alert floor would have raised, from one replay. The replay runs the engine with
// the most permissive candidate floor and revises every alert whenever its score grows by SCORE_STEP
// (EngineOptions.scoreStep), so each alert's score path is recorded. Raising an alert is monotone in the
// floor: under floor F an alert exists iff its path reaches F, and it fires at the first revision that
// does; its severity is the highest its path reached (the severity mapping does not depend on the floor).
// Pure: the replay and the stored resolutions come from replay.ts.
import type { AlertRecord } from '../alerts';
import { SEVERITIES, severityRank, type Severity } from '../alerts/types';
import { MS_PER_DAY } from '../calendar';
import { rateOfScore, scoreOfRate } from '../detect/statistics/tail';

/** Score resolution of the recorded paths. */
export const SCORE_STEP = 0.5;

/** Alert floors tried by default, in expected ordinary user-days per 1,000 (the unit of detection.scoring). */
export const DEFAULT_FLOORS: ReadonlyArray<number> = [0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 3, 5, 10];

export interface CandidateAlert {
  alertId: string;
  user: string;
  /** UTC day of the alert (day number). */
  day: number;
  windowStart: number;
  windowEnd: number;
  /** Event time of the first revision at or above the floor. */
  firedAt: number;
  severity: Severity;
  score: number;
  detectors: string[];
}

/** The floor's score (what alerts must reach): 10 log10(1,000 / per1000), rounded like scores are. */
export function floorScore(per1000: number): number {
  return Math.round(scoreOfRate(per1000 / 1000) * 10) / 10;
}

export function per1000OfScore(score: number): number {
  return rateOfScore(score) * 1000;
}

/** Every revision of a replay -> the alerts at `floor` (score), one per alert id. */
export function alertsAtFloor(revisions: ReadonlyArray<AlertRecord>, floor: number): CandidateAlert[] {
  const byId = new Map<string, AlertRecord[]>();
  for (const r of revisions) {
    let list = byId.get(r.alertId);
    if (!list) byId.set(r.alertId, (list = []));
    list.push(r);
  }
  const out: CandidateAlert[] = [];
  for (const list of byId.values()) {
    list.sort((a, b) => a.revision - b.revision);
    const first = list.find((r) => r.score >= floor);
    if (!first) continue;
    const last = list[list.length - 1];
    const severity = list.reduce<Severity>((s, r) => (severityRank(r.severity) > severityRank(s) ? r.severity : s), first.severity);
    out.push({
      alertId: first.alertId,
      user: first.user,
      day: Math.floor((last.windowEnd - 1) / MS_PER_DAY),
      windowStart: last.windowStart,
      windowEnd: last.windowEnd,
      firedAt: first.lastEventAt,
      severity,
      score: last.score,
      detectors: last.detectors,
    });
  }
  return out.sort((a, b) => a.firedAt - b.firedAt || (a.alertId < b.alertId ? -1 : 1));
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
  perDepartment: Record<string, number>;
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
