// What a partition's takeover reads (partitions.ts): the ingester's committed offsets, the stored events
// that rebuild the running totals of its employees, and the stored alerts to continue. From ClickHouse,
// every replica of every shard on a cluster (what was just stored is there); fakes in the unit tests.
import { performance } from 'node:perf_hooks';
import { MS_PER_DAY } from '../calendar';
import { alertRevisionsEverywhere, type AlertRecord } from '../alerts';
import { inEventOrder, storedEventsEverywhere, type DetectEvent } from '../detect';
import { FENCE_EXPIRY_MS, inList, join, sql, type ClickHouse, type RepairContext } from '../store';
import { waitForAlertWrites, type Writers } from './alert-writes';

/** Users per IN list: long lists pass ClickHouse's default max_query_size (256 KiB). */
const USERS_PER_QUERY = 2000;

/** What a takeover reads: ClickHouse and the ingester's group (clickhouseReads); fakes in the unit test. */
export interface TakeoverReads {
  /** Per partition of a topic, the first offset the ingester's group has not committed (it commits what ClickHouse holds). */
  ingestedBelow(topic: string): Promise<ReadonlyMap<number, bigint>>;
  /** The stored events of days from `since` of a partition, below an offset, in event order. */
  partitionEvents(since: number, topic: string, partition: number, below: bigint): Promise<DetectEvent[]>;
  /** The stored events of days from `since` of these employees on these partitions, below their offsets, in event order. */
  employeeEvents(since: number, users: ReadonlyArray<string>, partitions: ReadonlyArray<PartitionBelow>): Promise<DetectEvent[]>;
  /**
   * Every stored revision of the alerts of days first..last, once the alert inserts of these writers,
   * and these exact inserts (`queryIds`), that may still run have ended; `joinedAt`: when the group's
   * latest join was seen (performance.now()).
   */
  alerts(first: number, last: number, writes: { writers: ReadonlyArray<Writers>; queryIds: ReadonlyArray<string>; joinedAt: number }): Promise<AlertRecord[]>;
}

export interface PartitionBelow {
  topic: string;
  partition: number;
  below: bigint;
}

/** The reads from ClickHouse, every replica of every shard on a cluster (what was just stored is there). */
export function clickhouseReads(ch: ClickHouse, ingestedBelow: TakeoverReads['ingestedBelow'], fence: RepairContext): TakeoverReads {
  const since = (day: number) => sql`ts >= ${new Date(day * MS_PER_DAY)}`;
  return {
    ingestedBelow,
    partitionEvents: (day, topic, partition, below) => storedEventsEverywhere(ch, sql`${since(day)} AND kafka_topic = ${topic} AND kafka_partition = ${partition} AND kafka_offset < ${below}`),
    async employeeEvents(day, users, partitions) {
      if (users.length === 0 || partitions.length === 0) return [];
      const on = join(
        partitions.map((p) => sql`(kafka_topic = ${p.topic} AND kafka_partition = ${p.partition} AND kafka_offset < ${p.below})`),
        ' OR ',
      );
      const out: DetectEvent[] = [];
      for (let i = 0; i < users.length; i += USERS_PER_QUERY) {
        out.push(...(await storedEventsEverywhere(ch, sql`${since(day)} AND user IN ${inList(users.slice(i, i + USERS_PER_QUERY))} AND (${on})`)));
      }
      return out.sort(inEventOrder);
    },
    async alerts(first, last, { writers, queryIds, joinedAt }) {
      // A previous owner's insert still running would land after this read (alert-writes.ts). One it
      // proved its ownership for just before the join (a commit in a rebalance still gathering members
      // is accepted) may not have started yet: looked for once such fences have closed.
      const fencesClosed = joinedAt + FENCE_EXPIRY_MS - performance.now();
      if (fencesClosed > 0) await new Promise((r) => setTimeout(r, fencesClosed));
      await waitForAlertWrites(ch, fence, writers, queryIds);
      return alertRevisionsEverywhere(ch, first, last);
    },
  };
}
