// An employee's volume as the dashboard charts it: daily totals with their usual band, the peers' daily
// range, and the hours around an alert with the usual volume per hour of day. All read from the
// rollups (user_daily, user_hourly), never from raw events. Pure figures; the service audits the view.
import crypto from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { quantileSorted } from 'simple-statistics';
import { dateString, MS_PER_DAY, MS_PER_HOUR } from '../calendar';
import { ownBand, type BaselineParams } from '../detect';
import type { DirectoryEntry } from '../directory';
import { inList, sql, type ClickHouse } from '../store';

export interface DayBytes {
  day: string;
  bytes: number;
}

/** The usual band: median and median x e^(+-2 robust sd), of weekdays or of weekends. */
export interface UsualBand {
  median: number;
  low: number;
  high: number;
  kind: 'weekday' | 'weekend';
}

/** The peers' 10th, 50th and 90th percentile per day, among peers active that day (null: fewer than 3). */
export interface PeerRange {
  /** "Department/role", or "Department/*" when the role has fewer than MIN_PEERS other people. */
  group: string;
  n: number;
  days: Array<{ day: string; low: number | null; median: number | null; high: number | null }>;
}

/** What the own band depends on (the detection settings of the same names). */
export type BandParams = Pick<BaselineParams, 'baselineDays' | 'minHistoryDays' | 'sigmaFloor'>;

export interface HourBytes {
  hour: string;
  bytes: number;
}

export interface HourBand {
  hourOfDay: number;
  median: number;
  high: number;
}

const MIN_PEERS = 3;
/** Past days whose hours make the usual-by-hour line. */
const HOUR_BAND_DAYS = 28;

const isoDay = (day: number) => dateString(day);
const dayNumber = (iso: string) => Math.floor(Date.parse(`${iso}T00:00:00Z`) / MS_PER_DAY);

/** Daily volume of `users` (successful queries) from firstDay to lastDay (day numbers), per user. */
async function dailyBytes(ch: ClickHouse, users: string[], firstDay: number, lastDay: number): Promise<Map<string, Map<string, number>>> {
  const out = new Map<string, Map<string, number>>();
  // In slices: a department's thousands of ids in one IN list would pass max_query_size (256 KiB).
  for (let i = 0; i < users.length; i += USERS_PER_QUERY) {
    const rows = await ch.query<{ u: string; d: string; b: string }>(sql`
      SELECT user AS u, toString(day) AS d, sumMerge(sum_bytes) AS b FROM user_daily
      WHERE user IN ${inList(users.slice(i, i + USERS_PER_QUERY))} AND day >= toDate(${isoDay(firstDay)}) AND day <= toDate(${isoDay(lastDay)})
      GROUP BY user, day`);
    for (const r of rows) {
      if (!out.has(r.u)) out.set(r.u, new Map());
      out.get(r.u)!.set(r.d, Number(r.b));
    }
  }
  return out;
}

const USERS_PER_QUERY = 2000;

/** One user's daily volume, oldest first, quiet days as 0. */
export async function dailySeries(ch: ClickHouse, user: string, firstDay: number, lastDay: number): Promise<DayBytes[]> {
  const byDay = (await dailyBytes(ch, [user], firstDay, lastDay)).get(user) ?? new Map<string, number>();
  const out: DayBytes[] = [];
  for (let d = firstDay; d <= lastDay; d++) out.push({ day: isoDay(d), bytes: byDay.get(isoDay(d)) ?? 0 });
  return out;
}

/**
 * The band `day` is judged against, as the detector computes it (ownBand: weekdays against weekdays,
 * weekends against weekends once there are enough, nothing before minHistoryDays active days), widened to
 * median x e^(+-2 sd) for display. `days` must reach baselineDays back from `day`.
 */
