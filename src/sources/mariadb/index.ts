// MariaDB 10.11 (docs/sources/mariadb.md): two logs on one topic, joined on the connection (thread) id.
//   slow query log (long_query_time = 0: every statement) -> the events: user, client address, thread,
//     schema, Rows_sent / Rows_affected and the real Bytes_sent (measured, not estimated);
//   server_audit log (CONNECT, QUERY, TABLE) -> facts: the tables each query opened, its return code
//     (a failed query), the connection's client address.
// A slow-log entry is matched to its audit QUERY line by thread and statement text (the whole text;
// when the audit copy was cut at server_audit_query_log_limit, its first KEY_CHARS characters: vouch.ts). The audit facts of a
// batch are read before its entries (prescan), so the order in which the shipper interleaved the two
// files within a batch does not matter. An entry whose audit lines are not known (audit log not
// shipped, or far behind) still becomes its events: tables from the statement text, status "ok",
// marked `audit: "not joined"`. Entries a statement wrote into the slow log (a record start in its text)
// are refused as forged_record (vouch.ts); reads the slow log does not show whole are hidden-reads.ts'.
import { z } from 'zod';
import { ConfigError } from '../../errors';
import { validateEvent } from '../../event';
import { unwrap } from '../envelope';
import { firstKeyword, relationsOf, tokenize } from '../postgres/statement';
import { clip } from '../../text';
import { STATEMENT_KEEP, type DecodeContext, type DecodedEvent, type DecodeResult, type RawMessage, type SessionFact, type SourceDecoder, type SourceFormat } from '../types';
import { auditTimeMs, isAuditLine, parseAuditLine, type AuditLine } from './audit-log';
import { queryTables, SESSION_ONLY, splitTable, tableFactName } from './event-fields';
import { addUnseen, slowLogOff, unflushedBytes, unloggedReads } from './hidden-reads';
import { entryHash, isSlowLogText, parseSlowEntry, type SlowEntry } from './slow-log';
import { attribute, countedInside, queryLineFacts } from './vouch';

const optionsSchema = z.strictObject({
  server: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'expected a server name (letters, digits, . _ : -, at most 64)').optional(),
  auditQueryLogLimit: z.coerce.number().int().min(16).max(1 << 30).default(1024),
});

