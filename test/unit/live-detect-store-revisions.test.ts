// A batch's alert revisions are stored only while the batch is still this detector's
// (src/live-detect/store-revisions.ts): proven before every attempt, so a ClickHouse outage that outlasts
// a rebalance does not write revisions the partition's new owner writes too. Found by review.
import { RESTAMP_AFTER_MS, type AlertRecord } from '../../src/alerts';
import { ClickHouseError } from '../../src/errors';
import { Abandoned } from '../../src/kafka';
import { createLogger } from '../../src/log';
import type { AlertWrites } from '../../src/live-detect/alert-writes';
import { revisionStore } from '../../src/live-detect/store-revisions';

const log = createLogger({ level: 'silent' });
const revision = { alertId: 'a1', revision: 1 } as AlertRecord;
/** Writes as alert-writes.ts orders them (ownership proven, then the insert), each attempt sending the whole batch. */
const writer =
  (write: (alerts: AlertRecord[]) => Promise<void>) =>
  (alerts: AlertRecord[]): AlertWrites => ({
    async attempt(prove, stamp) {
      await prove();
      await write(stamp(alerts));
    },
    unanswered: () => undefined,
  });
const BY = { topic: 'events', partition: 0 };
const outage = () => new ClickHouseError('ClickHouse unreachable during insert into alerts: connect ECONNREFUSED', { retriable: true });

describe('storing a batch’s alert revisions', () => {
  it('proves the membership before every attempt, and retries while ClickHouse is away', async () => {
    const calls: string[] = [];
    let failures = 2;
    const store = revisionStore({
      writes: writer(async () => {
        calls.push('write');
        if (failures-- > 0) throw outage();
      }),
      retry: { initialDelayMs: 1, maxDelayMs: 2 },
      stopping: () => false,
      log,
    });
    await store([revision], { current: () => true, fence: async () => void calls.push('fence') }, BY);
    expect(calls).toEqual(['fence', 'write', 'fence', 'write', 'fence', 'write']);
  });

  it('gives the batch up, writing nothing more, once a rebalance during the outage took the partition', async () => {
    let writes = 0;
    let current = true;
    const store = revisionStore({
      writes: writer(async () => {
        writes++;
        // The group rebalances while ClickHouse is away.
        current = false;
        throw outage();
      }),
      retry: { initialDelayMs: 1, maxDelayMs: 2 },
      stopping: () => false,
      log,
    });
    await expect(store([revision], { current: () => current, fence: async () => {} }, BY)).rejects.toBeInstanceOf(Abandoned);
    expect(writes).toBe(1);
  });

  it('writes nothing when the group rebalanced while the membership was being proven (the broker takes a commit of the new generation for any partition)', async () => {
    let writes = 0;
    let current = true;
    const store = revisionStore({
      writes: writer(async () => void writes++),
      retry: { initialDelayMs: 1, maxDelayMs: 2 },
      stopping: () => false,
      log,
    });
    const fence = async () => {
      current = false;
    };
    await expect(store([revision], { current: () => current, fence }, BY)).rejects.toBeInstanceOf(Abandoned);
    expect(writes).toBe(0);
  });

  it.each([
    ['an insert whose answer never came', 'insider-detect-alerts:events:0:q1', ['insider-detect-alerts:events:0:q1']],
    ['every insert answered', undefined, []],
  ])('tells the query id of the insert that may still land when it gives the batch up (%s)', async (_, unanswered, told) => {
    let current = true;
    const store = revisionStore({
      writes: () => ({
        async attempt() {
          current = false;
          throw outage();
        },
        unanswered: () => unanswered,
      }),
      retry: { initialDelayMs: 1, maxDelayMs: 2 },
      stopping: () => false,
      log,
    });
    const lost: string[] = [];
    await expect(store([revision], { current: () => current, fence: async () => {} }, BY, (id) => lost.push(id))).rejects.toBeInstanceOf(Abandoned);
    expect(lost).toEqual(told);
  });

  it('writes nothing when the broker refuses the membership (a detector paused past its session)', async () => {
    let writes = 0;
    const store = revisionStore({ writes: writer(async () => void writes++), retry: { initialDelayMs: 1, maxDelayMs: 2 }, stopping: () => false, log });
    const expelled = Object.assign(new Error('The coordinator is not aware of this member'), { retriable: false });
    await expect(store([revision], { current: () => true, fence: () => Promise.reject(expelled) }, BY)).rejects.toBeInstanceOf(Abandoned);
    expect(writes).toBe(0);
  });

  it('stamps a revision stored long after it was judged when it is sent (the notifier and the chain read by stamp), one stored in time as judged', async () => {
    const judged = 1_700_000_000_000;
    let clock = judged + 1000;
    const written: AlertRecord[][] = [];
    let failures = 1;
    const store = revisionStore({
      writes: writer(async (alerts) => {
        written.push(alerts);
        // The outage lasts two minutes: the next attempt goes then.
        if (failures-- > 0) {
          clock += 120_000;
          throw outage();
        }
      }),
      now: () => clock,
      retry: { initialDelayMs: 1, maxDelayMs: 2 },
      stopping: () => false,
      log,
    });
    const late = { alertId: 'a1', revision: 3, createdAtWall: judged - 60_000, updatedAtWall: judged } as AlertRecord;
    await store([late], { current: () => true, fence: async () => {} }, BY);
    expect(written.map((w) => w[0].updatedAtWall)).toEqual([judged, judged + 121_000]);
    expect(written[1][0].createdAtWall).toBe(judged - 60_000);
    expect(late.updatedAtWall).toBe(judged);
    expect(clock - judged).toBeGreaterThan(RESTAMP_AFTER_MS);
  });

  it('refreshes the listing once after the insert, and never inserts again because the refresh failed', async () => {
    const calls: string[] = [];
    let refreshFailures = 2;
    const store = revisionStore({
      writes: writer(async () => void calls.push('insert')),
      refresh: async () => {
        calls.push('refresh');
        if (refreshFailures-- > 0) throw outage();
      },
      retry: { initialDelayMs: 1, maxDelayMs: 2 },
      stopping: () => false,
      log,
    });
    await store([revision], { current: () => true, fence: async () => {} }, BY);
    expect(calls).toEqual(['insert', 'refresh', 'refresh', 'refresh']);
  });

  it('keeps the batch stored when its listing cannot be refreshed (the group moved on meanwhile): the API repairs the listing', async () => {
    let current = true;
    let inserts = 0;
    const store = revisionStore({
      writes: writer(async () => {
        inserts++;
      }),
      refresh: async () => {
        current = false;
        throw outage();
      },
      retry: { initialDelayMs: 1, maxDelayMs: 2 },
      stopping: () => false,
      log,
    });
    await expect(store([revision], { current: () => current, fence: async () => {} }, BY)).resolves.toBeUndefined();
    expect(inserts).toBe(1);
  });
});
