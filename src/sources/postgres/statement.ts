// Just enough of SQL to name what a statement touches when the log does not say it: the table of
// `COPY t TO` (pgaudit 1.7 logs it without its table), and the tables of a statement that failed
// (PostgreSQL logs the ERROR and the statement, pgaudit nothing); for MariaDB and ClickHouse, the
// tables of a statement whose log names none (a slow-log entry without its audit lines, ClickHouse
// 18.16's query_log). Not a parser: a tokenizer that skips literals and comments, and the relation
// after FROM, JOIN, INTO, UPDATE, TABLE, TRUNCATE or COPY. What a statement does beyond the tables it
// names (a cursor declared, a FETCH's count, search_path set, RETURNING, aggregates): statement-reads.ts.
//   dialects: postgres ("ident", 'string', $$ $$), mysql (`ident`, 'str\'ing' and "string", # comments),
//   clickhouse (`ident` and "ident", 'str\'ing').
export interface CopyTarget {
  /** As the statement names it: `schema.table`, or `table` (the session's search_path found its schema: the caller looks it up). */
  table?: string;
  /** The column list of `COPY t (a, b) TO`, lower-cased unless quoted. */
  columns?: string[];
  direction: 'to' | 'from';
  /** `COPY (SELECT ...) TO`: pgaudit logs the query's tables and rows itself. */
  query: boolean;
}

/** `at`: where the token starts in the statement. */
export type Token = { kind: 'word' | 'ident' | 'punct'; text: string; at: number };

export type Dialect = 'postgres' | 'mysql' | 'clickhouse';

/** How names are read: the dialect, and the schema of an unqualified name ('' keeps it unqualified). */
export interface NameRules {
  dialect?: Dialect;
  defaultSchema?: string;
  /** PostgreSQL with standard_conforming_strings = off: backslash escapes in '...' (the other dialects always). */
  backslashEscapes?: boolean;
}

/** Tokens of a statement: words (upper-cased keywords and lower-cased names), quoted identifiers, punctuation. */
export function tokenize(sql: string, limit = 2000, dialect: Dialect = 'postgres', backslashEscapes = false): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = sql.length;
  // Backslash escapes inside '...' (MySQL, ClickHouse, PostgreSQL without standard_conforming_strings); which quotes delimit identifiers.
  const backslash = dialect !== 'postgres' || backslashEscapes;
  const identQuotes = dialect === 'postgres' ? '"' : dialect === 'mysql' ? '`' : '`"';
  while (i < n && tokens.length < limit) {
    const c = sql[i];
    const start = i;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if ((c === '-' && sql[i + 1] === '-') || (c === '#' && dialect === 'mysql')) {
      const eol = sql.indexOf('\n', i);
      i = eol < 0 ? n : eol + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      // PostgreSQL's block comments nest: in `/* /* */ t */` all of it is comment (the table after it was
      // read as `t`, a small one, and a copy of a large table counted as that one).
      const end = sql.indexOf('*/', i + 2);
      i = dialect === 'postgres' ? nestedCommentEnd(sql, i) : end < 0 ? n : end + 2;
    } else if (dialect === 'postgres' && (c === 'U' || c === 'u') && sql[i + 1] === '&' && sql[i + 2] === '"') {
      // U&"cust\006fmers": a name with Unicode escapes (read as `u` before).
      const read = quotedAt(sql, i + 2, '"');
      // ... UESCAPE '!': another escape character than the backslash.
      const other = /^\s*UESCAPE\s*'([^'])'/i.exec(sql.slice(read.next, read.next + 64));
      tokens.push({ kind: 'ident', text: unicodeEscapes(read.text, other?.[1]), at: start });
      i = read.next + (other ? other[0].length : 0);
    } else if (c === "'" || (c === '"' && dialect === 'mysql') || (dialect === 'postgres' && (c === 'E' || c === 'e') && sql[i + 1] === "'")) {
      // '...' with '' inside; backslash escapes in MySQL's and ClickHouse's, and in PostgreSQL's E'...'.
      const escapes = backslash || c === 'E' || c === 'e';
      if (c !== "'" && c !== '"') i++;
      const quote = sql[i];
      i++;
      while (i < n) {
        if (escapes && sql[i] === '\\') i += 2;
        else if (sql[i] === quote && sql[i + 1] === quote) i += 2;
        else if (sql[i] === quote) break;
        else i++;
      }
      i++;
      tokens.push({ kind: 'punct', text: "'", at: start });
    } else if (identQuotes.includes(c)) {
      const read = quotedAt(sql, i, c);
      tokens.push({ kind: 'ident', text: read.text, at: start });
      i = read.next;
    } else if (c === '$' && dialect === 'postgres' && /^\$[A-Za-z_]*\$/.test(sql.slice(i, i + 64))) {
      const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i, i + 64))![0];
      const end = sql.indexOf(tag, i + tag.length);
      i = end < 0 ? n : end + tag.length;
      tokens.push({ kind: 'punct', text: "'", at: start });
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[j])) j++;
      tokens.push({ kind: 'word', text: sql.slice(i, j), at: start });
      i = j;
    } else {
      tokens.push({ kind: 'punct', text: c, at: start });
      i++;
    }
  }
  return tokens;
}

