// Days, weekdays, month ends and time zones. A "day" is a whole number of days since 1970-01-01
// (a calendar date, without a zone); a person's local day becomes UTC through their time zone.
export const MS_PER_HOUR = 3_600_000;
export const MS_PER_DAY = 86_400_000;

export function dayOf(ms: number): number {
  return Math.floor(ms / MS_PER_DAY);
}

/** YYYY-MM-DD of a day number. */
export function dateString(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

/** 0 = Sunday ... 6 = Saturday (1970-01-01 was a Thursday). */
export function weekday(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

export function isWeekend(day: number): boolean {
  const w = weekday(day);
  return w === 0 || w === 6;
}

/** The first working day (Monday to Friday) on or after `day`. */
export function nextWeekday(day: number): number {
  let d = day;
  while (isWeekend(d)) d++;
  return d;
}

/** `n` working days after `day` (n = 0: the first working day on or after it). */
export function addWeekdays(day: number, n: number): number {
  let d = nextWeekday(day);
  for (let i = 0; i < n; i++) d = nextWeekday(d + 1);
  return d;
}

/** True on the last `count` working days of the day's month: when finance closes the books. */
export function isMonthEnd(day: number, count = 3): boolean {
  if (isWeekend(day)) return false;
  const date = new Date(day * MS_PER_DAY);
  const lastOfMonth = dayOf(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0));
  let after = 0;
  for (let d = day + 1; d <= lastOfMonth; d++) if (!isWeekend(d)) after++;
  return after < count;
}

/** True on the month-end days (isMonthEnd) of March, June, September and December: a quarter closes. */
export function isQuarterEnd(day: number, count = 3): boolean {
  return isMonthEnd(day, count) && new Date(day * MS_PER_DAY).getUTCMonth() % 3 === 2;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const offsets = new Map<string, number>();

const QUARTER_HOUR = 900_000;
/** Offsets by zone, then quarter hour (numbers: no key string is built per call, the detector asks per event). */
const instantOffsets = new Map<string, Map<number, number>>();
/** Quarter hours remembered in all zones (a multi-year backfill across many zones must not grow without end). */
const MAX_QUARTERS = 100_000;
let quarters = 0;

/** The zone's UTC offset in minutes at an instant (e.g. +330 for Asia/Kolkata). */
export function utcOffsetMinutes(timeZone: string, ms: number): number {
  // Offsets change on quarter hours at the finest: remember them per quarter hour, Intl is slow.
  let zone = instantOffsets.get(timeZone);
  if (!zone) instantOffsets.set(timeZone, (zone = new Map()));
  const quarter = Math.floor(ms / QUARTER_HOUR);
  let offset = zone.get(quarter);
  if (offset === undefined) {
    if (quarters >= MAX_QUARTERS) {
      for (const z of instantOffsets.values()) z.clear();
      quarters = 0;
    }
    offset = offsetFromIntl(timeZone, ms);
    zone.set(quarter, offset);
    quarters++;
  }
  return offset;
}

function offsetFromIntl(timeZone: string, ms: number): number {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    formatters.set(timeZone, f);
  }
  // The formatted date ends with the zone's name ("12/7/2026, GMT+05:30"; "GMT" alone at offset 0):
  // format() and a search cost less than half of formatToParts' objects per part.
  const text = f.format(ms);
  const m = /GMT([+-])(\d{2}):(\d{2})$/.exec(text);
  if (!m) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

/**
 * The UTC instant of local midnight starting `day` in `timeZone`. The offset is the one at local noon,
 * used for the whole day: on the two daylight-saving days a year, night hours are off by one hour.
 */
export function localMidnightUtc(day: number, timeZone: string): number {
  const key = `${timeZone}|${day}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    offset = utcOffsetMinutes(timeZone, day * MS_PER_DAY + 12 * MS_PER_HOUR);
    offsets.set(key, offset);
  }
  return day * MS_PER_DAY - offset * 60_000;
}

/** The local hour of day (0-24, fractional) of a UTC instant. */
export function localHour(ms: number, timeZone: string): number {
  const local = ms + utcOffsetMinutes(timeZone, ms) * 60_000;
  return (local - dayOf(local) * MS_PER_DAY) / MS_PER_HOUR;
}

/** The local day (day number) of a UTC instant. */
export function localDayOf(ms: number, timeZone: string): number {
  return dayOf(ms + utcOffsetMinutes(timeZone, ms) * 60_000);
}
