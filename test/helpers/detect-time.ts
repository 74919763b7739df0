// Units and a calendar for the detection unit tests: a Monday with five full weeks of history before it.
import { dayOf, MS_PER_DAY, MS_PER_HOUR } from '../../src/calendar';

export const MB = 1e6;
export const GB = 1e9;
export const MIN = 60_000;
/** Monday 2026-09-07; DAY is five weeks later (Monday 2026-10-12), with a full history before it. */
export const MON = dayOf(Date.UTC(2026, 8, 7));
export const DAY = MON + 35;
/** The instant of `hour:minute` UTC on a day number. */
export const at = (day: number, hour: number, minute = 0) => day * MS_PER_DAY + hour * MS_PER_HOUR + minute * MIN;
