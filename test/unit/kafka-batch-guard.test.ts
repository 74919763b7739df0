// Compression bombs (src/kafka/batch-guard.ts, codecs.ts): a compressed batch is not decompressed past the
// limit, nor read when it holds too many records; it becomes one record that says so, at the batch's last
// offset, and the batches after it are read as before. Batches are encoded by kafkajs's own encoder and
// decoded by its own decoder, wrapped as the product wraps it (kafkajs 2.2.4).
import zlib from 'node:zlib';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { compressFrameSync } from 'lz4-napi';
import { compressSync } from 'snappy';
import { Encoder as ZstdEncoder } from '@toondepauw/node-zstd';
import { batchLimits, BatchTooLarge, guardedDecoder, guardRecordBatches, UNREAD_BATCH_HEADER } from '../../src/kafka/batch-guard';
import { lz4Bound, registerCodecs, zstdBound } from '../../src/kafka/codecs';

/* eslint-disable @typescript-eslint/no-require-imports */
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0');
const Record = require('kafkajs/src/protocol/recordBatch/record/v0');
const Decoder = require('kafkajs/src/protocol/decoder');
const decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder');
/* eslint-enable @typescript-eslint/no-require-imports */

type Codecs = Record<number, () => { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> }>;
const codecs = CompressionCodecs as unknown as Codecs;
const MB = 1 << 20;

describe('compressed batches past the limits', () => {
  const limit = batchLimits().maxBytes;
  const zstdEncoder = new ZstdEncoder(3);
  beforeAll(() => {
    registerCodecs();
    // The product only decompresses; the tests produce too.
    const decompressors = { zstd: codecs[CompressionTypes.ZSTD](), lz4: codecs[CompressionTypes.LZ4](), snappy: codecs[CompressionTypes.Snappy]() };
    codecs[CompressionTypes.ZSTD] = () => ({ compress: async (e) => zstdEncoder.encodeSync(e.buffer), decompress: (b) => decompressors.zstd.decompress(b) });
    codecs[CompressionTypes.LZ4] = () => ({ compress: async (e) => compressFrameSync(e.buffer), decompress: (b) => decompressors.lz4.decompress(b) });
    codecs[CompressionTypes.Snappy] = () => ({ compress: async (e) => compressSync(e.buffer) as Buffer, decompress: (b) => decompressors.snappy.decompress(b) });
  });

  /** A batch of `n` records of `valueBytes` bytes each, compressed, at `firstOffset`. */
  async function batch(compression: CompressionTypes, n: number, valueBytes: number, firstOffset: number): Promise<Buffer> {
    const value = Buffer.alloc(valueBytes, 'a');
    const records = Array.from({ length: n }, (_, i) => Record({ offsetDelta: i, key: Buffer.from('k'), value }));
    const encoded = await RecordBatch({ compression, firstOffset: BigInt(firstOffset), lastOffsetDelta: n - 1, records });
    return encoded.buffer;
  }
  const guarded = guardedDecoder(decodeRecordBatch);

  for (const [name, compression] of [['gzip', CompressionTypes.GZIP], ['snappy', CompressionTypes.Snappy], ['lz4', CompressionTypes.LZ4], ['zstd', CompressionTypes.ZSTD]] as const) {
    it(`${name}: a batch that decompresses past the limit is one record saying so; the next batch reads as before`, async () => {
      const bomb = await batch(compression, Math.ceil(limit / MB) + 8, MB, 100);
      // Small on the wire: what Kafka's size limits see.
      expect(bomb.length).toBeLessThan(limit / 16);
      const next = await batch(compression, 3, 100, 100 + Math.ceil(limit / MB) + 8);
      const decoder = new Decoder(Buffer.concat([bomb, next]));
      const skipped = await guarded(decoder);
      const last = String(100 + Math.ceil(limit / MB) + 7);
      expect(skipped.records).toEqual([expect.objectContaining({ offset: last, key: null, headers: { [UNREAD_BATCH_HEADER]: expect.any(Buffer) } })]);
      const reason = String((skipped.records[0] as { headers: Record<string, Buffer> }).headers[UNREAD_BATCH_HEADER]);
      expect(reason).toMatch(new RegExp(`^a compressed batch too large to read, offsets 100-${last}, was skipped: the ${name} batch decompresses to more than ${limit} bytes`));
      const read = await guarded(decoder);
      expect((read.records as Array<{ offset: string; value: Buffer }>).map((r) => [r.offset, r.value.length])).toEqual([0, 1, 2].map((i) => [String(Number(last) + 1 + i), 100]));
    });
  }

  it('a batch under the limits is read exactly as kafkajs reads it', async () => {
    for (const compression of [CompressionTypes.None, CompressionTypes.GZIP, CompressionTypes.ZSTD, CompressionTypes.LZ4, CompressionTypes.Snappy]) {
      const b = await batch(compression, 50, 2000, 7);
      const mine = await guarded(new Decoder(b));
      const theirs = await decodeRecordBatch(new Decoder(b));
      expect({ compression, records: mine.records }).toEqual({ compression, records: theirs.records });
    }
  });

  it('a compressed batch that says it holds more records than the limit is not decompressed', async () => {
    const many = await batch(CompressionTypes.ZSTD, 1000, 1, 0);
    const { maxRecords } = batchLimits();
    guardRecordBatches({ maxRecords: 999 });
    try {
      const read = await guarded(new Decoder(many));
      expect(read.records).toHaveLength(1);
      expect(String((read.records[0] as { value: Buffer }).value)).toContain('zstd batch of 1000 records (the limit: 999)');
    } finally {
      guardRecordBatches({ maxRecords });
    }
  });

  it('bounds what zstd and lz4 frames decompress to from their block headers, never below the truth', () => {
    for (const size of [0, 1, 1000, 200_000, 3 * MB]) {
      const data = Buffer.alloc(size);
      for (let i = 0; i < size; i++) data[i] = (i * 7919) % 251;
      expect(zstdBound(zstdEncoder.encodeSync(data), Infinity)).toBeGreaterThanOrEqual(size);
      expect(zstdBound(zstdEncoder.encodeSync(data), Infinity)).toBeLessThanOrEqual(size + 256 * 1024);
      expect(lz4Bound(compressFrameSync(data), Infinity)).toBeGreaterThanOrEqual(size);
    }
    // A frame the zstd command line tool wrote, "hello zstd\n" (the codecs test's fixture).
    const cli = Buffer.from('KLUv/QRYWQAAaGVsbG8genN0ZApsV/lR', 'base64');
    expect(zstdBound(cli, Infinity)).toBeGreaterThanOrEqual(11);
  });

  it('gzip stops decompressing at the limit', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(limit + 1));
    await expect(codecs[CompressionTypes.GZIP]().decompress(bomb)).rejects.toBeInstanceOf(BatchTooLarge);
    expect((await codecs[CompressionTypes.GZIP]().decompress(zlib.gzipSync(Buffer.from('fine')))).toString()).toBe('fine');
  });
});
