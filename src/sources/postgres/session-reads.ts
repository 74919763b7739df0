// What a PostgreSQL session's earlier lines tell its later ones, and the reads that need it: the
// cursors it declared (pgaudit logs a DECLARE without tables or rows and nothing of its FETCHes, so a
// FETCH is counted from log_statement's line on the tables of its cursor's query) and the search_path
// it set (a table named without its schema is looked up along it). Both are attr facts of the session's
// join state (session-join.ts): kept in ClickHouse, so a FETCH after a restart finds its DECLARE.
import crypto from 'node:crypto';
import type { DecodeContext, SessionFact, TableWidth } from '../types';
import type { PgRecord } from './records';
import type { CursorFlow, RowsSent } from './plpgsql-flow';
import type { Fetch } from './statement-reads';

/** A session's search_path, read only when a name needs it (undefined: never set in the log). */
export type SearchPath = () => string[] | undefined;

/** The join state's name of a cursor's tables (an attr fact of its session). */
const CURSOR_FACT = 'cursor:';
/** The join state's name of the schemas a session's `SET search_path` named. */
const SEARCH_PATH_FACT = 'search_path';

/** The bytes the lines with a table of the session's current statement counted: `<statement id>:<bytes>`. */
const TABLE_BYTES_FACT = 'table_bytes';

/**
 * The bytes a statement's lines with a table have counted so far, and the fact that adds a line's.
 * pgaudit logs a function's inner statements (RETURN QUERY, an SQL function's SELECT) before the outer
 * line, which has no table and the function's rows: those were counted on their tables. The outer line
 * counts only its bytes beyond theirs (a function that reads a narrow decoy table before draining a
 * cursor is not let off: the decoy costs what it hides). Not kept: one statement's lines arrive together.
 */
export function tableBytesSoFar(rec: PgRecord, server: string, statementId: string, ctx: DecodeContext): { bytes: number; fact: (bytes: number) => SessionFact } {
  const noted = rec.sessionId ? ctx.session(server, rec.sessionId)?.attrs.get(TABLE_BYTES_FACT) : undefined;
  const prefix = `${statementId}:`;
  const sum = noted?.startsWith(prefix) ? Number(noted.slice(prefix.length)) || 0 : 0;
  return { bytes: sum, fact: (bytes) => ({ kind: 'attr', server, sessionId: rec.sessionId, ts: rec.ts, name: TABLE_BYTES_FACT, value: `${prefix}${sum + bytes}`, persist: false }) };
}

/**
 * Bytes a row sends as COPY text: the named columns' (`COPY t (a, b)`, `RETURNING id`) or the whole row's,
 * from the statistics; the default when they give the table no width (statistics never read, a table
 * without rows or heap).
 */
export function rowBytesOf(width: TableWidth | undefined, defaultRowBytes: number, columns?: string[]): { bytes: number; fromStats: boolean } {
  if (!width || width.rowBytes <= 0) return { bytes: defaultRowBytes, fromStats: false };
  return { bytes: (columns ? width.columnsBytes(columns) : undefined) ?? width.rowBytes, fromStats: true };
}

/** The session's last statement as log_statement wrote it: 'short', or the hash of a long one's head. */
const STATEMENT_HEAD_FACT = 'statement_head';
/** Statements this long may be cut with their record (1 MiB): only theirs are hashed. */
const LONG_STATEMENT = 256 * 1024;
const headOf = (statement: string) => crypto.createHash('sha1').update(statement.slice(0, 4096)).digest('base64').slice(0, 16);

/** Noted at each statement's log_statement line, so a cut AUDIT line can tell whose text it holds. */
export function statementHeadFact(rec: PgRecord, server: string, texts: string[]): SessionFact {
  const value = texts[0].length < LONG_STATEMENT ? 'short' : texts.map(headOf).join(' ');
  return { kind: 'attr', server, sessionId: rec.sessionId, ts: rec.ts, name: STATEMENT_HEAD_FACT, value, persist: false };
}

/**
 * Whether a cut AUDIT line's statement is the one the session sent (its author padded it: counting the
 * table's size is on them) or another's: a function's body that its writer padded, run by whoever calls
 * it. Undefined when the session's statement lines are not known (log_statement off, a restart).
 */
