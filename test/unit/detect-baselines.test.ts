// The baselines of the detection engine, on hand-built daily series: robust bands (median and MAD of
// log volume), weekday/weekend bands, cold start, the slow-drip window and peer statistics.
import { mean, sampleStandardDeviation } from 'simple-statistics';
import { dayOf, isWeekend } from '../../src/calendar';
import { bandOf, dripHistory, MIN_WEEKEND_DAYS, peerStats, userBaseline, type BaselineParams, type DayVolume } from '../../src/detect/baselines';

const MB = 1e6;
const GB = 1e9;
/** Monday 2026-09-07; DAY is five weeks later, also a Monday, with enough days before it for every window. */
const MON = dayOf(Date.UTC(2026, 8, 7));
const DAY = MON + 35;
const SATURDAY = DAY - 2;
const PARAMS: BaselineParams = { baselineDays: 28, minHistoryDays: 10, sigmaFloor: 0.4, dripWindowDays: 10 };

/** The `n` weekdays before `day` (nearest first), with bytes from `bytesOf(i)` (i = 0: the nearest one). */
function weekdaysBefore(day: number, n: number, bytesOf: (i: number) => number): DayVolume[] {
  const out: DayVolume[] = [];
  for (let d = day - 1; out.length < n; d--) if (!isWeekend(d)) out.push({ day: d, bytes: bytesOf(out.length) });
  return out;
}

/** The `n` weekend days before `day` (nearest first). */
function weekendsBefore(day: number, n: number, bytesOf: (i: number) => number): DayVolume[] {
  const out: DayVolume[] = [];
  for (let d = day - 1; out.length < n; d--) if (isWeekend(d)) out.push({ day: d, bytes: bytesOf(out.length) });
  return out;
}

/** A normal office worker: 80, 90, 100, 110, 120 MB in turn (median 100 MB). */
const normal = (i: number) => (80 + 10 * (i % 5)) * MB;

describe('bandOf', () => {
  it('takes the median of the volumes and 1.4826 x the MAD of their logs as sigma', () => {
    const band = bandOf([150 * MB, 60 * MB, 100 * MB, 120 * MB, 80 * MB], 'weekday', 0.01);
    expect(band.median).toBeCloseTo(100 * MB, 0);
    // |log(x / 100 MB)|: 0.405, 0.511, 0, 0.182, 0.223: the median is ln(1.25) = 0.223.
    expect(band.sigma).toBeCloseTo(1.4826 * Math.log(1.25), 6);
    expect(band).toMatchObject({ days: 5, kind: 'weekday' });
  });

  it('takes the middle of the two middle logs for an even count (the geometric mean of 2 and 3)', () => {
    expect(bandOf([1, 2, 3, 4], 'weekend', 0.4).median).toBeCloseTo(Math.sqrt(6), 9);
  });

  it('floors sigma, so a very regular employee is not 50 sd away by doing twice the usual', () => {
    expect(bandOf(Array(20).fill(100 * MB), 'weekday', 0.4).sigma).toBe(0.4);
    expect(bandOf([100 * MB], 'weekday', 0.4)).toMatchObject({ sigma: 0.4, days: 1 });
    // Above the floor the measured spread is kept.
    expect(bandOf([10 * MB, 100 * MB, 1 * GB], 'weekday', 0.4).sigma).toBeCloseTo(1.4826 * Math.log(10), 6);
  });
});

