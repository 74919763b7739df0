// Cases: episodes of one employee's alerts, their accumulated risk, and the evaluation's count of them.
import type { AlertRecord } from '../../src/alerts';
import { casesOf, groupIntoCases, peakRisk, riskAt, riskSeverity, riskSteps, timelineLines } from '../../src/cases';
import { MS_PER_DAY } from '../../src/calendar';
import { floorsOf } from '../../src/detect';
import { caseTable, falseCasesFrom, scoreCases, worstSeedCaseTable, type EvalAlert, type LabelledScenario, type Severity } from '../../src/evaluate';
import { loadConfig } from '../../src/config';

const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / MS_PER_DAY;
const at = (iso: string) => Date.parse(`${iso}T12:00:00Z`);
const WEEK = { quietDays: 7 };
const HALF_LIFE = { halfLifeDays: 7 };
// The default floors: medium 40, high 53, critical 67 (config/default.yaml's detection.scoring).
const FLOORS = floorsOf(loadConfig({}).config.detection.scoring);

interface A {
  user: string;
  first: string;
  last: string;
}
const a = (user: string, first: string, last = first): A => ({ user, first, last });
const spanOf = (x: A) => ({ first: day(x.first), last: day(x.last) });
const summary = (cases: ReturnType<typeof groupIntoCases<A>>) => cases.map((c) => `${c.user} ${c.alerts.map((x) => x.last.slice(5)).join(',')}`);

describe('groupIntoCases', () => {
  it('keeps a three-week slow drip with alerts every few days in one case', () => {
    const drip = ['2026-03-02', '2026-03-06', '2026-03-11', '2026-03-17', '2026-03-20'].map((d) => a('fin', d));
    expect(summary(groupIntoCases(drip, spanOf, WEEK))).toEqual(['fin 03-02,03-06,03-11,03-17,03-20']);
  });

  it('keeps a bulk export and the next day\'s follow-up in one case, and another person\'s alerts in their own', () => {
    const cases = groupIntoCases([a('eve', '2026-03-11'), a('bob', '2026-03-10'), a('eve', '2026-03-10')], spanOf, WEEK);
    expect(summary(cases)).toEqual(['bob 03-10', 'eve 03-10,03-11']);
  });

  it('opens a new case once quietDays whole days pass without an alert, not one day sooner', () => {
    // Seven days between (03-02 .. 03-09: six quiet days) joins; eight (seven quiet days) does not.
    expect(summary(groupIntoCases([a('x', '2026-03-02'), a('x', '2026-03-09')], spanOf, WEEK))).toEqual(['x 03-02,03-09']);
    expect(summary(groupIntoCases([a('x', '2026-03-02'), a('x', '2026-03-10')], spanOf, WEEK))).toEqual(['x 03-02', 'x 03-10']);
  });

  it('keeps a drip\'s later alert about the same run in its case, however long after the first it fired', () => {
    // Real alerts of a slow drip: both windows start at the run's first day; the second fired ten days later.
    const cases = groupIntoCases([a('fin', '2026-09-07', '2026-09-11'), a('fin', '2026-09-07', '2026-09-21')], spanOf, WEEK);
    expect(cases).toHaveLength(1);
    expect([cases[0].firstDay, cases[0].lastDay]).toEqual([day('2026-09-07'), day('2026-09-21')]);
    // Without the span (each alert only its last day) the same alerts were two cases.
    expect(groupIntoCases([a('fin', '2026-09-11'), a('fin', '2026-09-21')], spanOf, WEEK)).toHaveLength(2);
  });

  it('joins two earlier episodes when a later alert\'s span reaches both', () => {
    const alerts = [a('x', '2026-03-01'), a('x', '2026-03-20'), a('x', '2026-03-05', '2026-03-25')];
    expect(summary(groupIntoCases(alerts, spanOf, WEEK))).toEqual(['x 03-01,03-20,03-25']);
    // Without it, the two are apart.
    expect(groupIntoCases(alerts.slice(0, 2), spanOf, WEEK)).toHaveLength(2);
  });

  it('gives the same cases whatever order the alerts come in, spans included', () => {
    const alerts = [a('x', '2026-03-02'), a('x', '2026-03-01', '2026-03-12'), a('x', '2026-03-22'), a('x', '2026-03-15', '2026-03-18'), a('y', '2026-03-03')];
    const forward = summary(groupIntoCases(alerts, spanOf, WEEK));
    expect(forward).toEqual(['x 03-02,03-12,03-18,03-22', 'y 03-03']);
    for (let k = 1; k < alerts.length; k++) expect(summary(groupIntoCases([...alerts.slice(k), ...alerts.slice(0, k)], spanOf, WEEK))).toEqual(forward);
  });

  it('gives the same cases whatever order the alerts come in', () => {
    const alerts = [a('x', '2026-03-02'), a('x', '2026-03-05'), a('x', '2026-03-20'), a('y', '2026-03-03'), a('x', '2026-03-25')];
    const forward = summary(groupIntoCases(alerts, spanOf, WEEK));
    expect(forward).toEqual(['x 03-02,03-05', 'x 03-20,03-25', 'y 03-03']);
    expect(summary(groupIntoCases([...alerts].reverse(), spanOf, WEEK))).toEqual(forward);
  });

  it('refuses an alert whose days are not an ordered pair, and a quiet period that is not whole days', () => {
    expect(() => groupIntoCases([a('x', '2026-03-05', '2026-03-02')], spanOf, WEEK)).toThrow(/ordered pair/);
    expect(() => groupIntoCases([a('x', '2026-03-02')], spanOf, { quietDays: 1.5 })).toThrow(/whole number/);
  });
});

