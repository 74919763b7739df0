// A batch's alert revisions into ClickHouse, each insert fenced as the ingester's are
// (src/store/write-fence.ts). Unfenced, an insert whose answer was lost (a client time-out while
// ClickHouse goes on: a replica frozen, a server overloaded) could land after the partition moved and its
// new owner stored the same revision (two rows of one revision, maybe of another severity), or be sent
// again by this detector while it still ran. So:
//   - each insert opens its fence on the node it goes to, then the partition's ownership is proven (the
//     broker's), then the insert names the fence: a detector paused in between finds it closed;
//   - after an attempt that failed, the next one first waits out an unanswered insert's fence (until it
//     can neither run nor start; killed past the session timeout), then reads which of the revisions
//     ClickHouse holds, and sends only the others;
//   - a takeover of a partition, before it reads the stored alerts, waits for that partition's alert
//     inserts running on any node (waitForAlertWrites; a rebuild of employees whose batch was given up,
//     for every partition's of its topics), and for this detector's own inserts whose answer was lost in
//     batches given up since, by their query id (partitions.ts): a previous owner's insert, or this
//     detector's own, still running lands before that read, not after. Never for other topics': other
//     deployments' detectors; nor for the later inserts of the detector a given-up batch's partition went to.
import { heldRevisions, insertAlerts, type AlertRecord } from '../alerts';
import { InternalError } from '../errors';
import { fenceAttempt, fenceClosed, inList, join, noServerAt, openFence, serverCode, shardsOf, sql, waitForWrites, type Attempt, type ClickHouse, type RepairContext } from '../store';

/** The query_id prefix of the detectors' alert inserts. */
export const ALERT_WRITE_PREFIX = 'insider-detect-alerts:';

/** Whose alert inserts a takeover waits for: a partition's batches, or every partition's of a topic. */
export interface Writers {
  topic: string;
  partition?: number;
}

/** A Kafka partition whose batch wrote the revisions (its inserts' query_id prefix names it). */
export type WrittenBy = Required<Writers>;

/** The query_id prefix of these writers' alert inserts (Kafka topic names hold no ':'). */
const prefixOf = (w: Writers) => `${ALERT_WRITE_PREFIX}${w.topic}:${w.partition === undefined ? '' : `${w.partition}:`}`;

export interface AlertWrites {
  /**
   * One attempt at storing what ClickHouse does not hold yet of the batch's revisions. `prove` proves
   * the partition is still this detector's, once each insert's fence is open; `stamp` gives the
   * revisions as sent (their stamp: store-revisions.ts). Throws what failed; the next attempt settles it first.
   */
  attempt(prove: () => Promise<void>, stamp: (alerts: AlertRecord[]) => AlertRecord[]): Promise<void>;
  /**
   * The query id of an insert whose answer never came and that no attempt since has waited out: it may
   * still run, and land (at most one: each attempt waits out the one before it first).
   */
  unanswered(): string | undefined;
}

export function alertWrites(ch: ClickHouse, alerts: AlertRecord[], by: WrittenBy, fence: RepairContext): AlertWrites {
  let rest = alerts;
  /** The last attempt failed: it may have stored some of the revisions (one shard's, or all of them). */
  let unsettled = false;
  /** Its insert whose answer never came, and the node it went to. */
  let unanswered: { node: ClickHouse; attempt: Attempt } | undefined;
  return {
    async attempt(prove, stamp) {
      if (unsettled) {
        // A replica where no server listens any more (it crashed with the insert) runs nothing: what it
        // committed, its peers fetch (heldRevisions reads a shard only as complete as it can know it).
        if (unanswered) await fenceAttempt(unanswered.node, unanswered.attempt, fence).catch((err: unknown) => {
          if (!noServerAt(err)) throw err;
        });
        unanswered = undefined;
        const held = await heldRevisions(ch, rest.map((a) => a.alertId));
        rest = rest.filter((a) => !held.has(`${a.alertId}#${a.revision}`));
        unsettled = false;
      }
      if (rest.length === 0) return;
      /** The insert under way: set once its fence is open and ownership proven. */
      let sending: { node: ClickHouse; attempt: Attempt } | undefined;
      try {
        await insertAlerts(ch, stamp(rest), async (node) => {
          sending = undefined;
          const attempt = await openFence(node, prefixOf(by), prove);
          sending = { node, attempt };
          return attempt;
        });
      } catch (err) {
        unsettled = true;
        if (sending && serverCode(err) === undefined) unanswered = sending;
        throw fenceClosed(err, 'storing alerts') ?? err;
      }
    },
    unanswered: () => unanswered?.attempt.queryId,
  };
}

/**
 * Waits until none of the alert inserts of these writers' batches running now, nor of these exact
 * inserts (`queryIds`: this detector's own whose answer it lost), on the server or any replica of a
 * cluster, runs any more (each killed past `killAfterMs`). Inserts begun after the first look are not
 * waited for: they were sent after their writer proved it owns their partition, which a takeover's
 * partition is not (the caller looks once fences opened before the group's join have closed).
 */
export async function waitForAlertWrites(ch: ClickHouse, fence: RepairContext, writers: ReadonlyArray<Writers>, queryIds: ReadonlyArray<string> = []): Promise<void> {
  // None would wait for nothing: a caller's mistake, not a takeover with nothing to wait for.
  if (writers.length === 0) throw new InternalError('waitForAlertWrites: no writers named');
  // A partition's prefix within its whole topic's is asked for once.
  const prefixes = [...new Set(writers.map(prefixOf))];
  const needed = prefixes.filter((p) => !prefixes.some((q) => q !== p && p.startsWith(q)));
  const theirs = join(
    [...needed.map((prefix) => sql`substring(query_id, 1, ${prefix.length}) = ${prefix}`), ...(queryIds.length > 0 ? [sql`query_id IN ${inList(queryIds)}`] : [])],
    ' OR ',
  );
  await shardsOf(ch).onEveryReplica(async (node) => {
    const running = await node.query<{ query_id: string }>(sql`SELECT query_id FROM system.processes WHERE ${theirs}`);
    if (running.length === 0) return;
    await waitForWrites(node, sql`query_id IN ${inList(running.map((r) => r.query_id))}`, { ...fence, what: 'an alert insert begun before this takeover' });
  });
}
