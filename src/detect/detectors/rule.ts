// What every detector implements. `prepare` runs once per employee and day, when their first event of
// the day arrives: it works out today's thresholds from the person's profile and the organisation's
// calibration (or says the detector does not judge this person today). The function it returns runs
// after every event and reports a finding as soon as the running totals cross a threshold.
//
// Two kinds of finding. An anomaly says how rare the day is for this person: `rate`, the estimated share
// of ordinary user-days at least this unusual on that statistic. A policy finding says an absolute limit
// was passed, with the severity the policy gives it. A watchlist finding (people leaving) only explains
// why the anomalies of that person are judged more strictly.
import type { Severity } from '../../alerts';
import type { DetectorName, DetectorSettings, PolicySeverity } from '../../config';
import type { DayState } from '../day-state';
import { formatBytes, formatPercent } from '../../format';
import type { DayHistory, Known, Profile, Routine } from '../history';
import type { Person } from '../people';
import type { Scoring } from '../scoring';

export interface RuleContext {
  /** The user judged, as the events name them. */
  user: string;
  day: number;
  person: Person;
  settings: DetectorSettings;
  profile: Profile;
  known: Known;
  history: DayHistory;
  scoring: Scoring;
  /** Sensitive tables first touched in the days before today (the first-access window), not part of the role. */
  recentSensitive: ReadonlyArray<string>;
  /** Sensitive tables the person's peer group reads (not a first access when the person reads them). */
  peerTables: ReadonlySet<string>;
  /** Active days of own history before first access is judged. */
  minHistoryDays: number;
  /** The highest severity a user's drip detector's run (by its first day) was already raised at, or null. */
  dripReported(user: string, detector: DetectorName, runStart: number): Severity | null;
  /** The share of a role's (or the person's) days over a limit that makes it routine for them... */
  routineShare: number;
  /** ... or the probability of a day over it by the person's own expectation. */
  routineRate: number;
}

export type FindingKind = 'anomaly' | 'policy' | 'watchlist';

export interface Finding {
  detector: DetectorName;
  kind: FindingKind;
  /** The figure judged (bytes, a count of tables, a CUSUM level) and the threshold it crossed. */
  observed: number;
  threshold: number;
  /** The usual figure it was compared with, in bytes (expected day, busiest hour...), and observed / it. */
  reference: number | null;
  multiple: number | null;
  /** Anomaly: the share of ordinary user-days at least this unusual on this statistic alone. */
  rate?: number;
  /** Policy: the severity the policy gives (after the routine rule); "none" never raises an alert. */
  severity?: Severity | PolicySeverity;
  /** false: kept with an alert raised by another finding, never raises one (a drip already reported in its run). */
  raises: boolean;
  /** Part of the explanation, in numbers: "1 in 35,000 days for them: 2.1 GB, expected 240 MB (8.7x)". */
  clause: string;
  /** A detector about several days (slow drip): the first day of its window. */
  sinceDay?: number;
  /** Extra figures for the alert's findings record. */
  details?: Record<string, number | string | string[]>;
}

export type Check = (s: DayState) => Finding | null;

export interface Rule {
  name: DetectorName;
  prepare(ctx: RuleContext): Check | null;
}

/** The usual daily volume of a person, for explanations: their expected day, or null. */
export function usualDaily(ctx: Pick<RuleContext, 'profile'>): { bytes: number; label: string } | null {
  const e = ctx.profile.volume;
  if (!e || ctx.profile.usualDay === null) return null;
  const label = e.ownWeight >= 0.5 ? 'expected day' : `expected day (mostly ${e.peers?.group ?? 'peers'})`;
  return { bytes: ctx.profile.usualDay, label };
}

/** A policy severity capped at low (while it cannot be known whether the limit is routine for the person). */
export function atMostLow(s: PolicySeverity): PolicySeverity {
  return s === 'none' ? 'none' : 'low';
}

/**
 * Whether a policy limit is routine for the person on a day of `observed` bytes: by their group's typical
 * member, their own days or their own expectation, and only up to the routine range (Routine.cap): a
 * volume far beyond what the role and the person do is never exempted. With the clause that says which.
 */
export function routineVerdict(routine: Routine, observed: number, ctx: Pick<RuleContext, 'routineShare' | 'routineRate'>): { routine: boolean; clause: string } {
  const basis = routine.share >= ctx.routineShare || routine.own >= ctx.routineShare || routine.probability >= ctx.routineRate;
  if (!basis) return { routine: false, clause: '' };
  if (observed > routine.cap) return { routine: false, clause: `beyond the routine range for them (up to ${formatBytes(routine.cap)})` };
  const groupWins = routine.share >= Math.max(routine.own, routine.probability);
  return { routine: true, clause: `routine for them: ${formatPercent(Math.max(routine.share, routine.own, routine.probability))} of ${groupWins ? `${routine.group}'s` : 'their'} days` };
}

/** The routine figures kept in a policy finding's details. */
export function routineDetails(routine: Routine, isRoutine: boolean): Record<string, number | string> {
  return { routine: isRoutine ? 'yes' : 'no', groupShare: Number(routine.share.toFixed(3)), ownShare: Number(routine.own.toFixed(3)), ownProbability: Number(routine.probability.toPrecision(2)), routineCap: Math.round(routine.cap) };
}
