// An employee's volume as the dashboard charts it: daily totals with their usual band, the peers' daily
// range, and the hours around an alert with the usual volume per hour of day. All read from the
// rollups (user_daily, user_hourly), never from raw events. Pure figures; the service audits the view.
import crypto from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { quantileSorted } from 'simple-statistics';
import { dateString, MS_PER_DAY, MS_PER_HOUR } from '../calendar';
import { ownBand, type BaselineParams } from '../detect';
import type { DirectoryEntry } from '../directory';
import { inList, POINT_READ, sql, type ClickHouse } from '../store';

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
  for (const slice of slicesOf(users)) {
    const rows = await ch.query<{ u: string; d: string; b: string }>(sql`
      SELECT user AS u, toString(day) AS d, sumMerge(sum_bytes) AS b FROM user_daily
      WHERE user IN ${inList(slice)} AND day >= toDate(${isoDay(firstDay)}) AND day <= toDate(${isoDay(lastDay)})
      GROUP BY user, day`, users.length === 1 ? { settings: POINT_READ } : undefined);
    for (const r of rows) {
      if (!out.has(r.u)) out.set(r.u, new Map());
      out.get(r.u)!.set(r.d, Number(r.b));
    }
  }
  return out;
}

/**
 * Ids in slices whose IN list stays well under ClickHouse's max_query_size (256 KiB): a department's
 * thousands of ids in one list would pass it. By length, not count: most ids are short, and a read of a
 * department's month is then one query.
 */
function* slicesOf(ids: ReadonlyArray<string>, maxBytes = 160_000): Generator<string[]> {
  let slice: string[] = [];
  let bytes = 0;
  for (const id of ids) {
    // Quoted and escaped, an id takes at most twice its UTF-8 bytes (an escape is two characters for one byte).
    const size = Buffer.byteLength(id) * 2 + 3;
    if (slice.length > 0 && bytes + size > maxBytes) {
      yield slice;
      slice = [];
      bytes = 0;
    }
    slice.push(id);
    bytes += size;
  }
  if (slice.length > 0) yield slice;
}

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
  const department = departmentOf(entries, me.department);
  const sameRole = (department.byRole.get(me.role) ?? []).filter((id) => id !== user);
  if (sameRole.length >= MIN_PEERS) return { group: `${me.department}/${me.role}`, members: sameRole };
  const humans = department.ids.filter((id) => id !== user);
  if (humans.length >= MIN_PEERS) return { group: `${me.department}/*`, members: humans };
  return null;
}

/** People (humans), as the directory lists them. */
interface People {
  ids: string[];
  set: ReadonlySet<string>;
}

interface Department extends People {
  /** Its people by role. */
  byRole: Map<string, string[]>;
  /** The exact set of its people, as a cache key. */
  key: string;
}

/** A department among `entries`: worked out once per entries list (they are a directory version's). */
function departmentOf(entries: ReadonlyArray<DirectoryEntry>, name: string): Department {
  let known = departments.get(entries);
  if (!known) departments.set(entries, (known = new Map()));
  let department = known.get(name);
  if (!department) {
    const humans = entries.filter((e) => e.account_type === 'human' && e.department === name);
    const byRole = new Map<string, string[]>();
    for (const e of humans) {
      const role = byRole.get(e.role);
      if (role) role.push(e.id);
      else byRole.set(e.role, [e.id]);
    }
    const ids = humans.map((e) => e.id);
    known.set(name, (department = { ids, byRole, key: memberSetKey(ids), set: new Set(ids) }));
  }
  return department;
}

const departments = new WeakMap<ReadonlyArray<DirectoryEntry>, Map<string, Department>>();

/** Everyone (humans) among `entries`: worked out once per entries list. */
function peopleOf(entries: ReadonlyArray<DirectoryEntry>): People {
  let people = everyoneIn.get(entries);
  if (!people) {
    const ids = entries.filter((e) => e.account_type === 'human').map((e) => e.id);
    everyoneIn.set(entries, (people = { ids, set: new Set(ids) }));
  }
  return people;
}

