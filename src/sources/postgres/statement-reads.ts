// What a PostgreSQL statement does that the log does not say outright, read from its text with the
// tokenizer of statement.ts: the cursor a DECLARE opens and the tables its query reads, how many rows
// a FETCH asks for, the search_path a SET or set_config gives the session, a write's RETURNING, the
// aggregates and functions that send more rows than pgaudit logs.
import { AS_NAMED, dottedNameAt, identifier, readings, relationsOf, tokenize, type Token } from './statement';

/** A cursor's name as PostgreSQL keeps it (identifier()). */
const nameOf = (t: Token | undefined) => (t?.kind === 'word' || t?.kind === 'ident' ? identifier(t) : undefined);
const wordAt = (tokens: Token[], i: number) => (tokens[i]?.kind === 'word' ? tokens[i].text.toUpperCase() : '');

/** A cursor's tables kept in the join state: a query naming more is counted on its first ones. */
const MAX_CURSOR_TABLES = 20;

/**
 * `DECLARE name [BINARY] [ASENSITIVE | INSENSITIVE] [[NO] SCROLL] CURSOR [WITH[OUT] HOLD] FOR query`:
 * the cursor's name and the relations its query reads (pgaudit logs the DECLARE with neither tables
 * nor rows, and nothing of the FETCHes that read it).
 */
export function cursorDeclared(sql: string, backslashEscapes = false): { name: string; tables: string[] } | undefined {
  const tokens = tokenize(sql, 40, 'postgres', backslashEscapes);
  const name = wordAt(tokens, 0) === 'DECLARE' ? nameOf(tokens[1]) : undefined;
  if (name === undefined) return undefined;
  const cursor = tokens.findIndex((_, i) => i > 1 && wordAt(tokens, i) === 'CURSOR');
  const query = cursor < 0 ? -1 : tokens.findIndex((_, i) => i > cursor && wordAt(tokens, i) === 'FOR');
  return query < 0 ? undefined : { name, tables: relationsOf(sql.slice(tokens[query].at + 3), { ...AS_NAMED, backslashEscapes }, Infinity).slice(0, MAX_CURSOR_TABLES) };
}

/**
 * `SET [SESSION | LOCAL] search_path {TO | =} a, 'b', "C"` -> its schemas; `... TO DEFAULT` and `RESET
 * search_path` -> 'default'; `set_config('search_path', 'a, "B"', ...)` anywhere in a statement -> its
 * schemas; any other statement that names search_path (set_config of an expression, a DO block, EXECUTE
 * of a string) -> 'unknown': the session's path may have changed to anything; other statements -> undefined.
 */
export function searchPathSet(sql: string, backslashEscapes = false): string[] | 'default' | 'unknown' | undefined {
  const tokens = tokenize(sql, 200, 'postgres', backslashEscapes);
  if (wordAt(tokens, 0) === 'RESET' && nameOf(tokens[1]) === 'search_path') return 'default';
  let i = wordAt(tokens, 1) === 'SESSION' || wordAt(tokens, 1) === 'LOCAL' ? 2 : 1;
  if (wordAt(tokens, 0) !== 'SET' || nameOf(tokens[i]) !== 'search_path') return /search_path/i.test(sql) ? setConfigPath(sql, backslashEscapes) : undefined;
  i++;
  if (wordAt(tokens, i) === 'TO' || tokens[i]?.text === '=') i++;
  if (wordAt(tokens, i) === 'DEFAULT') return 'default';
  const schemas: string[] = [];
  for (; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind === 'word' || t.kind === 'ident') schemas.push(identifier(t));
    else if (t.text === "'") schemas.push((/^'((?:[^']|'')*)'/.exec(sql.slice(t.at))?.[1] ?? '').replace(/''/g, "'"));
  }
  return schemas;
}

/**
 * A RETURNING clause anywhere in the statement (in a string or a comment it does not count): undefined
 * without one; its columns when it lists plain column names (`RETURNING "id"`, what ORMs add to every
 * INSERT), else no columns: the whole row (`RETURNING *`, expressions).
 */
export function returningOf(sql: string): { columns?: string[] } | undefined {
  if (!/returning/i.test(sql)) return undefined;
  for (const backslashes of readings(sql)) {
    const tokens = tokenize(sql, Infinity, 'postgres', backslashes);
    const at = tokens.findIndex((t) => t.kind === 'word' && t.text.toUpperCase() === 'RETURNING');
    if (at < 0) continue;
    const end = tokens.findIndex((t, k) => k > at && t.text === ';');
    const items: Token[][] = [[]];
    for (const t of tokens.slice(at + 1, end < 0 ? undefined : end)) {
      if (t.text === ',') items.push([]);
      else items[items.length - 1].push(t);
    }
    // name, or table.name: the column; anything else, the whole row.
    const names = items.map((item) => (item.length === 1 ? nameOf(item[0]) : item.length === 3 && item[1].text === '.' ? nameOf(item[2]) : undefined));
    return names.every((n): n is string => n !== undefined && n !== '*') ? { columns: names } : {};
  }
  return undefined;
}

