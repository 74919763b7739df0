import { SqlValueError } from '../../src/errors';
import { ident, inList, join, literal, sql } from '../../src/store';

describe('literal', () => {
  it.each([
    ["it's", "'it\\'s'"],
    ['back\\slash', "'back\\\\slash'"],
    ['nul\0byte', "'nul\\0byte'"],
    ['line\nbreak\r\ttab', "'line\\nbreak\\r\\ttab'"],
    ['-- comment', "'-- comment'"],
    ['/* block */', "'/* block */'"],
    ['unicode é 😀', "'unicode é 😀'"],
    ['', "''"],
  ])('quotes the string %j', (value, expected) => {
    expect(literal(value)).toBe(expected);
  });

  it('writes numbers so that a minus sign can never form a comment marker', () => {
    expect(literal(42)).toBe('42');
    expect(literal(-1)).toBe('(-1)');
    expect(literal(-0)).toBe('(0)');
    expect(literal(1.5e-7)).toBe('1.5e-7');
    expect(literal(12345678901234567890n)).toBe('12345678901234567890');
    expect(literal(-5n)).toBe('(-5)');
    expect(sql`SELECT 1-${-1}`.text).toBe('SELECT 1-(-1)');
  });

  it('writes booleans, null, arrays and dates', () => {
    expect(literal(true)).toBe('1');
    expect(literal(false)).toBe('0');
    expect(literal(null)).toBe('NULL');
    expect(literal(['a', 1, ["b'"]])).toBe("['a', 1, ['b\\'']]");
    expect(literal(new Date('2024-03-01T12:00:00.999Z'))).toBe("toDateTime(1709294400, 'UTC')");
  });

  it('refuses values that have no faithful SQL form', () => {
    expect(() => literal(NaN)).toThrow(SqlValueError);
    expect(() => literal(Infinity)).toThrow(SqlValueError);
    expect(() => literal(new Date('nope'))).toThrow(SqlValueError);
    expect(() => literal(new Date('1960-01-01'))).toThrow(/before 1970/);
    expect(() => literal('lone \ud800 surrogate')).toThrow(/unpaired surrogate/);
    expect(() => literal(undefined as never)).toThrow(SqlValueError);
    expect(() => literal({ a: 1 } as never)).toThrow(SqlValueError);
  });
});

describe('sql template', () => {
  it('escapes every interpolated value and inlines fragments', () => {
    const user = "x' OR 1=1 --";
    const q = sql`SELECT * FROM ${ident('insider', 'access_events')} WHERE user = ${user} AND ${join([sql`a = ${1}`, sql`b = ${'2'}`], ' AND ')}`;
    expect(q.text).toBe("SELECT * FROM `insider`.`access_events` WHERE user = 'x\\' OR 1=1 --' AND a = 1 AND b = '2'");
  });

  it('does not treat a plain string as SQL even if it looks like a fragment', () => {
    const text = 'DROP TABLE t';
    expect(sql`SELECT ${text}`.text).toBe("SELECT 'DROP TABLE t'");
  });
});

describe('ident', () => {
  it('back-quotes and escapes identifiers', () => {
    expect(ident('events').text).toBe('`events`');
    expect(ident('we`ird').text).toBe('`we\\`ird`');
    expect(ident('back\\slash').text).toBe('`back\\\\slash`');
    expect(ident('db', 't').text).toBe('`db`.`t`');
  });

  it('refuses identifiers that cannot be written faithfully', () => {
    expect(() => ident('')).toThrow(SqlValueError);
    expect(() => ident()).toThrow(SqlValueError);
    expect(() => ident('a\0b')).toThrow(/NUL/);
  });
});

describe('inList', () => {
  it('writes a parenthesised list for IN and refuses an empty one', () => {
    expect(inList(['a', "b'"]).text).toBe("('a', 'b\\'')");
    expect(inList([1]).text).toBe('(1)');
    expect(() => inList([])).toThrow(SqlValueError);
  });
});
