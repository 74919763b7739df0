// A backfill's histories (engineFor with settledUntil): rollup rows of settled days read ahead in blocks
// and sliced per day, robust summaries shared between consecutive days. Each day's history must be
// exactly the one a history of its own gives, and a window whose values changed must be summarised again.
import { dayOf } from '../../src/calendar';
import { loadConfig } from '../../src/config';
import { catalogFrom } from '../../src/detect/catalog';
import { historyDaysNeeded, loadDayHistory, type DayHistory } from '../../src/detect/history';
import { readAheadHistorySource, READ_AHEAD_DAYS } from '../../src/detect/history-read-ahead';
import { createSummaryCache } from '../../src/detect/history-series';
import type { HistorySource, UserDayValue } from '../../src/detect/history-source';
import { organisation, type Organisation } from '../helpers/simulated-history';

const { detection } = loadConfig({ env: {} }).config;
const catalog = catalogFrom([{ database: 'crm', table: 'customers', sensitivity: 'pii' }]);
const FIRST = dayOf(Date.UTC(2026, 8, 21));
const DAYS = 12; // across a month end (2026-09-30)

/** The organisation's rows as ClickHouse's source gives them: the days asked for only; reads counted. */
function rangedSource(rows: Organisation['rows']): HistorySource & { reads: number } {
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

function comparable(h: DayHistory, users: string[]) {
  const c = h.calibration;
  return {
    day: h.day,
    tails: [c.volume, c.hour, c.sensitive, c.night, c.drip, c.sensitiveDrip, c.combined].map((t) => t.summary),
    people: users.map((u) => {
      const person = { id: u, department: '', role: '', accountType: 'human' as const, timezone: 'UTC', hireDay: null, noticeDay: null, endDay: null, known: true };
      return { profile: h.profile(u), known: h.known(u), peers: h.peers(person) };
    }),
  };
}

describe("a backfill's histories", () => {
  const org = organisation(60, FIRST + DAYS, FIRST - historyDaysNeeded(detection), 21);
  const users = [...org.people.keys()];

  it('are day by day the histories each day reads on its own, from fewer reads', async () => {
    const plain = rangedSource(org.rows);
    const inner = rangedSource(org.rows);
    // Days up to FIRST + DAYS - 3 settled: the last day's history (it reads FIRST + DAYS - 2) is read as before.
    const ahead = readAheadHistorySource(inner, FIRST + DAYS - 3);
    const summaries = createSummaryCache();
    for (let d = FIRST; d < FIRST + DAYS; d++) {
      const own = await loadDayHistory(plain, d, detection, org.people, catalog);
      const shared = await loadDayHistory(ahead, d, detection, org.people, catalog, summaries);
      expect(comparable(shared, users)).toEqual(comparable(own, users));
    }
    expect(DAYS).toBeLessThan(READ_AHEAD_DAYS);
    // Four sliceable reads a day without; with: one block each, then the last day's own reads.
    expect(plain.reads).toBe(4 * DAYS);
    expect(inner.reads).toBe(4 + 4);
  });

  it('summarise a window again when its values changed (a late event of a past day)', async () => {
    const day = FIRST + 3;
    const summaries = createSummaryCache();
    await loadDayHistory(rangedSource(org.rows), day, detection, org.people, catalog, summaries);
    // u1's volume a few days back grows tenfold: the next history must not reuse its old summaries.
    const changed = { ...org.rows, daily: org.rows.daily.map((r) => (r.user === 'u1' && r.day >= day - 4 && r.day < day ? { ...r, bytes: r.bytes * 10 } : r)) };
    const own = await loadDayHistory(rangedSource(changed), day, detection, org.people, catalog);
    const shared = await loadDayHistory(rangedSource(changed), day, detection, org.people, catalog, summaries);
    expect(comparable(shared, users)).toEqual(comparable(own, users));
    const before = await loadDayHistory(rangedSource(org.rows), day, detection, org.people, catalog);
    expect(own.profile('u1').volume).not.toEqual(before.profile('u1').volume);
  });
});
