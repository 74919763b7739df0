// Where a PL/pgSQL body (a DO block, a procedure) sends the rows of the cursors it opens. pgaudit 1.7 logs
// neither such a cursor's query nor its FETCHes, so plpgsql.ts counts the cursor's tables: here, only
// when the body can send the rows out of pgaudit's sight. Found on the real server (PostgreSQL 15,
// pgaudit 1.7; test/fixtures/postgres/cursor-flow/): RAISE at any level (the client chooses
// client_min_messages), RAISE EXCEPTION, ASSERT and any error whose message holds a value, pg_notify to a
// listening session and set_config read back by current_setting (pgaudit: one SELECT of one row without
// table), a procedure's INOUT parameters (CALL returns them, nothing logged), EXECUTE (NOTIFY and SET run
// so are not logged), a trigger on a table the rows are written to (a temporary one's RAISE NOTICE).
// Not a channel: UPDATE / INSERT / DELETE of a row's values into tables (pgaudit logs each write and any
// later read, with their rows), a counter in a RAISE. A DBA's migration that only writes is not counted.
import { identifier, tokenize, type Token } from './statement';

/** The rows a body may send of each table its cursors read: a number (one per FETCH, no loop), or all. */
export type RowsSent = number | 'all';

export interface CursorFlow {
  /** What the body sends when its writes stay in the database. */
  rows: RowsSent;
  /** What it sends when its writes do not (the session made a trigger or rule: it runs on each row). */
  rowsIfWritesSend: RowsSent;
}

/**
 * Built-in functions that neither send a value anywhere nor read a cursor by its name: a call of any
 * other (a function of the user's, dblink, lo_from_bytea, setval, pg_sleep) may drain the cursor or
 * carry the rows, and the body is counted at the whole table.
 */
const PURE = new Set([
  'coalesce', 'nullif', 'greatest', 'least', 'lower', 'upper', 'initcap', 'trim', 'btrim', 'ltrim', 'rtrim', 'length', 'char_length',
  'character_length', 'octet_length', 'substr', 'substring', 'left', 'right', 'replace', 'translate', 'regexp_replace', 'regexp_match',
  'regexp_matches', 'regexp_split_to_array', 'split_part', 'strpos', 'position', 'overlay', 'concat', 'concat_ws', 'format', 'lpad', 'rpad',
  'repeat', 'reverse', 'md5', 'sha256', 'sha512', 'encode', 'decode', 'convert_to', 'convert_from', 'to_char', 'to_date', 'to_timestamp',
  'to_number', 'now', 'clock_timestamp', 'statement_timestamp', 'transaction_timestamp', 'date_trunc', 'date_part', 'extract', 'age',
  'make_date', 'make_timestamp', 'make_timestamptz', 'make_interval', 'abs', 'round', 'floor', 'ceil', 'ceiling', 'trunc', 'mod', 'power',
  'sqrt', 'random', 'gen_random_uuid', 'count', 'sum', 'min', 'max', 'avg', 'bool_and', 'bool_or', 'every', 'string_agg', 'array_agg',
  'json_agg', 'jsonb_agg', 'jsonb_build_object', 'json_build_object', 'jsonb_build_array', 'json_build_array', 'jsonb_set', 'jsonb_insert',
  'jsonb_strip_nulls', 'to_jsonb', 'to_json', 'row_to_json', 'jsonb_extract_path_text', 'json_extract_path_text', 'jsonb_typeof',
  'array_length', 'array_lower', 'array_upper', 'cardinality', 'array_position', 'array_remove', 'array_replace', 'array_append',
  'array_prepend', 'array_cat', 'array_to_string', 'string_to_array', 'unnest', 'generate_series', 'quote_ident', 'quote_literal',
  'quote_nullable', 'nextval', 'currval', 'current_setting', 'cast', 'num_nulls', 'num_nonnulls', 'pg_typeof', 'ascii', 'chr',
  // Types with a modifier or written as a function: varchar(10), numeric(12, 2), date(x).
  'varchar', 'char', 'character', 'numeric', 'decimal', 'timestamp', 'timestamptz', 'time', 'interval', 'bit', 'date', 'text', 'int',
  'int4', 'int8', 'integer', 'bigint', 'smallint', 'float4', 'float8', 'varying', 'bpchar', 'boolean', 'uuid',
  'jsonb_array_elements', 'jsonb_array_elements_text', 'jsonb_each', 'jsonb_each_text', 'jsonb_object_keys', 'jsonb_populate_record',
]);
/** Built-ins that carry the value they are given out of pgaudit's sight (logged as a SELECT of 1 row without table). */
const VALUE_OUT = new Set(['pg_notify', 'set_config']);
/** Words followed by a parenthesis that call nothing. */
const NOT_CALLS = new Set([
  'IN', 'VALUES', 'EXISTS', 'ANY', 'SOME', 'ALL', 'ARRAY', 'ROW', 'AS', 'ON', 'CONFLICT', 'USING', 'OVER', 'FILTER', 'GROUP', 'BY', 'AND', 'OR',
  'NOT', 'WHERE', 'THEN', 'ELSE', 'WHEN', 'SELECT', 'RETURN', 'IF', 'ELSIF', 'WHILE', 'CASE', 'LOOP', 'BETWEEN', 'IS', 'LIKE', 'ILIKE', 'SET',
  'FROM', 'JOIN', 'LATERAL', 'PERFORM', 'ASSERT', 'CURSOR', 'FOR', 'OF', 'DISTINCT', 'LIMIT', 'OFFSET', 'ORDER', 'WITH', 'DEFAULT', 'KEY',
  'CHECK', 'INTO', 'RAISE', 'RETURNING', 'UNION', 'EXCEPT', 'INTERSECT', 'HAVING', 'PARTITION', 'ROWS', 'RANGE', 'DO', 'OPEN', 'TO', 'ONLY',
]);
/** Statements whose text or effect pgaudit 1.7 does not log, or which run code the body does not show. */
const OPAQUE = new Set(['EXECUTE', 'CALL', 'COPY', 'CREATE', 'ALTER', 'DO', 'IMPORT']);
const WRITES = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

