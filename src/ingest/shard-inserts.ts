// A batch's rows on a cluster: each shard's rows in an insert of their own, straight to one of the
// shard's replicas (store/shards.ts), fenced there (store/write-fence.ts), shards side by side. An unanswered
// insert is sent again to the shard's next replica, where replicated block deduplication drops a copy
// (docs/exactly-once.md, "On a cluster"). Rows refused as data are isolated per shard (refused-rows.ts).
import { ClickHouseError } from '../errors';
import { Abandoned } from '../kafka';
import { encodeRows, fenceClosed, openFence, SCHEMA_MISSING_CODES, type ClickHouse, type Shards } from '../store';
import { deduplicationSettings, insertDeduplicationToken } from './dedup-token';
import { accessEventRows, type StoredEvent } from './event-rows';
import { insertQueryId } from './insert-outcome';
import type { Ownership } from './lease';
import { insertRefusedApart, InsertRefused, type Inserted } from './refused-rows';

/** Runs `fn` again with backoff on a retriable failure while `shouldContinue()` holds. */
export type Retrying = <T>(what: string, fn: () => Promise<T>, shouldContinue: () => boolean) => Promise<T>;

export interface ShardInsertContext {
  shards: Shards;
  retrying: Retrying;
  /** Modern servers only: a deterministic insert_deduplication_token with each insert. */
  deduplicationTokens?: boolean;
  /** Told of each insert that stored rows (how many). */
  stored(rows: number): void;
}

/** One partition's rows of a batch, the shard of each (store/shards.ts), and who may write them. */
export interface ShardedRows {
  rows: StoredEvent[];
  rowShards: number[];
  own: Ownership;
}

/**
 * Each shard's rows of a batch in inserts of their own, side by side. The batch ends only once none of
 * them can still write: a retry left behind would store its rows after the batch was given up, once
 * this member proves ownership again (a new generation that gives it the same partition). So the first
 * failure stops the others at their next step (a retry waiting out its backoff ends there, writing
 * nothing), and an attempt under way is waited for.
 */
export async function insertShards(ctx: ShardInsertContext, part: ShardedRows): Promise<Inserted> {
  const parts = new Map<number, StoredEvent[]>();
  part.rows.forEach((row, i) => {
    const rows = parts.get(part.rowShards[i]);
    if (rows) rows.push(row);
    else parts.set(part.rowShards[i], [row]);
  });
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
  const tasks = [...parts].map(([shard, rows]) => insertRefusedApart(rows, (r) => insertShard(ctx, shard, r, own, track)));
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
 * One shard's rows into one of its replicas. Each attempt opens its fence on that replica and proves
 * ownership, then inserts in the fence: a writer paused in between finds it closed (store/write-fence.ts).
 */
async function insertShard(ctx: ShardInsertContext, shard: number, rows: StoredEvent[], own: Ownership, track: (attempt: Promise<void>) => Promise<void>): Promise<void> {
  const first = rows[0];
  const last = rows[rows.length - 1];
  const settings = ctx.deduplicationTokens
    ? deduplicationSettings(insertDeduplicationToken(first.kafka_topic, first.kafka_partition, first.kafka_offset, last.kafka_offset, rows.length))
    : undefined;
  // The partition's prefix: a new owner waits for it on every replica before reading the ledger.
  const prefix = insertQueryId([{ topic: first.kafka_topic, partition: first.kafka_partition, first: first.kafka_offset, last: last.kafka_offset }]);
  // Encoded and gzipped before any fence opens: a fence lives about a second without a request.
  const encoded = encodeRows(accessEventRows, rows);
  // Whether the last attempt's insert was sent: a failure before (opening the fence) is not the rows'.
  let sent = false;
  try {
    await ctx.retrying('insert into access_events', async () => {
      sent = false;
      const open = async (replica: ClickHouse) => {
        const attempt = await openFence(replica, prefix, own.confirm);
        sent = true;
        return attempt;
      };
      await track(ctx.shards.insert(shard, 'access_events', rows, { settings, encoded, open })).catch((err: unknown) => {
        throw fenceClosed(err, 'the insert') ?? err;
      });
      ctx.stored(rows.length);
    }, own.owned);
  } catch (err) {
    // Refused as data: the shard's insert is one block on one node, written whole or not at all.
    if (sent && err instanceof ClickHouseError && !err.retriable && !SCHEMA_MISSING_CODES.has(Number(err.context.serverCode))) throw new InsertRefused(err);
    throw err;
  }
}