export function usualBand(days: ReadonlyArray<DayBytes>, day: string, params: BandParams): UsualBand | null {
  const series = days.filter((d) => d.bytes > 0).map((d) => ({ day: dayNumber(d.day), bytes: d.bytes }));
  const { band } = ownBand(series, dayNumber(day), params);
  return band && { median: band.median, low: band.median * Math.exp(-2 * band.sigma), high: band.median * Math.exp(2 * band.sigma), kind: band.kind };
}

/** The people `user` is compared with: same department and role (humans), or the department when too few. */
export function peersOf(user: string, entries: ReadonlyArray<DirectoryEntry>): { group: string; members: string[] } | null {
  const me = entries.find((e) => e.id === user);
  if (!me) return null;
  const humans = entries.filter((e) => e.id !== user && e.account_type === 'human' && e.department === me.department);
  const sameRole = humans.filter((e) => e.role === me.role);
  if (sameRole.length >= MIN_PEERS) return { group: `${me.department}/${me.role}`, members: sameRole.map((e) => e.id) };
  if (humans.length >= MIN_PEERS) return { group: `${me.department}/*`, members: humans.map((e) => e.id) };
  return null;
}

/** Each member's daily volume, by member id then ISO day (quiet days absent). */
export type MemberDays = Map<string, Map<string, number>>;

/**
 * The daily volume of a peer group's members, shared for `ttlMs` by the charts of everyone in the group:
 * a department's thousands of members are one read per group and days, not one per alert page viewed
 * (the peers' range may lag the rollups by up to `ttlMs`). Keyed by the directory version and the exact
 * member set, so a directory load regroups at once and two groups never share an entry. Bounded by the
 * member-days it holds, not only by entries (a wide window of a large department is megabytes);
 * expired entries are dropped on time. A failed read is not kept; concurrent reads of a key share one.
 */
export type PeerBytesCache = LRUCache<string, MemberDays, () => Promise<MemberDays>>;

export function createPeerBytesCache(opts: { ttlMs?: number; max?: number; maxMemberDays?: number } = {}): PeerBytesCache {
  return new LRUCache<string, MemberDays, () => Promise<MemberDays>>({
    max: opts.max ?? 1024,
    maxSize: opts.maxMemberDays ?? 2_000_000,
    sizeCalculation: (v) => Math.max(1, [...v.values()].reduce((n, days) => n + days.size, v.size)),
    ttl: opts.ttlMs ?? 30_000,
    ttlAutopurge: true,
    // A read evicted while in flight (more asked at once than the cache holds) still answers its callers:
    // by default lru-cache rejects them with "evicted", which failed the request.
    ignoreFetchAbort: true,
    fetchMethod: (_key, _stale, { context }) => context(),
  });
}

/**
 * The daily volume of the group `user`'s chart reads: their peers (peersOf) and the user too when one of
 * its people, so that every member's chart reads (and, with a cache, shares) the same set. With a cache,
 * the group's volume is read once for all its members (`version`: the directory version the entries are of).
 */
async function groupBytes(
  ch: ClickHouse,
  user: string,
  entries: ReadonlyArray<DirectoryEntry>,
  firstDay: number,
  lastDay: number,
  shared?: { cache: PeerBytesCache; version: number | null },
): Promise<{ peers: { group: string; members: string[] }; bytes: MemberDays } | null> {
  const peers = peersOf(user, entries);
  if (!peers) return null;
  const me = entries.find((e) => e.id === user);
  const group = me?.account_type === 'human' ? [...peers.members, user] : peers.members;
  const load = () => dailyBytes(ch, group, firstDay, lastDay);
  const bytes = shared ? await shared.cache.fetch(`${shared.version}|${memberSetKey(group)}|${firstDay}|${lastDay}`, { context: load }) : await load();
  return { peers, bytes: bytes ?? new Map() };
}

