// A backfill's histories (engineFor with settledUntil): rollup rows of settled days read ahead in blocks
// and sliced per day, the pool's days' expectations carried from one day's history to the next. Each
// day's history must be exactly the one a history of its own gives: with people who appear on the way,
// and when the rows of a past day changed (then the days from it are worked out again).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dayOf, isMonthEnd } from '../../src/calendar';
import { loadConfig } from '../../src/config';
import { catalogFrom } from '../../src/detect/catalog';
import { historyDaysNeeded, loadDayHistory, type DayHistory } from '../../src/detect/history';
import { hourDaysNeeded } from '../../src/detect/history-expectations';
import { readAheadHistorySource, READ_AHEAD_DAYS } from '../../src/detect/history-read-ahead';
import { createHistoryCarry, type HistoryCarry } from '../../src/detect/history-carry';
import type { UserDayValue } from '../../src/detect/history-source';
import { organisation, rangedSourceOf, type Organisation } from '../helpers/simulated-history';

const { detection } = loadConfig({ env: {} }).config;
const catalog = catalogFrom([{ database: 'crm', table: 'customers', sensitivity: 'pii' }]);
const FIRST = dayOf(Date.UTC(2026, 8, 21));
const DAYS = 12; // across a month end (2026-09-30)

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

/** A carry that counts the days each history took over: days' expectations, pool days as judged. */
function countingCarry(): HistoryCarry & { taken: number[]; judged: number[] } {
  const inner = createHistoryCarry();
  const carry = {
    taken: [] as number[],
    judged: [] as number[],
    *take(...args: Parameters<HistoryCarry['take']>) {
      const carried = yield* inner.take(...args);
      carry.taken.push(carried.memo.expectations.size);
      carry.judged.push(carried.judged.size);
      return carried;
    },
    keep: (...args: Parameters<HistoryCarry['keep']>) => inner.keep(...args),
  };
  return carry;
}