/** A quoted name at sql[i] (the quote), doubled quotes inside: its text and the index after it. */
function quotedAt(sql: string, i: number, q: string): { text: string; next: number } {
  let text = '';
  let j = i + 1;
  while (j < sql.length) {
    if (sql[j] === q && sql[j + 1] === q) {
      text += q;
      j += 2;
    } else if (sql[j] === q) break;
    else text += sql[j++];
  }
  return { text, next: j + 1 };
}

/** The end of a PostgreSQL block comment starting at sql[i], its nested comments included. */
function nestedCommentEnd(sql: string, i: number): number {
  let depth = 0;
  for (let j = i; j < sql.length - 1; j++) {
    if (sql[j] === '/' && sql[j + 1] === '*') {
      depth++;
      j++;
    } else if (sql[j] === '*' && sql[j + 1] === '/') {
      depth--;
      j++;
      if (depth === 0) return j + 1;
    }
  }
  return sql.length;
}

/** A U&"..." name's escapes: \XXXX, \+XXXXXX and \\ with the escape character `e` (the backslash unless UESCAPE says another). */
function unicodeEscapes(text: string, e = '\\'): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const four = text[i] === e ? /^[0-9A-Fa-f]{4}/.exec(text.slice(i + 1, i + 5)) : null;
    const six = text[i] === e && text[i + 1] === '+' ? /^[0-9A-Fa-f]{6}/.exec(text.slice(i + 2, i + 8)) : null;
    if (six && parseInt(six[0], 16) <= 0x10ffff) {
      out += String.fromCodePoint(parseInt(six[0], 16));
      i += 7;
    } else if (four) {
      out += String.fromCodePoint(parseInt(four[0], 16));
      i += 4;
    } else if (text[i] === e && text[i + 1] === e) {
      out += e;
      i++;
    } else out += text[i];
  }
  return out;
}

/** SELECT, INSERT, COPY, WITH, ... : the statement's first keyword, upper-cased ('' when none). */
export function firstKeyword(sql: string, dialect: Dialect = 'postgres'): string {
  const t = tokenize(sql, 1, dialect)[0];
  return t && t.kind === 'word' ? t.text.toUpperCase() : '';
}

/** Reads `name`, `schema.name`, `"Quoted"`... at tokens[i]; returns the qualified name and the next index. */
function relationAt(tokens: Token[], i: number, rules: Required<NameRules> = PG): { name: string; next: number } | undefined {
  const read = dottedNameAt(tokens, i);
  // A function in FROM (generate_series(...), numbers(10)) is not a relation.
  if (!read || tokens[read.next]?.text === '(') return undefined;
  return { name: qualify(read.parts, rules), next: read.next };
}

/** PostgreSQL's NAMEDATALEN - 1: longer identifiers are cut to this many bytes (at a character's end). */
const MAX_IDENTIFIER_BYTES = 63;

/**
 * A name as PostgreSQL keeps it: an unquoted word with its ASCII letters lower-cased (only those: `Ä`
 * stays `Ä`), cut to 63 bytes (a cursor declared with a 70-character name is fetched by its first 63).
 */
export function identifier(t: Token): string {
  const name = t.kind === 'word' ? t.text.replace(/[A-Z]+/g, (w) => w.toLowerCase()) : t.text;
  if (name.length <= MAX_IDENTIFIER_BYTES / 3 || Buffer.byteLength(name) <= MAX_IDENTIFIER_BYTES) return name;
  let cut = '';
  for (const ch of name) {
    if (Buffer.byteLength(cut + ch) > MAX_IDENTIFIER_BYTES) break;
    cut += ch;
  }
  return cut;
}

