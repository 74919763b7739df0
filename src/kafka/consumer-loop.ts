// The consumer lifecycle every stage that reads Kafka in a group shares (the ingester, the live
// detector): one kafkajs consumer, offsets committed by hand once the caller has finished a batch,
// heartbeats through long batches, a crash kafkajs cannot restart from as a failure, and a stop that
// lets the batch in hand finish. What a batch means (and when it may be committed) stays with the caller.
import type { Batch, Consumer, ConsumerConfig, Kafka } from 'kafkajs';
import type { Logger } from '../log';

/** The consumer's tuning: each stage has its own (ingest.*, detection.consumer). */
export interface ConsumerSettings {
  groupId: string;
  sessionTimeoutMs: number;
  /** Also how often a batch in progress sends a heartbeat. */
  heartbeatIntervalMs: number;
  /**
   * How long the group waits for this member to rejoin a rebalance (it finishes the batch in hand first);
   * past it the member is removed and joins again as a new one. None: kafkajs's default (60 s).
   */
  rebalanceTimeoutMs?: number;
  /** At most this much per fetch. */
  fetchMaxBytes: number;
  /** At most this much of one partition per fetch; none: kafkajs's default (1 MiB). */
  fetchMaxBytesPerPartition?: number;
  /** How long the broker may wait for data to fill a fetch; none: kafkajs's default (5 s). */
  maxWaitMs?: number;
}

/** kafkajs's own retries (a broker or coordinator away): about five minutes in all, then a crash it restarts from. */
const KAFKA_RETRY = { retries: 10, initialRetryTime: 300, maxRetryTime: 30000 };

export function consumerConfig(settings: ConsumerSettings): ConsumerConfig {
  return {
    groupId: settings.groupId,
    sessionTimeout: settings.sessionTimeoutMs,
    heartbeatInterval: settings.heartbeatIntervalMs,
    ...(settings.rebalanceTimeoutMs === undefined ? {} : { rebalanceTimeout: settings.rebalanceTimeoutMs }),
    maxBytes: settings.fetchMaxBytes,
    ...(settings.fetchMaxBytesPerPartition === undefined ? {} : { maxBytesPerPartition: settings.fetchMaxBytesPerPartition }),
    ...(settings.maxWaitMs === undefined ? {} : { maxWaitTimeInMs: settings.maxWaitMs }),
    retry: KAFKA_RETRY,
  };
}

/** What a batch handler may do while it holds the batch. */
export interface BatchSession {
  heartbeat(): Promise<void>;
  /** True once a rebalance took the partition away (the batch must not be committed). */
  isStale(): boolean;
  /**
   * Throws unless this consumer is still a member of the group's current generation: commits the batch's
   * first offset again (no move), which the broker checks against the member and the generation. A
   * heartbeat cannot tell: kafkajs skips one within an interval of the last, even when that answer came
   * in after a pause past the session.
   */
  fence(): Promise<void>;
}

export interface ConsumerLoopOptions {
  kafka: Kafka;
  log: Logger;
  /** Who consumes, in log messages ("ingester", "detector"). */
  name: string;
  settings: ConsumerSettings;
  topics: string[];
  fromBeginning: boolean;
  /** Partitions whose batches are handled at once. */
  concurrency: number;
  /**
   * Handles one non-empty batch; returns the offset to commit next (the last handled + 1), or undefined
   * to commit nothing. A throw goes to kafkajs, which restarts the consumer and delivers the batch again.
   */
  eachBatch(batch: Batch, session: BatchSession): Promise<string | undefined>;
  /** Logged when a commit fails: what that means for the batch. */
  commitFailed: string;
  /** A crash, restarted from or not (metrics). */
  onCrash?(): void;
  /** A partition's lag after a batch, or after a fetch whose records kafkajs all kept back (transaction markers): for metrics. */
  onLag?(topic: string, partition: number, lag: number): void;
  /** The loop begins to stop: asked (failed false), or after a failure (failed true). Stop timers here. */
  onStopping?(failed: boolean): void;
  /** After the consumer has left the group: close what else the stage holds. A throw rejects stop(). */
  onStopped?(failed: boolean): Promise<void>;
}

export interface ConsumerLoop {
  /** The kafkajs consumer, for listeners of its events (join, heartbeat, requests). */
  consumer: Consumer;
  /** Connects, subscribes and consumes until stop() or a failure. */
  start(): Promise<void>;
  /** Lets the batch in hand finish (kafkajs waits for it), then leaves the group; done resolves. */
  stop(): Promise<void>;
  /** Stops because of a failure that retrying cannot fix; done rejects with it. */
  fail(err: unknown): Promise<void>;
  /** True once stop() or fail() was called. */
  stopping(): boolean;
  /** Resolves when stopped, rejects with the error that stopped it. */
  done: Promise<void>;
}

/**
 * The offset to commit after a batch whose messages were handled up to `next`: when all of them were,
 * past the records after the last that kafkajs kept back (transaction markers, aborted transactions).
 * Committed only up to the last message, a partition that ends with a marker was never committed to
 * its end: its lag stayed at 1 or more for good (scaling by lag, alerts on it).
 */
