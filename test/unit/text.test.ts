import { STATEMENT_KEEP } from '../../src/sources/types';
import { clip, cut } from '../../src/text';

// 'ab', a 4-byte emoji (two UTF-16 code units: a surrogate pair at indexes 2 and 3), 'cd'.
const EMOJI = '\u{1F600}';
const S = `ab${EMOJI}cd`;

describe('clip: text cut to a length, marked with …', () => {
  test('a surrogate pair at the cut is dropped whole, never split', () => {
    expect(S.length).toBe(6);
    // max 4: 3 code units before the mark would end inside the emoji.
    expect(clip(S, 4)).toBe('ab…');
    expect(clip(S, 4).isWellFormed()).toBe(true);
    // max 5: the emoji fits whole before the mark.
    expect(clip(S, 5)).toBe(`ab${EMOJI}…`);
  });

  test('every length keeps the result well formed and within max', () => {
    const text = `${EMOJI}x${EMOJI}${EMOJI}y`.repeat(3);
    for (let max = 0; max <= text.length + 1; max++) {
      const c = clip(text, max);
      expect(c.isWellFormed()).toBe(true);
      expect(c.length).toBeLessThanOrEqual(max);
    }
  });

  test('empty string, max 0, exact length, one over', () => {
    expect(clip('', 0)).toBe('');
    expect(clip('', 5)).toBe('');
    expect(clip('abc', 0)).toBe('');
    expect(clip('abcd', 4)).toBe('abcd');
    expect(clip(EMOJI, 2)).toBe(EMOJI);
    expect(clip('abcde', 4)).toBe('abc…');
    expect(clip('abcde', 1)).toBe('…');
    expect(clip(EMOJI, 1)).toBe('…');
  });

  test('text without surrogates is cut as before: its first max - 1 units and the mark', () => {
    const text = 'SELECT é, "ü" FROM t '.repeat(80);
    for (const max of [1, 2, 120, 130, 512, STATEMENT_KEEP]) expect(clip(text, max)).toBe(`${text.slice(0, max - 1)}…`);
  });

  test('a statement with an emoji where STATEMENT_KEEP cuts it', () => {
    const statement = `SELECT '${'x'.repeat(STATEMENT_KEEP - 10)}${EMOJI}${'y'.repeat(100)}'`;
    expect(statement.charCodeAt(STATEMENT_KEEP - 2)).toBe(0xd83d);
    const kept = clip(statement, STATEMENT_KEEP);
    expect(kept.isWellFormed()).toBe(true);
    expect(kept).toBe(`${statement.slice(0, STATEMENT_KEEP - 2)}…`);
  });
});

describe('cut: text cut to a length, unmarked', () => {
  test('a surrogate pair at the cut is dropped whole, never split', () => {
    expect(cut(S, 3)).toBe('ab');
    expect(cut(S, 3).isWellFormed()).toBe(true);
    expect(cut(S, 4)).toBe(`ab${EMOJI}`);
    expect(cut(EMOJI, 1)).toBe('');
  });

  test('empty string, max 0, exact length', () => {
    expect(cut('', 0)).toBe('');
    expect(cut('abc', 0)).toBe('');
    expect(cut('abcd', 4)).toBe('abcd');
    expect(cut('abcde', 4)).toBe('abcd');
  });
});
