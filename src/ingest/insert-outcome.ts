// What ClickHouse 18.16 holds of one insert after an ambiguous failure (a client timeout while the server
// went on, a reset connection, a server killed mid-insert), and the repair that makes it whole before
// anything is sent again (docs/exactly-once.md, "An insert that failed half-way").
//
// One INSERT into access_events writes the table (one part per day), then each materialized view in
// the order of its name: ingest_batches_mv (the ledger) first, then the rollups. A server killed in
// between leaves a prefix of that sequence. So, once no attempt of the insert is running any more:
//   - no ledger row: no view was written; the rows stored (if any) are orphans: delete them (a
//     mutation, waited for), then the batch is absent and is sent again;
//   - a ledger row: the rows are all stored; each rollup that misses the batch (its event count over
//     the batch's keys is the raw count minus the batch) gets it through its replay table.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log';
import { ident, inList, join, sql, stallWatch, waitForWrites, type ClickHouse, type FencedWriter, type RepairContext, type SqlFragment, type StallWatch, type Watched } from '../store';

/** The rows of one insert: a partition's offsets between first and last, minus ranges stored before. */
export interface InsertRange {
  topic: string;
  partition: number;
  first: number;
  last: number;
  /** Rows the insert carried. */
  events: number;
  /** Ranges inside [first, last] that earlier inserts stored (rare: only after a writer was fenced out). */
  exclude?: ReadonlyArray<readonly [number, number]>;
}

export type InsertOutcome = 'stored' | 'absent';

interface Rollup {
  table: string;
  replay: string;
  /** The rollup's key columns, each with the access_events expression it is computed from. */
  key: Array<{ column: string; raw: SqlFragment }>;
  count: SqlFragment;
}

const ROLLUPS: Rollup[] = [
  { table: 'user_daily', replay: 'replay_user_daily', key: [{ column: 'user', raw: sql`user` }, { column: 'day', raw: sql`toDate(ts)` }], count: sql`countMerge(event_count)` },
  { table: 'user_hourly', replay: 'replay_user_hourly', key: [{ column: 'user', raw: sql`user` }, { column: 'hour', raw: sql`toStartOfHour(ts)` }], count: sql`countMerge(event_count)` },
  {
    table: 'user_table_daily',
    replay: 'replay_user_table_daily',
    key: [{ column: 'user', raw: sql`user` }, { column: 'day', raw: sql`toDate(ts)` }, { column: 'db_name', raw: sql`db_name` }, { column: 'table_name', raw: sql`table_name` }],
    count: sql`sum(event_count)`,
  },
];
export const ROLLUP_TABLES = ROLLUPS.map((r) => ({ table: r.table, replay: r.replay }));

/** Each insert's query_id starts with this, so a new owner can wait for a previous owner's inserts. */
export function insertQueryPrefix(topic: string, partition: number): string {
  return `insider-ingest:${topic}:${partition}:`;
}

/**
 * The query_id prefix of one insert: `insider-ingest:<topic>:<partition>:<first>-<last>`, one such range
 * per partition it carries, joined by '|' (Kafka topic names hold neither '|' nor ':'), then ':'. One
 * partition's insert starts with insertQueryPrefix; every insert holding a partition matches insertsOf.
 */
export function insertQueryId(ranges: ReadonlyArray<Pick<InsertRange, 'topic' | 'partition' | 'first' | 'last'>>): string {
  return `insider-ingest:${ranges.map((r) => `${r.topic}:${r.partition}:${r.first}-${r.last}`).join('|')}:`;
}

/** The running queries that write a partition's rows: inserts carrying it first or later, repairs. */
function insertsOf(topic: string, partition: number): SqlFragment {
  const prefix = insertQueryPrefix(topic, partition);
  return sql`(substring(query_id, 1, ${prefix.length}) = ${prefix} OR (substring(query_id, 1, 15) = 'insider-ingest:' AND position(query_id, ${`|${topic}:${partition}:`}) > 0))`;
}

function offsetsOf(r: InsertRange, column: SqlFragment = sql`kafka_offset`): SqlFragment {
  const parts = [sql`kafka_topic = ${r.topic} AND kafka_partition = ${r.partition} AND ${column} BETWEEN ${r.first} AND ${r.last}`];
  for (const [a, b] of r.exclude ?? []) parts.push(sql`NOT (${column} BETWEEN ${a} AND ${b})`);
  return join(parts, ' AND ');
}

const num = (v: unknown) => Number(v ?? 0);

/**
 * Waits until no query writing the partition (or one of `ids`) runs on the server. One that
 * still runs after `killAfterMs` (a writer paused mid-request) is killed: it has not written yet, or its
 * partial write is found and repaired by settleInsert / repairPartition.
 */
