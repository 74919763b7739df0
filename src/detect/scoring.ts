// One score per alert, with a meaning a team can reason about: how rare such a day is among ordinary
// user-days. An anomaly finding's rate is the share of ordinary user-days at least that unusual on its
// statistic (calibrated on the organisation's own recent days, statistics/tail.ts). A day is judged on
// several statistics, so that rate is turned into the rate at which ordinary days are this unusual on
// *any* of them: the calibrated tail of each pooled day's most surprising statistic (history.ts), which
// knows how much the statistics go together (without a pool: four times the rate, Bonferroni). People on
// the watchlist (leaving) are judged `watch` times more strictly. The score is 10 log10(1 / rate): 30 = 1 in 1,000 user-days,
// 40 = 1 in 10,000, 53 = 1 in 200,000. Severity follows from the floors of `detection.scoring`, given in
// expected ordinary user-days per 1,000, so a floor is directly an alert budget: 0.1 per 1,000 user-days
// is about one alert a day for 10,000 employees. Policy findings score the floor of the severity their
// policy gives them. The alert's score is the highest finding's.
import type { Severity } from '../alerts';
import type { ScoringConfig } from '../config';
import type { Finding } from './detectors';
import { rateOfScore, scoreOfRate, type TailModel } from './statistics/tail';

export interface Scoring {
  /** Scores of the floors: an alert is raised from `alert`; medium, high and critical from theirs. */
  floors: { alert: number; medium: number; high: number; critical: number };
  /** Rate of a day at least this surprising on any statistic, from a surprise (-ln of one statistic's rate). */
  combined: Pick<TailModel, 'rate' | 'threshold'>;
  /** Watchlist factor of the person today (1: not watched). */
  watch: number;
}

/**
 * Scores are whole decibans (the alerts table stores them as integers): a day's score is the integer part
 * of 10 log10(1 / rate), a floor's is rounded, so that a stored score is at or above a floor exactly when
 * the day reached it.
 */
const whole = (x: number) => Math.floor(x + 1e-9);

/** A floor in expected ordinary user-days per 1,000 as a score (3 -> 25, 0.1 -> 40, 0.005 -> 53). */
export function floorScore(per1000: number): number {
  return Math.round(scoreOfRate(per1000 / 1000));
}

/** The configured floors as scores. */
export function floorsOf(config: ScoringConfig): Scoring['floors'] {
  const score = floorScore;
  return { alert: score(config.alertFloor), medium: score(config.medium), high: score(config.high), critical: score(config.critical) };
}

export function scoringFor(config: ScoringConfig, opts: { combined: Scoring['combined']; watch: number }): Scoring {
  return {
    floors: floorsOf(config),
    combined: opts.combined,
    watch: Math.max(1, opts.watch),
  };
}

/** The rate of a day this unusual on one statistic with rate `rate`, for this person (combined, watchlist). */
export function anomalyRate(rate: number, s: Scoring): number {
  return Math.min(1, s.combined.rate(-Math.log(Math.max(rate, 1e-300))) / s.watch);
}

/** The rate of one statistic at which it has something to report (the alert floor, for this person). */
export function findingFloorRate(s: Scoring): number {
  return Math.exp(-s.combined.threshold(Math.min(1, rateOfScore(s.floors.alert) * s.watch)));
}

/** A finding's score: an anomaly's combined rate, a policy's severity floor. */
export function findingScore(f: Finding, s: Scoring): number {
  if (f.kind === 'anomaly' && f.rate !== undefined) return scoreOfRate(anomalyRate(f.rate, s));
  if (f.kind === 'policy') {
    switch (f.severity) {
      case 'low':
        return s.floors.alert;
      case 'medium':
        return Math.max(s.floors.alert, s.floors.medium);
      case 'high':
        return Math.max(s.floors.alert, s.floors.high);
      case 'critical':
        return Math.max(s.floors.alert, s.floors.critical);
      default:
        return 0;
    }
  }
  return 0;
}

/** The alert's score (0-100, whole decibans): its highest finding's. */
export function scoreOf(findings: ReadonlyArray<Finding>, s: Scoring): number {
  return whole(findings.reduce((m, f) => Math.max(m, findingScore(f, s)), 0));
}

export function severityOf(score: number, s: Pick<Scoring, 'floors'>): Severity {
  if (score >= s.floors.critical) return 'critical';
  if (score >= s.floors.high) return 'high';
  if (score >= s.floors.medium) return 'medium';
  return 'low';
}

/** Whether the findings raise an alert: one that raises scores at or above the alert floor. */
export function raisesAlert(findings: ReadonlyArray<Finding>, s: Scoring): boolean {
  return findings.some((f) => f.raises && whole(findingScore(f, s)) >= s.floors.alert);
}

/** "1 in 35,000" for a rate per user-day (two significant digits). */
export function oneIn(rate: number): string {
  const n = 1 / Math.max(rate, 1e-12);
  if (n >= 1e9) return `1 in ${Number((n / 1e9).toPrecision(2))} billion`;
  if (n >= 1e6) return `1 in ${Number((n / 1e6).toPrecision(2))} million`;
  return `1 in ${Number(n.toPrecision(2)).toLocaleString('en-US')}`;
}
