// Compression bombs (src/kafka/batch-guard.ts, codecs.ts): a compressed batch is not decompressed past the
// limit, nor read when it holds too many records; it becomes one record that says so, at the batch's last
// offset, and the batches after it are read as before. Batches are encoded by kafkajs's own encoder and
// decoded by its own decoder, wrapped as the product wraps it (kafkajs 2.2.4).
import zlib from 'node:zlib';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { compressFrameSync } from 'lz4-napi';
import { compressSync } from 'snappy';
import { Encoder as ZstdEncoder } from '@toondepauw/node-zstd';
import { batchLimits, BatchTooLarge, guardedDecoder, guardedMessages, guardRecordBatches, unreadBatch } from '../../src/kafka/batch-guard';
import { lz4Bound, registerCodecs, zstdBound } from '../../src/kafka/codecs';

// Installed as the product installs it (createKafka): before kafkajs's record decoders are loaded.
registerCodecs();
/* eslint-disable @typescript-eslint/no-require-imports */
// kafkajs's own decoders, untouched by the guard (a module registry of their own), to compare with.
const kafkajs: { decodeRecordBatch: (d: unknown) => Promise<{ records: unknown[] }>; decodeRecord: (d: unknown, context: object) => Read; codecs: object } = {
  decodeRecordBatch: async () => ({ records: [] }),
  decodeRecord: () => ({}) as Read,
  codecs: {},
};
jest.isolateModules(() => {
  kafkajs.decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder');
  kafkajs.decodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/decoder');
  kafkajs.codecs = require('kafkajs/src/protocol/message/compression').Codecs;
});
const decodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/decoder');
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0');
const Record = require('kafkajs/src/protocol/recordBatch/record/v0');
const Decoder = require('kafkajs/src/protocol/decoder');
const decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder');
const decodeMessageSet = require('kafkajs/src/protocol/messageSet/decoder');
const { MAGIC_BYTE } = require('kafkajs/src/protocol/recordBatch/v0');
/* eslint-enable @typescript-eslint/no-require-imports */

type Read = { offset: string; key: Buffer | null; value: Buffer | null; timestamp: string; headers: Record<string, Buffer> };
type Codecs = Record<number, () => { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> }>;
const codecs = CompressionCodecs as unknown as Codecs;
const MB = 1 << 20;
const protocol = { Decoder, decodeRecordBatch, decodeMessageSet, recordBatchMagic: MAGIC_BYTE };
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
/** An encoded record's bytes as the batch decoder hands them to the record decoder (past its length). */
const recordBytes = (encoded: Buffer) => new Decoder(new Decoder(encoded).readVarIntBytes());
/** One partition's data in a fetch response: its size, then its batches. */
const partitionData = (batches: Buffer[]) => Buffer.concat([int32(batches.reduce((n, b) => n + b.length, 0)), ...batches]);