export async function waitForInserts(
  ch: ClickHouse,
  match: { topic: string; partition: number } | { ids: string[] },
  opts: RepairContext,
): Promise<void> {
  if ('ids' in match && match.ids.length === 0) return;
  const where = 'ids' in match ? sql`query_id IN ${inList(match.ids)}` : insertsOf(match.topic, match.partition);
  await waitForWrites(ch, where, { ...opts, what: 'an insert of this partition', details: { match } });
}

const PENDING_MUTATIONS = sql`system.mutations WHERE database = currentDatabase() AND table = 'access_events' AND is_done = 0`;

/** Waits until no mutation of access_events is pending (one of ours, or a previous owner's). */
async function mutationsDone(ch: ClickHouse, { log, stall }: Watched): Promise<void> {
  // A DELETE rewrites parts: on a large table it takes minutes, so the first report waits longer.
  const stalled = stallWatch(
    log,
    'a mutation of access_events (the DELETE of an interrupted insert\'s rows, or another) is still pending; this partition waits for it (if its parts_to_do never falls, see docs/exactly-once.md, "A repair that does not finish")',
    { firstMs: 120_000, ...stall },
  );
  for (;;) {
    const [m] = await ch.query<{ n: string }>(sql`SELECT count() AS n FROM ${PENDING_MUTATIONS}`);
    if (num(m?.n) === 0) return;
    await stalled(async () => ({
      mutations: await ch.query(sql`SELECT mutation_id, command, create_time, parts_to_do FROM ${PENDING_MUTATIONS} ORDER BY create_time`),
      mergesRunning: num((await ch.query<{ n: string }>(sql`SELECT count() AS n FROM system.merges WHERE database = currentDatabase() AND table = 'access_events'`))[0]?.n),
    }));
    await sleep(200);
  }
}

/** Deletes rows of access_events with a mutation, until none is left. */
async function deleteRows(ch: ClickHouse, write: FencedWriter, where: SqlFragment, watched: Watched): Promise<void> {
  let stalled: StallWatch | undefined;
  for (let round = 0; ; round++) {
    await write.ready();
    await mutationsDone(ch, watched);
    const [r] = await ch.query<{ n: string }>(sql`SELECT count() AS n FROM access_events WHERE ${where}`);
    if (num(r?.n) === 0) return;
    if (round === 1) stalled = stallWatch(watched.log, 'rows of an interrupted insert are still stored after their DELETE was carried out; deleting them again', watched.stall);
    await stalled?.(async () => ({ rows: num(r?.n), rounds: round }));
    await write.exec(sql`ALTER TABLE access_events DELETE WHERE ${where}`);
  }
}

/**
 * Per key of the rollup that the batch touches: the raw count, the batch's share of it and the
 * rollup's count. A key whose rollup count equals the raw count holds the batch; one whose count is
 * the raw count minus the batch's share misses it (the server stopped between views, or wrote one
 * part of the rollup and not another); anything else is another writer's insert half-way. The joined
 * subqueries are named: ClickHouse 26.x refuses them otherwise (the compatibility check found it).
 */
function keyCounts(rollup: Rollup, rows: SqlFragment): SqlFragment {
  const cols = join(rollup.key.map((k) => ident(k.column)));
  const rawCols = join(rollup.key.map((k) => (k.raw.text === k.column ? ident(k.column) : sql`${k.raw} AS ${ident(k.column)}`)));
  const rawKey = join(rollup.key.map((k) => k.raw));
  const batchKeys = sql`(SELECT ${rawKey} FROM access_events WHERE ${rows})`;
  return sql`
    SELECT ${cols}, raw_n, batch_n, roll_n FROM (
      SELECT ${rawCols}, count() AS raw_n, sum(${rows}) AS batch_n
      FROM access_events WHERE (${rawKey}) IN ${batchKeys} GROUP BY ${cols}
    ) AS raw_keys ANY LEFT JOIN (
      SELECT ${cols}, ${rollup.count} AS roll_n
      FROM ${ident(rollup.table)} WHERE (${cols}) IN ${batchKeys} GROUP BY ${cols}
    ) AS rollup_keys USING ${cols}`;
}

const MISSING = sql`roll_n != raw_n AND roll_n = raw_n - batch_n`;