describe('accumulated risk', () => {
  it('is one alert\'s own score, and three medium days in a row make a high case', () => {
    expect(riskAt([{ score: 40, at: at('2026-03-02') }], at('2026-03-02'), HALF_LIFE)).toBe(40);
    const three = ['2026-03-02', '2026-03-03', '2026-03-04'].map((d) => ({ score: 40, at: at(d) }));
    // 40 + 40 * 2^(-1/7) / 2^1.5 + 40 * 2^(-2/7) / 3^1.5 = 40 + 12.80 + 6.28
    expect(riskAt(three, at('2026-03-04'), HALF_LIFE)).toBe(59.1);
    expect(riskSeverity(riskAt(three, at('2026-03-04'), HALF_LIFE), FLOORS)).toBe('high');
    expect(riskSeverity(riskAt(three.slice(0, 1), at('2026-03-02'), HALF_LIFE), FLOORS)).toBe('medium');
  });

  it('lets one old medium day fade: halved every half-life, below medium after one', () => {
    const old = [{ score: 40, at: at('2026-03-02') }];
    expect(riskAt(old, at('2026-03-09'), HALF_LIFE)).toBe(20);
    expect(riskAt(old, at('2026-03-16'), HALF_LIFE)).toBe(10);
    expect(riskSeverity(riskAt(old, at('2026-03-09'), HALF_LIFE), FLOORS)).toBe('low');
  });

  it('never goes beyond 2.61 times the strongest alert, however many low days', () => {
    const many = Array.from({ length: 500 }, () => ({ score: 25, at: at('2026-03-02') }));
    const risk = riskAt(many, at('2026-03-02'), HALF_LIFE);
    expect(risk).toBeGreaterThan(2.5 * 25);
    expect(risk).toBeLessThan(2.613 * 25);
    expect(riskSeverity(risk, FLOORS)).toBe('high');
  });

  it('counts only the alerts that happened by then, and its timeline peaks after the last of a close run', () => {
    const alerts = [
      { score: 30, at: at('2026-03-02') },
      { score: 45, at: at('2026-03-04') },
      { score: 30, at: at('2026-03-05') },
    ];
    expect(riskAt(alerts, at('2026-03-01'), HALF_LIFE)).toBe(0);
    const steps = riskSteps(alerts, HALF_LIFE);
    expect(steps.map((s) => s.at)).toEqual(alerts.map((x) => x.at));
    expect(steps[0].risk).toBe(30);
    expect(steps[1].risk).toBeGreaterThan(45);
    expect(peakRisk(alerts, HALF_LIFE)).toBe(steps[2].risk);
    expect(steps[2].risk).toBeGreaterThan(steps[1].risk);
  });
});

