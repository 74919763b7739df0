// An export split over UTC midnight (span.ts): the run of activity still going on at midnight is judged
// as one window on the second day by the day-volume detectors, with the window in the alert's clause;
// an ordinary evening that spans midnight is not alerted, bytes the day before already alerted on are not
// raised again, and a live detector (Kafka's order: per user, users interleaved, any batches) gives the
// alerts a backfill (hour blocks in event order) gives.
import type { AlertRecord } from '../../src/alerts/types';
import { inEventOrder } from '../../src/detect/backfill';
import type { DetectEvent } from '../../src/detect/event';
import { engine, last, ofDay, run, users } from '../helpers/across-midnight';
import { at, DAY, GB, MB, MIN } from '../helpers/detect-time';

const HOUR = 60 * MIN;

describe('an export across UTC midnight is judged as one window', () => {
  it('16 GB from 22:00 to 02:00 UTC (8 GB on each day) is high on the second day, naming the window', async () => {
    const alerts = await engine().process(run('steady', at(DAY, 22), 80, 200 * MB, 3));
    // Neither day alone is 100x their expected day of about 140 MB (14 GB): the window is.
    expect(Math.max(...ofDay(alerts, DAY).map((a) => a.observedBytes))).toBeLessThan(9 * GB);
    const second = last(ofDay(alerts, DAY + 1));
    expect(second.severity).toBe('high');
    expect(second.detectors).toContain('magnitude');
    expect(second.explanation).toMatch(/policy: 1[4-6](\.\d+)? GB in the \d h \d\d m from 22:00 UTC the day before to 0[01]:\d\d UTC without a pause of an hour \(across UTC midnight\): 1[4-6](\.\d+)? GB in the window is \d+x their expected day \(1\d\d MB\)/);
    // One alert per user and UTC day: the second day's, its window beginning the day before.
    expect(second.windowStart).toBe(DAY * 86_400_000);
    const f = second.findings.find((x) => x.detector === 'magnitude')!;
    expect(f.details!.windowStart).toBe('2026-10-12T22:00:00.000Z');
    expect(f.observed).toBeGreaterThan(14 * GB);
    // Raised while the export runs, as soon as the window crossed.
    expect(Date.parse(String(f.details!.windowEnd))).toBeLessThan(at(DAY + 1, 2));
  });

  it('the pii limit (10 GB a day) is judged on the window too: 6 + 6 GB from customer records', async () => {
    const alerts = await engine().process(run('wide', at(DAY, 22), 40, 300 * MB, 6, 'crm.customers'));
    expect(ofDay(alerts, DAY).flatMap((a) => a.detectors)).not.toContain('sensitive');
    const second = last(ofDay(alerts, DAY + 1));
    expect(second.detectors).toContain('sensitive');
    expect(second.explanation).toMatch(/policy: 1[0-2](\.\d+)? GB in the 3 h \d\d m from 22:00 UTC the day before to 0[01]:\d\d UTC without a pause of an hour \(across UTC midnight\): 1[0-2](\.\d+)? GB from pii\/payment tables \(limit 10 GB\)/);
  });

  it('a pause of an hour at midnight ends the run: the two halves are two days', async () => {
    const before = run('steady', at(DAY, 20), 40, 200 * MB, 3, 'crm.orders', 'a'); // 20:00-21:57
    const after = run('steady', at(DAY + 1, 0, 30), 40, 200 * MB, 3, 'crm.orders', 'b'); // 00:30-02:27, 2.5 h later
    const alerts = await engine().process([...before, ...after]);
    expect(alerts.flatMap((a) => a.detectors)).not.toContain('magnitude');
    expect(alerts.some((a) => a.explanation.includes('across UTC midnight'))).toBe(false);
  });
});

describe('what is not alerted across midnight', () => {
  it('an ordinary evening that spans midnight, every working day for two weeks: no alert', async () => {
    const events: DetectEvent[] = [];
    for (let d = DAY; d < DAY + 14; d++) {
      if ([5, 6].includes((d - DAY) % 7)) continue;
      // Their day (about 150 MB, as their history says) between 17:00 and 02:00 UTC, a query every 10 minutes.
      const bytes = users.evening.daily(d)! / 54;
      events.push(...run('evening', at(d, 17), 54, bytes, 10, 'crm.orders', `d${d}`));
    }
    const alerts = await engine().process(events.sort(inEventOrder));
    expect(alerts).toEqual([]);
  });

  it('bytes the day before already alerted on are not raised again the next day', async () => {
    // 10 GB by 23:59 (volumeSelf on the first day), then 200 MB more after midnight without a pause.
    const alerts = await engine().process(run('steady', at(DAY, 21), 60, 170 * MB, 3).concat(run('steady', at(DAY + 1, 0, 1), 2, 100 * MB, 3, 'crm.orders', 'late')));
    expect(ofDay(alerts, DAY).flatMap((a) => a.detectors)).toContain('volumeSelf');
    expect(ofDay(alerts, DAY + 1).flatMap((a) => a.detectors)).not.toContain('volumeSelf');
    expect(ofDay(alerts, DAY + 1).flatMap((a) => a.detectors)).not.toContain('magnitude');
  });
});

