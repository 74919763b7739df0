// Taking partitions over (src/live-detect/partitions.ts), with the engine and the reads faked: which
// joins drop what, when a partition is taken over again, what a takeover waits for and reads.
import type { Batch } from 'kafkajs';
import type { AlertRecord } from '../../src/alerts';
import { dayOf, MS_PER_DAY } from '../../src/calendar';
import type { DetectEvent, Engine } from '../../src/detect';
import { createLogger } from '../../src/log';
import { partitionsOf } from '../../src/live-detect/partitions';
import type { PartitionBelow, TakeoverReads } from '../../src/live-detect/takeover-reads';

const log = createLogger({ level: 'silent' });
const today = dayOf(Date.now());

const batch = (partition: number, offset: number, topic = 't'): Batch => ({ topic, partition, messages: [{ offset: String(offset) }], firstOffset: () => String(offset) }) as unknown as Batch;
const event = (user: string, id: string): DetectEvent => ({ eventId: id, ts: today * MS_PER_DAY + 1000, user, action: 'SELECT', bytes: 1, rows: 1, table: 'db.t', clientIp: '', clientApp: '', sessionId: '', ok: true });

/** A fake engine and reads recording what a takeover did, in order. */
function setup(opts: { stored?: Map<string, DetectEvent[]>; ingested?: () => bigint; alerts?: AlertRecord[]; duringRead?: () => void } = {}) {
  const calls: string[] = [];
  const fetches: string[] = [];
  const engine = {
    release: (users: Iterable<string>) => void calls.push(`release ${[...users].sort().join(',')}`),
    restore: (alerts: ReadonlyArray<AlertRecord>) => void calls.push(`restore ${alerts.map((a) => a.alertId).join(',')}`),
    process: async (events: ReadonlyArray<DetectEvent>) => {
      calls.push(`process ${events.map((e) => e.eventId).join(',')}`);
      return [];
    },
  } as unknown as Engine;
  const reads: TakeoverReads = {
    ingestedBelow: async (topic) => {
      fetches.push(topic);
      const below = (opts.ingested ?? (() => 1_000_000n))();
      return new Map([0, 1, 2, 3].map((p) => [p, below]));
    },
    partitionEvents: async (since, topic, partition, below) => {
      calls.push(`read ${topic}/${partition} below ${below} since ${since === today - 1 ? 'yesterday' : since}`);
      opts.duringRead?.();
      return opts.stored?.get(`${topic}/${partition}`) ?? [];
    },
    employeeEvents: async (_since, users, partitions: ReadonlyArray<PartitionBelow>) => {
      if (partitions.length > 0) calls.push(`read ${users.join(',')} on ${partitions.map((p) => `${p.topic}/${p.partition} below ${p.below}`).join(',')}`);
      return [];
    },
    alerts: async () => opts.alerts ?? [],
  };
  return { calls, fetches, partitions: partitionsOf(reads, engine, log) };
}