export function sessionSentIt(rec: PgRecord, server: string, statement: string, ctx: DecodeContext): boolean | undefined {
  const noted = rec.sessionId ? ctx.session(server, rec.sessionId)?.attrs.get(STATEMENT_HEAD_FACT) : undefined;
  if (noted === undefined) return undefined;
  return noted !== 'short' && noted.split(' ').includes(headOf(statement));
}

/** A `DECLARE`'s cursor and the tables its query reads, for the session's later FETCHes. */
export function cursorFact(rec: PgRecord, server: string, cursor: { name: string; tables: string[] }): SessionFact {
  return { kind: 'attr', server, sessionId: rec.sessionId, ts: rec.ts, name: `${CURSOR_FACT}${cursor.name}`, value: JSON.stringify(cursor.tables) };
}

/** The join state's name of the tables of the cursors the session's routines (CREATE FUNCTION / PROCEDURE) open. */
const ROUTINE_CURSORS_FACT = 'routine_cursors';
/** A session's routines' cursors are kept on this many tables at most. */
const MAX_ROUTINE_TABLES = 20;

/** The tables of the cursors the session's routines open, all of them so far (the caller merges). */
export function routineCursorsFact(rec: PgRecord, server: string, tables: string[]): SessionFact {
  return { kind: 'attr', server, sessionId: rec.sessionId, ts: rec.ts, name: ROUTINE_CURSORS_FACT, value: JSON.stringify(tables.slice(0, MAX_ROUTINE_TABLES)) };
}


/** The join state's name of the tables of the cursors a procedure the session created opens. */
const PROCEDURE_FACT = 'procedure:';

/** A procedure the session created, the tables of the cursors it opens and what it sends of them, for its CALLs. */
export function procedureFact(rec: PgRecord, server: string, name: string, tables: string[], flow: CursorFlow): SessionFact {
  return { kind: 'attr', server, sessionId: rec.sessionId, ts: rec.ts, name: `${PROCEDURE_FACT}${name}`, value: JSON.stringify({ tables: tables.slice(0, MAX_ROUTINE_TABLES), flow }) };
}

const ALL: CursorFlow = { rows: 'all', rowsIfWritesSend: 'all' };
const rowsSent = (v: unknown): v is RowsSent => v === 'all' || (typeof v === 'number' && Number.isInteger(v) && v >= 0);

/**
 * The tables of the cursors a procedure of the session opens and what it sends of them (undefined: not
 * created in the log). A list alone (noted before the flow was read) or a flow not understood: all rows.
 */
export function procedureTables(rec: PgRecord, server: string, name: string, ctx: DecodeContext): { tables: string[]; flow: CursorFlow } | undefined {
  const noted = rec.sessionId ? ctx.session(server, rec.sessionId)?.attrs.get(`${PROCEDURE_FACT}${name}`) : undefined;
  if (noted === undefined) return undefined;
  const list = jsonStrings(noted);
  if (list) return { tables: list, flow: ALL };
  try {
    const v = JSON.parse(noted) as { tables?: unknown; flow?: { rows?: unknown; rowsIfWritesSend?: unknown } };
    const tables = Array.isArray(v.tables) ? v.tables.filter((t): t is string => typeof t === 'string') : [];
    const flow = rowsSent(v.flow?.rows) && rowsSent(v.flow?.rowsIfWritesSend) ? { rows: v.flow.rows, rowsIfWritesSend: v.flow.rowsIfWritesSend } : ALL;
    return { tables, flow };
  } catch {
    return { tables: [], flow: ALL };
  }
}

/** The join state's name of "the session made a trigger or a rule": its writes may run code that sends the rows written. */
const WRITES_SEND_FACT = 'writes_send';

/** `CREATE [OR REPLACE] [CONSTRAINT] TRIGGER` / `CREATE [OR REPLACE] RULE`: a DO block's or procedure's writes may send what they write. */
export function writesSendFact(rec: PgRecord, server: string): SessionFact {
  return { kind: 'attr', server, sessionId: rec.sessionId, ts: rec.ts, name: WRITES_SEND_FACT, value: '1' };
}

