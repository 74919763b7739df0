// The analyst's workload: a detector's alerts grouped into cases (src/cases: one employee's alerts while
// an episode lasts), counted as an analyst would open them. Pure.
//
// A case is true when any of its alerts matches a malicious scenario (score.ts's matching), else false.
// False cases per 1,000 user-days use the same population as false alerts; cases per day are all cases
// (true and false) over the days of the period: how many an analyst opens a day. A case's severity is its
// peak accumulated risk on the alert floors. An insider scenario is "one case" when, for each of its
// people, the alerts that match it fall into a single case.
import { groupIntoCases, peakRisk, riskSeverity, type TimelineOptions } from '../cases';
import { severityRank, type EvalAlert, type Severity } from './detector';
import { dayNumber } from './daily-volume';
import { renderTable } from './report';
import { scenariosMatching, type LabelledScenario, type Population } from './score';

/** caseOptions(config) without afterResolution (no triage here); an alert without a score counts its severity's floor. */
export type CaseOptions = Pick<TimelineOptions, 'quietDays' | 'halfLifeDays' | 'floors'>;

export interface CaseMetrics {
  cases: number;
  trueCases: number;
  falseCases: number;
  /** null when the population is empty. */
  falseCasesPer1000UserDays: number | null;
  /** All cases over the days of the period; null when the period is empty. */
  casesPerDay: number | null;
  /** False cases by peak severity. */
  falseBySeverity: Record<Severity, number>;
  /** Malicious scenarios with at least one matching alert, and of those the ones in a single case per person. */
  detectedScenarios: number;
  scenariosInOneCase: number;
  /** The scenarios in more than one case for one of their people: the cases their alerts fall into, and the people. */
  splitScenarios: Record<string, { cases: number; people: number }>;
}

function scoreOf(a: EvalAlert, floors: CaseOptions['floors']): number {
  if (a.score !== undefined) return a.score;
  return a.severity === 'low' ? floors.alert : floors[a.severity];
}

export function scoreCases(alerts: ReadonlyArray<EvalAlert>, scenarios: ReadonlyArray<LabelledScenario>, population: Population, opts: CaseOptions): CaseMetrics {
  const malicious = new Set(scenarios.filter((s) => s.expected === 'malicious').map((s) => s.id));
  const tagged = alerts.map((a) => ({ ...a, matches: scenariosMatching(a, scenarios).filter((id) => malicious.has(id)) }));
  const cases = groupIntoCases(tagged, (a) => ({ first: dayNumber(a.windowStart.getTime()), last: dayNumber(a.windowEnd.getTime() - 1) }), opts);
  const falseBySeverity: Record<Severity, number> = { low: 0, medium: 0, high: 0, critical: 0 };
  // Per malicious scenario and person: the cases holding an alert that matches it.
  const casesOf = new Map<string, Map<string, Set<number>>>();
  let trueCases = 0;
  cases.forEach((c, index) => {
    const matched = new Set(c.alerts.flatMap((a) => a.matches));
    if (matched.size > 0) trueCases++;
    else falseBySeverity[riskSeverity(peakRisk(c.alerts.map((a) => ({ score: scoreOf(a, opts.floors), at: a.firedAt.getTime() })), opts), opts.floors)]++;
    for (const id of matched) {
      let people = casesOf.get(id);
      if (!people) casesOf.set(id, (people = new Map()));
      let set = people.get(c.user);
      if (!set) people.set(c.user, (set = new Set()));
      set.add(index);
    }
  });
  const splitScenarios: Record<string, { cases: number; people: number }> = {};
  for (const [id, people] of casesOf) {
    if ([...people.values()].some((set) => set.size > 1)) splitScenarios[id] = { cases: [...people.values()].reduce((n, set) => n + set.size, 0), people: people.size };
  }
  const falseCases = cases.length - trueCases;
  const userDays = population.users * population.days;
  return {
    cases: cases.length,
    trueCases,
    falseCases,
    falseCasesPer1000UserDays: userDays > 0 ? (falseCases * 1000) / userDays : null,
    casesPerDay: population.days > 0 ? cases.length / population.days : null,
    falseBySeverity,
    detectedScenarios: casesOf.size,
    scenariosInOneCase: casesOf.size - Object.keys(splitScenarios).length,
    splitScenarios,
  };
}

/** False cases at or above a severity. */
export function falseCasesFrom(m: CaseMetrics, floor: Severity): number {
  return (Object.entries(m.falseBySeverity) as Array<[Severity, number]>).reduce((n, [s, k]) => (severityRank(s) >= severityRank(floor) ? n + k : n), 0);
}

const fixed2 = (v: number | null) => (v === null ? '-' : v.toFixed(2));

/** One seed, per detector: the cases an analyst would have opened, the false ones, and the insiders in one case. */
export function caseTable(r: { detectors: ReadonlyArray<{ name: string; cases: CaseMetrics }> }): string[] {
  const rows = r.detectors.map(({ name, cases: m }) => [
    name,
    String(m.cases),
    fixed2(m.casesPerDay),
    String(m.trueCases),
    String(m.falseCases),
    fixed2(m.falseCasesPer1000UserDays),
    String(falseCasesFrom(m, 'medium')),
    String(falseCasesFrom(m, 'high')),
    `${m.scenariosInOneCase}/${m.detectedScenarios}`,
  ]);
  return renderTable(
    [
      { title: 'DETECTOR' },
      { title: 'CASES', right: true },
      { title: 'PER DAY', right: true },
      { title: 'TRUE', right: true },
      { title: 'FALSE', right: true },
      { title: 'FALSE / 1,000 USER-DAYS', right: true },
      { title: 'FALSE MEDIUM+', right: true },
      { title: 'FALSE HIGH+', right: true },
      { title: 'INSIDERS IN ONE CASE', right: true },
    ],
    rows,
  );
}

/** Across seeds, per detector: false cases per 1,000 user-days and cases per day, each seed and the worst. */
export function worstSeedCaseTable(results: ReadonlyArray<{ seed: number; detectors: ReadonlyArray<{ name: string; cases: CaseMetrics }> }>): string[] {
  const names = results[0]?.detectors.map((d) => d.name) ?? [];
  const rows = names.flatMap((name) => {
    const ms = results.map((r) => r.detectors.find((d) => d.name === name)!.cases);
    const falseRates = ms.map((m) => m.falseCasesPer1000UserDays ?? 0);
    const perDay = ms.map((m) => m.casesPerDay ?? 0);
    const split = ms.map((m) => m.detectedScenarios - m.scenariosInOneCase);
    return [
      [name, 'false cases / 1,000 user-days', ...falseRates.map(fixed2), fixed2(Math.max(...falseRates))],
      [name, 'cases per day', ...perDay.map(fixed2), fixed2(Math.max(...perDay))],
      [name, 'insiders split over cases', ...split.map(String), String(Math.max(...split))],
    ];
  });
  return renderTable([{ title: 'DETECTOR' }, { title: 'FIGURE' }, ...results.map((r) => ({ title: `SEED ${r.seed}`, right: true })), { title: 'WORST', right: true }], rows);
}
