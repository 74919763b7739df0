// What a PL/pgSQL body (a DO block, CREATE FUNCTION / PROCEDURE) reads out of pgaudit's sight: a
// cursor it opens (`OPEN c FOR SELECT ...`, or a bound one, `c CURSOR FOR SELECT ...`). pgaudit 1.7
// logs a `FOR r IN SELECT` loop's query with its rows, but neither the query of a cursor a body opens
// nor its FETCHes: a DO block that RAISE NOTICEs every row of it, or a function returning the cursor
// (refcursor) that the client then reads with `FETCH ALL FROM "<unnamed portal 1>"`, or a procedure
// that RAISE NOTICEs it (CALL is not logged by pgaudit either), left no event with a table at all
// (captured from the real server: test/fixtures/postgres/hostile-reads/).
import { dottedNameAt, firstKeyword, relationsOf, tokenize } from './statement';

/** A body's cursors' tables are kept as a session's: a body naming more is counted on its first ones. */
const MAX_TABLES = 20;

export interface BodyCursors {
  /** `do`: the body runs now; `routine`: CREATE FUNCTION / PROCEDURE, it runs when called. */
  kind: 'do' | 'routine';
  /** CREATE PROCEDURE: its name as PostgreSQL keeps it, without its schema (CALL runs it). */
  procedure?: string;
  /** The tables the queries of its cursors name, as named (no schema where none is given). */
  tables: string[];
}

/** The tables of the cursors a DO block or a routine's body opens; undefined for other statements or bodies that open none. */
export function bodyCursors(sql: string, backslashEscapes = false): BodyCursors | undefined {
  const head = firstKeyword(sql);
  const tokens = tokenize(sql, Infinity, 'postgres', backslashEscapes);
  const words = tokens.slice(0, 6).map((t) => (t.kind === 'word' ? t.text.toUpperCase() : ''));
  const routine = head === 'CREATE' && (words.includes('FUNCTION') || words.includes('PROCEDURE'));
  if (head !== 'DO' && !routine) return undefined;
  const tables: string[] = [];
  // Every literal is read as a body: the body is one of them (`AS $$...$$`, `DO '...'`), and another
  // (a default, a LANGUAGE name) holds no OPEN ... FOR.
  for (const t of tokens) {
    if (t.text !== "'") continue;
    for (const table of cursorTablesOf(literalText(sql, t.at, backslashEscapes))) if (!tables.includes(table)) tables.push(table);
  }
  if (tables.length === 0) return undefined;
  const at = words.indexOf('PROCEDURE');
  const name = at > 0 ? dottedNameAt(tokens, at + 1) : undefined;
  return { kind: routine ? 'routine' : 'do', tables: tables.slice(0, MAX_TABLES), ...(name ? { procedure: name.parts[name.parts.length - 1] } : {}) };
}

/** `CALL [schema.]name(...)`: the procedure's name as PostgreSQL keeps it, without its schema. */
export function procedureCalled(sql: string, backslashEscapes = false): string | undefined {
  const tokens = tokenize(sql, 8, 'postgres', backslashEscapes);
  if (tokens[0]?.kind !== 'word' || tokens[0].text.toUpperCase() !== 'CALL') return undefined;
  const read = dottedNameAt(tokens, 1);
  return read && tokens[read.next]?.text === '(' ? read.parts[read.parts.length - 1] : undefined;
}

/** `OPEN c [[NO] SCROLL] FOR query` and `c [[NO] SCROLL] CURSOR [(args)] {FOR | IS} query`: the queries' tables (`OPEN c FOR EXECUTE <string>` cannot be read). */
function cursorTablesOf(body: string): string[] {
  const tokens = tokenize(body, Infinity);
  const word = (i: number) => (tokens[i]?.kind === 'word' ? tokens[i].text.toUpperCase() : '');
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    let j: number;
    if (word(i) === 'OPEN') j = i + 2;
    else if (word(i) === 'CURSOR') {
      // A bound cursor the body never OPENs is only read by `FOR r IN c LOOP`, which closes it: pgaudit
      // logs its query then, with its rows (a migration's loop over 10 rows of a 50,000-row table was
      // counted at the whole table besides). One it OPENs (anywhere, a dead branch too) is counted.
      let k = i - 1;
      while (word(k) === 'NO' || word(k) === 'SCROLL') k--;
      const name = tokens[k]?.kind === 'word' ? tokens[k].text.toLowerCase() : tokens[k]?.text;
      if (name !== undefined && !tokens.some((t, m) => word(m - 1) === 'OPEN' && (t.kind === 'word' ? t.text.toLowerCase() : t.text) === name)) continue;
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
  }
  return out;
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
