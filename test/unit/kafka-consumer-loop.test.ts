// The consumer loop shared by the ingester and the live detector, against a fake kafkajs consumer:
// what it commits, how it stops, and what a crash kafkajs cannot restart from does.
import { EventEmitter } from 'node:events';
import type { Batch, ConsumerConfig, EachBatchPayload, Kafka } from 'kafkajs';
import { consumerConfig, createConsumerLoop, type ConsumerLoopOptions } from '../../src/kafka';
import { createLogger } from '../../src/log';

const CRASH = 'consumer.crash';
const END_BATCH_PROCESS = 'consumer.end_batch_process';

class FakeConsumer extends EventEmitter {
  events = { CRASH, GROUP_JOIN: 'consumer.group_join', HEARTBEAT: 'consumer.heartbeat', REQUEST: 'network.request', END_BATCH_PROCESS };
  calls: string[] = [];
  commits: unknown[] = [];
  subscribed?: { topics: string[]; fromBeginning: boolean };
  runConfig?: { autoCommit: boolean; eachBatchAutoResolve: boolean; partitionsConsumedConcurrently: number; eachBatch: (p: EachBatchPayload) => Promise<void> };
  constructor(public config: ConsumerConfig) {
    super();
  }
  async connect() {
    this.calls.push('connect');
  }
  async subscribe(s: { topics: string[]; fromBeginning: boolean }) {
    this.subscribed = s;
  }
  async run(r: NonNullable<FakeConsumer['runConfig']>) {
    this.runConfig = r;
  }
  async disconnect() {
    this.calls.push('disconnect');
  }
  /** What the broker answers to the next consumer.commitOffsets calls (resolves when none is left). */
  answers: Array<() => Promise<void>> = [];
  async commitOffsets(offsets: unknown[]) {
    await (this.answers.shift() ?? (async () => {}))();
    this.commits.push(...offsets);
  }
  /** kafkajs's event after a fetch of a partition, as it emits it for one whose records were all kept back. */
  endBatch(partition: number, firstOffset: string | null, lastOffset: string, batchSize = 0, offsetLag = '0') {
    this.emit(END_BATCH_PROCESS, { payload: { topic: 'events', partition, batchSize, firstOffset, lastOffset, offsetLag } });
  }
  crash(error: Error, restart: boolean) {
    this.emit(CRASH, { payload: { error, restart } });
  }
}

/** A batch of messages at `offsets`; its records end at `lastOffset` (kafkajs keeps back the ones past the last message: markers, aborted transactions). */
function batchOf(offsets: string[], lastOffset = offsets[offsets.length - 1], highWatermark = '0', partition = 3): Batch {
  return { topic: 'events', partition, highWatermark, messages: offsets.map((offset) => ({ offset, value: Buffer.from('{}') })), lastOffset: () => lastOffset } as unknown as Batch;
}

/** Feeds a batch to the loop's eachBatch as kafkajs would; records what the loop resolved and committed. */
async function deliver(consumer: FakeConsumer, batch: Batch, commit: () => Promise<void> = async () => {}) {
  const seen = { resolved: [] as string[], committed: [] as unknown[] };
  await consumer.runConfig!.eachBatch({
    batch,
    resolveOffset: (o: string) => seen.resolved.push(o),
    heartbeat: async () => {},
    isStale: () => false,
    commitOffsetsIfNecessary: async (offsets: unknown) => {
      seen.committed.push(offsets);
      await commit();
    },
  } as unknown as EachBatchPayload);
  return seen;
}

const settings = { groupId: 'g', sessionTimeoutMs: 30000, heartbeatIntervalMs: 3000, fetchMaxBytes: 8388608 };

function setUp(overrides: Partial<ConsumerLoopOptions> = {}) {
  let consumer: FakeConsumer | undefined;
  const kafka = { consumer: (config: ConsumerConfig) => (consumer = new FakeConsumer(config)) } as unknown as Kafka;
  const hooks: string[] = [];
  const loop = createConsumerLoop({
    kafka,
    log: createLogger({ level: 'silent' }),
    name: 'test',
    settings,
    topics: ['events'],
    fromBeginning: true,
    concurrency: 2,
    eachBatch: async (batch) => String(BigInt(batch.messages[batch.messages.length - 1].offset) + 1n),
    commitFailed: 'commit failed',
    onStopping: (failed) => hooks.push(`stopping ${failed}`),
    onStopped: async (failed) => {
      hooks.push(`stopped ${failed}`);
    },
    ...overrides,
  });
  return { loop, consumer: consumer!, hooks };
}

