// What a PL/pgSQL body (a DO block, CREATE FUNCTION / PROCEDURE) reads out of pgaudit's sight: a
// cursor it opens (`OPEN c FOR SELECT ...`, or a bound one, `c CURSOR FOR SELECT ...`). pgaudit 1.7
// logs a `FOR r IN SELECT` loop's query with its rows, but neither the query of a cursor a body opens
// nor its FETCHes: a DO block that RAISE NOTICEs every row of it, or a function returning the cursor
// (refcursor) that the client then reads with `FETCH ALL FROM "<unnamed portal 1>"`, or a procedure
// that RAISE NOTICEs it (CALL is not logged by pgaudit either), left no event with a table at all
// (captured from the real server: test/fixtures/postgres/hostile-reads/).
import { cursorFlow, type CursorFlow, type RowsSent } from './plpgsql-flow';
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
  const tables: string[] = [];
  const at = words.indexOf('PROCEDURE');
  const name = at > 0 ? dottedNameAt(tokens, at + 1) : undefined;
  const outputs = name ? outputsOf(tokens, name.next) : [];
  let flow: CursorFlow | undefined;
  // Every literal is read as a body: the body is one of them (`AS $$...$$`, `DO '...'`), and another
  // (a default, a LANGUAGE name) holds no OPEN ... FOR.
  for (const t of tokens) {
    if (t.text !== "'") continue;
    const body = literalText(sql, t.at, backslashEscapes);
    const cursors = cursorTablesOf(body);
    if (cursors.tables.length === 0) continue;
    for (const table of cursors.tables) if (!tables.includes(table)) tables.push(table);
    const read = cursorFlow(body, cursors.names, outputs);
    flow = flow ? { rows: plus(flow.rows, read.rows), rowsIfWritesSend: plus(flow.rowsIfWritesSend, read.rowsIfWritesSend) } : read;
  }
  if (tables.length === 0 || !flow) return undefined;
  return { kind: routine ? 'routine' : 'do', tables: tables.slice(0, MAX_TABLES), flow, ...(name ? { procedure: name.parts[name.parts.length - 1] } : {}) };
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

/** `CALL [schema.]name(...)`: the procedure's name as PostgreSQL keeps it, without its schema. */
export function procedureCalled(sql: string, backslashEscapes = false): string | undefined {
  const tokens = tokenize(sql, 8, 'postgres', backslashEscapes);
  if (tokens[0]?.kind !== 'word' || tokens[0].text.toUpperCase() !== 'CALL') return undefined;
  const read = dottedNameAt(tokens, 1);
  return read && tokens[read.next]?.text === '(' ? read.parts[read.parts.length - 1] : undefined;
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
