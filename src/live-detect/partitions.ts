// Which partitions this detector judges, and taking one over. Producers key events by user (the event
// contract), so an employee's events of one topic arrive on one partition, and several detectors in one
// consumer group share the work: each keeps running totals only for the employees of its partitions.
//
// When the group gives a detector a partition (at start, or from a detector that stopped, died or was
// paused past its session), the partition's stored events of today and yesterday below the offset it
// starts at rebuild those employees' totals, and the stored alerts are continued, not raised again
// (the same as a restart). When the group takes a partition away, its employees' totals are dropped.
// The rebuild reads what the ingester stored: it first waits (a while, not for ever) until the ingester's
// group has committed the partition up to that offset (it commits only what ClickHouse holds), so
// events the previous owner judged just before it died are not missing from the totals.
// An employee seen on partitions of two topics keeps one set of totals: taking over one of them rebuilds
// that employee from the stored events of the other topics' partitions held too (events of those judged
// but not yet stored are missing from that rebuild; docs/deploy.md).
import type { Batch } from 'kafkajs';
import { dayOf, MS_PER_DAY } from '../calendar';
import { performance } from 'node:perf_hooks';
import type { AlertRecord } from '../alerts';
import { inEventOrder, type DetectEvent, type Engine } from '../detect';
import type { Logger } from '../log';
import type { Writers } from './alert-writes';
import type { PartitionBelow, TakeoverReads } from './takeover-reads';

/** How long, after a join, takeovers wait for the ingester to store their partitions up to where they start. */
const STORED_WAIT_MS = 30_000;
const STORED_POLL_MS = 500;

export interface Takeover {
  events: number;
  alerts: AlertRecord[];
  /** The group generation the batch was entered in (see current). */
  generation: number;
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
  /**
   * False once the group moved on since the batch was entered (a join while it was judged: with several
   * brokers kafkajs can rejoin while another broker's batch is in hand): its alerts are not to be stored.
   */
  current(taken: Takeover): boolean;
  /** After a batch is judged: where the partition goes on, and whose events it carried. */
  judged(batch: Batch, events: ReadonlyArray<DetectEvent>): void;
  /**
   * A batch judged but not stored (its alerts could not be written, or the group moved on meanwhile):
   * its employees' totals hold events whose alerts were never written, so the partition is dropped and
   * taken over again at its next batch, and those employees still held through other partitions are
   * rebuilt from ClickHouse before the next batch of any partition (stale until a rebuild succeeds).
   * `unanswered`: the query id of its alert insert whose answer was lost (store-revisions.ts), waited for
   * before the next takeover or rebuild reads the stored alerts.
   */
  abandon(batch: Batch, events: ReadonlyArray<DetectEvent>, raised?: ReadonlyArray<AlertRecord>, unanswered?: string): void;
}

interface Held {
  topic: string;
  partition: number;
  /** The next offset to judge. */
  next: bigint;
  users: Set<string>;
}

const keyOf = (topic: string, partition: number) => `${topic}\u0000${partition}`;
const topicOf = (key: string) => key.slice(0, key.indexOf('\u0000'));

export interface PartitionsOptions {
  /** How far ahead of the clock an event may be dated (ingest.maxFutureSkewMs): the days whose stored alerts a takeover restores. */
  aheadMs?: number;
}

