import { localDayOf, localHour, localMidnightUtc, MS_PER_DAY, utcOffsetMinutes } from '../../src/calendar';

/** The zone's offset at an instant worked out another way: the local wall clock's fields, as UTC, minus the instant. */
const wallClocks = new Map<string, Intl.DateTimeFormat>();
function offsetFromWallClock(timeZone: string, ms: number): number {
  let f = wallClocks.get(timeZone);
  if (!f) wallClocks.set(timeZone, (f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' })));
  const parts = f.formatToParts(ms);
  const n = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const wall = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'));
  return Math.round((wall - (ms - (ms % 60_000))) / 60_000);
}

describe('calendar: time zones', () => {
  it('gives the offsets tzdb has, half and three-quarter hours and daylight saving included', () => {
    const jan = Date.UTC(2026, 0, 15, 12);
    const jul = Date.UTC(2026, 6, 15, 12);
    const cases: Array<[string, number, number]> = [
      ['UTC', 0, 0],
      ['Asia/Kolkata', 330, 330],
      ['Asia/Kathmandu', 345, 345],
      ['America/New_York', -300, -240],
      ['Europe/London', 0, 60],
      ['Australia/Sydney', 660, 600],
      ['Pacific/Chatham', 825, 765],
      ['America/St_Johns', -210, -150],
    ];
    for (const [zone, winter, summer] of cases) {
      expect([zone, utcOffsetMinutes(zone, jan)]).toEqual([zone, winter]);
      expect([zone, utcOffsetMinutes(zone, jul)]).toEqual([zone, summer]);
    }
  });

  it('changes offset at the instant of a daylight-saving change, and agrees with the wall clock around the year', () => {
    // New York springs forward at 2026-03-08 07:00 UTC (02:00 local).
    const change = Date.UTC(2026, 2, 8, 7);
    expect(utcOffsetMinutes('America/New_York', change - 1)).toBe(-300);
    expect(utcOffsetMinutes('America/New_York', change)).toBe(-240);
    expect(localHour(change - 60_000, 'America/New_York')).toBeCloseTo(1 + 59 / 60, 9);
    expect(localHour(change, 'America/New_York')).toBe(3);
    for (const zone of ['Europe/Berlin', 'Australia/Adelaide', 'America/Santiago', 'Asia/Tehran', 'Africa/Casablanca']) {
      for (let at = Date.UTC(2026, 0, 1); at < Date.UTC(2027, 0, 1); at += 7 * 3_600_000 + 15 * 60_000) {
        expect([zone, at, utcOffsetMinutes(zone, at)]).toEqual([zone, at, offsetFromWallClock(zone, at)]);
      }
    }
  });

  it('puts an instant on its local day and local midnight', () => {
    // 2026-07-15 20:00 UTC is already the 16th in Sydney (+10), still the 15th in New York (-4).
    const at = Date.UTC(2026, 6, 15, 20);
    const day15 = Math.floor(Date.UTC(2026, 6, 15) / MS_PER_DAY);
    expect(localDayOf(at, 'Australia/Sydney')).toBe(day15 + 1);
    expect(localDayOf(at, 'America/New_York')).toBe(day15);
    expect(localMidnightUtc(day15, 'Asia/Kolkata')).toBe(Date.UTC(2026, 6, 14, 18, 30));
  });
});
