// log_statement's line (log_statement = 'all'), written when a query string arrives: what pgaudit 1.7
// does not log, read statement by statement. Counted here:
// - `COPY t TO`: pgaudit 1.7 logs it only when it ends, too late to catch an export in progress; counted
//   with the table's rows from its statistics, and noted in the session's join state so pgaudit's line
//   at the end is not counted again;
// - `DECLARE c CURSOR FOR query`: noted in the join state (the tables its query reads), for its FETCHes;
// - `FETCH n FROM c`: pgaudit logs nothing of it (psql with FETCH_COUNT, psycopg's named cursors and
//   every explicit cursor read this way): one event per table of the cursor's query; a cursor never
//   declared in the log, on the tables of the cursors the session's routines open (a refcursor returned);
// - a DO block that opens a cursor (`OPEN c FOR SELECT ...`): neither its query nor its FETCHes are
//   logged; counted at its tables' rows when the body can send them out of pgaudit's sight (RAISE,
//   pg_notify, a function not known...; plpgsql-flow.ts), at one row per FETCH when it has no loop, not
//   at all when it only writes them to tables or never uses them. Its tables are noted for the session's
//   later FETCHes as well: a cursor the block leaves open is read by the client after it;
// - CREATE FUNCTION / PROCEDURE whose body opens a cursor: noted for the session's later FETCHes, and a
//   procedure by name for its CALLs (counted like a DO block: pgaudit logs nothing of a CALL);
// - CREATE TRIGGER / RULE: noted; the session's DO blocks' and procedures' writes may then send rows;
// - CREATE AGGREGATE: noted; pgaudit's lines of its calls are read like string_agg's (index.ts);
// - SET search_path (and any statement that may change it): noted, for the tables named without schema.
// Other statements' lines are left to pgaudit's.
import { clip } from '../../text';
import { STATEMENT_KEEP, type DecodeContext, type DecodeResult, type SessionFact } from '../types';
import { build, copyDoc, copyKey } from './events';
import { ANY_PORTAL, bodyCursors, cursorsFetchedFromOutside, functionsCalled, procedureCalled, routineCreated, triggerCreated, type BodyCursors } from './plpgsql';
import { callPendingEnded, callPendingFact } from './pending-call';
import { routineCalled, routineMadeFact, routinesMade, sendingRoutineNames, type RoutineReads } from './routines';
import type { CursorFlow, RowsSent } from './plpgsql-flow';
import type { PgRecord } from './records';
import { aggregateFact, cursorFact, cursorTables, declaredCursorTables, fetchDocs, procedureFact, procedureTables, routineCursorsFact, routineCursorTables, searchPathFact, searchPathOf, sessionAggregates, sessionWritesSend, statementHeadFact, UNKNOWN_PATH, writesSendFact } from './session-reads';
import { copyTarget, firstKeyword, statementsOf } from './statement';
import { aggregateCreated, cursorDeclared, fetchOf, searchPathSet } from './statement-reads';

const LEFT_TO_PGAUDIT = 'log_statement line (pgaudit logs the statement)';

/**
 * A log_statement line as events and facts; undefined when the record is not one. `statement: <text>`
 * (simple protocol) or `execute <name>: <text>` (extended).
 */
export function statementLine(rec: PgRecord, server: string, defaultRowBytes: number, ctx: DecodeContext): DecodeResult | undefined {
  const texts = statementTexts(rec.message);
  if (texts.length === 0) return undefined;
  // A CALL of a procedure not known, and pgaudit wrote nothing of it before this statement (pending-call.ts).
  const ended = callPendingEnded(rec, server, ctx);
  const head = [...(rec.sessionId ? [statementHeadFact(rec, server, texts)] : []), ...ended.facts];
  const sending = sendingRoutineNames(rec, server, ctx);
  const lower = sending.length > 0 ? texts[0].toLowerCase() : '';
  if (!/copy|declare|fetch|search_path|open|cursor|aggregate|call|trigger|rule|function|procedure/i.test(texts[0]) && !sending.some((name) => lower.includes(name.toLowerCase()))) {
    return ended.docs.length > 0 ? build(ended.docs, rec, server, ctx, head) : { ok: true, events: [], facts: head, note: LEFT_TO_PGAUDIT };
  }
  const line = lineOf(rec, server, defaultRowBytes, ctx, texts[0], head);
  line.docs.push(...ended.docs);
  line.sending = sending;
  const seen = new Set<string>();
  for (const st of texts.flatMap((t) => statementsOf(t))) {
    // The same statement found at two of a prepared statement's starting places is read once.
    if (seen.has(st.text.trim())) continue;
    seen.add(st.text.trim());
    statementRead(line, { ...st, head: firstKeyword(st.text) });
  }
  if (line.docs.length > 0 && line.docs.some((d) => d.command === 'COPY')) line.facts.push({ kind: 'copy', server, sessionId: rec.sessionId, statement: copyKey(line.statement), ts: rec.ts });
  if (line.docs.length === 0 && line.facts.length === head.length && ended.docs.length === 0) return { ok: true, events: [], facts: line.facts, note: LEFT_TO_PGAUDIT };
  return build(line.docs, rec, server, ctx, line.facts);
}

