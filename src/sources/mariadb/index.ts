// MariaDB 10.11 (docs/sources/mariadb.md): two logs on one topic, joined on the connection (thread) id.
//   slow query log (long_query_time = 0: every statement) -> the events: user, client address, thread,
//     schema, Rows_sent / Rows_affected and the real Bytes_sent (measured, not estimated);
//   server_audit log (CONNECT, QUERY, TABLE) -> facts: the tables each query opened, its return code
//     (a failed query), the connection's client address.
// A slow-log entry is matched to its audit QUERY line by thread and statement text (the whole text;
// when the audit copy was cut at server_audit_query_log_limit, its first KEY_CHARS characters). The audit facts of a
// batch are read before its entries (prescan), so the order in which the shipper interleaved the two
// files within a batch does not matter. An entry whose audit lines are not known (audit log not
// shipped, or far behind) still becomes its events: tables from the statement text, status "ok",
// marked `audit: "not joined"`. Entries a statement wrote into the slow log (a record start in its text)
// are refused as forged_record: see `vouch` and the slow log's order (`readLink`) below, and
// docs/sources/mariadb.md.
import crypto from 'node:crypto';
import { z } from 'zod';
import { ConfigError } from '../../errors';
import { validateEvent } from '../../event';
import { unwrap } from '../envelope';
import { firstKeyword, relationsOf, tokenize } from '../postgres/statement';
import type { DecodeContext, DecodedEvent, DecodeResult, RawMessage, SessionFact, SessionView, SourceDecoder, SourceFormat } from '../types';
import { isAuditLine, parseAuditLine, type AuditLine } from './audit-log';
import { entryHead, isSlowLogText, parseSlowEntry, USER_HOST_START, type SlowEntry } from './slow-log';

const optionsSchema = z.strictObject({
  server: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'expected a server name (letters, digits, . _ : -, at most 64)').optional(),
  auditQueryLogLimit: z.coerce.number().int().min(16).max(1 << 30).default(1024),
});

/** Characters of the normalised statement that match a slow-log entry to its audit line. */
export const KEY_CHARS = 64;
const STATEMENT_KEEP = 1024;
/** Statements that read no table and move no data, as a rule: no event of their own (see UNSEEN_FLOOR). */
const SESSION_ONLY = new Set(['SET', 'USE', 'BEGIN', 'START', 'COMMIT', 'ROLLBACK', 'SAVEPOINT', 'RELEASE', 'LOCK', 'UNLOCK', 'FLUSH', 'KILL', 'DO', 'XA']);
/** mysqldump's SELECT of a table's rows. */
const MYSQLDUMP = /^SELECT \/\*!40001 SQL_NO_CACHE \*\//;
const OUTFILE = /\bINTO\s+(OUTFILE|DUMPFILE)\s+(['"])((?:\\.|(?!\2).)*)\2/i;
/** Tables the server reads for its own statistics while running a user's query (use_stat_tables). */
const INTERNAL = /^mysql\.(table_stats|column_stats|index_stats)$/;
const TABLE_OPS = new Set(['READ', 'WRITE', 'CREATE', 'ALTER', 'RENAME', 'DROP']);
/**
 * Bytes a user was sent by statements that give no event of their own (a session-only keyword, an
 * administrator command, no table read) add up, per user and server, and become one event when they
 * reach this: `SET @x := (SELECT ... FROM t)` then `SELECT @x`, or `SELECT SUBSTRING(@x, ...)` in pieces,
 * sends a table's rows from no table. A statement under it is no event: a `SELECT 1` ping (66 bytes) is
 * one event in a thousand pings, while each statement that reads a table is an event anyway.
 */
export const UNSEEN_FLOOR = 64 * 1024;
/**
 * An execution of a prepared statement (SQL EXECUTE, the binary protocol's COM_STMT_EXECUTE) logs only
 * the bytes the server had flushed when it wrote the entry: whole net buffers (net_buffer_length, 16 KB
 * by default, read-only in a session). A result under one buffer logs Bytes_sent 0: a table read 90 rows
 * (15 KB) at a time counted nothing. Such an entry (rows sent, Bytes_sent a multiple of the buffer) is
 * counted at ROW_BYTES a row, at most one buffer less a byte more than it logged (estimated).
 */
const NET_BUFFER = 16384;
const ROW_BYTES = 100;
/** The join state of a user's unseen bytes (memory only: a restart forgets less than UNSEEN_FLOOR a user). */
const unseenSession = (user: string) => `u:${user}`;
/**
 * Beyond any zone's offset: a slow-log entry dated this far from its audit line's time was not dated by
 * the server's clock but by the session (`SET timestamp=N`, which any user may run).
 */
const SESSION_CLOCK_MS = 15 * 3600_000;

/** What starts a record: a slow-log entry's first line, or an audit line (both files in one stream). */
export const RECORD_START = /^# User@Host: |^\d{8} \d\d:\d\d:\d\d,/;

export const mariadbFormat: SourceFormat = {
  name: 'mariadb',
  summary: 'MariaDB 10.11: the slow query log (every statement, real Bytes_sent) joined with the server_audit log (tables, failures, client)',
  optionsHelp: {
    server: 'the server name events carry as `source`, and the key of its connections (default: the topic)',
    auditQueryLogLimit: "the server's server_audit_query_log_limit (default 1024, MariaDB's default): an audit copy that long may have been cut",
  },
  create(raw, topic) {
    const parsed = optionsSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const key = issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : '');
      throw new ConfigError(`ingest.sources.${topic}.options${key ? `.${key}` : ''}: ${issue.message} (format mariadb)`, { topic });
    }
    return mariadbDecoder(parsed.data.server ?? topic, parsed.data.auditQueryLogLimit);
  },
};

