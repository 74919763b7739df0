// What a PL/pgSQL body (a DO block, CREATE FUNCTION / PROCEDURE) reads out of pgaudit's sight: a
// cursor it opens (`OPEN c FOR SELECT ...`, or a bound one, `c CURSOR FOR SELECT ...`). pgaudit 1.7
// logs a `FOR r IN SELECT` loop's query with its rows, but neither the query of a cursor a body opens
// nor its FETCHes: a DO block that RAISE NOTICEs every row of it, or a function returning the cursor
// (refcursor) that the client then reads with `FETCH ALL FROM "<unnamed portal 1>"`, or a procedure
// that RAISE NOTICEs it (CALL is not logged by pgaudit either), left no event with a table at all
// (captured from the real server: test/fixtures/postgres/hostile-reads/).
import { callsOf, cursorFlow, type CursorFlow, type RowsSent } from './plpgsql-flow';
import { dottedNameAt, firstKeyword, identifier, relationsOf, tokenize, type Token } from './statement';

/** A body's cursors' tables are kept as a session's: a body naming more is counted on its first ones. */
const MAX_TABLES = 20;

export interface BodyCursors {
  /** `do`: the body runs now; `routine`: CREATE FUNCTION / PROCEDURE, it runs when called. */
  kind: 'do' | 'routine';
  /** CREATE PROCEDURE: its name as PostgreSQL keeps it, without its schema (CALL runs it). */
  procedure?: string;
  /** The tables the queries of its cursors name, as named (no schema where none is given). */
  tables: string[];
  /** How many rows of each of those tables it may send out of pgaudit's sight when it runs (plpgsql-flow.ts). */
  flow: CursorFlow;
}

/** The tables of the cursors a DO block or a routine's body opens; undefined for other statements or bodies that open none. */
export function bodyCursors(sql: string, backslashEscapes = false): BodyCursors | undefined {
  const head = firstKeyword(sql);
  const tokens = tokenize(sql, Infinity, 'postgres', backslashEscapes);
  const words = tokens.slice(0, 6).map((t) => (t.kind === 'word' ? t.text.toUpperCase() : ''));
  const routine = head === 'CREATE' && (words.includes('FUNCTION') || words.includes('PROCEDURE'));
  if (head !== 'DO' && !routine) return undefined;
  const at = words.indexOf('PROCEDURE');
  const name = at > 0 ? dottedNameAt(tokens, at + 1) : undefined;
  const read = bodiesRead(sql, tokens, backslashEscapes, name ? outputsOf(tokens, name.next) : [], false);
  if (!read) return undefined;
  return { kind: routine ? 'routine' : 'do', tables: read.tables, flow: read.flow, ...(name ? { procedure: name.parts[name.parts.length - 1] } : {}) };
}

/** A routine made by CREATE [OR REPLACE] FUNCTION / PROCEDURE, for whoever calls it later, from any session. */
export interface RoutineMade {
  kind: 'procedure' | 'function';
  /** Its schema as the statement names it; '' when it does not (the creator's search_path decides). */
  schema: string;
  name: string;
  /** The tables its cursors read ([]: it opens none, it reads nothing out of pgaudit's sight). */
  tables: string[];
  flow: CursorFlow;
}

const NOTHING: CursorFlow = { rows: 0, rowsIfWritesSend: 0 };

/**
 * CREATE FUNCTION / PROCEDURE, whatever its body: its name, and what its cursors send when it runs. A
 * function's RETURN sends a value too (`SELECT leak()` returns what it gathered, logged as one row).
 */
export function routineCreated(sql: string, backslashEscapes = false): RoutineMade | undefined {
  if (firstKeyword(sql) !== 'CREATE') return undefined;
  const tokens = tokenize(sql, Infinity, 'postgres', backslashEscapes);
  const words = tokens.slice(0, 6).map((t) => (t.kind === 'word' ? t.text.toUpperCase() : ''));
  const at = words.findIndex((w) => w === 'FUNCTION' || w === 'PROCEDURE');
  const name = at > 0 ? dottedNameAt(tokens, at + 1) : undefined;
  if (!name || name.parts.length > 3) return undefined;
  const kind = words[at] === 'PROCEDURE' ? 'procedure' : 'function';
  const read = bodiesRead(sql, tokens, backslashEscapes, outputsOf(tokens, name.next), kind === 'function');
  return { kind, schema: name.parts.length > 1 ? name.parts[name.parts.length - 2] : '', name: name.parts[name.parts.length - 1], tables: read?.tables ?? [], flow: read?.flow ?? NOTHING };
}