describe('live and backfill give the same alerts across midnight', () => {
  it("Kafka's order (each user's events in order, users interleaved, uneven batches) and hour blocks in event order", async () => {
    const events = [
      ...run('steady', at(DAY, 22), 80, 200 * MB, 3),
      ...run('wide', at(DAY, 22, 30), 40, 300 * MB, 6, 'crm.customers'),
      ...run('m3', at(DAY, 23), 30, 20 * MB, 4),
      ...run('m3', at(DAY + 1, 9), 30, 5 * MB, 4, 'crm.orders', 'morning'),
    ];
    // Backfill: one hour at a time, in event order.
    const backfilled: AlertRecord[] = [];
    const b = engine();
    const sorted = [...events].sort(inEventOrder);
    for (let h = at(DAY, 0); h < at(DAY + 2, 0); h += HOUR) backfilled.push(...(await b.process(sorted.filter((e) => e.ts >= h && e.ts < h + HOUR))));
    // Live: one partition per user, read a user at a time (so one user's next day comes before another's day), in batches of 7.
    const live: AlertRecord[] = [];
    const l = engine();
    const byUser = ['wide', 'steady', 'm3'].flatMap((u) => sorted.filter((e) => e.user === u));
    for (let i = 0; i < byUser.length; i += 7) live.push(...(await l.process(byUser.slice(i, i + 7))));
    const key = (a: AlertRecord) => `${a.alertId}/${a.revision}`;
    const order = (xs: AlertRecord[]) => [...xs].sort((x, y) => (key(x) < key(y) ? -1 : 1));
    expect(backfilled.some((a) => a.explanation.includes('across UTC midnight'))).toBe(true);
    expect(order(live)).toEqual(order(backfilled));
  });

  it('a backfill from midnight (detect --once --from), primed with the day before and its alerts, gives the live alerts of its first day', async () => {
    const events = [
      // 16 GB across midnight, and 10 GB by 23:59 (alerted that day) with 200 MB more after it.
      ...run('steady', at(DAY, 22), 80, 200 * MB, 3),
      ...run('m5', at(DAY, 21), 60, 170 * MB, 3),
      ...run('m5', at(DAY + 1, 0, 1), 2, 100 * MB, 3, 'crm.orders', 'late'),
    ].sort(inEventOrder);
    const live = await engine().process(events);
    const liveDayBefore = ofDay(live, DAY);
    expect(liveDayBefore.filter((a) => a.user === 'm5').flatMap((a) => a.detectors)).toContain('volumeSelf');
    const latestOf = new Map(liveDayBefore.map((a) => [a.alertId, a]));
    const period = events.filter((e) => e.ts >= at(DAY + 1, 0));
    const backfill = async (prime: boolean) => {
      const b = engine();
      b.restore([...latestOf.values()]);
      if (prime) await b.prime(events.filter((e) => e.ts < at(DAY + 1, 0)), at(DAY + 1, 0));
      return b.process(period);
    };
    const primed = await backfill(true);
    expect(primed).toEqual(ofDay(live, DAY + 1));
    expect(primed.some((a) => a.user === 'steady' && a.explanation.includes('across UTC midnight'))).toBe(true);
    // Without the day before, the first midnight splits the export in two.
    expect((await backfill(false)).some((a) => a.explanation.includes('across UTC midnight'))).toBe(false);
  });

  it('a backfill from 01:00 (detect --once --from), primed with the stored events before it and restored alerts, gives the live alerts from 01:00', async () => {
    const from = at(DAY + 1, 1);
    const events = [
      // 16 GB from 22:00 to 02:00: the window crosses magnitude's threshold after 01:00.
      ...run('steady', at(DAY, 22), 80, 200 * MB, 3),
      // 10 GB by 23:59 (alerted that day) with 600 MB more after midnight, across 01:00.
      ...run('m5', at(DAY, 21), 60, 170 * MB, 3),
      ...run('m5', at(DAY + 1, 0, 1), 30, 20 * MB, 3, 'crm.orders', 'late'),
      ...run('m3', at(DAY + 1, 0, 30), 30, 20 * MB, 4, 'crm.orders', 'night'),
    ].sort(inEventOrder);
    // Live: the events before 01:00 (their revisions stored), then the rest.
    const l = engine();
    const stored = await l.process(events.filter((e) => e.ts < from));
    const live = await l.process(events.filter((e) => e.ts >= from));
    expect(live.some((a) => a.user === 'steady' && a.explanation.includes('across UTC midnight'))).toBe(true);
    // Backfill: the latest stored revisions restored, the stored events from the day before up to 01:00 primed.
    const b = engine();
    b.restore([...new Map(stored.map((a) => [a.alertId, a])).values()]);
    await b.prime(events.filter((e) => e.ts >= at(DAY, 0) && e.ts < from), from);
    expect(await b.process(events.filter((e) => e.ts >= from))).toEqual(live);
    expect(b.stats().events).toBe(events.filter((e) => e.ts >= from).length);
  });
});
