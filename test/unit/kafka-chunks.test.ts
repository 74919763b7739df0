// Our producers' requests cut to size (src/kafka/chunks.ts): by count, by bytes as sent (UTF-8, keys
// and the overhead of each record counted), a message past the byte budget alone, in order.
import { chunkMessages, messageBytes, RECORD_OVERHEAD, type ChunkLimits, type Sized } from '../../src/kafka';

async function chunks<T extends Sized>(messages: Iterable<T> | AsyncIterable<T>, limits: ChunkLimits<T>): Promise<T[][]> {
  const out: T[][] = [];
  for await (const chunk of chunkMessages(messages, limits)) out.push(chunk);
  return out;
}
const values = (cut: Sized[][]) => cut.map((c) => c.map((m) => String(m.value)));

describe('chunkMessages', () => {
  it('cuts by count', async () => {
    const messages = Array.from({ length: 7 }, (_, i) => ({ value: `m${i}` }));
    expect(values(await chunks(messages, { maxMessages: 3, maxBytes: Infinity }))).toEqual([['m0', 'm1', 'm2'], ['m3', 'm4', 'm5'], ['m6']]);
    expect(await chunks(messages.slice(0, 6), { maxMessages: 3, maxBytes: Infinity })).toHaveLength(2);
    expect(await chunks([], { maxMessages: 3, maxBytes: Infinity })).toEqual([]);
  });

  it('cuts by bytes as sent in UTF-8: a multi-byte string costs its bytes, not its characters', async () => {
    // 100 characters of CJK text: 300 bytes in UTF-8.
    const cjk = { value: '漢'.repeat(100) };
    expect(messageBytes(cjk)).toBe(300 + RECORD_OVERHEAD);
    const budget = 2 * (300 + RECORD_OVERHEAD);
    // Two fit a budget of their bytes exactly; a third does not. Counted in characters, all three would.
    expect((await chunks([cjk, cjk, cjk], { maxBytes: budget })).map((c) => c.length)).toEqual([2, 1]);
  });

  it('counts keys, and the overhead of each record', async () => {
    const m = { key: 'ключ'.repeat(8), value: 'v' }; // 64 bytes of key, 1 of value
    expect([messageBytes(m), messageBytes(m, 1024), messageBytes({ key: null, value: null }), messageBytes({ key: Buffer.alloc(5), value: Buffer.alloc(7) }, 0)]).toEqual([65 + RECORD_OVERHEAD, 65 + 1024, RECORD_OVERHEAD, 12]);
    const budget = 3 * (65 + RECORD_OVERHEAD);
    expect((await chunks([m, m, m, m], { maxBytes: budget })).map((c) => c.length)).toEqual([3, 1]);
    // Without their keys the four would fit.
    expect((await chunks([m, m, m, m].map(({ value }) => ({ value })), { maxBytes: budget })).map((c) => c.length)).toEqual([4]);
  });

  it('a message larger than the byte budget goes alone, between the others', async () => {
    const small = { value: 'a' };
    const big = { value: 'b'.repeat(1000) };
    expect(values(await chunks([small, small, big, small], { maxBytes: 200 }))).toEqual([['a', 'a'], ['b'.repeat(1000)], ['a']]);
    expect(values(await chunks([big, big], { maxBytes: 200 }))).toEqual([['b'.repeat(1000)], ['b'.repeat(1000)]]);
  });

  it('takes a size of the caller\'s, and an async source one message at a time', async () => {
    let made = 0;
    async function* source() {
      for (let i = 0; i < 5; i++) {
        made++;
        yield { value: String(i) };
      }
    }
    const seen: number[] = [];
    for await (const chunk of chunkMessages(source(), { maxMessages: 10, maxBytes: 2, size: () => 1 })) seen.push(chunk.length, made);
    // Each chunk is given before the message after it is made (beyond the one that did not fit).
    expect(seen).toEqual([2, 3, 2, 5, 1, 5]);
  });
});
