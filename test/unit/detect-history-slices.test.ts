// The day history is built at the day change for the whole organisation, which takes seconds for
// thousands of people. Built in one go it would hold the detector's thread: the Kafka consumer's
// heartbeat timer could not run and the group would rebalance every night. So the detector builds it in
// slices (loadDayHistory -> buildDayHistoryInSlices) and must (a) let the event loop turn while it builds
// and (b) give exactly the history the one-go build gives. No timing thresholds: (a) is shown by
// callbacks queued after the start running before the build has finished.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dayOf } from '../../src/calendar';
import { loadConfig } from '../../src/config';
import { catalogFrom } from '../../src/detect/catalog';
import { buildDayHistory, buildDayHistoryInSlices, historyDaysNeeded, loadDayHistory, type DayHistory, type HistoryRows } from '../../src/detect/history';
import { createHistoryCarry } from '../../src/detect/history-carry';
import * as columns from '../../src/detect/expectation-columns';
import * as series from '../../src/detect/history-series';
import { ROWS_PER_STEP, USERS_PER_STEP } from '../../src/detect/history-series';
import * as people from '../../src/detect/people';
import * as cusum from '../../src/detect/statistics/cusum';

// Functions the build calls for each person in its loops over everyone, counted (each still runs).
jest.mock('../../src/detect/history-series', () => {
  const actual = jest.requireActual<typeof import('../../src/detect/history-series')>('../../src/detect/history-series');
  return { ...actual, ownSummary: jest.fn(actual.ownSummary), valueOn: jest.fn(actual.valueOn), lowerBound: jest.fn(actual.lowerBound) };
});
jest.mock('../../src/detect/people', () => {
  const actual = jest.requireActual<typeof import('../../src/detect/people')>('../../src/detect/people');
  return { ...actual, peerGroupKey: jest.fn(actual.peerGroupKey) };
});
jest.mock('../../src/detect/expectation-columns', () => {
  const actual = jest.requireActual<typeof import('../../src/detect/expectation-columns')>('../../src/detect/expectation-columns');
  return { ...actual, putExpectation: jest.fn(actual.putExpectation), getExpectation: jest.fn(actual.getExpectation) };
});
jest.mock('../../src/detect/statistics/cusum', () => {
  const actual = jest.requireActual<typeof import('../../src/detect/statistics/cusum')>('../../src/detect/statistics/cusum');
  return { ...actual, cusumStep: jest.fn(actual.cusumStep) };
});
import { organisation, rangedSourceOf, sourceOf } from '../helpers/simulated-history';

const { detection } = loadConfig({ env: {} }).config;
const catalog = catalogFrom([{ database: 'crm', table: 'customers', sensitivity: 'pii' }]);
// A Monday, and the last working day of a month (its month-end uplift is part of the build).
const MONDAY = dayOf(Date.UTC(2026, 10, 2));
const MONTH_END = dayOf(Date.UTC(2026, 8, 30));

