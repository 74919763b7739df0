// A compressed record batch is read whole: kafkajs decompresses it into one buffer and makes an object of
// every record in it. Kafka's size limits apply to the compressed batch, so a batch that is small on the
// wire can hold hundreds of megabytes (400 records of 1 MB of one letter: zstd makes them a few kilobytes;
// the ingester's peak RSS went to 672 MB, past the chart's 512 MiB limit) or millions of records: a
// compression bomb. The process dies, restarts, reads the same batch and dies again: one batch from
// anyone who can write to the topic stops ingestion and detection for good.
//
// Two limits hold the memory a fetch can take:
// - per batch: no batch is decompressed past `maxBytes` (the codecs in codecs.ts check a bound of the
//   output before decompressing; gzip stops at the limit), nor read when it says it holds more than
//   `maxRecords` records (about 400 bytes of heap each as kafkajs objects). Such a batch is not read: it
//   becomes one record at the batch's last offset, marked out of band (unreadBatch() gives the reason; no
//   producer can set the mark), which the ingester dead-letters with the batch's offsets.
// - per fetch: kafkajs keeps every batch of a fetch at once, and a bomb split into many batches just under
//   the limits passes the first (forty of 15 MB in one fetch: 971 MB), as does a flood of tiny records
//   (four partitions of 100,000 one-byte records: the ingester ran out of its 144 MB heap). So past the
//   fetch's first batch, no batch is read once the fetch's batches hold `maxBytes` (headers count their
//   bytes and 64 more each), or when its records (checked before it is read) would take the fetch past
//   `maxRecords`; the consumer fetches it next time. One partition per fetch, drawn at random, reads its
//   first batch anyway, so that a flood on one partition only slows the others. A fetch from one broker
//   holds at most twice the record limit and three times the byte limit (a batch's decompressed size is
//   known only once read); each broker is fetched from at once.
//
// kafkajs has no hook for this: its fetch responses' message decoder (`decodeMessages`, shared by fetch
// versions 4 to 11) is replaced in the module cache before the first fetch loads the response decoders
// that require it (they are loaded lazily), and its record decoder by a linear one (record-decoder.ts).
// The same decoder leaves out the records of aborted transactions (aborted-transactions.ts).
// Checked against kafkajs 2.2.4 (test/unit/kafka-batch-guard.test.ts decodes real batches through
// kafkajs's own decoders). Kafka's old message formats (magic 0 and 1, brokers before 0.11) are read by
// kafkajs as before, unguarded: Kafka 3 stores only record batches.
import { InsiderError } from '../errors';
import { abortedListOf, leaveOutAborted, trackArrays } from './aborted-transactions';
import { BatchTooLarge, batchLimits, setBatchLimits, type BatchLimits } from './batch-limits';
import { headerBytes, linearRecordDecoder, type KafkaDecoder, type LongType } from './record-decoder';

export { batchLimits, BatchTooLarge, type BatchLimits } from './batch-limits';

// The mark of a record that stands for a batch that was not read. A symbol, not a header: nothing that
// comes off the wire can carry it.
const UNREAD = Symbol('insider.unreadBatch');

/** Why the batch this record stands for was not read, or undefined for a record read from the wire. */
export function unreadBatch(message: object): string | undefined {
  return (message as { [UNREAD]?: string })[UNREAD];
}

interface DecodedRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | null | Array<Buffer | null>>;
  /** The same object for every record of a batch. */
  batchContext?: object;
}
type RecordBatchDecoder = (decoder: KafkaDecoder) => Promise<{ records: DecodedRecord[] }>;

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const TRANSACTIONAL_FLAG = 0x10;
const CONTROL_FLAG = 0x20;
const LOG_APPEND_TIME_FLAG = 0x8;
// Offsets in a record batch, from its first byte (FirstOffset): Kafka's RecordBatch v2 layout.
const AT = { length: 8, leaderEpoch: 12, attributes: 21, lastOffsetDelta: 23, firstTimestamp: 27, maxTimestamp: 35, producerId: 43, producerEpoch: 51, firstSequence: 53, count: 57, records: 61 };

