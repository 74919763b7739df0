// Replays a recording (recording.ts) on another ClickHouse through the product's own wrapper and
// compares each answer with the one 18.16 gave. Results are compared as the product receives them
// (parsed JSON rows, deep-equal); errors by their server code (the wording changed across versions).
// A difference is either expected, for a reason named in EXPECTED below, or a finding.
import { isDeepStrictEqual } from 'node:util';
import { ClickHouseError } from '../../src/errors';
import { sql, SqlFragment, type ClickHouse } from '../../src/store';
import { describeStatement, type Outcome, type Statement } from './recording';

export type Verdict = 'same' | 'expected' | 'different' | 'not-replayed';

export interface ReplayedStatement {
  statement: Statement;
  verdict: Verdict;
  /** For expected and not-replayed: which rule; for different: what differs. */
  reason?: string;
  modern?: Outcome;
}

/** Differences that do not mean the product behaves differently, each with its justification. */
export const EXPECTED = {
  version: 'SELECT version() names the server: 18.16.1 against 26.x, by definition',
  rowOrder: 'the same rows in another order, from a query without ORDER BY: SQL leaves that order unspecified, and the product does not rely on it (it sorts or builds maps)',
  arrayOrder:
    'the same elements in another order inside groupUniqArray() or groupUniqArrayIf(): that order is unspecified, and the product reads the array as a set (src/detect/history.ts)',
  zeroDateTime:
    'the zero DateTime (no time) prints as 0000-00-00 00:00:00 on 18.16 and 1970-01-01 00:00:00 on 26.x; the product reads both as 0 through fromDateTime() (src/store/datetime.ts)',
  raced:
    'on 18.16 this read ran while another statement wrote to the same database (the test polled while an ingester, detector or notifier wrote); its answer depends on that timing, the replay runs one statement at a time',
  limitWithoutOrder:
    'a LIMIT without ORDER BY: which rows it keeps is unspecified, and the product never relies on it (a test asked for any one row of several alike)',
  describe:
    'DESCRIBE TABLE lists more attributes of each column on 26.x (comment, codec, ttl); every column has the same name and type',
  clock:
    'a read of the clock (now(), today()): replayed minutes after 18.16 answered it, its time and any window measured from it are others',
  background:
    "a read of the server's unfinished mutations (system.mutations): background work that each server finishes at its own pace",
  running:
    "a read of the queries running on the server (system.processes: the ingester waiting for a previous owner's insert): live state of that instant, and the replay runs one statement at a time",
  floatDigits:
    'a Float64 the product wrote (an alert ratio) read back one unit apart in its 16th-17th digit: the servers turn decimal text into doubles and back differently; the product shows such figures to a few digits',
} as const;

export const NOT_REPLAYED = {
  refused: 'the connection was refused (the test had stopped that server on purpose): it never reached a server',
  unansweredRead: 'a read 18.16 never answered (the connection broke or timed out): nothing to compare, and it changed nothing',
  unknownWrite:
    'a write whose outcome on 18.16 is unknown (its process was killed mid-insert on purpose, or the connection broke), and no later answer of 18.16 showed that it landed',
  modernServer: 'sent to a 26.x server during the tests (the chdb tests themselves): not part of what 18.16 answered',
  session:
    "refused by 18.16 for its HTTP session (not found, or held by another request): the ingester's fence closing on purpose; it changed nothing there, and the chdb front keeps no sessions",
  queryLog:
    "a read of an audited server's own query log (system.query_log, by src/sources/clickhouse): its rows are that server's history, and chdb, an embedded engine, keeps none",
  processes:
    "a read of the queries an audited server was running (system.processes, by src/sources/clickhouse): what ran on 18.16 at that moment, which no replay runs again, and a table whose columns differ by version",
} as const;

/** Writes of unknown outcome that later answers of 18.16 showed had landed, replayed there. */
export const LANDED = 'a write whose outcome on 18.16 was unknown (process killed mid-insert), replayed where a later answer of 18.16 showed it had landed';

/** The read that found such a write half-way in. */
export const LANDING =
  'on 18.16 this read ran while a write whose outcome is unknown (process killed mid-insert) was still landing, one part after another (an insert across months writes a part per month): each of its figures lies between those without the write and with it';