/** The statement as both logs can be compared: whitespace collapsed, no final semicolon. */
function normalise(statement: string): string {
  return statement.replace(/\s+/g, ' ').trim().replace(/;$/, '').trimEnd();
}

/** The whole statement's key, and its first KEY_CHARS characters (for an audit copy cut short). */
export function statementKeys(statement: string): { full: string; prefix: string } {
  const n = normalise(statement);
  return { full: crypto.createHash('sha1').update(n).digest('base64').slice(0, 22), prefix: n.slice(0, KEY_CHARS) };
}

/**
 * The statement with its quoted strings and server_audit's `*****` as `?`: server_audit writes the
 * password of SET PASSWORD, ALTER USER, GRANT ... in its copy as `*****` (even inside a comment), so a
 * copy holding one is matched on this. Only then: it is coarser than the text.
 */
function skeleton(statement: string): string {
  return statement.replace(/\*\*\*\*\*|'(?:[^'\\]|\\[\s\S]|'')*'|"(?:[^"\\]|\\[\s\S]|"")*"/g, '?');
}

type Record_ = { kind: 'slow'; text: string; file: string } | { kind: 'audit'; text: string } | { kind: 'bad'; code: string; reason: string };

function readRecord(message: RawMessage, ctx: DecodeContext): Record_ {
  const u = unwrap(message.value, { maxMessageBytes: ctx.limits.maxMessageBytes });
  if (!u.ok) return { kind: 'bad', code: u.code, reason: u.reason };
  const text = u.text;
  if (isAuditLine(text)) return { kind: 'audit', text };
  if (isSlowLogText(text)) return { kind: 'slow', text, file: u.file ?? '' };
  // A continuation line alone: the shipper did not join the entry's lines.
  if (/^# (Thread_id|Query_time|Rows_affected|explain|Full_scan|Filesort):/.test(text) || /^SET timestamp=\d+;$/.test(text)) {
    return { kind: 'bad', code: 'truncated_record', reason: 'one line of a multi-line slow-log entry: the shipper must join the lines of an entry, starting a record at "# User@Host:" (docs/sources/mariadb.md)' };
  }
  return { kind: 'bad', code: 'wrong_format', reason: `expected a MariaDB slow-log entry or a server_audit line; this looks like ${looksLike(text)}` };
}

function looksLike(text: string): string {
  const t = text.trimStart();
  if (t.startsWith('{')) return t.includes('"event_id"') ? 'a canonical event' : t.includes('"error_severity"') ? 'a PostgreSQL jsonlog record' : 'JSON';
  if (/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \S+,/.test(t)) return 'a PostgreSQL csvlog record';
  if (/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \S+ /.test(t)) return 'a PostgreSQL stderr line';
  if (/^<\d+>/.test(t)) return 'a syslog message';
  return `neither (starts ${JSON.stringify(t.slice(0, 30))})`;
}

/**
 * One audit QUERY line as the join keeps it, under its statement's keys: query id, return code, the
 * copy's length, whether the copy may have been cut (its escaped bytes reached the limit), and the user.
 */
interface AuditQuery {
  queryId: string;
  retcode: number;
  chars: number;
  cut: boolean;
  user: string;
  /** The audit line's time (the server's clock, local time): what dates an entry whose SET timestamp the session set. */
  time: string;
}

