// A person's series as the day-history build groups them (src/detect/history-series.ts: seriesOf,
// nightsOf): the rows with bytes, by user in the order users first appear, each person's in day order,
// a day's rows in the order read. Compared with the plain definition (group, then a stable sort per
// person) on rows in any order: the window's days placed by counting, a wide range or a fractional day
// sorted.
import { nightsOf, runSteps, seriesOf } from '../../src/detect/history-series';
import type { UserDayValue } from '../../src/detect/history-source';
import { stream } from '../../src/simulate/random';

/** The plain definition: each user's rows with bytes (users in the order they first appear), stably sorted by day. */
function plainByUser(rows: UserDayValue[]): Array<[string, UserDayValue[]]> {
  const byUser = new Map<string, UserDayValue[]>();
  for (const r of rows) {
    if (!(r.bytes > 0)) continue;
    if (!byUser.has(r.user)) byUser.set(r.user, []);
    byUser.get(r.user)!.push(r);
  }
  return [...byUser].map(([u, list]) => [u, [...list].sort((a, b) => a.day - b.day)]);
}

/** Rows of a few people over `days` days from `first`, shuffled, some days twice, some without bytes. */
function shuffledRows(seed: number, first: number, days: number): UserDayValue[] {
  const r = stream(seed, 'series-test');
  const rows: UserDayValue[] = [];
  for (let i = 0; i < 400; i++) {
    const bytes = [0, -5, NaN][r.int(0, 30)] ?? 1 + r.float() * 1e9;
    rows.push({ user: `u${r.int(0, 12)}`, day: first + r.int(0, days - 1), bytes });
  }
  // A day twice for the same person (a night-time row of two groups): summed in the order read.
  rows.push({ user: 'u1', day: first, bytes: 0.1 }, { user: 'u1', day: first, bytes: 0.2 }, { user: 'u1', day: first, bytes: 0.3 });
  return rows;
}

describe('the series of each person, grouped by counting the days', () => {
  for (const [name, first, days] of [
    ['a window of 96 days', 20_000, 96],
    ['days far apart (sorted instead)', 0, 1_000_000],
  ] as const) {
    it(`equal the plain definition, users in the order they first appear (${name})`, () => {
      for (const seed of [1, 2, 3]) {
        const rows = shuffledRows(seed, first, days);
        const plain = plainByUser(rows);
        const series = runSteps(seriesOf(rows));
        expect([...series.keys()]).toEqual(plain.map(([u]) => u));
        for (const [u, list] of plain) {
          expect([...series.get(u)!.days]).toEqual(list.map((x) => x.day));
          expect([...series.get(u)!.logs]).toEqual(list.map((x) => Math.log(x.bytes)));
        }
        const nights = runSteps(nightsOf(rows));
        expect([...nights.keys()]).toEqual(plain.map(([u]) => u));
        for (const [u, list] of plain) {
          const days: number[] = [];
          const bytes: number[] = [];
          for (const x of list) {
            if (days[days.length - 1] === x.day) bytes[bytes.length - 1] += x.bytes;
            else {
              days.push(x.day);
              bytes.push(x.bytes);
            }
          }
          expect([...nights.get(u)!.days]).toEqual(days);
          // Bit for bit: the same additions in the same order.
          expect([...nights.get(u)!.bytes]).toEqual(bytes);
        }
      }
    });
  }

  it('sorts a day that is not a whole number as the plain definition does, and gives nothing for no bytes', () => {
    const rows: UserDayValue[] = [
      { user: 'b', day: 10, bytes: 1 },
      { user: 'a', day: 10, bytes: 2 },
      { user: 'a', day: 9.5, bytes: 3 },
      { user: 'a', day: 9, bytes: 4 },
    ];
    const series = runSteps(seriesOf(rows));
    expect([...series.keys()]).toEqual(['b', 'a']);
    // Int32Array days: 9.5 is kept as 9, in its place between 9 and 10.
    expect([...series.get('a')!.days]).toEqual([9, 9, 10]);
    expect([...series.get('a')!.logs]).toEqual([4, 3, 2].map(Math.log));
    expect(runSteps(seriesOf([{ user: 'a', day: 1, bytes: 0 }])).size).toBe(0);
    expect(runSteps(nightsOf([])).size).toBe(0);
  });
});
