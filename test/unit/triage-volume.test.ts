// The dashboard's bands: the usual band of active weekdays, and who an employee's peers are.
import { createPeerBytesCache, peerRange, peersOf, usualBand } from '../../src/triage/volume';
import type { ClickHouse, SqlFragment } from '../../src/store';
import type { DirectoryEntry } from '../../src/directory';

const person = (id: string, department: string, role: string, account_type: 'human' | 'service' = 'human'): DirectoryEntry => ({
  id, name: id, department, role, manager: '', location: '', timezone: 'UTC', hire_date: '2020-01-06', notice_date: null, end_date: null, account_type,
});

describe('usualBand', () => {
  // 2026-11-02 is a Monday; day(d) is d days later.
  const day = (d: number) => new Date(Date.UTC(2026, 10, 2 + d)).toISOString().slice(0, 10);
  const params = { baselineDays: 28, minHistoryDays: 5, sigmaFloor: 0.1 };
  /** Four weeks: ~100 MB on weekdays, ~10 MB on weekends, as DayBytes up to and including `last`. */
  const weeks = (last: number) =>
    Array.from({ length: last + 1 }, (_, d) => ({ day: day(d), bytes: d % 7 >= 5 ? 10e6 + (d % 3) * 1e6 : 100e6 + (d % 4) * 5e6 }));

  it("judges a weekday against the weekdays before it, as the detector does, ignoring the day's own volume", () => {
    const days = weeks(28); // day 28 is a Monday
    days[28].bytes = 20e9;
    const band = usualBand(days, day(28), params)!;
    expect(band.kind).toBe('weekday');
    expect(band.median).toBeGreaterThanOrEqual(100e6);
    expect(band.median).toBeLessThanOrEqual(115e6);
    expect(band.low).toBeLessThan(band.median);
    expect(band.high).toBeGreaterThan(band.median);
    expect(band.high).toBeLessThan(200e6);
  });

  it('judges a weekend against weekends once there are four of them', () => {
    const band = usualBand(weeks(33), day(33), params)!; // day 33 is a Saturday, after 8 weekend days
    expect(band.kind).toBe('weekend');
    expect(band.median).toBeLessThan(13e6);
    expect(usualBand(weeks(12), day(12), params)!.kind).toBe('weekday'); // the second Saturday: 2 weekend days
  });

  it('is null before minHistoryDays active days (a cold start: the peers judge)', () => {
    expect(usualBand(weeks(4), day(4), params)).toBeNull();
    expect(usualBand(weeks(4), day(4), { ...params, minHistoryDays: 3 })).not.toBeNull();
  });
});

describe('peersOf', () => {
  const people = [
    person('me', 'Sales', 'sales_ops'),
    person('a', 'Sales', 'sales_ops'),
    person('b', 'Sales', 'sales_ops'),
    person('c', 'Sales', 'sales_ops'),
    person('d', 'Sales', 'account_exec'),
    person('etl', 'Sales', 'sales_ops', 'service'),
    person('x', 'Finance', 'sales_ops'),
  ];

  it('are the other humans of the same department and role', () => {
    expect(peersOf('me', people)).toEqual({ group: 'Sales/sales_ops', members: ['a', 'b', 'c'] });
  });

  it('are the whole department when the role has fewer than three others, and nobody when that is too few', () => {
    expect(peersOf('d', people)).toEqual({ group: 'Sales/*', members: ['me', 'a', 'b', 'c'] });
    expect(peersOf('x', people)).toBeNull();
    expect(peersOf('unknown', people)).toBeNull();
  });
});

