// Reads the slow log does not show whole (docs/sources/mariadb.md; fixtures test/fixtures/mariadb/hidden-reads/):
//   - bytes sent by statements that give no event of their own (a session-only keyword, no table),
//     added up per user until they are worth an event (`addUnseen`, UNSEEN_FLOOR);
//   - an execution of a prepared statement, which logs only the whole net buffers it had flushed
//     (`unflushedBytes`, an estimate);
//   - a session that turned its slow log off: its reads from their audit lines, with no bytes
//     (`slowLogOff` marks the connection, `unloggedReads` makes the events).
import { validateEvent } from '../../event';
import { firstKeyword } from '../postgres/statement';
import { PINNED_ATTR } from '../session-join';
import { clip } from '../../text';
import { STATEMENT_KEEP, type DecodeContext, type DecodedEvent, type DecodeResult, type SessionFact } from '../types';
import { auditTimeMs, type AuditLine } from './audit-log';
import { queryTables, SESSION_ONLY } from './event-fields';
import type { SlowEntry } from './slow-log';

/**
 * Bytes a user was sent by statements that give no event of their own (a session-only keyword, an
 * administrator command, no table read) add up, per user and server, and become one event when they
 * reach this: `SET @x := (SELECT ... FROM t)` then `SELECT @x`, or `SELECT SUBSTRING(@x, ...)` in pieces,
 * sends a table's rows from no table. A statement under it is no event: a `SELECT 1` ping (66 bytes) is
 * one event in a thousand pings, while each statement that reads a table is an event anyway.
 */
export const UNSEEN_FLOOR = 64 * 1024;
/** The join state of a user's unseen bytes (memory only: a restart forgets less than UNSEEN_FLOOR a user). */
const unseenSession = (user: string) => `u:${user}`;

/**
 * A statement's bytes added to its user's unseen bytes. `total`: the sum, when it reached UNSEEN_FLOOR
 * (an event of that many bytes; the sum starts again), else undefined (no event). `before`: the sum
 * before this statement.
 */
export function addUnseen(user: string, bytes: number, server: string, ctx: DecodeContext): { before: number; total?: number; facts: SessionFact[] } {
  const session = unseenSession(user);
  const before = Number(ctx.session(server, session)?.attrs.get('unseen') ?? 0);
  const total = before + bytes;
  const below = total < UNSEEN_FLOOR;
  const facts: SessionFact[] = total !== before || !below ? [{ server, sessionId: session, ts: ctx.now, kind: 'attr', name: 'unseen', value: String(below ? total : 0), persist: false }] : [];
  return { before, total: below ? undefined : total, facts };
}

/**
 * An execution of a prepared statement (SQL EXECUTE, the binary protocol's COM_STMT_EXECUTE) logs only
 * the bytes the server had flushed when it wrote the entry: whole net buffers (net_buffer_length, 16 KB
 * by default, read-only in a session). A result under one buffer logs Bytes_sent 0: a table read 90 rows
 * (15 KB) at a time counted nothing. Such an entry (rows sent, Bytes_sent a multiple of the buffer) is
 * counted at ROW_BYTES a row, at most one buffer less a byte more than it logged (estimated).
 */
const NET_BUFFER = 16384;
const ROW_BYTES = 100;

/** The bytes an entry of a statement that succeeded sent and did not log (see NET_BUFFER). */
export function unflushedBytes(e: SlowEntry): number {
  // A text-protocol result of exactly whole buffers is a rare misreading, of less than one.
  return e.rowsSent > 0 && e.bytesSent % NET_BUFFER === 0 ? Math.min(NET_BUFFER - 1, Math.max(0, e.rowsSent * ROW_BYTES - e.bytesSent)) : 0;
}

/** The session variables that decide whether a statement is written to the slow log. */
const SLOW_LOG_VARIABLE = /\b(long_query_time|min_examined_row_limit|slow_query_log|log_slow_\w+)\b/i;
/** Set on a connection that changed its slow log: the query id from which its reads are taken from the audit log (pinned: never evicted). */
const SLOW_OFF = `${PINNED_ATTR}s?`;
/** Set on a query of such a connection (slowLogOff, in the audit log's order): it is read from the audit log. */
const OFF_QUERY = 'o:';
/** The user whose SET marked the connection (pinned too). */
const SLOW_OFF_USER = `${PINNED_ATTR}s?u`;

/**
 * Any user may turn the slow log off for their own session (SET SESSION long_query_time = 1000,
 * log_slow_query = OFF, log_slow_filter, log_slow_min_examined_row_limit, log_slow_rate_limit, ...;
 * SET STATEMENT ... FOR one statement): their reads then write no entry, only their audit lines. A
 * statement that sets such a name (also in `/*!SET ... *\/`; run by EXECUTE IMMEDIATE or in a block it
 * has a QUERY line of its own), or a SET or a statement that starts with an executable comment whose audit
 * copy was cut at the limit (it may have lost the name: mayHideSet), marks the connection from its query id on.
 */