/** The peers' range, per day from firstDay to lastDay, of a group's volume; each user's range leaves that user out. */
function rangeOf(peers: { group: string; members: string[] }, bytes: MemberDays, firstDay: number, lastDay: number): PeerRange {
  const days: PeerRange['days'] = [];
  for (let d = firstDay; d <= lastDay; d++) {
    const active = peers.members.map((m) => bytes.get(m)?.get(isoDay(d)) ?? 0).filter((b) => b > 0).sort((a, b) => a - b);
    const q = (p: number) => (active.length >= MIN_PEERS ? quantileSorted(active, p) : null);
    days.push({ day: isoDay(d), low: q(0.1), median: q(0.5), high: q(0.9) });
  }
  return { group: peers.group, n: peers.members.length, days };
}

/** The peers' range, per day, of `user`'s peer group (peersOf), read through groupBytes (same arguments). */
export async function peerRange(...args: Parameters<typeof groupBytes>): Promise<PeerRange | null> {
  const [, , , firstDay, lastDay] = args;
  const g = await groupBytes(...args);
  return g && rangeOf(g.peers, g.bytes, firstDay, lastDay);
}

/** The exact member set, as a short key: names like "Sales/EU" + "Analyst" and "Sales" + "EU/Analyst" collide. */
function memberSetKey(ids: ReadonlyArray<string>): string {
  return crypto.createHash('sha256').update(JSON.stringify([...ids].sort())).digest('base64url');
}

/** Hourly volume from `from` (inclusive) to `to` (exclusive), whole hours, quiet hours as 0. */
export async function hourlySeries(ch: ClickHouse, user: string, from: number, to: number): Promise<HourBytes[]> {
  const rows = await ch.query<{ h: string; b: string }>(sql`
    SELECT toString(toUnixTimestamp(hour)) AS h, sumMerge(sum_bytes) AS b FROM user_hourly
    WHERE user = ${user} AND hour >= toDateTime(${Math.floor(from / 1000)}) AND hour < toDateTime(${Math.floor(to / 1000)})
    GROUP BY hour`);
  const byHour = new Map(rows.map((r) => [Number(r.h) * 1000, Number(r.b)]));
  const out: HourBytes[] = [];
  for (let t = from; t < to; t += MS_PER_HOUR) out.push({ hour: new Date(t).toISOString(), bytes: byHour.get(t) ?? 0 });
  return out;
}

/**
 * The hours around an alert and the usual volume per hour of day before them, in one read: the 48 hours
 * of `lastDay - 1` and `lastDay`, and the band of the HOUR_BAND_DAYS days before `lastDay - 1`
 * (hourBandOf).
 */
export async function hoursAround(ch: ClickHouse, user: string, lastDay: number): Promise<{ hours: HourBytes[]; band: HourBand[] | null }> {
  const from = (lastDay - 1 - HOUR_BAND_DAYS) * MS_PER_DAY;
  const all = await hourlySeries(ch, user, from, (lastDay + 1) * MS_PER_DAY);
  const split = HOUR_BAND_DAYS * 24;
  return { hours: all.slice(split), band: hourBandOf(all.slice(0, split)) };
}

/**
 * The usual volume per hour of day (UTC) over whole days of hours (the first hour at midnight UTC),
 * counting only days the user was active: the median and the 90th percentile. Null with fewer than 3
 * active days.
 */
export function hourBandOf(hours: ReadonlyArray<HourBytes>): HourBand[] | null {
  const perDay = new Map<number, number[]>();
  hours.forEach((h, i) => {
    const day = Math.floor(i / 24);
    if (!perDay.has(day)) perDay.set(day, []);
    perDay.get(day)!.push(h.bytes);
  });
  const active = [...perDay.values()].filter((day) => day.some((b) => b > 0));
  if (active.length < 3) return null;
  return Array.from({ length: 24 }, (_, hourOfDay) => {
    const sorted = active.map((day) => day[hourOfDay]).sort((a, b) => a - b);
    return { hourOfDay, median: quantileSorted(sorted, 0.5), high: quantileSorted(sorted, 0.9) };
  });
}
