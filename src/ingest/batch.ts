// One Kafka batch (one partition) through the ingester:
//   1. skip offsets ClickHouse already holds (ledger, loaded on (re)assignment);
//   2. decode (the topic's format, src/sources: canonical by default) and validate; bad messages and
//      repeated event_ids become dead letters; one message may give several events, or none;
//   3. dead letters: topic first (acks=all), then the dead_letters table;
//   4. events: one INSERT into access_events (rollups and the ledger follow by materialized views);
//      on a cluster, one per shard, straight to one of the shard's replicas (store/shards.ts);
//   5. return the next offset to commit. Nothing is committed unless all of the above succeeded.
import type { KafkaMessage, Producer } from 'kafkajs';
import { ClickHouseError, InsiderError } from '../errors';
import type { Logger } from '../log';
import { shardsOf, type ClickHouse } from '../store';
import { deadLetterRow, sendDeadLetters, type DeadLetter } from './dead-letter';
import { deduplicationSettings, insertDeduplicationToken } from './dedup-token';
import { loadLedger, type PartitionLedger } from './ledger';
import type { IngestMetrics } from './metrics';
import { RecentIds } from './recent-ids';
import { withRetry, type RetryPolicy } from './retry';
import type { AccessEvent, ValidateLimits } from '../event';
import type { Sources } from '../sources';

export interface StoredEvent extends AccessEvent {
  ingested_at: number;
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: number;
}

export interface BatchInput {
  topic: string;
  partition: number;
  messages: KafkaMessage[];
  highWatermark: string;
}

export interface BatchResult {
  /** The offset to commit: one past the last message of the batch. */
  next: number;
  received: number;
  inserted: number;
  deadLettered: number;
  skipped: number;
}

export interface BatchDeps {
  ch: ClickHouse;
  producer: Producer;
  metrics: IngestMetrics;
  log: Logger;
  limits: ValidateLimits;
  retry: RetryPolicy;
  dedupWindow: number;
  deadLetterTopic: string;
  /** Which format each topic carries; decodes a partition's messages in order (join state included). */
  sources: Sources;
  /** Modern servers only: send a deterministic insert_deduplication_token with each insert. */
  deduplicationTokens?: boolean;
}

/** ClickHouse says the schema is not there: no retry or bisection can help; run `insider migrate`. */
export class SchemaMissingError extends InsiderError {
  constructor(message: string, cause: unknown) {
    super('INGEST_SCHEMA_MISSING', `${message} (run \`insider migrate\` against this database)`, { cause });
  }
}
// UNKNOWN_TABLE, NO_SUCH_COLUMN_IN_TABLE, UNKNOWN_IDENTIFIER, UNKNOWN_DATABASE, THERE_IS_NO_COLUMN
const SCHEMA_CODES = new Set([60, 16, 47, 81, 8]);

