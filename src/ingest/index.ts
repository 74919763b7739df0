// The ingester: a kafkajs consumer group (eachBatch) feeding ClickHouse, exactly once in effect.
// Offsets are committed only after ClickHouse acknowledged the insert holding them; what ClickHouse
// holds decides what a redelivered message is (docs/exactly-once.md). Stop() finishes the batch in
// hand (flush and commit) within a grace period, then leaves the group.
import type { Consumer, Kafka, Producer } from 'kafkajs';
import type { Config } from '../config';
import type { Logger } from '../log';
import type { ClickHouse } from '../store';
import type { Registry } from '../telemetry';
import { createBatchProcessor, SchemaMissingError } from './batch';
import { enableInsertDeduplication } from './dedup-token';
import { FENCE_EXPIRY_MS } from './insert-fence';
import { createLease, leaseSpan } from './lease';
import { ingestMetrics } from './metrics';
import { checkSourceTopics, createSources } from '../sources';
import { Abandoned, isRetriable, withRetry } from '../kafka';

export { parseEvent, type AccessEvent, type Parsed, type RejectCode } from '../event';
export { deadLetterTopicFor } from './dead-letter';
export { OffsetLedger } from './ledger';

export interface IngesterDeps {
  settings: Readonly<Config['ingest']>;
  topic: string;
  kafka: Kafka;
  ch: ClickHouse;
  log: Logger;
  registry: Registry;
  /** How long stop() lets the batch in hand finish (ClickHouse may be retrying). */
  shutdownGraceMs?: number;
}

export interface Ingester {
  /** Connects and consumes until stop(); rejects on a failure that retrying cannot fix. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves when the ingester has stopped, or rejects with the fatal error that stopped it. */
  done: Promise<void>;
  stats(): { received: number; inserted: number; deadLettered: number; skipped: number };
}

/** A partition's share of one fetch: fetchMaxBytes over the partitions processed at once, never below one message. */
export function fetchBytesPerPartition(settings: Pick<Config['ingest'], 'fetchMaxBytes' | 'concurrentPartitions' | 'maxMessageBytes'>): number {
  return Math.max(settings.maxMessageBytes, Math.ceil(settings.fetchMaxBytes / settings.concurrentPartitions));
}

