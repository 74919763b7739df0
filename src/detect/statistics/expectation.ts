// What a person's day is expected to look like, on the log scale (volumes are multiplicative: 2x is the
// same step from 10 MB as from 10 GB). Own history gives a robust location (Hodges-Lehmann) and spread
// (Rousseeuw and Croux's Qn), which one past spike cannot move; the peer group gives a prior for both,
// so that a short history leans on the peers and a long one on the person:
//
//   spread^2   = (priorDays x peerSpread^2 + (n - 1) x ownSpread^2) / (priorDays + n - 1)
//   location   = precision-weighted mean of the own location (variance ~ spread^2 / n) and the peers'
//                (variance: the spread of members' locations)
//   predictive = Student's t, scale sqrt(spread^2 + the location's own uncertainty), with the degrees
//                of freedom the spread rests on (priorDays + 0.82 (n - 1): Qn's efficiency), so that a
//                spread estimated from eight days is trusted less than one from twenty
//
// A day is judged by its predictive upper-tail probability u, as a surprise -ln u (exponential with mean
// 1 when the model is right), so that days of people with short and long histories mean the same thing;
// the organisation's pool of surprises then calibrates what the model still gets wrong (tail.ts).
//
// One more case: a person whose own history sits far outside their peer group (more than two of the
// group's spreads between members away) may have changed job since (the directory shows the new role,
// the history the old one). For them a share `mixture` of the judgement comes from the peer group: their
// day must also be unusual for the role. For everyone else the peer group only matters as the prior.
import { median } from 'simple-statistics';
import { hodgesLehmann, qn, tQuantileUpper, tUpper, upperToZ } from './distributions';

/** Efficiency of Qn relative to the standard deviation (a day of history is worth 0.82 of a clean one). */
const QN_EFFICIENCY = 0.82;
/** Variance of the Hodges-Lehmann location relative to the mean's for a normal sample. */
const LOCATION_VARIANCE = 1 / 0.95;

export interface RobustSummary {
  /** Robust location and spread of log values, and how many values. */
  location: number;
  spread: number;
  n: number;
}

/** Hodges-Lehmann location and Qn spread of `logs` (null when empty; spread 0 with a single value). */
export function robustSummary(logs: ReadonlyArray<number>): RobustSummary | null {
  if (logs.length === 0) return null;
  return { location: hodgesLehmann(logs), spread: logs.length > 1 ? qn(logs) : 0, n: logs.length };
}

/** Median absolute deviation of `values` around their median. */
function mad(values: ReadonlyArray<number>): number {
  const m = median(values as number[]);
  return median(values.map((v) => Math.abs(v - m)));
}

/**
 * A peer group as a prior: the location of members' medians, their spread between members, the typical
 * member's own spread, and how much that typical spread says about any one member (pseudo-days: members
 * whose spreads differ a lot make a weak prior).
 */
export interface PeerPrior {
  /** "Department/role" or "Department/*". */
  group: string;
  members: number;
  location: number;
  between: number;
  within: number;
  priorDays: number;
}

export interface ExpectationParams {
  /** Floor of any spread (log scale): a very regular person is not 50 spreads away by doing 2x. */
  sigmaFloor: number;
  /** At most this many pseudo-days of the peers' spread in a person's spread (fewer when members differ). */
  priorDays: number;
  /** Share of the judgement given to the peer group for a person whose history does not fit it (0: never). */
  mixture: number;
  /** Floor of the spread between members' medians. */
  betweenFloor?: number;
}

/** The members' summaries of a group -> its prior (null with fewer than `minMembers` members with `minDays` each). */
export function peerPrior(group: string, members: ReadonlyArray<RobustSummary>, opts: { minMembers: number; minDays: number; sigmaFloor: number; maxPriorDays: number; betweenFloor?: number }): PeerPrior | null {
  const usable = members.filter((m) => m.n >= opts.minDays);
  if (usable.length < opts.minMembers) return null;
  const locations = usable.map((m) => m.location);
  // Empirical Bayes for the spread: a scaled inverse chi-square prior on spread^2 has about
  // 2 / Var(log spread^2) = 1 / (2 Var(log spread)) degrees of freedom. Var(log spread) between members,
  // less what each member's own estimate contributes (about 1 / (2 x 0.82 (n - 1))).
  const logs = usable.filter((m) => m.spread > 0).map((m) => Math.log(m.spread));
  const noise = median(usable.map((m) => 1 / (2 * QN_EFFICIENCY * Math.max(1, m.n - 1))));
  const dispersion = logs.length >= 3 ? Math.max(0.005, (1.4826 * mad(logs)) ** 2 - noise) : Infinity;
  return {
    group,
    members: usable.length,
    location: median(locations),
    between: Math.max(opts.betweenFloor ?? 0.25, 1.4826 * mad(locations)),
    within: Math.max(opts.sigmaFloor, median(usable.map((m) => m.spread))),
    priorDays: Math.min(opts.maxPriorDays, Math.max(1, 1 / (2 * dispersion))),
  };
}

export interface Expectation {
  /** Predictive location, scale and degrees of freedom (Student's t) of the log statistic. */
  location: number;
  spread: number;
  df: number;
  /** The person's own days behind it and the weight of their own median in the location (0..1). */
  ownDays: number;
  ownWeight: number;
  peers: PeerPrior | null;
  /** Share of the judgement that comes from the peer group (see the file's comment), its spread and degrees of freedom. */
  mixture: number;
  peerSpread: number;
  peerDf: number;
}