export async function replayStatement(ch: ClickHouse, s: Statement): Promise<Outcome> {
  try {
    switch (s.kind) {
      case 'query':
        if (s.format === 'TabSeparated') {
          let text = '';
          await ch.queryTabSeparated(new SqlFragment(s.sql), (line) => (text += `${line}\n`), { settings: s.settings });
          return { ok: true, result: text };
        }
        return { ok: true, result: await ch.query(new SqlFragment(s.sql), { settings: s.settings }) };
      case 'exec':
        await ch.exec(new SqlFragment(s.sql));
        return { ok: true };
      case 'insert':
        await ch.insert(s.table, s.rows, { settings: s.settings });
        return { ok: true };
      case 'version':
        return { ok: true, result: await ch.serverVersion() };
    }
  } catch (err) {
    if (!(err instanceof ClickHouseError)) throw err;
    return { ok: false, error: { message: err.message, serverCode: err.context.serverCode as number | undefined, retriable: err.retriable } };
  }
}

/** Whether 18.16 may or may not have run it: sent, but never answered (and not refused outright). */
export function unknownOutcome(s: Statement): boolean {
  if ('inFlight' in s.outcome) return true;
  return !s.outcome.ok && s.outcome.error.serverCode === undefined && !/ECONNREFUSED/.test(s.outcome.error.message);
}

/** SESSION_NOT_FOUND, SESSION_IS_LOCKED: what a fenced insert attempt gets once its session is closed. */
const SESSION_CODES = new Set([372, 373]);

/** Why a statement is not replayed in its place, or undefined when it is. */
export function notReplayable(s: Statement): string | undefined {
  if ('ok' in s.outcome && !s.outcome.ok && SESSION_CODES.has(Number(s.outcome.error.serverCode))) return NOT_REPLAYED.session;
  if (s.kind === 'query' && (/\bsystem\.query_log\b/i.test(s.sql) || /\btable\s*=\s*'query_log'/i.test(s.sql))) return NOT_REPLAYED.queryLog;
  // The poller's (it reads the queries' settings); the write fence's counts of its own inserts are replayed.
  if (s.kind === 'query' && ((/\bsystem\.processes\b/i.test(s.sql) && /\bSettings\b/.test(s.sql)) || /\btable\s*=\s*'processes'/i.test(s.sql))) return NOT_REPLAYED.processes;
  if ('inFlight' in s.outcome || (!s.outcome.ok && s.outcome.error.serverCode === undefined)) {
    if (!unknownOutcome(s)) return NOT_REPLAYED.refused;
    return s.kind === 'query' || s.kind === 'version' ? NOT_REPLAYED.unansweredRead : NOT_REPLAYED.unknownWrite;
  }
  return undefined;
}

/** Servers the recording shows answering as a modern version (the tests of the chdb front and of modern-only paths). */
export function modernServers(statements: ReadonlyArray<Statement>): Set<string> {
  const urls = new Set<string>();
  for (const s of statements) {
    if (s.kind === 'version' && 'ok' in s.outcome && s.outcome.ok && !String(s.outcome.result).startsWith('18.')) urls.add(s.url);
  }
  return urls;
}

/** What differs between the two outcomes, or undefined when they are the same. */
export function difference(old: Outcome, modern: Outcome): string | undefined {
  if ('inFlight' in old || 'inFlight' in modern) return 'no outcome to compare';
  if (old.ok && modern.ok) {
    if (isDeepStrictEqual(old.result ?? null, modern.result ?? null)) return undefined;
    return `results differ: 18.16 ${preview(old.result)} / 26.x ${preview(modern.result)}`;
  }
  if (!old.ok && !modern.ok) {
    if (old.error.serverCode === modern.error.serverCode) return undefined;
    return `error codes differ: 18.16 ${old.error.serverCode} (${old.error.message}) / 26.x ${modern.error.serverCode} (${modern.error.message})`;
  }
  if (old.ok && !modern.ok) return `26.x rejected what 18.16 accepted: ${modern.error.message}`;
  if (!old.ok && modern.ok) return `26.x accepted what 18.16 rejected (${old.error.serverCode}: ${old.error.message})`;
  return undefined;
}

