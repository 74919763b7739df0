// `detect --once` asks the detector group when its period reaches the days live detectors judge (today and
// yesterday), before it starts and again before each hour it judges in them (src/live-detect/live-members.ts):
// a backfill of weeks takes long enough for a live detector to be started meanwhile.
import { MS_PER_DAY, MS_PER_HOUR } from '../../src/calendar';
import { liveDetectorChecks } from '../../src/live-detect';

const DAY = 20_400;
const at = (day: number, hour: number) => day * MS_PER_DAY + hour * MS_PER_HOUR;
/** The whole hour from `start`. */
const hourFrom = (start: number) => ({ start, end: start + MS_PER_HOUR });

function checks(answers: Array<number | undefined>, start = at(DAY, 12)) {
  const clock = { now: start };
  let asked = 0;
  let unknown = 0;
  const live = liveDetectorChecks(
    async () => answers[asked++],
    () => void unknown++,
    () => clock.now,
  );
  return { live, clock, asked: () => asked, unknown: () => unknown };
}

describe("a backfill's checks for live detectors", () => {
  it('asks at the start only when the period reaches yesterday or today', async () => {
    const c = checks([2, 2]);
    expect(await c.live.atStart(at(DAY - 1, 0))).toBeNull();
    expect(c.asked()).toBe(0);
    expect(await c.live.atStart(at(DAY - 1, 0) + 1)).toEqual({ members: 2, liveFrom: at(DAY - 1, 0) });
    expect(c.asked()).toBe(1);
  });

  it('asks again before each hour in those days, and finds a detector started since the start', async () => {
    const c = checks([0, 0, 0, 1]);
    expect(await c.live.atStart(at(DAY + 1, 0))).toBeNull();
    // Weeks of hours before yesterday: not asked.
    for (let h = at(DAY - 20, 0); h < at(DAY - 1, 0); h += MS_PER_HOUR) expect(await c.live.beforeHour(hourFrom(h))).toBeNull();
    expect(c.asked()).toBe(1);
    expect(await c.live.beforeHour(hourFrom(at(DAY - 1, 0)))).toBeNull();
    expect(await c.live.beforeHour(hourFrom(at(DAY - 1, 1)))).toBeNull();
    expect(await c.live.beforeHour(hourFrom(at(DAY - 1, 2)))).toEqual({ members: 1, liveFrom: at(DAY - 1, 0) });
    expect(c.asked()).toBe(4);
  });

  it('takes the days live detectors judge as of the hour asked about: a backfill that runs past midnight', async () => {
    const c = checks([0, 3]);
    expect(await c.live.atStart(at(DAY + 1, 0))).toBeNull();
    // Started at noon; the backfill reaches yesterday (DAY - 1) after midnight, when it is no longer live...
    c.clock.now = at(DAY + 1, 0) + 5000;
    expect(await c.live.beforeHour(hourFrom(at(DAY - 1, 0)))).toBeNull();
    expect(await c.live.beforeHour(hourFrom(at(DAY - 1, 23)))).toBeNull();
    expect(c.asked()).toBe(1);
    // ...and the day after it is.
    expect(await c.live.beforeHour(hourFrom(at(DAY, 0)))).toEqual({ members: 3, liveFrom: at(DAY, 0) });
  });

  it('asks about an hour that begins before yesterday and ends in it, not about a last hour cut short at its start (a period not on whole hours)', async () => {
    const c = checks([1, 1]);
    const liveFrom = at(DAY - 1, 0);
    // --from 10:30, --to at yesterday's start: the last hour is 23:30 .. 00:00, not in yesterday.
    expect(await c.live.beforeHour({ start: liveFrom - 30 * 60_000, end: liveFrom })).toBeNull();
    expect(c.asked()).toBe(0);
    expect(await c.live.beforeHour(hourFrom(liveFrom - 30 * 60_000))).toEqual({ members: 1, liveFrom });
  });

  it('tells when Kafka did not answer, and lets the backfill go on without asking again (each ask waits out its time-out)', async () => {
    const c = checks([0, undefined, 1]);
    expect(await c.live.atStart(at(DAY + 1, 0))).toBeNull();
    expect(await c.live.beforeHour(hourFrom(at(DAY, 3)))).toBeNull();
    expect(await c.live.beforeHour(hourFrom(at(DAY, 4)))).toBeNull();
    expect(c.asked()).toBe(2);
    expect(c.unknown()).toBe(1);
  });
});