describe('userBaseline: one past spike', () => {
  const steady = weekdaysBefore(DAY, 20, normal);
  // The same 20 days, one of them (ten days ago) 50x the usual: an approved migration, a month-end report.
  const spiky = steady.map((d, i) => (i === 7 ? { ...d, bytes: 50 * 100 * MB } : d));

  it('does not move the median or sigma of the band materially', () => {
    const without = userBaseline(steady, DAY, null, PARAMS).band!;
    const withSpike = userBaseline(spiky, DAY, null, PARAMS).band!;
    expect(withSpike.days).toBe(20);
    expect(Math.abs(withSpike.median / without.median - 1)).toBeLessThan(0.06);
    expect(Math.abs(withSpike.sigma - without.sigma)).toBeLessThan(0.05);
  });

  it('inflates the textbook mean and sd instead, which would then hide a 20x day', () => {
    const plain = steady.map((d) => d.bytes);
    const inflated = spiky.map((d) => d.bytes);
    expect(mean(inflated)).toBeGreaterThan(3 * mean(plain));
    expect(sampleStandardDeviation(inflated)).toBeGreaterThan(50 * sampleStandardDeviation(plain));
    // A 2 GB day (20x the usual) is below mean + 3 sd after the spike...
    expect(2 * GB).toBeLessThan(mean(inflated) + 3 * sampleStandardDeviation(inflated));
    // ...but still far above the robust band: more than 4 robust sd of log volume above its median.
    const band = userBaseline(spiky, DAY, null, PARAMS).band!;
    expect((Math.log(2 * GB) - Math.log(band.median)) / band.sigma).toBeGreaterThan(4);
  });
});

describe('userBaseline: weekdays and weekends', () => {
  const weekdays = weekdaysBefore(SATURDAY, 20, normal);
  const quietWeekends = (n: number) => weekendsBefore(SATURDAY, n, () => 10 * MB);

  it(`judges a weekend day against weekends once there are ${MIN_WEEKEND_DAYS} of them`, () => {
    const b = userBaseline([...weekdays, ...quietWeekends(MIN_WEEKEND_DAYS)], SATURDAY, null, PARAMS);
    expect(b.band).toMatchObject({ kind: 'weekend', days: MIN_WEEKEND_DAYS });
    expect(b.band!.median).toBeCloseTo(10 * MB, 0);
    expect(b.activeDays).toBe(20 + MIN_WEEKEND_DAYS);
  });

  it('judges a weekend day against weekdays while weekends are too rare', () => {
    const b = userBaseline([...weekdays, ...quietWeekends(MIN_WEEKEND_DAYS - 1)], SATURDAY, null, PARAMS);
    expect(b.band).toMatchObject({ kind: 'weekday', days: 20 });
    expect(b.band!.median).toBeCloseTo(100 * MB, 0);
  });

  it('treats a weekend with little history of any kind as a cold start, like a weekday', () => {
    // Four weekend days are enough weekends, but four active days are not enough history (minHistoryDays 10).
    const b = userBaseline(quietWeekends(MIN_WEEKEND_DAYS), SATURDAY, null, PARAMS);
    expect(b.activeDays).toBe(MIN_WEEKEND_DAYS);
    expect(b.band).toBeNull();
  });

  it('keeps weekend days out of the band of a weekday', () => {
    const busyWeekends = weekendsBefore(DAY, 8, () => 5 * GB);
    const b = userBaseline([...weekdaysBefore(DAY, 20, normal), ...busyWeekends], DAY, null, PARAMS);
    expect(b.band).toMatchObject({ kind: 'weekday', days: 20 });
    expect(b.band!.median).toBeCloseTo(100 * MB, 0);
  });
});