/** Wraps kafkajs's record-batch decoder: a batch past the per-batch limits becomes one unread-batch record. */
export function guardedDecoder(original: RecordBatchDecoder): RecordBatchDecoder {
  return async (decoder) => {
    const start = decoder.offset;
    const b = decoder.buffer;
    // A batch cut short by the fetch size: kafkajs's own handling (a partial batch ends the data).
    if (b.length - start < AT.records) return original(decoder);
    const end = start + AT.leaderEpoch + b.readInt32BE(start + AT.length);
    const attributes = b.readInt16BE(start + AT.attributes);
    const codec = attributes & 0x7;
    // A length that does not cover the batch's header (never from a broker) is left to kafkajs too:
    // skipping to `end` could move the decoder backwards, for ever.
    if (end > b.length || end < start + AT.records || attributes & CONTROL_FLAG) return original(decoder);
    const count = b.readInt32BE(start + AT.count);
    const { maxRecords } = batchLimits();
    let why: string | undefined;
    if (count > maxRecords) why = `${CODECS[codec] ?? codec} batch of ${count} records (the limit: ${maxRecords})`;
    else {
      try {
        return await original(decoder);
      } catch (err) {
        if (!(err instanceof BatchTooLarge)) throw err;
        why = `${err.message}, ${count} records`;
      }
    }
    decoder.offset = end;
    return unreadRecord(b, start, attributes, why);
  };
}

/** The one record, at the batch's last offset, that stands for a batch that was not read. */
function unreadRecord(b: Buffer, start: number, attributes: number, why: string) {
  const firstOffset = b.readBigInt64BE(start);
  const lastOffsetDelta = b.readInt32BE(start + AT.lastOffsetDelta);
  const first = firstOffset.toString();
  const last = (firstOffset + BigInt(lastOffsetDelta)).toString();
  const logAppendTime = (attributes & LOG_APPEND_TIME_FLAG) > 0;
  const batchContext = {
    firstOffset: first,
    firstTimestamp: b.readBigInt64BE(start + AT.firstTimestamp).toString(),
    partitionLeaderEpoch: b.readInt32BE(start + AT.leaderEpoch),
    inTransaction: (attributes & TRANSACTIONAL_FLAG) > 0,
    isControlBatch: false,
    lastOffsetDelta,
    producerId: b.readBigInt64BE(start + AT.producerId).toString(),
    producerEpoch: b.readInt16BE(start + AT.producerEpoch),
    firstSequence: b.readInt32BE(start + AT.firstSequence),
    maxTimestamp: b.readBigInt64BE(start + AT.maxTimestamp).toString(),
    timestampType: logAppendTime ? 1 : 0,
  };
  // The batch's last record's timestamp is not known unread: its latest (the broker's, with LogAppendTime).
  const record = {
    magicByte: 2,
    attributes: 0,
    timestamp: batchContext.maxTimestamp,
    offset: last,
    key: null,
    value: null,
    headers: {},
    isControlRecord: false,
    batchContext,
    [UNREAD]: `a record batch too large to read, offsets ${first}-${last}, was skipped: ${why}`,
  };
  return { ...batchContext, records: [record] };
}

/** What the guard needs of kafkajs's protocol modules. */
export interface KafkaProtocol {
  Decoder: new (buffer: Buffer) => KafkaDecoder;
  decodeRecordBatch: RecordBatchDecoder;
  decodeMessageSet: (decoder: KafkaDecoder, size: number) => Promise<unknown[]>;
  recordBatchMagic: number;
}

// kafkajs's constants: the magic byte is at the same offset in every message format; a record batch's
// fixed part is 49 bytes past its length.
const MAGIC_OFFSET = 16;
const RECORD_BATCH_OVERHEAD = 49;

/**
 * kafkajs's decodeMessages (one partition's data of a fetch response) with the per-batch limits and a
 * budget per fetch: `fetch` is the response's decoder, the same object for every partition of a response.
 */
