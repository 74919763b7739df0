// The reference detectors' rules as pure functions: static-1gb and mean-3sd over hand-built daily series.
import {
  judgeDay,
  meanSdAlerts,
  meanSdSeverity,
  MEAN_3SD,
  MS_PER_DAY,
  staticSeverity,
  staticThresholdAlerts,
  trailingHistory,
  type UserDay,
} from '../../src/evaluate';

const DAY0 = Date.UTC(2026, 2, 1) / MS_PER_DAY; // 2026-03-01
const series = (user: string, values: number[], first = DAY0): UserDay[] => values.map((bytes, i) => ({ user, day: first + i, bytes })).filter((d) => d.bytes > 0);

describe('static-1gb', () => {
  it('flags a day strictly above 1e9 bytes, once per user-day, firing at the end of the UTC day', () => {
    const days: UserDay[] = [
      { user: 'a', day: DAY0, bytes: 1e9 },
      { user: 'a', day: DAY0 + 1, bytes: 1e9 + 1 },
      { user: 'b', day: DAY0 + 1, bytes: 20e9 },
      { user: 'c', day: DAY0 + 1, bytes: 5e8 },
    ];
    const alerts = staticThresholdAlerts(days, { name: 'static-1gb', threshold: 1e9 });
    expect(alerts.map((a) => [a.user, a.severity, a.observedBytes])).toEqual([
      ['a', 'low', 1e9 + 1],
      ['b', 'critical', 20e9],
    ]);
    expect(alerts[0].windowStart.toISOString()).toBe('2026-03-02T00:00:00.000Z');
    expect(alerts[0].windowEnd.toISOString()).toBe('2026-03-03T00:00:00.000Z');
    expect(alerts[0].firedAt).toEqual(alerts[0].windowEnd);
    expect(alerts[1].reason).toMatch(/20000000000 bytes on 2026-03-02 \(UTC\), above the fixed limit of 1000000000 bytes per day \(x20\.0\)/);
  });

  it('grades severity by the multiple of the threshold', () => {
    expect([1.5e9, 2e9, 4e9, 9.9e9, 10e9].map((b) => staticSeverity(b, 1e9))).toEqual(['low', 'medium', 'high', 'high', 'critical']);
  });
});

