import { daysOf, lastCompletePeriod, periodEnd, periodLabel, periodStart, resolvePeriod } from '../../src/report/period';
import { ReportError } from '../../src/report/errors';

const D = (s: string) => Date.parse(`${s}T00:00:00Z`);
const iso = (p: { from: number; to: number }) => [new Date(p.from).toISOString().slice(0, 10), new Date(p.to).toISOString().slice(0, 10)];

describe('report periods (UTC days)', () => {
  it('starts days at midnight, weeks on Monday, months on the 1st', () => {
    const t = Date.parse('2026-11-19T15:30:00Z'); // a Thursday
    expect(new Date(periodStart('day', t)).toISOString()).toBe('2026-11-19T00:00:00.000Z');
    expect(new Date(periodStart('week', t)).toISOString()).toBe('2026-11-16T00:00:00.000Z');
    expect(new Date(periodStart('week', D('2026-11-22'))).toISOString()).toBe('2026-11-16T00:00:00.000Z'); // Sunday
    expect(new Date(periodStart('week', D('2026-11-16'))).toISOString()).toBe('2026-11-16T00:00:00.000Z'); // Monday
    expect(new Date(periodStart('month', t)).toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(iso({ from: D('2026-02-01'), to: periodEnd('month', D('2026-02-01')) })).toEqual(['2026-02-01', '2026-03-01']);
    expect(iso({ from: D('2026-12-01'), to: periodEnd('month', D('2026-12-01')) })).toEqual(['2026-12-01', '2027-01-01']);
  });

  it('the last complete period ends at or before the time', () => {
    expect(iso(lastCompletePeriod('day', Date.parse('2026-11-19T00:00:00Z')))).toEqual(['2026-11-18', '2026-11-19']);
    expect(iso(lastCompletePeriod('day', Date.parse('2026-11-19T06:00:00Z')))).toEqual(['2026-11-18', '2026-11-19']);
    expect(iso(lastCompletePeriod('week', Date.parse('2026-11-23T06:00:00Z')))).toEqual(['2026-11-16', '2026-11-23']);
    expect(iso(lastCompletePeriod('week', Date.parse('2026-11-22T23:59:59Z')))).toEqual(['2026-11-09', '2026-11-16']);
    expect(iso(lastCompletePeriod('month', Date.parse('2026-01-01T06:00:00Z')))).toEqual(['2025-12-01', '2026-01-01']);
  });

  it('resolves the CLI options', () => {
    const now = Date.parse('2026-11-19T10:00:00Z');
    expect(resolvePeriod('week', { now })).toMatchObject({ kind: 'week' });
    expect(iso(resolvePeriod('week', { now }))).toEqual(['2026-11-09', '2026-11-16']);
    expect(iso(resolvePeriod('week', { from: D('2026-11-02'), now }))).toEqual(['2026-11-02', '2026-11-09']);
    expect(iso(resolvePeriod('month', { from: D('2026-10-15'), now }))).toEqual(['2026-10-15', '2026-11-15']);
    expect(iso(resolvePeriod('day', { to: D('2026-11-10'), now }))).toEqual(['2026-11-09', '2026-11-10']);
    expect(iso(resolvePeriod('month', { to: D('2026-11-01'), now }))).toEqual(['2026-10-01', '2026-11-01']);
    expect(resolvePeriod('week', { from: D('2026-11-16'), to: D('2026-11-23'), now }).kind).toBe('week');
    expect(resolvePeriod('week', { from: D('2026-11-01'), to: D('2026-11-15'), now }).kind).toBe('custom');
  });

  it('refuses times that are not midnight and ranges that end before they start', () => {
    expect(() => resolvePeriod('day', { from: Date.parse('2026-11-16T05:00:00Z'), now: 0 })).toThrow(ReportError);
    expect(() => resolvePeriod('day', { from: D('2026-11-16'), to: D('2026-11-16'), now: 0 })).toThrow('--to must be after --from');
  });

  it('labels and lists the days', () => {
    expect(periodLabel({ kind: 'day', from: D('2026-11-16'), to: D('2026-11-17') })).toBe('2026-11-16');
    expect(periodLabel({ kind: 'week', from: D('2026-11-16'), to: D('2026-11-23') })).toBe('2026-11-16..2026-11-22');
    expect(daysOf({ from: D('2026-02-27'), to: D('2026-03-02') })).toEqual(['2026-02-27', '2026-02-28', '2026-03-01']);
  });
});