interface Piece {
  /** Control expressions before the statement: IF / ELSIF / WHEN / CASE / WHILE, a FOR loop's range. */
  conditions: Token[];
  /** The statement, its first word upper-cased. */
  head: string;
  tokens: Token[];
  /** The variables it assigns, and the indexes (in tokens) of the names that are those targets. */
  targets: string[];
  targetAt: Set<number>;
  /** A FOR loop's variables and its range, which feeds them (not the statement after LOOP). */
  loopTargets: string[];
  feeds: Token[];
}

const wordOf = (t: Token | undefined) => (t?.kind === 'word' ? t.text.toUpperCase() : '');
const nameOf = (t: Token | undefined) => (t?.kind === 'word' || t?.kind === 'ident' ? identifier(t) : undefined);

/**
 * What a body sends of its cursors' rows. `cursors`: the names of the cursors it opens (their variables);
 * `outputs`: a procedure's OUT / INOUT parameters ('' for one without a name), which CALL returns;
 * `returns`: a function's body, whose RETURN sends its value to the statement that called it.
 */
export function cursorFlow(body: string, cursors: readonly string[], outputs: readonly string[] = [], returns = false): CursorFlow {
  const tokens = tokenize(body, Infinity);
  const pieces = piecesOf(tokens);
  // Taint: the cursors; the text of a caught error (SQLERRM, GET STACKED DIAGNOSTICS: a row's value in it).
  const tainted = new Set<string>([...cursors, 'sqlerrm', 'stacked']);
  const from = new Map<string, Set<string>>();
  let implicit = false;
  const mentions = (tokens: Token[]) => tokens.some((t) => tainted.has(nameOf(t) ?? ''));
  const hot = (p: Piece) => p.head === 'FETCH' || p.tokens.some((t, i) => !p.targetAt.has(i) && tainted.has(nameOf(t) ?? ''));
  for (let changed = true; changed; ) {
    const before = tainted.size + (implicit ? 1 : 0);
    for (const p of pieces) {
      // A branch taken on a row's value (IF r.salary > 1000 THEN RAISE NOTICE 'x') sends it a bit at a time.
      if (p.conditions.some((t) => tainted.has(nameOf(t) ?? ''))) implicit = true;
      if (implicit || mentions(p.feeds)) for (const target of p.loopTargets) tainted.add(target);
      if (!hot(p) && !implicit) continue;
      for (const target of p.targets) tainted.add(target);
      // A row written to a table: what the body reads of that table afterwards holds it.
      if (isWrite(p)) for (const table of writtenTables(p)) tainted.add(table);
    }
    changed = tainted.size + (implicit ? 1 : 0) !== before;
  }
  const edges = (targets: string[], sources: string[]) => {
    for (const target of targets) for (const s of sources) if (tainted.has(s)) (from.get(target) ?? from.set(target, new Set()).get(target)!).add(s);
  };
  for (const p of pieces) {
    edges(p.targets, p.tokens.flatMap((t, i) => (p.targetAt.has(i) ? [] : [nameOf(t) ?? ''])));
    edges(p.loopTargets, p.feeds.map((t) => nameOf(t) ?? ''));
  }
  const variables = new Set(pieces.flatMap((p) => [...p.targets, ...p.loopTargets]));
  const opaque = pieces.some((p) => OPAQUE.has(p.head) || (p.head === 'OPEN' && p.tokens.some((t) => wordOf(t) === 'EXECUTE')) || callsUnknown(p, cursors));
  const value =
    pieces.some((p) => (hot(p) || implicit) && (p.head === 'RAISE' || p.head === 'ASSERT' || p.head === 'NOTIFY' || callsValueOut(p) || (returns && p.head === 'RETURN'))) ||
    outputs.some((o) => tainted.has(o)) ||
    (outputs.length > 0 && tokens.some((t, i) => wordOf(t) === 'ALIAS' || (t.text === '$' && /^\d/.test(tokens[i + 1]?.text ?? '')))) ||
    // Rows gathered into one value (t := t || r): one error message or one written row carries them all.
    [...from.keys()].some((v) => reaches(from, v, v)) ||
    // ... or into one row of a table (SET notes = notes || r.email), read later as one row.
    pieces.some((p) => isWrite(p) && (hot(p) || implicit) && setsFromItself(p, variables));
  const writes = pieces.some((p) => isWrite(p) && (hot(p) || implicit));
  // Each FETCH of PL/pgSQL sends one row; without a loop (or a MOVE, which may run the query to its end) each runs once.
  const bounded: RowsSent = tokens.some((t) => wordOf(t) === 'LOOP') || pieces.some((p) => p.head === 'MOVE') ? 'all' : pieces.filter((p) => p.head === 'FETCH').length;
  const rows = (carries: boolean): RowsSent => (opaque ? 'all' : carries ? bounded : 0);
  return { rows: rows(value), rowsIfWritesSend: rows(value || writes) };
}

