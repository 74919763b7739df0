// The ingester: a kafkajs consumer group (eachBatch) feeding ClickHouse, exactly once in effect.
// Offsets are committed only after ClickHouse acknowledged the insert holding them; what ClickHouse
// holds decides what a redelivered message is (docs/exactly-once.md). Stop() finishes the batch in
// hand (flush and commit) within a grace period, then leaves the group.
import type { Batch, Kafka, Producer } from 'kafkajs';
import type { Config } from '../config';
import type { Logger } from '../log';
import { checkReceiveTimeout, FENCE_EXPIRY_MS, type ClickHouse } from '../store';
import type { Registry } from '../telemetry';
import { createBatchProcessor } from './batch';
import { SchemaMissingError } from './refused-rows';
import { enableInsertDeduplication } from './dedup-token';
import { createLease, leaseSpan } from './lease';
import { ingestMetrics } from './metrics';
import { checkSourceTopics, createSources } from '../sources';
import { Abandoned, asRestartable, createConsumerLoop, isRetriable, withRetry, type BatchSession, type ConsumerLoop } from '../kafka';

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
  /** What it did so far; `inserts` INSERTs into access_events carried the rows of `batchesInserted` batches. */
  stats(): { received: number; inserted: number; deadLettered: number; skipped: number; inserts: number; batchesInserted: number };
}

/**
 * A partition's share of one fetch: fetchMaxBytes over the partitions processed at once, never below one
 * event or log record. A shipper's envelope may be larger (up to maxEnvelopeBytes, sources/envelope.ts):
 * the broker returns a partition's first batch whole whatever the limit, so it is read, and a fetch may
 * then hold that much more.
 */
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
  let stopDeadline = Infinity;
  const counts = { received: 0, inserted: 0, deadLettered: 0, skipped: 0 };
  const loop: ConsumerLoop = createConsumerLoop({
    kafka,
    log,
    name: 'ingester',
    settings: {
      groupId: settings.groupId,
      sessionTimeoutMs: settings.sessionTimeoutMs,
      heartbeatIntervalMs: settings.heartbeatIntervalMs,
      // One fetch holds at most fetchMaxBytes, shared by the partitions processed at once (a message over
      // a partition's share still arrives alone: the broker always returns a partition's first batch).
      fetchMaxBytes: settings.fetchMaxBytes,
      fetchMaxBytesPerPartition: fetchBytesPerPartition(settings),
    },
    topics,
    fromBeginning: settings.fromBeginning,
    // Partitions are independent (each has its own ledger); a fetch's batches parse side by side and share
    // one insert where their employees are apart (insert-groups.ts).
    concurrency: settings.concurrentPartitions,
    eachBatch: (batch, session) => handleBatch(batch, session),
    // ClickHouse holds the batch; the next owner of this partition skips it from the ledger.
    commitFailed: 'offset commit failed (rebalance?); recovery is from ClickHouse',
    onLag: (topic, partition, lag) => metrics.lag.set({ topic, partition: String(partition) }, lag),
    onStopping(failed) {
      // A failure stops at once; a stop lets the batch in hand finish within the grace period.
      stopDeadline = failed ? Date.now() : Date.now() + shutdownGraceMs;
      stopStats();
    },
    async onStopped(failed) {
      await producer.disconnect();
      if (!failed) log.info({ ...counts, ...processor.stats() }, 'ingester stopped');
    },
  });
  const { consumer } = loop;

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
  /** One batch through the processor; the offset to commit next, or none (abandoned, or a fatal failure). */
  async function handleBatch(batch: Batch, session: BatchSession): Promise<string | undefined> {
    const own = lease.ownership(session, () => Date.now() < stopDeadline);
    try {
      const result = await processor.process(batch, own);
      if (result === undefined) return undefined;
      for (const k of ['received', 'inserted', 'deadLettered', 'skipped'] as const) counts[k] += result[k];
      return String(result.next);
    } catch (err) {
      if (err instanceof Abandoned) {
        log.info({ topic: batch.topic, partition: batch.partition, reason: err.message }, 'batch abandoned before commit; it will be redelivered');
        return undefined;
      }
      if (err instanceof SchemaMissingError || !isRetriable(err)) {
        metrics.errors.inc({ kind: 'fatal' });
        log.fatal({ err: (err as Error).message }, 'ingestion stopped: a failure that retrying cannot fix');
        void loop.fail(err);
        return undefined;
      }
      // kafkajs restarts the consumer and delivers the batch again (a broker away longer than its retries).
      throw asRestartable(err);
    }
  }

  return {
    done: loop.done,
    stats: () => ({ ...counts, ...processor.stats() }),

    async start() {
      // ClickHouse down at start-up is waited for like during inserts, not a reason to exit.
      const capability = await withRetry('start-up checks', () => enableInsertDeduplication(ch), {
        policy: settings.retry,
        shouldContinue: () => !loop.stopping(),
        onRetry: (err, attempt) => {
          const level = attempt <= 3 ? 'warn' : 'error';
          log[level]({ err: (err as Error).message, attempt, database: ch.database }, 'ClickHouse unreachable at start-up; waiting for it (retrying with backoff)');
        },
      }).catch((err: unknown) => {
        if (err instanceof Abandoned) return undefined;
        throw err;
      });
      // Abandoned: stop() was called meanwhile, and has settled `done`.
      if (capability === undefined) return;
      deduplication.enabled = capability.enabled;
      log.info({ clickhouse: capability.version, insertDeduplicationTokens: capability.enabled }, 'ClickHouse capabilities');
      // The server setting a paused writer's insert rests on, measured meanwhile (store/receive-timeout.ts).
      void checkReceiveTimeout(ch, settings, log).catch((err: unknown) => log.warn({ err: (err as Error).message }, 'could not measure how long ClickHouse waits for a stalled request body'));
      // Table statistics of audited servers: read now (where configured), then on their schedule.
      await sources.refreshStats(true);
      stopStats = sources.startStatsSchedule(true);
      await producer.connect();
      await loop.start();
      log.info({ topics, groupId: settings.groupId, database: ch.database }, 'ingesting');
    },

    stop: () => loop.stop(),
  };
}