describe('consumerConfig', () => {
  it('maps the settings to kafkajs, leaving kafkajs defaults for what a stage does not set', () => {
    expect(consumerConfig(settings)).toEqual({
      groupId: 'g',
      sessionTimeout: 30000,
      heartbeatInterval: 3000,
      maxBytes: 8388608,
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 30000 },
    });
    const tuned = consumerConfig({ ...settings, fetchMaxBytesPerPartition: 2097152, maxWaitMs: 250 });
    expect(tuned.maxBytesPerPartition).toBe(2097152);
    expect(tuned.maxWaitTimeInMs).toBe(250);
  });
});

describe('createConsumerLoop', () => {
  it('subscribes and runs with manual commits and the concurrency asked for', async () => {
    const { loop, consumer } = setUp();
    await loop.start();
    expect(consumer.calls).toEqual(['connect']);
    expect(consumer.subscribed).toEqual({ topics: ['events'], fromBeginning: true });
    expect(consumer.runConfig).toMatchObject({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 2 });
  });

  it("fences a batch by committing its first offset again, and fails the fence with the broker's refusal", async () => {
    const fences: string[] = [];
    const { loop, consumer } = setUp({
      eachBatch: async (_batch, session) => {
        await session.fence().then(() => fences.push('passed'), (err: Error) => fences.push(`failed: ${err.message}`));
        return undefined;
      },
    });
    await loop.start();
    const seen = await deliver(consumer, batchOf(['41', '42']));
    expect(seen.committed).toEqual([{ topics: [{ topic: 'events', partitions: [{ partition: 3, offset: '41' }] }] }]);
    await deliver(consumer, batchOf(['41', '42']), async () => {
      throw new Error('The coordinator is not aware of this member');
    });
    expect(fences).toEqual(['passed', 'failed: The coordinator is not aware of this member']);
  });

  it('commits the offset the stage returns, and resolves the one before it', async () => {
    const { loop, consumer } = setUp();
    await loop.start();
    const seen = await deliver(consumer, batchOf(['41', '42']));
    expect(seen.resolved).toEqual(['42']);
    expect(seen.committed).toEqual([{ topics: [{ topic: 'events', partitions: [{ partition: 3, offset: '43' }] }] }]);
  });

  it('commits past the transaction markers after the last message once every message was handled, not when the stage stopped before', async () => {
    const { loop, consumer } = setUp();
    await loop.start();
    const seen = await deliver(consumer, batchOf(['41', '42'], '44'));
    expect(seen.resolved).toEqual(['44']);
    expect(seen.committed).toEqual([{ topics: [{ topic: 'events', partitions: [{ partition: 3, offset: '45' }] }] }]);
    const partly = setUp({ eachBatch: async () => '42' });
    await partly.loop.start();
    expect((await deliver(partly.consumer, batchOf(['41', '42'], '44'))).committed).toEqual([{ topics: [{ topic: 'events', partitions: [{ partition: 3, offset: '42' }] }] }]);
  });

  it('commits past a fetch that held only kept-back records (a marker at the end of a partition), never back, and tells the stage its lag', async () => {
    const lags: string[] = [];
    const { loop, consumer } = setUp({ onLag: (topic, partition, lag) => lags.push(`${topic}/${partition}: ${lag}`) });
    await loop.start();
    const settled = () => new Promise((r) => setImmediate(r));
    consumer.endBatch(1, '7', '7');
    await settled();
    expect(consumer.commits).toEqual([{ topic: 'events', partition: 1, offset: '8' }]);
    consumer.endBatch(2, '30', '33', 0, '4');
    expect(lags).toEqual(['events/1: 0', 'events/2: 4']);
    await settled();
    consumer.commits.length = 0;
    // Not for a batch with messages (its own commit), nor for one with no record at all, nor below what was committed.
    consumer.endBatch(1, '8', '9', 2);
    consumer.endBatch(1, null, '12');
    await deliver(consumer, batchOf(['50']));
    consumer.endBatch(3, '20', '20');
    await settled();
    expect(consumer.commits).toEqual([]);
  });

  it('makes a failed commit past markers again when kafkajs hands the markers over again, and again after a rejoin', async () => {
    const { loop, consumer } = setUp();
    await loop.start();
    consumer.answers.push(async () => Promise.reject(new Error('The group is rebalancing')));
    consumer.endBatch(1, '7', '7');
    await new Promise((r) => setImmediate(r));
    expect(consumer.commits).toEqual([]);
    consumer.endBatch(1, '7', '7');
    await new Promise((r) => setImmediate(r));
    expect(consumer.commits).toEqual([{ topic: 'events', partition: 1, offset: '8' }]);
    // A rejoin forgets what was committed: the group may have gone back meanwhile (another member).
    consumer.emit('consumer.group_join', { payload: {} });
    consumer.endBatch(1, '7', '7');
    await new Promise((r) => setImmediate(r));
    expect(consumer.commits).toHaveLength(2);
  });

  it('a batch\'s commit waits for a commit past markers still under way on its partition, and reports the lag after it', async () => {
    const lags: number[] = [];
    const { loop, consumer } = setUp({ onLag: (_t, _p, lag) => lags.push(lag) });
    await loop.start();
    let answer = () => {};
    consumer.answers.push(() => new Promise<void>((r) => (answer = r)));
    consumer.endBatch(3, '40', '40');
    const order: string[] = [];
    const delivered = deliver(consumer, batchOf(['41', '42'], '42', '50'), async () => {
      order.push(`batch commit after ${consumer.commits.length} marker commit(s)`);
    });
    await new Promise((r) => setImmediate(r));
    answer();
    await delivered;
    expect(order).toEqual(['batch commit after 1 marker commit(s)']);
    expect(lags).toEqual([0, 7]);
  });

  it('commits nothing when the stage returns nothing, and does not hand it empty batches', async () => {
    const handled: number[] = [];
    const { loop, consumer } = setUp({
      eachBatch: async (batch) => {
        handled.push(batch.messages.length);
        return undefined;
      },
    });
    await loop.start();
    expect(await deliver(consumer, batchOf([]))).toEqual({ resolved: [], committed: [] });
    expect(await deliver(consumer, batchOf(['7']))).toEqual({ resolved: [], committed: [] });
    expect(handled).toEqual([1]);
  });

  it('survives a failed commit (the stage said what it means) and passes a stage error on to kafkajs', async () => {
    const { loop, consumer } = setUp();
    await loop.start();
    await expect(deliver(consumer, batchOf(['1']), async () => Promise.reject(new Error('rebalancing')))).resolves.toMatchObject({ resolved: ['1'] });

    const failing = setUp({ eachBatch: async () => Promise.reject(new Error('ClickHouse away')) });
    await failing.loop.start();
    await expect(deliver(failing.consumer, batchOf(['1']))).rejects.toThrow('ClickHouse away');
  });

  it('sends heartbeats while the stage holds a batch, and none after', async () => {
    jest.useFakeTimers();
    try {
      let finish = () => {};
      const { loop, consumer } = setUp({ eachBatch: () => new Promise((resolve) => (finish = () => resolve('2'))) });
      await loop.start();
      let beats = 0;
      const handled = consumer.runConfig!.eachBatch({
        batch: batchOf(['1']),
        resolveOffset: () => {},
        heartbeat: async () => {
          beats++;
        },
        isStale: () => false,
        commitOffsetsIfNecessary: async () => {},
      } as unknown as EachBatchPayload);
      jest.advanceTimersByTime(2 * settings.heartbeatIntervalMs);
      expect(beats).toBe(2);
      finish();
      await handled;
      jest.advanceTimersByTime(5 * settings.heartbeatIntervalMs);
      expect(beats).toBe(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('stops once: the stage stops its timers, the consumer leaves, then the stage closes the rest', async () => {
    const { loop, consumer, hooks } = setUp();
    await loop.start();
    await loop.stop();
    await loop.stop();
    await expect(loop.done).resolves.toBeUndefined();
    expect(loop.stopping()).toBe(true);
    expect(hooks).toEqual(['stopping false', 'stopped false']);
    expect(consumer.calls).toEqual(['connect', 'disconnect']);
  });

  it('lets kafkajs restart from a crash it can restart from', async () => {
    const crashes: number[] = [];
    const { loop, consumer, hooks } = setUp({ onCrash: () => crashes.push(1) });
    await loop.start();
    consumer.crash(new Error('coordinator moved'), true);
    expect(crashes).toEqual([1]);
    expect(loop.stopping()).toBe(false);
    expect(hooks).toEqual([]);
  });

  it('fails on a crash kafkajs cannot restart from: done rejects with its error, and a later stop changes nothing', async () => {
    const { loop, consumer, hooks } = setUp({
      onStopped: async (failed) => {
        hooks.push(`stopped ${failed}`);
        throw new Error('producer already gone');
      },
    });
    await loop.start();
    const error = new Error('group authorization failed');
    consumer.crash(error, false);
    await expect(loop.done).rejects.toBe(error);
    await loop.stop();
    expect(hooks).toEqual(['stopping true', 'stopped true']);
    expect(consumer.calls).toEqual(['connect', 'disconnect']);
  });

  it('fails when the stage says so, once', async () => {
    const { loop, hooks } = setUp();
    await loop.start();
    const error = new Error('schema missing');
    await loop.fail(error);
    await loop.fail(new Error('a second one'));
    await expect(loop.done).rejects.toBe(error);
    expect(hooks).toEqual(['stopping true', 'stopped true']);
  });
});
