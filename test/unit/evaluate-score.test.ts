// Scoring alerts against labelled scenarios: matching, time to first alert, user-day counting, metrics.
import { formatDelay, scenariosMatching, scoreDetector, type EvalAlert, type LabelledScenario, type Severity } from '../../src/evaluate';

const H = 3_600_000;
const t = (iso: string) => new Date(iso);

function alert(user: string, windowStart: string, windowEnd: string, firedAt: string, severity: Severity = 'medium'): EvalAlert {
  return { user, detector: 'd', severity, windowStart: t(windowStart), windowEnd: t(windowEnd), firedAt: t(firedAt), observedBytes: 1, reason: 'test' };
}

/** A daily batch alert: the UTC day, fired at its end. */
function daily(user: string, day: string, severity: Severity = 'medium'): EvalAlert {
  const start = `${day}T00:00:00.000Z`;
  const end = new Date(Date.parse(start) + 24 * H).toISOString();
  return alert(user, start, end, end, severity);
}

const scenario = (s: Partial<LabelledScenario> & Pick<LabelledScenario, 'id' | 'expected' | 'start' | 'end'>): LabelledScenario => ({
  kind: s.id.replace(/-\d+$/, ''),
  user: s.users && s.users.length > 1 ? null : (s.users?.[0] ?? 'nobody'),
  users: [],
  ...s,
});

// An export on one afternoon, a two-week drip, one scenario nobody detects, a department's month end and
// a heavy user who is heavy all period.
const SCENARIOS: LabelledScenario[] = [
  scenario({ id: 'bulk_export-01', expected: 'malicious', users: ['alice'], start: '2026-03-10T14:00:00.000Z', end: '2026-03-10T16:00:00.000Z' }),
  scenario({ id: 'slow_drip-02', expected: 'malicious', users: ['bob'], start: '2026-03-02T09:00:00.000Z', end: '2026-03-13T17:00:00.000Z' }),
  scenario({ id: 'sensitive_first_access-03', expected: 'malicious', users: ['carol'], start: '2026-03-20T10:00:00.000Z', end: '2026-03-20T11:00:00.000Z' }),
  scenario({ id: 'department_month_end-04', expected: 'benign', users: ['fin1', 'fin2', 'fin3'], department: 'Finance', start: '2026-03-30T08:00:00.000Z', end: '2026-03-31T18:00:00.000Z' }),
  scenario({ id: 'heavy_analyst-05', expected: 'benign', users: ['heidi'], start: '2026-03-01T08:00:00.000Z', end: '2026-03-31T18:00:00.000Z' }),
];
const POPULATION = { users: 20, days: 31 };

