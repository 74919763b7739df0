// The alert budget's arithmetic: a candidate floor's alerts per day (per severity, per department, busiest
// day) and the rule that picks the floor for a budget.
import type { Severity } from '../../src/alerts/types';
import { dateString, MS_PER_DAY } from '../../src/calendar';
import { floorScore } from '../../src/detect/scoring';
import { summarise, withinBudget, type CandidateAlert } from '../../src/tune/candidates';

const D = 20_700;
const alert = (id: string, user: string, day: number, severity: Severity): CandidateAlert => ({
  alertId: id, user, day, windowStart: day * MS_PER_DAY, windowEnd: (day + 1) * MS_PER_DAY, firedAt: day * MS_PER_DAY + 1, severity, score: 30, detectors: ['volumeSelf'],
});
const departmentOf = (u: string) => ({ ann: 'Sales', bob: 'Finance' })[u] ?? '';

describe('summarise', () => {
  it('counts alerts per day over the replayed days, per severity and department, and the busiest day', () => {
    const alerts = [alert('a1', 'ann', D, 'low'), alert('a2', 'bob', D, 'medium'), alert('a3', 'ann', D + 1, 'high'), alert('a4', 'zed', D + 3, 'low')];
    const s = summarise(alerts, { alertFloor: 3, days: 4, departmentOf });
    expect(s).toMatchObject({ alertFloor: 3, floorScore: floorScore(3), alerts: 4, perDay: 1, maxPerDay: 2 });
    expect(s.perDaySeverity).toEqual({ low: 0.5, medium: 0.25, high: 0.25, critical: 0 });
    expect(s.perDepartment).toEqual({ Sales: 2, Finance: 1, '(not in the directory)': 1 });
    expect(s.byDay).toEqual({ [dateString(D)]: 2, [dateString(D + 1)]: 1, [dateString(D + 3)]: 1 });
  });

  it('an empty replay is zero alerts, not a division by zero', () => {
    expect(summarise([], { alertFloor: 1, days: 0, departmentOf })).toMatchObject({ alerts: 0, perDay: 0, maxPerDay: 0 });
  });

  it('floor scores: 3 per 1,000 is 25, 0.1 is 40, 0.005 is 53', () => {
    expect([floorScore(3), floorScore(0.1), floorScore(0.005)]).toEqual([25, 40, 53]);
  });
});

describe('withinBudget', () => {
  const c = (alertFloor: number, perDay: number, catches: number) => ({ summary: summarise([], { alertFloor, days: 1, departmentOf }), perDay, catches });
  const candidates = [c(10, 12, 5), c(3, 4, 5), c(1, 1.5, 4), c(0.1, 0.2, 2)].map((x) => ({ ...x, summary: { ...x.summary, perDay: x.perDay } }));

  it('keeps within the budget and, of those, catches the most; ties go to the more sensitive floor', () => {
    expect(withinBudget(candidates, 5)?.summary.alertFloor).toBe(3);
    expect(withinBudget(candidates, 2)?.summary.alertFloor).toBe(1);
    expect(withinBudget(candidates, 100)?.summary.alertFloor).toBe(10);
  });

  it('proposes nothing when even the strictest floor exceeds the budget', () => {
    expect(withinBudget(candidates, 0.1)).toBeNull();
  });
});
