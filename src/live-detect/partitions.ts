// Which partitions this detector judges, and taking one over. Producers key events by user (the event
// contract), so an employee's events of one topic arrive on one partition, and several detectors in one
// consumer group share the work: each keeps running totals only for the employees of its partitions.
//
// When the group gives a detector a partition (at start, or from a detector that stopped, died or was
// paused past its session), the partition's stored events of today and yesterday below the offset it
// starts at rebuild those employees' totals, and their stored alerts are continued, not raised again
// (the same as a restart). When the group takes a partition away, its employees' totals are dropped.
// The rebuild reads what the ingester stored: it first waits (a while, not for ever) until the ingester
// has stored the partition up to that offset, so events the previous owner judged just before it died
// are not missing from the totals.
// An employee seen on partitions of two topics keeps one set of totals: taking over one of them rebuilds
// that employee from the stored events of every partition held (events of those judged but not yet
// stored are missing from that rebuild; docs/deploy.md).
import type { Batch } from 'kafkajs';
import { dayOf, MS_PER_DAY } from '../calendar';
import { alertRevisionsEverywhere, type AlertRecord } from '../alerts';
import { inEventOrder, storedEventsEverywhere, type DetectEvent, type Engine } from '../detect';
import type { Logger } from '../log';
import { inList, join, shardsOf, sql, type ClickHouse } from '../store';

/** Users per IN list: long lists pass ClickHouse's default max_query_size (256 KiB). */
const USERS_PER_QUERY = 2000;
/** How long, after a join, takeovers wait for the ingester to store their partitions up to where they start. */
const STORED_WAIT_MS = 30_000;
const STORED_POLL_MS = 500;

export interface Takeover {
  events: number;
  alerts: AlertRecord[];
}

export interface Partitions {
  /**
   * The group's assignment after a join (kafkajs GROUP_JOIN: topic -> partitions, and this member's id);
   * applied at the next batch. A new member id means the group expelled this detector (paused or cut off
   * past its session): whatever it held may have been judged by another since, so it all goes.
   */
  assigned(assignment: Readonly<Record<string, ReadonlyArray<number>>>, memberId: string): void;
  /**
   * Before a batch is judged: applies a new assignment (dropping the employees of partitions that went
   * away) and takes over the batch's partition when it is new to this detector. Null: the partition is
   * not assigned to this detector any more (a batch of an earlier generation): not to be judged.
   */
  enter(batch: Batch): Promise<Takeover | null>;
  /** After a batch is judged: where the partition goes on, and whose events it carried. */
  judged(batch: Batch, events: ReadonlyArray<DetectEvent>): void;
  /**
   * A batch judged but not stored (its alerts could not be written, or the group moved on meanwhile):
   * its employees' totals hold events whose alerts were never written, so the partition is dropped and
   * taken over again at its next batch, here or elsewhere.
   */
  abandon(batch: Batch, events: ReadonlyArray<DetectEvent>): void;
}

interface Held {
  topic: string;
  partition: number;
  /** The next offset to judge. */
  next: bigint;
  users: Set<string>;
}

