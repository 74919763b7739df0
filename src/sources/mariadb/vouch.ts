// Entries a statement wrote into MariaDB's slow log, refused as forged_record (docs/sources/mariadb.md,
// "Statements that write log lines"). The slow log copies a statement as it is, so a statement holding a
// line that starts `# User@Host:` writes entries of its choosing, for any user. Three defences, each fed
// by the audit log (whose QUERY lines the server writes):
//   - each audit QUERY line is kept under its statement's keys (`queryLineFacts`), and an entry is
//     attributed only when a line of its connection and user vouches for it, once (`vouch`);
//   - an entry whose whole text stands in some statement's audit copy is that statement's (`forgedEntries`);
//   - the slow log's order, per file: a record that follows an entry whose statement went on (`Link`)
//     must be vouched for.
// `attribute` is what the decoder asks of each entry.
import crypto from 'node:crypto';
import type { DecodeContext, DecodeResult, SessionFact, SessionView } from '../types';
import type { AuditLine } from './audit-log';
import { entryHash, entryHead, parseSlowEntry, USER_HOST_START, type SlowEntry } from './slow-log';

/** Characters of the normalised statement that match a slow-log entry to its audit line. */
export const KEY_CHARS = 64;

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

/**
 * One audit QUERY line as the join keeps it, under its statement's keys: query id, return code, the
 * copy's length, whether the copy may have been cut (its escaped bytes reached the limit), and the user.
 */
export interface AuditQuery {
  queryId: string;
  retcode: number;
  chars: number;
  cut: boolean;
  user: string;
  /** The audit line's time (the server's clock, local time): what dates an entry whose SET timestamp the session set. */
  time: string;
  /** Tells the QUERY lines of one query id apart (EXECUTE IMMEDIATE writes the statement it ran, then itself): its statement's key, cut short. */
  line: string;
}

/** Lines kept per statement key and connection: a statement run again is vouched for by its own line, once. */
const QUERIES_PER_KEY = 8;

const encodeQuery = (q: AuditQuery) => `${q.queryId},${q.retcode},${q.chars},${q.cut ? 1 : 0},${encodeURIComponent(q.user)},${encodeURIComponent(q.time)},${q.line}`;

function decodeQueries(value: string | undefined): AuditQuery[] {
  if (!value) return [];
  return value.split(' ').map((item) => {
    const [queryId, retcode, chars, cut, user, time, line] = item.split(',');
    return { queryId, retcode: Number(retcode), chars: Number(chars), cut: cut === '1', user: decodeURIComponent(user ?? ''), time: decodeURIComponent(time ?? ''), line: line ?? '' };
  });
}

/** The key's lines with this one added (once: a batch decoded again reads its own lines again). */
function withQuery(old: string | undefined, q: AuditQuery): string {
  const items = (old ? old.split(' ') : []).filter((x) => !x.startsWith(`${q.queryId},`));
  items.push(encodeQuery(q));
  return items.slice(-QUERIES_PER_KEY).join(' ');
}

