import { OffsetLedger } from '../../src/ingest';
import { RecentIds } from '../../src/kafka/recent-ids';
import { userKey } from '../../src/replay';
import { insertDeduplicationToken, supportsInsertDeduplicationToken } from '../../src/ingest/dedup-token';

describe('OffsetLedger', () => {
  it('answers membership over merged, inclusive ranges', () => {
    const l = new OffsetLedger();
    l.add(10, 19);
    l.add(30, 30);
    l.add(20, 25);
    expect(l.size).toBe(2);
    expect([9, 10, 19, 20, 25, 26, 29, 30, 31].map((o) => l.has(o))).toEqual([false, true, true, true, true, false, false, true, false]);
  });

  it('forgets offsets below the committed one', () => {
    const l = new OffsetLedger();
    l.add(0, 99);
    l.add(200, 210);
    l.dropBelow(205);
    expect([50, 204, 205, 210].map((o) => l.has(o))).toEqual([false, false, true, true]);
    expect(l.size).toBe(1);
  });
});

describe('RecentIds', () => {
  it('remembers at least the last N/2 and at most the last N ids', () => {
    const r = new RecentIds(4);
    for (const id of ['a', 'b', 'c', 'd', 'e']) r.add(id);
    expect(['a', 'b', 'c', 'd', 'e'].map((id) => r.has(id))).toEqual([false, false, true, true, true]);
    for (let i = 0; i < 1000; i++) r.add(`x${i}`);
    expect(r.has('e')).toBe(false);
    expect(r.has('x999')).toBe(true);
    expect(r.has('x998')).toBe(true);
  });

  it('remembers nothing with capacity 0', () => {
    const r = new RecentIds(0);
    r.add('a');
    expect(r.has('a')).toBe(false);
  });
});

describe('replay keys', () => {
  it('keys by user when the line has one, and sends anything else unkeyed', () => {
    expect(userKey('{"user":"alice","bytes":1}')).toBe('alice');
    expect(userKey('{"user":5}')).toBeNull();
    expect(userKey('not json')).toBeNull();
    expect(userKey('null')).toBeNull();
  });
});

describe('insert deduplication tokens (modern ClickHouse only)', () => {
  it('is enabled from 22.2 on, never on 18.16', () => {
    expect(['18.16.1', '21.8.15', '22.1.3'].map(supportsInsertDeduplicationToken)).toEqual([false, false, false]);
    expect(['22.2.1', '23.8.2.7', '24.8.4'].map(supportsInsertDeduplicationToken)).toEqual([true, true, true]);
  });

  it('is the same token for the same Kafka range, and differs for another', () => {
    expect(insertDeduplicationToken('events', 3, 100, 199, 98)).toBe(insertDeduplicationToken('events', 3, 100, 199, 98));
    expect(insertDeduplicationToken('events', 3, 100, 199, 98)).not.toBe(insertDeduplicationToken('events', 3, 100, 200, 99));
  });
});