/**
 * Statements whose time on 18.16 overlapped a write to the same database by another statement: their
 * answer depended on which finished first. Computed from the recording's start and end times.
 */
export function racedWithWrite(statements: ReadonlyArray<Statement>): Set<string> {
  const writes = statements.filter((s) => s.kind === 'insert' || s.kind === 'exec');
  const raced = new Set<string>();
  for (const s of statements) {
    if (s.kind !== 'query') continue;
    const overlaps = writes.some((w) => w.id !== s.id && w.database === s.database && w.startedAt < s.endedAt && s.startedAt < w.endedAt);
    if (overlaps) raced.add(s.id);
  }
  return raced;
}

export function judge(s: Statement, modern: Outcome, raced: ReadonlySet<string>): ReplayedStatement {
  const diff = difference(s.outcome, modern);
  if (diff === undefined) return { statement: s, verdict: 'same', modern };
  if (s.kind === 'version') return { statement: s, verdict: 'expected', reason: EXPECTED.version, modern };
  if (s.kind === 'query' && 'ok' in s.outcome && s.outcome.ok && 'ok' in modern && modern.ok) {
    const [a, b] = [s.outcome.result, modern.result];
    const unordered = !hasOuterOrderBy(s.sql);
    const unorderedArrays = /\bgroupUniqArray(If)?\(/i.test(s.sql);
    if (unordered && sameRows(a, b, false)) return { statement: s, verdict: 'expected', reason: EXPECTED.rowOrder, modern };
    if (unorderedArrays && sameRows(a, b, true, !unordered)) return { statement: s, verdict: 'expected', reason: EXPECTED.arrayOrder, modern };
    if (unordered && /\bLIMIT\s+\d+\s*$/i.test(s.sql.trim()) && sameShape(a, b)) return { statement: s, verdict: 'expected', reason: EXPECTED.limitWithoutOrder, modern };
    if (/^\s*DESCRIBE\b/i.test(s.sql) && isDeepStrictEqual(nameTypes(a), nameTypes(b))) return { statement: s, verdict: 'expected', reason: EXPECTED.describe, modern };
    const zeroed = zeroTimesAsModern(a);
    if (isDeepStrictEqual(zeroed, b) || (unordered && sameRows(zeroed, b, false))) return { statement: s, verdict: 'expected', reason: EXPECTED.zeroDateTime, modern };
    const [ra, rb] = [to15Digits(a), to15Digits(b)];
    if (isDeepStrictEqual(ra, rb) || (unordered && sameRows(ra, rb, false))) return { statement: s, verdict: 'expected', reason: EXPECTED.floatDigits, modern };
  }
  const bothAnswered = 'ok' in s.outcome && s.outcome.ok && 'ok' in modern && modern.ok;
  if (raced.has(s.id) && bothAnswered) return { statement: s, verdict: 'expected', reason: EXPECTED.raced, modern };
  if (s.kind === 'query' && bothAnswered && /\b(now|today)\(\)/i.test(s.sql)) return { statement: s, verdict: 'expected', reason: EXPECTED.clock, modern };
  if (s.kind === 'query' && bothAnswered && /\bsystem\.mutations\b/i.test(s.sql)) return { statement: s, verdict: 'expected', reason: EXPECTED.background, modern };
  if (s.kind === 'query' && bothAnswered && /\bsystem\.processes\b/i.test(s.sql)) return { statement: s, verdict: 'expected', reason: EXPECTED.running, modern };
  return { statement: s, verdict: 'different', reason: diff, modern };
}

export interface ReplaySummary {
  statements: number;
  replayed: number;
  same: number;
  expected: Map<string, number>;
  notReplayed: Map<string, number>;
  different: ReplayedStatement[];
  databases: number;
}

export function summarize(results: ReadonlyArray<ReplayedStatement>): ReplaySummary {
  const count = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  const expected = new Map<string, number>();
  const notReplayed = new Map<string, number>();
  for (const r of results) {
    if (r.verdict === 'expected') count(expected, r.reason ?? '');
    if (r.verdict === 'not-replayed') count(notReplayed, r.reason ?? '');
  }
  return {
    statements: results.length,
    replayed: results.filter((r) => r.verdict !== 'not-replayed').length,
    same: results.filter((r) => r.verdict === 'same').length,
    expected,
    notReplayed,
    different: results.filter((r) => r.verdict === 'different'),
    databases: new Set(results.map((r) => r.statement.database)).size,
  };
}

export function describeDifference(r: ReplayedStatement): string {
  return `${r.statement.database}: ${describeStatement(r.statement)}\n    ${r.reason}`;
}

function preview(v: unknown, max = 300): string {
  const text = JSON.stringify(v) ?? 'undefined';
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** Whether the statement has an ORDER BY outside any parentheses (the order of its result rows). */
export function hasOuterOrderBy(text: string): boolean {
  // String literals and quoted names may hold anything: blank them out first.
  const plain = text.replace(/'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`|"(?:[^"\\]|\\.)*"/g, "''");
  let depth = 0;
  for (let i = 0; i < plain.length; i++) {
    const c = plain[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && /^ORDER\s+BY\b/i.test(plain.slice(i, i + 20)) && /\W/.test(plain[i - 1] ?? ' ')) return true;
  }
  return false;
}

/** The same rows (as multisets unless `ordered`), arrays compared as sets when `arraysAsSets`. */
export function sameRows(a: unknown, b: unknown, arraysAsSets: boolean, ordered = false): boolean {
  // A TabSeparated answer is recorded as its text: one row a line.
  if (typeof a === 'string' && typeof b === 'string') return sameRows(linesOf(a), linesOf(b), false, ordered);
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  const key = (row: unknown) => JSON.stringify(arraysAsSets ? sortArrays(row) : row);
  const ka = a.map(key);
  const kb = b.map(key);
  if (!ordered) {
    ka.sort();
    kb.sort();
  }
  return ka.every((k, i) => k === kb[i]);
}

/** The rows of a TabSeparated answer (the last line's newline ends it, no row after it). */
function linesOf(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** As many rows, with the same columns. */
function sameShape(a: unknown, b: unknown): boolean {
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  const keys = (r: unknown) => Object.keys((r ?? {}) as object).sort().join(',');
  return a.every((r, i) => keys(r) === keys(b[i]));
}

/** DESCRIBE's rows reduced to each column's name and type. */
function nameTypes(v: unknown): unknown {
  return Array.isArray(v) ? v.map((r: { name?: unknown; type?: unknown }) => [r?.name, r?.type]) : v;
}

function sortArrays(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortArrays).sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sortArrays(x)]));
  return v;
}