/** The parts of `a`, `a.b`, `"Quoted".b`... at tokens[i] (unquoted words lower-cased) and the next index. */
export function dottedNameAt(tokens: Token[], i: number): { parts: string[]; next: number } | undefined {
  const parts: string[] = [];
  let j = i;
  for (;;) {
    const t = tokens[j];
    if (!t || (t.kind !== 'word' && t.kind !== 'ident')) return undefined;
    parts.push(identifier(t));
    j++;
    if (tokens[j]?.text === '.') {
      j++;
      continue;
    }
    break;
  }
  return { parts, next: j };
}

const PG: Required<NameRules> = { dialect: 'postgres', defaultSchema: 'public', backslashEscapes: false };
/** Names as a PostgreSQL statement gives them, without a schema where it gives none. */
export const AS_NAMED: Required<NameRules> = { dialect: 'postgres', defaultSchema: '', backslashEscapes: false };

function qualify(parts: string[], rules: Required<NameRules>): string {
  if (parts.length > 1) return parts.slice(-2).join('.');
  return rules.defaultSchema ? `${rules.defaultSchema}.${parts[0]}` : parts[0];
}

const NOT_A_RELATION = new Set(['select', 'lateral', 'only', 'values', 'stdin', 'stdout', 'program']);

export function copyTarget(sql: string, backslashEscapes = false): CopyTarget | undefined {
  const tokens = tokenize(sql, 400, 'postgres', backslashEscapes);
  if (tokens[0]?.kind !== 'word' || tokens[0].text.toUpperCase() !== 'COPY') return undefined;
  let i = 1;
  if (tokens[i]?.kind === 'word' && tokens[i].text.toUpperCase() === 'BINARY') i++;
  const direction = () => {
    for (let k = i; k < tokens.length; k++) {
      const w = tokens[k].kind === 'word' ? tokens[k].text.toUpperCase() : '';
      if (w === 'TO') return 'to' as const;
      if (w === 'FROM') return 'from' as const;
    }
    return 'to' as const;
  };
  if (tokens[i]?.text === '(') {
    // Skip the query to its closing parenthesis, then read the direction.
    let depth = 0;
    for (; i < tokens.length; i++) {
      if (tokens[i].text === '(') depth++;
      else if (tokens[i].text === ')' && --depth === 0) break;
    }
    i++;
    return { direction: direction(), query: true };
  }
  const rel = relationAtCopy(tokens, i, AS_NAMED);
  if (!rel) return undefined;
  i = rel.next;
  let columns: string[] | undefined;
  if (tokens[i]?.text === '(') {
    columns = [];
    for (i++; i < tokens.length && tokens[i].text !== ')'; i++) {
      const t = tokens[i];
      if (t.kind === 'word') columns.push(identifier(t));
      else if (t.kind === 'ident') columns.push(t.text);
    }
    i++;
  }
  return { table: rel.name, columns, direction: direction(), query: false };
}

/**
 * The COPY statements of a query string that may hold several: pgaudit logs every statement of a
 * multi-statement query with the whole string, so `SELECT 1; COPY t TO STDOUT` does not start with COPY.
 */
export function copyTargets(sql: string): CopyTarget[] {
  if (!/copy/i.test(sql)) return [];
  return statementsOf(sql)
    .map((s) => copyTarget(s.text, s.backslashEscapes))
    .filter((t): t is CopyTarget => t !== undefined);
}

/** One statement of a query string, and how its literals are read. */
export interface Statement {
  text: string;
  backslashEscapes: boolean;
}

/** How a string's backslashes may be read: both ways when it holds one (standard_conforming_strings may be off). */
export const readings = (sql: string): boolean[] => (sql.includes('\\') ? [false, true] : [false]);

/**
 * The statements of a query string, split at the semicolons outside literals and comments. The log
 * does not say whether the session had standard_conforming_strings off (any user may set it), which
 * changes where a literal holding a backslash ends: `SELECT 'x\'; COPY decoy TO STDOUT; --'; COPY real
 * TO STDOUT` copies `real` with it off, `decoy` with it on. A string with a backslash is read both ways
 * and every statement either reading finds is returned (once): an upper bound.
 */
