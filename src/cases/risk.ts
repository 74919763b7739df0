// A case's accumulated risk: several medium days make a high case, one old medium day fades.
//
// An alert's score is in decibans of rarity (src/detect/scoring.ts: 40 = one ordinary user-day in
// 10,000). At time t, each alert of the case that happened by then contributes its score halved every
// `halfLifeDays`:
//
//     c_i(t) = score_i * 2^(-(t - t_i) / halfLife)
//
// and the contributions, largest first, are summed with weights 1/k^1.5 (the weighting of Elastic's entity
// risk scoring):
//
//     risk(t) = c_(1) + c_(2) / 2^1.5 + c_(3) / 3^1.5 + ...
//
// So one alert alone is its own score, the strongest alert always counts in full, each further alert adds
// less, and no number of alerts goes beyond 2.61 (zeta(1.5)) times the strongest: a long run of low days
// becomes medium or high, and critical only when they sit near the medium floor (39 every day for two
// weeks: 69). Days are not independent evidence (a person with an unusual
// project has several unusual days), which is why the further alerts count less than the product of
// their rarities would say. The case's severity is the risk read against the same floors as an alert's
// score (detection.scoring): three medium days in a row (40 each) give 59, high; a medium day (40)
// fourteen days ago gives 10, below any floor.
import type { Severity } from '../alerts';
import { MS_PER_DAY } from '../calendar';
import { severityOf } from '../detect';
import { InternalError } from '../errors';

export interface RiskOptions {
  /** Days after which an alert's contribution is half of its score. */
  halfLifeDays: number;
}

export interface Contribution {
  /** The alert's score (decibans). */
  score: number;
  /** When it happened, ms: the contribution counts from then and decays after. */
  at: number;
}

const weight = (k: number) => 1 / Math.pow(k, 1.5);

/**
 * The case's risk at time `now` from its alerts (those after `now` do not count yet), to one decimal,
 * rounded down as alert scores are: a risk shown as 52.9 is below a floor of 53, and is read as such.
 */
export function riskAt(alerts: ReadonlyArray<Contribution>, now: number, opts: RiskOptions): number {
  if (!(opts.halfLifeDays > 0)) throw new InternalError(`halfLifeDays must be positive, got ${opts.halfLifeDays}`);
  const halfLife = opts.halfLifeDays * MS_PER_DAY;
  const c = alerts.filter((a) => a.at <= now).map((a) => Math.max(0, a.score) * Math.pow(2, -(now - a.at) / halfLife));
  c.sort((x, y) => y - x);
  return Math.floor(c.reduce((sum, v, i) => sum + v * weight(i + 1), 0) * 10 + 1e-9) / 10;
}

/** The risk right after each alert, in time order: the case's timeline. Between alerts risk only decays. */
export function riskSteps(alerts: ReadonlyArray<Contribution>, opts: RiskOptions): Array<{ at: number; risk: number }> {
  const times = [...new Set(alerts.map((a) => a.at))].sort((x, y) => x - y);
  return times.map((at) => ({ at, risk: riskAt(alerts, at, opts) }));
}

/** The highest risk the case reached (right after one of its alerts). */
export function peakRisk(alerts: ReadonlyArray<Contribution>, opts: RiskOptions): number {
  return riskSteps(alerts, opts).reduce((m, s) => Math.max(m, s.risk), 0);
}

/** A risk as a severity, on the floors alerts are scored with (scores of detection.scoring, floorsOf). */
export function riskSeverity(risk: number, floors: { medium: number; high: number; critical: number }): Severity {
  return severityOf(risk, { floors: { alert: 0, ...floors } });
}