describe('scoreCases', () => {
  const H = 3_600_000;
  function daily(user: string, iso: string, severity: Severity, score?: number): EvalAlert {
    const start = new Date(`${iso}T00:00:00Z`);
    const end = new Date(start.getTime() + 24 * H);
    return { user, detector: 'd', severity, windowStart: start, windowEnd: end, firedAt: new Date(end.getTime() - H), observedBytes: 1, reason: 'test', ...(score === undefined ? {} : { score }) };
  }
  const scenario = (id: string, expected: 'malicious' | 'benign', users: string[], start: string, end: string): LabelledScenario => ({
    id,
    kind: id.replace(/-\d+$/, ''),
    expected,
    user: users.length === 1 ? users[0] : null,
    users,
    start: `${start}T08:00:00Z`,
    end: `${end}T18:00:00Z`,
  });
  const SCENARIOS = [
    scenario('slow_drip-01', 'malicious', ['bob'], '2026-03-02', '2026-03-20'),
    scenario('bulk_export-02', 'malicious', ['alice'], '2026-03-10', '2026-03-10'),
    scenario('month_end-03', 'benign', ['fin1', 'fin2'], '2026-03-30', '2026-03-31'),
  ];
  const POPULATION = { users: 20, days: 31 };
  const opts = { quietDays: 7, halfLifeDays: 7, floors: FLOORS };

  it('counts a drip\'s five alerts as one true case, and false cases per person and episode at their peak severity', () => {
    const alerts = [
      ...['03-02', '03-06', '03-11', '03-16', '03-20'].map((d) => daily('bob', `2026-${d}`, 'medium', 40)),
      daily('alice', '2026-03-10', 'high', 55),
      // A benign month end: two people, two days each: two false cases, medium on the floors' scores.
      daily('fin1', '2026-03-30', 'medium'),
      daily('fin1', '2026-03-31', 'medium'),
      daily('fin2', '2026-03-31', 'low'),
      // One person, two episodes three weeks apart: two false cases.
      daily('heidi', '2026-03-01', 'low', 26),
      daily('heidi', '2026-03-22', 'low', 26),
    ];
    const m = scoreCases(alerts, SCENARIOS, POPULATION, opts);
    expect(m).toEqual({
      cases: 6,
      trueCases: 2,
      falseCases: 4,
      falseCasesPer1000UserDays: (4 * 1000) / (20 * 31),
      casesPerDay: 6 / 31,
      // fin1: 40 then 40 a day later: 40 + 36.2 / 2.83 = 52.8, still medium; fin2 and heidi low.
      falseBySeverity: { low: 3, medium: 1, high: 0, critical: 0 },
      detectedScenarios: 2,
      scenariosInOneCase: 2,
      splitScenarios: {},
    });
    expect(falseCasesFrom(m, 'medium')).toBe(1);
    expect(falseCasesFrom(m, 'low')).toBe(4);
  });

  it('says when an insider scenario is split over several cases', () => {
    const alerts = [daily('bob', '2026-03-02', 'medium', 40), daily('bob', '2026-03-19', 'medium', 40)];
    const m = scoreCases(alerts, SCENARIOS, POPULATION, opts);
    expect(m.trueCases).toBe(2);
    expect(m.splitScenarios).toEqual({ 'slow_drip-01': { cases: 2, people: 1 } });
    expect([m.scenariosInOneCase, m.detectedScenarios]).toEqual([0, 1]);
  });

  it('counts a department-wide scenario split for one of its people as cases against people', () => {
    const dept = [...SCENARIOS, scenario('team_export-04', 'malicious', ['cy', 'di'], '2026-03-02', '2026-03-25')];
    const alerts = [daily('cy', '2026-03-02', 'medium', 40), daily('cy', '2026-03-20', 'medium', 40), daily('di', '2026-03-03', 'medium', 40)];
    const m = scoreCases(alerts, dept, POPULATION, opts);
    expect(m.splitScenarios).toEqual({ 'team_export-04': { cases: 3, people: 2 } });
    // One case per person is not a split.
    expect(scoreCases(alerts.filter((x) => x.windowStart.getUTCDate() !== 20), dept, POPULATION, opts).splitScenarios).toEqual({});
  });

  it('prints one row per detector for a seed, and the worst seed of each figure', () => {
    const one = scoreCases([daily('bob', '2026-03-02', 'medium', 40), daily('zed', '2026-03-05', 'low', 26)], SCENARIOS, POPULATION, opts);
    const two = scoreCases([daily('zed', '2026-03-05', 'low', 26), daily('zed', '2026-03-25', 'low', 26), daily('amy', '2026-03-25', 'low', 26)], SCENARIOS, POPULATION, opts);
    const table = caseTable({ detectors: [{ name: 'insider', cases: one }] });
    expect(table[0]).toMatch(/^DETECTOR\s+CASES\s+PER DAY\s+TRUE\s+FALSE\s+FALSE \/ 1,000 USER-DAYS\s+FALSE MEDIUM\+\s+FALSE HIGH\+\s+INSIDERS IN ONE CASE$/);
    expect(table[1].split(/\s+/)).toEqual(['insider', '2', '0.06', '1', '1', '1.61', '0', '0', '1/1']);
    const worst = worstSeedCaseTable([
      { seed: 1, detectors: [{ name: 'insider', cases: one }] },
      { seed: 2, detectors: [{ name: 'insider', cases: two }] },
    ]);
    expect(worst[1].split(/\s{2,}/)).toEqual(['insider', 'false cases / 1,000 user-days', '1.61', '4.84', '4.84']);
    expect(worst[2].split(/\s{2,}/)).toEqual(['insider', 'cases per day', '0.06', '0.10', '0.10']);
  });
});