export function commitAfter(batch: Pick<Batch, 'messages' | 'lastOffset'>, next: string): string {
  const last = batch.messages[batch.messages.length - 1];
  if (!last || BigInt(next) !== BigInt(last.offset) + 1n) return next;
  const end = BigInt(batch.lastOffset()) + 1n;
  return end > BigInt(next) ? String(end) : next;
}

export function createConsumerLoop(opts: ConsumerLoopOptions): ConsumerLoop {
  const { kafka, log, settings } = opts;
  const consumer = kafka.consumer(consumerConfig(settings));
  let stopping = false;
  /** Per topic and partition, the highest offset this consumer's commits reached (since it last joined the group). */
  const committed = new Map<string, bigint>();
  /** Per topic and partition, a commit past transaction markers still under way (kafkajs retries it). */
  const markerCommits = new Map<string, Promise<void>>();
  const partitionKey = (topic: string, partition: number) => `${topic}:${partition}`;
  const reached = (key: string, offset: bigint) => {
    if (offset > (committed.get(key) ?? -1n)) committed.set(key, offset);
  };
  let settle: { resolve: () => void; reject: (e: unknown) => void };
  const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  done.catch(() => {});

  // A fetch of a partition that held only records kafkajs keeps back (a marker or an aborted
  // transaction after everything else) reaches no eachBatch: kafkajs moves past it and, with autoCommit
  // off, commits nothing. Committed here, unless this consumer already committed further.
  // A failed one is made again when kafkajs hands the same records over again (after a rejoin, which
  // forgets what was committed before it); the batch after it waits for it, so as not to be overtaken.
  consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
    const { topic, partition, batchSize, firstOffset, lastOffset, offsetLag } = e.payload;
    if (batchSize !== 0 || firstOffset === null || stopping) return;
    opts.onLag?.(topic, partition, Math.max(0, Number(offsetLag)));
    const key = partitionKey(topic, partition);
    const offset = BigInt(lastOffset) + 1n;
    if (offset <= (committed.get(key) ?? -1n)) return;
    const commit = consumer.commitOffsets([{ topic, partition, offset: String(offset) }]).then(
      () => {
        reached(key, offset);
      },
      (err: Error) => {
        log.debug({ err: err.message, topic, partition }, `${opts.name}: commit past transaction markers failed (made again, or by the next batch)`);
      },
    );
    markerCommits.set(key, commit);
    void commit.finally(() => {
      if (markerCommits.get(key) === commit) markerCommits.delete(key);
    });
  });
  consumer.on(consumer.events.GROUP_JOIN, () => committed.clear());

  consumer.on(consumer.events.CRASH, (e) => {
    opts.onCrash?.();
    log.error({ err: e.payload.error.message, restart: e.payload.restart }, `${opts.name} consumer crashed`);
    if (!e.payload.restart) void fail(e.payload.error);
  });

  async function fail(err: unknown): Promise<void> {
    if (stopping) return;
    stopping = true;
    opts.onStopping?.(true);
    await consumer.disconnect().catch(() => {});
    await opts.onStopped?.(true).catch(() => {});
    settle.reject(err);
  }

  return {
    consumer,
    done,
    fail,
    stopping: () => stopping,

    async start() {
      await consumer.connect();
      await consumer.subscribe({ topics: opts.topics, fromBeginning: opts.fromBeginning });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: opts.concurrency,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isStale, commitOffsetsIfNecessary }) => {
          if (batch.messages.length === 0) return;
          // Heartbeats go on through the whole batch (a slow store, a busy machine), so the group keeps our partitions.
          const beat = setInterval(() => heartbeat().catch(() => {}), settings.heartbeatIntervalMs);
          try {
            const first = { topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: batch.messages[0].offset }] }] };
            const next = await opts.eachBatch(batch, { heartbeat, isStale, fence: () => commitOffsetsIfNecessary(first) });
            if (next === undefined) return;
            const offset = commitAfter(batch, next);
            resolveOffset(String(BigInt(offset) - 1n));
            const key = partitionKey(batch.topic, batch.partition);
            await markerCommits.get(key);
            // The batch's own commit also works while the consumer is stopping (consumer.commitOffsets does not).
            const offsets = { topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset }] }] };
            await commitOffsetsIfNecessary(offsets).then(
              () => reached(key, BigInt(offset)),
              (err: Error) => log.warn({ err: err.message, topic: batch.topic, partition: batch.partition }, opts.commitFailed),
            );
            opts.onLag?.(batch.topic, batch.partition, Math.max(0, Number(batch.highWatermark) - Number(offset)));
          } finally {
            clearInterval(beat);
          }
        },
      });
    },

    async stop() {
      if (stopping) return done.catch(() => {});
      stopping = true;
      opts.onStopping?.(false);
      // kafkajs waits for the batch in hand, which commits before it returns.
      await consumer.disconnect();
      await opts.onStopped?.(false);
      settle.resolve();
    },
  };
}