describe('partitionsOf: taking partitions over', () => {
  it('takes a partition over at its first batch: reads what is stored below it, releases and rebuilds its employees, continues the stored alerts', async () => {
    const alert = { alertId: 'al_1', user: 'alice' } as AlertRecord;
    // zed has no stored event below offset 10: the detector before stored this alert, then died before
    // committing the batch (its events start at 10). Judged again here, it must continue, not start again.
    const other = { alertId: 'al_2', user: 'zed' } as AlertRecord;
    const { calls, partitions } = setup({ stored: new Map([['t/0', [event('alice', 'e1'), event('bob', 'e2')]]]), alerts: [alert, other] });
    partitions.assigned({ t: [0, 1] }, 'm1');
    const taken = await partitions.enter(batch(0, 10));
    expect(taken).toMatchObject({ events: 2, alerts: [] });
    expect(calls).toEqual(['read t/0 below 10 since yesterday', 'release alice,bob', 'restore al_1,al_2', 'process e1,e2']);
    // The next batch of a partition held takes nothing over.
    partitions.judged(batch(0, 10), [event('alice', 'e3')]);
    calls.length = 0;
    expect(await partitions.enter(batch(0, 11))).toMatchObject({ events: 0 });
    expect(calls).toEqual([]);
  });

  it('drops a partition the group takes away and takes it over again when it comes back, even when both joins come between two batches', async () => {
    const { calls, partitions } = setup();
    partitions.assigned({ t: [0, 1] }, 'm1');
    await partitions.enter(batch(0, 10));
    partitions.judged(batch(0, 10), [event('alice', 'e1')]);
    calls.length = 0;
    // Partition 0 goes to another detector, then comes back, with no batch here in between.
    partitions.assigned({ t: [1] }, 'm1');
    partitions.assigned({ t: [0, 1] }, 'm1');
    await partitions.enter(batch(0, 50));
    expect(calls).toEqual(['release alice', 'read t/0 below 50 since yesterday', 'release ', 'restore ', 'process ']);
  });

  it('drops a partition the group took away while it was being taken over, and takes it over again when it comes back', async () => {
    let join: (() => void) | undefined;
    const { calls, partitions } = setup({ stored: new Map([['t/0', [event('alice', 'e1')]]]), duringRead: () => join?.() });
    partitions.assigned({ t: [0, 1] }, 'm1');
    // While the takeover of partition 0 reads ClickHouse, a rebalance gives it to another detector.
    join = () => ((join = undefined), partitions.assigned({ t: [1] }, 'm1'));
    const taken = await partitions.enter(batch(0, 10));
    expect(partitions.current(taken!)).toBe(false);
    calls.length = 0;
    await partitions.enter(batch(1, 5));
    expect(calls[0]).toBe('release alice');
    // Back later, after another detector judged it: taken over afresh from where it starts now.
    partitions.assigned({ t: [0, 1] }, 'm1');
    calls.length = 0;
    await partitions.enter(batch(0, 500));
    expect(calls[0]).toBe('read t/0 below 500 since yesterday');
  });

  it('drops everything held after an expulsion (a new member id), even partitions assigned again', async () => {
    const { calls, partitions } = setup();
    partitions.assigned({ t: [0, 1] }, 'm1');
    await partitions.enter(batch(0, 10));
    partitions.judged(batch(0, 10), [event('alice', 'e1')]);
    await partitions.enter(batch(1, 20));
    partitions.judged(batch(1, 20), [event('bob', 'e2')]);
    calls.length = 0;
    partitions.assigned({ t: [0, 1] }, 'm2');
    await partitions.enter(batch(1, 30));
    expect(calls[0]).toBe('release alice,bob');
    expect(calls[1]).toBe('read t/1 below 30 since yesterday');
  });

  it('does not judge a batch of a partition that is not assigned, and tells a batch entered before a join from a current one', async () => {
    const { partitions } = setup();
    partitions.assigned({ t: [0] }, 'm1');
    expect(await partitions.enter(batch(1, 5))).toBeNull();
    const taken = (await partitions.enter(batch(0, 5)))!;
    expect(partitions.current(taken)).toBe(true);
    partitions.assigned({ t: [0] }, 'm1');
    expect(partitions.current(taken)).toBe(false);
  });

  it('takes a partition over again after a batch judged but not stored', async () => {
    const { calls, partitions } = setup();
    partitions.assigned({ t: [0] }, 'm1');
    await partitions.enter(batch(0, 10));
    calls.length = 0;
    partitions.abandon(batch(0, 10), [event('alice', 'e1')]);
    expect(calls).toEqual(['release alice']);
    await partitions.enter(batch(0, 10));
    expect(calls[1]).toBe('read t/0 below 10 since yesterday');
  });

  it("waits for the ingester's group to reach the offset it starts at before reading", async () => {
    let polls = 0;
    const { calls, partitions } = setup({ ingested: () => (++polls < 3 ? 5n : 10n) });
    partitions.assigned({ t: [0] }, 'm1');
    await partitions.enter(batch(0, 10));
    expect(polls).toBe(3);
    expect(calls[0]).toBe('read t/0 below 10 since yesterday');
  });

  it("rebuilds an employee also seen on another topic's partition from both, and reads no other partition of the same topic", async () => {
    const { calls, partitions } = setup({ stored: new Map([['u/0', [event('alice', 'e9')]]]) });
    partitions.assigned({ t: [0, 1], u: [0] }, 'm1');
    await partitions.enter(batch(0, 10));
    partitions.judged(batch(0, 10), [event('alice', 'e1')]);
    await partitions.enter(batch(1, 7));
    partitions.judged(batch(1, 7), [event('bob', 'e2')]);
    calls.length = 0;
    await partitions.enter(batch(0, 3, 'u'));
    expect(calls).toEqual(['read u/0 below 3 since yesterday', 'read alice on t/0 below 11,t/1 below 8', 'release alice', 'restore ', 'process e9']);
  });

  it("shares one fetch of the ingester's offsets between the takeovers of a join", async () => {
    const { fetches, partitions } = setup();
    partitions.assigned({ t: [0, 1, 2], u: [0] }, 'm1');
    for (const p of [0, 1, 2]) await partitions.enter(batch(p, 10));
    await partitions.enter(batch(0, 10, 'u'));
    expect(fetches).toEqual(['t', 'u']);
  });

  it("keeps an employee's totals while any partition held carries their events, and drops them with the last", async () => {
    const { calls, partitions } = setup();
    partitions.assigned({ t: [0], u: [0] }, 'm1');
    await partitions.enter(batch(0, 10));
    partitions.judged(batch(0, 10), [event('alice', 'e1'), event('alice', 'e2')]);
    await partitions.enter(batch(0, 10, 'u'));
    partitions.judged(batch(0, 10, 'u'), [event('alice', 'e3'), event('bob', 'e4')]);
    calls.length = 0;
    partitions.assigned({ u: [0] }, 'm1');
    await partitions.enter(batch(0, 11, 'u'));
    expect(calls).toEqual(['release ']);
    partitions.assigned({ t: [0] }, 'm1');
    await partitions.enter(batch(0, 11));
    expect(calls).toEqual(['release ', 'release alice,bob', 'read t/0 below 11 since yesterday', 'release ', 'restore ', 'process ']);
  });
});
