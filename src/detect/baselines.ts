// Baselines, computed from completed days only (days before the one being judged), so that a day is
// judged the same way live and in a backfill. Robust statistics throughout: medians and the median
// absolute deviation of log volume, which one past spike cannot move, unlike a mean and a standard
// deviation. Pure: the daily series come from ClickHouse (history.ts).
import { median, medianAbsoluteDeviation, quantileSorted } from 'simple-statistics';
import { isWeekend } from '../calendar';

/** MAD of a normal sample times this estimates its standard deviation. */
const MAD_TO_SD = 1.4826;
/** Weekend days of own history needed before weekends are judged against weekends (else: weekdays). */
export const MIN_WEEKEND_DAYS = 4;

/** A day's volume of one user: UTC day number and bytes moved by successful queries (> 0). */
export interface DayVolume {
  day: number;
  bytes: number;
}

/** The usual daily volume: median bytes, and the robust sd of log bytes (floored). */
export interface Band {
  median: number;
  sigma: number;
  days: number;
  kind: 'weekday' | 'weekend';
}

export interface DripHistory {
  /** Active working days before today inside the window (oldest first). */
  prior: DayVolume[];
  /** Median of the active working days in the baselineDays before the window, and how many there were. */
  reference: number | null;
  referenceDays: number;
}

export interface UserBaseline {
  /** Active days (any volume) in the trailing baselineDays. */
  activeDays: number;
  /** The band today is judged against: same kind of day, or weekdays when weekends are too rare. null: too little history. */
  band: Band | null;
  hourlyP95: number | null;
  drip: DripHistory;
}

export function bandOf(bytes: ReadonlyArray<number>, kind: Band['kind'], sigmaFloor: number): Band {
  const logs = bytes.map(Math.log);
  const m = median(logs);
  const sigma = logs.length > 1 ? MAD_TO_SD * medianAbsoluteDeviation(logs) : 0;
  return { median: Math.exp(m), sigma: Math.max(sigma, sigmaFloor), days: bytes.length, kind };
}

export interface BaselineParams {
  baselineDays: number;
  minHistoryDays: number;
  sigmaFloor: number;
  dripWindowDays: number;
}

/**
 * One user's baseline for `day`, from their active days before it (`series`, any order, only days
 * before `day`). Weekdays are judged against weekdays; weekends against weekends when there are
 * MIN_WEEKEND_DAYS of them, else against weekdays.
 */
export function userBaseline(series: ReadonlyArray<DayVolume>, day: number, hourlyP95: number | null, p: BaselineParams): UserBaseline {
  return { ...ownBand(series, day, p), hourlyP95, drip: dripHistory(series, day, p) };
}

/** The own band of userBaseline alone (also what the dashboard charts), with the active days it saw. */
export function ownBand(series: ReadonlyArray<DayVolume>, day: number, p: Pick<BaselineParams, 'baselineDays' | 'minHistoryDays' | 'sigmaFloor'>): { activeDays: number; band: Band | null } {
  const recent = series.filter((d) => d.day < day && d.day >= day - p.baselineDays && d.bytes > 0);
  const weekdays = recent.filter((d) => !isWeekend(d.day)).map((d) => d.bytes);
  const weekends = recent.filter((d) => isWeekend(d.day)).map((d) => d.bytes);
  let band: Band | null = null;
  // Too little history of any kind is a cold start, weekends included: the peers judge until then.
  if (recent.length >= p.minHistoryDays) {
    if (isWeekend(day) && weekends.length >= MIN_WEEKEND_DAYS) band = bandOf(weekends, 'weekend', p.sigmaFloor);
    else if (weekdays.length > 0) band = bandOf(weekdays, 'weekday', p.sigmaFloor);
  }
  return { activeDays: recent.length, band };
}

/** The slow-drip window before today and its reference (the baselineDays before the window). */
export function dripHistory(series: ReadonlyArray<DayVolume>, day: number, p: Pick<BaselineParams, 'baselineDays' | 'dripWindowDays'>): DripHistory {
  const working = series.filter((d) => d.day < day && d.bytes > 0 && !isWeekend(d.day)).sort((a, b) => a.day - b.day);
  const prior = working.slice(Math.max(0, working.length - (p.dripWindowDays - 1)));
  const windowStart = prior.length > 0 ? prior[0].day : day;
  const reference = working.filter((d) => d.day < windowStart && d.day >= windowStart - p.baselineDays).map((d) => d.bytes);
  return { prior, reference: reference.length > 0 ? median(reference) : null, referenceDays: reference.length };
}

export interface PeerStats {
  /** "Department/role" or "Department/*". */
  group: string;
  members: number;
  userDays: number;
  median: number;
  quantile: number;
  q: number;
}

/** Peer statistics over the active user-days of a group's members (sorted ascending by the caller or not). */
export function peerStats(group: string, members: number, dayBytes: number[], q: number): PeerStats | null {
  if (dayBytes.length === 0) return null;
  const sorted = [...dayBytes].sort((a, b) => a - b);
  return { group, members, userDays: sorted.length, median: quantileSorted(sorted, 0.5), quantile: quantileSorted(sorted, q), q };
}