const keyOf = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export function partitionsOf(ch: ClickHouse, engine: Engine, log: Logger): Partitions {
  const held = new Map<string, Held>();
  /** The assignment of the latest join, once applied; the next one, until the next batch applies it. */
  let current: Set<string> | null = null;
  let pending: Set<string> | null = null;
  let member: string | null = null;
  let expelled = false;
  /** Until when takeovers of the current assignment wait for the ingester. */
  let storedWaitEnd = 0;

  /** Drops partitions held, and the totals of their employees seen on no other partition held. */
  function drop(keys: ReadonlyArray<string>, more: Iterable<string> = []): { partitions: string[]; employees: number } {
    const gone = keys.flatMap((key) => {
      const h = held.get(key);
      held.delete(key);
      return h ? [h] : [];
    });
    const kept = new Set<string>();
    for (const h of held.values()) for (const u of h.users) kept.add(u);
    const released = new Set<string>();
    for (const u of [...gone.flatMap((h) => [...h.users]), ...more]) if (!kept.has(u)) released.add(u);
    engine.release(released);
    return { partitions: gone.map((h) => `${h.topic}/${h.partition}`), employees: released.size };
  }

  function apply(assignment: Set<string>, expelled: boolean) {
    const gone = [...held.keys()].filter((key) => expelled || !assignment.has(key));
    if (gone.length === 0) return;
    const dropped = drop(gone);
    if (expelled) log.warn(dropped, 'this detector had left the group (paused or cut off past its session): every partition is taken over afresh');
    else log.info(dropped, 'partitions went to another detector; their employees\' running totals dropped');
  }

  /** Waits until ClickHouse holds the partition below `first` (events or dead letters), or the join's wait is over. */
  async function awaitStored(topic: string, partition: number, first: bigint): Promise<void> {
    let stored = await storedBelow(ch, topic, partition);
    while (stored < first && Date.now() < storedWaitEnd) {
      await new Promise((r) => setTimeout(r, STORED_POLL_MS));
      stored = await storedBelow(ch, topic, partition);
    }
    if (stored < first) log.warn({ topic, partition, offset: String(first), stored: String(stored) }, 'the ingester has not stored this partition up to where this detector starts: its employees\' totals are rebuilt without the events in between');
  }

  async function takeOver(topic: string, partition: number, first: bigint): Promise<Takeover> {
    await awaitStored(topic, partition, first);
    const today = dayOf(Date.now());
    const since = sql`ts >= ${new Date((today - 1) * MS_PER_DAY)}`;
    const own = await storedEventsEverywhere(ch, sql`${since} AND kafka_topic = ${topic} AND kafka_partition = ${partition} AND kafka_offset < ${first}`);
    const users = new Set(own.map((e) => e.user));
    // The same employees' events on the other partitions held (another topic): the rebuild starts from nothing.
    const others = [...held.values()].map((h) => sql`(kafka_topic = ${h.topic} AND kafka_partition = ${h.partition} AND kafka_offset < ${h.next})`);
    const more: DetectEvent[] = [];
    if (others.length > 0 && users.size > 0) {
      const list = [...users];
      for (let i = 0; i < list.length; i += USERS_PER_QUERY) {
        more.push(...(await storedEventsEverywhere(ch, sql`${since} AND user IN ${inList(list.slice(i, i + USERS_PER_QUERY))} AND (${join(others, ' OR ')})`)));
      }
    }
    engine.release(users);
    engine.restore((await alertRevisionsEverywhere(ch, today - 1, today)).filter((a) => users.has(a.user)));
    const events = more.length === 0 ? own : [...own, ...more].sort(inEventOrder);
    const alerts = await engine.process(events);
    held.set(keyOf(topic, partition), { topic, partition, next: first, users });
    log.info({ topic, partition, offset: String(first), events: events.length, employees: users.size, alerts: alerts.length }, 'partition taken over: its employees\' running totals of today and yesterday rebuilt from ClickHouse');
    return { events: events.length, alerts };
  }

  return {
    assigned(assignment, memberId) {
      pending = new Set(Object.entries(assignment).flatMap(([topic, parts]) => parts.map((p) => keyOf(topic, p))));
      if (member !== null && memberId !== member) expelled = true;
      member = memberId;
    },
    async enter(batch) {
      if (pending) {
        storedWaitEnd = Date.now() + STORED_WAIT_MS;
        apply(pending, expelled);
        expelled = false;
        current = pending;
        pending = null;
      }
      const key = keyOf(batch.topic, batch.partition);
      if (current && !current.has(key)) return null;
      if (held.has(key)) return { events: 0, alerts: [] };
      return takeOver(batch.topic, batch.partition, BigInt(batch.firstOffset() ?? batch.messages[0].offset));
    },
    judged(batch, events) {
      const h = held.get(keyOf(batch.topic, batch.partition));
      if (!h) return;
      h.next = BigInt(batch.messages[batch.messages.length - 1].offset) + 1n;
      for (const e of events) h.users.add(e.user);
    },
    abandon(batch, events) {
      const dropped = drop([keyOf(batch.topic, batch.partition)], events.map((e) => e.user));
      if (dropped.partitions.length > 0 || dropped.employees > 0) log.warn(dropped, 'a batch judged but not stored: its partition is taken over again at its next batch');
    },
  };
}

/**
 * The first offset of the partition ClickHouse does not hold: after its stored events' batches (each
 * shard's own ledger, every replica of it) and its dead letters.
 */
async function storedBelow(ch: ClickHouse, topic: string, partition: number): Promise<bigint> {
  const where = sql`kafka_topic = ${topic} AND kafka_partition = ${partition}`;
  const shards = shardsOf(ch);
  const answers: Array<{ n: string; next: string }> = [];
  for (let shard = 0; shard < shards.count; shard++) {
    answers.push(...(await shards.queryShard<{ n: string; next: string }>(shard, sql`SELECT count() AS n, toString(max(max_offset) + 1) AS next FROM ingest_batches WHERE ${where}`, { table: 'ingest_batches' })));
  }
  answers.push(...(await ch.query<{ n: string; next: string }>(sql`SELECT count() AS n, toString(max(kafka_offset) + 1) AS next FROM dead_letters WHERE ${where}`)));
  let next = 0n;
  for (const r of answers) if (Number(r.n) > 0 && BigInt(r.next) > next) next = BigInt(r.next);
  return next;
}