export function slowLogOff(a: AuditLine, server: string, ctx: DecodeContext, limit: number): SessionFact[] {
  const base = { server, sessionId: a.connectionId, ts: ctx.now, kind: 'attr' } as const;
  const view = ctx.session(server, a.connectionId);
  const marked = view?.attrs.get(SLOW_OFF) || undefined;
  const clear = [{ ...base, name: SLOW_OFF, value: '' }];
  // A new connection under a number that turned its slow log off: MariaDB numbers connections from 1
  // again after a restart (on the real server h101_b's connection 5 after a restart had its reads
  // reported as turned off by h101_a's SET on connection 5 before it).
  if (a.operation === 'CONNECT') return marked ? clear : [];
  if (!a.operation.startsWith('QUERY')) return [];
  const out: SessionFact[] = [];
  let off = marked;
  // Another user on the same connection: COM_CHANGE_USER (no audit line of its own) resets the session's
  // variables, the slow log's too; the reads of h101_ins2 after h101_ins's SET were in the slow log.
  const by = view?.attrs.get(SLOW_OFF_USER);
  if (off && by !== undefined && by !== a.user) {
    off = undefined;
    out.push(...clear);
  }
  const names = SLOW_LOG_VARIABLE.test(a.object) && /\bSET\b/i.test(a.object);
  // Cut as auditFacts reads it: the limit counts the copy's bytes as written, escapes included. On the
  // real server `SET @pad = '<1,100 x>', SESSION long_query_time = 1000` left a copy of 1,024 bytes and
  // 1,023 characters (its quote written \'), and its session's 2.7 MB read had no event at all.
  // The first such SET: setting it back is not trusted (its reads are also slow-log events, with bytes).
  if (!off && (names || (a.objectBytes >= limit - 1 && mayHideSet(a.object)))) {
    off = `${a.queryId},${clip(a.object.replace(/\s+/g, ' '), 120)}`;
    out.push({ ...base, name: SLOW_OFF, value: off }, { ...base, name: SLOW_OFF_USER, value: a.user });
  }
  // Which queries are read from the audit log is decided here, in the audit log's order: decode() sees the
  // batch's state after all of its lines (a later connection under the same number included).
  if (off && Number(a.queryId) >= Number(off.slice(0, off.indexOf(',')))) out.push({ ...base, name: `${OFF_QUERY}${a.queryId}`, value: off, persist: false });
  return out;
}

/**
 * A statement whose audit copy was cut may have lost a slow-log variable's name past the cut if it is a
 * SET, or shows no keyword before the cut: an executable comment (`/*!SET ...*\/`), or a comment or
 * spaces as long as the copy (`EXECUTE IMMEDIATE CONCAT('/*', REPEAT('x', 1100), '*\/ SET long_',
 * 'query_time = 1000')` gets a QUERY line of its own, cut inside the comment). Not one that starts with
 * a parenthesis: a parenthesised SELECT or UNION (as ORMs write unions), which cannot set a variable
 * (the server gives each statement of a multi-statement string its own audit line). On the real server
 * a 1,090-character `(SELECT ...) UNION (SELECT ...)` marked its connection, and each later read, still
 * written by the slow log with its bytes, became a second, unmeasured one: a false finding every day the
 * pooled connection lived.
 */
function mayHideSet(statement: string): boolean {
  const head = firstKeyword(statement, 'mysql');
  if (head === 'SET') return true;
  if (head !== '') return false;
  // Whitespace and whole ordinary comments before a parenthesis; an executable comment is not skipped.
  const rest = statement.replace(/^(?:\s+|\/\*(?![!M])[\s\S]*?\*\/|(?:--\s|#)[^\n]*(?:\n|$))*/, '');
  return !rest.startsWith('(');
}

/**
 * The reads of a connection that turned its slow log off, from their audit lines: the tables each
 * query read, with no bytes (the audit log has none: `bytes_unknown`). A read the slow log still wrote
 * (the SET did not turn it off) is also its slow-log event, which has the bytes.
 */
export function unloggedReads(a: AuditLine, server: string, ctx: DecodeContext): DecodeResult | undefined {
  const view = ctx.session(server, a.connectionId);
  const off = view?.attrs.get(`${OFF_QUERY}${a.queryId}`);
  if (!view || !off) return undefined;
  const offId = off.slice(0, off.indexOf(','));
  let tables = queryTables(view, a.queryId, a.database);
  let reason = 'the connection turned its slow log off: this read is known from the audit log only, which has no bytes';
  if (tables.length === 0) {
    // No table the audit log names: a user variable filled before the SET (SET @x := (SELECT ... FROM t),
    // counted then as an 11-byte SET), or a temporary table (no TABLE line). Its rows went to the client
    // unmeasured all the same. Not the SET itself, nor a statement that sends no rows, nor CALL or
    // EXECUTE, whose statements have audit lines of their own.
    const head = firstKeyword(a.object, 'mysql');
    if (a.queryId === offId || SESSION_ONLY.has(head) || ['CALL', 'EXECUTE', 'PREPARE', 'DEALLOCATE'].includes(head)) return undefined;
    tables = [{ database: a.database, table: '' }];
    reason = 'the connection turned its slow log off: this statement read no table the audit log names (a user variable, a temporary table) and is known from the audit log only, which has no bytes';
  }
  const ts = auditTimeMs(a.time);
  const id = `${server}/${a.connectionId}/${Math.floor(ts / 1000)}/a${a.queryId}`;
  const events: DecodedEvent[] = [];
  for (let i = 0; i < tables.length; i++) {
    const doc: Record<string, unknown> = {
      event_id: i === 0 ? id : `${id}/${i}`,
      ts,
      user: a.user,
      action: firstKeyword(a.object, 'mysql') || 'UNKNOWN',
      bytes: 0,
      rows: 0,
      bytes_estimated: false,
      source: server,
      database: tables[i].database,
      table: tables[i].table,
      client_ip: view.attrs.get('client') || a.host,
      session_id: a.connectionId,
      query_id: a.queryId,
      status: a.retcode !== 0 ? 'error' : 'ok',
      statement: clip(a.object, STATEMENT_KEEP),
      tables_from: 'server_audit',
      bytes_unknown: reason,
      slow_log_off_by: `query ${off}`,
      ...(a.retcode !== 0 ? { error_code: a.retcode } : {}),
    };
    const v = validateEvent(doc, ctx.limits, ctx.now);
    if (!v.ok) return v;
    events.push({ event: v.event });
  }
  return { ok: true, events, facts: [] };
}
