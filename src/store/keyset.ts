// Keyset pagination over ClickHouse ("seek" paging): a listing is ordered by a fixed list of columns ending
// with a unique one, and the next page starts after the last row's values instead of skipping OFFSET rows,
// so page 500 costs what page 1 costs and rows inserted meanwhile neither repeat nor vanish. Used by the
// alert listing (src/alerts/listing.ts); anything else that pages (cases) describes its order the same way.
//
//   order    [{ expr: sql`c_window_end`, kind: 'number', desc: true }, ..., { expr: sql`c_id`, kind: 'string', desc: false }]
//   cursor   the last row's values of those columns, carried to the client as an opaque base64url string
//   after    (c1 < v1) OR (c1 = v1 AND ((c2 > v2) OR (c2 = v2 AND ...)))   per column direction
import { SqlValueError } from '../errors';
import { join, sql, type SqlFragment, type SqlValue } from './sql';

export interface KeyColumn {
  /** The expression as the query names it (an alias of the inner select). */
  expr: SqlFragment;
  /** How its value travels in a cursor: numbers as JSON numbers, 64-bit integers as digit strings. */
  kind: 'number' | 'uint64' | 'string';
  desc: boolean;
}

export type KeyValue = number | string;

/** ORDER BY for the columns. */
export function orderBy(columns: ReadonlyArray<KeyColumn>): SqlFragment {
  return join(columns.map((c) => sql`${c.expr} ${c.desc ? sql`DESC` : sql`ASC`}`));
}

function literalOf(c: KeyColumn, v: KeyValue): SqlValue {
  return c.kind === 'uint64' ? BigInt(v) : v;
}

/** The rows strictly after `values` in the order of `columns`. */
export function after(columns: ReadonlyArray<KeyColumn>, values: ReadonlyArray<KeyValue>): SqlFragment {
  if (values.length !== columns.length) throw new SqlValueError(`a cursor needs ${columns.length} values, got ${values.length}`);
  let tail: SqlFragment | null = null;
  for (let i = columns.length - 1; i >= 0; i--) {
    const c = columns[i];
    const v = literalOf(c, values[i]);
    const beyond = c.desc ? sql`${c.expr} < ${v}` : sql`${c.expr} > ${v}`;
    tail = tail === null ? beyond : sql`(${beyond} OR (${c.expr} = ${v} AND ${tail}))`;
  }
  return tail!;
}

const MAX_CURSOR = 2048;
const UINT64 = /^\d{1,20}$/;

/** An opaque cursor: the listing's name for its order (checked on the way back) and the values. */
export function encodeCursor(order: string, values: ReadonlyArray<KeyValue>): string {
  return Buffer.from(JSON.stringify({ o: order, v: values }), 'utf8').toString('base64url');
}

/**
 * The values of a cursor made by encodeCursor for the same order, or null when it is not one: anything
 * a client sends is checked (length, types, the order it was made for) before it can reach SQL.
 */
export function decodeCursor(text: string, order: string, columns: ReadonlyArray<KeyColumn>): KeyValue[] | null {
  if (text.length > MAX_CURSOR || !/^[A-Za-z0-9_-]+$/.test(text)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const { o, v } = parsed as { o?: unknown; v?: unknown };
  if (o !== order || !Array.isArray(v) || v.length !== columns.length) return null;
  const ok = columns.every((c, i) => {
    const x: unknown = v[i];
    if (c.kind === 'number') return typeof x === 'number' && Number.isFinite(x);
    if (c.kind === 'uint64') return typeof x === 'string' && UINT64.test(x) && BigInt(x) < 2n ** 64n;
    return typeof x === 'string' && x.length <= 256 && x.isWellFormed();
  });
  return ok ? (v as KeyValue[]) : null;
}