describe('casesOf and the timeline', () => {
  const record = (id: string, user: string, first: string, last: string, firedAt: string, severity: Severity, score: number, bytes: number, ratio: number, detectors: string[], explanation: string): AlertRecord => ({
    alertId: id,
    revision: 1,
    user,
    windowStart: Date.parse(`${first}T00:00:00Z`),
    windowEnd: Date.parse(`${last}T00:00:00Z`) + MS_PER_DAY,
    detectors,
    severity,
    score,
    firedAt: Date.parse(firedAt),
    triggerEventId: 'e',
    lastEventAt: Date.parse(firedAt),
    observedBytes: bytes,
    observedRows: 1,
    eventCount: 1,
    baselineBytes: ratio > 0 ? bytes / ratio : 0,
    peerBytes: 0,
    peerGroup: 'finance/analyst',
    ratio,
    explanation,
    findings: [],
    evidence: { events: 1, failedEvents: 0, firstEventAt: firedAt, lastEventAt: firedAt, sensitiveBytes: 0, topTables: [], sessions: { count: 1, top: [] }, clientIps: [], apps: [], allowlisted: { bytes: 0, events: 0, reasons: [] } },
    createdAtWall: Date.parse(firedAt),
    updatedAtWall: Date.parse(firedAt),
  });
  const unresolved = (a: AlertRecord) => ({ ...a, resolvedAt: null });
  const opts = { quietDays: 7, halfLifeDays: 7, floors: FLOORS, afterResolution: 'new' as const };
  // A drip seen three times (its window from the run's first day), then, a month later, one export day.
  const alerts = [
    record('al_3', 'fin', '2026-09-07', '2026-09-16', '2026-09-16T15:00:00Z', 'medium', 41, 1_400_000_000, 0, ['slowDrip'], '1.4 GB over 10 days; anomaly: ...'),
    record('al_1', 'fin', '2026-09-09', '2026-09-09', '2026-09-09T16:00:00Z', 'medium', 40, 2_100_000_000, 6.5, ['volumeSelf'], '2.1 GB in 3 h; anomaly: ...'),
    record('al_2', 'fin', '2026-09-07', '2026-09-11', '2026-09-11T17:00:00Z', 'medium', 40, 900_000_000, 0, ['slowDrip'], '900 MB over 5 days; anomaly: ...'),
    record('al_4', 'fin', '2026-10-20', '2026-10-20', '2026-10-20T11:00:00Z', 'low', 27, 800_000_000, 3.2, ['volumeSelf'], '800 MB in 1 h; anomaly: ...'),
  ].map(unresolved);

  it('makes one case of the drip and another of the later day, each step with the risk right after it', () => {
    const [drip, later] = casesOf(alerts, Date.parse('2026-10-21T00:00:00Z'), opts);
    expect([drip.firstDay, drip.lastDay, later.firstDay]).toEqual(['2026-09-07', '2026-09-16', '2026-10-20']);
    expect(drip.steps.map((s) => s.alertId)).toEqual(['al_1', 'al_2', 'al_3']);
    expect(drip.steps.map((s) => s.caseSeverity)).toEqual(['medium', 'medium', 'high']);
    expect(drip.peakRisk).toBe(drip.steps[2].risk);
    expect(drip.peakSeverity).toBe('high');
    // Five weeks after its last alert the drip's risk has faded below every floor; the later day is its own score, decayed since it fired.
    expect(drip.risk).toBeLessThan(10);
    expect(drip.severity).toBe('low');
    // 27 fired 13 hours before: 27 * 2^(-13 / 168) = 25.59, rounded down as scores are.
    expect([later.risk, later.severity]).toEqual([25.5, 'low']);
  });

  it('reads as days, volumes and the case\'s risk, each alert\'s explanation under its line', () => {
    const [drip] = casesOf(alerts, Date.parse('2026-10-21T00:00:00Z'), opts);
    const lines = timelineLines(drip.steps);
    expect(lines[0]).toBe('2026-09-09  medium 40  2.1 GB, 6.5x usual  [volumeSelf]  case risk 40.0 (medium)');
    expect(lines[1]).toBe('    2.1 GB in 3 h; anomaly: ...');
    expect(lines[2]).toMatch(/^2026-09-07 \.\. 2026-09-11 {2}medium 40 {2}900 MB {2}\[slowDrip\] {2}case risk 5\d\.\d \(medium\)$/);
    expect(lines[4]).toMatch(/^2026-09-07 \.\. 2026-09-16 {2}medium 41 {2}1\.4 GB {2}\[slowDrip\] {2}case risk \d+\.\d \(high\)$/);
  });

  it('opens a new case for an alert stored after its case was resolved, or the same one again with reopen', () => {
    const resolvedAt = Date.parse('2026-09-17T09:00:00Z');
    const resolved = alerts.slice(0, 3).map((a) => ({ ...a, resolvedAt }));
    // Two days after the resolution: within the quiet period of the drip's last day.
    const next = unresolved(record('al_5', 'fin', '2026-09-18', '2026-09-18', '2026-09-18T10:00:00Z', 'medium', 40, 1_000_000_000, 3, ['volumeSelf'], '1 GB'));
    const now = Date.parse('2026-09-19T00:00:00Z');
    expect(casesOf([...resolved, next], now, opts).map((c) => c.steps.map((s) => s.alertId))).toEqual([['al_1', 'al_2', 'al_3'], ['al_5']]);
    expect(casesOf([...resolved, next], now, { ...opts, afterResolution: 'reopen' }).map((c) => c.steps.map((s) => s.alertId))).toEqual([['al_1', 'al_2', 'al_3', 'al_5']]);
    // Stored before the resolution (a backfill, a late revision): it was part of what was resolved.
    const before = { ...next, createdAtWall: resolvedAt - 1 };
    expect(casesOf([...resolved, before], now, opts)).toHaveLength(1);
    // One alert of the case still unresolved: the case is not resolved, the new alert joins it.
    const partly = [...resolved.slice(0, 2), alerts[2]];
    expect(casesOf([...partly, next], now, opts)).toHaveLength(1);
  });

  it('keeps the resolved alerts together when an alert of a day between them is stored after the resolution', () => {
    const resolvedAt = Date.parse('2026-09-20T09:00:00Z');
    const first = { ...unresolved(record('al_a', 'fin', '2026-09-01', '2026-09-01', '2026-09-01T15:00:00Z', 'medium', 40, 1e9, 3, ['volumeSelf'], 'a')), resolvedAt };
    const last = { ...unresolved(record('al_c', 'fin', '2026-09-05', '2026-09-05', '2026-09-05T15:00:00Z', 'medium', 40, 1e9, 3, ['volumeSelf'], 'c')), resolvedAt };
    // A backfill judges 09-03 on 09-21: a new alert, open, about a day inside the resolved case.
    const backfilled = { ...unresolved(record('al_b', 'fin', '2026-09-03', '2026-09-03', '2026-09-03T15:00:00Z', 'low', 27, 5e8, 2, ['volumeSelf'], 'b')), createdAtWall: Date.parse('2026-09-21T00:00:00Z') };
    const now = Date.parse('2026-09-22T00:00:00Z');
    expect(casesOf([first, backfilled, last], now, opts).map((c) => c.steps.map((s) => s.alertId))).toEqual([['al_a', 'al_c'], ['al_b']]);
    // A resolved alert stored after the resolution (a later revision written anew) stays in its case.
    const revised = { ...last, createdAtWall: Date.parse('2026-09-21T00:00:00Z') };
    expect(casesOf([first, revised], now, opts).map((c) => c.steps.map((s) => s.alertId))).toEqual([['al_a', 'al_c']]);
  });
});