/** True when `to` is among what `at` was computed from, step by step. */
function reaches(from: Map<string, Set<string>>, at: string, to: string, seen = new Set<string>()): boolean {
  for (const s of from.get(at) ?? []) {
    if (s === to) return true;
    if (!seen.has(s) && (seen.add(s), reaches(from, s, to, seen))) return true;
  }
  return false;
}

const isWrite = (p: Piece) => WRITES.has(p.head) || (p.head === 'WITH' && p.tokens.some((t) => WRITES.has(wordOf(t))));

/**
 * `SET col = <expression naming col>` (UPDATE, ON CONFLICT DO UPDATE): the column gathers what each run
 * adds to it. `r.col` of a variable (the migration's `SET email = lower(r.email)`) and `EXCLUDED.col` are
 * other values.
 */
function setsFromItself(p: Piece, variables: ReadonlySet<string>): boolean {
  const t = p.tokens;
  for (let i = 0; i < t.length; i++) {
    if (wordOf(t[i]) !== 'SET') continue;
    for (let k = i + 1; k < t.length && !/^(WHERE|FROM|RETURNING)$/.test(wordOf(t[k])); k++) {
      const column = nameOf(t[k]);
      if (column === undefined || t[k + 1]?.text !== '=' || (k > i + 1 && t[k - 1].text !== ',')) continue;
      let depth = 0;
      for (let m = k + 2; m < t.length && !(depth === 0 && (t[m].text === ',' || /^(WHERE|FROM|RETURNING)$/.test(wordOf(t[m])))); m++) {
        depth += t[m].text === '(' ? 1 : t[m].text === ')' ? -1 : 0;
        const qualifier = t[m - 1]?.text === '.' ? nameOf(t[m - 2]) : undefined;
        if (nameOf(t[m]) === column && (qualifier === undefined || (!variables.has(qualifier) && qualifier !== 'excluded'))) return true;
      }
    }
  }
  return false;
}