/** An audit QUERY line's facts: the line, under its statement's keys; the entries its statement wrote. */
export function queryLineFacts(a: AuditLine, server: string, ctx: DecodeContext, limit: number): SessionFact[] {
  const base = { server, sessionId: a.connectionId, ts: ctx.now };
  const keys = statementKeys(a.object);
  // An escape that did not fit leaves the copy one byte short of the limit.
  const q: AuditQuery = { queryId: a.queryId, retcode: a.retcode, chars: a.object.length, cut: a.objectBytes >= limit - 1, user: a.user, time: a.time, line: keys.full.slice(0, 8) };
  const view = ctx.session(server, a.connectionId);
  const masked = a.object.includes('*****') ? `s:${statementKeys(skeleton(a.object)).full}` : undefined;
  return [
    ...(masked ? [{ ...base, kind: 'attr', name: masked, value: withQuery(view?.attrs.get(masked), q), persist: false } as const] : []),
    { ...base, kind: 'attr', name: `q:${keys.full}`, value: withQuery(view?.attrs.get(`q:${keys.full}`), q), persist: false },
    { ...base, kind: 'attr', name: `p:${keys.prefix}`, value: withQuery(view?.attrs.get(`p:${keys.prefix}`), q), persist: false },
    ...forgedEntries(a, server, ctx.now, q, view),
  ];
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
    // thread that no audit line vouches for is this one (attribute). Only then: a whole copy is matched
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

/**
 * The fact that an entry claimed a line (one line, one entry): the entry's hash, whether it followed a
 * cut statement (a provisional claim), and the bytes counted of it.
 */
const claimName = (q: AuditQuery) => `c:${q.queryId}:${q.line}`;

/**
 * Bytes counted already of the statements a line's statement ran: the entries other QUERY lines of its
 * query id vouched for. EXECUTE IMMEDIATE writes the statement it ran (its entry first, with the bytes
 * flushed by then) and then itself, with all the bytes the two sent.
 */
export function countedInside(view: SessionView, q: AuditQuery): { entries: number; bytes: number } {
  const prefix = `c:${q.queryId}:`;
  const own = claimName(q);
  const counted = { entries: 0, bytes: 0 };
  for (const [name, value] of view.attrs) {
    if (!name.startsWith(prefix) || name === own) continue;
    counted.entries++;
    counted.bytes += Number(value.split(',')[2]) || 0;
  }
  return counted;
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
      if (seen.has(claimName(m.q))) continue;
      seen.add(claimName(m.q));
      if (m.q.user !== e.user && m.q.user !== e.privUser) continue;
      const claim = view.attrs.get(claimName(m.q));
      if (claim !== undefined && claim.split(',')[0] !== own) {
        disputed ??= { queryId: m.q.queryId, provisional: claim.split(',')[1] === '1' };
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

/** What becomes of an entry: refused (a dead letter), passed over (no line vouched for it, and it moves no data), or kept. */
export type Attribution =
  | { verdict: 'refused'; result: DecodeResult }
  | { verdict: 'passed over' }
  | { verdict: 'kept'; line?: AuditQuery; facts: SessionFact[]; marks: { audit_follows?: string; audit_disputed?: string }; claim: (counted: number) => SessionFact[] };

/**
 * Whether an entry was written by the server or by a statement: its chain (the slow-log file it came
 * from, `at`) and the audit lines of its connection decide. `line`: the audit QUERY line that vouched
 * for it (its tables, return code and time are the entry's), which `claim` takes, with the bytes counted of
 * the entry. `noData`: the entry moves no data (SET, ...).
 */
export function attribute(e: SlowEntry, server: string, ctx: DecodeContext, at: { chain: string; offset: string }, limit: number, noData: boolean): Attribution {
  const view = ctx.session(server, e.threadId);
  const prev = readLink(ctx.session(server, at.chain)?.attrs.get(LAST), at.offset);
  const guard = prev && (prev.state === 'open' || prev.state === 'long') ? prev : undefined;
  const facts: SessionFact[] = [];
  const base = { server, ts: ctx.now, kind: 'attr', persist: false } as const;
  const link = (l: Omit<Link, 'offset'>) => facts.push({ ...base, sessionId: at.chain, name: LAST, value: encodeLink({ ...l, offset: at.offset }) });
  // A refused entry is part of its author's statement, which may go on (its `;` or not tells nothing:
  // the forger wrote it): the next entry must be vouched for, when the author's audit line is known
  // (else the audit log is behind, and it would refuse real entries too).
  const refuse = (author: { user: string; thread: string; queryId: string }, reason: string): Attribution => {
    link({ ...author, state: author.queryId ? 'long' : 'unsure' });
    return { verdict: 'refused', result: { ok: false, code: 'forged_record', reason, facts } };
  };
  const forged = view?.attrs.has(FORGED_ON) ? view.attrs.get(`f:${forgedKey(e.record)}`) : undefined;
  if (forged) {
    const [author, connection, query] = forged.split(',');
    return refuse({ user: author, thread: connection, queryId: query }, `a slow-log entry written by the statement of ${author} (connection ${connection}, query ${query}), not by the server: the whole entry is in that statement (server_audit)`);
  }
  const own = entryHash(e);
  const { match, disputed } = vouch(e, view, own);
  if (!match) {
    // Written for this user and thread by a statement whose audit copy was cut (forgedEntries).
    const named = view?.attrs.get(`h:${encodeURIComponent(e.user)}`);
    // An entry that moves no data is not worth a dead letter; the chain keeps waiting for a vouched entry.
    if ((named || guard) && noData) return { verdict: 'passed over' };
    if (named) {
      const [author, connection, query] = named.split(',');
      return refuse({ user: author, thread: connection, queryId: query }, `a slow-log entry written by the statement of ${author} (connection ${connection}, query ${query}), not by the server: that statement's audit copy holds this entry's first lines (user ${e.user}, thread ${e.threadId}), and no audit line vouches for it`);
    }
    // Its line taken by an entry that itself followed a cut statement: that one may be the forgery (a
    // statement that wrote an entry for its author's next read, to have the read refused). Kept, marked.
    if (guard && !disputed?.provisional) return refuse(guard, `${guardReason(guard)}${disputed ? `; its audit line (query ${disputed.queryId}) was already claimed by an earlier entry` : ''}`);
  }
  link({ state: stateOf(e, match, limit), user: e.user, thread: e.threadId, queryId: match?.q.queryId ?? '' });
  const marks = {
    ...(!match && prev?.state === 'unsure'
      ? { audit_follows: `the entry before it in the slow log (${prev.user}, connection ${prev.thread}) holds a statement of ${limit} bytes or more that no audit line was known for: if none ever vouches for this entry, that statement may have written it` }
      : {}),
    ...(disputed ? { audit_disputed: `its audit line (query ${disputed.queryId}) was claimed by another entry: one of the two was written by a statement` } : {}),
  };
  const claim = (counted: number): SessionFact[] => (match ? [{ ...base, sessionId: e.threadId, name: claimName(match.q), value: `${own},${guard ? 1 : 0},${counted}` }] : []);
  return { verdict: 'kept', line: match?.q, facts, marks, claim };
}