/**
 * Every place a statement's text may start: a prepared statement's name is the client's and may hold
 * ": " (`execute x: y: FETCH ...`); only statements that begin with a keyword read here count, so the
 * name's part adds nothing.
 */
function statementTexts(message: string): string[] {
  if (message.startsWith('statement: ')) return [message.slice('statement: '.length)];
  if (!message.startsWith('execute ')) return [];
  const texts: string[] = [];
  for (let at = message.indexOf(': '); at >= 0 && texts.length < 16; at = message.indexOf(': ', at + 2)) texts.push(message.slice(at + 2));
  return texts;
}

/** One statement of the line: its text, its first keyword. */
interface Statement {
  text: string;
  backslashEscapes: boolean;
  head: string;
}

/**
 * What the line's statements share: the record, what they counted and noted so far, and what an earlier
 * statement of the same string told a later one (`BEGIN; DECLARE c ...; FETCH ALL FROM c`; a SET
 * search_path before a COPY; a CREATE PROCEDURE before its CALL), which is not in the join state yet.
 */
interface Line {
  rec: PgRecord;
  server: string;
  defaultRowBytes: number;
  ctx: DecodeContext;
  /** The text of the whole line, which the events keep. */
  statement: string;
  docs: Array<Record<string, unknown>>;
  facts: SessionFact[];
  /** Cursors declared by the line so far, by name: their tables. */
  declared: Map<string, string[]>;
  /** The search_path in force: the session's, then the line's SETs. */
  path: string[] | undefined;
  /** The tables of the cursors of the session's routines, the line's included (read when first needed). */
  routineTables?: string[];
  /** The session's aggregates, the line's included (read when first needed). */
  aggregates?: string[];
  /** Procedures the line created. */
  procedures: Map<string, { tables: string[]; flow: CursorFlow }>;
  /** The session made a trigger or rule (read when first needed). */
  writesSend?: boolean;
  /** Routines the line made, by name: their versions by schema (routines.ts). */
  made: Map<string, NonNullable<ReturnType<typeof routinesMade>>>;
  /** The names of the database's routines that may send their cursors' rows (routines.ts). */
  sending: string[];
}

function lineOf(rec: PgRecord, server: string, defaultRowBytes: number, ctx: DecodeContext, statement: string, head: SessionFact[]): Line {
  return { rec, server, defaultRowBytes, ctx, statement, docs: [], facts: [...head], declared: new Map(), path: searchPathOf(rec, server, ctx), procedures: new Map(), made: new Map(), sending: [] };
}

/** One statement, by kind; each reader adds to the line's events and facts. */
function statementRead(line: Line, st: Statement): void {
  const body = st.head === 'DO' || st.head === 'CREATE' ? bodyCursors(st.text, st.backslashEscapes) : undefined;
  bodyRun(line, st, body);
  if (st.head === 'DO') outsideCursorsRead(line, st);
  if (!NOT_RUN.has(st.head)) functionsRun(line, st);
  if (body) routineNoted(line, body);
  if (st.head === 'CREATE') {
    routineMade(line, st);
    triggerNoted(line, st);
    aggregateNoted(line, st);
  }
  // A DECLARE or FETCH that could not be read (cut, or not one) is not read for a search_path either.
  const read = st.head === 'COPY' ? copyStarted(line, st) : st.head === 'DECLARE' ? cursorNoted(line, st) : st.head === 'FETCH' ? fetchCounted(line, st) : true;
  if (read) searchPathNoted(line, st);
}

/**
 * A DO block, or a CALL of a procedure the session created, whose body opens a cursor: pgaudit logs
 * neither the cursor's query nor its FETCHes, nor anything of a CALL. Counted at its tables' rows when the
 * body can send them out (plpgsql-flow.ts), one row per FETCH when it has no loop.
 */
function bodyRun(line: Line, st: Statement, body: BodyCursors | undefined): void {
  const { rec, server, ctx } = line;
  const called = st.head === 'CALL' ? procedureCalled(st.text, st.backslashEscapes) : undefined;
  const runs = body?.kind === 'do' ? body : called !== undefined ? (line.procedures.get(called.name) ?? procedureTables(rec, server, called.name, ctx) ?? procedureOfDatabase(line, called)) : undefined;
  if (runs) tablesSent(line, st, runs, st.head === 'DO' ? 'DO block' : 'procedure');
}