describe('compressed batches past the limits', () => {
  const limit = batchLimits().maxBytes;
  const zstdEncoder = new ZstdEncoder(3);
  beforeAll(() => {
    // The product only decompresses; the tests produce too.
    const decompressors = { zstd: codecs[CompressionTypes.ZSTD](), lz4: codecs[CompressionTypes.LZ4](), snappy: codecs[CompressionTypes.Snappy]() };
    codecs[CompressionTypes.ZSTD] = () => ({ compress: async (e) => zstdEncoder.encodeSync(e.buffer), decompress: (b) => decompressors.zstd.decompress(b) });
    codecs[CompressionTypes.LZ4] = () => ({ compress: async (e) => compressFrameSync(e.buffer), decompress: (b) => decompressors.lz4.decompress(b) });
    codecs[CompressionTypes.Snappy] = () => ({ compress: async (e) => compressSync(e.buffer) as Buffer, decompress: (b) => decompressors.snappy.decompress(b) });
    Object.assign(kafkajs.codecs, codecs);
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
      // Small on the wire, what Kafka's size limits see (snappy compresses at most about 21 times).
      expect(bomb.length).toBeLessThan(limit / 8);
      const next = await batch(compression, 3, 100, 100 + Math.ceil(limit / MB) + 8);
      const decoder = new Decoder(Buffer.concat([bomb, next]));
      const skipped = await guarded(decoder);
      const last = String(100 + Math.ceil(limit / MB) + 7);
      expect(skipped.records).toEqual([expect.objectContaining({ offset: last, key: null, value: null, headers: {} })]);
      expect(unreadBatch(skipped.records[0])).toMatch(new RegExp(`^a record batch too large to read, offsets 100-${last}, was skipped: the ${name} batch decompresses to more than ${limit} bytes`));
      const read = (await guarded(decoder)).records as Read[];
      expect(read.map((r) => [r.offset, r.value?.length, unreadBatch(r)])).toEqual([0, 1, 2].map((i) => [String(Number(last) + 1 + i), 100, undefined]));
    });
  }

  it('a batch under the limits is read exactly as kafkajs reads it', async () => {
    for (const compression of [CompressionTypes.None, CompressionTypes.GZIP, CompressionTypes.ZSTD, CompressionTypes.LZ4, CompressionTypes.Snappy]) {
      const b = await batch(compression, 50, 2000, 7);
      const mine = await guarded(new Decoder(b));
      const theirs = await kafkajs.decodeRecordBatch(new Decoder(b));
      expect({ compression, records: mine.records }).toEqual({ compression, records: theirs.records });
    }
  });

  it('a partition\'s batches, with a partial batch at the end, read as kafkajs reads them', async () => {
    const batches = [await batch(CompressionTypes.None, 3, 100, 0), await batch(CompressionTypes.ZSTD, 4, 100, 3), await batch(CompressionTypes.LZ4, 2, 100, 7)];
    const partial = (await batch(CompressionTypes.None, 5, 100, 9)).subarray(0, 80);
    const records = await guardedMessages(protocol)(new Decoder(partitionData([...batches, partial])));
    const theirs = [];
    for (const b of batches) theirs.push(...(await kafkajs.decodeRecordBatch(new Decoder(b))).records);
    expect(records).toEqual(theirs);
    expect((records as Read[]).map((r) => r.offset)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8']);
  });

  it('a fetch reads no further batch past the limits, of any partition; the next fetch reads on', async () => {
    // Batches just under the per-batch limit (1 MiB here): each passes it, together they would not.
    const bombs = await Promise.all([0, 1, 2, 3, 4].map((i) => batch(CompressionTypes.ZSTD, 6, 100_000, 6 * i)));
    const other = await batch(CompressionTypes.None, 2, 100, 50);
    await withLimits({ maxBytes: MB }, async () => {
      const messages = guardedMessages(protocol);
      const fetch = new Decoder(Buffer.concat([partitionData(bombs), partitionData([other])]));
      const first = (await messages(fetch)) as Read[];
      const second = (await messages(fetch)) as Read[];
      // 600 kB, then 1.2 MB: past the limit, so the third batch waits for the next fetch.
      expect(first.map((r) => Number(r.offset))).toEqual(Array.from({ length: 12 }, (_, i) => i));
      expect(first.every((r) => unreadBatch(r) === undefined && r.value?.length === 100_000)).toBe(true);
      // The other partition waits too: the fetch holds the limit.
      expect(second).toEqual([]);
      const next = (await messages(new Decoder(partitionData(bombs.slice(2))))) as Read[];
      expect(next.map((r) => Number(r.offset))).toEqual(Array.from({ length: 12 }, (_, i) => 12 + i));
    });
  });

  it('a batch waits for the next fetch when the records it claims would take the fetch past the limit', async () => {
    const a = await Promise.all([0, 1].map((i) => batch(CompressionTypes.None, 600, 1, 600 * i)));
    const b = await batch(CompressionTypes.None, 900, 1, 0);
    const c = await batch(CompressionTypes.None, 300, 1, 0);
    await withLimits({ maxRecords: 1000 }, async () => {
      const messages = guardedMessages(protocol);
      const fetch = new Decoder(Buffer.concat([partitionData(a), partitionData([b]), partitionData([c])]));
      // 600, then 600 more would pass 1,000: a's second batch waits, and b's 900; c's 300 fit.
      expect([(await messages(fetch)).length, (await messages(fetch)).length, (await messages(fetch)).length]).toEqual([600, 0, 300]);
    });
  });

  it('headers count against the byte limit of a fetch, their bytes and 64 more each', async () => {
    const header = (bytes: number) => ({ h: Buffer.alloc(bytes, 'h') });
    const big = await Promise.all([0, 1, 2].map((i) => RecordBatch({ compression: CompressionTypes.ZSTD, firstOffset: BigInt(i), records: [Record({ value: Buffer.alloc(0), headers: header(600_000) })] })));
    const many = await Promise.all([0, 1, 2].map((i) => RecordBatch({ compression: CompressionTypes.None, firstOffset: BigInt(i), records: [Record({ value: Buffer.alloc(0), headers: Object.fromEntries(Array.from({ length: 600 }, (_, k) => [`h${k}`, 'v'])) })] })));
    let byBytes: unknown[] = [];
    let byCount: unknown[] = [];
    await withLimits({ maxBytes: MB }, async () => {
      byBytes = await guardedMessages(protocol)(new Decoder(partitionData(big.map((e) => e.buffer))));
    });
    // 600 headers of 2 bytes: about 41 kB each batch.
    await withLimits({ maxBytes: 64 * 1024 }, async () => {
      byCount = await guardedMessages(protocol)(new Decoder(partitionData(many.map((e) => e.buffer))));
    });
    expect([byBytes.length, byCount.length]).toEqual([2, 2]);
  });

  it('a producer\'s batch of 10,000 records with three headers each is read whole', async () => {
    const records = Array.from({ length: 10_000 }, (_, i) => Record({ offsetDelta: i, value: Buffer.from('{}'), headers: { traceparent: '00-abc-def-01', 'x-source': 'vector', 'x-host': 'db1' } }));
    const b = await RecordBatch({ compression: CompressionTypes.ZSTD, firstOffset: 0n, lastOffsetDelta: 9999, records });
    const read = (await guardedMessages(protocol)(new Decoder(partitionData([b.buffer])))) as Read[];
    expect([read.length, read.filter((r) => unreadBatch(r) !== undefined).length, String(read[9999].headers['x-host'])]).toEqual([10_000, 0, 'db1']);
  });

  it('past the limits, the partition drawn for the answer reads its first batch: a flood on one does not hold back the others', async () => {
    const flood = (from: number) => Promise.all([0, 1, 2].map((i) => batch(CompressionTypes.None, 600, 1, from + 600 * i)));
    const other = await batch(CompressionTypes.None, 900, 1, 0);
    await withLimits({ maxRecords: 1000 }, async () => {
      // Drawn: (the first answer: one position known), the middle one, the last one.
      const draws = [0, 0.5, 0.99];
      const messages = guardedMessages(protocol, () => draws.shift() ?? 0);
      const counts: number[][] = [];
      for (let f = 0; f < 3; f++) {
        // The flooded partition, one without data (it holds a position too), the other.
        const fetch = new Decoder(Buffer.concat([partitionData(await flood(600 * f)), partitionData([]), partitionData([other])]));
        counts.push([(await messages(fetch)).length, (await messages(fetch)).length, (await messages(fetch)).length]);
      }
      // The first answer: the flooded partition's 600; the other's 900 would pass 1,000 and waits. The
      // next: the draw lands on the partition without data (it holds its position). Then the other's turn.
      expect(counts).toEqual([[600, 0, 0], [600, 0, 0], [600, 0, 900]]);
    });
  });

  it('serves the partitions of two brokers whose answers alternate (a shared rotation fell into step and skipped one for good)', async () => {
    const flood = await Promise.all([0, 1].map((i) => batch(CompressionTypes.None, 600, 1, 600 * i)));
    const other = await batch(CompressionTypes.None, 900, 1, 0);
    await withLimits({ maxRecords: 1000 }, async () => {
      const messages = guardedMessages(protocol);
      const served = { a: 0, b: 0 };
      for (let f = 0; f < 100; f++) {
        for (const broker of ['a', 'b'] as const) {
          const answer = new Decoder(Buffer.concat([partitionData(flood), partitionData([other])]));
          await messages(answer);
          if ((await messages(answer)).length > 0) served[broker]++;
        }
      }
      expect([served.a > 0, served.b > 0]).toEqual([true, true]);
    });
  });

  it('draws every position of an answer, over many answers', async () => {
    const one = await batch(CompressionTypes.None, 900, 1, 0);
    await withLimits({ maxRecords: 1000 }, async () => {
      const messages = guardedMessages(protocol);
      const served = new Set<number>();
      for (let f = 0; f < 200; f++) {
        const fetch = new Decoder(Buffer.concat([0, 1, 2, 3].map(() => partitionData([one]))));
        for (let p = 0; p < 4; p++) if ((await messages(fetch)).length > 0 && p > 0) served.add(p);
      }
      expect([...served].sort()).toEqual([1, 2, 3]);
    });
  });

  it('the records of a fetch count against the limit too', async () => {
    const batches = await Promise.all([0, 1, 2].map((i) => batch(CompressionTypes.None, 600, 1, 600 * i)));
    await withLimits({ maxRecords: 1000 }, async () => {
      const records = await guardedMessages(protocol)(new Decoder(partitionData(batches)));
      expect(records).toHaveLength(600);
    });
  });

  /** Runs `body` with other limits, then puts the defaults back. */
  async function withLimits(l: Partial<ReturnType<typeof batchLimits>>, body: () => Promise<void>): Promise<void> {
    const before = { ...batchLimits() };
    guardRecordBatches(l);
    try {
      await body();
    } finally {
      guardRecordBatches(before);
    }
  }

  it('a batch that says it holds more records than the limit is not read, compressed or not', async () => {
    for (const [name, compression] of [['zstd', CompressionTypes.ZSTD], ['none', CompressionTypes.None]] as const) {
      const many = await batch(compression, 1000, 1, 0);
      await withLimits({ maxRecords: 999 }, async () => {
        const read = await guarded(new Decoder(many));
        expect(read.records).toHaveLength(1);
        expect(unreadBatch(read.records[0])).toContain(`${name} batch of 1000 records (the limit: 999)`);
      });
    }
  });

  it('a record that carries a header like the mark is an ordinary record: no producer can make one', async () => {
    const value = Buffer.from('{"event_id":"x"}');
    const forged = await RecordBatch({ compression: CompressionTypes.None, firstOffset: 5n, records: [Record({ value, headers: { 'insider-unread-batch': 'skipped' } })] });
    const [record] = (await guarded(new Decoder(forged.buffer))).records as Read[];
    expect([unreadBatch(record), String(record.value), String(record.headers['insider-unread-batch'])]).toEqual([undefined, '{"event_id":"x"}', 'skipped']);
  });

  it('an unread batch with the broker\'s timestamps (LogAppendTime) is stamped with them', async () => {
    const b = await RecordBatch({ compression: CompressionTypes.ZSTD, firstOffset: 0n, firstTimestamp: 1000, maxTimestamp: 5000, lastOffsetDelta: 1, records: [0, 1].map((i) => Record({ offsetDelta: i, value: Buffer.alloc(MB) })) });
    const buffer: Buffer = b.buffer;
    buffer.writeInt16BE(buffer.readInt16BE(21) | 0x8, 21); // kafkajs does not check the CRC
    await withLimits({ maxBytes: MB }, async () => {
      const [record] = (await guarded(new Decoder(buffer))).records as Read[];
      expect([record.timestamp, unreadBatch(record)]).toEqual(['5000', expect.stringContaining('offsets 0-1')]);
    });
  });

  it('a batch whose length does not cover its header is left to kafkajs, which cannot loop on it', async () => {
    const b: Buffer = (await batch(CompressionTypes.ZSTD, 1000, 1, 0)).subarray();
    b.writeInt32BE(-12, 8); // the length: the batch would end before it starts
    await withLimits({ maxRecords: 10 }, async () => {
      const messages = guardedMessages(protocol);
      const data = Buffer.concat([int32(b.length), b]);
      // kafkajs throws on it (a negative slice); the broker never sends one (it checks every batch it stores).
      const outcome = await messages(new Decoder(data)).then((records) => records.length, (err: Error) => err.name);
      expect(outcome).toBe('RangeError');
    });
  });

  it('records with headers decode as kafkajs decodes them, repeated names and empty values included', async () => {
    const record = Record({ offsetDelta: 3, key: Buffer.from('k'), value: Buffer.from('v'), headers: { a: '1', b: ['2', '3'], c: Buffer.alloc(0) } });
    const context = { firstOffset: '10', firstTimestamp: '1000', magicByte: 2, timestampType: 0, maxTimestamp: '2000' };
    const bytes = () => recordBytes(record.buffer);
    const mine = decodeRecord(bytes(), { ...context });
    expect(mine).toEqual(kafkajs.decodeRecord(bytes(), { ...context }));
    expect(mine.headers).toEqual({ a: Buffer.from('1'), b: [Buffer.from('2'), Buffer.from('3')], c: Buffer.alloc(0) });
  });

  it('a record with 20,000 headers decodes in linear time (kafkajs: 68 s), a header named __proto__ is only a header', async () => {
    const names = Array.from({ length: 20_000 }, (_, i) => `h${i}`);
    const record = Record({ value: Buffer.from('v'), headers: { ...Object.fromEntries(names.map((n) => [n, 'x'])), ['__proto__']: 'p' } });
    await withLimits({ maxRecords: 50_000 }, async () => {
      const read = decodeRecord(recordBytes(record.buffer), { firstOffset: '0', firstTimestamp: '0' });
      expect(Object.keys(read.headers)).toHaveLength(20_001);
      expect([Object.getPrototypeOf(read.headers), String(read.headers.h19999), String(Object.getOwnPropertyDescriptor(read.headers, '__proto__')?.value)]).toEqual([Object.prototype, 'x', 'p']);
    });
  });

  it('a batch whose records carry more than ten headers per record of the limit is not read, nor a header count its bytes cannot hold', async () => {
    const headers = Object.fromEntries(Array.from({ length: 600 }, (_, k) => [`h${k}`, 'v']));
    const b = await RecordBatch({ compression: CompressionTypes.ZSTD, firstOffset: 0n, lastOffsetDelta: 1, records: [0, 1].map((i) => Record({ offsetDelta: i, value: Buffer.from('v'), headers })) });
    await withLimits({ maxRecords: 100 }, async () => {
      const [record] = (await guarded(new Decoder(b.buffer))).records;
      expect(unreadBatch(record)).toMatch(/offsets 0-1, was skipped: its records carry more than 1000 headers \(10 times kafka.maxBatchRecords\)/);
    });
    const lying = Buffer.from(Record({ value: Buffer.from('v'), headers: { a: 'b' } }).buffer);
    lying[lying.length - 5] = 0x7e; // the header count (zigzag 63), where one header follows
    expect(() => decodeRecord(recordBytes(lying), { firstOffset: '0', firstTimestamp: '0' })).toThrow(BatchTooLarge);
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