/** True when the session made a trigger or a rule in the log. */
export function sessionWritesSend(rec: PgRecord, server: string, ctx: DecodeContext): boolean {
  return rec.sessionId ? ctx.session(server, rec.sessionId)?.attrs.get(WRITES_SEND_FACT) === '1' : false;
}

/** The tables of the cursors the session's routines open (undefined: none created in the log). */
export function routineCursorTables(rec: PgRecord, server: string, ctx: DecodeContext): string[] | undefined {
  const noted = rec.sessionId ? ctx.session(server, rec.sessionId)?.attrs.get(ROUTINE_CURSORS_FACT) : undefined;
  return noted === undefined ? undefined : jsonStrings(noted);
}

/** The join state's name of the aggregates the session created (their names, without schema). */
const AGGREGATES_FACT = 'aggregates';
/** A session's own aggregates kept: a session creating more is judged on its last ones. */
const MAX_AGGREGATES = 50;

/**
 * Aggregates the session created (CREATE AGGREGATE crm.cat): their calls send many rows as one, like
 * string_agg's. `known`: the session's so far, those created earlier in the same string included.
 */
export function aggregateFact(rec: PgRecord, server: string, name: string, known: readonly string[]): { names: string[]; fact: SessionFact } {
  const names = [...known.filter((n) => n !== name), name].slice(-MAX_AGGREGATES);
  return { names, fact: { kind: 'attr', server, sessionId: rec.sessionId, ts: rec.ts, name: AGGREGATES_FACT, value: JSON.stringify(names) } };
}

/** The names of the aggregates the session created in the log (undefined: none). */
export function sessionAggregates(rec: PgRecord, server: string, ctx: DecodeContext): string[] | undefined {
  const noted = rec.sessionId ? ctx.session(server, rec.sessionId)?.attrs.get(AGGREGATES_FACT) : undefined;
  return noted === undefined ? undefined : jsonStrings(noted);
}

/** A search_path the log does not tell: no schema has a table of this name, so each name is looked up as the largest of that name (tableRead). */
export const UNKNOWN_PATH = ['\u0000unknown'];

/** A `SET search_path` (or its reset to the default: an empty list; or a change the log does not tell). */
export function searchPathFact(rec: PgRecord, server: string, set: string[] | 'default' | 'unknown'): SessionFact {
  return { kind: 'attr', server, sessionId: rec.sessionId, ts: rec.ts, name: SEARCH_PATH_FACT, value: JSON.stringify(set === 'default' ? [] : set === 'unknown' ? UNKNOWN_PATH : set) };
}

/** The session's search_path as its `SET search_path` said (undefined: never set in the log). */
export function searchPathOf(rec: PgRecord, server: string, ctx: DecodeContext): string[] | undefined {
  const noted = rec.sessionId ? ctx.session(server, rec.sessionId)?.attrs.get(SEARCH_PATH_FACT) : undefined;
  const path = noted === undefined ? undefined : jsonStrings(noted);
  return path && path.length > 0 ? path : undefined;
}

/** A JSON array of strings from the join state; undefined when it is not one. */
function jsonStrings(text: string): string[] | undefined {
  try {
    const list: unknown = JSON.parse(text);
    return Array.isArray(list) ? list.filter((t): t is string => typeof t === 'string') : undefined;
  } catch {
    return undefined;
  }
}

/** The tables of a cursor declared by an earlier line of the session; undefined when none was seen. */
export function cursorTables(rec: PgRecord, server: string, cursor: string, ctx: DecodeContext): string[] | undefined {
  const noted = rec.sessionId ? ctx.session(server, rec.sessionId)?.attrs.get(`${CURSOR_FACT}${cursor}`) : undefined;
  return noted === undefined ? undefined : jsonStrings(noted);
}