describe('userBaseline: history', () => {
  it('gives no band (cold start) with fewer than minHistoryDays active days, and one from minHistoryDays on', () => {
    const nine = userBaseline(weekdaysBefore(DAY, 9, normal), DAY, null, PARAMS);
    expect(nine.band).toBeNull();
    expect(nine.activeDays).toBe(9);
    const ten = userBaseline(weekdaysBefore(DAY, 10, normal), DAY, null, PARAMS);
    expect(ten.band).toMatchObject({ kind: 'weekday', days: 10 });
    expect(ten.activeDays).toBe(10);
  });

  it('counts only the trailing baselineDays and days with bytes', () => {
    // 30 weekdays go back six weeks: only the 20 of the last 28 days count.
    expect(userBaseline(weekdaysBefore(DAY, 30, normal), DAY, null, PARAMS)).toMatchObject({ activeDays: 20, band: { days: 20 } });
    // Days of 0 bytes are no activity: 9 active days are still a cold start.
    const withZeros = [...weekdaysBefore(DAY, 9, normal), ...weekdaysBefore(DAY - 14, 5, () => 0)];
    expect(userBaseline(withZeros, DAY, null, PARAMS)).toMatchObject({ activeDays: 9, band: null });
  });

  it('ignores the judged day and the days after it, so a day is judged the same live and in a backfill', () => {
    const past = weekdaysBefore(DAY, 20, normal);
    const future = [
      { day: DAY, bytes: 50 * GB },
      { day: DAY + 1, bytes: 50 * GB },
      { day: DAY + 10, bytes: 1 * MB },
    ];
    const b = userBaseline([...past, ...future], DAY, 42 * MB, PARAMS);
    expect(b).toEqual(userBaseline(past, DAY, 42 * MB, PARAMS));
    expect(b.hourlyP95).toBe(42 * MB);
    expect(b.drip.prior.every((d) => d.day < DAY)).toBe(true);
  });
});

describe('dripHistory', () => {
  // 40 working days: the last 9 at 300 MB (the drip), the 31 before at 100 MB; weekends of 5 GB.
  const series = [...weekdaysBefore(DAY, 40, (i) => (i < 9 ? 300 * MB : 100 * MB)), ...weekendsBefore(DAY, 16, () => 5 * GB)];

  it('takes the last windowDays - 1 working days before the day, oldest first', () => {
    const h = dripHistory(series, DAY, PARAMS);
    const expected = weekdaysBefore(DAY, 9, () => 300 * MB).reverse();
    expect(h.prior).toEqual(expected);
    expect(h.prior.some((d) => isWeekend(d.day))).toBe(false);
  });

  it('takes the reference from the working days in the baselineDays before the window, which the drip cannot raise', () => {
    const h = dripHistory(series, DAY, PARAMS);
    const windowStart = h.prior[0].day;
    // 28 calendar days before the window hold 20 working days, all at 100 MB; its weekends are left out.
    expect(h.referenceDays).toBe(20);
    expect(h.reference).toBe(100 * MB);
    const reference = series.filter((d) => !isWeekend(d.day) && d.day < windowStart && d.day >= windowStart - PARAMS.baselineDays);
    expect(reference).toHaveLength(20);
  });

  it('ignores the day itself and later days, and has no reference without days before the window', () => {
    const withToday = [...series, { day: DAY, bytes: 9 * GB }, { day: DAY + 1, bytes: 9 * GB }];
    expect(dripHistory(withToday, DAY, PARAMS)).toEqual(dripHistory(series, DAY, PARAMS));
    const short = weekdaysBefore(DAY, 6, () => 300 * MB);
    expect(dripHistory(short, DAY, PARAMS)).toEqual({ prior: [...short].reverse(), reference: null, referenceDays: 0 });
  });
});

describe('peerStats', () => {
  it('gives the median and the quantile of the user-days, whatever their order, without sorting the input', () => {
    const bytes = [500, 100, 300, 200, 400];
    const s = peerStats('Sales/sales_ops', 3, bytes, 0.5)!;
    expect(s).toEqual({ group: 'Sales/sales_ops', members: 3, userDays: 5, median: 300, quantile: 300, q: 0.5 });
    expect(bytes).toEqual([500, 100, 300, 200, 400]);
  });

  it('puts a high quantile near the top of the user-days', () => {
    const bytes = Array.from({ length: 100 }, (_, i) => (100 - i) * MB);
    const s = peerStats('Sales/*', 10, bytes, 0.99)!;
    expect(s.median).toBeCloseTo(50.5 * MB, 0);
    expect(s.quantile).toBeGreaterThanOrEqual(99 * MB);
    expect(s.quantile).toBeLessThanOrEqual(100 * MB);
    expect(s).toMatchObject({ group: 'Sales/*', q: 0.99, userDays: 100 });
  });

  it('is null without any user-day', () => {
    expect(peerStats('Sales/sales_ops', 5, [], 0.99)).toBeNull();
  });
});
