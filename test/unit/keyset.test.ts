// Keyset pagination: the predicate that starts a page after the last row, and cursors a client cannot
// turn into anything but values of the right types for the order they were made for.
import { after, decodeCursor, encodeCursor, orderBy, type KeyColumn } from '../../src/store/keyset';
import { ident } from '../../src/store';

const columns: KeyColumn[] = [
  { expr: ident('c_window_end'), kind: 'number', desc: true },
  { expr: ident('c_bytes'), kind: 'uint64', desc: true },
  { expr: ident('c_id'), kind: 'string', desc: false },
];

describe('keyset pages', () => {
  it('orders by every column in its direction, and starts strictly after the last row', () => {
    expect(orderBy(columns).text).toBe('`c_window_end` DESC, `c_bytes` DESC, `c_id` ASC');
    expect(after(columns, [1700000000, '18446744073709551615', "al_x'y"]).text).toBe(
      "(`c_window_end` < 1700000000 OR (`c_window_end` = 1700000000 AND (`c_bytes` < 18446744073709551615 OR (`c_bytes` = 18446744073709551615 AND `c_id` > 'al_x\\'y'))))",
    );
    expect(() => after(columns, [1, '2'])).toThrow(/3 values/);
  });

  it('round-trips a cursor for the same order, and refuses one made for another', () => {
    const c = encodeCursor('alerts:window:desc', [1700000000, '123', 'al_20260101_0123456789']);
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(c, 'alerts:window:desc', columns)).toEqual([1700000000, '123', 'al_20260101_0123456789']);
    expect(decodeCursor(c, 'alerts:window:asc', columns)).toBeNull();
  });

  it('refuses tampered cursors: wrong types, lengths, numbers that are not, oversized or not base64url', () => {
    const make = (v: unknown[]) => Buffer.from(JSON.stringify({ o: 'o', v })).toString('base64url');
    for (const v of [
      ['1', '123', 'x'],
      [1, 123, 'x'],
      [1, '-1', 'x'],
      [1, '1e3', 'x'],
      [1, '184467440737095516160', 'x'],
      [1, '18446744073709551616', 'x'],
      [Number.NaN, '1', 'x'],
      [1, '1', 7],
      [1, '1'],
      [1, '1', 'x', 'y'],
      [1, '1', 'x'.repeat(257)],
      [1, '1', '\ud800'],
    ]) {
      expect({ v, decoded: decodeCursor(make(v), 'o', columns) }).toEqual({ v, decoded: null });
    }
    expect(decodeCursor('not base64url!', 'o', columns)).toBeNull();
    expect(decodeCursor(Buffer.from('not json').toString('base64url'), 'o', columns)).toBeNull();
    expect(decodeCursor(Buffer.from('null').toString('base64url'), 'o', columns)).toBeNull();
    expect(decodeCursor('A'.repeat(3000), 'o', columns)).toBeNull();
    expect(decodeCursor(make([1, '18446744073709551615', 'x']), 'o', columns)).toEqual([1, '18446744073709551615', 'x']);
  });
});
