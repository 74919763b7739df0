// The routines (functions, procedures) of a server's database, whoever made them and whenever: pgaudit
// 1.7 logs nothing of a CALL, nor the query of a cursor a routine opens, nor its FETCHes, so a routine
// that RAISE NOTICEs a cursor's rows reads a table unseen each time it runs. What each routine's cursors
// read is known from
//   - the CREATE FUNCTION / PROCEDURE line of any session (log_statement), noted under the database's
//     own key of the join state (a session id no PostgreSQL session has), so that a CALL from any
//     later session finds it, after a restart too (the join state is kept in ClickHouse);
//   - the server's catalog (pg_proc.prosrc), read with the table statistics (table-stats.ts): routines
//     made before logging began, or where the log does not show it (EXECUTE of a string).
// A call is resolved as PostgreSQL does: a schema-qualified name in that schema; a bare name along the
// caller's search_path ("$user", public unless its SET said otherwise), else the worst routine of that
// name in any schema.
import type { DecodeContext, SessionFact } from '../types';
import { PINNED_ATTR } from '../session-join';
import type { CursorFlow, RowsSent } from './plpgsql-flow';
import { routineSource, type RoutineMade } from './plpgsql';
import type { PgRecord } from './records';

/** What a routine's cursors read and send when it runs. */
export interface RoutineReads {
  kind: 'procedure' | 'function';
  tables: string[];
  flow: CursorFlow;
}

/** A routine's versions by schema ('' : made without schema, where the creator's search_path put it). */
type BySchema = Record<string, RoutineReads>;

/** The join state's key of a database's routines: not a PostgreSQL session id (hex.hex). */
export const routinesKey = (database: string) => `routines:${database}`;
/** One attr per routine name seen created in the log. */
const MADE_FACT = 'routine:';
/** The catalog's routines whose cursors send rows, by name; pinned: never evicted by the log's. */
const CATALOG_CURSORS_FACT = `${PINNED_ATTR}routines`;
/** The catalog's other routines, `schema.name`: known to read nothing out of pgaudit's sight. */
const CATALOG_KNOWN_FACT = `${PINNED_ATTR}routines_known`;
/** Routine names kept of one database's catalog. */
const MAX_CATALOG = 20_000;

/** A routine made by a CREATE line: its versions by schema, this one replacing the same schema's. */
export function routineMadeFact(rec: PgRecord, server: string, made: RoutineMade, known: BySchema | undefined): { versions: BySchema; fact: SessionFact } {
  const versions = { ...known, [made.schema]: { kind: made.kind, tables: made.tables, flow: made.flow } };
  return { versions, fact: { kind: 'attr', server, sessionId: routinesKey(rec.database), ts: rec.ts, name: `${MADE_FACT}${made.name}`, value: JSON.stringify(versions) } };
}

/** The versions of a routine name that CREATE lines made (undefined: none seen). */
export function routinesMade(rec: PgRecord, server: string, name: string, ctx: DecodeContext): BySchema | undefined {
  return bySchema(ctx.session(server, routinesKey(rec.database))?.attrs.get(`${MADE_FACT}${name}`));
}

/** The routine a call names. `known`: the name is a routine of the log or the catalog; `reads`: what its cursors send (none: nothing unseen). */
export function routineCalled(rec: PgRecord, server: string, call: { schema: string; name: string }, path: string[] | undefined, ctx: DecodeContext, made?: BySchema): { known: boolean; reads?: RoutineReads } {
  const view = ctx.session(server, routinesKey(rec.database));
  const catalog = catalogOf(view?.attrs.get(CATALOG_CURSORS_FACT))[call.name];
  const versions = mergeWorst(made ?? bySchema(view?.attrs.get(`${MADE_FACT}${call.name}`)), catalog);
  const knownAt = (schema: string) => versions[schema] !== undefined || knownNames(view?.attrs.get(CATALOG_KNOWN_FACT)).has(`${schema}.${call.name}`);
  const schemas = call.schema ? [call.schema] : (path ?? ['$user', 'public']).map((s) => (s === '$user' ? rec.user : s));
  // One made without schema may be any schema's (its creator's search_path put it there).
  const unplaced = versions[''];
  for (const schema of schemas) if (knownAt(schema)) return { known: true, reads: sends(worstOf([versions[schema], unplaced])) };
  const all = Object.values(versions);
  return all.length > 0 ? { known: true, reads: sends(worstOf(all)) } : { known: false };
}

/** The names of a database's routines whose cursors may send rows: the calls worth looking for in a statement. */
export function sendingRoutineNames(rec: PgRecord, server: string, ctx: DecodeContext): string[] {
  const view = ctx.session(server, routinesKey(rec.database));
  if (!view) return [];
  const names = Object.entries(catalogOf(view.attrs.get(CATALOG_CURSORS_FACT))).filter(([, v]) => Object.values(v).some((r) => sends(r))).map(([name]) => name);
  for (const [attr, value] of view.attrs) if (attr.startsWith(MADE_FACT) && Object.values(bySchema(value) ?? {}).some((r) => sends(r))) names.push(attr.slice(MADE_FACT.length));
  return names;
}

/** A routine as the catalog holds it (table-stats.ts reads pg_proc). */
export interface RoutineRow {
  server: string;
  database: string;
  schema: string;
  name: string;
  /** pg_proc.prokind: 'p' a procedure, 'f' a function. */
  kind: string;
  language: string;
  /** prosrc of a plpgsql routine ('' for others: their statements are pgaudit's to log). */
  source: string;
  /** proargmodes and proargnames ([] when all are IN / unnamed). */
  arg_modes: string[];
  arg_names: string[];
}

