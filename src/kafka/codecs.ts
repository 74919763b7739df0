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
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { decompressFrameSync } from 'lz4-napi';
import { uncompressSync } from 'snappy';
import { Decoder as ZstdDecoder } from '@toondepauw/node-zstd';
import { InsiderError } from '../errors';

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16; // magic, version (int32), compatible version (int32)

/** A batch that cannot be decompressed: a corrupt or truncated payload. */
export class CodecError extends InsiderError {
  constructor(codec: string, message: string, cause?: unknown) {
    super('KAFKA_CODEC_FAILED', `${codec}: ${message}`, { context: { codec }, cause });
  }
}

export function snappyDecompress(data: Buffer): Buffer {
  if (data.length < XERIAL_HEADER_BYTES || !data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) {
    return Buffer.from(uncompressSync(data) as Buffer);
  }
  const chunks: Buffer[] = [];
  let at = XERIAL_HEADER_BYTES;
  while (at < data.length) {
    if (at + 4 > data.length) throw new CodecError('snappy', `truncated xerial chunk header at byte ${at}`);
    const size = data.readUInt32BE(at);
    at += 4;
    if (at + size > data.length) throw new CodecError('snappy', `xerial chunk of ${size} bytes runs past the end of the batch`);
    chunks.push(uncompressSync(data.subarray(at, at + size)) as Buffer);
    at += size;
  }
  return Buffer.concat(chunks);
}

export function lz4Decompress(data: Buffer): Buffer {
  return decompressFrameSync(data);
}

const zstd = new ZstdDecoder();

export function zstdDecompressBuffer(data: Buffer): Buffer {
  return zstd.decodeSync(data);
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
        if (err instanceof CodecError) throw err;
        throw new CodecError(name, `cannot decompress a batch: ${(err as Error).message}`, err);
      }
    },
  });
}

let registered = false;

/** Registers the codecs with kafkajs (a process-wide table); called by createKafka, idempotent. */
export function registerCodecs(): void {
  if (registered) return;
  registered = true;
  const codecs = CompressionCodecs as Record<number, unknown>;
  codecs[CompressionTypes.Snappy] = decompressOnly('snappy', snappyDecompress);
  codecs[CompressionTypes.LZ4] = decompressOnly('lz4', lz4Decompress);
  codecs[CompressionTypes.ZSTD] = decompressOnly('zstd', zstdDecompressBuffer);
}