/**
 * The expectation from own log values and the peer prior. `fallbackSpread` stands in for the peers'
 * spread when there is no peer group (the population's typical spread). Null with no basis at all.
 */
export function expectationOf(own: RobustSummary | null, peers: PeerPrior | null, p: ExpectationParams, fallbackSpread: number): Expectation | null {
  const n = own?.n ?? 0;
  if (n === 0 && !peers) return null;
  if (!peers && n < 3) return null;
  const priorSpread = Math.max(p.sigmaFloor, peers?.within ?? fallbackSpread);
  // At least one pseudo-day (the configuration refuses fewer): with none, a person without days of their own has no spread.
  const priorDays = Math.max(1, Math.min(p.priorDays, peers?.priorDays ?? p.priorDays));
  const ownVar = own && n > 1 ? own.spread ** 2 : priorSpread ** 2;
  const ownDf = QN_EFFICIENCY * Math.max(0, n - 1);
  const variance = Math.max(p.sigmaFloor ** 2, (priorDays * priorSpread ** 2 + ownDf * ownVar) / (priorDays + ownDf));
  const ownPrecision = n > 0 ? n / (LOCATION_VARIANCE * variance) : 0;
  const peerPrecision = peers ? 1 / peers.between ** 2 : 0;
  const precision = ownPrecision + peerPrecision;
  const location = ((own?.location ?? 0) * ownPrecision + (peers?.location ?? 0) * peerPrecision) / precision;
  const spread = Math.sqrt(variance + 1 / precision);
  let mixture = 0;
  if (peers && own && n >= 5 && p.mixture > 0) {
    // How far the person's own median sits from the group, in spreads between members: 2 -> 0, 4+ -> full.
    const distance = Math.abs(own.location - peers.location) / peers.between;
    mixture = p.mixture * Math.min(1, Math.max(0, (distance - 2) / 2));
  }
  const peerDf = peerDfOf(peers);
  return {
    location,
    spread,
    df: n > 0 || !peers ? priorDays + ownDf : peerDf,
    ownDays: n,
    ownWeight: precision > 0 ? ownPrecision / precision : 0,
    peers,
    mixture,
    peerSpread: peerSpreadOf(peers, spread),
    peerDf,
  };
}

/** An expectation's spread and degrees of freedom for the peer group's own judgement (its `spread` without a group). */
export const peerSpreadOf = (peers: PeerPrior | null, spread: number): number => (peers ? Math.sqrt(peers.between ** 2 + peers.within ** 2) : spread);
export const peerDfOf = (peers: PeerPrior | null): number => (peers ? Math.max(3, peers.members - 1) : 3);

/** Standardised excess of a log value over the expectation (in predictive scales). */
export function zOf(e: Expectation, x: number): number {
  return (x - e.location) / e.spread;
}

/** The same against the peer group alone (for the mixture). */
export function peerZOf(e: Expectation, x: number): number {
  return e.peers ? (x - e.peers.location) / e.peerSpread : zOf(e, x);
}

/** The model's probability of a day at least this large: the predictive t, mixed with the peers' for a history that does not fit. */
export function upperOf(e: Expectation, x: number): number {
  const own = tUpper(zOf(e, x), e.df);
  return e.mixture > 0 ? (1 - e.mixture) * own + e.mixture * tUpper(peerZOf(e, x), e.peerDf) : own;
}

/** The day as a normal score of its model probability: comparable across people and history lengths. */
export function zEffOf(e: Expectation, x: number): number {
  return upperToZ(upperOf(e, x));
}

/**
 * The day's surprise under the model, -ln P(a day at least this large): exponentially distributed with
 * mean 1 when the model is right, whoever the person and however long their history. The organisation's
 * pool of surprises calibrates it (tail.ts): an exponential tail there means the model is right.
 */
export function surpriseOf(e: Expectation, x: number): number {
  const u = upperOf(e, x);
  return u > 0 ? -Math.log(u) : 700;
}

/** The rate of a log value: how often ordinary user-days are at least this unusual (the calibrated tail of the surprise). */
export function rateOf(e: Expectation, x: number, tail: { rate(w: number): number }): number {
  return tail.rate(surpriseOf(e, x));
}

/** The smallest log value whose rate is at most `target` (rate decreases with x). */
export function thresholdOf(e: Expectation, target: number, tail: { rate(w: number): number; threshold(rate: number): number }): number {
  return logValueForUpper(e, Math.exp(-tail.threshold(target)));
}

/** The log value whose model probability of being reached is `u` (upperOf decreases with x). */
export function logValueForUpper(e: Expectation, u: number): number {
  if (!(u > 0)) return Infinity;
  if (u >= 1) return -Infinity;
  const plain = e.location + e.spread * tQuantileUpper(u, e.df);
  if (e.mixture === 0) return plain;
  // With the mixture: bisection on x (the mixture's probability is at least (1 - mixture) x the own part).
  let lo = e.location - 50 * e.spread;
  let hi = Math.max(plain, e.location + e.spread);
  while (upperOf(e, hi) > u && hi - e.location < 1000) hi += Math.max(1, hi - e.location);
  for (let i = 0; i < 80 && hi - lo > 1e-7; i++) {
    const mid = (lo + hi) / 2;
    if (upperOf(e, mid) > u) lo = mid;
    else hi = mid;
  }
  return hi;
}