export function createIngester(deps: IngesterDeps): Ingester {
  const { settings, kafka, ch, log } = deps;
  const topics = settings.topics.length > 0 ? [...settings.topics] : [deps.topic];
  checkSourceTopics(settings, topics);
  const metrics = ingestMetrics(deps.registry);
  // Raw log formats per topic (src/sources); the ingester keeps their join state in ClickHouse.
  const sources = createSources({ settings, ch, log, role: 'ingester' });
  let stopStats = () => {};
  const shutdownGraceMs = deps.shutdownGraceMs ?? 30000;
  // Dead letters only, and the dead-letter topic is at-least-once anyway (docs/exactly-once.md). Not
  // idempotent: a kafkajs idempotent producer whose send met a leader change (e.g. the topic created on
  // first use) can get OUT_OF_ORDER_SEQUENCE_NUMBER on the retry and is dead from then on (kafkajs #598);
  // a CI run under load stopped an ingester for good that way.
  const producer: Producer = kafka.producer({ idempotent: false, maxInFlightRequests: 1, allowAutoTopicCreation: true });
  const consumer: Consumer = kafka.consumer({
    groupId: settings.groupId,
    sessionTimeout: settings.sessionTimeoutMs,
    heartbeatInterval: settings.heartbeatIntervalMs,
    // One fetch holds at most fetchMaxBytes, shared by the partitions processed at once (a message over
    // a partition's share still arrives alone: the broker always returns a partition's first batch).
    maxBytes: settings.fetchMaxBytes,
    maxBytesPerPartition: fetchBytesPerPartition(settings),
    retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 30000 },
  });
  let stopDeadline = Infinity;
  let stopping = false;
  const counts = { received: 0, inserted: 0, deadLettered: 0, skipped: 0 };
  let settle: { resolve: () => void; reject: (e: unknown) => void };
  const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  done.catch(() => {});

  const deduplication = { enabled: false };
  const processor = createBatchProcessor({
    ch,
    producer,
    metrics,
    log,
    limits: { maxMessageBytes: settings.maxMessageBytes, maxFutureSkewMs: settings.maxFutureSkewMs },
    retry: settings.retry,
    dedupWindow: settings.dedupWindow,
    deadLetterTopic: settings.deadLetterTopic,
    sources,
    sessionTimeoutMs: settings.sessionTimeoutMs,
    get deduplicationTokens() {
      return deduplication.enabled;
    },
  });

  const lease = createLease({ sessionTimeoutMs: settings.sessionTimeoutMs, spanMs: leaseSpan(settings.sessionTimeoutMs, FENCE_EXPIRY_MS) });
  consumer.on(consumer.events.REQUEST, (e) => lease.onRequest(e.payload));
  consumer.on(consumer.events.HEARTBEAT, () => lease.onHeartbeat());
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    lease.onJoin();
    processor.resetAssignments();
    log.info({ generation: e.payload.groupId, assignment: e.payload.memberAssignment }, 'joined the consumer group');
  });
  consumer.on(consumer.events.CRASH, (e) => {
    const error = e.payload.error;
    log.error({ err: error.message, restart: e.payload.restart }, 'consumer crashed');
    if (!e.payload.restart) fail(error);
  });

  async function fail(err: unknown): Promise<void> {
    if (stopping) return;
    stopping = true;
    stopDeadline = Date.now();
    stopStats();
    await consumer.disconnect().catch(() => {});
    await producer.disconnect().catch(() => {});
    settle.reject(err);
  }

  return {
    done,
    stats: () => ({ ...counts }),

    async start() {
      // ClickHouse down at start-up is waited for like during inserts, not a reason to exit.
      const capability = await withRetry('start-up checks', () => enableInsertDeduplication(ch), {
        policy: settings.retry,
        shouldContinue: () => !stopping,
        onRetry: (err, attempt) => {
          const level = attempt <= 3 ? 'warn' : 'error';
          log[level]({ err: (err as Error).message, attempt, database: ch.database }, 'ClickHouse unreachable at start-up; waiting for it (retrying with backoff)');
        },
      }).catch((err: unknown) => {
        if (err instanceof Abandoned) return undefined;
        throw err;
      });
      if (capability === undefined) {
        settle.resolve();
        return;
      }
      deduplication.enabled = capability.enabled;
      log.info({ clickhouse: capability.version, insertDeduplicationTokens: capability.enabled }, 'ClickHouse capabilities');
      // Table statistics of audited servers: read now (where configured), then on their schedule.
      await sources.refreshStats(true);
      stopStats = sources.startStatsSchedule(true);
      await producer.connect();
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: settings.fromBeginning });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        // Partitions are independent (each has its own ledger): one's insert overlaps another's parsing.
        partitionsConsumedConcurrently: settings.concurrentPartitions,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isStale, commitOffsetsIfNecessary }) => {
          const owned = () => !isStale() && Date.now() < stopDeadline;
          const own = { owned, confirm: () => lease.confirm(heartbeat, owned) };
          // Heartbeats go on while ClickHouse is being retried, so the group keeps our partitions.
          const beat = setInterval(() => heartbeat().catch(() => {}), settings.heartbeatIntervalMs);
          try {
            const result = await processor.process(batch, own);
            if (result === undefined) return;
            for (const k of ['received', 'inserted', 'deadLettered', 'skipped'] as const) counts[k] += result[k];
            resolveOffset(String(result.next - 1));
            // The batch's own commit also works while the consumer is stopping (consumer.commitOffsets does not).
            const offsets = { topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: String(result.next) }] }] };
            await commitOffsetsIfNecessary(offsets).catch((err: Error) => {
              // ClickHouse holds the batch; the next owner of this partition skips it from the ledger.
              log.warn({ err: err.message, topic: batch.topic, partition: batch.partition }, 'offset commit failed (rebalance?); recovery is from ClickHouse');
            });
          } catch (err) {
            if (err instanceof Abandoned) {
              log.info({ topic: batch.topic, partition: batch.partition }, 'batch abandoned before commit; it will be redelivered');
              return;
            }
            if (err instanceof SchemaMissingError || !isRetriable(err)) {
              metrics.errors.inc({ kind: 'fatal' });
              log.fatal({ err: (err as Error).message }, 'ingestion stopped: a failure that retrying cannot fix');
              void fail(err);
              return;
            }
            throw err;
          } finally {
            clearInterval(beat);
          }
        },
      });
      log.info({ topics, groupId: settings.groupId, database: ch.database }, 'ingesting');
    },

    async stop() {
      if (stopping) return done.catch(() => {});
      stopping = true;
      stopDeadline = Date.now() + shutdownGraceMs;
      stopStats();
      // kafkajs waits for the batch in hand, which commits before it returns.
      await consumer.disconnect();
      await producer.disconnect();
      log.info(counts, 'ingester stopped');
      settle.resolve();
    },
  };
}