/** The tables a write names after INSERT INTO / UPDATE / DELETE FROM / MERGE INTO, without schema. */
function writtenTables(p: Piece): string[] {
  const out: string[] = [];
  p.tokens.forEach((t, i) => {
    const w = wordOf(t);
    const at = (w === 'INTO' && /^(INSERT|MERGE)$/.test(wordOf(p.tokens[i - 1]))) || (w === 'FROM' && wordOf(p.tokens[i - 1]) === 'DELETE') || w === 'UPDATE' ? i + 1 : -1;
    if (at < 0) return;
    let k = at;
    while (p.tokens[k + 1]?.text === '.' && nameOf(p.tokens[k + 2])) k += 2;
    const name = nameOf(p.tokens[k]);
    if (name) out.push(name);
  });
  return out;
}

/** A call of a function that is not a known built-in (cursors with arguments, `OPEN b(1)`, are not calls). */
function callsUnknown(p: Piece, cursors: readonly string[]): boolean {
  return callsOf([...p.conditions, ...p.feeds, ...p.tokens]).some((c) => !(c.schema === '' || c.schema === 'pg_catalog') || (!PURE.has(c.name) && !VALUE_OUT.has(c.name) && !cursors.includes(c.name)));
}
const callsValueOut = (p: Piece) => callsOf([...p.conditions, ...p.tokens]).some((c) => VALUE_OUT.has(c.name));

/** Every `name(` and `schema.name(` that calls a function: not a keyword, a type cast's modifier, a table's column list. */
export function callsOf(tokens: Token[]): Array<{ schema: string; name: string }> {
  const calls: Array<{ schema: string; name: string }> = [];
  for (let i = 0; i + 1 < tokens.length; i++) {
    if (tokens[i + 1].text !== '(' || nameOf(tokens[i]) === undefined) continue;
    if (tokens[i].kind === 'word' && NOT_CALLS.has(wordOf(tokens[i]))) continue;
    const qualified = tokens[i - 1]?.text === '.' && nameOf(tokens[i - 2]) !== undefined;
    const before = tokens[qualified ? i - 3 : i - 1];
    // INSERT INTO t (a, b), FROM t AS x (a, b), WITH w (a) AS, x::numeric(10, 2).
    if (/^(INTO|AS|WITH|TABLE|ONLY|REFERENCES)$/.test(wordOf(before)) || before?.text === ':') continue;
    calls.push({ schema: qualified ? nameOf(tokens[i - 2])! : '', name: nameOf(tokens[i])! });
  }
  return calls;
}

/** The body cut at its semicolons (outside parentheses), each piece's control prefix read apart from its statement. */
function piecesOf(tokens: Token[]): Piece[] {
  const pieces: Piece[] = [];
  let declaring = false;
  let start = 0;
  let depth = 0;
  for (let i = 0; i <= tokens.length; i++) {
    const t = tokens[i];
    if (t && (t.text === '(' || t.text === '[')) depth++;
    else if (t && (t.text === ')' || t.text === ']')) depth = Math.max(0, depth - 1);
    if (t && (t.text !== ';' || depth > 0)) continue;
    const read = pieceOf(tokens.slice(start, i), declaring);
    declaring = read.declaring;
    pieces.push(read.piece);
    start = i + 1;
  }
  return pieces;
}