/**
 * A procedure the session did not create: one any session created (its CREATE line), or the catalog
 * holds (routines.ts); not known to either, a CALL pgaudit may write nothing of (pending-call.ts).
 */
function procedureOfDatabase(line: Line, called: { schema: string; name: string }): RoutineReads | undefined {
  const { rec, server, ctx } = line;
  const found = routineCalled(rec, server, called, line.path, ctx, line.made.get(called.name));
  if (!found.known && rec.sessionId) line.facts.push(callPendingFact(rec, server, line.statement, called.schema ? `${called.schema}.${called.name}` : called.name));
  return found.reads;
}

/** A body's cursors' tables at what it sends of them: all their rows (reltuples), or one row per FETCH. */
function tablesSent(line: Line, st: Statement, runs: { tables: string[]; flow: CursorFlow }, what: string): void {
  const { rec, server, ctx } = line;
  // A trigger or rule of the session's runs on each row the body writes, and may send it (RAISE NOTICE NEW).
  line.writesSend ??= sessionWritesSend(rec, server, ctx);
  const rows = line.writesSend ? runs.flow.rowsIfWritesSend : runs.flow.rows;
  if (rows === 0) return;
  const extra = { action: st.head, command: st.head, counted_at: 'start (log_statement)', read_by: `a cursor the ${what} opens (pgaudit logs neither its query nor its FETCHes; the body can send its rows: RAISE, pg_notify, a function...): ${rows === 'all' ? "its tables' rows, an upper bound" : 'one row per FETCH of the body (it has no loop)'}` };
  line.docs.push(...runs.tables.map((table) => atMost(copyDoc(rec, line.statement, { table, direction: 'to', query: false }, server, line.defaultRowBytes, ctx, extra, () => line.path), rows)));
}

/** Statements whose text names routines without running them (GRANT EXECUTE ON FUNCTION leak(), DROP FUNCTION leak()); CALL is bodyRun's. */
const NOT_RUN = new Set(['CREATE', 'ALTER', 'DROP', 'COMMENT', 'GRANT', 'REVOKE', 'CALL', 'SECURITY']);

/**
 * A function of the database whose cursors send rows, called by the statement (`SELECT leak()`, a DO
 * block's `PERFORM leak()`): pgaudit logs the statement with its own rows (one), not the cursor's.
 */
function functionsRun(line: Line, st: Statement): void {
  const names = [...line.sending, ...line.made.keys()];
  const lower = st.text.toLowerCase();
  if (!names.some((n) => lower.includes(n.toLowerCase()))) return;
  const seen = new Set<string>();
  for (const call of functionsCalled(st.text, st.backslashEscapes)) {
    const key = `${call.schema}.${call.name}`;
    if (seen.has(key) || !names.includes(call.name)) continue;
    seen.add(key);
    const found = routineCalled(line.rec, line.server, call, line.path, line.ctx, line.made.get(call.name));
    if (found.reads) tablesSent(line, st, found.reads, `function ${call.schema ? `${call.schema}.` : ''}${call.name}`);
  }
}

/**
 * A DO block FETCHing through a cursor variable it does not OPEN (`k refcursor := 'c'`): the session's
 * cursor c, declared earlier (pgaudit logged its DECLARE with 0 rows). A portal the body does not name:
 * every cursor the session declared.
 */
function outsideCursorsRead(line: Line, st: Statement): void {
  const outside = cursorsFetchedFromOutside(st.text, st.backslashEscapes);
  if (!outside) return;
  const { rec, server, ctx } = line;
  const tables = new Set<string>();
  for (const portal of outside.portals) {
    const named = portal === ANY_PORTAL ? [...line.declared.values()].flat().concat(declaredCursorTables(rec, server, ctx)) : (line.declared.get(portal) ?? cursorTables(rec, server, portal, ctx) ?? []);
    for (const t of named) tables.add(t);
  }
  if (tables.size > 0) tablesSent(line, st, { tables: [...tables], flow: outside.flow }, "session's cursor the DO block");
}

/** CREATE FUNCTION / PROCEDURE, whatever its body: for the calls of every session (routines.ts). */
function routineMade(line: Line, st: Statement): void {
  const made = routineCreated(st.text, st.backslashEscapes);
  // pg_temp's are the session's own: no other session can call them (its cursors are noted for its FETCHes, routineNoted).
  if (!made || /^pg_temp/.test(made.schema)) return;
  const noted = routineMadeFact(line.rec, line.server, made, line.made.get(made.name) ?? routinesMade(line.rec, line.server, made.name, line.ctx));
  line.made.set(made.name, noted.versions);
  line.facts.push(noted.fact);
}

