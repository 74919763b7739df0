// Rows as ClickHouse's TabSeparated text: what the ingester inserts. The server reads it with far less
// work than JSONEachRow (no field names to match per row, no JSON unescaping), and building it costs
// less than JSON.stringify of every row (the ingester's CPU profile during bench:ingest: 12% building inserts as JSON, 3% as this). Values are escaped the way the
// server's escaped-text reader expects, so any string the event contract accepts arrives unchanged.
import { gzipSync } from 'node:zlib';
import { ClickHouseError } from '../errors';

/** How rows of one table are written: the column list of the INSERT and each row's line. */
export interface RowEncoding<T> {
  readonly format: 'TabSeparated';
  readonly columns: readonly string[];
  /** Every row's line, each ended by \n. */
  encode(rows: ReadonlyArray<T>): string;
}

/**
 * Rows already written in an encoding and gzipped: once, before an insert's fence opens (a fence lives
 * about a second without a request), sent as they are by every attempt.
 */
export interface EncodedRows {
  readonly format: 'TabSeparated';
  readonly columns: readonly string[];
  /** The text's size in bytes: what ClickHouse parses. */
  readonly bytes: number;
  /** The text, gzipped: the body of the insert (clickhouse.ts says why gzipped). */
  readonly gzipped: Buffer;
}

/** The rows encoded and gzipped; with `maxBytes`, null when their text is larger (sized before it is compressed). */
export function encodeRows<T>(encoding: RowEncoding<T>, rows: ReadonlyArray<T>): EncodedRows;
export function encodeRows<T>(encoding: RowEncoding<T>, rows: ReadonlyArray<T>, maxBytes: number): EncodedRows | null;
export function encodeRows<T>(encoding: RowEncoding<T>, rows: ReadonlyArray<T>, maxBytes = Infinity): EncodedRows | null {
  const text = Buffer.from(encoding.encode(rows));
  if (text.length > maxBytes) return null;
  // Level 1: about 200 MB/s, a fifth of the text's size for events.
  return { format: encoding.format, columns: encoding.columns, bytes: text.length, gzipped: gzipSync(text, { level: 1 }) };
}

const NEEDS_ESCAPE = /[\\\t\n\r\0\b\f]/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0', '\b': '\\b', '\f': '\\f' };

/** A String value: backslash, tab and newline (and other control characters the reader unescapes) escaped. */
export function tsvString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? s.replace(/[\\\t\n\r\0\b\f]/g, (c) => ESCAPES[c]) : s;
}

// 18.16's text reader takes a plain number as epoch seconds only when it has 10 digits (a shorter one is
// read as the start of a date), and it writes dates after 2105 past its calendar table; so: 10-digit
// seconds as a number, earlier times as 'YYYY-MM-DD hh:mm:ss' (UTC; the columns are DateTime('UTC')).
const TEN_DIGITS = 1_000_000_000;

/** A DateTime('UTC') value from whole epoch seconds (0 .. 2^32-1). */
export function tsvDateTime(seconds: number): string {
  if (seconds >= TEN_DIGITS) return String(seconds);
  return new Date(seconds * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

// What the server's TabSeparated output escapes (backslash, tab, newline, other control characters and
// the single quote): any other escaped character stands for itself.
const UNESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', '0': '\0' };

/** A String value as the server wrote it in TabSeparated output, unescaped. */
export function tsvUnescape(s: string): string {
  return s.includes('\\') ? s.replace(/\\([\s\S])/g, (_, c: string) => UNESCAPES[c] ?? c) : s;
}

// Reading answers: a line of any other shape than the query's (an error the server wrote after the rows
// it had sent, an answer cut short, a proxy's page) fails the read. Taken as a row, it was a row of NaNs
// dropped further on, and the reader went on with part of the answer.
const NUMBER = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * One line's fields read in place, by position: no array of strings per line, and no string at all for
 * numbers and flags (a backfill reads every stored event: splitting each line and its objects were most
 * of the read's cost). Another number of fields, or a number field that is not a number (tsvNumber),
 * fails the read. One instance is reused line after line.
 */
export class TsvRow {
  private line = '';
  /** Where field k starts; starts[count] is one past the line's end (as if a tab followed it). */
  private readonly starts: Int32Array;

  constructor(private readonly count: number) {
    this.starts = new Int32Array(count + 1);
  }

  /** Takes the next line; another number of fields fails the read. */
  read(line: string): this {
    const starts = this.starts;
    let at = 0;
    for (let k = 1; k < this.count; k++) {
      at = line.indexOf('\t', at) + 1;
      if (at === 0) throw malformedRow(line, `${this.count} fields`);
      starts[k] = at;
    }
    if (line.indexOf('\t', at) >= 0) throw malformedRow(line, `${this.count} fields`);
    starts[this.count] = line.length + 1;
    this.line = line;
    return this;
  }

  /** Field k as a String value, unescaped. */
  string(k: number): string {
    return tsvUnescape(this.line.slice(this.starts[k], this.starts[k + 1] - 1));
  }

  /**
   * Field k as `string` reads it, the same String for every line with that value among the lines read
   * with `pool`. A slice of each line is a new String per event, hashed again by the first Map lookup
   * and compared by content with every key it meets (and it keeps its line alive); what events repeat (a
   * user, a table, a session) is then hashed once and found by identity. A backfill's CPU fell by about a tenth.
   */
  pooled(k: number, pool: Map<string, string>): string {
    const s = this.string(k);
    const kept = pool.get(s);
    if (kept !== undefined) return kept;
    // A copy of its own: a slice would keep its line, and the chunk the line was cut from, alive as long
    // as the pool's value is held (a history holds its users' ids all day).
    const own = Buffer.from(s).toString();
    pool.set(own, own);
    return own;
  }

  /** Field k as a number (tsvNumber): read digit by digit when it has at most 15 (exact: below 2^53), else as tsvNumber reads it. */
  number(k: number): number {
    const line = this.line;
    const from = this.starts[k];
    const to = this.starts[k + 1] - 1;
    if (to > from && to - from <= 15) {
      let value = 0;
      for (let i = from; i < to; i++) {
        const digit = line.charCodeAt(i) - 48;
        if (digit < 0 || digit > 9) return tsvNumber(line.slice(from, to), line);
        value = value * 10 + digit;
      }
      return value;
    }
    return tsvNumber(line.slice(from, to), line);
  }

  /** Whether field k is exactly `text` (no string made for it). */
  is(k: number, text: string): boolean {
    return this.starts[k + 1] - 1 - this.starts[k] === text.length && this.line.startsWith(text, this.starts[k]);
  }
}

/** A numeric field as the server writes one; anything else (an empty field, text) fails the read. */
export function tsvNumber(field: string, line: string): number {
  if (!NUMBER.test(field)) throw malformedRow(line, 'a number');
  return Number(field);
}

function malformedRow(line: string, expected: string): ClickHouseError {
  const preview = line.length > 200 ? `${line.slice(0, 197)}...` : line;
  return new ClickHouseError(`ClickHouse answered a row that is not what the query selects (expected ${expected}): ${JSON.stringify(preview)}`, { retriable: true });
}