/** The text of the string literal token t ('' doubled inside). */
const literalAt = (sql: string, t: Token) => (/^'((?:[^']|'')*)'/.exec(sql.slice(t.at))?.[1] ?? '').replace(/''/g, "'");

/** `set_config('search_path', '<literal>', ...)`: the literal's schemas as PostgreSQL reads them; else 'unknown'. */
function setConfigPath(sql: string, backslashEscapes: boolean): string[] | 'unknown' {
  const tokens = tokenize(sql, Infinity, 'postgres', backslashEscapes);
  for (let i = 0; i + 5 < tokens.length; i++) {
    if (nameOf(tokens[i]) !== 'set_config' || tokens[i + 1].text !== '(' || tokens[i + 2].text !== "'" || literalAt(sql, tokens[i + 2]).toLowerCase() !== 'search_path') continue;
    const value = tokens[i + 4];
    if (tokens[i + 3].text !== ',' || value.text !== "'" || (tokens[i + 5].text !== ',' && tokens[i + 5].text !== ')')) return 'unknown';
    // The value is a list as SET takes it: names, "Quoted" names, commas.
    return tokenize(literalAt(sql, value), 200).flatMap((t) => (t.kind === 'word' || t.kind === 'ident' ? [identifier(t)] : []));
  }
  return 'unknown';
}

/** How many rows a FETCH asks for: a count, or `all` (the rest of the cursor). */
export interface Fetch {
  cursor: string;
  rows: number | 'all';
}

const ONE_ROW = new Set(['NEXT', 'PRIOR', 'FIRST', 'LAST']);

/**
 * `FETCH [direction] [FROM | IN] cursor`: what it sends to the client, at most (a MOVE sends nothing).
 * NEXT, PRIOR, FIRST, LAST, ABSOLUTE n, RELATIVE n: one row; n, FORWARD n, BACKWARD n: |n| rows;
 * ALL, FORWARD ALL, BACKWARD ALL: the rest.
 */
export function fetchOf(sql: string, backslashEscapes = false): Fetch | undefined {
  const tokens = tokenize(sql, 80, 'postgres', backslashEscapes);
  if (wordAt(tokens, 0) !== 'FETCH') return undefined;
  let i = 1;
  let rows: number | 'all' = 1;
  // A count is punctuation to the tokenizer (digits, a sign): read from the text at its place, then skipped.
  const count = () => {
    let k = i;
    if (tokens[k]?.text === '+' || tokens[k]?.text === '-') k++;
    const m = tokens[k]?.kind === 'punct' ? /^\d+/.exec(sql.slice(tokens[k].at, tokens[k].at + 24)) : null;
    if (!m) return undefined;
    const end = tokens[k].at + m[0].length;
    i = k;
    while (tokens[i] && tokens[i].at < end) i++;
    return Number(m[0]);
  };
  const w = wordAt(tokens, i);
  if (ONE_ROW.has(w)) i++;
  else if (w === 'ABSOLUTE' || w === 'RELATIVE') {
    i++;
    count();
  } else if (w === 'ALL') {
    rows = 'all';
    i++;
  } else if (w === 'FORWARD' || w === 'BACKWARD') {
    i++;
    if (wordAt(tokens, i) === 'ALL') {
      rows = 'all';
      i++;
    } else rows = count() ?? 1;
  } else rows = count() ?? 1;
  if (wordAt(tokens, i) === 'FROM' || wordAt(tokens, i) === 'IN') i++;
  const cursor = nameOf(tokens[i]);
  return cursor === undefined ? undefined : { cursor, rows };
}

/** Aggregates that put many rows' values into one: pgaudit counts the one row they return. */
const ROW_AGGREGATES = new Set(['json_agg', 'jsonb_agg', 'json_object_agg', 'jsonb_object_agg', 'json_arrayagg', 'json_objectagg', 'string_agg', 'array_agg', 'xmlagg']);

/**
 * True when the statement calls an aggregate that concatenates rows (`SELECT json_agg(c) FROM customers c`
 * sends the whole table as one row; pgaudit logs 1 row) or builds an array from a subquery
 * (`ARRAY(SELECT ...)`), however the name is written (quoted, schema-qualified, `U&` escapes, a comment
 * before its parenthesis), or calls a function of pg_temp (an aggregate of the session's making).
 * Anywhere in the statement, however long: padding cannot push it out of sight.
 */
export function aggregatesRows(sql: string, own: readonly string[] = []): boolean {
  if (own.length === 0 && !/agg|array|u&|pg_temp/i.test(sql)) return false;
  return readings(sql).some((backslashes) => callsRowAggregate(tokenize(sql, Infinity, 'postgres', backslashes), own));
}