/** Lines kept per statement key and connection: a statement run again is vouched for by its own line, once. */
const QUERIES_PER_KEY = 8;

const encodeQuery = (q: AuditQuery) => `${q.queryId},${q.retcode},${q.chars},${q.cut ? 1 : 0},${encodeURIComponent(q.user)},${encodeURIComponent(q.time)}`;

function decodeQueries(value: string | undefined): AuditQuery[] {
  if (!value) return [];
  return value.split(' ').map((item) => {
    const [queryId, retcode, chars, cut, user, time] = item.split(',');
    return { queryId, retcode: Number(retcode), chars: Number(chars), cut: cut === '1', user: decodeURIComponent(user ?? ''), time: decodeURIComponent(time ?? '') };
  });
}

/** The key's lines with this one added (once: a batch decoded again reads its own lines again). */
function withQuery(old: string | undefined, q: AuditQuery): string {
  const items = (old ? old.split(' ') : []).filter((x) => !x.startsWith(`${q.queryId},`));
  items.push(encodeQuery(q));
  return items.slice(-QUERIES_PER_KEY).join(' ');
}

/** The facts of one audit line: the connection's client and login, a query's tables and return code. */
function auditFacts(a: AuditLine, server: string, ctx: DecodeContext, limit: number): SessionFact[] {
  const now = ctx.now;
  const base = { server, sessionId: a.connectionId, ts: now };
  if (a.operation === 'CONNECT') {
    return [
      { ...base, kind: 'attr', name: 'client', value: a.host },
      { ...base, kind: 'attr', name: 'login', value: a.user },
    ];
  }
  if (TABLE_OPS.has(a.operation) && a.object) {
    return [{ ...base, kind: 'attr', name: `t:${a.queryId}:${a.database ? `${a.database}.` : ''}${a.object}`, value: a.operation, persist: false }];
  }
  if (a.operation.startsWith('QUERY')) {
    const keys = statementKeys(a.object);
    // An escape that did not fit leaves the copy one byte short of the limit.
    const q: AuditQuery = { queryId: a.queryId, retcode: a.retcode, chars: a.object.length, cut: a.objectBytes >= limit - 1, user: a.user, time: a.time };
    const view = ctx.session(server, a.connectionId);
    const masked = a.object.includes('*****') ? `s:${statementKeys(skeleton(a.object)).full}` : undefined;
    return [
      ...(masked ? [{ ...base, kind: 'attr', name: masked, value: withQuery(view?.attrs.get(masked), q), persist: false } as const] : []),
      { ...base, kind: 'attr', name: `q:${keys.full}`, value: withQuery(view?.attrs.get(`q:${keys.full}`), q), persist: false },
      { ...base, kind: 'attr', name: `p:${keys.prefix}`, value: withQuery(view?.attrs.get(`p:${keys.prefix}`), q), persist: false },
      ...forgedEntries(a, server, now, q, view),
    ];
  }
  return [];
}

/**
 * The slow log copies a statement as it is, and the shipper starts a record at every line that begins
 * `# User@Host:`: a statement holding such a line (in a comment, a string, a quoted name) cuts its own
 * entry there and writes one of its choosing after it, for any user, thread and Bytes_sent (a colleague
 * framed for a 20 GB read that never happened, the author's own read gone). The audit log has the
 * statement: each entry written in it, read as the slow log's would be, is a fact on the connection it
 * names, keyed by its whole text (header, timestamp, statement), so that exactly that entry is refused
 * when it comes, and no real entry of that connection (which no statement can predict to the
 * microsecond). Recognised when its audit line is in the same batch or an earlier one, and when the
 * audit log kept the statement whole (server_audit_query_log_limit).
 */