export function statementsOf(sql: string): Statement[] {
  const out: Statement[] = [];
  const seen = new Set<string>();
  for (const backslashEscapes of readings(sql)) {
    let from = 0;
    const ends = tokenize(sql, Infinity, 'postgres', backslashEscapes).filter((t) => t.kind === 'punct' && t.text === ';').map((t) => t.at);
    for (const end of [...ends, sql.length]) {
      const text = sql.slice(from, end);
      from = end + 1;
      if (seen.has(text.trim())) continue;
      seen.add(text.trim());
      out.push({ text, backslashEscapes });
    }
  }
  return out;
}

function relationAtCopy(tokens: Token[], i: number, rules: Required<NameRules>): { name: string; next: number } | undefined {
  // COPY t (a, b) TO: the column list follows the name, unlike a function call.
  const read = dottedNameAt(tokens, i);
  return read && { name: qualify(read.parts, rules), next: read.next };
}

/** The relations a statement names after FROM, JOIN, INTO, UPDATE, TABLE, TRUNCATE and COPY, in order, once each. */
export function relationsOf(sql: string, rules: NameRules = {}, maxTokens = 2000): string[] {
  const r: Required<NameRules> = { dialect: rules.dialect ?? 'postgres', defaultSchema: rules.defaultSchema ?? (rules.dialect && rules.dialect !== 'postgres' ? '' : 'public'), backslashEscapes: rules.backslashEscapes ?? false };
  const tokens = tokenize(sql, maxTokens, r.dialect, r.backslashEscapes);
  const found: string[] = [];
  const add = (name: string) => {
    if (!found.includes(name)) found.push(name);
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind !== 'word') continue;
    const w = t.text.toUpperCase();
    if (w !== 'FROM' && w !== 'JOIN' && w !== 'INTO' && w !== 'UPDATE' && w !== 'TABLE' && w !== 'TRUNCATE' && w !== 'COPY') continue;
    // FROM a, b, c: a list of relations (each may have an alias).
    let j = i + 1;
    for (;;) {
      // TRUNCATE TABLE t, FROM ONLY t: the keyword before the name.
      while (tokens[j]?.kind === 'word' && (tokens[j].text.toUpperCase() === 'ONLY' || tokens[j].text.toUpperCase() === 'TABLE')) j++;
      const next = tokens[j];
      if (!next || next.kind === 'punct' || (next.kind === 'word' && NOT_A_RELATION.has(next.text.toLowerCase()))) break;
      // SELECT ... INTO OUTFILE 'f' / INTO DUMPFILE / INTO @var: a destination, not a relation.
      if (w === 'INTO' && next.kind === 'word' && /^(outfile|dumpfile)$/i.test(next.text)) break;
      const rel = w === 'COPY' ? relationAtCopy(tokens, j, r) : relationAt(tokens, j, r);
      // FROM generate_series(1, 1) g, customers c: a function in the list, and the relations after it.
      const call = !rel && w === 'FROM' ? dottedNameAt(tokens, j) : undefined;
      if (call && tokens[call.next]?.text === '(') j = afterParentheses(tokens, call.next);
      else if (!rel) break;
      else {
        add(rel.name);
        j = rel.next;
      }
      if (w !== 'FROM') break;
      // Skip an alias ("AS x" or "x", with its column names: "AS u(x)") to a following comma.
      if (tokens[j]?.kind === 'word' && tokens[j].text.toUpperCase() === 'AS') j++;
      if (tokens[j]?.kind === 'word' && !isClauseKeyword(tokens[j].text)) j++;
      if (tokens[j]?.text === '(') j = afterParentheses(tokens, j);
      if (tokens[j]?.text !== ',') break;
      j++;
    }
  }
  return found;
}

/** The index after the parenthesis that closes the one at tokens[i]. */
function afterParentheses(tokens: Token[], i: number): number {
  let depth = 0;
  for (let k = i; k < tokens.length; k++) {
    if (tokens[k].text === '(') depth++;
    else if (tokens[k].text === ')' && --depth === 0) return k + 1;
  }
  return tokens.length;
}

const CLAUSE_KEYWORDS = new Set(['WHERE', 'JOIN', 'INNER', 'LEFT', 'RIGHT', 'FULL', 'CROSS', 'NATURAL', 'ON', 'GROUP', 'ORDER', 'LIMIT', 'OFFSET', 'HAVING', 'WINDOW', 'UNION', 'EXCEPT', 'INTERSECT', 'FOR', 'RETURNING', 'SET', 'USING', 'TO', 'WITH']);

function isClauseKeyword(word: string): boolean {
  return CLAUSE_KEYWORDS.has(word.toUpperCase());
}