export function guardedMessages(kafka: KafkaProtocol, random: () => number = Math.random) {
  const decodeBatch = guardedDecoder(kafka.decodeRecordBatch);
  const spent = new WeakMap<object, { bytes: number; records: number; partitions: number; turn: number }>();
  // A broker answers its partitions in the order asked, always the same (kafkajs has no fetch session):
  // past the limits, the partition at a position drawn at random for each answer reads its first batch
  // anyway, so that a flood on one partition only slows the others (each gets a turn in about `widest`
  // answers; `widest`, the most partitions one answer held in this process, does not shrink). Drawn, not
  // rotated: answers of several brokers interleave, and a rotation shared by them can fall into step and
  // skip a position for good. The position is in the answer (kafkajs reads the partition's id just
  // before this is called), counted over every partition, with data or not.
  let widest = 1;
  return async (fetch: KafkaDecoder): Promise<unknown[]> => {
    let budget = spent.get(fetch);
    if (!budget) spent.set(fetch, (budget = { bytes: 0, records: 0, partitions: 0, turn: Math.floor(random() * widest) }));
    const ordinal = budget.partitions++;
    widest = Math.max(widest, budget.partitions);
    // The partition's aborted transactions, read by kafkajs just before its records (aborted-transactions.ts).
    const aborted = abortedListOf(fetch);
    const size = fetch.readInt32();
    if (size <= 0 || !fetch.canReadBytes(size)) return [];
    const data = fetch.readBytes(size);
    const decoder = new kafka.Decoder(data);
    if (data.length <= MAGIC_OFFSET || data.readInt8(MAGIC_OFFSET) !== kafka.recordBatchMagic) return kafka.decodeMessageSet(decoder, size);
    const records: DecodedRecord[] = [];
    const { maxBytes, maxRecords } = batchLimits();
    for (let batches = 0; decoder.canReadBytes(RECORD_BATCH_OVERHEAD); batches++) {
      // Past the fetch's first batch, a batch waits for the next fetch once the fetch holds the limits or
      // its records would pass them (a batch over the record limit is read as one record).
      const claimed = decoder.canReadBytes(AT.records) ? decoder.buffer.readInt32BE(decoder.offset + AT.count) : 0;
      const cost = claimed > maxRecords ? 1 : Math.max(claimed, 0);
      const fetchStart = budget.bytes === 0 && budget.records === 0;
      const turn = batches === 0 && ordinal === budget.turn;
      if (!fetchStart && !turn && (budget.bytes >= maxBytes || budget.records + cost > maxRecords)) break;
      let batch;
      try {
        batch = await decodeBatch(decoder);
      } catch (err) {
        // The tail of a partition's data can be a partial batch (the fetch's size limits): the end of the data.
        if ((err as Error).name === 'KafkaJSPartialMessageError') break;
        throw err;
      }
      // One at a time: kafkajs's push(...records) runs out of stack past about 120,000 records.
      for (const record of batch.records) {
        records.push(record);
        budget.records++;
        budget.bytes += (record.key?.length ?? 0) + (record.value?.length ?? 0);
      }
      // The batch's headers, as the record decoder charged them while it read them (their bytes and 64
      // more each): not walked again here.
      const context = batch.records[0]?.batchContext;
      if (context) budget.bytes += headerBytes(context);
    }
    if (aborted) leaveOutAborted(records, aborted);
    return records;
  };
}

/* eslint-disable @typescript-eslint/no-require-imports -- kafkajs's internal modules, loaded to be replaced */
const MESSAGES = 'kafkajs/src/protocol/requests/fetch/v4/decodeMessages';
const RECORD_BATCH = 'kafkajs/src/protocol/recordBatch/v0/decoder';
const RECORD = 'kafkajs/src/protocol/recordBatch/record/v0/decoder';
let guarded = false;

/** Installs the guard (once per process; the limits can change later); call before any consumer fetches. */
export function guardRecordBatches(options: Partial<BatchLimits> = {}): void {
  setBatchLimits(options);
  if (guarded) return;
  for (const name of [MESSAGES, RECORD_BATCH]) {
    if (require.resolve(name) in require.cache) {
      throw new InsiderError('KAFKA_BATCH_GUARD', 'kafkajs fetched before its record batches were guarded (call guardRecordBatches before any consumer runs)');
    }
  }
  trackArrays(require('kafkajs/src/protocol/decoder'));
  // Loaded (not imported) to put each module in the cache, whose exports are then replaced: the record
  // decoder before the batch decoder that requires it, decodeMessages before the response decoders that
  // require it (loaded with the first fetch).
  replaceExports(RECORD, linearRecordDecoder(require('kafkajs/src/utils/long') as LongType));
  replaceExports(MESSAGES, guardedMessages({
    Decoder: require('kafkajs/src/protocol/decoder'),
    decodeRecordBatch: require('kafkajs/src/protocol/recordBatch/v0/decoder'),
    decodeMessageSet: require('kafkajs/src/protocol/messageSet/decoder'),
    recordBatchMagic: require('kafkajs/src/protocol/recordBatch/v0').MAGIC_BYTE,
  }));
  guarded = true;
}

function replaceExports(name: string, exports: unknown): void {
  require(name);
  const module = require.cache[require.resolve(name)];
  if (!module) throw new InsiderError('KAFKA_BATCH_GUARD', `cannot find ${name} in the module cache`);
  module.exports = exports;
}
/* eslint-enable @typescript-eslint/no-require-imports */
