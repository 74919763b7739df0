// kafkajs's record decoder builds each record's headers with one object spread per header: quadratic
// in their number. One record with 20,000 headers (12 kB of zstd, 160 kB read) took 68 s to decode:
// past the session timeout, then read again, for ever. This one is linear and gives the same records
// (but for headers named like Object.prototype's members, which kafkajs mixes up with them);
// a batch may carry at most HEADERS_PER_RECORD headers per record of the record limit (they cost memory
// like small records), and a header count the record's bytes cannot hold is refused (kafkajs would loop
// on it). Installed by batch-guard.ts.
import { BatchTooLarge, batchLimits } from './batch-limits';

/** kafkajs's Decoder (protocol/decoder), as far as the guard (batch-guard.ts) and the record decoder use it. */
export interface KafkaDecoder {
  buffer: Buffer;
  offset: number;
  readInt8(): number;
  readInt32(): number;
  readVarInt(): number;
  readVarLong(): unknown;
  readVarIntBytes(): Buffer | null;
  readVarIntString(): string | null;
  canReadBytes(n: number): boolean;
  readBytes(n: number): Buffer;
}
/** kafkajs's Long (utils/long), as far as records use it. */
export interface LongType {
  fromValue(v: unknown): { add(x: unknown): { toString(): string } };
}
interface BatchContext {
  firstOffset?: string;
  firstTimestamp?: string;
  magicByte?: number;
  isControlBatch?: boolean;
  timestampType?: number;
  maxTimestamp?: string;
}
type HeaderValue = Buffer | null | Array<Buffer | null>;

const LOG_APPEND_TIME = 1;
/** Tracing and shippers add a few headers to each message; ten per record of the limit leaves room. */
export const HEADERS_PER_RECORD = 10;
/** What a header costs against a fetch's byte limit beyond its name's and value's bytes (its objects), about. */
const HEADER_COST = 64;

// Headers read per batch, their number and what they cost: kafkajs gives every record of a batch the
// same context object.
const headersOf = new WeakMap<object, { count: number; bytes: number }>();

/** What the headers read so far of the batch whose records share `batchContext` cost against a fetch's byte limit. */
export function headerBytes(batchContext: object): number {
  return headersOf.get(batchContext)?.bytes ?? 0;
}

export function linearRecordDecoder(Long: LongType) {
  return (decoder: KafkaDecoder, batchContext: BatchContext = {}) => {
    const { firstOffset, firstTimestamp, magicByte, isControlBatch = false, timestampType, maxTimestamp } = batchContext;
    const attributes = decoder.readInt8();
    const timestampDelta = decoder.readVarLong();
    const timestamp = timestampType === LOG_APPEND_TIME && maxTimestamp ? maxTimestamp : Long.fromValue(firstTimestamp).add(timestampDelta).toString();
    const offset = Long.fromValue(firstOffset).add(decoder.readVarInt()).toString();
    const key = decoder.readVarIntBytes();
    const value = decoder.readVarIntBytes();
    const count = Math.max(decoder.readVarInt(), 0);
    // A header takes two bytes at least (an empty key and value).
    if (count * 2 > decoder.buffer.length - decoder.offset) throw new BatchTooLarge(`a record of offset ${offset} says it has ${count} headers, more than its bytes can hold`);
    let seen = headersOf.get(batchContext);
    if (!seen) headersOf.set(batchContext, (seen = { count: 0, bytes: 0 }));
    seen.count += count;
    const most = HEADERS_PER_RECORD * batchLimits().maxRecords;
    if (seen.count > most) throw new BatchTooLarge(`its records carry more than ${most} headers (${HEADERS_PER_RECORD} times kafka.maxBatchRecords)`);
    const headers: Record<string, HeaderValue> = {};
    for (let i = 0; i < count; i++) {
      const name = String(decoder.readVarIntString());
      const v = decoder.readVarIntBytes();
      seen.bytes += HEADER_COST + Buffer.byteLength(name) + (v?.length ?? 0);
      const had = Object.prototype.hasOwnProperty.call(headers, name) ? headers[name] : undefined;
      const next = had === undefined ? v : Array.isArray(had) ? (had.push(v), had) : [had, v];
      // Defined, not assigned: a header named __proto__ is a header, not the object's prototype.
      Object.defineProperty(headers, name, { value: next, enumerable: true, writable: true, configurable: true });
    }
    return { magicByte, attributes, timestamp, offset, key, value, headers, isControlRecord: isControlBatch, batchContext };
  };
}
