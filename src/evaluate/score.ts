// Scoring a detector's alerts against the simulator's labelled scenarios. Pure: no I/O, no clock.
//
// Matching. An alert matches a scenario when
//   - its user is the scenario's user (or, for a department-wide scenario, any of its users),
//   - its window [windowStart, windowEnd) overlaps the scenario's [start, end] (first and last event), and
//   - it fired (firedAt, event time) no earlier than the scenario's start and no later than the end of the
//     UTC day of the scenario's last event: a daily batch job that flags the day at midnight counts, a
//     report a week later does not. An alert that fired before the first event cannot have been about it.
//
// Counting. Alerts are counted per user-day: the user and the UTC day of the last instant of the alert's
// window (windowEnd - 1 ms). A detector that fires three times for one user on one day has raised one
// alert user-day; that is what an analyst triages. A user-day is a true alert when any of its alerts
// matches a malicious scenario, otherwise a false alert: alerts on benign look-alikes are false alerts
// (attributed to the benign scenario they match), as are alerts that match no scenario (unlabelled).
//
// Metrics, per detector:
//   recall     = malicious scenarios detected / malicious scenarios
//   precision  = true alert user-days / all alert user-days (null when the detector raised no alert)
//   false alerts per 1,000 user-days = false alert user-days * 1000 / (users * days), where users are the
//                users with at least one event in the period and days the days of the period: the
//                population a daily detector judges, quiet days included.
import { severityRank, type EvalAlert, type Severity } from './detector';
import { dayNumber, MS_PER_DAY } from './daily-volume';
import { EvaluationError } from '../errors';

/** What scoring needs of a labelled scenario (a subset of labels.json's scenarios). */
export interface LabelledScenario {
  id: string;
  kind: string;
  expected: 'malicious' | 'benign';
  /** The one user involved, or null for a department-wide scenario. */
  user: string | null;
  users: ReadonlyArray<string>;
  department?: string;
  /** First and last event, ISO-8601. */
  start: string;
  end: string;
}

export interface Population {
  /** Users with at least one event in the period. */
  users: number;
  /** Days in the period. */
  days: number;
}

export interface ScenarioResult {
  scenario: string;
  detected: boolean;
  /** The highest severity of the matching alerts. */
  severity: Severity | null;
  /** firedAt of the first matching alert, ISO-8601. */
  firstAlertAt: string | null;
  /** firstAlertAt - scenario start, in ms (never negative). */
  timeToFirstAlertMs: number | null;
  /** Whether the first matching alert fired no later than the scenario's last event. */
  firedBeforeEnd: boolean | null;
  /** Matching alerts, counted per user-day. */
  alertUserDays: number;
}

export interface DetectorMetrics {
  maliciousScenarios: number;
  detected: number;
  detectedBeforeEnd: number;
  /** null when there is no malicious scenario. */
  recall: number | null;
  /** Alerts as the detector raised them, before counting per user-day. */
  rawAlerts: number;
  alertUserDays: number;
  trueAlertUserDays: number;
  falseAlertUserDays: number;
  /** null when the detector raised no alert. */
  precision: number | null;
  userDays: number;
  /** null when the population is empty. */
  falseAlertsPer1000UserDays: number | null;
  /** False alert user-days per benign scenario id (every benign scenario listed, 0 included). */
  falseAlertsByBenignScenario: Record<string, number>;
  /** False alert user-days that match no scenario at all. */
  unlabelledFalseAlerts: number;
}

export interface DetectorScore {
  detector: string;
  metrics: DetectorMetrics;
  scenarios: ScenarioResult[];
}

interface Window {
  s: LabelledScenario;
  users: ReadonlySet<string>;
  start: number;
  end: number;
  /** The latest firedAt that still counts: the end of the UTC day of the last event. */
  fireBy: number;
}

function windowOf(s: LabelledScenario): Window {
  const start = Date.parse(s.start);
  const end = Date.parse(s.end);
  if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) throw new EvaluationError(`scenario ${s.id}: start/end are not an ordered pair of times`);
  const users = new Set(s.users.length > 0 ? s.users : s.user === null ? [] : [s.user]);
  return { s, users, start, end, fireBy: (dayNumber(end) + 1) * MS_PER_DAY };
}

