// One Kafka batch (one partition) through the ingester:
//   1. skip offsets ClickHouse already holds (ledger, loaded on (re)assignment);
//   2. decode (the topic's format, src/sources: canonical by default) and validate; bad messages and
//      repeated event_ids become dead letters; one message may give several events, or none;
//   3. dead letters: topic first (acks=all), then the dead_letters table;
//   4. events: one INSERT into access_events (rollups and the ledger follow by materialized views),
//      shared with the other partitions of the fetch whose employees are apart (insert-groups.ts);
//      on a cluster, one per shard, straight to one of the shard's replicas (store/shards.ts);
//   5. return the next offset to commit. Nothing is committed unless all of the above succeeded.
import type { KafkaMessage, Producer } from 'kafkajs';
import { ClickHouseError, InsiderError } from '../errors';
import type { Logger } from '../log';
import { encodeRows, SCHEMA_MISSING_CODES, SERVER_CODES, shardsOf, type ClickHouse, type EncodedRows } from '../store';
import { accessEventRows, type StoredEvent } from './event-rows';
import type { Ownership } from './lease';
import { deadLetterRow, sendDeadLetters, type DeadLetter } from './dead-letter';
import { deduplicationSettings, insertDeduplicationToken } from './dedup-token';
import { fenceAttempt, fenceClosed, fencedWriter, openFence, serverCode, type Attempt, type FencedWriter } from './insert-fence';
import { createInsertGroups, GROUP_LIMITS, type GroupTicket } from './insert-groups';
import { insertQueryId, insertQueryPrefix, repairPartition, settleInsert, waitForInserts, type InsertRange } from './insert-outcome';
import { loadLedger, type PartitionLedger } from './ledger';
import type { IngestMetrics } from './metrics';
import type { RepairContext } from './stall-watch';
import { Abandoned, RecentIds, unreadBatch, withRetry, type RetryPolicy } from '../kafka';
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
  /** How long an insert's fence takes to close (tests shorten it; see insert-fence.ts). */
  fenceExpiryMs?: number;
  /** The request timeout of settling, fencing and repair statements (default 60 s). */
  settleRequestTimeoutMs?: number;
}

/** ClickHouse says the schema is not there: no retry or bisection can help; run `insider migrate`. */
export class SchemaMissingError extends InsiderError {
  constructor(message: string, cause: unknown) {
    super('INGEST_SCHEMA_MISSING', `${message} (run \`insider migrate\` against this database)`, { cause });
  }
}
const SETTLE_REQUEST_TIMEOUT_MS = 60_000;

/** The index nearest the middle where the rows of one Kafka message end; undefined for one message's rows. */
export function messageBoundary(rows: ReadonlyArray<{ kafka_offset: number }>): number | undefined {
  const half = rows.length >> 1;
  for (let d = 0; d < rows.length; d++) {
    for (const i of [half + d, half - d]) if (i > 0 && i < rows.length && rows[i].kafka_offset !== rows[i - 1].kafka_offset) return i;
  }
  return undefined;
}

/** ClickHouse refused the rows as data (parsing, a value out of range) and holds nothing of them. */
class InsertRefused extends InsiderError {
  constructor(cause: ClickHouseError) {
    super('INGEST_INSERT_REFUSED', cause.message, { cause, retriable: false });
  }
}

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

