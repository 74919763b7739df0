// One history build per day, and the days built before they began (src/detect/day-histories.ts): an early
// build serves until its day begins and is built again then, unless built within EARLY_ENOUGH_MS of the
// day; load() replaces an early build ahead of midnight, keeping it if the replacement fails.
import { MS_PER_DAY, MS_PER_HOUR } from '../../src/calendar';
import { createDayHistories, EARLY_ENOUGH_MS } from '../../src/detect/day-histories';
import type { DayHistory } from '../../src/detect/history';

const DAY = 20_500;

/** Builds that record when each began and resolve to a token naming it (or fail while `failing`). */
function builds() {
  const begun: Array<{ day: number; at: number }> = [];
  let clock = 0;
  let failing = false;
  const build = async (day: number): Promise<DayHistory> => {
    begun.push({ day, at: clock });
    if (failing) throw new Error('ClickHouse unreachable');
    return { token: begun.length } as unknown as DayHistory;
  };
  return {
    begun,
    build,
    now: () => clock,
    setClock: (ms: number) => void (clock = ms),
    fail: (f: boolean) => void (failing = f),
  };
}
const tokenOf = async (h: Promise<DayHistory>) => ((await h) as unknown as { token: number }).token;

describe('day histories', () => {
  it('builds a day once for every event of it, and again after a failed build', async () => {
    const b = builds();
    b.setClock(DAY * MS_PER_DAY + MS_PER_HOUR);
    const days = createDayHistories(b.build, b.now);
    b.fail(true);
    await expect(days.of(DAY)).rejects.toThrow('ClickHouse unreachable');
    b.fail(false);
    expect(await tokenOf(days.of(DAY))).toBe(2);
    expect(await tokenOf(days.of(DAY))).toBe(2);
    expect(b.begun.length).toBe(2);
  });

  it('builds an early history again once its day has begun, but not one built within the minutes before it', async () => {
    const b = builds();
    const days = createDayHistories(b.build, b.now);
    // An event dated ahead at 20:00: tomorrow built early, serving until midnight.
    b.setClock(DAY * MS_PER_DAY - 4 * MS_PER_HOUR);
    expect(await tokenOf(days.of(DAY))).toBe(1);
    expect(await tokenOf(days.of(DAY))).toBe(1);
    b.setClock(DAY * MS_PER_DAY + 1);
    expect(await tokenOf(days.of(DAY))).toBe(2);
    expect(await tokenOf(days.of(DAY))).toBe(2);
    // Built within EARLY_ENOUGH_MS of its day: it serves the day.
    b.setClock((DAY + 1) * MS_PER_DAY - EARLY_ENOUGH_MS + 1);
    expect(await tokenOf(days.of(DAY + 1))).toBe(3);
    b.setClock((DAY + 1) * MS_PER_DAY + 1);
    expect(await tokenOf(days.of(DAY + 1))).toBe(3);
  });

  it('load() replaces an early history before midnight, and keeps it when the replacement fails', async () => {
    const b = builds();
    const days = createDayHistories(b.build, b.now);
    b.setClock(DAY * MS_PER_DAY - 4 * MS_PER_HOUR);
    await days.of(DAY);
    b.setClock(DAY * MS_PER_DAY - EARLY_ENOUGH_MS / 2);
    b.fail(true);
    await expect(days.load(DAY)).rejects.toThrow('ClickHouse unreachable');
    b.fail(false);
    expect(await tokenOf(days.of(DAY))).toBe(1);
    await days.load(DAY);
    expect(await tokenOf(days.of(DAY))).toBe(3);
    // The replacement serves the day: no build at midnight.
    b.setClock(DAY * MS_PER_DAY + 1);
    expect(await tokenOf(days.of(DAY))).toBe(3);
    expect(b.begun.length).toBe(3);
  });

  it('load(day, earlyMs) keeps for the day a build begun that early (a long build ahead), not one begun earlier still', async () => {
    const b = builds();
    const days = createDayHistories(b.build, b.now);
    // 23:35: a build ahead that needs 20 minutes is begun, told it may begin 25 minutes early.
    b.setClock(DAY * MS_PER_DAY - 25 * 60_000);
    await days.load(DAY, 25 * 60_000);
    b.setClock(DAY * MS_PER_DAY + 1);
    expect(await tokenOf(days.of(DAY))).toBe(1);
    expect(b.begun.length).toBe(1);
    // Without the allowance the same build is built again at midnight (the default EARLY_ENOUGH_MS).
    b.setClock((DAY + 1) * MS_PER_DAY - 25 * 60_000);
    await days.load(DAY + 1);
    b.setClock((DAY + 1) * MS_PER_DAY + 1);
    expect(await tokenOf(days.of(DAY + 1))).toBe(3);
    // An event dated ahead hours before: replaced by load within the allowance, which then serves.
    b.setClock((DAY + 2) * MS_PER_DAY - 4 * MS_PER_HOUR);
    expect(await tokenOf(days.of(DAY + 2))).toBe(4);
    b.setClock((DAY + 2) * MS_PER_DAY - 25 * 60_000);
    await days.load(DAY + 2, 25 * 60_000);
    b.setClock((DAY + 2) * MS_PER_DAY + 1);
    expect(await tokenOf(days.of(DAY + 2))).toBe(5);
    expect(b.begun.length).toBe(5);
  });

  it('forgets the days before the oldest kept', async () => {
    const b = builds();
    b.setClock((DAY + 1) * MS_PER_DAY + MS_PER_HOUR);
    const days = createDayHistories(b.build, b.now);
    await days.of(DAY);
    await days.of(DAY + 1);
    days.forget(DAY + 1);
    await days.of(DAY + 1);
    expect(b.begun.map((x) => x.day)).toEqual([DAY, DAY + 1]);
    await days.of(DAY);
    expect(b.begun.map((x) => x.day)).toEqual([DAY, DAY + 1, DAY]);
  });
});
