// A compressed record batch is read whole: kafkajs decompresses it into one buffer and makes an object of
// every record in it. Kafka's size limits apply to the compressed batch, so a batch that is small on the
// wire can hold hundreds of megabytes (400 records of 1 MB of one letter: zstd makes them a few kilobytes;
// the ingester's peak RSS went to 672 MB, past the chart's 512 MiB limit) or millions of records: a
// compression bomb. The process dies, restarts, reads the same batch and dies again: one batch from
// anyone who can write to the topic stops ingestion and detection for good.
//
// So no compressed batch is decompressed past `maxBytes` (the codecs in codecs.ts check a bound of the
// output before decompressing; gzip stops at the limit), nor read when it says it holds more than
// `maxRecords` records. Such a batch is not read: it becomes one record at the batch's last offset whose
// header UNREAD_BATCH_HEADER says what was skipped and why, which the ingester dead-letters (nothing is
// dropped silently; the dead letter names the offsets) and the consumers then go on past it.
//
// kafkajs has no hook for this: its record-batch decoder module is replaced by a wrapper (guardRecordBatches)
// before the first fetch loads the fetch response decoders that require it (they are loaded lazily).
// Checked against kafkajs 2.2.4 (test/unit/kafka-batch-guard.test.ts decodes real batches through it).
import { InsiderError } from '../errors';

/** The header of the record that stands for a batch that was not read; its value says why. */
export const UNREAD_BATCH_HEADER = 'insider-unread-batch';

export interface BatchLimits {
  /** Decompressed bytes of one record batch (default 64 MiB). */
  maxBytes: number;
  /** Records in one compressed record batch (default 1,000,000). */
  maxRecords: number;
}

const limits: BatchLimits = { maxBytes: 64 * 1024 * 1024, maxRecords: 1_000_000 };

export function batchLimits(): Readonly<BatchLimits> {
  return limits;
}

/** A codec found the batch's output would pass maxBytes; thrown before it is decompressed. */
export class BatchTooLarge extends InsiderError {
  constructor(codec: string, atLeast: number) {
    super('KAFKA_BATCH_TOO_LARGE', `the ${codec} batch decompresses to more than ${limits.maxBytes} bytes, the limit (at least ${atLeast})`, { context: { codec, atLeast } });
  }
}

/** kafkajs's Decoder, as far as the wrapper uses it. */
interface FetchDecoder {
  buffer: Buffer;
  offset: number;
}
type RecordBatchDecoder = (decoder: FetchDecoder) => Promise<{ records: unknown[] }>;

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const TRANSACTIONAL_FLAG = 0x10;
const CONTROL_FLAG = 0x20;
const LOG_APPEND_TIME_FLAG = 0x8;
// Offsets in a record batch, from its first byte (FirstOffset): Kafka's RecordBatch v2 layout.
const AT = { length: 8, leaderEpoch: 12, attributes: 21, lastOffsetDelta: 23, firstTimestamp: 27, maxTimestamp: 35, producerId: 43, producerEpoch: 51, firstSequence: 53, count: 57, records: 61 };

/** Wraps kafkajs's record-batch decoder: batches past the limits become one UNREAD_BATCH_HEADER record. */
export function guardedDecoder(original: RecordBatchDecoder): RecordBatchDecoder {
  return async (decoder) => {
    const start = decoder.offset;
    const b = decoder.buffer;
    // A batch cut short by the fetch size, or not compressed: kafkajs's own handling.
    if (b.length - start < AT.records) return original(decoder);
    const end = start + AT.leaderEpoch + b.readInt32BE(start + AT.length);
    const attributes = b.readInt16BE(start + AT.attributes);
    const codec = attributes & 0x7;
    if (end > b.length || codec === 0 || attributes & CONTROL_FLAG) return original(decoder);
    const count = b.readInt32BE(start + AT.count);
    let why: string | undefined;
    if (count > limits.maxRecords) why = `${CODECS[codec] ?? codec} batch of ${count} records (the limit: ${limits.maxRecords})`;
    else {
      try {
        return await original(decoder);
      } catch (err) {
        if (!(err instanceof BatchTooLarge)) throw err;
        why = `${err.message}, ${count} records`;
      }
    }
    decoder.offset = end;
    const firstOffset = b.readBigInt64BE(start);
    const lastOffsetDelta = b.readInt32BE(start + AT.lastOffsetDelta);
    const first = firstOffset.toString();
    const last = (firstOffset + BigInt(lastOffsetDelta)).toString();
    const reason = `a compressed batch too large to read, offsets ${first}-${last}, was skipped: ${why}`;
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
      timestampType: (attributes & LOG_APPEND_TIME_FLAG) > 0 ? 1 : 0,
    };
    const value = Buffer.from(reason);
    const record = { magicByte: 2, attributes: 0, timestamp: batchContext.firstTimestamp, offset: last, key: null, value, headers: { [UNREAD_BATCH_HEADER]: value }, isControlRecord: false, batchContext };
    return { ...batchContext, records: [record] };
  };
}

const DECODER = 'kafkajs/src/protocol/recordBatch/v0/decoder';
const FETCH_DECODER = 'kafkajs/src/protocol/requests/fetch/v4/decodeMessages';
let guarded = false;

/** Installs the wrapper (once per process); call before any consumer fetches. */
export function guardRecordBatches(options: Partial<BatchLimits> = {}): void {
  Object.assign(limits, options);
  if (guarded) return;
  const decoderPath = require.resolve(DECODER);
  if (require.cache[require.resolve(FETCH_DECODER)]) {
    throw new InsiderError('KAFKA_BATCH_GUARD', 'kafkajs fetched before its record batches were guarded (call guardRecordBatches before any consumer runs)');
  }
  // Loaded (not imported) only to put it in the module cache, whose entry is then replaced.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(DECODER);
  const module = require.cache[decoderPath];
  if (!module) throw new InsiderError('KAFKA_BATCH_GUARD', `cannot find ${DECODER} in the module cache`);
  module.exports = guardedDecoder(module.exports as RecordBatchDecoder);
  guarded = true;
}