/** Gives every rollup the batch's rows exactly once, key by key; the rows and the ledger row are stored. */
async function completeRollups(ch: ClickHouse, write: FencedWriter, rows: SqlFragment, log: Logger, what: object): Promise<void> {
  for (const rollup of ROLLUPS) {
    for (let attempt = 0; ; attempt++) {
      // A replay whose answer was lost is fenced first: the count then says whether it landed.
      await write.ready();
      const [c] = await ch.query<{ missing: string; unsettled: string }>(sql`
        SELECT countIf(${MISSING}) AS missing, countIf(roll_n != raw_n AND NOT (${MISSING})) AS unsettled FROM (${keyCounts(rollup, rows)})`);
      const missing = num(c?.missing);
      if (missing > 0) {
        log.warn({ ...what, rollup: rollup.table, keys: missing }, 'the insert stored the events but not all of this rollup (server stopped half-way); adding the batch where it is missing');
        const rawKey = join(rollup.key.map((k) => k.raw));
        const cols = join(rollup.key.map((k) => ident(k.column)));
        await write.exec(sql`
          INSERT INTO ${ident(rollup.replay)} SELECT * FROM access_events
          WHERE ${rows} AND (${rawKey}) IN (SELECT ${cols} FROM (${keyCounts(rollup, rows)}) WHERE ${MISSING})`);
        continue;
      }
      if (num(c?.unsettled) === 0) break;
      if (attempt >= 20) {
        log.error({ ...what, rollup: rollup.table, keys: num(c?.unsettled) }, 'cannot tell whether this rollup holds the batch (its keys keep changing: producers not keyed by user?); leaving it as it is');
        break;
      }
      await sleep(500);
    }
  }
}

/**
 * What ClickHouse holds of an insert whose outcome is unknown (call once no attempt of it runs), made
 * whole: 'stored' (events, ledger and every rollup hold it once) or 'absent' (nothing of it is stored).
 */
export async function settleInsert(ch: ClickHouse, write: FencedWriter, range: InsertRange, watched: Watched): Promise<InsertOutcome> {
  const { log } = watched;
  await write.ready();
  const rows = offsetsOf(range);
  const what = { topic: range.topic, partition: range.partition, first: range.first, last: range.last };
  const [raw] = await ch.query<{ n: string; u: string }>(sql`SELECT count() AS n, uniqExact(kafka_offset, event_id) AS u FROM access_events WHERE ${rows}`);
  const ledgerRows = offsetsOf(range, sql`min_offset`);
  const [ledger] = await ch.query<{ n: string; e: string }>(sql`
    SELECT count() AS n, sum(events) AS e FROM ingest_batches WHERE ${ledgerRows} AND max_offset <= ${range.last}`);
  const stored = num(raw?.n);
  if (num(ledger?.n) === 0) {
    if (stored === 0) return 'absent';
    log.warn({ ...what, orphans: stored }, 'the insert stored events without its ledger row (server stopped half-way); deleting them before sending again');
    await deleteRows(ch, write, rows, watched);
    return 'absent';
  }
  if (num(ledger?.n) !== 1 || stored !== range.events || num(raw?.u) !== range.events) {
    log.error({ ...what, stored, unique: num(raw?.u), ledgerRows: num(ledger?.n), expected: range.events }, 'ClickHouse holds this batch inconsistently; not sending it again');
    return 'stored';
  }
  await completeRollups(ch, write, rows, log, what);
  return 'stored';
}

/**
 * On (re)assignment, before the ledger is trusted: rows at or above `from` that no ledger range covers
 * are orphans of an insert that stopped half-way while its writer died too (deleted); inserts the ledger
 * holds from there on get any rollup they miss.
 */
export async function repairPartition(ch: ClickHouse, write: FencedWriter, topic: string, partition: number, from: number, watched: Watched): Promise<void> {
  const { log } = watched;
  // A previous owner's delete may still be running: the rows it removes are not orphans to count.
  await write.ready();
  await mutationsDone(ch, watched);
  const batches = await ch.query<{ min_offset: string; max_offset: string; events: string }>(sql`
    SELECT min_offset, max_offset, events FROM ingest_batches
    WHERE kafka_topic = ${topic} AND kafka_partition = ${partition} AND max_offset >= ${from}`);
  const covered = batches.map((b) => sql`kafka_offset BETWEEN ${BigInt(b.min_offset)} AND ${BigInt(b.max_offset)}`);
  const uncovered = sql`kafka_topic = ${topic} AND kafka_partition = ${partition} AND kafka_offset >= ${from}${covered.length > 0 ? sql` AND NOT (${join(covered, ' OR ')})` : sql``}`;
  const [orphans] = await ch.query<{ n: string }>(sql`SELECT count() AS n FROM access_events WHERE ${uncovered}`);
  if (num(orphans?.n) > 0) {
    log.warn({ topic, partition, from, orphans: num(orphans?.n) }, 'events stored without a ledger row (an insert stopped half-way); deleting them, they will be stored again');
    await deleteRows(ch, write, uncovered, watched);
  }
  for (const b of batches) {
    const range = { topic, partition, first: Number(b.min_offset), last: Number(b.max_offset), events: Number(b.events) };
    await completeRollups(ch, write, offsetsOf(range), log, { topic, partition, first: range.first, last: range.last });
  }
}