function alertMatches(a: EvalAlert, w: Window): boolean {
  const fired = a.firedAt.getTime();
  return w.users.has(a.user) && a.windowStart.getTime() <= w.end && a.windowEnd.getTime() > w.start && fired >= w.start && fired <= w.fireBy;
}

/** Ids of the scenarios an alert matches. */
export function scenariosMatching(a: EvalAlert, scenarios: ReadonlyArray<LabelledScenario>): string[] {
  return scenarios.map(windowOf).filter((w) => alertMatches(a, w)).map((w) => w.s.id);
}

/** The user-day an alert counts for: its user and the UTC day of the last instant of its window. */
export function userDayOf(a: EvalAlert): string {
  return `${a.user}\u0000${dayNumber(a.windowEnd.getTime() - 1)}`;
}

export function scoreDetector(detector: string, alerts: ReadonlyArray<EvalAlert>, scenarios: ReadonlyArray<LabelledScenario>, population: Population): DetectorScore {
  const windows = scenarios.map(windowOf);
  const matchedBy = new Map<string, EvalAlert[]>(windows.map((w) => [w.s.id, []]));
  // Per user-day: whether it is true, and which benign scenarios its alerts fell on.
  const userDays = new Map<string, { malicious: boolean; benign: Set<string> }>();
  for (const a of alerts) {
    const key = userDayOf(a);
    let ud = userDays.get(key);
    if (!ud) userDays.set(key, (ud = { malicious: false, benign: new Set() }));
    for (const w of windows) {
      if (!alertMatches(a, w)) continue;
      matchedBy.get(w.s.id)!.push(a);
      if (w.s.expected === 'malicious') ud.malicious = true;
      else ud.benign.add(w.s.id);
    }
  }

  const results: ScenarioResult[] = windows.map((w) => {
    const matched = matchedBy.get(w.s.id)!;
    if (matched.length === 0) {
      return { scenario: w.s.id, detected: false, severity: null, firstAlertAt: null, timeToFirstAlertMs: null, firedBeforeEnd: null, alertUserDays: 0 };
    }
    const first = Math.min(...matched.map((a) => a.firedAt.getTime()));
    const severity = matched.reduce((top, a) => (severityRank(a.severity) > severityRank(top) ? a.severity : top), matched[0].severity);
    return {
      scenario: w.s.id,
      detected: true,
      severity,
      firstAlertAt: new Date(first).toISOString(),
      timeToFirstAlertMs: first - w.start,
      firedBeforeEnd: first <= w.end,
      alertUserDays: new Set(matched.map(userDayOf)).size,
    };
  });

  const malicious = windows.filter((w) => w.s.expected === 'malicious').map((w) => w.s.id);
  const byId = new Map(results.map((r) => [r.scenario, r]));
  const detected = malicious.filter((id) => byId.get(id)!.detected).length;
  const falseAlertsByBenignScenario: Record<string, number> = {};
  for (const w of windows) if (w.s.expected === 'benign') falseAlertsByBenignScenario[w.s.id] = 0;
  let trueAlertUserDays = 0;
  let unlabelledFalseAlerts = 0;
  for (const ud of userDays.values()) {
    if (ud.malicious) {
      trueAlertUserDays++;
      continue;
    }
    if (ud.benign.size === 0) unlabelledFalseAlerts++;
    for (const id of ud.benign) falseAlertsByBenignScenario[id]++;
  }
  const alertUserDays = userDays.size;
  const falseAlertUserDays = alertUserDays - trueAlertUserDays;
  const populationUserDays = population.users * population.days;
  return {
    detector,
    scenarios: results,
    metrics: {
      maliciousScenarios: malicious.length,
      detected,
      detectedBeforeEnd: malicious.filter((id) => byId.get(id)!.firedBeforeEnd === true).length,
      recall: malicious.length === 0 ? null : detected / malicious.length,
      rawAlerts: alerts.length,
      alertUserDays,
      trueAlertUserDays,
      falseAlertUserDays,
      precision: alertUserDays === 0 ? null : trueAlertUserDays / alertUserDays,
      userDays: populationUserDays,
      falseAlertsPer1000UserDays: populationUserDays > 0 ? (falseAlertUserDays * 1000) / populationUserDays : null,
      falseAlertsByBenignScenario,
      unlabelledFalseAlerts,
    },
  };
}
