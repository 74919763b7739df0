// TabSeparated text both ways: what the ingester writes (tsvString) and what the backfill reads back
// (tsvUnescape, of the server's output, which escapes the single quote as well); and answers of another
// shape than the query's, which fail the read.
import { storedEventsWhere } from '../../src/detect/backfill';
import { clickhouseHistorySource } from '../../src/detect/history-source';
import { ClickHouseError } from '../../src/errors';
import { sql, tsvNumber, TsvRow, tsvString, tsvUnescape, type ClickHouse } from '../../src/store';

describe('TabSeparated strings', () => {
  it('read back every string written, whatever characters it holds', () => {
    const awkward = ['', 'plain', 'tab\there', 'new\nline', 'cr\r', 'back\\slash', '\\N', 'nul\0', '\b\f', "quote ' and \"", 'ünïcødé 🙂', '\\t not a tab'];
    for (const s of awkward) expect(tsvUnescape(tsvString(s))).toBe(s);
  });

  it("reads the server's escaped single quote and backslash", () => {
    expect(tsvUnescape("it\\'s")).toBe("it's");
    expect(tsvUnescape('a\\\\b')).toBe('a\\b');
    expect(tsvUnescape('a\\tb\\nc\\0')).toBe('a\tb\nc\0');
  });
});

describe('TabSeparated answers read', () => {
  // What a server wrote after rows it had already sent, before and since 25.11's exception tag.
  const errorTails = [
    ['Code: 241. DB::Exception: Memory limit (total) exceeded: would use 9.31 GiB (MEMORY_LIMIT_EXCEEDED) (version 24.8.1.1)'],
    ["Code: 395, e.displayText() = DB::Exception: Value passed to 'throwIf' function is non zero, e.what() = DB::Exception"],
    ['7\r', '__exception__\r', 'TAGxyz\r', 'Code: 241. DB::Exception: boom', '48 TAGxyz\r', '__exception__\r'],
  ];
  const answering = (lines: string[]): ClickHouse => {
    const ch = {
      requestTimeoutMs: 60_000,
      withRequestTimeout: () => ch,
      queryTabSeparated: async (_q: unknown, onRow: (line: string) => void) => lines.forEach(onRow),
    };
    return ch as unknown as ClickHouse;
  };

  it('fails a history read whose answer holds anything but rows of user, day and bytes', async () => {
    const good = ['alice\t19000\t5', 'b\\tob\t19001\t7'];
    expect(await clickhouseHistorySource(answering(good)).daily(19000, 19001)).toEqual([
      { user: 'alice', day: 19000, bytes: 5 },
      { user: 'b\tob', day: 19001, bytes: 7 },
    ]);
    for (const tail of [...errorTails, ['carol\t19002'], ['carol\t\t5'], ['carol\t19002\t5\textra'], ['carol\tnan\t5'], ['']]) {
      const err = await clickhouseHistorySource(answering([...good, ...tail])).daily(19000, 19002).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ClickHouseError);
      expect((err as ClickHouseError).retriable).toBe(true);
    }
  });

  it('fails a read of stored events on a line that is not an event', async () => {
    const event = ['id1', '1700000000123', 'alice', 'SELECT', '10', '1', 'db.t', '10.0.0.1', 'psql', 's1', '1', '0', 'alice@corp', ''].join('\t');
    const [read] = await storedEventsWhere(answering([event]), sql`1`);
    expect(read).toMatchObject({ eventId: 'id1', ts: 1700000000123, user: 'alice', bytes: 10, ok: true, estimated: false });
    expect(read.unmeasured).toBeUndefined();
    // The last field is `extra` when it says the source could not measure the read (TabSeparated-escaped).
    const [blind] = await storedEventsWhere(answering([`${event}{"bytes_unknown":"no\\\\tbytes"}`]), sql`1`);
    expect(blind.unmeasured).toBe('no\tbytes');
    for (const tail of errorTails) {
      const err = await storedEventsWhere(answering([event, ...tail]), sql`1`).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ClickHouseError);
    }
  });

  it('reads numbers as the server writes them and nothing else', () => {
    for (const [text, value] of [['0', 0], ['-12', -12], ['1.5', 1.5], ['1e+21', 1e21], ['18446744073709551615', 2 ** 64]] as const) {
      expect(tsvNumber(text, text)).toBe(value);
    }
    for (const text of ['', ' 1', '1 ', '0x10', 'inf', 'nan', '1,5', '7\r']) expect(() => tsvNumber(text, text)).toThrow(ClickHouseError);
  });

  it('reads a line in place as splitting it and tsvNumber read it, line after line, and fails where they fail', () => {
    const row = new TsvRow(4);
    const numbers = ['0', '007', '-12', '1.5', '1e+21', '9007199254740993', '123456789012345', '1234567890123456', '937926731666930339', '18446744073709551615'];
    for (const n of numbers) {
      const line = [n, 'b\\tc', '', '1'].join('\t');
      const fields = line.split('\t');
      row.read(line);
      expect(row.number(0)).toBe(tsvNumber(fields[0], line));
      expect(row.string(1)).toBe('b\tc');
      expect(row.is(2, '')).toBe(true);
      expect(row.is(3, '1')).toBe(true);
      expect(row.is(3, '')).toBe(false);
      expect(row.is(2, '1')).toBe(false);
    }
    // A shorter field after a longer line: the positions are the new line's.
    expect(row.read('5\tx\t10\t0').string(2)).toBe('10');
    expect(row.is(3, '1')).toBe(false);
    for (const line of ['1\tb\tc', '1\tb\tc\td\te', '', '1\tb\tc\td\t']) expect(() => row.read(line)).toThrow(/expected 4 fields/);
    for (const bad of ['', ' 1', '1 ', '0x10', 'nan', '7\r', '12a', '-']) expect(() => row.read(`${bad}\tb\tc\td`).number(0)).toThrow(ClickHouseError);
  });

  it('reads a pooled field as string() reads it, keeping one entry per distinct value', () => {
    const row = new TsvRow(3);
    const pool = new Map<string, string>();
    const lines = ['ann\tsales.orders\t1', 'bob\tsales.orders\t2', 'ann\thr.pay\\troll\t3', 'ann\tsales.orders\t4', '\tsales.orders\t5'];
    const read = lines.map((line) => {
      row.read(line);
      return [row.pooled(0, pool), row.pooled(1, pool), row.string(0), row.string(1)];
    });
    for (const [user, table, plainUser, plainTable] of read) {
      expect(user).toBe(plainUser);
      expect(table).toBe(plainTable);
    }
    expect(read.map(([user]) => user)).toEqual(['ann', 'bob', 'ann', 'ann', '']);
    expect(read[2][1]).toBe('hr.pay\troll');
    expect([...pool.keys()].sort()).toEqual(['', 'ann', 'bob', 'hr.pay\troll', 'sales.orders']);
  });
});