/** A routine's body as the server keeps it (pg_proc.prosrc), read like one in a CREATE statement. */
export function routineSource(kind: 'procedure' | 'function', source: string, outputs: readonly string[]): { tables: string[]; flow: CursorFlow } {
  const cursors = cursorTablesOf(source);
  if (cursors.tables.length === 0) return { tables: [], flow: NOTHING };
  return { tables: [...new Set(cursors.tables)].slice(0, MAX_TABLES), flow: cursorFlow(source, cursors.names, outputs, kind === 'function') };
}

/**
 * Every literal of a statement read as a body: the body is one of them (`AS $$...$$`, `DO '...'`), and
 * another (a default, a LANGUAGE name) holds no OPEN ... FOR.
 */
function bodiesRead(sql: string, tokens: Token[], backslashEscapes: boolean, outputs: readonly string[], returns: boolean): { tables: string[]; flow: CursorFlow } | undefined {
  const tables: string[] = [];
  let flow: CursorFlow | undefined;
  for (const t of tokens) {
    if (t.text !== "'") continue;
    const body = literalText(sql, t.at, backslashEscapes);
    const cursors = cursorTablesOf(body);
    if (cursors.tables.length === 0) continue;
    for (const table of cursors.tables) if (!tables.includes(table)) tables.push(table);
    const read = cursorFlow(body, cursors.names, outputs, returns);
    flow = flow ? { rows: plus(flow.rows, read.rows), rowsIfWritesSend: plus(flow.rowsIfWritesSend, read.rowsIfWritesSend) } : read;
  }
  return tables.length === 0 || !flow ? undefined : { tables: tables.slice(0, MAX_TABLES), flow };
}

/** The portal name '*': a cursor variable whose portal the body does not name with a literal (any of the session's). */
export const ANY_PORTAL = '*';

/**
 * A DO block that FETCHes (or MOVEs) through a cursor variable it never OPENs: the portal is one the
 * session opened before (`DECLARE c CURSOR WITH HOLD FOR ...`, then `k refcursor := 'c'; FETCH k INTO r`).
 * pgaudit logged that DECLARE with 0 rows and logs nothing of the block's FETCHes. The portals by name
 * (ANY_PORTAL when not a literal), and what the body sends of their rows.
 */
export function cursorsFetchedFromOutside(sql: string, backslashEscapes = false): { portals: string[]; flow: CursorFlow } | undefined {
  if (firstKeyword(sql) !== 'DO') return undefined;
  const tokens = tokenize(sql, Infinity, 'postgres', backslashEscapes);
  for (const t of tokens) {
    if (t.text !== "'") continue;
    const body = literalText(sql, t.at, backslashEscapes);
    if (!/\b(FETCH|MOVE)\b/i.test(body)) continue;
    const bodyTokens = tokenize(body, Infinity);
    const opened = new Set(cursorTablesOf(body).names);
    // A name that is no refcursor variable of the block (`FETCH c` of the client's c itself) is refused by
    // PL/pgSQL before the block runs (a syntax error: nothing read).
    const refcursors = new Set(bodyTokens.flatMap((t, i) => ((t.kind === 'word' || t.kind === 'ident') && bodyTokens[i + 1]?.kind === 'word' && bodyTokens[i + 1].text.toLowerCase() === 'refcursor' ? [identifier(t)] : [])));
    const variables = [...new Set(fetchedVariables(bodyTokens))].filter((v) => !opened.has(v) && refcursors.has(v));
    if (variables.length === 0) continue;
    const portals = [...new Set(variables.map((v) => portalOf(body, bodyTokens, v)))];
    return { portals, flow: cursorFlow(body, variables) };
  }
  return undefined;
}

