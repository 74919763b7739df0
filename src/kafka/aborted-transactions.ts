// Records of an aborted transaction are not events. A consumer that reads committed data (kafkajs's
// default) gets with each partition's records the transactions aborted in their range, each as a
// producer id and a first offset. kafkajs 2.2.4 (consumer/filterAbortedMessages.js) takes that list as
// sorted by first offset and opens at most one transaction per record; the broker lists them in the
// order they ended. Two transactional producers writing one partition (Flink sinks, Kafka Connect
// tasks, several producers keyed by user) that both abort: the records of one were stored as events (an
// export that never happened raised an alert), and a transaction opened after its abort marker stays
// open and takes that producer's next committed records with it.
//
// The Java consumer's rule (its fetcher's CompletedFetch), batch by batch in offset order: every aborted
// transaction whose first offset is at or before the batch's last offset is open for its producer; a
// batch holding an abort marker closes it; a transactional batch of a producer with an open abort is
// left out. A record left out is handed to kafkajs as a control record is: kept among the batch's raw
// records, so that the consumer moves past its offset, and not among the records the batch hands over.
// kafkajs's list is then emptied, so that its own filter leaves the rest as it is.
//
// The list is read by the fetch response's partition decoder with `readArray`, just before the records
// (fetch versions 4 to 11): the guard's records decoder (batch-guard.ts) takes the last array that
// decoder read (test: integration ingest-transactions, with the broker's real answers).
import type { KafkaDecoder } from './record-decoder';

export interface AbortedTransaction {
  producerId: string;
  firstOffset: string;
}

/** What the rule reads of a record: kafkajs gives every record of a batch the same context object. */
export interface TransactionalRecord {
  key: Buffer | null;
  isControlRecord?: boolean;
  batchContext?: { firstOffset?: string; lastOffsetDelta?: number; producerId?: string; inTransaction?: boolean; isControlBatch?: boolean };
}

type ArrayReader = (this: KafkaDecoder, reader: (d: KafkaDecoder) => unknown) => unknown[];
const lastArray = new WeakMap<object, unknown[]>();
let tracking = false;

/** Makes every decoder remember the last array it read (kafkajs's Decoder, once per process). */
export function trackArrays(Decoder: { prototype: { readArray: ArrayReader } }): void {
  if (tracking) return;
  const read = Decoder.prototype.readArray;
  Decoder.prototype.readArray = function readArray(reader) {
    const out = read.call(this, reader);
    lastArray.set(this, out);
    return out;
  };
  tracking = true;
}

const isAborted = (x: unknown): x is AbortedTransaction =>
  typeof x === 'object' && x !== null && typeof (x as AbortedTransaction).producerId === 'string' && typeof (x as AbortedTransaction).firstOffset === 'string';

/** The aborted transactions a fetch response's decoder read last (kafkajs's own list), or undefined. */
export function abortedListOf(decoder: object): AbortedTransaction[] | undefined {
  const list = lastArray.get(decoder);
  lastArray.delete(decoder);
  return list && list.every(isAborted) ? list : undefined;
}

/** A control record's key: version (int16), then type, 0 for an abort. */
const isAbortMarker = (r: TransactionalRecord) => r.key !== null && r.key.length >= 4 && r.key.readInt16BE(2) === 0;

/**
 * Marks the records of aborted transactions as kafkajs marks control records (in place) and empties
 * `aborted`, which is kafkajs's list; returns how many records were marked.
 */
export function leaveOutAborted(records: ReadonlyArray<TransactionalRecord>, aborted: AbortedTransaction[]): number {
  if (aborted.length === 0) return 0;
  const pending = aborted.map((a) => ({ producerId: a.producerId, first: BigInt(a.firstOffset) })).sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  aborted.length = 0;
  const open = new Set<string>();
  let next = 0;
  let marked = 0;
  let context: TransactionalRecord['batchContext'];
  let skip = false;
  for (const r of records) {
    const c = r.batchContext;
    if (!c) continue;
    if (c !== context) {
      context = c;
      skip = false;
      const last = BigInt(c.firstOffset ?? '0') + BigInt(c.lastOffsetDelta ?? 0);
      while (next < pending.length && pending[next].first <= last) open.add(pending[next++].producerId);
      const producer = String(c.producerId);
      if (c.isControlBatch) {
        if (isAbortMarker(r)) open.delete(producer);
      } else skip = c.inTransaction === true && open.has(producer);
    }
    if (skip) {
      r.isControlRecord = true;
      marked++;
    }
  }
  return marked;
}
