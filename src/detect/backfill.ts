// `detect --once`: the engine over a stored period, reading events from ClickHouse hour by hour in event
// order, exactly as the live detector would have seen them. The same alerts, the same revisions.
import { dayOf, MS_PER_DAY, MS_PER_HOUR } from '../calendar';
import { shardsOf, sql, TsvRow, type ClickHouse, type SqlFragment } from '../store';
import type { AlertRecord } from '../alerts';
import type { Engine } from './engine';
import { unmeasuredOf, type DetectEvent } from './event';

const COLUMNS = sql`event_id, toUInt64(toUInt32(ts)) * 1000 + ts_ms AS t, user, action, bytes, rows,
  concat(db_name, '.', table_name) AS tbl, client_ip, client_app, session_id, status = 'ok' AS ok,
  bytes_estimated AS estimated, identity, if(position(extra, '"bytes_unknown"') > 0, extra, '') AS unmeasured`;

/**
 * Stored events matching `where`, in event order (ts, then user and id for events of the same millisecond).
 * Read as TabSeparated and split here: a backfill reads every stored event, and JSONEachRow's objects
 * (field names per row, JSON unescaping) cost more than the reading itself.
 */
export async function storedEventsWhere(ch: ClickHouse, where: SqlFragment): Promise<DetectEvent[]> {
  return eventsOf(ch, sql`SELECT ${COLUMNS} FROM access_events WHERE ${where} ORDER BY t, user, event_id`);
}

/**
 * The same, read from every replica of every shard on a cluster: what one replica has just stored and the
 * others have not fetched yet is included (a detector taking over a partition reads what the ingester
 * stored a moment ago), and a replica that does not answer is waited for unless another has every part.
 * In event order, each event once. One server: storedEventsWhere.
 */
export async function storedEventsEverywhere(ch: ClickHouse, where: SqlFragment): Promise<DetectEvent[]> {
  if (!ch.cluster) return storedEventsWhere(ch, where);
  const shards = shardsOf(ch);
  const seen = new Set<string>();
  const out: DetectEvent[] = [];
  for (let shard = 0; shard < shards.count; shard++) {
    const read = (replica: ClickHouse) => eventsOf(replica, sql`SELECT ${COLUMNS} FROM access_events WHERE ${where}`);
    for (const e of await shards.readShard(shard, read, { table: 'access_events' })) {
      if (seen.has(e.eventId)) continue;
      seen.add(e.eventId);
      out.push(e);
    }
  }
  return out.sort(inEventOrder);
}

/** The order storedEventsWhere reads in: time, then user and id. */
export function inEventOrder(a: DetectEvent, b: DetectEvent): number {
  return a.ts - b.ts || (a.user < b.user ? -1 : a.user > b.user ? 1 : 0) || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);
}

/** The events a query selecting COLUMNS answers (as TabSeparated: one a line; another shape fails the read). */
async function eventsOf(ch: ClickHouse, q: SqlFragment): Promise<DetectEvent[]> {
  const out: DetectEvent[] = [];
  const f = new TsvRow(14);
  // One String per recurring value of the answer (TsvRow.pooled); event ids are each their own.
  const pool = new Map<string, string>();
  await ch.queryTabSeparated(q, (line) => {
    f.read(line);
    out.push({
      eventId: f.string(0),
      ts: f.number(1),
      user: f.pooled(2, pool),
      action: f.pooled(3, pool),
      bytes: f.number(4),
      rows: f.number(5),
      table: f.pooled(6, pool),
      clientIp: f.pooled(7, pool),
      clientApp: f.pooled(8, pool),
      sessionId: f.pooled(9, pool),
      ok: f.is(10, '1'),
      estimated: f.is(11, '1'),
      identity: f.pooled(12, pool),
      unmeasured: f.is(13, '') ? undefined : unmeasuredOf(f.string(13)),
    });
  });
  return out;
}

const whereBetween = (from: number, to: number) => sql`ts >= ${new Date(Math.floor(from / 1000) * 1000)} AND ts < ${new Date(Math.ceil(to / 1000) * 1000)}`;

