// TabSeparated text both ways: what the ingester writes (tsvString) and what the backfill reads back
// (tsvUnescape, of the server's output, which escapes the single quote as well).
import { tsvString, tsvUnescape } from '../../src/store';

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