const everyoneIn = new WeakMap<ReadonlyArray<DirectoryEntry>, People>();

/**
 * One calendar month of a department's daily volume: per member active that month, one figure per day of
 * the month (0: quiet); members quiet all month are absent. A month is one partition of user_daily, so
 * its read touches nothing else.
 */
export interface MonthBytes {
  /** Day number of the month's first day. */
  first: number;
  /** Days in the month. */
  days: number;
  bytes: Map<string, Float64Array>;
}

/**
 * The months the peers' ranges are drawn from, shared by the charts of everyone in them: one read per
 * month of everyone in the directory when the cache can hold two such months at worst (every person active
 * every day: a chart's window spans two months), else one read per department and month; never one per
 * alert page viewed (whatever the role group or the window of the chart). A month is one partition of
 * user_daily, and its read scans the whole partition whatever the members asked for (a department's people
 * are spread over the table's order), so one read for every department costs about what one department's
 * did. Keyed by the directory version (and the exact member set of a department), so a directory load
 * regroups at once and two departments never share an entry. A month whose days are all settled (over for SETTLED_MS) is held for `settledTtlMs`: late
 * events and rollup repairs of those days reach the peers' range that much later. A month with a day still
 * open is held for `ttlMs`, then answered while one read replaces it. Bounded by the member-days it holds,
 * not only by entries (a month is megabytes). A failed read is not kept; concurrent reads of a key share one.
 */
export interface PeerBytesCache {
  months: LRUCache<string, MonthBytes, () => Promise<MonthBytes>>;
  settledTtlMs: number;
  /** The member-days it holds at most. */
  maxMemberDays: number;
}

export interface PeerBytesCacheOptions {
  /** How long a month with an unsettled day is held. */
  ttlMs?: number;
  /** How long a settled month is held. */
  settledTtlMs?: number;
  max?: number;
  /** The member-days held at most (8 bytes each): whole months are read while two of them fit. */
  maxMemberDays?: number;
}

/** A day is settled (its rollups no longer grow but for repairs) this long after it ended. */
export const SETTLED_MS = MS_PER_DAY;

export function createPeerBytesCache(opts: PeerBytesCacheOptions = {}): PeerBytesCache {
  const maxMemberDays = opts.maxMemberDays ?? 8_000_000;
  const months = new LRUCache<string, MonthBytes, () => Promise<MonthBytes>>({
    max: opts.max ?? 1024,
    maxSize: maxMemberDays,
    sizeCalculation: (v) => Math.max(1, v.bytes.size * v.days),
    ttl: opts.ttlMs ?? 30_000,
    // A month past its time is answered while one read replaces it: a month still open expires every 30 s,
    // and its read (every department's) would otherwise hold every chart of that month meanwhile.
    allowStale: true,
    // A read evicted while in flight (more asked at once than the cache holds) still answers its callers:
    // by default lru-cache rejects them with "evicted", which failed the request.
    ignoreFetchAbort: true,
    fetchMethod: (_key, _stale, { context }) => context(),
  });
  return { months, settledTtlMs: opts.settledTtlMs ?? 10 * 60_000, maxMemberDays };
}

/** The first day (day number) of the month `day` is in, and of the month after. */
function monthOf(day: number): { first: number; next: number } {
  const d = new Date(day * MS_PER_DAY);
  return { first: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / MS_PER_DAY, next: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) / MS_PER_DAY };
}

/**
 * The daily volume of `members` over one month, quiet days as 0: one row per active member, its days as
 * arrays. `everyone`: the members are a whole directory's people, read without a list (which would not
 * fit in a query) and kept only if among them.
 */