function forgedEntries(a: AuditLine, server: string, now: number, q: AuditQuery, view: SessionView | undefined): SessionFact[] {
  // Every QUERY line comes here: most statements hold no such line, and are not split.
  if (!a.object.startsWith(USER_HOST_START) && !a.object.includes(`\n${USER_HOST_START}`)) return [];
  const copyCut = q.cut;
  const lines = a.object.split('\n');
  const starts = lines.flatMap((l, k) => (l.startsWith(USER_HOST_START) ? [k] : []));
  // The author's own entry ends where the first record starts: keyed by that text, it is matched to this
  // line however short or long it is, and what follows it in the slow log is known to be its statement.
  const head0 = lines.slice(0, starts[0]).join('\n');
  const out: SessionFact[] = [];
  for (const name of [`r:${statementKeys(head0).full}`, ...(head0.includes('*****') ? [`r:${statementKeys(skeleton(head0)).full}`] : [])]) {
    out.push({ server, sessionId: a.connectionId, ts: now, kind: 'attr', name, value: withQuery(view?.attrs.get(name), q), persist: false });
  }
  starts.forEach((k, j) => {
    // A copy cut short of the whole entry still names its user and thread: an entry of that user on that
    // thread that no audit line vouches for is this one (slowEvents). Only then: a whole copy is matched
    // exactly below, and a statement that merely names a colleague's thread changes nothing for them.
    const head = copyCut ? entryHead(lines[k], lines[k + 1]) : undefined;
    if (head) out.push({ server, sessionId: head.threadId, ts: now, kind: 'attr', name: `h:${encodeURIComponent(head.user)}`, value: `${a.user},${a.connectionId},${a.queryId}`, persist: false });
    const last = j === starts.length - 1;
    // MariaDB ends every statement with ";": the last entry the statement writes ends with it.
    const text = lines.slice(k, last ? lines.length : starts[j + 1]).join('\n') + (last ? ';' : '');
    const forged = parseSlowEntry(text);
    if (!forged.ok || !forged.entry) return;
    const base = { server, sessionId: forged.entry.threadId, ts: now, kind: 'attr', persist: false } as const;
    out.push({ ...base, name: `f:${forgedKey(forged.entry.record)}`, value: `${a.user},${a.connectionId},${a.queryId}` }, { ...base, name: FORGED_ON, value: '1' });
  });
  return out;
}

/** Set on a connection some statement wrote an entry for: only then are its entries' texts hashed and looked up. */
const FORGED_ON = 'f?';

const forgedKey = (record: string) => crypto.createHash('sha1').update(record).digest('base64').slice(0, 22);

export function mariadbDecoder(server: string, auditQueryLogLimit = 1024): SourceDecoder {
  return {
    format: 'mariadb',
    servers: [],
    recordStart: RECORD_START,
    prescan(message, ctx) {
      const r = readRecord(message, ctx);
      if (r.kind !== 'audit') return [];
      const a = parseAuditLine(r.text);
      return a.ok ? [...auditFacts(a.line, server, ctx, auditQueryLogLimit), ...slowLogOff(a.line, server, ctx)] : [];
    },
    decode(message, ctx): DecodeResult {
      const r = readRecord(message, ctx);
      if (r.kind === 'bad') return { ok: false, code: r.code, reason: r.reason };
      if (r.kind === 'audit') {
        const a = parseAuditLine(r.text);
        if (!a.ok) return a;
        // Its facts were taken by prescan (the layer applies and stores them).
        return (a.line.operation.startsWith('QUERY') && unloggedReads(a.line, server, ctx)) || { ok: true, events: [], facts: [], note: `audit ${a.line.operation}` };
      }
      const s = parseSlowEntry(r.text);
      if (!s.ok) return s;
      if (!s.entry) return { ok: true, events: [], facts: [], note: s.note };
      return slowEvents(s.entry, server, ctx, { chain: `slow-log:${message.partition}:${r.file}`, offset: message.offset }, auditQueryLogLimit);
    },
  };
}

/*
 * Which entry comes before which. The server writes each entry whole, one after the other, and the
 * shipper sends a file's records in order on one partition: a record that follows an entry whose
 * statement went on (it did not end with the `;` MariaDB writes after every statement, or its audit copy
 * goes on past it) is the rest of that statement; one that follows an entry whose audit copy was cut at
 * server_audit_query_log_limit may be. Such a record is attributed only when an audit line vouches for
 * it; else it is refused as forged_record, naming the author. Kept in memory per (partition, file), as
 * the audit lines it is checked against are: after a restart the first entry has no predecessor.
 */
type LinkState = 'end' | 'open' | 'long' | 'unjoined' | 'unsure';
interface Link {
  offset: string;
  state: LinkState;
  user: string;
  thread: string;
  queryId: string;
}
const LAST = 'last';

const encodeLink = (l: Link) => `${l.offset}|${l.state}|${l.thread}|${l.queryId}|${encodeURIComponent(l.user)}`;

function readLink(value: string | undefined, offset: string): Link | undefined {
  if (!value) return undefined;
  const [at, state, thread, queryId, user] = value.split('|');
  // The batch decoded again after its facts were applied (a retry): its first entry's predecessor is not known.
  if (/^\d+$/.test(at) && /^\d+$/.test(offset) && BigInt(at) >= BigInt(offset)) return undefined;
  return { offset: at, state: state as LinkState, thread, queryId, user: decodeURIComponent(user ?? '') };
}