describe('mean-3sd', () => {
  it('judges against the sample mean and standard deviation of the history', () => {
    const history = [1, 2, 3, 4, 5, 6, 7]; // mean 4, sample sd sqrt(28 / 6)
    const sd = Math.sqrt(28 / 6);
    const j = judgeDay(history, 10);
    expect(j).toMatchObject({ judged: true, historyDays: 7, mean: 4, anomalous: false });
    if (!j.judged) throw new Error('not judged');
    expect(j.sd).toBeCloseTo(sd, 12);
    expect(j.threshold).toBeCloseTo(4 + 3 * sd, 12);
    expect(judgeDay(history, 4 + 3 * sd + 0.01)).toMatchObject({ anomalous: true });
  });

  it('flags a spike, not a constant series, and does not judge fewer than 7 days of history', () => {
    expect(judgeDay([100, 120, 90, 110, 100, 95, 105, 0, 0, 100], 1000)).toMatchObject({ judged: true, anomalous: true });
    expect(judgeDay(Array(30).fill(500), 500)).toMatchObject({ judged: true, anomalous: false, sd: 0, z: 0 });
    expect(judgeDay(Array(6).fill(100), 1e12)).toEqual({ judged: false, historyDays: 6 });
    expect(judgeDay(Array(7).fill(100), 1e12)).toMatchObject({ judged: true, anomalous: true, z: Infinity });
  });

  it('builds the trailing history from the first seen day, with 0 for quiet days, without the day itself, at most 30 days', () => {
    const bytes = new Map([
      [DAY0, 5],
      [DAY0 + 2, 7],
      [DAY0 + 3, 9],
    ]);
    expect(trailingHistory(bytes, DAY0, DAY0 + 3, 30)).toEqual([5, 0, 7]);
    expect(trailingHistory(bytes, DAY0 + 1, DAY0 + 3, 30)).toEqual([0, 7]);
    expect(trailingHistory(bytes, DAY0, DAY0, 30)).toEqual([]);
    const long = trailingHistory(bytes, DAY0, DAY0 + 40, 30);
    expect(long).toHaveLength(30);
    expect(long.every((v) => v === 0)).toBe(true);
  });

  it('raises one alert for the spike day of a steady user, fired at the end of that day', () => {
    const steady = [100, 110, 90, 105, 95, 100, 102, 98, 101, 99];
    const days = [...series('u', [...steady, 5000, ...steady])];
    const alerts = meanSdAlerts(days, new Map([['u', DAY0]]), { first: DAY0, last: DAY0 + 20 });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ user: 'u', detector: 'mean-3sd', observedBytes: 5000 });
    expect(alerts[0].windowStart.getTime()).toBe((DAY0 + 10) * MS_PER_DAY);
    expect(alerts[0].firedAt.getTime()).toBe((DAY0 + 11) * MS_PER_DAY);
    expect(alerts[0].reason).toMatch(/^5000 bytes on 2026-03-11 \(UTC\) > mean 100 \+ 3 sd \d+ = \d+ of the previous 10 days/);
  });

  it('does not judge a user seen for fewer than 7 days, however large the day', () => {
    const days = series('new', [10, 10, 10, 10, 10, 10, 1e12]);
    expect(meanSdAlerts(days, new Map([['new', DAY0]]), { first: DAY0, last: DAY0 + 6 })).toEqual([]);
    // One more day of history and the same day is judged.
    const later = series('new', [10, 10, 10, 10, 10, 10, 10, 1e12]);
    expect(meanSdAlerts(later, new Map([['new', DAY0]]), { first: DAY0, last: DAY0 + 7 })).toHaveLength(1);
  });

  it('counts quiet days from the first seen day (stored before the range) as zeros', () => {
    // Seen once, 20 days before the range; nothing since: the history is that one day and 19 zeros.
    const days: UserDay[] = [
      { user: 'q', day: DAY0, bytes: 1000 },
      { user: 'q', day: DAY0 + 20, bytes: 1000 },
    ];
    const alerts = meanSdAlerts(days, new Map([['q', DAY0]]), { first: DAY0 + 20, last: DAY0 + 20 });
    // mean 50, sample sd about 224: 1000 > 50 + 3 * 224.
    expect(alerts).toHaveLength(1);
    // The first seen day is never after the earliest day in the data, whatever the map says.
    expect(meanSdAlerts(days, new Map(), { first: DAY0 + 20, last: DAY0 + 20 })).toHaveLength(1);
  });

  it('judges only days inside the range but uses history before it', () => {
    const steady = Array(12).fill(100);
    const days = series('r', [...steady, 9000, ...steady, 9000]);
    const alerts = meanSdAlerts(days, new Map([['r', DAY0]]), { first: DAY0 + 13, last: DAY0 + 30 });
    expect(alerts.map((a) => a.windowStart.getTime() / MS_PER_DAY - DAY0)).toEqual([25]);
  });

  it('is the textbook rule: one past spike inflates the baseline and hides a later, smaller one', () => {
    const steady = Array(10).fill(100);
    const range = { first: DAY0, last: DAY0 + 21 };
    const startsOf = (days: UserDay[]) => meanSdAlerts(days, new Map([['s', DAY0]]), range, { ...MEAN_3SD, name: 'mean-3sd' }).map((a) => a.windowStart.getTime() / MS_PER_DAY - DAY0);
    // 30x the normal day is flagged on its own...
    expect(startsOf(series('s', [...steady, 100, ...steady, 3000]))).toEqual([21]);
    // ...but not within 30 days of a 50x day.
    expect(startsOf(series('s', [...steady, 5000, ...steady, 3000]))).toEqual([10]);
  });

  it('grades severity by standard deviations', () => {
    expect([3.1, 5, 10, 20, Infinity].map(meanSdSeverity)).toEqual(['low', 'medium', 'high', 'critical', 'critical']);
  });
});