async function monthBytes(ch: ClickHouse, members: People, first: number, next: number, everyone = false): Promise<MonthBytes> {
  const bytes = new Map<string, Float64Array>();
  for (const slice of everyone ? [null] : slicesOf(members.ids)) {
    // Two arrays, not one of tuples: a tuple's JSON shape differs between ClickHouse versions (an array on
    // 18.16, an object where tuples take their columns' names). Both states of a key are filled from the
    // same rows in the same order and merged together, so the arrays stay aligned; sorted by day, and the
    // rows by member, so that every server answers the same.
    const rows = await ch.query<{ u: string; ds: number[]; bs: string[] }>(sql`
      SELECT u, arraySort(groupArray(d)) AS ds, arraySort((x, y) -> y, groupArray(b), groupArray(d)) AS bs FROM (
        SELECT user AS u, toUInt8(toDayOfMonth(day)) AS d, sumMerge(sum_bytes) AS b FROM user_daily
        WHERE ${slice === null ? sql`` : sql`user IN ${inList(slice)} AND `}day >= toDate(${isoDay(first)}) AND day <= toDate(${isoDay(next - 1)})
        GROUP BY user, day)
      GROUP BY u
      ORDER BY u`);
    for (const r of rows) {
      if (slice === null && !members.set.has(r.u)) continue;
      const days = new Float64Array(next - first);
      r.ds.forEach((d, k) => (days[d - 1] = Number(r.bs[k])));
      bytes.set(r.u, days);
    }
  }
  return { first, days: next - first, bytes };
}

/** Where the peers' months come from, and where they are kept. */
export interface SharedMonths {
  cache: PeerBytesCache;
  /** The directory version the people are of. */
  version: number | null;
  /** When the months settle. */
  now?: number;
  /** The whole directory: whole months are read (for every department at once) when the cache can hold them. */
  everyone?: ReadonlyArray<DirectoryEntry>;
}

/** The largest month: every person active on each of 31 days. */
const MONTH_DAYS = 31;

/**
 * The months from firstDay to lastDay holding `people` (a department's), through the cache when one is
 * given: the whole directory's months when two of them fit in it, else the department's.
 */
async function departmentMonths(ch: ClickHouse, people: Department, firstDay: number, lastDay: number, shared?: SharedMonths): Promise<MonthBytes[]> {
  const everyone = shared?.everyone && peopleOf(shared.everyone);
  const whole = everyone !== undefined && everyone.ids.length * MONTH_DAYS * 2 <= shared!.cache.maxMemberDays;
  const members = whole ? everyone : people;
  const setKey = shared && (whole ? '*' : people.key);
  const months: Array<Promise<MonthBytes>> = [];
  for (let day = firstDay; day <= lastDay; ) {
    const { first, next } = monthOf(day);
    const load = () => monthBytes(ch, members, first, next, whole);
    if (!shared) months.push(load());
    else {
      const settled = next * MS_PER_DAY + SETTLED_MS <= (shared.now ?? Date.now());
      const key = `${shared.version}|${setKey}|${first}`;
      months.push(shared.cache.months.fetch(key, { context: load, ttl: settled ? shared.cache.settledTtlMs : undefined }).then((m) => m ?? load()));
    }
    day = next;
  }
  return Promise.all(months);
}

/**
 * The peers' range, per day from firstDay to lastDay, of `user`'s peer group (peersOf among `entries`, the
 * people of the user's department), read through the department's months; the user is left out.
 */
export async function peerRange(
  ch: ClickHouse,
  user: string,
  entries: ReadonlyArray<DirectoryEntry>,
  firstDay: number,
  lastDay: number,
  shared?: SharedMonths,
): Promise<PeerRange | null> {
  const peers = peersOf(user, entries);
  if (!peers) return null;
  const months = await departmentMonths(ch, departmentOf(entries, entries.find((e) => e.id === user)!.department), firstDay, lastDay, shared);
  const days: PeerRange['days'] = [];
  let month = 0;
  for (let d = firstDay; d <= lastDay; d++) {
    while (d - months[month].first >= months[month].days) month++;
    const m = months[month];
    const active: number[] = [];
    for (const id of peers.members) {
      const b = m.bytes.get(id)?.[d - m.first] ?? 0;
      if (b > 0) active.push(b);
    }
    active.sort((a, b) => a - b);
    const q = (p: number) => (active.length >= MIN_PEERS ? quantileSorted(active, p) : null);
    days.push({ day: isoDay(d), low: q(0.1), median: q(0.5), high: q(0.9) });
  }
  return { group: peers.group, n: peers.members.length, days };
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