/** `own`: the names of the aggregates the session created (CREATE AGGREGATE crm.cat: `cat`), whatever their schema. */
function callsRowAggregate(tokens: Token[], own: readonly string[]): boolean {
  for (let i = 0; i + 1 < tokens.length; i++) {
    if (tokens[i + 1].text !== '(') continue;
    const name = nameOf(tokens[i]);
    if (name !== undefined && (ROW_AGGREGATES.has(name) || own.includes(name) || (name === 'array' && tokens[i].kind === 'word'))) return true;
    // A function of the session's own temporary schema: an aggregate anyone can make in one statement
    // (CREATE AGGREGATE pg_temp.cat (text) (SFUNC = textcat, STYPE = text)), called only so qualified.
    if (i >= 2 && tokens[i - 1].text === '.' && /^pg_temp(_\d+)?$/.test(nameOf(tokens[i - 2]) ?? '')) return true;
  }
  return false;
}

/** `CREATE [OR REPLACE] AGGREGATE [schema.]name (...)`: the aggregate's name as PostgreSQL keeps it, without its schema. */
export function aggregateCreated(sql: string, backslashEscapes = false): string | undefined {
  const tokens = tokenize(sql, 12, 'postgres', backslashEscapes);
  const at = wordAt(tokens, 1) === 'OR' && wordAt(tokens, 2) === 'REPLACE' ? 3 : 1;
  if (wordAt(tokens, 0) !== 'CREATE' || wordAt(tokens, at) !== 'AGGREGATE') return undefined;
  const read = dottedNameAt(tokens, at + 1);
  return read && read.parts[read.parts.length - 1];
}

/** Built-in set-returning functions: rows they make are not a table's (generate_series, unnest, JSON's). */
const BUILTIN_ROW_FUNCTIONS = new Set([
  'generate_series', 'generate_subscripts', 'unnest', 'regexp_matches', 'regexp_split_to_table', 'string_to_table',
  'json_each', 'json_each_text', 'jsonb_each', 'jsonb_each_text', 'json_array_elements', 'json_array_elements_text', 'jsonb_array_elements', 'jsonb_array_elements_text',
  'json_object_keys', 'jsonb_object_keys', 'json_to_record', 'json_to_recordset', 'jsonb_to_record', 'jsonb_to_recordset',
  'json_populate_record', 'json_populate_recordset', 'jsonb_populate_record', 'jsonb_populate_recordset', 'jsonb_path_query', 'xmltable',
  // Built-ins of one row that queries put in FROM: full-text search's query (`FROM docs, to_tsquery('x') q
  // WHERE tsv @@ q`, the manual's idiom), a clock.
  'to_tsquery', 'plainto_tsquery', 'phraseto_tsquery', 'websearch_to_tsquery', 'to_tsvector', 'now', 'current_setting',
  'ts_stat', 'ts_parse', 'ts_debug', 'ts_token_type',
]);
/** Words followed by a parenthesis in FROM that are not a function: `JOIN LATERAL (SELECT ...)`, `JOIN ROWS FROM (...)`, `FROM ONLY (t)`. */
const NOT_A_FUNCTION = new Set(['lateral', 'rows', 'only', 'select', 'values', 'table', 'with']);
const CATALOG_SCHEMAS = new Set(['pg_catalog', 'information_schema']);

/**
 * True when the statement sends rows a function makes, which pgaudit logs on the statement's tables
 * (`SELECT f FROM one_row, LATERAL pg_temp.drain('k') f`: 3,000 rows of a drained cursor on one_row's
 * line, at one_row's width): a call of a function of a schema (pg_temp, the user's own; not
 * pg_catalog) anywhere, or of a function without schema in FROM, JOIN or LATERAL that is not a built-in
 * set-returning one. A function without schema elsewhere (found along search_path) is not seen.
 */
export function readsFunctionRows(sql: string): boolean {
  if (!sql.includes('(')) return false;
  return readings(sql).some((backslashes) => {
    const tokens = tokenize(sql, Infinity, 'postgres', backslashes);
    for (let i = 0; i + 1 < tokens.length; i++) {
      if (tokens[i + 1].text !== '(' || (tokens[i].kind !== 'word' && tokens[i].kind !== 'ident')) continue;
      const name = nameOf(tokens[i])!;
      if (i >= 2 && tokens[i - 1].text === '.') {
        // schema.f(...), not INSERT INTO s.t (columns) or COPY s.t (columns).
        const schema = nameOf(tokens[i - 2]);
        if (schema !== undefined && !CATALOG_SCHEMAS.has(schema) && !/^(INTO|COPY|TABLE)$/.test(wordAt(tokens, i - 3))) return true;
      } else if (/^(FROM|JOIN|LATERAL)$/.test(wordAt(tokens, i - 1)) && !BUILTIN_ROW_FUNCTIONS.has(name) && !(tokens[i].kind === 'word' && NOT_A_FUNCTION.has(name))) return true;
    }
    return false;
  });
}