/** The cursor variables of `FETCH [direction FROM|IN] k INTO ...` and `MOVE [direction FROM|IN] k`. */
function fetchedVariables(tokens: Token[]): string[] {
  const out: string[] = [];
  const word = (t: Token | undefined) => (t?.kind === 'word' ? t.text.toUpperCase() : '');
  for (let i = 0; i < tokens.length; i++) {
    const head = word(tokens[i]);
    if ((head !== 'FETCH' && head !== 'MOVE') || (i > 0 && tokens[i - 1].text !== ';' && !/^(BEGIN|LOOP|THEN|ELSE)$/.test(word(tokens[i - 1])))) continue;
    let end = i + 1;
    while (end < tokens.length && tokens[end].text !== ';' && !(head === 'FETCH' && word(tokens[end]) === 'INTO')) end++;
    const cursor = tokens[end - 1];
    if (end > i + 1 && (cursor.kind === 'word' || cursor.kind === 'ident')) out.push(identifier(cursor));
  }
  return out;
}

/** The portal a cursor variable names: `k refcursor := 'c'`, `k refcursor DEFAULT 'c'`, `k := 'c'`; ANY_PORTAL otherwise. */
function portalOf(body: string, tokens: Token[], variable: string): string {
  const portals = new Set<string>();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if ((t.kind !== 'word' && t.kind !== 'ident') || identifier(t) !== variable) continue;
    let k = i + 1;
    if (tokens[k]?.kind === 'word' && tokens[k].text.toLowerCase() === 'refcursor') k++;
    if (tokens[k]?.text === ':' && tokens[k + 1]?.text === '=') k += 2;
    else if (tokens[k]?.text === '=' || (tokens[k]?.kind === 'word' && tokens[k].text.toUpperCase() === 'DEFAULT')) k++;
    else continue;
    // A literal and nothing after it: `k := 'c' || x` names another portal.
    if (tokens[k]?.text === "'" && tokens[k + 1]?.text === ';') portals.add(literalText(body, tokens[k].at, false));
    else return ANY_PORTAL;
  }
  return portals.size === 1 ? [...portals][0] : ANY_PORTAL;
}

const plus = (a: RowsSent, b: RowsSent): RowsSent => (a === 'all' || b === 'all' ? 'all' : a + b);

/** A procedure's OUT and INOUT parameters from `name(INOUT acc text, OUT n int)` at tokens[at]: their names ('' when unnamed). */
function outputsOf(tokens: Token[], at: number): string[] {
  if (tokens[at]?.text !== '(') return [];
  const out: string[] = [];
  let depth = 0;
  let param: Token[] = [];
  const end = () => {
    const mode = param[0]?.kind === 'word' ? param[0].text.toUpperCase() : '';
    // INOUT acc text: named; INOUT text: a type only.
    if (mode === 'OUT' || mode === 'INOUT') out.push(param.length > 2 && (param[1].kind === 'word' || param[1].kind === 'ident') ? identifier(param[1]) : '');
    param = [];
  };
  for (let i = at + 1; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.text === '(') depth++;
    else if (t.text === ')' && depth-- === 0) break;
    if (t.text === ',' && depth === 0) end();
    else param.push(t);
  }
  end();
  return out;
}

/** `CREATE [OR REPLACE] [CONSTRAINT] TRIGGER` or `CREATE [OR REPLACE] RULE`: code that runs on the rows a statement writes. */
export function triggerCreated(sql: string, backslashEscapes = false): boolean {
  const words = tokenize(sql, 6, 'postgres', backslashEscapes).map((t) => (t.kind === 'word' ? t.text.toUpperCase() : ''));
  const at = words[1] === 'OR' && words[2] === 'REPLACE' ? 3 : 1;
  return words[0] === 'CREATE' && (words[at] === 'TRIGGER' || words[at] === 'RULE' || (words[at] === 'CONSTRAINT' && words[at + 1] === 'TRIGGER'));
}

/** `CALL [schema.]name(...)`: the procedure's schema as named ('' when not) and name. */
export function procedureCalled(sql: string, backslashEscapes = false): { schema: string; name: string } | undefined {
  const tokens = tokenize(sql, 8, 'postgres', backslashEscapes);
  if (tokens[0]?.kind !== 'word' || tokens[0].text.toUpperCase() !== 'CALL') return undefined;
  const read = dottedNameAt(tokens, 1);
  if (!read || tokens[read.next]?.text !== '(') return undefined;
  return { schema: read.parts.length > 1 ? read.parts[read.parts.length - 2] : '', name: read.parts[read.parts.length - 1] };
}