describe("a backfill's histories", () => {
  const org = organisation(60, FIRST + DAYS, FIRST - historyDaysNeeded(detection), 21);
  const users = [...org.people.keys()];

  it('are day by day the histories each day reads on its own, from fewer reads, taking the pool days over', async () => {
    const plain = rangedSourceOf(org.rows);
    const inner = rangedSourceOf(org.rows);
    // Days up to FIRST + DAYS - 3 settled: the last day's history (it reads FIRST + DAYS - 2) is read as before.
    const ahead = readAheadHistorySource(inner, FIRST + DAYS - 3);
    const carry = countingCarry();
    for (let d = FIRST; d < FIRST + DAYS; d++) {
      const own = await loadDayHistory(plain, d, detection, org.people, catalog);
      const shared = await loadDayHistory(ahead, d, detection, org.people, catalog, carry);
      expect(comparable(shared, users)).toEqual(comparable(own, users));
    }
    expect(DAYS).toBeLessThan(READ_AHEAD_DAYS);
    // Four sliceable reads a day without; with: one block each, then the last day's own reads.
    expect(plain.reads).toBe(4 * DAYS);
    expect(inner.reads).toBe(4 + 4);
    // The first history works everything out; each next one takes the pool's days as judged but yesterday,
    // and yesterday's expectations (yesterday's "today"), with which it judges yesterday.
    expect(carry.taken).toEqual([0, ...carry.taken.slice(1).map(() => 1)]);
    expect(carry.judged).toEqual([0, ...carry.judged.slice(1).map(() => detection.poolDays - 1)]);
  });

  it('are the same when the pool days wait on disk between two days (a live detector), and when one of those files is lost', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carry-spill-'));
    try {
      const errors: string[] = [];
      const carry = createHistoryCarry({ dir, onError: (err, what) => errors.push(`${what}: ${err.message}`) });
      const source = rangedSourceOf(org.rows);
      for (let d = FIRST; d < FIRST + 4; d++) {
        if (d === FIRST + 2) fs.rmSync(path.join(dir, fs.readdirSync(dir).sort()[3]));
        const own = await loadDayHistory(source, d, detection, org.people, catalog);
        const shared = await loadDayHistory(source, d, detection, org.people, catalog, carry);
        expect(comparable(shared, users)).toEqual(comparable(own, users));
        // One file a pool day the next history may take, those it did not take removed.
        expect(fs.readdirSync(dir)).toHaveLength(detection.poolDays);
        // Each with its users after the columns.
        for (const f of fs.readdirSync(dir)) expect(fs.readFileSync(path.join(dir, f), 'latin1')).toMatch(/\["u[^\]]*"\]$/);
      }
      expect(errors).toEqual([expect.stringMatching(/^read: the pool day \d+ spilled to .* could not be read back; judged again$/)]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('are the same when two carries spill into one folder (a failed start-up attempt still finishing a build beside the next)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carry-spill-'));
    try {
      const errors: string[] = [];
      const spill = { dir, onError: (err: Error, what: string) => errors.push(`${what}: ${err.message}`) };
      const [next, abandoned] = [createHistoryCarry(spill), createHistoryCarry(spill)];
      const source = rangedSourceOf(org.rows);
      await loadDayHistory(source, FIRST, detection, org.people, catalog, next);
      // The abandoned attempt's build ends after the next attempt's first one, with other pool days.
      await loadDayHistory(source, FIRST + 6, detection, org.people, catalog, abandoned);
      const shared = await loadDayHistory(source, FIRST + 1, detection, org.people, catalog, next);
      expect(comparable(shared, users)).toEqual(comparable(await loadDayHistory(source, FIRST + 1, detection, org.people, catalog), users));
      expect(errors).toEqual([]);
      expect(fs.readdirSync(dir)).toHaveLength(2 * detection.poolDays);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('are the same when the busiest-hour rows are read over the whole window, not only the pool and its baselines', async () => {
    // A history reads busiest-hour rows of hourDaysNeeded days (the costly hourly rollup); the older days
    // of the window (the month-end uplift's look-back) must not matter: across a month end, day by day.
    const narrow = rangedSourceOf(org.rows);
    const whole = rangedSourceOf(org.rows);
    const wide = { ...whole, busiestHour: (_first: number, last: number) => whole.busiestHour(last + 1 - historyDaysNeeded(detection), last) };
    expect(hourDaysNeeded(detection)).toBeLessThan(historyDaysNeeded(detection));
    for (let d = FIRST; d < FIRST + DAYS; d++) {
      const a = await loadDayHistory(narrow, d, detection, org.people, catalog);
      const b = await loadDayHistory(wide, d, detection, org.people, catalog);
      expect(comparable(a, users)).toEqual(comparable(b, users));
    }
  });

  it('are the histories of their own for people who first appear on the way, with and without a directory entry', async () => {
    // Two people with rows from the middle of the period on: one in the directory (a new hire), one not.
    const arrival = FIRST + 5;
    const hire = organisation(1, FIRST + DAYS, FIRST - historyDaysNeeded(detection), 99).rows;
    const rename = (list: UserDayValue[], user: string) => list.filter((r) => r.day >= arrival).map((r) => ({ ...r, user }));
    const rows = {
      ...org.rows,
      daily: [...org.rows.daily, ...rename(hire.daily, 'u7-new'), ...rename(hire.daily, 'stranger')],
      busiestHour: [...org.rows.busiestHour, ...rename(hire.busiestHour, 'u7-new'), ...rename(hire.busiestHour, 'stranger')],
    };
    const carry = countingCarry();
    for (let d = FIRST; d < FIRST + DAYS; d++) {
      const own = await loadDayHistory(rangedSourceOf(rows), d, detection, org.people, catalog);
      const shared = await loadDayHistory(rangedSourceOf(rows), d, detection, org.people, catalog, carry);
      expect(comparable(shared, [...users, 'u7-new', 'stranger'])).toEqual(comparable(own, [...users, 'u7-new', 'stranger']));
    }
    expect(carry.judged).toEqual([0, ...carry.judged.slice(1).map(() => detection.poolDays - 1)]);
  });

  it('are the histories of their own for someone whose sensitive volume is stored before any volume (rollups that disagree)', async () => {
    // 'x' has sensitive bytes on ten days and no daily volume or busiest hour until FIRST (an insert
    // stopped between the rollup views, not repaired yet): x's first day judged has an expectation of its own.
    const rows = {
      ...org.rows,
      sensitive: [...org.rows.sensitive, ...Array.from({ length: 10 }, (_, i) => ({ user: 'x', day: FIRST - 14 + i, bytes: 5e9 * (1 + i / 10) }))],
      daily: [...org.rows.daily, { user: 'x', day: FIRST, bytes: 1e9 }],
      busiestHour: [...org.rows.busiestHour, { user: 'x', day: FIRST, bytes: 1e8 }],
    };
    const carry = countingCarry();
    for (const d of [FIRST, FIRST + 1, FIRST + 2]) {
      const own = await loadDayHistory(rangedSourceOf(rows), d, detection, org.people, catalog);
      const shared = await loadDayHistory(rangedSourceOf(rows), d, detection, org.people, catalog, carry);
      expect(comparable(shared, [...users, 'x'])).toEqual(comparable(own, [...users, 'x']));
    }
    // x was not in FIRST's history: its expectations are not taken by FIRST + 1's; the next day's are.
    expect(carry.taken).toEqual([0, 0, 1]);
  });

  it('work the days out again from a past day whose rows changed (a late event)', async () => {
    const day = FIRST + 3;
    const history = (rows: Organisation['rows'], d: number, carry?: HistoryCarry) => loadDayHistory(rangedSourceOf(rows), d, detection, org.people, catalog, carry);
    // u1's volume on their last working day before yesterday grows tenfold after yesterday's history was built.
    const changedDay = Math.max(...org.rows.daily.filter((r) => r.user === 'u1' && r.day < day - 1).map((r) => r.day));
    const changed = { ...org.rows, daily: org.rows.daily.map((r) => (r.user === 'u1' && r.day === changedDay ? { ...r, bytes: r.bytes * 10 } : r)) };
    const unchanged = countingCarry();
    await history(org.rows, day - 1, unchanged);
    const before = await history(org.rows, day, unchanged);
    const carry = countingCarry();
    await history(org.rows, day - 1, carry);
    const shared = await history(changed, day, carry);
    const own = await history(changed, day);
    expect(comparable(shared, users)).toEqual(comparable(own, users));
    expect(own.profile('u1').volume).not.toEqual(before.profile('u1').volume);
    // Taken: the pool's days before the changed one as judged; not yesterday's expectations (they rest on it).
    expect([carry.taken[1], unchanged.taken[1]]).toEqual([0, 1]);
    expect(carry.judged[1]).toBe(changedDay - (day - detection.poolDays));
    expect(unchanged.judged[1]).toBe(detection.poolDays - 1);
  });

  it('work the days out again from a past day where two people swapped volumes (the day holds the same values, not the same rows)', async () => {
    // The carry compares a digest of each day's rows, not the rows: one of values alone, or of counts,
    // would take this day as unchanged.
    const day = FIRST + 3;
    const history = (rows: Organisation['rows'], d: number, carry?: HistoryCarry) => loadDayHistory(rangedSourceOf(rows), d, detection, org.people, catalog, carry);
    const on = (u: string, d: number) => org.rows.daily.find((r) => r.user === u && r.day === d);
    const swapped = Math.max(...org.rows.daily.filter((r) => r.user === 'u1' && r.day < day - 1 && on('u2', r.day) && on('u2', r.day)!.bytes !== r.bytes).map((r) => r.day));
    const other = (u: string) => (u === 'u1' ? 'u2' : u === 'u2' ? 'u1' : u);
    const changed = { ...org.rows, daily: org.rows.daily.map((r) => (r.day === swapped ? { ...r, user: other(r.user) } : r)) };
    const carry = countingCarry();
    await history(org.rows, day - 1, carry);
    const shared = await history(changed, day, carry);
    expect(comparable(shared, users)).toEqual(comparable(await history(changed, day), users));
    expect(carry.judged[1]).toBe(swapped - (day - detection.poolDays));
  });

  it('keep, of the expectations a build works out, only those a later day reads (the month ends) and their own day', async () => {
    // Each pool day's expectations are a Map per statistic of everyone: kept until the build ends, they
    // were most of a first build's peak memory. What the build hands to the carry is what it still holds.
    const held: number[][] = [];
    const inner = createHistoryCarry();
    const watching: HistoryCarry = { take: (...args) => inner.take(...args), keep: (inputs, worked) => (held.push([...worked.memo.expectations.keys()]), inner.keep(inputs, worked)) };
    const day = FIRST + DAYS - 1;
    await loadDayHistory(rangedSourceOf(org.rows), day, detection, org.people, catalog, watching);
    const [days] = held;
    expect(days).toContain(day);
    expect(days.filter((d) => d !== day && !isMonthEnd(d))).toEqual([]);
    // The pool reaches back past a month end: its expectations are kept for the uplifts.
    expect(days.some((d) => d < day && isMonthEnd(d))).toBe(true);
  });

  it('judge a pool day again when only its night-time bytes changed', async () => {
    const day = FIRST + 3;
    const history = (rows: Organisation['rows'], d: number, carry?: HistoryCarry) => loadDayHistory(rangedSourceOf(rows), d, detection, org.people, catalog, carry);
    const late = org.rows.night.filter((r) => r.day < day - 1).sort((a, b) => b.day - a.day)[0];
    const changed = { ...org.rows, night: org.rows.night.map((r) => (r === late ? { ...r, bytes: r.bytes * 50 } : r)) };
    const unchanged = countingCarry();
    await history(org.rows, day - 1, unchanged);
    await history(org.rows, day, unchanged);
    const carry = countingCarry();
    await history(org.rows, day - 1, carry);
    const shared = await history(changed, day, carry);
    const own = await history(changed, day);
    expect(comparable(shared, users)).toEqual(comparable(own, users));
    expect(own.calibration.night.summary).not.toEqual((await history(org.rows, day)).calibration.night.summary);
    // The expectations are all taken (night-time bytes are not in them); the days from the changed one are judged again.
    expect(carry.taken[1]).toBe(unchanged.taken[1]);
    expect(carry.judged[1]).toBe(late.day - (day - detection.poolDays));
  });
});