/** The tables of every cursor the session declared in the log (a portal named where the log does not show it may be any of them). */
export function declaredCursorTables(rec: PgRecord, server: string, ctx: DecodeContext): string[] {
  const view = rec.sessionId ? ctx.session(server, rec.sessionId) : undefined;
  const tables = new Set<string>();
  for (const [name, value] of view?.attrs ?? []) if (name.startsWith(CURSOR_FACT)) for (const t of jsonStrings(value) ?? []) tables.add(t);
  return [...tables];
}

/**
 * A FETCH as events: one per table of its cursor's query, with the rows it asked for (at most the
 * table's rows; ALL: the table's rows), so an upper bound: the last FETCH of a cursor, which finds fewer
 * rows or none, counts its whole count. A cursor not seen declared (opened inside a function, or
 * pushed out of the join state by hundreds of others) gives one event without table, its rows at the
 * default row width (FETCH ALL: 0 rows, unknown), so that hiding the DECLARE does not hide the read.
 */
export function fetchDocs(rec: PgRecord, statement: string, fetch: Fetch, tables: string[] | undefined, server: string, defaultRowBytes: number, ctx: DecodeContext, path: SearchPath): Array<Record<string, unknown>> {
  const base = {
    event_id: `${server}/${rec.sessionId}/${rec.lineNum}`,
    ts: rec.ts,
    user: rec.user,
    action: 'FETCH',
    bytes_estimated: true,
    source: server,
    database: rec.database,
    client_ip: rec.remoteHost,
    client_app: rec.application,
    session_id: rec.sessionId,
    status: 'ok',
    command: 'FETCH',
    statement,
    cursor: fetch.cursor,
    counted_at: 'start (log_statement)',
  };
  if (tables === undefined) {
    const rows = fetch.rows === 'all' ? 0 : Math.min(fetch.rows, Number.MAX_SAFE_INTEGER);
    const bytes = Math.min(rows * defaultRowBytes, Number.MAX_SAFE_INTEGER);
    return [{ ...base, table: '', rows, bytes, rows_from: 'fetch count (an upper bound)', width_from: 'default (the cursor was not declared in the log: a function\'s?)' }];
  }
  return tables.map((name) => {
    const read = tableRead(ctx, server, rec, name, path);
    const width = read.width;
    const rows = Math.min(fetch.rows === 'all' ? (width?.rows ?? 0) : width && width.rows > 0 ? Math.min(fetch.rows, width.rows) : fetch.rows, Number.MAX_SAFE_INTEGER);
    return {
      ...base,
      table: read.table,
      rows,
      // FETCH 9223372036854775807 of a table without statistics: as much as an event can count, not a dead letter.
      bytes: Math.min(Math.round(rows * rowBytesOf(width, defaultRowBytes).bytes), Number.MAX_SAFE_INTEGER),
      rows_from: fetch.rows === 'all' ? (width ? 'reltuples' : 'unknown (no statistics for the table)') : 'fetch count (an upper bound)',
      width_from: width ? 'pg_stats' : 'default',
      ...(width ? { stats_read_at: new Date(width.readAt).toISOString() } : {}),
    };
  });
}

/**
 * A table as a statement names it, in the statistics. A name without its schema is looked up along the
 * session's search_path as its `SET search_path` said, else PostgreSQL's default ("$user", public); when
 * none of those schemas has it (a search_path set where the log does not show it: PGOPTIONS, ALTER
 * ROLE), the largest table of that name in the database (table-stats.ts), so that it cannot make a large
 * table's export count as nothing. `public` when no statistics know the name.
 */
export function tableRead(ctx: DecodeContext, server: string, rec: PgRecord, name: string, path: SearchPath): { table: string; width?: TableWidth } {
  const read = (table: string) => ctx.tableStats(server, rec.database, table, rec.ts);
  // schema.table as named (every pgaudit line): one lookup, no search_path.
  let width = name.includes('.') ? read(name) : undefined;
  if (!width) {
    for (const schema of path() ?? ['$user', 'public']) {
      width = read(`${schema === '$user' ? rec.user : schema}.${name}`);
      if (width) break;
    }
    // Not found along it: the largest of that name (a quoted name holding a dot, too: table-stats.ts).
    width ??= read(name);
  }
  return { table: width?.table ?? (name.includes('.') ? name : `public.${name}`), width };
}