describe('building the day history in slices', () => {
  it('lets timers and queued callbacks run while it builds a large organisation', async () => {
    const org = organisation(200, MONDAY, MONDAY - historyDaysNeeded(detection), 16);
    let finished = false;
    let immediateBeforeEnd = false;
    let ticksBeforeEnd = 0;
    const timer = setInterval(() => {
      if (!finished) ticksBeforeEnd++;
    }, 1);
    const building = loadDayHistory(sourceOf(org.rows), MONDAY, detection, org.people, catalog).then((h) => {
      finished = true;
      return h;
    });
    // Queued after the build started (the source's reads resolve first, then the build's first slice runs).
    setImmediate(() => (immediateBeforeEnd = !finished));
    const history = await building;
    clearInterval(timer);
    expect(history.day).toBe(MONDAY);
    expect(history.profile('u1').volume).not.toBeNull();
    expect(immediateBeforeEnd).toBe(true);
    expect(ticksBeforeEnd).toBeGreaterThan(0);
  });

  /**
   * Each counted function with the most calls it gets per person in any one of the build's loops: the
   * summaries (three statistics), the values read (judging a pool day: three), the peer group keys (two
   * a person), the expectations packed in columns (today's: three), the CUSUMs stepped (two).
   */
  const perPerson = [
    ['ownSummary', series.ownSummary, 3],
    ['valueOn', series.valueOn, 3],
    ['peerGroupKey', people.peerGroupKey, 2],
    ['putExpectation', columns.putExpectation, 3],
    ['cusumStep', cusum.cusumStep, 2],
  ] as const;

  for (const [name, day] of [
    ['an ordinary Monday', MONDAY],
    ['a month end', MONTH_END],
  ] as const) {
    it(`yields between a few people (${name}): with slices of 0 ms, no turn of the event loop does more than a step of people's work`, async () => {
      const n = 8 * USERS_PER_STEP;
      const org = organisation(n, day, day - historyDaysNeeded(detection), 17);
      const counts = perPerson.map(([, f]) => f as jest.Mock);
      const { turns, total, most } = await betweenTurns(counts, () => buildDayHistoryInSlices(day, org.rows, detection, org.people, { sliceMs: 0 }));
      expect(turns).toBeGreaterThan(detection.poolDays);
      perPerson.forEach(([fn, , calls], k) => {
        // The build called it for everyone, never for more than a step's people between two turns.
        expect({ fn, everyone: total[k] > n }).toEqual({ fn, everyone: true });
        expect({ fn, most: most[k] > 0 && most[k] <= calls * USERS_PER_STEP }).toEqual({ fn, most: true });
      });
    });
  }

  it('reads its rows a step at a time: no turn of the event loop goes through every row or everyone\'s tables', async () => {
    // Each list of rows counted where the build reads a row of it (a read of index i): a step reads at most
    // ROWS_PER_STEP rows of a list (one more loop's worth at a step's boundary), the tables a step of people.
    const org = organisation(32 * USERS_PER_STEP, MONDAY, MONDAY - historyDaysNeeded(detection), 25);
    const reads = { daily: 0, busiestHour: 0, night: 0, sensitive: 0, tables: 0 };
    const counted = <T,>(list: T[], name: keyof typeof reads): T[] =>
      new Proxy(list, {
        get(target, key, receiver) {
          if (typeof key === 'string' && /^\d+$/.test(key)) reads[name]++;
          return Reflect.get(target, key, receiver);
        },
      });
    const rows: HistoryRows = {
      daily: counted(org.rows.daily, 'daily'),
      busiestHour: counted(org.rows.busiestHour, 'busiestHour'),
      night: counted(org.rows.night, 'night'),
      sensitive: counted(org.rows.sensitive, 'sensitive'),
      tables: counted(org.rows.tables, 'tables'),
    };
    // Enough rows of each kind for several steps, and the tables of more people than a step.
    expect(Math.min(org.rows.daily.length, org.rows.sensitive.length)).toBeGreaterThan(3 * ROWS_PER_STEP);
    const names = Object.keys(reads) as Array<keyof typeof reads>;
    const most = { daily: 0, busiestHour: 0, night: 0, sensitive: 0, tables: 0 };
    let last = { ...reads };
    let finished = false;
    const spin = () => {
      if (finished) return;
      for (const k of names) most[k] = Math.max(most[k], reads[k] - last[k]);
      last = { ...reads };
      setImmediate(spin);
    };
    const building = buildDayHistoryInSlices(MONDAY, rows, detection, org.people, { sliceMs: 0 }).then(() => (finished = true));
    setImmediate(spin);
    await building;
    for (const k of names) expect({ k, read: reads[k] >= org.rows[k].length }).toEqual({ k, read: true });
    for (const k of ['daily', 'busiestHour', 'sensitive'] as const) expect({ k, most: most[k] <= 2 * ROWS_PER_STEP }).toEqual({ k, most: true });
    expect(most.tables).toBeLessThanOrEqual(2 * USERS_PER_STEP);
  });

  it('a live detector\'s next day, its pool days read back from disk, reads one a turn and still yields between a few people', async () => {
    const n = 8 * USERS_PER_STEP;
    const org = organisation(n, MONDAY + 1, MONDAY - historyDaysNeeded(detection), 21);
    // Someone first seen on Monday: the next day's build completes the expectations it takes over for them.
    org.rows.daily.push({ user: 'newcomer', day: MONDAY, bytes: 5e7 });
    org.rows.busiestHour.push({ user: 'newcomer', day: MONDAY, bytes: 2e7 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slices-spill-'));
    const readFile = jest.spyOn(fs, 'readFileSync');
    const writeFile = jest.spyOn(fs, 'writeFileSync');
    try {
      const errors: Error[] = [];
      const carry = createHistoryCarry({ dir, onError: (err) => errors.push(err) });
      // The first build keeps its days: written to disk one a turn, everyone's rows digested a step of people at a time.
      const rows = await rowsRead(org, MONDAY);
      const kept = await betweenTurns([writeFile as jest.Mock, series.lowerBound as jest.Mock], () => buildDayHistoryInSlices(MONDAY, rows, detection, org.people, { sliceMs: 0, carry }));
      expect(fs.readdirSync(dir)).toHaveLength(detection.poolDays);
      expect([kept.total[0], kept.most[0]]).toEqual([detection.poolDays, 1]);
      expect(kept.most[1]).toBeLessThanOrEqual(3 * USERS_PER_STEP);
      const next = await rowsRead(org, MONDAY + 1);
      readFile.mockClear();
      // The carry's digests of everyone's rows: a bisection a person and statistic (lowerBound); its
      // copies of the expectations it completes: each read from their columns (getExpectation).
      const counts = [readFile as jest.Mock, series.lowerBound as jest.Mock, columns.getExpectation as jest.Mock, ...perPerson.map(([, f]) => f as jest.Mock)];
      const { total, most } = await betweenTurns(counts, () => buildDayHistoryInSlices(MONDAY + 1, next, detection, org.people, { sliceMs: 0, carry }));
      // Every pool day but the newest taken over from disk, one a turn.
      const spilled = readFile.mock.calls.filter(([file]) => String(file).startsWith(dir)).length;
      expect([spilled, total[0], most[0]]).toEqual([detection.poolDays - 1, detection.poolDays - 1, 1]);
      // Three bisections a person at most in a turn (judging yesterday against its packed expectations).
      expect(most[1]).toBeLessThanOrEqual(3 * USERS_PER_STEP);
      expect(total[2]).toBeGreaterThan(3 * n);
      expect(most[2]).toBeLessThanOrEqual(3 * USERS_PER_STEP);
      perPerson.forEach(([fn, , calls], k) => expect({ fn, most: most[k + 3] <= calls * USERS_PER_STEP }).toEqual({ fn, most: true }));
      expect(errors).toEqual([]);
    } finally {
      readFile.mockRestore();
      writeFile.mockRestore();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('two builds of a day sharing a spilling carry, the second begun while the first keeps its days, leave one file a pool day', async () => {
    // Each build's keep discards the files of the history kept before it, read in the step that replaces
    // it: read at its first step, the other build's new days were never discarded (a file a day, for good).
    const org = organisation(2 * USERS_PER_STEP, MONDAY + 1, MONDAY - historyDaysNeeded(detection), 23);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slices-spill-'));
    try {
      const errors: Error[] = [];
      const carry = createHistoryCarry({ dir, onError: (err) => errors.push(err) });
      const rows = await rowsRead(org, MONDAY);
      const first = buildDayHistoryInSlices(MONDAY, rows, detection, org.people, { sliceMs: 0, carry });
      for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
      const second = buildDayHistoryInSlices(MONDAY, rows, detection, org.people, { sliceMs: 0, carry });
      await Promise.all([first, second]);
      expect(fs.readdirSync(dir)).toHaveLength(detection.poolDays);
      const next = await buildDayHistoryInSlices(MONDAY + 1, await rowsRead(org, MONDAY + 1), detection, org.people, { sliceMs: 0, carry });
      expect(fs.readdirSync(dir)).toHaveLength(detection.poolDays);
      expect(comparable(next, [...org.people.keys()])).toEqual(comparable(await loadDayHistory(rangedSourceOf(org.rows), MONDAY + 1, detection, org.people, catalog), [...org.people.keys()]));
      expect(errors).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lets go of the rows read for it once their series are built, and gives the same history', async () => {
    // loadDayHistory's rows are the build's own: a row object each, millions at 100,000 employees.
    const org = organisation(80, MONTH_END, MONTH_END - historyDaysNeeded(detection), 19);
    const whole = buildDayHistory(MONTH_END, org.rows, detection, org.people);
    const own = { ...org.rows };
    const sliced = await buildDayHistoryInSlices(MONTH_END, own, detection, org.people, { sliceMs: 0, ownsRows: true });
    expect(comparable(sliced, [...org.people.keys()])).toEqual(comparable(whole, [...org.people.keys()]));
    expect([own.daily.length, own.busiestHour.length, own.night.length]).toEqual([0, 0, 0]);
    // The routine reads the sensitive rows after the series: kept. Rows not handed over are not touched.
    expect(own.sensitive.length).toBeGreaterThan(0);
    expect(org.rows.daily.length).toBeGreaterThan(0);
  });

  for (const [name, day] of [
    ['an ordinary Monday', MONDAY],
    ['a month end', MONTH_END],
  ] as const) {
    it(`gives exactly the history the one-go build gives (${name})`, async () => {
      const org = organisation(80, day, day - historyDaysNeeded(detection), 18);
      const whole = buildDayHistory(day, org.rows, detection, org.people);
      const sliced = await buildDayHistoryInSlices(day, org.rows, detection, org.people, { sliceMs: 0 });
      expect(comparable(sliced, [...org.people.keys()])).toEqual(comparable(whole, [...org.people.keys()]));
      if (day === MONTH_END) expect([...org.people.keys()].some((u) => whole.profile(u).uplift > 0)).toBe(true);
    });
  }
});

/** What the engine reads from a history, without the tails' functions: their summaries and each person's profile, known tables and peers. */
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

/** Runs the build with a turn counter beside it: each function's calls in all and the most between two turns. */
async function betweenTurns(counted: jest.Mock[], build: () => Promise<unknown>): Promise<{ turns: number; total: number[]; most: number[] }> {
  for (const f of counted) f.mockClear();
  let finished = false;
  let turns = 0;
  const most = counted.map(() => 0);
  const atLastTurn = counted.map(() => 0);
  const spin = () => {
    if (finished) return;
    turns++;
    counted.forEach((f, k) => {
      most[k] = Math.max(most[k], f.mock.calls.length - atLastTurn[k]);
      atLastTurn[k] = f.mock.calls.length;
    });
    setImmediate(spin);
  };
  const building = build().then(() => (finished = true));
  setImmediate(spin);
  await building;
  return { turns, total: counted.map((f) => f.mock.calls.length), most };
}

/** The rows loadDayHistory reads for `day` (the source's answers, recorded). */
async function rowsRead(org: ReturnType<typeof organisation>, day: number): Promise<HistoryRows> {
  const source = rangedSourceOf(org.rows);
  const rows: HistoryRows = { daily: [], busiestHour: [], night: [], sensitive: [], tables: [] };
  await loadDayHistory(
    {
      daily: async (first, last) => (rows.daily = await source.daily(first, last)),
      busiestHour: async (first, last) => (rows.busiestHour = await source.busiestHour(first, last)),
      night: async (first, last, groups) => (rows.night = await source.night(first, last, groups)),
      dailyFrom: async (first, last, tables) => (rows.sensitive = await source.dailyFrom(first, last, tables)),
      tables: async (first, recentFrom, last) => (rows.tables = await source.tables(first, recentFrom, last)),
    },
    day,
    detection,
    org.people,
    catalog,
  );
  return rows;
}
