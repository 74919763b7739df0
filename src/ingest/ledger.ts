// Which offsets of a Kafka partition ClickHouse already holds. Loaded when a partition is (re)assigned,
// from `ingest_batches` (written by a materialized view in the same INSERT as the events, so a range
// there means all of its rows are stored) and from `dead_letters`. Messages at these offsets are
// skipped on redelivery: this is what makes a crash, a restart or a rebalance count nothing twice.
// On a cluster each shard keeps its own ranges (PartitionLedger).
import { shardsOf, sql, type ClickHouse } from '../store';

export class OffsetLedger {
  /** Disjoint [min, max] ranges, inclusive, sorted by min. */
  private ranges: Array<[number, number]> = [];

  add(min: number, max: number): void {
    this.ranges.push([min, max]);
    this.ranges.sort((a, b) => a[0] - b[0]);
    const merged: Array<[number, number]> = [];
    for (const r of this.ranges) {
      const last = merged[merged.length - 1];
      if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
      else merged.push([r[0], r[1]]);
    }
    this.ranges = merged;
  }

  has(offset: number): boolean {
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const [min, max] = this.ranges[mid];
      if (offset < min) hi = mid - 1;
      else if (offset > max) lo = mid + 1;
      else return true;
    }
    return false;
  }

  /** Forget everything below an offset that Kafka has committed: it is never delivered again. */
  dropBelow(offset: number): void {
    this.ranges = this.ranges.filter(([, max]) => max >= offset).map(([min, max]) => [Math.max(min, offset), max]);
  }

  /** The ranges (clipped) that lie within [min, max]. */
  rangesWithin(min: number, max: number): Array<[number, number]> {
    return this.ranges.filter(([a, b]) => b >= min && a <= max).map(([a, b]) => [Math.max(a, min), Math.min(b, max)]);
  }

  get size(): number {
    return this.ranges.length;
  }
}

/**
 * What ClickHouse holds of one Kafka partition: dead-lettered offsets, and per shard the offset ranges of
 * its inserts. A shard's range covers only that shard's events (one batch's events are split by
 * employee across shards), so an offset held by every shard, or dead-lettered, is skipped unread; one
 * held by some shards only is skipped once its event's shard is known. One server is one shard.
 */
export class PartitionLedger {
  constructor(
    readonly deadLetters: OffsetLedger,
    readonly shards: OffsetLedger[],
  ) {}

  /** Stored whatever the message holds: dead-lettered, or in every shard's ranges. */
  holdsAll(offset: number): boolean {
    return this.deadLetters.has(offset) || this.shards.every((s) => s.has(offset));
  }

  /** The event at this offset, whose employee lives on `shard`, is stored there. */
  holds(shard: number, offset: number): boolean {
    return this.shards[shard].has(offset);
  }

  /** A batch stored whole: every shard holds its part of it. */
  add(min: number, max: number): void {
    for (const s of this.shards) s.add(min, max);
  }

  dropBelow(offset: number): void {
    this.deadLetters.dropBelow(offset);
    for (const s of this.shards) s.dropBelow(offset);
  }

  get size(): number {
    return this.shards.reduce((n, s) => n + s.size, this.deadLetters.size);
  }
}

export async function loadLedger(ch: ClickHouse, topic: string, partition: number, fromOffset: number): Promise<PartitionLedger> {
  const shards = shardsOf(ch);
  const ranges: OffsetLedger[] = [];
  for (let shard = 0; shard < shards.count; shard++) {
    const ledger = new OffsetLedger();
    // Each shard's own ingest_batches (on a cluster: on its replicas, complete or a retriable error).
    const batches = await shards.queryShard<{ min_offset: string; max_offset: string }>(
      shard,
      sql`
    SELECT min_offset, max_offset FROM ingest_batches
    WHERE kafka_topic = ${topic} AND kafka_partition = ${partition} AND max_offset >= ${fromOffset}`,
      { table: 'ingest_batches' },
    );
    for (const b of batches) ledger.add(Number(b.min_offset), Number(b.max_offset));
    ranges.push(ledger);
  }
  const deadLetters = new OffsetLedger();
  const dead = await ch.query<{ kafka_offset: string }>(sql`
    SELECT kafka_offset FROM dead_letters
    WHERE kafka_topic = ${topic} AND kafka_partition = ${partition} AND kafka_offset >= ${fromOffset}`);
  for (const d of dead) deadLetters.add(Number(d.kafka_offset), Number(d.kafka_offset));
  return new PartitionLedger(deadLetters, ranges);
}
