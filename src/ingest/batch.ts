// One Kafka batch (one partition) through the ingester:
//   1. skip offsets ClickHouse already holds (ledger, loaded on (re)assignment);
//   2. decode (the topic's format, src/sources: canonical by default) and validate; bad messages and
//      repeated event_ids become dead letters; one message may give several events, or none;
//   3. dead letters: topic first (acks=all), then the dead_letters table;
//   4. events: one INSERT into access_events (rollups and the ledger follow by materialized views),
//      shared with the other partitions of the fetch whose employees are apart (insert-groups.ts);
//      on a cluster, one per shard, straight to one of the shard's replicas (shard-inserts.ts); rows
//      refused as data are found by bisection and dead-lettered (refused-rows.ts);
//   5. return the next offset to commit. Nothing is committed unless all of the above succeeded.
import type { KafkaMessage, Producer } from 'kafkajs';
import { ClickHouseError, InsiderError } from '../errors';
import type { Logger } from '../log';
import { encodeRows, fenceAttempt, fenceClosed, fencedWriter, openFence, SCHEMA_MISSING_CODES, SERVER_CODES, serverCode, shardsOf, type Attempt, type ClickHouse, type EncodedRows, type FencedWriter, type RepairContext } from '../store';
import { accessEventRows, type StoredEvent } from './event-rows';
import type { Ownership } from './lease';
import { deadLetterRow, sendDeadLetters, type DeadLetter } from './dead-letter';
import { deduplicationSettings, insertDeduplicationToken } from './dedup-token';
import { createInsertGroups, GROUP_LIMITS, type GroupTicket } from './insert-groups';
import { insertQueryId, insertQueryPrefix, repairPartition, settleInsert, waitForInserts, type InsertRange } from './insert-outcome';
import { loadLedger, type PartitionLedger } from './ledger';
import type { IngestMetrics } from './metrics';
import { insertRefusedApart, InsertRefused, schemaMissing, type Inserted } from './refused-rows';
import { insertShards, type ShardInsertContext } from './shard-inserts';
import { RecentIds, unreadBatch, withRetry, type RetryPolicy } from '../kafka';
import type { ValidateLimits } from '../event';
import type { Sources } from '../sources';

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
  /** How long a previous owner's insert may still run before a new owner kills it (the session timeout). */
  sessionTimeoutMs: number;
  /** How long an insert's fence takes to close (tests shorten it; see store/write-fence.ts). */
  fenceExpiryMs?: number;
  /** The request timeout of settling, fencing and repair statements (default 60 s). */
  settleRequestTimeoutMs?: number;
}

const SETTLE_REQUEST_TIMEOUT_MS = 60_000;



/**
 * An insert shared by several partitions goes again as one insert per partition: its outcome was unknown
 * and it was found stored for some only (a ledger split by a month boundary), or ClickHouse refused it
 * as too large for one insert (too many day partitions in one block, the memory limit).
 */
class GroupSplit extends InsiderError {
  constructor(why: string) {
    super('INGEST_GROUP_SPLIT', `an insert shared by several partitions ${why}; inserting the partitions apart`, { retriable: false });
  }
}

/** Refusals of a shared insert that its partitions apart would not meet: retrying it whole never ends. */
const TOO_LARGE_TOGETHER = new Set<number>([SERVER_CODES.TOO_MANY_PARTS, SERVER_CODES.MEMORY_LIMIT_EXCEEDED]);

/** One partition's prepared rows: what an insert carries of it, and who may write it. */
interface Part {
  rows: StoredEvent[];
  /** The shard of each row (a cluster); all 0 on one server. */
  rowShards: number[];
  exclude: Array<[number, number]>;
  own: Ownership;
  write: FencedWriter;
  users: Set<string>;
  events: number;
  bytes: number;
}

const rangeOf = (p: Part): InsertRange => {
  const first = p.rows[0];
  return { topic: first.kafka_topic, partition: first.kafka_partition, first: first.kafka_offset, last: p.rows[p.rows.length - 1].kafka_offset, events: p.rows.length, exclude: p.exclude };
};