/** The catalog's routines as facts of each database's routines key (two attrs a database). */
export function catalogFacts(server: string, rows: readonly RoutineRow[], ts: number): SessionFact[] {
  const byDatabase = new Map<string, RoutineRow[]>();
  for (const r of rows) if (r.server === server) byDatabase.set(r.database, [...(byDatabase.get(r.database) ?? []), r]);
  const facts: SessionFact[] = [];
  for (const [database, list] of byDatabase) {
    const cursors: Record<string, BySchema> = {};
    const known: string[] = [];
    for (const r of list.slice(0, MAX_CATALOG)) {
      const kind = r.kind === 'p' ? 'procedure' : 'function';
      // OUT and INOUT parameters (a procedure's are returned by CALL), by name ('' without one).
      const outputs = r.arg_modes.flatMap((m, i) => (m === 'o' || m === 'b' ? [r.arg_names[i] ?? ''] : []));
      const read = r.language === 'plpgsql' ? routineSource(kind, r.source, outputs) : undefined;
      if (read && read.tables.length > 0) (cursors[r.name] ??= {})[r.schema] = { kind, ...read };
      else known.push(`${r.schema}.${r.name}`);
    }
    const sessionId = routinesKey(database);
    facts.push({ kind: 'attr', server, sessionId, ts, name: CATALOG_CURSORS_FACT, value: JSON.stringify(cursors) });
    facts.push({ kind: 'attr', server, sessionId, ts, name: CATALOG_KNOWN_FACT, value: JSON.stringify(known) });
  }
  return facts;
}

const sends = (r: RoutineReads | undefined): RoutineReads | undefined => (r && r.tables.length > 0 && (r.flow.rows !== 0 || r.flow.rowsIfWritesSend !== 0) ? r : undefined);

/** The version that sends the most: all rows before some, some before none. */
function worstOf(list: Array<RoutineReads | undefined>): RoutineReads | undefined {
  const sending = list.filter((r): r is RoutineReads => sends(r) !== undefined);
  return sending.find((r) => r.flow.rows === 'all') ?? sending.find((r) => r.flow.rowsIfWritesSend === 'all') ?? sending[0];
}

const more = (a: RowsSent, b: RowsSent): RowsSent => (a === 'all' || b === 'all' ? 'all' : Math.max(a, b));

/** The log's and the catalog's versions; where both have one schema's, the one that sends more (a hole is worse than a false alarm). */
function mergeWorst(a: BySchema | undefined, b: BySchema | undefined): BySchema {
  const out: BySchema = { ...b };
  for (const [schema, r] of Object.entries(a ?? {})) {
    const o = out[schema];
    out[schema] = o ? { kind: r.kind, tables: [...new Set([...r.tables, ...o.tables])], flow: { rows: more(r.flow.rows, o.flow.rows), rowsIfWritesSend: more(r.flow.rowsIfWritesSend, o.flow.rowsIfWritesSend) } } : r;
  }
  return out;
}

const rowsSent = (v: unknown): v is RowsSent => v === 'all' || (typeof v === 'number' && Number.isInteger(v) && v >= 0);

/** A routine's versions from the join state; a version not understood sends all its tables' rows. */
function bySchema(text: string | undefined): BySchema | undefined {
  if (text === undefined) return undefined;
  const out: BySchema = {};
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    for (const [schema, r] of Object.entries(v as Record<string, { kind?: unknown; tables?: unknown; flow?: { rows?: unknown; rowsIfWritesSend?: unknown } }>)) {
      if (typeof r !== 'object' || r === null) continue;
      const tables = Array.isArray(r.tables) ? r.tables.filter((t): t is string => typeof t === 'string') : [];
      const flow = rowsSent(r.flow?.rows) && rowsSent(r.flow?.rowsIfWritesSend) ? { rows: r.flow.rows, rowsIfWritesSend: r.flow.rowsIfWritesSend } : { rows: 'all' as const, rowsIfWritesSend: 'all' as const };
      out[schema] = { kind: r.kind === 'procedure' ? 'procedure' : 'function', tables, flow };
    }
  } catch {
    return undefined;
  }
  return out;
}

// The catalog's attrs are large and the same string object for many lines: parsed once.
let catalogCache: { text: string; value: Record<string, BySchema> } | undefined;
let knownCache: { text: string; value: Set<string> } | undefined;

function catalogOf(text: string | undefined): Record<string, BySchema> {
  if (text === undefined) return {};
  if (catalogCache?.text !== text) {
    const value: Record<string, BySchema> = {};
    try {
      const v = JSON.parse(text) as unknown;
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) for (const [name, versions] of Object.entries(v)) value[name] = bySchema(JSON.stringify(versions)) ?? {};
    } catch {
      // Not written by catalogFacts: nothing known of the catalog.
    }
    catalogCache = { text, value };
  }
  return catalogCache.value;
}

function knownNames(text: string | undefined): Set<string> {
  if (text === undefined) return new Set();
  if (knownCache?.text !== text) {
    let value = new Set<string>();
    try {
      const v = JSON.parse(text) as unknown;
      if (Array.isArray(v)) value = new Set(v.filter((n): n is string => typeof n === 'string'));
    } catch {
      // As above.
    }
    knownCache = { text, value };
  }
  return knownCache.value;
}