/** A DO block's or procedure's event at most `rows` rows (one per FETCH of a body without loop), its bytes in proportion. */
function atMost(doc: Record<string, unknown>, rows: RowsSent): Record<string, unknown> {
  const had = Number(doc.rows);
  if (rows === 'all' || !(had > rows)) return doc;
  return { ...doc, rows, bytes: Math.round((Number(doc.bytes) / had) * rows), rows_from: 'the FETCHes of the body (one row each, no loop)' };
}

/**
 * A routine's cursors, and a DO block's (one it leaves open is the client's to FETCH after it): for the
 * session's FETCHes of cursors it never declared. A procedure's by name too, for its CALLs.
 */
function routineNoted(line: Line, body: BodyCursors): void {
  const { rec, server, ctx } = line;
  if (!rec.sessionId) return;
  line.routineTables = [...new Set([...(line.routineTables ?? routineCursorTables(rec, server, ctx) ?? []), ...body.tables])];
  line.facts.push(routineCursorsFact(rec, server, line.routineTables));
  if (body.procedure === undefined) return;
  line.procedures.set(body.procedure, body);
  line.facts.push(procedureFact(rec, server, body.procedure, body.tables, body.flow));
}

/** CREATE TRIGGER / RULE: from now on the session's DO blocks' and procedures' writes may send what they write. */
function triggerNoted(line: Line, st: Statement): void {
  if (!line.rec.sessionId || !triggerCreated(st.text, st.backslashEscapes)) return;
  line.writesSend = true;
  line.facts.push(writesSendFact(line.rec, line.server));
}

/** An aggregate of the session's making (in a schema of its own, not only pg_temp): its calls are read like string_agg's. */
function aggregateNoted(line: Line, st: Statement): void {
  const { rec, server, ctx } = line;
  const aggregate = rec.sessionId ? aggregateCreated(st.text, st.backslashEscapes) : undefined;
  if (!aggregate) return;
  const made = aggregateFact(rec, server, aggregate, line.aggregates ?? sessionAggregates(rec, server, ctx) ?? []);
  line.aggregates = made.names;
  line.facts.push(made.fact);
}

/** `COPY t TO`, counted when it starts (pgaudit's line comes at its end, with 0 rows). */
function copyStarted(line: Line, st: Statement): true {
  const copy = copyTarget(st.text, st.backslashEscapes);
  if (copy && !copy.query && copy.direction === 'to' && copy.table) line.docs.push(copyDoc(line.rec, line.statement, copy, line.server, line.defaultRowBytes, line.ctx, { counted_at: 'start (log_statement)' }, () => line.path));
  return true;
}

/** `DECLARE c CURSOR FOR query`: its tables, for its FETCHes. False when it cannot be read. */
function cursorNoted(line: Line, st: Statement): boolean {
  const { rec, server } = line;
  if (!rec.sessionId) return true;
  // Cut by the shipper (padded past its maximum size): the query's tables after the cut are unknown, and
  // an empty or partial list made its FETCHes count nothing. Not noted: they count at the default width.
  if (rec.cut && rec.message.endsWith(st.text)) return false;
  const cursor = cursorDeclared(st.text, st.backslashEscapes);
  if (!cursor) return false;
  line.declared.set(cursor.name, cursor.tables);
  line.facts.push(cursorFact(rec, server, cursor));
  return true;
}

/** `FETCH n FROM c`: the rows asked for, on the tables of c's query. False when it cannot be read. */
function fetchCounted(line: Line, st: Statement): boolean {
  const { rec, server, ctx } = line;
  const fetch = fetchOf(st.text, st.backslashEscapes);
  if (!fetch) return false;
  const known = line.declared.get(fetch.cursor) ?? cursorTables(rec, server, fetch.cursor, ctx);
  // Never declared in the log: a cursor a function opened and returned (refcursor), read on the tables its session's routines open.
  const opened = known ? undefined : (line.routineTables ?? routineCursorTables(rec, server, ctx));
  const fetched = fetchDocs(rec, clip(st.text, STATEMENT_KEEP), fetch, known ?? opened, server, line.defaultRowBytes, ctx, () => line.path);
  line.docs.push(...(opened ? fetched.map((d) => ({ ...d, cursor_from: "not declared in the log: the tables of the cursors the session's functions open (a refcursor a function returned)" })) : fetched));
  return true;
}

/** SET search_path; or set_config('search_path', ...), a DO block, EXECUTE of a string: any statement may change it. */
function searchPathNoted(line: Line, st: Statement): void {
  const { rec, server } = line;
  const set = rec.sessionId && (st.head === 'SET' || st.head === 'RESET' || /search_path/i.test(st.text)) ? searchPathSet(st.text, st.backslashEscapes) : undefined;
  if (!set) return;
  line.path = set === 'default' ? undefined : set === 'unknown' ? UNKNOWN_PATH : set;
  line.facts.push(searchPathFact(rec, server, set));
}