/** mysqldump's SELECT of a table's rows. */
const MYSQLDUMP = /^SELECT \/\*!40001 SQL_NO_CACHE \*\//;
const OUTFILE = /\bINTO\s+(OUTFILE|DUMPFILE)\s+(['"])((?:\\.|(?!\2).)*)\2/i;
const TABLE_OPS = new Set(['READ', 'WRITE', 'CREATE', 'ALTER', 'RENAME', 'DROP']);
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

/** The facts of one audit line: the connection's client and login, a query's tables and return code. */
function auditFacts(a: AuditLine, server: string, ctx: DecodeContext, limit: number): SessionFact[] {
  const base = { server, sessionId: a.connectionId, ts: ctx.now };
  if (a.operation === 'CONNECT') {
    return [
      { ...base, kind: 'attr', name: 'client', value: a.host },
      { ...base, kind: 'attr', name: 'login', value: a.user },
    ];
  }
  if (TABLE_OPS.has(a.operation) && a.object) {
    return [{ ...base, kind: 'attr', name: tableFactName(a.queryId, `${a.database ? `${a.database}.` : ''}${a.object}`), value: a.operation, persist: false }];
  }
  // Its statement and return code, kept for the entry it vouches for.
  if (a.operation.startsWith('QUERY')) return queryLineFacts(a, server, ctx, limit);
  return [];
}

export function mariadbDecoder(server: string, auditQueryLogLimit = 1024): SourceDecoder {
  return {
    format: 'mariadb',
    servers: [],
    recordStart: RECORD_START,
    prescan(message, ctx) {
      const r = readRecord(message, ctx);
      if (r.kind !== 'audit') return [];
      const a = parseAuditLine(r.text);
      return a.ok ? [...auditFacts(a.line, server, ctx, auditQueryLogLimit), ...slowLogOff(a.line, server, ctx, auditQueryLogLimit)] : [];
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

/** The events of a slow-log entry the server wrote, joined to its audit line when one vouches for it. */
function slowEvents(e: SlowEntry, server: string, ctx: DecodeContext, at: { chain: string; offset: string }, limit: number): DecodeResult {
  const view = ctx.session(server, e.threadId);
  const head = firstKeyword(e.statement, 'mysql');
  const opening = head === 'BEGIN' || head === 'EXECUTE' ? tokenize(e.statement, 3, 'mysql').map((t) => t.text.toUpperCase()).join(' ') : '';
  // BEGIN NOT ATOMIC ... END is a compound statement (any statements, reads too), not a transaction's start.
  const compound = opening === 'BEGIN NOT ATOMIC';
  const noData = (SESSION_ONLY.has(head) && !compound) || e.statement.startsWith('# administrator command:');
  const by = attribute(e, server, ctx, at, limit, noData);
  if (by.verdict === 'refused') return by.result;
  if (by.verdict === 'passed over') return { ok: true, events: [], facts: [], note: `${head || 'administrator command'}: no data (not vouched for by the audit log)` };
  const { line: match, facts } = by;
  let queryId = '';
  let retcode = 0;
  let auditChars = -1;
  let auditTime = '';
  let tables: Array<{ database: string; table: string }> = [];
  let tablesFrom = 'statement text';
  if (match) {
    queryId = match.queryId;
    retcode = match.retcode;
    auditChars = match.chars;
    auditTime = match.time;
    tables = queryTables(view!, queryId, e.schema, e.statement);
    if (tables.length > 0) tablesFrom = 'server_audit';
  }
  // mysqldump reads a table it locked (LOCK TABLES): the audit log names it on the LOCK, not on the SELECT.
  if (tables.length === 0) tables = relationsOf(e.statement, { dialect: 'mysql', defaultSchema: e.schema }).slice(0, 20).map((t) => splitTable(t, e.schema));
  // A statement that failed after sending rows (a subquery of two rows at the last row, max_statement_time)
  // moved them: ok (the detector counts no bytes of a failed event), with its error code. One a stored
  // function ended with SIGNAL logs Rows_sent as -2 read unsigned (slow-log.ts, `wrapped`): its rows are
  // not known, its Bytes_sent is (6.78 MB of a 100,000-row table on the real 10.11; one that SIGNALed at its
  // first row logged Rows_sent 0 and 227 bytes: an error).
  const rowsUnknown = e.wrapped?.Rows_sent !== undefined;
  const status = retcode !== 0 && e.rowsSent === 0 && !rowsUnknown ? 'error' : 'ok';
  // EXECUTE IMMEDIATE logs the statement it ran (same query id, counted on its own entry), then itself
  // with the rows and bytes of both: what that entry counted is not counted again.
  const inside = match && opening.startsWith('EXECUTE IMMEDIATE') ? countedInside(view!, match) : { entries: 0, bytes: 0 };
  const rows = status === 'error' || inside.entries > 0 ? 0 : e.rowsSent > 0 ? e.rowsSent : e.rowsAffected;
  // A prepared statement's execution logs only whole net buffers.
  const unflushed = status === 'ok' ? unflushedBytes(e) : 0;
  let bytes = Math.max(0, (status === 'error' ? 0 : e.bytesSent + unflushed) - inside.bytes);
  facts.push(...by.claim(bytes));
  if (inside.entries > 0 && bytes === 0) return { ok: true, events: [], facts, note: 'EXECUTE IMMEDIATE: counted on the entry of the statement it ran' };
  let unseenBefore = 0;
  // An entry cut short by a record start in its statement keeps its header's numbers: they are the
  // server's, for the whole statement, whatever its tables (the rest of the text was another record).
  if ((noData || (tables.length === 0 && status === 'ok')) && !(e.cut && (e.bytesSent > 0 || e.rowsSent > 0))) {
    const unseen = addUnseen(e.user, bytes, server, ctx);
    facts.push(...unseen.facts);
    unseenBefore = unseen.before;
    if (unseen.total === undefined) return { ok: true, events: [], facts, note: noData ? `${head || 'administrator command'}: no data` : 'no table: no stored data read' };
    bytes = unseen.total;
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
      ...by.marks,
      ...(e.cut ? { statement_cut: 'the statement holds a line that starts a slow-log record: the log entry was cut there' } : {}),
      ...(auditChars >= 0 && auditChars < e.statement.length ? { audit_statement_truncated: true } : {}),
      ...(retcode !== 0 ? { error_code: retcode } : {}),
      ...(e.wrapped ? { counters_wrapped: e.wrapped } : {}),
      ...(rowsUnknown && status === 'ok' && retcode !== 0 ? { failed_while_sending: true, rows_from: 'unknown: the server wrote Rows_sent as a negative number (the statement failed in a stored function while sending); bytes are its Bytes_sent' } : {}),
      ...(unseenBefore > 0 ? { bytes_unseen_before: unseenBefore } : {}),
      ...(unflushed > 0 ? { bytes_unflushed_estimated: unflushed } : {}),
      ...(inside.entries > 0 ? { bytes_counted_inside: inside.bytes } : {}),
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
