// The detector's history rows as ClickHouse's rollups give them (src/detect/history-source.ts, read as
// TabSeparated) against the same rows computed in memory from the events ClickHouse stored
// (src/evaluate/memory-history.ts, the evaluation tools' source): two ways to one answer, with user ids
// a TabSeparated reader could get wrong, failed queries, night hours in another time zone and tables
// that are sensitive by name and by database.
import { dayOf, MS_PER_DAY, MS_PER_HOUR } from '../../src/calendar';
import { clickhouseHistorySource, storedEventsWhere, type HistorySource, type UserDayValue } from '../../src/detect';
import { memoryHistorySource } from '../../src/evaluate';
import { createClickHouse, sql } from '../../src/store';
import { row } from '../helpers/api-fixture';
import { dropDatabase, freshDatabase, type FreshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';

const USERS = [
  'plain@corp.example',
  'tab\there@corp.example',
  'new\nline and back\\slash@corp.example',
  'ünïcødé-Ω-名前@corp.example',
  "quote ' and \"double\"@corp.example",
];
const TABLES = ['crm.customers', 'hr.salaries', 'analytics.kpi_daily', 'crm.leads'];
const FIRST = dayOf(Date.now()) - 6;
const LAST = FIRST + 4;

/** Each source's rows in one order, the days without bytes left out (a source may give or omit them: the build ignores them). */
const sorted = (rows: UserDayValue[]) =>
  rows
    .filter((r) => r.bytes > 0)
    .map((r) => `${JSON.stringify(r.user)} ${r.day} ${r.bytes}`)
    .sort();

describe('history source (ClickHouse rollups, read as TabSeparated)', () => {
  const config = testConfig();
  const database = uniqueName('ithistsrc');
  let db: FreshDatabase;
  let fromClickHouse: HistorySource;
  const inMemory = memoryHistorySource();

  beforeAll(async () => {
    db = await freshDatabase(database, config.clickhouse);
    const rows: Array<ReturnType<typeof row>> = [];
    let n = 0;
    for (let d = FIRST; d <= LAST; d++) {
      for (const [u, user] of USERS.entries()) {
        // Hours around the clock (some in a night), several events an hour, one large one, some failed.
        for (let k = 0; k < 12; k++) {
          const at = d * MS_PER_DAY + ((u * 5 + k * 7) % 24) * MS_PER_HOUR + k * 61_000;
          const r = row(user, at, 1_000 + ((n++ * 7919) % 50_000) * (k === 3 ? 1000 : 1), TABLES[(u + k + d) % TABLES.length]);
          rows.push(k % 5 === 4 ? { ...r, status: 'error' } : r);
        }
      }
    }
    await db.ch.insert('access_events', rows);
    for (const e of await storedEventsWhere(db.ch, sql`1`)) inMemory.add(e);
    fromClickHouse = clickhouseHistorySource(db.ch);
  }, 60_000);

  afterAll(async () => {
    await dropDatabase(database, db);
  });

  it('gives the daily volume and the busiest hour of each user and day as computed from the stored events', async () => {
    const daily = await fromClickHouse.daily(FIRST, LAST);
    expect(new Set(daily.map((r) => r.user))).toEqual(new Set(USERS));
    expect(sorted(daily)).toEqual(sorted(await inMemory.daily(FIRST, LAST)));
    expect(sorted(await fromClickHouse.busiestHour(FIRST + 1, LAST))).toEqual(sorted(await inMemory.busiestHour(FIRST + 1, LAST)));
  });

  it('gives the night-time volume of groups in their own time zones, and the volume from sensitive tables and databases', async () => {
    const groups = [
      { timezone: 'Asia/Kolkata', startHour: 22, endHour: 6, users: USERS.slice(0, 3) },
      { timezone: 'UTC', startHour: 1, endHour: 5, users: USERS.slice(3) },
    ];
    const night = await fromClickHouse.night(FIRST, LAST, groups);
    expect(night.length).toBeGreaterThan(0);
    expect(sorted(night)).toEqual(sorted(await inMemory.night(FIRST, LAST, groups)));
    const sensitive = { tables: ['crm.customers'], databases: ['hr'] };
    const fromTables = await fromClickHouse.dailyFrom(FIRST, LAST, sensitive);
    expect(fromTables.length).toBeGreaterThan(0);
    expect(sorted(fromTables)).toEqual(sorted(await inMemory.dailyFrom(FIRST, LAST, sensitive)));
  });

  it('is not held to the request timeout of the connection it was given (a large history reads for longer than an insert may take)', async () => {
    const hasty = createClickHouse({ ...config.clickhouse, database, requestTimeoutMs: 1 });
    try {
      const err = await hasty.query(sql`SELECT sleep(0.1)`).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/unreachable|timeout/i);
      const patient = clickhouseHistorySource(hasty);
      expect(sorted(await patient.daily(FIRST, LAST))).toEqual(sorted(await fromClickHouse.daily(FIRST, LAST)));
      expect(sorted(await patient.busiestHour(FIRST, LAST))).toEqual(sorted(await fromClickHouse.busiestHour(FIRST, LAST)));
      expect((await patient.tables(FIRST, LAST - 1, LAST)).length).toBe(USERS.length);
    } finally {
      await hasty.close();
    }
  });
});
