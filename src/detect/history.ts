// What the detector knows about the days before the one it judges, read from ClickHouse's rollups in a
// handful of aggregate queries per UTC day (heavy aggregation stays in ClickHouse): every user's daily
// volumes, their 95th-percentile hour, and the tables each has touched. Baselines are derived from it
// per user on first use.
import { dateString, MS_PER_DAY } from '../calendar';
import type { DetectionConfig } from '../config/detection-schema';
import { sql, type ClickHouse } from '../store';
import { peerStats, userBaseline, type DayVolume, type PeerStats, type UserBaseline } from './baselines';
import { peerGroupKey, unknownPerson, type Person } from './people';
import { historyDaysNeeded, settingsFor } from './settings';

export interface DayHistory {
  day: number;
  baseline(user: string): UserBaseline;
  /** Tables ("db.table") the user touched in the knownTablesDays before the day, and on how many days they were active. */
  known(user: string): { tables: ReadonlySet<string>; activeDays: number };
  /** The peers of a person (department and role, else the department), null when too few. */
  peers(person: Person, q: number): PeerStats | null;
}

const NONE: ReadonlySet<string> = new Set();

export async function loadDayHistory(ch: ClickHouse, day: number, detection: DetectionConfig, people: ReadonlyMap<string, Person>): Promise<DayHistory> {
  const first = day - historyDaysNeeded(detection);
  const dayStart = new Date(day * MS_PER_DAY);
  const [daily, hourly, tables] = await Promise.all([
    ch.query<{ user: string; d: string; b: string }>(sql`
      SELECT user, toString(day) AS d, sumMerge(sum_bytes) AS b
      FROM user_daily
      WHERE day >= toDate(${dateString(first)}) AND day < toDate(${dateString(day)})
      GROUP BY user, day`),
    ch.query<{ user: string; p95: number }>(sql`
      SELECT user, quantileExact(0.95)(hour_bytes) AS p95
      FROM (
        SELECT user, hour, sumMerge(sum_bytes) AS hour_bytes
        FROM user_hourly
        WHERE hour >= ${new Date((day - detection.baselineDays) * MS_PER_DAY)} AND hour < ${dayStart}
        GROUP BY user, hour
        HAVING hour_bytes > 0
      )
      GROUP BY user`),
    ch.query<{ user: string; tables: string[]; days: string }>(sql`
      SELECT user, groupUniqArray(concat(db_name, '.', table_name)) AS tables, uniqExact(day) AS days
      FROM user_table_daily
      WHERE day >= toDate(${dateString(day - detection.knownTablesDays)}) AND day < toDate(${dateString(day)})
      GROUP BY user`),
  ]);

  const series = new Map<string, DayVolume[]>();
  for (const r of daily) {
    const bytes = Number(r.b);
    if (bytes <= 0) continue;
    let s = series.get(r.user);
    if (!s) series.set(r.user, (s = []));
    s.push({ day: Date.parse(`${r.d}T00:00:00Z`) / MS_PER_DAY, bytes });
  }
  const p95 = new Map(hourly.map((r) => [r.user, Number(r.p95)]));
  const known = new Map(tables.map((r) => [r.user, { tables: new Set(r.tables), activeDays: Number(r.days) }]));

  const baselines = new Map<string, UserBaseline>();
  const params = { baselineDays: detection.baselineDays, minHistoryDays: detection.minHistoryDays, sigmaFloor: detection.sigmaFloor };
  const peerCache = new Map<string, PeerStats | null>();
  // Peer groups: every active user-day of the members in the trailing baselineDays.
  const groups = new Map<string, { members: number; bytes: number[] }>();
  for (const [user, s] of series) {
    const p = people.get(user);
    if (!p) continue;
    for (const key of [peerGroupKey(p), peerGroupKey(p, true)]) {
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { members: 0, bytes: [] }));
      const recent = s.filter((d) => d.day >= day - detection.baselineDays);
      if (recent.length > 0) g.members++;
      for (const d of recent) g.bytes.push(d.bytes);
    }
  }

  return {
    day,
    baseline(user) {
      let b = baselines.get(user);
      if (!b) {
        const dripWindowDays = settingsFor(detection, people.get(user) ?? unknownPerson(user)).slowDrip.windowDays;
        b = userBaseline(series.get(user) ?? [], day, p95.get(user) ?? null, { ...params, dripWindowDays });
        baselines.set(user, b);
      }
      return b;
    },
    known: (user) => known.get(user) ?? { tables: NONE, activeDays: 0 },
    peers(person, q) {
      const cacheKey = `${peerGroupKey(person)}|${q}`;
      if (peerCache.has(cacheKey)) return peerCache.get(cacheKey)!;
      let stats: PeerStats | null = null;
      for (const key of [peerGroupKey(person), peerGroupKey(person, true)]) {
        const g = groups.get(key);
        if (g && g.members >= detection.minPeers) {
          stats = peerStats(key, g.members, g.bytes, q);
          break;
        }
      }
      peerCache.set(cacheKey, stats);
      return stats;
    },
  };
}

