// The window judged across midnight cannot be stretched out of reach (span.ts): a tiny query every 30
// minutes (a keep-alive, a dashboard) keeps a run of activity going for days, and the export across
// midnight within it is still judged as one window of at most a day. Those who are busy round the clock
// doing what they usually do (a keep-alive beside an evening's work, a service account) raise nothing.
import { inEventOrder } from '../../src/detect/backfill';
import type { DetectEvent } from '../../src/detect/event';
import { engine, last, ofDay, run, serviceDaily, users } from '../helpers/across-midnight';
import { at, DAY, GB, MB } from '../helpers/detect-time';

const KB = 1e3;

/** A 10 KB query every 30 minutes from `from` for `hours`. */
const keepAlive = (user: string, from: number, hours: number) => run(user, from, hours * 2, 10 * KB, 30, 'crm.orders', `ping${from}`);

describe('a keep-alive does not put an export across midnight out of reach', () => {
  it('16 GB from 22:00 to 02:00 UTC inside a run of a query every 30 minutes since the morning before: high on the second day', async () => {
    const events = [...keepAlive('steady', at(DAY, 0), 30), ...run('steady', at(DAY, 22), 80, 200 * MB, 3)].sort(inEventOrder);
    const alerts = await engine().process(events);
    expect(Math.max(...ofDay(alerts, DAY).map((a) => a.observedBytes))).toBeLessThan(9 * GB);
    const second = last(ofDay(alerts, DAY + 1));
    expect(second.severity).toBe('high');
    expect(second.detectors).toContain('magnitude');
    // The run began at 00:00 the day before: the window is the last day of it, from a whole hour of the day before.
    expect(second.explanation).toMatch(/policy: 1[4-6](\.\d+)? GB in the 2\d h \d\d m from \d\d:00 UTC the day before to 0[01]:\d\d UTC without a pause of an hour \(across UTC midnight\)/);
    const f = second.findings.find((x) => x.detector === 'magnitude')!;
    const start = Date.parse(String(f.details!.windowStart));
    const end = Date.parse(String(f.details!.windowEnd));
    expect(end - start).toBeLessThanOrEqual(24 * 3_600_000);
    expect(start).toBeLessThanOrEqual(at(DAY, 22));
  });

  it('the same with the keep-alive going for three days before', async () => {
    const events = [...keepAlive('steady', at(DAY - 3, 0), 4 * 24 + 6), ...run('steady', at(DAY, 22), 80, 200 * MB, 3)].sort(inEventOrder);
    const alerts = await engine().process(events);
    expect(ofDay(alerts, DAY + 1).flatMap((a) => a.detectors)).toContain('magnitude');
  });

  it('a pause of an hour at midnight still ends the run, keep-alive or not before it', async () => {
    const events = [...keepAlive('steady', at(DAY, 0), 20), ...run('steady', at(DAY, 20), 40, 200 * MB, 3, 'crm.orders', 'a'), ...run('steady', at(DAY + 1, 0, 30), 40, 200 * MB, 3, 'crm.orders', 'b')];
    const alerts = await engine().process(events.sort(inEventOrder));
    expect(alerts.some((a) => a.explanation.includes('across UTC midnight'))).toBe(false);
  });
});

describe('round the clock, as usual: no alert', () => {
  it('an evening worker (17:00-02:00 UTC) with a dashboard refreshing every 30 minutes, two weeks of working days', async () => {
    const events: DetectEvent[] = [];
    for (let d = DAY; d < DAY + 14; d++) {
      if ([5, 6].includes((d - DAY) % 7)) continue;
      events.push(...run('evening', at(d, 17), 54, users.evening.daily(d)! / 54, 10, 'crm.orders', `d${d}`));
    }
    events.push(...keepAlive('evening', at(DAY, 0), 14 * 24));
    expect(await engine().process(events.sort(inEventOrder))).toEqual([]);
  });

  it('a service account moving its usual 2 GB a day in a query every 10 minutes, every working day and night for two weeks', async () => {
    const events: DetectEvent[] = [];
    for (let d = DAY; d < DAY + 14; d++) {
      if ([5, 6].includes((d - DAY) % 7)) continue;
      events.push(...run('svc', at(d, 0), 144, serviceDaily(d) / 144, 10, 'crm.orders', `d${d}`));
    }
    expect(await engine({ service: true }).process(events.sort(inEventOrder))).toEqual([]);
  });
});

describe("the day before's events arriving late (a source behind)", () => {
  // The live order: each user's events as they arrive, the day before's from 23:00 (but those of session
  // `onTime`) after the next day's up to 01:10.
  const lagged = (events: DetectEvent[], onTime = '') => {
    const sorted = [...events].sort(inEventOrder);
    const late = (e: DetectEvent) => e.ts >= at(DAY, 23) && e.ts < at(DAY + 1, 0) && e.sessionId !== onTime;
    const rest = sorted.filter((e) => !late(e));
    const cut = rest.findIndex((e) => e.ts >= at(DAY + 1, 1, 10));
    return [...rest.slice(0, cut), ...sorted.filter(late), ...rest.slice(cut)];
  };

  it('16 GB from 22:00 to 02:00, its 23:00-24:00 arriving after 01:10: still judged as one window (the run carried when they come)', async () => {
    const alerts = await engine().process(lagged(run('steady', at(DAY, 22), 80, 200 * MB, 3)));
    const second = last(ofDay(alerts, DAY + 1));
    expect(second.detectors).toContain('magnitude');
    expect(second.explanation).toContain('from 22:00 UTC the day before');
  });

  it('the same with a query at 23:31 from a source on time (the run carried at midnight, the late bytes added to it)', async () => {
    const events = [...run('steady', at(DAY, 22), 80, 200 * MB, 3), ...run('steady', at(DAY, 23, 31), 1, 10 * KB, 3, 'crm.orders', 'on-time')];
    const alerts = await engine().process(lagged(events, 'steady-on-time'));
    const f = last(ofDay(alerts, DAY + 1)).findings.find((x) => x.detector === 'magnitude')!;
    expect(f.details!.windowStart).toBe('2026-10-12T22:00:00.000Z');
    expect(f.observed).toBeGreaterThan(14 * GB);
  });
});