export function createBatchProcessor(deps: BatchDeps) {
  const { ch, metrics, log } = deps;
  const shards = shardsOf(ch);
  // Settling, fencing and repairing must finish, whatever timeout was chosen for inserts (a 300 ms
  // timeout under load failed every settle query, and the partition stalled).
  const patient = ch.withRequestTimeout(Math.max(deps.settleRequestTimeoutMs ?? SETTLE_REQUEST_TIMEOUT_MS, 1));
  // A repair ClickHouse does not finish stops the partition: reported in the log and counted.
  const repair: RepairContext = { log, killAfterMs: deps.sessionTimeoutMs, expiryMs: deps.fenceExpiryMs, stall: { onStall: () => metrics.errors.inc({ kind: 'repair_stalled' }) } };
  const ledgers = new Map<string, PartitionLedger>();
  const recent = new Map<string, RecentIds>();
  /** INSERTs into access_events that stored rows (a refused row's bisection adds some), and the batches they carried. */
  const stats = { inserts: 0, batchesInserted: 0 };

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

  /** An INSERT into access_events stored `rows` rows. */
  const storedRows = (rows: number) => {
    stats.inserts++;
    metrics.insertRows.observe(rows);
  };
  const onShards: ShardInsertContext = { shards, retrying, deduplicationTokens: deps.deduplicationTokens, stored: storedRows };

  /**
   * One server: one insert for the group, fenced and settled (insertOnce). A cluster: each shard's rows
   * in an insert of their own, shards side by side (shard-inserts.ts).
   */
  async function insertEvents(part: Part): Promise<Inserted> {
    if (shards.count === 1) return insertRefusedApart(part.rows, (rows) => insertOnce([{ ...part, rows }]));
    return insertShards(onShards, part);
  }

  /**
   * The partitions of one fetch whose employees are apart, in one insert (insert-groups.ts). Rows
   * refused as data send each partition not stored on its own, where bisection finds them; any other
   * failure is every partition's.
   */
  async function insertTogether(parts: Part[]): Promise<Array<PromiseSettledResult<Inserted>>> {
    const apart = () => Promise.allSettled(parts.map(insertEvents));
    if (parts.length === 1) return apart();
    // The group was formed on message bytes; what ClickHouse parses is the encoded text, which one
    // message of several events (or long query texts copied into each) can make far larger. Over the
    // limit, ClickHouse could cut it into blocks that are not stored atomically: not shared then.
    const encoded = encodeRows(accessEventRows, parts.flatMap((p) => p.rows), GROUP_LIMITS.bytes);
    if (!encoded) return apart();
    const stored = new Set<Part>();
    try {
      await insertOnce(parts, stored, encoded);
      return parts.map((p) => ({ status: 'fulfilled', value: { inserted: p.rows, rejected: [] } }));
    } catch (err) {
      if (!(err instanceof InsertRefused || err instanceof GroupSplit)) return parts.map(() => ({ status: 'rejected', reason: schemaMissing(err) ?? err }));
      if (err instanceof GroupSplit) {
        const named = (p: Part) => `${rangeOf(p).topic}:${rangeOf(p).partition}`;
        log.warn({ code: err.code, stored: parts.filter((p) => stored.has(p)).map(named), absent: parts.filter((p) => !stored.has(p)).map(named) }, err.message);
      }
      return Promise.allSettled(parts.map((p) => (stored.has(p) ? { inserted: p.rows, rejected: [] } : insertEvents(p))));
    }
  }
  const groups = createInsertGroups<Part, Inserted>(insertTogether);


  /**
   * One insert, exactly once in effect, of one partition's rows or of several (each its own range).
   * Each attempt opens its fence (a ClickHouse session the insert must find), proves ownership of every
   * partition (lease), then inserts. An attempt whose answer was lost is fenced (waited for until it can
   * neither run nor start), then what ClickHouse holds of each range is settled (docs/exactly-once.md):
   * stored (done) or absent (send again); some stored and some not throws GroupSplit. An attempt the
   * server answered with an error has ended: settled at once. Throws InsertRefused when ClickHouse
   * refused the rows as data and holds nothing of them (the caller bisects); anything else is not the
   * rows' fault and is thrown as it is. On a modern server the deduplication token makes a resend safe.
   * `stored` collects the parts found stored.
   */
  async function insertOnce(parts: Part[], stored = new Set<Part>(), encodedRows?: EncodedRows): Promise<void> {
    const ranges = parts.map(rangeOf);
    const prefix = insertQueryId(ranges);
    const rows = parts.length === 1 ? parts[0].rows : parts.flatMap((p) => p.rows);
    const owned = () => parts.every((p) => p.own.owned());
    const confirm = async () => {
      for (const p of parts) await p.own.confirm();
    };
    // Encoded and gzipped before any fence opens: a fence lives about a second without a request.
    const encoded = encodedRows ?? encodeRows(accessEventRows, rows);
    if (deps.deduplicationTokens) {
      // One partition here (inserts are not shared where tokens are used): every resend names its range.
      const settings = deduplicationSettings(ranges.map((r) => insertDeduplicationToken(r.topic, r.partition, r.first, r.last, r.events)).join('|'));
      // The token drops a resend of the same range; the fence stops the insert of a writer paused after
      // its ownership proof from landing after a new owner read the ledger (its batches end elsewhere).
      await retrying('insert into access_events', async () => {
        const attempt = await openFence(patient, prefix, confirm);
        await ch.insert('access_events', rows, { settings, queryId: attempt.queryId, session: attempt.session, encoded }).catch((err: unknown) => {
          throw fenceClosed(err, 'the insert') ?? err;
        });
        storedRows(rows.length);
      }, owned);
      return;
    }
    // What the previous attempt left to find out: its fence (no answer came) and what ClickHouse holds.
    let pending: { attempt?: Attempt } | undefined;
    const settle = async (): Promise<boolean> => {
      if (!pending) return false;
      if (pending.attempt) await fenceAttempt(patient, pending.attempt, repair);
      pending = {};
      for (const [i, part] of parts.entries()) {
        if (!stored.has(part) && (await settleInsert(patient, part.write, ranges[i], repair)) === 'stored') stored.add(part);
      }
      pending = undefined;
      if (stored.size === 0) return false;
      stats.inserts++;
      if (stored.size < parts.length) throw new GroupSplit('was stored for some of them only (its outcome was unknown)');
      for (const r of ranges) log.info({ topic: r.topic, partition: r.partition, first: r.first, last: r.last }, 'an insert whose outcome was unknown had been stored; not sending it again');
      return true;
    };
    await retrying(
      'insert into access_events',
      async () => {
        if (await settle()) return;
        const attempt = await openFence(patient, prefix, confirm);
        try {
          await ch.insert('access_events', rows, { queryId: attempt.queryId, session: attempt.session, encoded });
          storedRows(rows.length);
        } catch (err) {
          const closed = fenceClosed(err, 'the insert');
          if (closed) throw closed;
          const code = serverCode(err);
          if (code !== undefined && SCHEMA_MISSING_CODES.has(code)) throw err;
          // No answer: the attempt may have run, may be running, may still start. An answer: it has
          // ended, but a view may have failed after the table was written.
          pending = code === undefined ? { attempt } : {};
          if (parts.length > 1 && code !== undefined && TOO_LARGE_TOGETHER.has(code)) {
            if (await retrying('settle a shared insert refused as too large', settle, owned)) return;
            throw new GroupSplit(`was refused as too large for one insert (${(err as Error).message})`);
          }
          if (code === undefined || (err as ClickHouseError).retriable) throw err;
          // Refused as data: bisection must find nothing of these rows stored.
          if (await retrying('settle a refused insert', settle, owned)) return;
          throw new InsertRefused(err as ClickHouseError);
        }
      },
      owned,
    );
  }


  async function deadLetter(items: DeadLetter[], own: Ownership): Promise<void> {
    if (items.length === 0) return;
    const shouldContinue = own.owned;
    await own.confirm();
    await retrying('produce to the dead-letter topic', () => sendDeadLetters(deps.producer, items, deps.deadLetterTopic), shouldContinue);
    const now = Date.now();
    const rows = items.map((i) => deadLetterRow(i, now));
    await retrying('insert into dead_letters', () => ch.insert('dead_letters', rows), shouldContinue);
    for (const i of items) metrics.deadLettered.inc({ topic: i.topic, reason: i.code });
  }

  return {
    stats: () => ({ ...stats }),

    /** After a rebalance every partition's ledger is reloaded: another consumer may have written meanwhile. */
    resetAssignments(): void {
      ledgers.clear();
    },

    /** What happened to the batch, with the offset to commit next. Throws Abandoned when it lost the partition. */
    async process(batch: BatchInput, own: Ownership): Promise<BatchResult | undefined> {
      if (batch.messages.length === 0) return undefined;
      // One server: from its start the batch counts as preparing rows for the fetch's shared insert.
      // kafkajs starts a fetch's batches (up to ingest.concurrentPartitions) one after the other without
      // waiting in between, so each of them has begun before the first is ready. Not where the server
      // deduplicates by token: there a resend after a lost answer is recognised only with the same
      // ranges, and a shared insert's ranges depend on which batches were ready together.
      const ticket = shards.count === 1 && !deps.deduplicationTokens ? groups.begin() : undefined;
      try {
        return await processBatch(batch, own, ticket);
      } finally {
        ticket?.leave();
      }
    },
  };

  async function processBatch(batch: BatchInput, own: Ownership, ticket: GroupTicket<Part, Inserted> | undefined): Promise<BatchResult> {
    const shouldContinue = own.owned;
    const { topic, partition, messages } = batch;
    const key = `${topic}:${partition}`;
    const first = Number(messages[0].offset);
    const last = Number(messages[messages.length - 1].offset);
    metrics.received.inc({ topic }, messages.length);
    metrics.batchSize.observe(messages.length);

    // Deletes and rollup repairs are writes too: fenced and owned like inserts.
    const write = fencedWriter(patient, { ...repair, queryIdPrefix: insertQueryPrefix(topic, partition), confirm: own.confirm });
    let ledger = ledgers.get(key);
    if (!ledger) {
      ledger = await retrying(
        'load the offset ledger',
        async () => {
          // A previous owner's insert may still be running (it was paused, or slow): wait for it, then
          // read the ledger. One server: first repair what an insert that stopped half-way left. A
          // cluster: the inserts run on the shards' replicas, each waited for where it runs; an unanswered
          // one is resent instead of repaired (docs/exactly-once.md, "On a ClickHouse cluster").
          if (shards.count === 1) {
            await waitForInserts(patient, { topic, partition }, repair);
            await repairPartition(patient, write, topic, partition, first, repair);
          } else {
            await shardsOf(patient).onEveryReplica((replica) => waitForInserts(replica, { topic, partition }, repair));
          }
          return loadLedger(patient, topic, partition, first);
        },
        shouldContinue,
      );
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
      // A batch past the limits was not read (src/kafka/batch-guard.ts): one record stands for it.
      const unread = unreadBatch(message);
      if (ledger.holdsAll(Number(message.offset))) skipped++;
      else if (unread !== undefined) dead.push({ topic, partition, message, code: 'batch_too_large', reason: unread });
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

    await deadLetter(dead, own);
    let inserted = 0;
    if (rows.length > 0) {
      const timer = metrics.insertSeconds.startTimer();
      // Some shards may have stored their part when another failed: ask ClickHouse again next time.
      const span = [rows[0].kafka_offset, rows[rows.length - 1].kafka_offset] as const;
      const exclude = [...ledger.shards[0].rangesWithin(...span), ...ledger.deadLetters.rangesWithin(...span)];
      const users = new Set<string>();
      for (const row of rows) users.add(row.user);
      let bytes = 0;
      for (const m of fresh) bytes += m.value?.length ?? 0;
      const part: Part = { rows, rowShards, exclude, own, write, users, events: rows.length, bytes };
      const result = await (ticket ? ticket.insert(part) : insertEvents(part)).catch((err: unknown) => {
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
      await deadLetter(rejected, own);
      dead.push(...rejected);
      inserted = result.inserted.length;
      if (inserted > 0) stats.batchesInserted++;
      metrics.inserted.inc({ topic }, inserted);
      for (const row of result.inserted) ids.add(row.event_id);
    }
    ledger.add(first, last);
    ledger.dropBelow(first);
    return { next: last + 1, received: messages.length, inserted, deadLettered: dead.length, skipped };
  }
}