describe('peerRange with the shared department cache', () => {
  const people = [
    person('me', 'Sales', 'sales_ops'),
    person('a', 'Sales', 'sales_ops'),
    person('b', 'Sales', 'sales_ops'),
    person('c', 'Sales', 'sales_ops'),
    person('etl', 'Sales', 'sales_ops', 'service'),
  ];
  const DAY = Math.floor(Date.UTC(2026, 10, 2) / 86_400_000);
  /** During DAY: its month (November 2026) is not settled. */
  const during = (DAY + 0.5) * 86_400_000;
  const iso = (d: number) => new Date(d * 86_400_000).toISOString().slice(0, 10);
  // One day: me exports 50 GB, the others move 1, 2 and 3 MB. A fake ClickHouse that answers only the ids asked for.
  const volume: Record<string, number> = { me: 50e9, a: 1e6, b: 2e6, c: 3e6, etl: 9e9 };
  const fakeCh = () => {
    const asked: string[][] = [];
    let failNext = false;
    let hangNext = false;
    const ch = {
      query: async (q: SqlFragment) => {
        if (failNext) {
          failNext = false;
          throw new Error('ClickHouse unreachable');
        }
        if (hangNext) {
          hangNext = false;
          asked.push(['(hung)']);
          return new Promise(() => undefined);
        }
        // A read without a list of ids is of everyone (stranger: active, but in no directory).
        const ids = q.text.includes('user IN') ? [...q.text.matchAll(/'([^']*)'/g)].map((m) => m[1]).filter((id) => id in volume) : [...Object.keys(volume), 'stranger'];
        asked.push(q.text.includes('user IN') ? ids : ['*']);
        // One row per member active in the month read (only DAY's month has activity): its days and bytes.
        const month = q.text.includes(`'${iso(DAY).slice(0, 8)}01'`);
        return month ? ids.map((u) => ({ u, ds: [Number(iso(DAY).slice(8))], bs: [String(volume[u] ?? 1e12)] })) : [];
      },
    } as unknown as ClickHouse;
    return { ch, asked, failOnce: () => (failNext = true), hangOnce: () => (hangNext = true) };
  };

  it('reads a department once per month for every role group and window in it, and holds a settled month longer', async () => {
    const { ch, asked } = fakeCh();
    const sales = [...people, person('d', 'Sales', 'account_exec'), person('e', 'Sales', 'account_exec'), person('f', 'Sales', 'account_exec'), person('g', 'Sales', 'account_exec')];
    Object.assign(volume, { d: 4e6, e: 5e6, f: 6e6, g: 7e6 });
    const cache = createPeerBytesCache({ ttlMs: 1, settledTtlMs: 60_000 });
    const later = Date.UTC(2026, 11, 3); // November settled (over for more than a day)
    const ops = await peerRange(ch, 'me', sales, DAY, DAY, { cache, version: 1, now: later });
    const execs = await peerRange(ch, 'd', sales, DAY - 1, DAY + 20, { cache, version: 1, now: later });
    expect(asked).toHaveLength(1);
    expect(new Set(asked[0])).toEqual(new Set(['me', 'a', 'b', 'c', 'd', 'e', 'f', 'g']));
    expect(ops!.group).toBe('Sales/sales_ops');
    expect(ops!.days[0].median).toBe(2e6); // a, b, c
    expect(execs!.group).toBe('Sales/account_exec');
    expect(execs!.days.map((d) => d.day)).toEqual(Array.from({ length: 22 }, (_, i) => iso(DAY - 1 + i)));
    expect(execs!.days[1].median).toBe(6e6); // e, f, g: d's own 4 MB left out
    expect(execs!.days[0].median).toBeNull(); // November 1: nobody active
    // A window reaching into October reads October once; the settled November is still held (ttlMs is 1 ms).
    await new Promise((r) => setTimeout(r, 20));
    const autumn = await peerRange(ch, 'me', sales, DAY - 5, DAY, { cache, version: 1, now: later });
    expect(asked).toHaveLength(2);
    expect(autumn!.days.map((d) => d.median)).toEqual([null, null, null, null, null, 2e6]); // October 28-31 and November 1 were quiet
    // While November still had an open day, it was held for ttlMs only.
    const open = createPeerBytesCache({ ttlMs: 1, settledTtlMs: 60_000 });
    await peerRange(ch, 'me', sales, DAY, DAY, { cache: open, version: 1, now: during });
    await new Promise((r) => setTimeout(r, 20));
    await peerRange(ch, 'me', sales, DAY, DAY, { cache: open, version: 1, now: during });
    expect(asked).toHaveLength(4);
  });

  it("reads a department once for all its members, and still leaves each member's own volume out of that member's range", async () => {
    const { ch, asked } = fakeCh();
    const cache = createPeerBytesCache({ ttlMs: 60_000 });
    const mine = await peerRange(ch, 'me', people, DAY, DAY, { cache, version: 1, now: during });
    const theirs = await peerRange(ch, 'a', people, DAY, DAY, { cache, version: 1, now: during });
    const service = await peerRange(ch, 'etl', people, DAY, DAY, { cache, version: 1, now: during });
    expect(asked).toHaveLength(1);
    expect(new Set(asked[0])).toEqual(new Set(['me', 'a', 'b', 'c']));
    // me's range is a, b, c only: the 50 GB is not in it.
    expect(mine!.days[0].median).toBe(2e6);
    expect(mine!.days[0].high).toBeLessThan(3.1e6);
    // a's range holds me's 50 GB but not a's own 1 MB; the service account is judged against all four people.
    expect(theirs!.days[0].low).toBeGreaterThan(1e6);
    expect(theirs!.days[0].high).toBeGreaterThan(3e6);
    expect(service!.n).toBe(4);
    // Without the cache the same figures, read each time.
    expect(await peerRange(ch, 'me', people, DAY, DAY)).toEqual(mine);
    expect(asked).toHaveLength(2);
  });

  it('reads a whole month once for every department while two months of everyone fit in the cache, and keeps only the directory\'s people', async () => {
    const { ch, asked } = fakeCh();
    const others = [person('s1', 'Support', 'agent'), person('s2', 'Support', 'agent'), person('s3', 'Support', 'agent'), person('s4', 'Support', 'agent')];
    Object.assign(volume, { s1: 1e6, s2: 2e6, s3: 3e6, s4: 4e6 });
    const everyone = [...people, ...others];
    // 8 people (the service account is not one): two months of them are 8 x 31 x 2 = 496 member-days.
    const cache = createPeerBytesCache({ ttlMs: 60_000, maxMemberDays: 496 });
    const sales = await peerRange(ch, 'me', people, DAY, DAY, { cache, version: 1, now: during, everyone });
    const support = await peerRange(ch, 's1', others, DAY, DAY, { cache, version: 1, now: during, everyone });
    expect(asked).toEqual([['*']]);
    // The same figures as a department's own read.
    expect(sales).toEqual(await peerRange(ch, 'me', people, DAY, DAY));
    expect(support!.days[0].median).toBe(3e6); // s2, s3, s4
    // Held: only the 8 people active in the month (not the service account, not the stranger).
    const [month] = [...cache.months.values()];
    expect([...month.bytes.keys()].sort()).toEqual(['a', 'b', 'c', 'me', 's1', 's2', 's3', 's4']);
    // A directory whose two months would not fit: read department by department.
    const tight = createPeerBytesCache({ ttlMs: 60_000, maxMemberDays: 495 });
    asked.length = 0;
    await peerRange(ch, 'me', people, DAY, DAY, { cache: tight, version: 1, now: during, everyone });
    await peerRange(ch, 's1', others, DAY, DAY, { cache: tight, version: 1, now: during, everyone });
    expect(asked.map((ids) => new Set(ids))).toEqual([new Set(['me', 'a', 'b', 'c']), new Set(['s1', 's2', 's3', 's4'])]);
    // A new directory version reads the month again.
    await peerRange(ch, 'me', people, DAY, DAY, { cache, version: 2, now: during, everyone });
    expect(asked).toHaveLength(3);
    expect(asked[2]).toEqual(['*']);
  });

  it('answers a month past its time to live at once while one read replaces it', async () => {
    const { ch, asked, hangOnce } = fakeCh();
    const cache = createPeerBytesCache({ ttlMs: 1 });
    const first = await peerRange(ch, 'me', people, DAY, DAY, { cache, version: 1, now: during });
    await new Promise((r) => setTimeout(r, 20));
    // The read that replaces it never answers: the chart does not wait for it.
    hangOnce();
    expect(await peerRange(ch, 'me', people, DAY, DAY, { cache, version: 1, now: during })).toEqual(first);
    expect(await peerRange(ch, 'me', people, DAY, DAY, { cache, version: 1, now: during })).toEqual(first);
    expect(asked.map((ids) => ids[0] === '(hung)')).toEqual([false, true]);
  });

  it('answers a read whose entry was evicted while in flight (more groups asked at once than the cache holds)', async () => {
    const { ch } = fakeCh();
    const tiny = createPeerBytesCache({ ttlMs: 60_000, max: 1 });
    const others = [person('s1', 'Support', 'agent'), person('s2', 'Support', 'agent'), person('s3', 'Support', 'agent'), person('s4', 'Support', 'agent')];
    volume.s1 = 1e6;
    volume.s2 = 2e6;
    volume.s3 = 3e6;
    volume.s4 = 4e6;
    const [sales, support] = await Promise.all([
      peerRange(ch, 'me', people, DAY, DAY, { cache: tiny, version: 1, now: during }),
      peerRange(ch, 's1', [...people, ...others], DAY, DAY, { cache: tiny, version: 1, now: during }),
    ]);
    expect(sales!.days[0].median).toBe(2e6);
    expect(support!.days[0].median).toBe(3e6);
  });

  it('never gives one group the entry of another whose name reads the same (department "Sales/EU", role "Analyst" and department "Sales", role "EU/Analyst")', async () => {
    const { ch, asked } = fakeCh();
    const cache = createPeerBytesCache({ ttlMs: 60_000 });
    const groups = [
      ...['e1', 'e2', 'e3', 'e4'].map((id) => person(id, 'Sales/EU', 'Analyst')),
      ...['f1', 'f2', 'f3', 'f4'].map((id) => person(id, 'Sales', 'EU/Analyst')),
    ];
    Object.assign(volume, { e1: 1e6, e2: 2e6, e3: 3e6, e4: 4e6, f1: 5e9, f2: 6e9, f3: 7e9, f4: 8e9 });
    const eu = await peerRange(ch, 'e1', groups, DAY, DAY, { cache, version: 1, now: during });
    const other = await peerRange(ch, 'f1', groups, DAY, DAY, { cache, version: 1, now: during });
    expect(eu!.group).toBe(other!.group); // the same name
    expect(asked).toHaveLength(2); // but two reads
    expect(eu!.days[0].median).toBe(3e6);
    expect(other!.days[0].median).toBe(7e9);
  });

  it('does not keep a window larger than its member-day budget, and still answers it', async () => {
    const { ch, asked } = fakeCh();
    const small = createPeerBytesCache({ ttlMs: 60_000, maxMemberDays: 3 });
    const first = await peerRange(ch, 'me', people, DAY, DAY, { cache: small, version: 1, now: during });
    await peerRange(ch, 'me', people, DAY, DAY, { cache: small, version: 1, now: during });
    expect(first!.days[0].median).toBe(2e6);
    expect(asked).toHaveLength(2);
    expect(small.months.size).toBe(0);
  });

  it('reads again after its time to live, after a directory load (a new version), and after a failed read', async () => {
    const { ch, asked, failOnce } = fakeCh();
    const cache = createPeerBytesCache({ ttlMs: 60_000 });
    await peerRange(ch, 'me', people, DAY, DAY, { cache, version: 1, now: during });
    await peerRange(ch, 'me', people, DAY, DAY, { cache, version: 2, now: during });
    expect(asked).toHaveLength(2);
    const short = createPeerBytesCache({ ttlMs: 1 });
    await peerRange(ch, 'me', people, DAY, DAY, { cache: short, version: 1, now: during });
    await new Promise((r) => setTimeout(r, 20));
    await peerRange(ch, 'me', people, DAY, DAY, { cache: short, version: 1, now: during });
    expect(asked).toHaveLength(4);
    const fresh = createPeerBytesCache({ ttlMs: 60_000 });
    failOnce();
    await expect(peerRange(ch, 'me', people, DAY, DAY, { cache: fresh, version: 1, now: during })).rejects.toThrow('unreachable');
    expect((await peerRange(ch, 'me', people, DAY, DAY, { cache: fresh, version: 1, now: during }))!.days[0].median).toBe(2e6);
    expect(asked).toHaveLength(5);
  });
});
