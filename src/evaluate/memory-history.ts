// The detector's history source (src/detect/history-source.ts) over events held in memory instead of
// ClickHouse's rollups: the same rows, computed the way the materialized views compute them (bytes of
// successful queries; tables and active days from every event, failed ones included). It lets the
// evaluation tools run the same engine on a simulation in seconds (scripts/eval-offline.ts), and tests
// check it against the ClickHouse source.
import { dayOf, localHour, MS_PER_HOUR } from '../calendar';
import type { DetectEvent, HistorySource, UserDayValue, UserTables } from '../detect';

export interface MemoryHistorySource extends HistorySource {
  add(e: DetectEvent): void;
}

const bump = <K>(m: Map<K, number>, k: K, v: number) => m.set(k, (m.get(k) ?? 0) + v);

function nested<K, V>(m: Map<string, Map<K, V>>, user: string): Map<K, V> {
  let inner = m.get(user);
  if (!inner) m.set(user, (inner = new Map()));
  return inner;
}

export function memoryHistorySource(): MemoryHistorySource {
  const daily = new Map<string, Map<number, number>>();
  const hourly = new Map<string, Map<number, number>>();
  const largest = new Map<string, Map<number, number>>();
  const tables = new Map<string, Map<number, Map<string, number>>>();

  const inRange = (d: number, first: number, last: number) => d >= first && d <= last;

  return {
    add(e) {
      const day = dayOf(e.ts);
      const bytes = e.ok ? e.bytes : 0;
      bump(nested(daily, e.user), day, bytes);
      const hour = e.ts - (e.ts % MS_PER_HOUR);
      bump(nested(hourly, e.user), hour, bytes);
      const big = nested(largest, e.user);
      big.set(hour, Math.max(big.get(hour) ?? 0, bytes));
      const perDay = nested(tables, e.user);
      let t = perDay.get(day);
      if (!t) perDay.set(day, (t = new Map()));
      bump(t, e.table, bytes);
    },
    async daily(first, last) {
      const out: UserDayValue[] = [];
      for (const [user, days] of daily) for (const [day, bytes] of days) if (inRange(day, first, last)) out.push({ user, day, bytes });
      return out;
    },
    async busiestHour(first, last) {
      const out: UserDayValue[] = [];
      for (const [user, hours] of hourly) {
        const max = new Map<number, number>();
        for (const [hour, bytes] of hours) {
          const day = dayOf(hour);
          const sustained = bytes - (largest.get(user)?.get(hour) ?? 0);
          if (inRange(day, first, last)) max.set(day, Math.max(max.get(day) ?? 0, sustained));
        }
        for (const [day, bytes] of max) out.push({ user, day, bytes });
      }
      return out;
    },
    async night(first, last, groups) {
      const out: UserDayValue[] = [];
      for (const g of groups) {
        const inNight = (h: number) => (g.startHour <= g.endHour ? h >= g.startHour && h < g.endHour : h >= g.startHour || h < g.endHour);
        for (const user of g.users) {
          const sums = new Map<number, number>();
          for (const [hour, bytes] of hourly.get(user) ?? []) {
            const day = dayOf(hour);
            if (inRange(day, first, last) && inNight(Math.floor(localHour(hour, g.timezone)))) bump(sums, day, bytes);
          }
          for (const [day, bytes] of sums) out.push({ user, day, bytes });
        }
      }
      return out;
    },
    async dailyFrom(first, last, set) {
      const exact = new Set(set.tables);
      const dbs = new Set(set.databases);
      const out: UserDayValue[] = [];
      for (const [user, days] of tables) {
        for (const [day, t] of days) {
          if (!inRange(day, first, last)) continue;
          let bytes = 0;
          let any = false;
          for (const [name, b] of t) {
            if (exact.has(name) || dbs.has(name.slice(0, name.indexOf('.')))) {
              bytes += b;
              any = true;
            }
          }
          if (any) out.push({ user, day, bytes });
        }
      }
      return out;
    },
    async tables(first, recentFrom, last) {
      const out: UserTables[] = [];
      for (const [user, days] of tables) {
        const before = new Set<string>();
        const recent = new Set<string>();
        let active = 0;
        for (const [day, t] of days) {
          if (!inRange(day, first, last)) continue;
          active++;
          for (const name of t.keys()) (day < recentFrom ? before : recent).add(name);
        }
        if (active > 0) out.push({ user, before: [...before], recent: [...recent], days: active });
      }
      return out;
    },
  };
}
