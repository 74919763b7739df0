// The compression codecs Kafka producers use, for every consumer of the product. kafkajs ships only
// gzip; without these a snappy, lz4 or zstd batch (Kafka's Java producer, rsyslog's omkafka, Vector...)
// stops the consumer on every partition (issue 14). Consumers only decompress; the product's own
// producers (replay, dead letters) send uncompressed, so compressing is refused with a clear error.
//
//   snappy: `snappy` (napi-rs; its binary ships as a registry package). Java producers write xerial
//           framing (a magic header, then length-prefixed raw snappy chunks); others write raw snappy.
//   lz4:    `lz4-napi` (napi-rs, lz4_flex): Kafka's batches are the standard LZ4 frame format.
//   zstd:   `@toondepauw/node-zstd` (napi-rs, the zstd crate; its binary ships as a registry package).
//           Node 20 has no zstd. A pure-JavaScript decoder (fzstd) took about 1 ms per frame (it sets up
//           the window for every frame): a shipper's small batches, thousands per fetch, then blocked
//           the consumer past its session timeout, again on every re-read. Native: about 0.04 ms.
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { decompressFrameSync } from 'lz4-napi';
import { uncompressSync } from 'snappy';
import { Decoder as ZstdDecoder } from '@toondepauw/node-zstd';
import { InsiderError } from '../errors';
import { BatchTooLarge, batchLimits, guardRecordBatches, type BatchLimits } from './batch-guard';

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16; // magic, version (int32), compatible version (int32)

/** A batch that cannot be decompressed: a corrupt or truncated payload. */
export class CodecError extends InsiderError {
  constructor(codec: string, message: string, cause?: unknown) {
    super('KAFKA_CODEC_FAILED', `${codec}: ${message}`, { context: { codec }, cause });
  }
}

/** The uncompressed length a raw snappy block starts with (a little-endian base-128 varint). */
function snappyLength(data: Buffer, at: number, end: number): number {
  let n = 0;
  for (let shift = 0, i = at; i < end && shift < 35; i++, shift += 7) {
    n += (data[i] & 0x7f) * 2 ** shift;
    if (data[i] < 0x80) return n;
  }
  throw new CodecError('snappy', 'no uncompressed length at the start of a block');
}

/** Raw snappy, or the xerial framing of Java producers: chunks of raw snappy, each checked against the limit first. */
export function snappyDecompress(data: Buffer): Buffer {
  const { maxBytes } = batchLimits();
  if (data.length < XERIAL_HEADER_BYTES || !data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) {
    const length = snappyLength(data, 0, data.length);
    if (length > maxBytes) throw BatchTooLarge.decompressing('snappy', length);
    return Buffer.from(uncompressSync(data) as Buffer);
  }
  const chunks: Array<[number, number]> = [];
  let total = 0;
  let at = XERIAL_HEADER_BYTES;
  while (at < data.length) {
    if (at + 4 > data.length) throw new CodecError('snappy', `truncated xerial chunk header at byte ${at}`);
    const size = data.readUInt32BE(at);
    at += 4;
    if (at + size > data.length) throw new CodecError('snappy', `xerial chunk of ${size} bytes runs past the end of the batch`);
    total += snappyLength(data, at, at + size);
    if (total > maxBytes) throw BatchTooLarge.decompressing('snappy', total);
    chunks.push([at, at + size]);
    at += size;
  }
  return Buffer.concat(chunks.map(([a, b]) => uncompressSync(data.subarray(a, b)) as Buffer));
}

const SKIPPABLE = (magic: number) => (magic & 0xfffffff0) >>> 0 === 0x184d2a50;

/** A cursor over compressed frames that fails with a CodecError where the data ends too soon. */
interface FrameCursor {
  data: Buffer;
  at: number;
  need(n: number): void;
}

/**
 * An upper bound of what concatenated frames (LZ4 or zstd; skippable frames passed over) decompress to,
 * from their headers alone: `frame` reads one frame at the cursor and returns its bound. Stops once past `max`.
 */
function framesBound(codec: string, data: Buffer, max: number, magic: number, frame: (c: FrameCursor) => number): number {
  const cursor: FrameCursor = {
    data,
    at: 0,
    need(n) {
      if (this.at + n > data.length) throw new CodecError(codec, `frame cut short at byte ${this.at}`);
    },
  };
  let total = 0;
  while (cursor.at < data.length && total <= max) {
    cursor.need(4);
    const found = data.readUInt32LE(cursor.at);
    if (SKIPPABLE(found)) {
      cursor.need(8);
      cursor.at += 8 + data.readUInt32LE(cursor.at + 4);
      continue;
    }
    if (found !== magic) throw new CodecError(codec, `not a ${codec} frame`);
    total += frame(cursor);
  }
  return total;
}

const LZ4_MAGIC = 0x184d2204;
const LZ4_BLOCK_MAX = [0, 0, 0, 0, 64 << 10, 256 << 10, 1 << 20, 4 << 20];