export function partitionsOf(reads: TakeoverReads, engine: Engine, log: Logger, opts: PartitionsOptions = {}): Partitions {
  const aheadMs = Math.min(opts.aheadMs ?? MS_PER_DAY, MAX_AHEAD_MS);
  const held = new Map<string, Held>();
  /** The assignment of the latest join. */
  let assignment: Set<string> | null = null;
  /** Held partitions that some join since the last batch did not assign (dropped at the next batch). */
  const lost = new Set<string>();
  /** Partitions being taken over: a join during the takeover's reads that does not assign one loses it too. */
  const taking = new Set<string>();
  let member: string | null = null;
  /** When the latest join was seen (performance.now()): a takeover reads the stored alerts once fences opened before it have closed. */
  let joinedAt = -Infinity;
  let expelled = false;
  let generation = 0;
  let applied = 0;
  /** Until when takeovers after the latest join wait for the ingester. */
  let storedWaitEnd = 0;
  /** The ingester's group's offsets by topic, and when fetched: the takeovers of one join share a fetch. */
  const ingested = new Map<string, { at: number; below: ReadonlyMap<number, bigint> }>();
  /** How many held partitions each employee was seen on: their totals go when the last one does. */
  const holders = new Map<string, number>();
  /**
   * Employees whose totals a batch judged but not stored made wrong (abandon) while held partitions still
   * carry them: rebuilt from the stored events of every partition held before the next batch of any
   * partition (the abandoned one's takeover, or a held one's batch, which may carry their first event there).
   */
  const stale = new Set<string>();
  /**
   * Partitions whose batch was abandoned, where they stood: their employees' events stored below it are
   * part of the stale employees' totals while the partition is assigned here (until it is taken over).
   */
  const abandonedAt = new Map<string, PartitionBelow>();
  /**
   * The query ids of this detector's alert inserts whose answer was lost in the batches given up since
   * the last takeover or rebuild, wherever their partitions went since: maybe still running (the pause
   * that lost an answer may also have had this detector expelled), they are waited for before the next
   * takeover or rebuild reads the stored alerts, else one could land after that read. By query id: not
   * the later inserts of the detector the partition went to.
   */
  const unanswered = new Set<string>();

  /** Notes that a held partition carries this employee's events (once per partition: `users` is its set). */
  function hold(users: Set<string>, user: string) {
    if (users.has(user)) return;
    users.add(user);
    holders.set(user, (holders.get(user) ?? 0) + 1);
  }

  /** Drops partitions held, and the totals of their employees seen on no other partition held. */
  /** `notStored`: `more` are a batch's employees whose alerts were not stored (engine.release again). */
  function drop(keys: ReadonlyArray<string>, more: Iterable<string> = [], notStored = false): { partitions: string[]; employees: number } {
    const gone = keys.flatMap((key) => {
      const h = held.get(key);
      held.delete(key);
      return h ? [h] : [];
    });
    const released = new Set<string>();
    for (const h of gone) {
      for (const u of h.users) {
        const n = (holders.get(u) ?? 1) - 1;
        if (n > 0) {
          holders.set(u, n);
        } else {
          holders.delete(u);
          released.add(u);
        }
      }
    }
    for (const u of more) if (!holders.has(u)) released.add(u);
    for (const u of released) stale.delete(u);
    engine.release(released, { again: notStored });
    return { partitions: gone.map((h) => `${h.topic}/${h.partition}`), employees: released.size };
  }

  /** At the first batch after joins: drops what any of them took away (all of it after an expulsion). */
  function apply() {
    const wasExpelled = expelled;
    const gone = wasExpelled ? [...held.keys()] : [...lost].filter((key) => held.has(key));
    for (const key of abandonedAt.keys()) if (wasExpelled || lost.has(key)) abandonedAt.delete(key);
    lost.clear();
    expelled = false;
    applied = generation;
    if (gone.length === 0) return;
    const dropped = drop(gone);
    if (wasExpelled) log.warn(dropped, 'this detector had left the group (paused or cut off past its session): every partition is taken over afresh');
    else log.info(dropped, 'partitions went to another detector; their employees\' running totals dropped');
  }

  /** Waits until the ingester's group has committed the partition up to `first`, or the join's wait is over. */
  async function awaitStored(topic: string, partition: number, first: bigint): Promise<void> {
    let stored = await ingestedBelow(topic, partition);
    while (stored < first && Date.now() < storedWaitEnd) {
      await new Promise((r) => setTimeout(r, STORED_POLL_MS));
      stored = await ingestedBelow(topic, partition);
    }
    if (stored < first) log.warn({ topic, partition, offset: String(first), stored: String(stored) }, 'the ingester has not stored this partition up to where this detector starts: its employees\' totals are rebuilt without the events in between');
  }

  /** Where the ingester's group stands on a partition, from a fetch at most one poll old. */
  async function ingestedBelow(topic: string, partition: number): Promise<bigint> {
    let known = ingested.get(topic);
    if (!known || Date.now() - known.at >= STORED_POLL_MS) ingested.set(topic, (known = { at: Date.now(), below: await reads.ingestedBelow(topic) }));
    return known.below.get(partition) ?? 0n;
  }

  async function takeOver(topic: string, partition: number, first: bigint): Promise<Takeover> {
    const key = keyOf(topic, partition);
    taking.add(key);
    try {
      return await rebuild(topic, partition, first);
    } finally {
      taking.delete(key);
    }
  }

  async function rebuild(topic: string, partition: number, first: bigint): Promise<Takeover> {
    await awaitStored(topic, partition, first);
    const today = dayOf(Date.now());
    const own = await reads.partitionEvents(today - 1, topic, partition, first);
    const seen = new Set(own.map((e) => e.user));
    // The same employees' events on the other partitions held (of other topics: producers key by user):
    // their rebuild starts from nothing. So are the stale employees' (abandon): this batch may be theirs.
    const key = keyOf(topic, partition);
    const others = [...held.values()].map(below);
    if (stale.size > 0) others.push(...(await staleElsewhere(key)));
    const rebuilt = new Set([...seen, ...stale]);
    const more = await reads.employeeEvents(today - 1, [...rebuilt], others);
    const events = more.length === 0 ? own : [...own, ...more].sort(inEventOrder);
    const alerts = await judgeAgain(rebuilt, events, today, [{ topic, partition }]);
    const users = new Set<string>();
    for (const u of seen) hold(users, u);
    held.set(key, { topic, partition, next: first, users });
    // Its own events are read from it now (a takeover that failed keeps the position for the stale ones).
    abandonedAt.delete(key);
    log.info({ topic, partition, offset: String(first), events: events.length, employees: users.size, alerts: alerts.length }, 'partition taken over: its employees\' running totals of today and yesterday rebuilt from ClickHouse');
    return { events: events.length, alerts, generation: applied };
  }

  /**
   * Where the stale employees' stored events lie besides the partitions held: the abandoned partitions
   * still assigned here, below their abandoned batch. Waits for the ingester to store what they are read from.
   */
  async function staleElsewhere(except?: string): Promise<PartitionBelow[]> {
    // The stale employees (those of the batches given up since the last rebuild) looked up in each
    // partition's users, stopping at the first: a partition's users are many.
    for (const h of held.values()) if (overlaps(stale, h.users)) await awaitStored(h.topic, h.partition, h.next);
    const out = [...abandonedAt.entries()].filter(([key]) => key !== except && !held.has(key) && (!assignment || assignment.has(key))).map(([, p]) => p);
    for (const p of out) await awaitStored(p.topic, p.partition, p.below);
    return out;
  }

  /**
   * Rebuilds every stale employee, before a batch of a held partition: whichever partition it is (an
   * employee's first event on it too), from every partition held and the abandoned ones still assigned.
   */
  async function refresh(): Promise<Takeover> {
    const users = [...stale];
    const elsewhere = await staleElsewhere();
    const today = dayOf(Date.now());
    const events = await reads.employeeEvents(today - 1, users, [...[...held.values()].map(below), ...elsewhere]);
    // Every partition's alert inserts of the topics read here (other detectors' too, as at a takeover),
    // never those of other topics (another deployment's detectors).
    const topics = new Set([...held.values(), ...abandonedAt.values()].map((p) => p.topic));
    for (const key of assignment ?? []) topics.add(topicOf(key));
    const alerts = await judgeAgain(new Set(users), events, today, [...topics].map((topic) => ({ topic })));
    log.info({ employees: users.length, events: events.length, alerts: alerts.length }, 'employees of a batch judged but not stored: running totals rebuilt from ClickHouse');
    return { events: events.length, alerts, generation: applied };
  }

  /**
   * Forgets these employees' totals and judges their stored events again, continuing the stored alerts,
   * read once these writers' alert inserts and this detector's unanswered ones have ended.
   */
  async function judgeAgain(users: Set<string>, events: DetectEvent[], today: number, writers: Writers[]): Promise<AlertRecord[]> {
    engine.release(users, { again: true });
    const waited = [...unanswered];
    try {
      // Every stored alert, not only those of these employees: a detector killed after it stored an alert
      // and before it committed the batch leaves alerts of employees whose events all lie at or past where
      // the takeover starts (the batch itself, dated ahead maybe); judged again there, they must continue
      // those alerts, not raise them afresh. So up to the furthest day an event may be dated.
      engine.restore(await reads.alerts(today - 1, Math.max(newestDay(events, today), dayOf(Date.now() + aheadMs)), { writers, queryIds: waited, joinedAt }));
      const alerts = await engine.process(events);
      for (const u of users) stale.delete(u);
      for (const id of waited) unanswered.delete(id);
      return alerts;
    } catch (err) {
      // Released and not rebuilt: those still held through other partitions are rebuilt before their next batch.
      for (const u of users) if (holders.has(u)) stale.add(u);
      throw err;
    }
  }

  return {
    assigned(given, memberId) {
      joinedAt = performance.now();
      const next = new Set(Object.entries(given).flatMap(([topic, parts]) => parts.map((p) => keyOf(topic, p))));
      // Every join counts: one that takes a partition away and the next that gives it back, both before
      // the next batch, must still drop what this detector held of it (another judged it in between).
      for (const key of [...held.keys(), ...taking]) if (!next.has(key)) lost.add(key);
      // An abandoned partition given to another detector: what it judges there meanwhile is not read back.
      for (const key of abandonedAt.keys()) if (!next.has(key)) abandonedAt.delete(key);
      if (member !== null && memberId !== member) expelled = true;
      member = memberId;
      assignment = next;
      generation++;
      storedWaitEnd = Date.now() + STORED_WAIT_MS;
    },
    async enter(batch) {
      if (applied !== generation) apply();
      const key = keyOf(batch.topic, batch.partition);
      if (assignment && !assignment.has(key)) return null;
      if (held.has(key)) return stale.size === 0 ? { events: 0, alerts: [], generation: applied } : refresh();
      return takeOver(batch.topic, batch.partition, BigInt(batch.firstOffset() ?? batch.messages[0].offset));
    },
    current: (taken) => taken.generation === generation,
    judged(batch, events) {
      const h = held.get(keyOf(batch.topic, batch.partition));
      if (!h) return;
      h.next = BigInt(batch.messages[batch.messages.length - 1].offset) + 1n;
      for (const e of events) hold(h.users, e.user);
    },
    abandon(batch, events, raised = [], unansweredId) {
      if (unansweredId !== undefined) unanswered.add(unansweredId);
      // The batch's employees' running totals hold its events and the revisions it raised, none stored:
      // they are forgotten, and the partition is taken over again at its next batch. Kept, they would
      // count the batch's events as seen when it comes back, and its alert would never be stored. Those
      // also held through another partition (of another topic, say) are stale: rebuilt from every
      // partition held before the next batch of any partition, the batch back or another's.
      // With the employees whose alerts the batch's takeover or rebuild raised: not stored either.
      const users = new Set([...events.map((e) => e.user), ...raised.map((a) => a.user)]);
      // Nothing judged (a takeover or a rebuild that failed: its employees stay stale): nothing to forget.
      if (users.size === 0) return;
      const key = keyOf(batch.topic, batch.partition);
      const h = held.get(key);
      if (h) abandonedAt.set(key, below(h));
      const dropped = drop([key], users, true);
      const still = [...users].filter((u) => holders.has(u));
      if (still.length > 0) engine.release(still, { again: true });
      for (const u of still) stale.add(u);
      // Those rebuilds read what the ingester stored: give it the time a join gives it.
      storedWaitEnd = Math.max(storedWaitEnd, Date.now() + STORED_WAIT_MS);
      if (dropped.partitions.length > 0 || users.size > 0) log.warn({ ...dropped, stale: still.length }, 'a batch judged but not stored: its partition is taken over again at its next batch, its employees\' totals rebuilt');
    },
  };
}

/** Restoring alerts of days further ahead than this is pointless (and past what a Date holds). */
const MAX_AHEAD_MS = 400 * MS_PER_DAY;

const below = (h: Held): PartitionBelow => ({ topic: h.topic, partition: h.partition, below: h.next });

/** The latest day of the events, and at least `today`. */
function newestDay(events: readonly DetectEvent[], today: number): number {
  let newest = today;
  for (const e of events) newest = Math.max(newest, dayOf(e.ts));
  return newest;
}

/** Whether any of `few` is in `many`. */
function overlaps(few: ReadonlySet<string>, many: ReadonlySet<string>): boolean {
  for (const u of few) if (many.has(u)) return true;
  return false;
}