/** Every number that is not an integer, to 15 significant digits (what a double holds for sure). */
export function to15Digits(v: unknown): unknown {
  if (typeof v === 'number' && !Number.isInteger(v)) return Number(v.toPrecision(15));
  if (Array.isArray(v)) return v.map(to15Digits);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, to15Digits(x)]));
  return v;
}

/** 18.16's zero DateTime and Date as 26.x prints them. */
export function zeroTimesAsModern(v: unknown): unknown {
  if (v === '0000-00-00 00:00:00') return '1970-01-01 00:00:00';
  if (v === '0000-00-00') return '1970-01-01';
  if (Array.isArray(v)) return v.map(zeroTimesAsModern);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, zeroTimesAsModern(x)]));
  return v;
}

/** ALTER TABLE ... UPDATE/DELETE: a mutation, which the server applies in the background. */
export function isMutation(s: Statement): boolean {
  return s.kind === 'exec' && /^\s*ALTER\s+TABLE\s+\S+\s+(UPDATE|DELETE)\b/i.test(s.sql);
}

/**
 * Waits until the database's mutations are applied. The tests waited for them on 18.16 by polling; the
 * replay asks each poll once, in order, so without this wait a read after an ALTER ... UPDATE would see
 * 26.x still applying it.
 */
async function mutationsDone(ch: ClickHouse, database: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const [row] = await ch.query<{ n: string }>(sql`SELECT count() AS n FROM system.mutations WHERE database = ${database} AND is_done = 0`);
    if (Number(row.n) === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * True when 18.16's answer is one row of numbers, each between the replay's without the unknown writes
 * and with them (a count polled while a killed client's insert was still being written, part by part).
 */
export function partway(old: Outcome, without: Outcome, withWrites: Outcome): boolean {
  const row = (o: Outcome) => ('ok' in o && o.ok && Array.isArray(o.result) && o.result.length === 1 ? (o.result[0] as Record<string, unknown>) : undefined);
  const [a, lo, hi] = [row(old), row(without), row(withWrites)];
  if (!a || !lo || !hi) return false;
  const keys = Object.keys(a);
  if (!isDeepStrictEqual(keys, Object.keys(lo)) || !isDeepStrictEqual(keys, Object.keys(hi))) return false;
  return keys.every((k) => {
    const [x, l, h] = [a[k], lo[k], hi[k]].map((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : typeof v === 'number' ? v : NaN));
    return Number.isFinite(x) && Number.isFinite(l) && Number.isFinite(h) && Math.min(l, h) <= x && x <= Math.max(l, h);
  });
}

/**
 * Replays the recording in order on one server (a client per database). Writes whose outcome on 18.16
 * is unknown wait: when a later read of their database differs, they are replayed, newest first (an
 * older one that had landed would have shown in an earlier read), until the read, asked again, agrees.
 * A read that agrees without them settles nothing: a killed client's insert may still complete on the
 * server after that read. A read that agrees neither without them nor with them, but lies between the
 * two, caught one landing (partway).
 */
export async function replayAll(
  statements: ReadonlyArray<Statement>,
  clientFor: (database: string) => ClickHouse,
  progress: (done: number) => void = () => {},
): Promise<ReplayedStatement[]> {
  const modern = modernServers(statements);
  const raced = racedWithWrite(statements);
  const pending = new Map<string, Statement[]>();
  /**
   * Per database, the reads that caught a write landing part by part, and their answers without it: the
   * same read asked again while it still lands (18.16 writes a large insert block by block) lies between
   * the same two answers.
   */
  const landing = new Map<string, Map<string, Outcome>>();
  const results = new Map<Statement, ReplayedStatement>();
  for (const [i, s] of statements.entries()) {
    if (i > 0 && i % 1000 === 0) progress(i);
    if (modern.has(s.url)) {
      results.set(s, { statement: s, verdict: 'not-replayed', reason: NOT_REPLAYED.modernServer });
      continue;
    }
    const skip = notReplayable(s);
    if (skip) {
      results.set(s, { statement: s, verdict: 'not-replayed', reason: skip });
      if (skip === NOT_REPLAYED.unknownWrite) pending.set(s.database, [...(pending.get(s.database) ?? []), s]);
      continue;
    }
    const ch = clientFor(s.database);
    const outcome = await replayStatement(ch, s);
    if (isMutation(s) && 'ok' in outcome && outcome.ok) await mutationsDone(ch, s.database);
    let r = judge(s, outcome, raced);
    const waiting = pending.get(s.database) ?? [];
    if (s.kind === 'query' && r.verdict === 'different' && waiting.length > 0) {
      const without = outcome;
      while (waiting.length > 0 && r.verdict !== 'same') {
        const w = waiting.pop()!;
        results.set(w, { statement: w, verdict: 'expected', reason: LANDED, modern: await replayStatement(clientFor(w.database), w) });
        r = judge(s, await replayStatement(ch, s), raced);
      }
      if (r.verdict === 'different' && r.modern && partway(s.outcome, without, r.modern)) {
        r = { ...r, verdict: 'expected', reason: LANDING };
        landing.set(s.database, (landing.get(s.database) ?? new Map()).set(s.sql ?? '', without));
      }
    } else if (s.kind === 'query' && r.verdict === 'different' && r.modern) {
      const without = landing.get(s.database)?.get(s.sql ?? '');
      if (without && partway(s.outcome, without, r.modern)) r = { ...r, verdict: 'expected', reason: LANDING };
    }
    // Landed in full (the read agrees), or another write came: the answers without it are no longer the bounds.
    if (r.verdict === 'same' && s.kind === 'query') landing.get(s.database)?.delete(s.sql ?? '');
    if (s.kind !== 'query' && s.kind !== 'version') landing.delete(s.database);
    results.set(s, r);
  }
  return [...results.values()];
}