/** How an entry was matched to an audit QUERY line of its connection. */
interface Match {
  q: AuditQuery;
  /** exact: the whole statement; cutcopy: the copy was cut, the statement starts as it does; extends: the copy goes on past the statement. */
  kind: 'exact' | 'cutcopy' | 'extends';
}

/**
 * The audit line that vouches for an entry: same connection, the statement (whole, or as far as the copy
 * goes), the line's user the entry's, and no other entry claimed it before (the claim is a fact: a
 * statement cannot write a copy of a colleague's real entry that takes their line). `disputed`: the
 * line that would vouch for it was claimed by another entry.
 */
function vouch(e: SlowEntry, view: SessionView | undefined, own: string): { match?: Match; disputed?: { queryId: string; provisional: boolean } } {
  if (!view) return {};
  const keys = statementKeys(e.statement);
  let disputed: { queryId: string; provisional: boolean } | undefined;
  const seen = new Set<string>();
  const pick = (found: Match[]): Match | undefined => {
    for (const m of found) {
      if (seen.has(m.q.queryId)) continue;
      seen.add(m.q.queryId);
      if (m.q.user !== e.user && m.q.user !== e.privUser) continue;
      const claim = view.attrs.get(`c:${m.q.queryId}`);
      if (claim !== undefined && claim.split(',')[0] !== own) {
        disputed ??= { queryId: m.q.queryId, provisional: claim.endsWith(',1') };
        continue;
      }
      return m;
    }
    return undefined;
  };
  // A cut entry never equals a line: the server wrote its `;`. One that does is the rest of another statement.
  const exact = e.cut ? undefined : pick(decodeQueries(view.attrs.get(`q:${keys.full}`)).map((q) => ({ q, kind: 'exact' as const })));
  if (exact) return { match: exact };
  // A copy that goes on, after this statement, with a record start (forgedEntries); a copy with a
  // password written as `*****`.
  const masked = /['"]/.test(e.statement) ? statementKeys(skeleton(e.statement)).full : undefined;
  const found: Match[] = [
    ...(masked && !e.cut ? decodeQueries(view.attrs.get(`s:${masked}`)).map((q) => ({ q, kind: 'exact' as const })) : []),
    ...decodeQueries(view.attrs.get(`r:${keys.full}`)).map((q) => ({ q, kind: 'extends' as const })),
    ...(masked ? decodeQueries(view.attrs.get(`r:${masked}`)).map((q) => ({ q, kind: 'extends' as const })) : []),
  ];
  if (keys.prefix.length === KEY_CHARS) {
    for (const q of decodeQueries(view.attrs.get(`p:${keys.prefix}`))) {
      // A whole copy shorter than the statement is another statement that starts the same way.
      if (q.cut && q.chars < e.statement.length) found.push({ q, kind: 'cutcopy' });
      // Cut before the record start's whole first line, or the entry cut by the shipper.
      else if (q.cut || e.cut) found.push({ q, kind: 'extends' });
    }
  }
  const match = pick(found);
  return match ? { match } : { disputed };
}

function stateOf(e: SlowEntry, m: Match | undefined, limit: number): LinkState {
  if (e.cut || m?.kind === 'extends') return 'open';
  // No audit line known: a statement this long could go on past an audit copy; the next entry is marked.
  if (!m) return Buffer.byteLength(e.statement) >= limit - 1 ? 'unsure' : 'unjoined';
  return m.kind === 'cutcopy' || m.q.cut ? 'long' : 'end';
}

function guardReason(prev: Link): string {
  const author = `${prev.user} (connection ${prev.thread}${prev.queryId ? `, query ${prev.queryId}` : ''})`;
  return prev.state === 'open'
    ? `a slow-log entry written by the statement of ${author}, not by the server: it follows that entry, whose statement goes on past it (no final ";", or its audit copy is longer), and no audit line vouches for it (same connection, user and statement)`
    : `a slow-log entry written by the statement of ${author}, not by the server: it follows that entry, whose statement the audit log kept only the start of (server_audit_query_log_limit), and no audit line vouches for it (same connection, user and statement)`;
}

function slowEvents(e: SlowEntry, server: string, ctx: DecodeContext, at: { chain: string; offset: string }, limit: number): DecodeResult {
  const view = ctx.session(server, e.threadId);
  const prev = readLink(ctx.session(server, at.chain)?.attrs.get(LAST), at.offset);
  const guard = prev && (prev.state === 'open' || prev.state === 'long') ? prev : undefined;
  const facts: SessionFact[] = [];
  const base = { server, ts: ctx.now, kind: 'attr', persist: false } as const;
  const link = (l: Omit<Link, 'offset'>) => facts.push({ ...base, sessionId: at.chain, name: LAST, value: encodeLink({ ...l, offset: at.offset }) });
  // A refused entry is part of its author's statement, which may go on (its `;` or not tells nothing:
  // the forger wrote it): the next entry must be vouched for, when the author's audit line is known
  // (else the audit log is behind, and it would refuse real entries too).
  const refuse = (author: { user: string; thread: string; queryId: string }, reason: string): DecodeResult => {
    link({ ...author, state: author.queryId ? 'long' : 'unsure' });
    return { ok: false, code: 'forged_record', reason, facts };
  };
  const forged = view?.attrs.has(FORGED_ON) ? view.attrs.get(`f:${forgedKey(e.record)}`) : undefined;
  if (forged) {
    const [author, connection, query] = forged.split(',');
    return refuse({ user: author, thread: connection, queryId: query }, `a slow-log entry written by the statement of ${author} (connection ${connection}, query ${query}), not by the server: the whole entry is in that statement (server_audit)`);
  }
  const own = entryHash(e);
  const { match, disputed } = vouch(e, view, own);
  const head = firstKeyword(e.statement, 'mysql');
  // BEGIN NOT ATOMIC ... END is a compound statement (any statements, reads too), not a transaction's start.
  const compound = head === 'BEGIN' && tokenize(e.statement, 3, 'mysql').map((t) => t.text.toUpperCase()).join(' ') === 'BEGIN NOT ATOMIC';
  const noData = (SESSION_ONLY.has(head) && !compound) || e.statement.startsWith('# administrator command:');
  if (!match) {
    // Written for this user and thread by a statement whose audit copy was cut (forgedEntries).
    const named = view?.attrs.get(`h:${encodeURIComponent(e.user)}`);
    // An entry that moves no data is not worth a dead letter; the chain keeps waiting for a vouched entry.
    if ((named || guard) && noData) return { ok: true, events: [], facts: [], note: `${head || 'administrator command'}: no data (not vouched for by the audit log)` };
    if (named) {
      const [author, connection, query] = named.split(',');
      return refuse({ user: author, thread: connection, queryId: query }, `a slow-log entry written by the statement of ${author} (connection ${connection}, query ${query}), not by the server: that statement's audit copy holds this entry's first lines (user ${e.user}, thread ${e.threadId}), and no audit line vouches for it`);
    }
    // Its line taken by an entry that itself followed a cut statement: that one may be the forgery (a
    // statement that wrote an entry for its author's next read, to have the read refused). Kept, marked.
    if (guard && !disputed?.provisional) return refuse(guard, `${guardReason(guard)}${disputed ? `; its audit line (query ${disputed.queryId}) was already claimed by an earlier entry` : ''}`);
  }
  if (match) facts.push({ ...base, sessionId: e.threadId, name: `c:${match.q.queryId}`, value: `${own},${guard ? 1 : 0}` });
  link({ state: stateOf(e, match, limit), user: e.user, thread: e.threadId, queryId: match?.q.queryId ?? '' });
  let queryId = '';
  let retcode = 0;
  let auditChars = -1;
  let auditTime = '';
  let tables: Array<{ database: string; table: string }> = [];
  let tablesFrom = 'statement text';
  if (match) {
    queryId = match.q.queryId;
    retcode = match.q.retcode;
    auditChars = match.q.chars;
    auditTime = match.q.time;
    const prefix = `t:${queryId}:`;
    for (const [name] of view!.attrs) {
      if (!name.startsWith(prefix)) continue;
      const full = name.slice(prefix.length);
      if (INTERNAL.test(full) && !e.statement.includes(full.split('.')[1])) continue;
      tables.push(split(full, e.schema));
    }
    if (tables.length > 0) tablesFrom = 'server_audit';
  }
  // mysqldump reads a table it locked (LOCK TABLES): the audit log names it on the LOCK, not on the SELECT.
  if (tables.length === 0) tables = relationsOf(e.statement, { dialect: 'mysql', defaultSchema: e.schema }).slice(0, 20).map((t) => split(t, e.schema));
  // A statement that failed after sending rows (a subquery of two rows at the last row, max_statement_time)
  // moved them: ok (the detector counts no bytes of a failed event), with its error code.
  const status = retcode !== 0 && e.rowsSent === 0 ? 'error' : 'ok';
  const rows = status === 'error' ? 0 : e.rowsSent > 0 ? e.rowsSent : e.rowsAffected;
  // See NET_BUFFER. (A text-protocol result of exactly whole buffers is a rare misreading, of less than one.)
  const unflushed = status === 'ok' && e.rowsSent > 0 && e.bytesSent % NET_BUFFER === 0 ? Math.min(NET_BUFFER - 1, Math.max(0, e.rowsSent * ROW_BYTES - e.bytesSent)) : 0;
  let bytes = status === 'error' ? 0 : e.bytesSent + unflushed;
  let unseenBefore = 0;
  // An entry cut short by a record start in its statement keeps its header's numbers: they are the
  // server's, for the whole statement, whatever its tables (the rest of the text was another record).
  if ((noData || (tables.length === 0 && status === 'ok')) && !(e.cut && (e.bytesSent > 0 || e.rowsSent > 0))) {
    const user = unseenSession(e.user);
    unseenBefore = Number(ctx.session(server, user)?.attrs.get('unseen') ?? 0);
    const total = unseenBefore + bytes;
    const below = total < UNSEEN_FLOOR;
    if (total !== unseenBefore || !below) facts.push({ server, sessionId: user, ts: ctx.now, kind: 'attr', name: 'unseen', value: String(below ? total : 0), persist: false });
    if (below) return { ok: true, events: [], facts, note: noData ? `${head || 'administrator command'}: no data` : 'no table: no stored data read' };
    bytes = total;
  }
  // The audit log writes the server's clock; the slow log the session's, which `SET timestamp=N` sets.
  let ts = e.ts;
  const auditMs = auditTime ? auditTimeMs(auditTime) : NaN;
  const sessionClock = Math.abs(e.ts + e.queryTime * 1000 - auditMs) > SESSION_CLOCK_MS;
  if (sessionClock) ts = Math.round(auditMs - e.queryTime * 1000);
  const outfile = OUTFILE.exec(e.statement);
  const action = MYSQLDUMP.test(e.statement) ? 'DUMP' : outfile ? 'EXPORT' : head || 'UNKNOWN';
  const id = `${server}/${e.threadId}/${Math.floor(e.ts / 1000)}/${entryHash(e)}`;
  const client = e.ip || view?.attrs.get('client') || e.host;
  const events: DecodedEvent[] = [];
  const list = tables.length > 0 ? tables : [{ database: e.schema, table: '' }];
  for (let i = 0; i < list.length; i++) {
    const doc: Record<string, unknown> = {
      event_id: i === 0 ? id : `${id}/${i}`,
      ts,
      user: e.user,
      action,
      // One statement's bytes, measured once: on its first table's event.
      bytes: i === 0 ? bytes : 0,
      rows: i === 0 ? rows : 0,
      bytes_estimated: unflushed > 0,
      source: server,
      database: list[i].database,
      table: list[i].table,
      client_ip: client,
      session_id: e.threadId,
      query_id: queryId,
      status,
      statement: clip(e.statement, STATEMENT_KEEP),
      bytes_sent: e.bytesSent,
      rows_sent: e.rowsSent,
      rows_examined: e.rowsExamined,
      rows_affected: e.rowsAffected,
      query_time_s: e.queryTime,
      tables_from: tablesFrom,
      ...(match ? {} : { audit: 'not joined' }),
      ...(!match && prev?.state === 'unsure'
        ? { audit_follows: `the entry before it in the slow log (${prev.user}, connection ${prev.thread}) holds a statement of ${limit} bytes or more that no audit line was known for: if none ever vouches for this entry, that statement may have written it` }
        : {}),
      ...(disputed ? { audit_disputed: `its audit line (query ${disputed.queryId}) was claimed by another entry: one of the two was written by a statement` } : {}),
      ...(e.cut ? { statement_cut: 'the statement holds a line that starts a slow-log record: the log entry was cut there' } : {}),
      ...(auditChars >= 0 && auditChars < e.statement.length ? { audit_statement_truncated: true } : {}),
      ...(retcode !== 0 ? { error_code: retcode } : {}),
      ...(unseenBefore > 0 ? { bytes_unseen_before: unseenBefore } : {}),
      ...(unflushed > 0 ? { bytes_unflushed_estimated: unflushed } : {}),
      ...(sessionClock ? { ts_from: 'server_audit', session_timestamp: new Date(e.ts).toISOString() } : {}),
      ...(outfile ? { server_file: outfile[3], note: `${outfile[1].toUpperCase()}: the rows went to a file on the database server, not over the connection` } : {}),
      ...(e.privUser && e.privUser !== e.user ? { priv_user: e.privUser } : {}),
      ...(i > 0 ? { bytes_counted_on: id } : {}),
    };
    const v = validateEvent(doc, ctx.limits, ctx.now);
    if (!v.ok) return v;
    events.push({ event: v.event });
  }
  return { ok: true, events, facts };
}

/** An audit line's time ("YYYYMMDD HH:MM:SS", the server's zone) read as UTC, ms. */
const auditTimeMs = (time: string) => Date.parse(time.replace(/^(\d{4})(\d\d)(\d\d) /, '$1-$2-$3T') + 'Z');

/** The session variables that decide whether a statement is written to the slow log. */
const SLOW_LOG_VARIABLE = /\b(long_query_time|min_examined_row_limit|slow_query_log|log_slow_\w+)\b/i;
/** The recommended server_audit_query_log_limit: an audit copy this long may have lost its end. */
const AUDIT_LIMIT = 1024;
/** Set on a connection that changed its slow log: the query id from which its reads are taken from the audit log. */
const SLOW_OFF = 's?';

/**
 * Any user may turn the slow log off for their own session (SET SESSION long_query_time = 1000,
 * log_slow_query = OFF, log_slow_filter, log_slow_min_examined_row_limit, log_slow_rate_limit, ...;
 * SET STATEMENT ... FOR one statement): their reads then write no entry, only their audit lines. A
 * statement that sets such a name (also in `/*!SET ... *\/`; run by EXECUTE IMMEDIATE or in a block it
 * has a QUERY line of its own), or a SET or a statement that starts with no keyword whose audit copy was
 * cut at the limit (it may have lost the name), marks the connection from its query id on.
 */
function slowLogOff(a: AuditLine, server: string, ctx: DecodeContext): SessionFact[] {
  if (!a.operation.startsWith('QUERY')) return [];
  const names = SLOW_LOG_VARIABLE.test(a.object) && /\bSET\b/i.test(a.object);
  if (!names && !(a.object.length >= AUDIT_LIMIT && ['SET', ''].includes(firstKeyword(a.object, 'mysql')))) return [];
  // The first such SET: setting it back is not trusted (its reads are also slow-log events, with bytes).
  if (ctx.session(server, a.connectionId)?.attrs.has(SLOW_OFF)) return [];
  return [{ server, sessionId: a.connectionId, ts: ctx.now, kind: 'attr', name: SLOW_OFF, value: `${a.queryId},${clip(a.object.replace(/\s+/g, ' '), 120)}` }];
}

/**
 * The reads of a connection that turned its slow log off, from their audit lines: the tables each
 * query read, with no bytes (the audit log has none: `bytes_unknown`). A read the slow log still wrote
 * (the SET did not turn it off) is also its slow-log event, which has the bytes.
 */
function unloggedReads(a: AuditLine, server: string, ctx: DecodeContext): DecodeResult | undefined {
  const view = ctx.session(server, a.connectionId);
  const off = view?.attrs.get(SLOW_OFF);
  if (!view || !off || Number(a.queryId) < Number(off.slice(0, off.indexOf(',')))) return undefined;
  const prefix = `t:${a.queryId}:`;
  const tables = [...view.attrs.keys()].filter((n) => n.startsWith(prefix) && !INTERNAL.test(n.slice(prefix.length))).map((n) => split(n.slice(prefix.length), a.database));
  if (tables.length === 0) return undefined;
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
      bytes_unknown: 'the connection turned its slow log off: this read is known from the audit log only, which has no bytes',
      slow_log_off_by: `query ${off}`,
      ...(a.retcode !== 0 ? { error_code: a.retcode } : {}),
    };
    const v = validateEvent(doc, ctx.limits, ctx.now);
    if (!v.ok) return v;
    events.push({ event: v.event });
  }
  return { ok: true, events, facts: [] };
}

function split(qualified: string, schema: string): { database: string; table: string } {
  const dot = qualified.indexOf('.');
  return dot < 0 ? { database: schema, table: qualified } : { database: qualified.slice(0, dot), table: qualified.slice(dot + 1) };
}

/** The entry's own values, so the same entry read again has the same id however it was framed. */
function entryHash(e: SlowEntry): string {
  return crypto
    .createHash('sha1')
    .update(`${e.threadId}|${e.ts}|${e.queryTime}|${e.lockTime}|${e.rowsSent}|${e.rowsExamined}|${e.rowsAffected}|${e.bytesSent}|${e.statement}`)
    .digest('hex')
    .slice(0, 16);
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
