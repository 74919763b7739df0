// The one place where values and identifiers become SQL text. ClickHouse 18.16 has no query
// parameters, so every value is written as a literal here and nowhere else:
//
//   sql`SELECT count() FROM ${ident(table)} WHERE user = ${user} AND ts >= ${since}`
//
// Interpolated values are always escaped; only fragments built by sql``, ident() or the fixed
// keywords in this file pass through unchanged. There is deliberately no "raw string" escape hatch.
import { SqlValueError } from '../errors';

export class SqlFragment {
  /** Use sql``, ident() or join() to build one; the constructor is for this module. */
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type SqlValue =
  | string
  | number
  | bigint
  | boolean
  | Date
  | null
  | SqlFragment
  | ReadonlyArray<SqlValue>;

/** Tagged template: interpolations are escaped as literals (or inlined when they are fragments). */
export function sql(strings: TemplateStringsArray, ...values: SqlValue[]): SqlFragment {
  let text = strings[0];
  values.forEach((value, i) => {
    text += literal(value) + strings[i + 1];
  });
  return new SqlFragment(text);
}

/** A value as a ClickHouse literal. */
export function literal(value: SqlValue): string {
  if (value instanceof SqlFragment) return value.text;
  if (value === null) return 'NULL';
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  switch (typeof value) {
    case 'string':
      return quoteString(value);
    case 'number':
      if (!Number.isFinite(value)) throw new SqlValueError(`cannot write ${value} as SQL: only finite numbers`);
      // Parenthesised so that "a-${-1}" never turns into the comment marker "--".
      return value < 0 || Object.is(value, -0) ? `(${value})` : String(value);
    case 'bigint':
      return value < 0n ? `(${value})` : String(value);
    case 'boolean':
      return value ? '1' : '0';
    case 'object':
      if (value instanceof Date) return dateTimeLiteral(value);
      break;
  }
  throw new SqlValueError(`cannot write a value of type ${typeof value} as SQL`);
}

const STRING_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '\0': '\\0',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

function quoteString(value: string): string {
  // A lone UTF-16 surrogate has no UTF-8 form: it would reach the server as U+FFFD, a different value.
  if (!value.isWellFormed()) throw new SqlValueError('cannot write a string with an unpaired surrogate as SQL');
  return `'${value.replace(/[\\'\0\n\r\t\b\f]/g, (c) => STRING_ESCAPES[c])}'`;
}

/** DateTime in UTC, second precision: toDateTime(epochSeconds, 'UTC') means the same on every server. */
function dateTimeLiteral(d: Date): string {
  const ms = d.getTime();
  if (!Number.isFinite(ms)) throw new SqlValueError('cannot write an invalid Date as SQL');
  if (ms < 0) throw new SqlValueError(`cannot write ${d.toISOString()} as DateTime: before 1970`);
  return `toDateTime(${Math.floor(ms / 1000)}, 'UTC')`;
}

/**
 * An identifier (database, table, column), back-quoted and escaped. Pass several parts for a
 * qualified name: ident('insider', 'access_events') -> `insider`.`access_events`.
 */
export function ident(...parts: string[]): SqlFragment {
  if (parts.length === 0) throw new SqlValueError('an identifier needs at least one part');
  return new SqlFragment(parts.map(quoteIdentifier).join('.'));
}

function quoteIdentifier(name: string): string {
  if (typeof name !== 'string' || name.length === 0) throw new SqlValueError('an identifier cannot be empty');
  if (name.includes('\0')) throw new SqlValueError('an identifier cannot contain NUL');
  if (!name.isWellFormed()) throw new SqlValueError('an identifier cannot contain an unpaired surrogate');
  return `\`${name.replace(/[\\`\n\r\t\b\f]/g, (c) => (c === '`' ? '\\`' : STRING_ESCAPES[c]))}\``;
}

/** Joins fragments and values, e.g. a column list or the OR of several conditions. */
export function join(parts: ReadonlyArray<SqlValue>, separator: ', ' | ' AND ' | ' OR ' = ', '): SqlFragment {
  return new SqlFragment(parts.map(literal).join(separator));
}

/**
 * The right-hand side of IN: ('a', 'b'). ClickHouse 18.16 rejects an array literal there.
 * An empty list has no SQL form; callers decide what an empty filter means.
 */
export function inList(values: ReadonlyArray<SqlValue>): SqlFragment {
  if (values.length === 0) throw new SqlValueError('IN needs at least one value');
  return new SqlFragment(`(${values.map(literal).join(', ')})`);
}