function pieceOf(all: Token[], declaring: boolean): { piece: Piece; declaring: boolean } {
  const conditions: Token[] = [];
  // A FOR loop's range: what feeds its variables.
  const feeds: Token[] = [];
  const loopTargets: string[] = [];
  const targets: string[] = [];
  const upTo = (from: number, word: string) => {
    let d = 0;
    for (let k = from; k < all.length; k++) {
      if (all[k].text === '(') d++;
      else if (all[k].text === ')') d--;
      else if (d === 0 && wordOf(all[k]) === word) return k;
    }
    return all.length;
  };
  let i = 0;
  for (;;) {
    const w = wordOf(all[i]);
    if (all[i]?.text === '<' && all[i + 1]?.text === '<') {
      while (i < all.length && !(all[i].text === '>' && all[i + 1]?.text === '>')) i++;
      i += 2;
    } else if (w === 'DECLARE' || w === 'BEGIN' || w === 'EXCEPTION') {
      declaring = w === 'DECLARE';
      i++;
    } else if (w === 'LOOP' || w === 'ELSE' || w === 'THEN') i++;
    else if (w === 'IF' || w === 'ELSIF' || w === 'WHEN') {
      const end = upTo(i + 1, 'THEN');
      conditions.push(...all.slice(i + 1, end));
      i = end + 1;
    } else if (w === 'CASE') {
      const end = upTo(i + 1, 'WHEN');
      conditions.push(...all.slice(i + 1, end));
      i = end;
    } else if (w === 'WHILE') {
      const end = upTo(i + 1, 'LOOP');
      conditions.push(...all.slice(i + 1, end));
      i = end + 1;
    } else if (w === 'FOR' || w === 'FOREACH') {
      const into = upTo(i + 1, 'IN');
      for (const t of all.slice(i + 1, into)) if (nameOf(t) !== undefined) loopTargets.push(nameOf(t)!);
      const end = upTo(into + 1, 'LOOP');
      const range = all.slice(into + 1, end);
      feeds.push(...range);
      // FOR r IN <cursor> [(args)]: as many turns as rows, no value decides them. Anything else (a query,
      // 1 .. length(r.name), ARRAY): its values decide its turns too.
      if (!(range.length > 0 && nameOf(range[0]) !== undefined && (range.length === 1 || range[1].text === '('))) conditions.push(...range);
      i = end + 1;
    } else break;
  }
  const tokens = all.slice(i);
  const targetAt = new Set<number>();
  const head = wordOf(tokens[0]);
  const target = (k: number) => {
    const name = nameOf(tokens[k]);
    if (name === undefined) return;
    targets.push(name);
    targetAt.add(k);
  };
  if (head === 'END') return { piece: { conditions, head, tokens: [], targets, targetAt, loopTargets, feeds }, declaring };
  // EXIT / CONTINUE WHEN <condition>.
  const when = head === 'EXIT' || head === 'CONTINUE' ? tokens.findIndex((t) => wordOf(t) === 'WHEN') : -1;
  if (when >= 0) conditions.push(...tokens.slice(when + 1));
  if (declaring) target(0);
  else if (head !== 'GET') {
    // name[.field][[i]] := expr | = expr
    let k = 0;
    while (tokens[k + 1]?.text === '.' && nameOf(tokens[k + 2]) !== undefined) k += 2;
    while (k >= 0 && tokens[k + 1]?.text === '[') k = tokens.findIndex((t, m) => m > k && t.text === ']');
    if (k >= 0 && (tokens[k + 1]?.text === ':' || tokens[k + 1]?.text === '=')) target(0);
  }
  tokens.forEach((t, k) => {
    // ... INTO [STRICT] a, b (SELECT, FETCH, EXECUTE, RETURNING): not INSERT INTO / MERGE INTO a table.
    if (wordOf(t) === 'INTO' && !/^(INSERT|MERGE)$/.test(wordOf(tokens[k - 1]))) {
      let m = wordOf(tokens[k + 1]) === 'STRICT' ? k + 2 : k + 1;
      for (; nameOf(tokens[m]) !== undefined; m++) {
        target(m);
        while (tokens[m + 1]?.text === '.' && nameOf(tokens[m + 2]) !== undefined) m += 2;
        if (tokens[m + 1]?.text !== ',') break;
        m++;
      }
    }
    // GET [STACKED] DIAGNOSTICS a = ROW_COUNT, b = ...
    if (head === 'GET' && t.text === '=' && nameOf(tokens[k - 1]) !== undefined) target(k - 1);
  });
  return { piece: { conditions, head, tokens, targets, targetAt, loopTargets, feeds }, declaring };
}