/** A failure that says the schema is not there, as SchemaMissingError; undefined for any other. */
function schemaMissing(err: unknown): SchemaMissingError | undefined {
  if (err instanceof ClickHouseError && !err.retriable && SCHEMA_MISSING_CODES.has(Number(err.context.serverCode))) return new SchemaMissingError(err.message, err);
  return undefined;
}

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

  type Inserted = { inserted: StoredEvent[]; rejected: Array<{ row: StoredEvent; reason: string }> };

  /**
   * One server: one insert for the group, fenced and settled (insertOnce). A cluster: each shard's rows
   * in an insert of their own, shards side by side, an unanswered insert sent again to the shard's next
   * replica, where replicated block deduplication drops a copy (store/shards.ts, docs/exactly-once.md).
   */
  async function insertEvents(part: Part): Promise<Inserted> {
    if (shards.count === 1) return insertRefusedApart(part.rows, (rows) => insertOnce([{ ...part, rows }]));
    const parts = new Map<number, StoredEvent[]>();
    part.rows.forEach((row, i) => {
      const rows = parts.get(part.rowShards[i]);
      if (rows) rows.push(row);
      else parts.set(part.rowShards[i], [row]);
    });
    return insertShards(part, parts);
  }

  /**
   * Each shard's rows of a batch in inserts of their own, side by side. The batch ends only once none of
   * them can still write: a retry left behind would store its rows after the batch was given up, once
   * this member proves ownership again (a new generation that gives it the same partition). So the first
   * failure stops the others at their next step (a retry waiting out its backoff ends there, writing
   * nothing), and an attempt under way is waited for.
   */
  async function insertShards(part: Part, parts: Map<number, StoredEvent[]>): Promise<Inserted> {
    let failed = false;
    const stopped = () => new Abandoned("write (another shard's insert of the batch failed)");
    const own: Ownership = {
      owned: () => !failed && part.own.owned(),
      confirm: async () => {
        if (failed) throw stopped();
        await part.own.confirm();
        if (failed) throw stopped();
      },
    };
    const underWay = new Set<Promise<void>>();
    const track = (attempt: Promise<void>) => {
      underWay.add(attempt);
      void attempt.then(() => underWay.delete(attempt), () => underWay.delete(attempt));
      return attempt;
    };
    const tasks = [...parts].map(([shard, rows]) => insertRefusedApart(rows, (r) => insertShard(shard, r, own, track)));
    try {
      const results = await Promise.all(tasks);
      return { inserted: results.flatMap((r) => r.inserted), rejected: results.flatMap((r) => r.rejected) };
    } catch (err) {
      failed = true;
      for (const t of tasks) t.catch(() => {});
      await Promise.allSettled([...underWay]);
      throw err;
    }
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
    const encoded = encodeRows(accessEventRows, parts.flatMap((p) => p.rows));
    if (Buffer.byteLength(encoded.text) > GROUP_LIMITS.bytes) return apart();
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
   * One shard's rows into one of its replicas. Each attempt opens its fence on that replica and proves
   * ownership, then inserts in the fence: a writer paused in between finds it closed (insert-fence.ts).
   */
  async function insertShard(shard: number, rows: StoredEvent[], own: Ownership, track: (attempt: Promise<void>) => Promise<void>): Promise<void> {
    const first = rows[0];
    const last = rows[rows.length - 1];
    const settings = deps.deduplicationTokens
      ? deduplicationSettings(insertDeduplicationToken(first.kafka_topic, first.kafka_partition, first.kafka_offset, last.kafka_offset, rows.length))
      : undefined;
    // The partition's prefix: a new owner waits for it on every replica before reading the ledger.
    const prefix = insertQueryId([{ topic: first.kafka_topic, partition: first.kafka_partition, first: first.kafka_offset, last: last.kafka_offset }]);
    // Encoded before any fence opens: a fence lives about a second without a request.
    const encoded = encodeRows(accessEventRows, rows);
    // Whether the last attempt's insert was sent: a failure before (opening the fence) is not the rows'.
    let sent = false;
    try {
      await retrying('insert into access_events', async () => {
        sent = false;
        const open = async (replica: ClickHouse) => {
          const attempt = await openFence(replica, prefix, own.confirm);
          sent = true;
          return attempt;
        };
        await track(shards.insert(shard, 'access_events', rows, { settings, encoded, open })).catch((err: unknown) => {
          throw fenceClosed(err, 'the insert') ?? err;
        });
        stats.inserts++;
        metrics.insertRows.observe(rows.length);
      }, own.owned);
    } catch (err) {
      // Refused as data: the shard's insert is one block on one node, written whole or not at all.
      if (sent && err instanceof ClickHouseError && !err.retriable && !SCHEMA_MISSING_CODES.has(Number(err.context.serverCode))) throw new InsertRefused(err);
      throw err;
    }
  }

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
    // Encoded before any fence opens: a fence lives about a second without a request.
    const encoded = encodedRows ?? encodeRows(accessEventRows, rows);
    const storedRows = () => {
      stats.inserts++;
      metrics.insertRows.observe(rows.length);
    };
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
        storedRows();
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
          storedRows();
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

  /** Inserts rows; rows that ClickHouse rejects as data (not schema, not availability) are isolated by bisection. */
  async function insertRefusedApart(rows: StoredEvent[], insert: (rows: StoredEvent[]) => Promise<void>): Promise<Inserted> {
    try {
      await insert(rows);
      return { inserted: rows, rejected: [] };
    } catch (err) {
      if (!(err instanceof InsertRefused)) throw schemaMissing(err) ?? err;
      // Halves split between messages: a message's events (one log line may give several) are stored
      // together or dead-lettered together, never in part.
      const mid = messageBoundary(rows);
      if (mid === undefined) return { inserted: [], rejected: rows.map((row) => ({ row, reason: err.message })) };
      const a = await insertRefusedApart(rows.slice(0, mid), insert);
      const b = await insertRefusedApart(rows.slice(mid), insert);
      return { inserted: [...a.inserted, ...b.inserted], rejected: [...a.rejected, ...b.rejected] };
    }
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
          // repair whatever an insert that stopped half-way left, and only then read the ledger.
          // (One server: on a cluster an unanswered insert is resent to the shard's next replica, whose
          // block deduplication drops a copy; docs/exactly-once.md.)
          // On a cluster the inserts run on the shards' replicas: each is waited for where it runs.
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
    metrics.lag.set({ topic, partition: String(partition) }, Math.max(0, Number(batch.highWatermark) - last - 1));
    return { next: last + 1, received: messages.length, inserted, deadLettered: dead.length, skipped };
  }
}