/**
 * The functions a statement calls (`SELECT leak()`, `FROM customers, crm.leak() x`), and those a DO
 * block's body calls (`PERFORM leak()`): pgaudit logs the statement, not what the function's cursors send.
 */
export function functionsCalled(sql: string, backslashEscapes = false): Array<{ schema: string; name: string }> {
  const tokens = tokenize(sql, Infinity, 'postgres', backslashEscapes);
  const calls = callsOf(tokens);
  if (firstKeyword(sql) === 'DO') for (const t of tokens) if (t.text === "'") calls.push(...callsOf(tokenize(literalText(sql, t.at, backslashEscapes), Infinity)));
  return calls;
}

/**
 * `OPEN c [[NO] SCROLL] FOR query` and `c [[NO] SCROLL] CURSOR [(args)] {FOR | IS} query`: the queries'
 * tables (`OPEN c FOR EXECUTE <string>` cannot be read), and the names of the cursors opened.
 */
function cursorTablesOf(body: string): { tables: string[]; names: string[] } {
  const tokens = tokenize(body, Infinity);
  const word = (i: number) => (tokens[i]?.kind === 'word' ? tokens[i].text.toUpperCase() : '');
  const out: string[] = [];
  const names: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    let j: number;
    // Where the cursor's name is: after OPEN, before CURSOR.
    let nameAt = i + 1;
    if (word(i) === 'OPEN') j = i + 2;
    else if (word(i) === 'CURSOR') {
      // A bound cursor the body never OPENs is only read by `FOR r IN c LOOP`, which closes it: pgaudit
      // logs its query then, with its rows (a migration's loop over 10 rows of a 50,000-row table was
      // counted at the whole table besides). One it OPENs (anywhere, a dead branch too) is counted.
      let k = i - 1;
      while (word(k) === 'NO' || word(k) === 'SCROLL') k--;
      const name = tokens[k]?.kind === 'word' ? tokens[k].text.toLowerCase() : tokens[k]?.text;
      if (name !== undefined && !tokens.some((t, m) => word(m - 1) === 'OPEN' && (t.kind === 'word' ? t.text.toLowerCase() : t.text) === name)) continue;
      nameAt = k;
      j = i + 1;
    } else continue;
    while (word(j) === 'NO' || word(j) === 'SCROLL') j++;
    // A bound cursor's arguments: `CURSOR (k int) FOR ...`.
    if (word(i) === 'CURSOR' && tokens[j]?.text === '(') {
      while (j < tokens.length && tokens[j].text !== ')') j++;
      j++;
    }
    if ((word(j) !== 'FOR' && word(j) !== 'IS') || word(j + 1) === 'EXECUTE') continue;
    const end = tokens.findIndex((t, k) => k > j && t.text === ';');
    out.push(...relationsOf(body.slice(tokens[j].at + tokens[j].text.length, end < 0 ? undefined : tokens[end].at), { defaultSchema: '' }));
    const named = tokens[nameAt];
    if (named && (named.kind === 'word' || named.kind === 'ident')) names.push(identifier(named));
  }
  return { tables: out, names };
}

/** The text inside the literal at sql[at]: `$tag$...$tag$`, `'...'` ('' a quote), `E'...'` (backslash escapes). */
function literalText(sql: string, at: number, backslashEscapes: boolean): string {
  const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(at, at + 64))?.[0];
  if (tag) {
    const end = sql.indexOf(tag, at + tag.length);
    return sql.slice(at + tag.length, end < 0 ? undefined : end);
  }
  const escapes = backslashEscapes || sql[at] === 'E' || sql[at] === 'e';
  let i = sql[at] === "'" ? at + 1 : at + 2;
  let text = '';
  while (i < sql.length) {
    if (escapes && sql[i] === '\\') {
      text += sql[i + 1] ?? '';
      i += 2;
    } else if (sql[i] === "'" && sql[i + 1] === "'") {
      text += "'";
      i += 2;
    } else if (sql[i] === "'") break;
    else text += sql[i++];
  }
  return text;
}