describe('scoreDetector', () => {
  it('detects a scenario from an overlapping alert on its user and times the first alert in event time', () => {
    const score = scoreDetector('d', [daily('alice', '2026-03-10', 'high'), alert('alice', '2026-03-10T14:00:00Z', '2026-03-10T14:30:00Z', '2026-03-10T14:30:00Z', 'medium')], SCENARIOS, POPULATION);
    const r = score.scenarios.find((s) => s.scenario === 'bulk_export-01')!;
    expect(r).toEqual({
      scenario: 'bulk_export-01',
      detected: true,
      severity: 'high',
      firstAlertAt: '2026-03-10T14:30:00.000Z',
      timeToFirstAlertMs: 0.5 * H,
      firedBeforeEnd: true,
      alertUserDays: 1,
    });
  });

  it('a daily batch alert at the end of the day detects a one-afternoon scenario, but not before it ended', () => {
    const score = scoreDetector('d', [daily('alice', '2026-03-10', 'critical')], SCENARIOS, POPULATION);
    const r = score.scenarios.find((s) => s.scenario === 'bulk_export-01')!;
    expect(r.detected).toBe(true);
    expect(r.timeToFirstAlertMs).toBe(10 * H);
    expect(formatDelay(r.timeToFirstAlertMs)).toBe('+10h00m');
    expect(r.firedBeforeEnd).toBe(false);
    expect(r.severity).toBe('critical');
  });

  it('does not match an alert on another user, on a day outside the scenario, fired before it began, or fired after its last day', () => {
    const alerts = [
      daily('bob', '2026-03-20'), // carol's scenario, wrong user
      daily('carol', '2026-03-19'), // the day before
      daily('carol', '2026-03-21'), // the day after
      alert('carol', '2026-03-20T00:00:00Z', '2026-03-21T00:00:00Z', '2026-03-20T09:00:00Z'), // fired before the first event
      alert('carol', '2026-03-20T00:00:00Z', '2026-03-21T00:00:00Z', '2026-03-21T00:00:01Z'), // after the end of the last day
    ];
    const score = scoreDetector('d', alerts, SCENARIOS, POPULATION);
    const r = score.scenarios.find((s) => s.scenario === 'sensitive_first_access-03')!;
    expect(r).toMatchObject({ detected: false, severity: null, firstAlertAt: null, timeToFirstAlertMs: null, firedBeforeEnd: null, alertUserDays: 0 });
    for (const a of alerts) expect(scenariosMatching(a, SCENARIOS)).toEqual([]);
    expect(score.metrics.unlabelledFalseAlerts).toBe(score.metrics.alertUserDays);
  });

  it('accepts an alert fired exactly at the end of the scenario\'s last UTC day', () => {
    const a = daily('carol', '2026-03-20');
    expect(a.firedAt.toISOString()).toBe('2026-03-21T00:00:00.000Z');
    expect(scenariosMatching(a, SCENARIOS)).toEqual(['sensitive_first_access-03']);
  });

  it('counts a multi-day scenario detected on a later day, before it ended', () => {
    const score = scoreDetector('d', [daily('bob', '2026-03-06', 'low'), daily('bob', '2026-03-09', 'high')], SCENARIOS, POPULATION);
    const r = score.scenarios.find((s) => s.scenario === 'slow_drip-02')!;
    expect(r.firstAlertAt).toBe('2026-03-07T00:00:00.000Z');
    expect(r.timeToFirstAlertMs).toBe(4 * 24 * H + 15 * H);
    expect(formatDelay(r.timeToFirstAlertMs)).toBe('+4d15h00m');
    expect(r.firedBeforeEnd).toBe(true);
    expect(r.severity).toBe('high');
    expect(r.alertUserDays).toBe(2);
  });

  it('counts alerts per user-day: three alerts for one user on one day are one alert', () => {
    const alerts = [
      alert('bob', '2026-03-05T10:00:00Z', '2026-03-05T10:05:00Z', '2026-03-05T10:05:00Z'),
      alert('bob', '2026-03-05T11:00:00Z', '2026-03-05T11:05:00Z', '2026-03-05T11:05:00Z'),
      daily('bob', '2026-03-05'),
      daily('dave', '2026-03-05'),
      daily('dave', '2026-03-05'),
      daily('dave', '2026-03-06'),
    ];
    const m = scoreDetector('d', alerts, SCENARIOS, POPULATION).metrics;
    expect(m.rawAlerts).toBe(6);
    expect(m.alertUserDays).toBe(3); // bob 03-05, dave 03-05, dave 03-06
    expect(m.trueAlertUserDays).toBe(1);
    expect(m.falseAlertUserDays).toBe(2);
    expect(m.precision).toBeCloseTo(1 / 3, 12);
  });

  it('reports alerts on benign look-alikes as false alerts, per benign scenario, any user of a department scenario matching', () => {
    const alerts = [daily('fin1', '2026-03-30'), daily('fin3', '2026-03-31'), daily('fin3', '2026-03-31'), daily('heidi', '2026-03-03'), daily('heidi', '2026-03-04'), daily('zed', '2026-03-04')];
    const m = scoreDetector('d', alerts, SCENARIOS, POPULATION).metrics;
    expect(m.falseAlertsByBenignScenario).toEqual({ 'department_month_end-04': 2, 'heavy_analyst-05': 2 });
    expect(m.unlabelledFalseAlerts).toBe(1);
    expect(m.falseAlertUserDays).toBe(5);
    expect(m.trueAlertUserDays).toBe(0);
    expect(m.precision).toBe(0);
    expect(m.recall).toBe(0);
  });

  it('a user-day that matches a malicious scenario is a true alert even if it also matches a benign one', () => {
    const overlapping = [...SCENARIOS, scenario({ id: 'single_day_spike-06', expected: 'malicious', users: ['heidi'], start: '2026-03-12T09:00:00.000Z', end: '2026-03-12T12:00:00.000Z' })];
    const m = scoreDetector('d', [daily('heidi', '2026-03-12')], overlapping, POPULATION).metrics;
    expect(m.trueAlertUserDays).toBe(1);
    expect(m.falseAlertsByBenignScenario['heavy_analyst-05']).toBe(0);
  });

  it('computes recall, precision and false alerts per 1,000 user-days', () => {
    const alerts = [
      daily('alice', '2026-03-10', 'critical'), // true: bulk_export-01
      daily('bob', '2026-03-12'), // true: slow_drip-02
      daily('bob', '2026-03-12'), // same user-day
      daily('heidi', '2026-03-16'), // false: heavy_analyst-05
      daily('erin', '2026-03-16'), // false: no scenario
      daily('erin', '2026-03-17'), // false: no scenario
    ];
    const m = scoreDetector('d', alerts, SCENARIOS, POPULATION).metrics;
    expect(m).toEqual({
      maliciousScenarios: 3,
      detected: 2,
      detectedBeforeEnd: 1, // the drip was flagged while it went on; the export only at midnight
      recall: 2 / 3,
      rawAlerts: 6,
      alertUserDays: 5,
      trueAlertUserDays: 2,
      falseAlertUserDays: 3,
      precision: 2 / 5,
      userDays: 620,
      falseAlertsPer1000UserDays: (3 * 1000) / 620,
      falseAlertsByBenignScenario: { 'department_month_end-04': 0, 'heavy_analyst-05': 1 },
      unlabelledFalseAlerts: 2,
    });
  });

  it('has no precision without alerts and no recall without malicious scenarios', () => {
    const none = scoreDetector('d', [], SCENARIOS, POPULATION);
    expect(none.metrics.precision).toBeNull();
    expect(none.metrics.recall).toBe(0);
    expect(none.metrics.falseAlertsPer1000UserDays).toBe(0);
    expect(none.scenarios.map((s) => s.detected)).toEqual([false, false, false, false, false]);
    const benignOnly = scoreDetector('d', [], SCENARIOS.filter((s) => s.expected === 'benign'), { users: 0, days: 0 });
    expect(benignOnly.metrics.recall).toBeNull();
    expect(benignOnly.metrics.falseAlertsPer1000UserDays).toBeNull();
  });

  it('refuses a scenario whose times do not parse or run backwards', () => {
    expect(() => scoreDetector('d', [], [scenario({ id: 'x-01', expected: 'malicious', users: ['a'], start: 'soon', end: '2026-03-01T00:00:00Z' })], POPULATION)).toThrow(/x-01/);
    expect(() => scoreDetector('d', [], [scenario({ id: 'y-01', expected: 'malicious', users: ['a'], start: '2026-03-02T00:00:00Z', end: '2026-03-01T00:00:00Z' })], POPULATION)).toThrow(/y-01/);
  });
});