export function createBatchProcessor(deps: BatchDeps) {
  const { ch, metrics, log } = deps;
  const shards = shardsOf(ch);
  const ledgers = new Map<string, PartitionLedger>();
  const recent = new Map<string, RecentIds>();

  const retrying = <T>(what: string, fn: () => Promise<T>, shouldContinue: () => boolean) =>
    withRetry(what, fn, {
      policy: deps.retry,
      shouldContinue,
      onRetry: (err, attempt) => {
        metrics.retries.inc();
        const level = attempt <= 3 ? 'warn' : 'error';
        log[level]({ err: (err as Error).message, attempt, what }, 'transient failure; retrying with backoff');
      },
    });

  type Inserted = { inserted: StoredEvent[]; rejected: Array<{ row: StoredEvent; reason: string }> };

  /** Each shard's rows in an insert of their own, shards side by side; one server: one insert. */
  async function insertEvents(rows: StoredEvent[], rowShards: number[], shouldContinue: () => boolean): Promise<Inserted> {
    if (shards.count === 1) return insertShard(0, rows, shouldContinue);
    const parts = new Map<number, StoredEvent[]>();
    rows.forEach((row, i) => {
      const part = parts.get(rowShards[i]);
      if (part) part.push(row);
      else parts.set(rowShards[i], [row]);
    });
    const results = await Promise.all([...parts].map(([shard, part]) => insertShard(shard, part, shouldContinue)));
    return { inserted: results.flatMap((r) => r.inserted), rejected: results.flatMap((r) => r.rejected) };
  }

  /** Inserts rows; rows that ClickHouse rejects as data (not schema, not availability) are isolated by bisection. */
  async function insertShard(shard: number, rows: StoredEvent[], shouldContinue: () => boolean): Promise<Inserted> {
    try {
      const first = rows[0];
      const settings = deps.deduplicationTokens
        ? deduplicationSettings(insertDeduplicationToken(first.kafka_topic, first.kafka_partition, first.kafka_offset, rows[rows.length - 1].kafka_offset, rows.length))
        : undefined;
      await retrying('insert into access_events', () => shards.insert(shard, 'access_events', rows, { settings }), shouldContinue);
      return { inserted: rows, rejected: [] };
    } catch (err) {
      if (!(err instanceof ClickHouseError) || err.retriable) throw err;
      const code = Number(err.context.serverCode);
      if (SCHEMA_CODES.has(code)) throw new SchemaMissingError(err.message, err);
      if (rows.length === 1) return { inserted: [], rejected: [{ row: rows[0], reason: err.message }] };
      const mid = rows.length >> 1;
      const a = await insertShard(shard, rows.slice(0, mid), shouldContinue);
      const b = await insertShard(shard, rows.slice(mid), shouldContinue);
      return { inserted: [...a.inserted, ...b.inserted], rejected: [...a.rejected, ...b.rejected] };
    }
  }

  async function deadLetter(items: DeadLetter[], shouldContinue: () => boolean): Promise<void> {
    if (items.length === 0) return;
    await retrying('produce to the dead-letter topic', () => sendDeadLetters(deps.producer, items, deps.deadLetterTopic), shouldContinue);
    const now = Date.now();
    const rows = items.map((i) => deadLetterRow(i, now));
    await retrying('insert into dead_letters', () => ch.insert('dead_letters', rows), shouldContinue);
    for (const i of items) metrics.deadLettered.inc({ topic: i.topic, reason: i.code });
  }

  return {
    /** After a rebalance every partition's ledger is reloaded: another consumer may have written meanwhile. */
    resetAssignments(): void {
      ledgers.clear();
    },

    /** What happened to the batch, with the offset to commit next. Throws Abandoned when it lost the partition. */
    async process(batch: BatchInput, shouldContinue: () => boolean): Promise<BatchResult | undefined> {
      const { topic, partition, messages } = batch;
      if (messages.length === 0) return undefined;
      const key = `${topic}:${partition}`;
      const first = Number(messages[0].offset);
      const last = Number(messages[messages.length - 1].offset);
      metrics.received.inc({ topic }, messages.length);
      metrics.batchSize.observe(messages.length);

      let ledger = ledgers.get(key);
      if (!ledger) {
        ledger = await retrying('load the offset ledger', () => loadLedger(ch, topic, partition, first), shouldContinue);
        ledgers.set(key, ledger);
        if (ledger.size > 0) log.info({ topic, partition, from: first, ranges: ledger.size }, 'partition assigned; ClickHouse already holds some of its offsets, which will be skipped');
      }
      let ids = recent.get(key);
      if (!ids) recent.set(key, (ids = new RecentIds(deps.dedupWindow)));

      const rows: StoredEvent[] = [];
      const rowShards: number[] = [];
      const dead: DeadLetter[] = [];
      const batchIds = new Set<string>();
      const now = Date.now();
      const ingestedAt = Math.floor(now / 1000);
      let skipped = 0;
      const fresh: KafkaMessage[] = [];
      for (const message of messages) {
        if (ledger.holdsAll(Number(message.offset))) skipped++;
        else fresh.push(message);
      }
      // Join facts of the batch are stored (ingester) before its events are inserted below.
      const decoded = await retrying(
        'decode the batch (session join state)',
        () => deps.sources.decodeBatch(topic, fresh.map((m) => ({ value: m.value, topic, partition, offset: m.offset })), deps.limits, now),
        shouldContinue,
      );
      fresh.forEach((message, i) => {
        const offset = Number(message.offset);
        const outcome = decoded[i];
        if (!outcome.ok) {
          dead.push({ topic, partition, message, code: outcome.code, reason: outcome.reason });
          return;
        }
        // On a cluster a message may be stored on some shards only (a crash between two shards' inserts):
        // its events on those shards are skipped.
        let events = outcome.events;
        let eventShards = shards.count === 1 ? undefined : events.map((e) => shards.of(e.user));
        if (eventShards?.some((s) => ledger.holds(s, offset))) {
          const keep = eventShards.map((s) => !ledger.holds(s, offset));
          events = events.filter((_, j) => keep[j]);
          eventShards = eventShards.filter((_, j) => keep[j]);
          if (events.length === 0) {
            skipped++;
            return;
          }
        }
        // A repeated log line repeats all of its events: the message is the unit that is dead-lettered.
        const repeated = events.find((e) => batchIds.has(e.event_id) || ids.has(e.event_id));
        if (repeated) {
          dead.push({ topic, partition, message, code: 'duplicate_event_id', reason: `event_id ${JSON.stringify(repeated.event_id)} was already ingested from this partition` });
          return;
        }
        events.forEach((event, j) => {
          batchIds.add(event.event_id);
          // Completed in place: copying with a spread costs more than parsing (hot path, measured).
          const row = event as StoredEvent;
          row.ingested_at = ingestedAt;
          row.kafka_topic = topic;
          row.kafka_partition = partition;
          row.kafka_offset = offset;
          rows.push(row);
          rowShards.push(eventShards?.[j] ?? 0);
        });
      });
      if (skipped > 0) metrics.skipped.inc({ topic }, skipped);

      await deadLetter(dead, shouldContinue);
      let inserted = 0;
      if (rows.length > 0) {
        const timer = metrics.insertSeconds.startTimer();
        // Some shards may have stored their part when another failed: ask ClickHouse again next time.
        const result = await insertEvents(rows, rowShards, shouldContinue).catch((err: unknown) => {
          ledgers.delete(key);
          throw err;
        });
        timer();
        const byOffset = (o: number) => messages.find((m) => Number(m.offset) === o) as KafkaMessage;
        // One message may have given several rows: it is dead-lettered once.
        const seen = new Set<number>();
        const rejected = result.rejected
          .filter(({ row }) => !seen.has(row.kafka_offset) && seen.add(row.kafka_offset))
          .map(({ row, reason }) => ({ topic, partition, message: byOffset(row.kafka_offset), code: 'clickhouse_rejected', reason }));
        await deadLetter(rejected, shouldContinue);
        dead.push(...rejected);
        inserted = result.inserted.length;
        metrics.inserted.inc({ topic }, inserted);
        for (const row of result.inserted) ids.add(row.event_id);
      }
      ledger.add(first, last);
      ledger.dropBelow(first);
      metrics.lag.set({ topic, partition: String(partition) }, Math.max(0, Number(batch.highWatermark) - last - 1));
      return { next: last + 1, received: messages.length, inserted, deadLettered: dead.length, skipped };
    },
  };
}