/** Of an LZ4 frame: an uncompressed block gives its size, a compressed one at most the frame's block size. */
export function lz4Bound(data: Buffer, max: number): number {
  return framesBound('lz4', data, max, LZ4_MAGIC, (c) => {
    c.need(7);
    const flags = c.data[c.at + 4];
    const blockMax = LZ4_BLOCK_MAX[(c.data[c.at + 5] >> 4) & 7];
    if (!blockMax) throw new CodecError('lz4', 'a frame with an unknown block size');
    c.at += 6 + (flags & 0x08 ? 8 : 0) + (flags & 0x01 ? 4 : 0) + 1;
    let total = 0;
    for (;;) {
      c.need(4);
      const word = c.data.readUInt32LE(c.at);
      c.at += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      total += word & 0x80000000 ? size : blockMax;
      c.at += size + (flags & 0x10 ? 4 : 0);
      if (total > max) return total;
    }
    if (flags & 0x04) c.at += 4;
    return total;
  });
}

export function lz4Decompress(data: Buffer): Buffer {
  const bound = lz4Bound(data, batchLimits().maxBytes);
  if (bound > batchLimits().maxBytes) throw BatchTooLarge.decompressing('lz4', bound);
  return decompressFrameSync(data);
}

const ZSTD_MAGIC = 0xfd2fb528;
/** The most one block of a zstd frame decompresses to (Block_Maximum_Size, RFC 8878). */
const ZSTD_BLOCK_MAX = 128 << 10;

/** Of a zstd frame: a raw or RLE block gives its size, a compressed one at most 128 KiB. */
export function zstdBound(data: Buffer, max: number): number {
  return framesBound('zstd', data, max, ZSTD_MAGIC, (c) => {
    c.need(5);
    const descriptor = c.data[c.at + 4];
    const single = (descriptor >> 5) & 1;
    const contentSizeBytes = [single, 2, 4, 8][descriptor >> 6];
    c.at += 5 + (single ? 0 : 1) + [0, 1, 2, 4][descriptor & 3] + contentSizeBytes;
    let total = 0;
    for (;;) {
      c.need(3);
      const header = c.data[c.at] | (c.data[c.at + 1] << 8) | (c.data[c.at + 2] << 16);
      c.at += 3;
      const type = (header >> 1) & 3;
      const size = header >>> 3;
      if (type === 3) throw new CodecError('zstd', 'a block of the reserved type');
      total += type === 2 ? ZSTD_BLOCK_MAX : size;
      c.at += type === 1 ? 1 : size;
      if (total > max) return total;
      if (header & 1) break;
    }
    if ((descriptor >> 2) & 1) c.at += 4;
    return total;
  });
}

const zstd = new ZstdDecoder();

export function zstdDecompressBuffer(data: Buffer): Buffer {
  const bound = zstdBound(data, batchLimits().maxBytes);
  if (bound > batchLimits().maxBytes) throw BatchTooLarge.decompressing('zstd', bound);
  return zstd.decodeSync(data);
}

const unzip = promisify(zlib.unzip);
const gzip = promisify(zlib.gzip);

/** kafkajs's own gzip codec, with the decompressed size limited (zlib stops at it). */
function gzipCodec() {
  return {
    compress: (encoder: { buffer: Buffer }) => gzip(encoder.buffer),
    async decompress(data: Buffer): Promise<Buffer> {
      const { maxBytes } = batchLimits();
      try {
        return await unzip(data, { maxOutputLength: maxBytes });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw BatchTooLarge.decompressing('gzip', maxBytes + 1);
        throw new CodecError('gzip', `cannot decompress a batch: ${(err as Error).message}`, err);
      }
    },
  };
}

function decompressOnly(name: string, decompress: (data: Buffer) => Buffer) {
  return () => ({
    async compress(): Promise<Buffer> {
      throw new CodecError(name, 'this product only decompresses; produce uncompressed or with gzip');
    },
    async decompress(data: Buffer): Promise<Buffer> {
      try {
        return decompress(data);
      } catch (err) {
        if (err instanceof CodecError || err instanceof BatchTooLarge) throw err;
        throw new CodecError(name, `cannot decompress a batch: ${(err as Error).message}`, err);
      }
    },
  });
}

let registered = false;

/** Registers the codecs with kafkajs (a process-wide table) and guards its batches; called by createKafka, idempotent. */
export function registerCodecs(limits: Partial<BatchLimits> = {}): void {
  guardRecordBatches(limits);
  if (registered) return;
  registered = true;
  const codecs = CompressionCodecs as Record<number, unknown>;
  codecs[CompressionTypes.GZIP] = gzipCodec;
  codecs[CompressionTypes.Snappy] = decompressOnly('snappy', snappyDecompress);
  codecs[CompressionTypes.LZ4] = decompressOnly('lz4', lz4Decompress);
  codecs[CompressionTypes.ZSTD] = decompressOnly('zstd', zstdDecompressBuffer);
}