/** The stored events of [from, to) in event order. */
export async function storedEvents(ch: ClickHouse, from: number, to: number): Promise<DetectEvent[]> {
  const events = await storedEventsWhere(ch, whereBetween(from, to));
  return events.filter((e) => e.ts >= from && e.ts < to);
}

/**
 * Gives the engine the stored events from the day before `from`'s day up to `from` (Engine.prime): a run
 * of activity still going on at the start of the period is judged across midnight (span.ts), and a
 * period from after midnight (01:00) begins with the day's totals so far, as the live detector, which
 * judged those hours, judged it. Restore the stored alerts of both days first (what they raised is not
 * raised again).
 */
export async function primeBefore(ch: ClickHouse, engine: Engine, from: number): Promise<void> {
  await engine.prime(await storedEvents(ch, (dayOf(from) - 1) * MS_PER_DAY, from), from);
}

export interface BackfillProgress {
  hour: number;
  hours: number;
  events: number;
  alerts: number;
}

/**
 * Events read in one query, about: a query per hour cost more in round trips than in rows (a few hundred
 * events an hour at 500 people: six hours a query took 20% longer than twelve), and a block must still
 * fit in memory twice (the block being judged and the next one, read meanwhile). A block is a whole
 * number of hours, from 1 (a large organisation's busy hour may be more) to MAX_BLOCK_HOURS, sized
 * from the events per hour of the block before, and at most twice its hours.
 */
export const BLOCK_EVENTS = 20_000;
export const MAX_BLOCK_HOURS = 24;
const FIRST_BLOCK_HOURS = 1;

/**
 * Runs the engine over [from, to) and hands each hour's alert revisions to `sink` before the next hour is
 * judged (an interrupted backfill has stored everything up to the hour it stopped in). Events are read a
 * block of hours at a time, the next block while the current one is judged: reading has no effect on the
 * judgement (stored events do not depend on alerts), and the engine sees the same events in the same order,
 * hour by hour, as when each hour was read on its own.
 */
export async function backfill(
  ch: ClickHouse,
  engine: Engine,
  range: { from: number; to: number },
  sink: (alerts: AlertRecord[]) => Promise<void>,
  onProgress?: (p: BackfillProgress) => void,
  /** Before each hour is judged (the last may end before a whole hour); what it throws stops the backfill there. */
  beforeHour?: (hour: { start: number; end: number }) => Promise<void>,
): Promise<void> {
  const hours = Math.ceil((range.to - range.from) / MS_PER_HOUR);
  const hourStart = (h: number) => range.from + h * MS_PER_HOUR;
  const read = (h: number, size: number) => {
    const block = storedEvents(ch, hourStart(h), Math.min(range.to, hourStart(h + size)));
    // Awaited in its turn; a failure meanwhile must not count as unhandled.
    block.catch(() => {});
    return block;
  };
  let events = 0;
  let alerts = 0;
  let size = Math.min(FIRST_BLOCK_HOURS, hours);
  let next = hours > 0 ? read(0, size) : null;
  for (let first = 0; first < hours; ) {
    const block = await next!;
    const last = Math.min(hours, first + size);
    // At most twice the block before: a quiet night must not make the morning's block a whole busy day.
    const nextSize = Math.max(1, Math.min(MAX_BLOCK_HOURS, 2 * size, Math.floor((BLOCK_EVENTS * size) / Math.max(1, block.length))));
    next = last < hours ? read(last, nextSize) : null;
    // The next block's day, when it is a new one: its history is read and built while this block is judged.
    if (last < hours) engine.prepare(dayOf(hourStart(last)));
    let i = 0;
    for (let h = first; h < last; h++) {
      // The block is in event order: this hour's events are the ones before the next hour's start.
      const end = Math.min(range.to, hourStart(h + 1));
      let j = i;
      while (j < block.length && block[j].ts < end) j++;
      const batch = block.slice(i, j);
      i = j;
      await beforeHour?.({ start: hourStart(h), end });
      const revisions = await engine.process(batch);
      await sink(revisions);
      events += batch.length;
      alerts += revisions.length;
      onProgress?.({ hour: h + 1, hours, events, alerts });
    }
    first = last;
    size = nextSize;
  }
}
