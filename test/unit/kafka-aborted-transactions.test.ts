// The records of aborted transactions (src/kafka/aborted-transactions.ts), by the Java consumer's rule,
// on the batches a broker writes: transactional batches of several producers interleaved on one
// partition, their commit and abort markers (control batches), plain batches. The broker's own answers
// go through the real ingester in test/integration/ingest-transactions.test.ts.
import { abortedListOf, leaveOutAborted, trackArrays, type TransactionalRecord } from '../../src/kafka/aborted-transactions';

/* eslint-disable @typescript-eslint/no-require-imports */
const Decoder = require('kafkajs/src/protocol/decoder');
const Encoder = require('kafkajs/src/protocol/encoder');
/* eslint-enable @typescript-eslint/no-require-imports */

const ABORT = Buffer.from([0, 0, 0, 0]);
const COMMIT = Buffer.from([0, 0, 0, 1]);
type Batch = { producer: number; first: number; count: number; transactional?: boolean; marker?: Buffer };

/** The records of batches as kafkajs decodes them: one context object per batch. */
function records(batches: Batch[]): Array<TransactionalRecord & { offset: number }> {
  return batches.flatMap((b) => {
    const batchContext = { firstOffset: String(b.first), lastOffsetDelta: b.count - 1, producerId: String(b.producer), inTransaction: b.transactional ?? b.producer >= 0, isControlBatch: b.marker !== undefined };
    return Array.from({ length: b.count }, (_, i) => ({ offset: b.first + i, key: b.marker ?? Buffer.from('user'), isControlRecord: b.marker !== undefined, batchContext }));
  });
}
/** The offsets kafkajs hands over: those not marked as control records. */
const handedOver = (rs: Array<TransactionalRecord & { offset: number }>) => rs.filter((r) => !r.isControlRecord).map((r) => r.offset);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('records of aborted transactions', () => {
  it('two producers that both abort, listed in the order they ended (not by first offset): neither transaction is handed over', () => {
    // B begins (0-99), A begins (100-199), A aborts (200), B goes on (201-300) and aborts (301), then plain sends.
    const rs = records([
      { producer: 2, first: 0, count: 100 },
      { producer: 1, first: 100, count: 100 },
      { producer: 1, first: 200, count: 1, marker: ABORT },
      { producer: 2, first: 201, count: 100 },
      { producer: 2, first: 301, count: 1, marker: ABORT },
      { producer: -1, first: 302, count: 50 },
    ]);
    const aborted = [{ producerId: '1', firstOffset: '100' }, { producerId: '2', firstOffset: '0' }];
    expect(leaveOutAborted(rs, aborted)).toBe(300);
    expect(handedOver(rs)).toEqual(range(302, 351));
    // kafkajs's list is emptied: its own filter then leaves the records as they are.
    expect(aborted).toEqual([]);
  });

  it('three producers aborting in the order they began, their batches interleaved one record at a time', () => {
    const rs = records([
      { producer: 1, first: 0, count: 1 },
      { producer: 2, first: 1, count: 1 },
      { producer: 3, first: 2, count: 1 },
      { producer: 1, first: 3, count: 1 },
      { producer: 2, first: 4, count: 1 },
      { producer: 3, first: 5, count: 1 },
      { producer: 1, first: 6, count: 1, marker: ABORT },
      { producer: 2, first: 7, count: 1, marker: ABORT },
      { producer: 3, first: 8, count: 1, marker: ABORT },
      { producer: -1, first: 9, count: 2 },
    ]);
    leaveOutAborted(rs, [{ producerId: '1', firstOffset: '0' }, { producerId: '2', firstOffset: '1' }, { producerId: '3', firstOffset: '2' }]);
    expect(handedOver(rs)).toEqual([9, 10]);
  });

  it('a producer\'s committed transaction after its aborted one is handed over whole, and so are other producers\' around it', () => {
    const rs = records([
      { producer: 7, first: 0, count: 10 },
      { producer: 8, first: 10, count: 5 },
      { producer: 7, first: 15, count: 1, marker: ABORT },
      { producer: 7, first: 16, count: 10 },
      { producer: 8, first: 26, count: 1, marker: COMMIT },
      { producer: 7, first: 27, count: 1, marker: COMMIT },
      { producer: 5, first: 28, count: 3, transactional: false },
    ]);
    leaveOutAborted(rs, [{ producerId: '7', firstOffset: '0' }]);
    expect(handedOver(rs)).toEqual([...range(10, 14), ...range(16, 25), 28, 29, 30]);
  });

  it('an aborted transaction that began before the fetched records (its first offset below them) is open from the first batch', () => {
    const rs = records([
      { producer: 3, first: 500, count: 4 },
      { producer: -1, first: 504, count: 2 },
      { producer: 3, first: 506, count: 1, marker: ABORT },
      { producer: 3, first: 507, count: 2 },
    ]);
    leaveOutAborted(rs, [{ producerId: '3', firstOffset: '120' }]);
    expect(handedOver(rs)).toEqual([504, 505, 507, 508]);
  });

  it('a producer that is not transactional (idempotent only) is never left out, even with an aborted transaction of its id listed', () => {
    const rs = records([{ producer: 4, first: 0, count: 3, transactional: false }]);
    leaveOutAborted(rs, [{ producerId: '4', firstOffset: '0' }]);
    expect(handedOver(rs)).toEqual([0, 1, 2]);
  });

  it('without aborted transactions nothing is marked', () => {
    const rs = records([{ producer: 1, first: 0, count: 3 }, { producer: 1, first: 3, count: 1, marker: COMMIT }]);
    expect(leaveOutAborted(rs, [])).toBe(0);
    expect(handedOver(rs)).toEqual([0, 1, 2]);
  });
});

describe('the aborted list a fetch response\'s decoder read', () => {
  trackArrays(Decoder);
  /** An array as a fetch response writes the aborted transactions: producer id and first offset, int64 each. */
  const list = (entries: Array<[number, number]>) => new Encoder().writeArray(entries.map(([p, f]) => new Encoder().writeInt64(p).writeInt64(f))).buffer;
  const readAborted = (d: typeof Decoder) => d.readArray((x: typeof Decoder) => ({ producerId: x.readInt64().toString(), firstOffset: x.readInt64().toString() }));

  it('is the last array that decoder read, taken once', () => {
    const d = new Decoder(list([[3020, 100], [3019, 0]]));
    readAborted(d);
    expect(abortedListOf(d)).toEqual([{ producerId: '3020', firstOffset: '100' }, { producerId: '3019', firstOffset: '0' }]);
    expect(abortedListOf(d)).toBeUndefined();
  });

  it('is none when the last array read was of something else, or when the decoder read none', () => {
    const d = new Decoder(new Encoder().writeArray([new Encoder().writeInt32(1)]).buffer);
    d.readArray((x: typeof Decoder) => x.readInt32());
    expect(abortedListOf(d)).toBeUndefined();
    expect(abortedListOf(new Decoder(Buffer.alloc(4)))).toBeUndefined();
  });
});
