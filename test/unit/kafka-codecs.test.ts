// The codecs registered with kafkajs: each decodes what the matching producer library writes, including
// Java's xerial-framed snappy, and a corrupt batch is a CodecError, not a crash of the process.
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { compressFrameSync } from 'lz4-napi';
import { compressSync } from 'snappy';
import { CodecError, registerCodecs } from '../../src/kafka';

registerCodecs();
const codec = (t: CompressionTypes) => (CompressionCodecs as Record<number, () => { decompress(b: Buffer): Promise<Buffer>; compress(e: unknown): Promise<Buffer> }>)[t]();
const payload = Buffer.from(JSON.stringify({ event_id: 'e', user: 'u', filler: 'x'.repeat(100_000) }));

describe('Kafka codecs', () => {
  it('snappy: raw blocks and xerial framing (what Java producers write), several chunks', async () => {
    expect(await codec(CompressionTypes.Snappy).decompress(compressSync(payload))).toEqual(payload);
    const chunks = [payload.subarray(0, 32768), payload.subarray(32768)].map((c) => compressSync(c));
    const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
    const framed = Buffer.concat([header, ...chunks.flatMap((c) => [Buffer.from([0, 0, 0, 0].map((_, i) => (c.length >> (24 - 8 * i)) & 0xff)), c])]);
    expect(await codec(CompressionTypes.Snappy).decompress(framed)).toEqual(payload);
    await expect(codec(CompressionTypes.Snappy).decompress(framed.subarray(0, framed.length - 10))).rejects.toBeInstanceOf(CodecError);
  });

  it('lz4: the LZ4 frame format', async () => {
    expect(await codec(CompressionTypes.LZ4).decompress(compressFrameSync(payload))).toEqual(payload);
    await expect(codec(CompressionTypes.LZ4).decompress(Buffer.from('not an lz4 frame'))).rejects.toBeInstanceOf(CodecError);
  });

  it('zstd: a frame written by the zstd command line tool', async () => {
    // `printf 'hello zstd\n' | zstd -c | base64`
    const frame = Buffer.from('KLUv/QRYWQAAaGVsbG8genN0ZApsV/lR', 'base64');
    expect((await codec(CompressionTypes.ZSTD).decompress(frame)).toString()).toBe('hello zstd\n');
    await expect(codec(CompressionTypes.ZSTD).decompress(Buffer.from([1, 2, 3, 4, 5]))).rejects.toBeInstanceOf(CodecError);
  });

  it('refuses to compress with a clear error (the product produces uncompressed)', async () => {
    await expect(codec(CompressionTypes.ZSTD).compress({})).rejects.toThrow(/only decompresses/);
  });
});
