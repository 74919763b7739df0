// A simulated organisation's history rows, as ClickHouse's rollups would give them, for the day-history
// benchmark (scripts/bench-history.ts) and the tests of building it in slices: n people in 20 departments
// x 5 roles, each with their own median and log spread (0.2 to 1.4: some vary an order of magnitude more
// than others), mostly working days and a few weekend days, some with sensitive tables or night work.
import { isWeekend } from '../../src/calendar';
import type { HistorySource, UserDayValue, UserTables } from '../../src/detect/history-source';
import { peopleFrom, type Person } from '../../src/detect/people';
import { stream } from '../../src/simulate/random';
import { directoryEntry } from './detect-history';

const MB = 1e6;

export interface Organisation {
  people: Map<string, Person>;
  rows: { daily: UserDayValue[]; busiestHour: UserDayValue[]; night: UserDayValue[]; sensitive: UserDayValue[]; tables: UserTables[] };
}

/** The organisation's rows for the days [first, day). */
export function organisation(n: number, day: number, first: number, seed: number): Organisation {
  const r = stream(seed, 'bench-history');
  const rnd = () => r.float();
  const normal = () => r.normal();
  const entries = Array.from({ length: n }, (_, i) => directoryEntry(`u${i}`, `dept${i % 20}`, `role${Math.floor(i / 20) % 5}`));
  const rows: Organisation['rows'] = { daily: [], busiestHour: [], night: [], sensitive: [], tables: [] };
  for (const e of entries) {
    const median = 10 * MB * Math.exp(3 * rnd());
    const sigma = 0.2 + 1.2 * rnd();
    const sensitive = rnd() < 0.2;
    const nightOwl = rnd() < 0.1;
    let days = 0;
    for (let d = first; d < day; d++) {
      if (isWeekend(d) ? rnd() > 0.05 : rnd() < 0.05) continue;
      const bytes = median * Math.exp(sigma * normal());
      days++;
      rows.daily.push({ user: e.id, day: d, bytes });
      rows.busiestHour.push({ user: e.id, day: d, bytes: bytes * (0.15 + 0.3 * rnd()) });
      if (sensitive) rows.sensitive.push({ user: e.id, day: d, bytes: bytes * 0.3 * rnd() });
      if (nightOwl) rows.night.push({ user: e.id, day: d, bytes: bytes * 0.2 * rnd() });
    }
    rows.tables.push({ user: e.id, before: ['crm.orders', `dept.t${e.department}`], recent: sensitive ? ['crm.customers'] : [], days });
  }
  return { people: peopleFrom(entries), rows };
}

/** An in-memory source that hands out the rows (each query's range is the one they were made for). */
export function sourceOf(rows: Organisation['rows']): HistorySource {
  return {
    daily: async () => rows.daily,
    busiestHour: async () => rows.busiestHour,
    night: async () => rows.night,
    dailyFrom: async () => rows.sensitive,
    tables: async () => rows.tables,
  };
}

/** The rows as ClickHouse's source gives them: the days asked for only; reads counted. */
export function rangedSourceOf(rows: Organisation['rows']): HistorySource & { reads: number } {
  const within = (list: UserDayValue[], first: number, last: number) => list.filter((r) => r.day >= first && r.day <= last);
  const source = {
    reads: 0,
    daily: async (first: number, last: number) => (source.reads++, within(rows.daily, first, last)),
    busiestHour: async (first: number, last: number) => (source.reads++, within(rows.busiestHour, first, last)),
    night: async (first: number, last: number) => (source.reads++, within(rows.night, first, last)),
    dailyFrom: async (first: number, last: number) => (source.reads++, within(rows.sensitive, first, last)),
    tables: async () => rows.tables,
  };
  return source;
}
