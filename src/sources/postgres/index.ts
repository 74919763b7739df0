// PostgreSQL 15 with pgaudit 1.7 (docs/sources/postgres.md): one raw log record -> canonical events.
//   AUDIT lines (pgaudit.log = 'read, write', log_relation, log_rows) -> one event per statement and table;
//   `COPY t TO` (logged by pgaudit 1.7 without table and with 0 rows) -> the table from the statement,
//     its rows from the table's statistics (reltuples);
//   log_statement's lines (log-statement.ts): `COPY t TO` when it starts; `FETCH n FROM c` (pgaudit
//     logs a cursor's DECLARE without tables or rows, and nothing of its FETCHes) -> the tables of the
//     cursor's query; a DO block's or CALLed procedure's cursor (plpgsql.ts) -> its query's tables;
//   ERROR records with their statement -> status "error" events (a statement that failed moves no data;
//     pgaudit logs nothing for it);
//   `connection authenticated: identity=...` (log_connections) -> a fact: who is behind the session.
// Bytes are estimated: rows x the table's average row width as `COPY ... TO` text (table-stats.ts).
import { z } from 'zod';
import { ConfigError } from '../../errors';
import { unwrap } from '../envelope';
import { clip } from '../../text';
import { STATEMENT_KEEP, type DecodeContext, type DecodeResult, type RawMessage, type SessionFact, type SourceDecoder, type SourceFormat, type TableWidth } from '../types';
import { parseAudit } from './audit';
import { build, copyDoc, copyKey, lineFields } from './events';
import { statementLine } from './log-statement';
import { callPendingEnded, callPendingSettled } from './pending-call';
import { DEFAULT_PREFIX, fromCsvlog, fromCutJsonlog, fromJsonlog, isJsonlogRecord, stderrParser, type PgRecord, type RecordResult } from './records';
import { rowBytesOf, searchPathOf, sessionAggregates, sessionSentIt, tableBytesSoFar, tableRead } from './session-reads';
import { copyTarget, copyTargets, firstKeyword, relationsOf, type CopyTarget } from './statement';
import { aggregatesRows, readsFunctionRows, returningOf } from './statement-reads';

export { DEFAULT_PREFIX } from './records';

const optionsSchema = z.strictObject({
  destination: z.enum(['jsonlog', 'csvlog', 'stderr']).default('jsonlog'),
  server: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'expected a server name (letters, digits, . _ : -, at most 64)').optional(),
  prefix: z.string().min(1).default(DEFAULT_PREFIX),
  identity: z.enum(['cn', 'raw']).default('cn'),
  defaultRowBytes: z.coerce.number().int().min(0).max(1 << 30).default(100),
  // Read by the table-statistics collector (table-stats.ts), not by the decoder.
  statsUrlEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name').optional(),
  statsIntervalS: z.coerce.number().int().min(10).default(600),
});

export type PostgresOptions = z.infer<typeof optionsSchema>;

const MESSAGE_KEEP = 512;

export const postgresFormat: SourceFormat = {
  name: 'postgres',
  summary: 'PostgreSQL 15 logs with pgaudit 1.7 (jsonlog, csvlog or stderr); bytes estimated from table statistics',
  optionsHelp: {
    destination: 'jsonlog | csvlog | stderr: the log_destination the lines come from (default jsonlog)',
    server: 'the server name events carry as `source`, and the key of its sessions and statistics (default: the topic)',
    prefix: `stderr only: the server's log_line_prefix; needs %c %l %u and %m, %t or %n (default '${DEFAULT_PREFIX}')`,
    identity: 'cn | raw: from a certificate DN keep the CN (default) or the whole identity',
    defaultRowBytes: 'bytes per row for a table without statistics (default 100)',
    statsUrlEnv: 'environment variable holding a postgres:// URL of a read-only role; the ingester reads table statistics through it',
    statsIntervalS: 'how often the ingester reads table statistics (default 600 s)',
  },
  create(raw, topic) {
    const options = parseOptions(raw, topic);
    return postgresDecoder(options, options.server ?? topic);
  },
};

export function parseOptions(raw: Readonly<Record<string, string | number | boolean>>, topic: string): PostgresOptions {
  const parsed = optionsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : '');
    throw new ConfigError(`ingest.sources.${topic}.options${key ? `.${key}` : ''}: ${issue.message} (format postgres)`, { topic });
  }
  return parsed.data;
}

export function postgresDecoder(options: PostgresOptions, server: string): SourceDecoder {
  let stderr: ReturnType<typeof stderrParser> | undefined;
  if (options.destination === 'stderr') {
    try {
      stderr = stderrParser(options.prefix);
    } catch (err) {
      throw new ConfigError(`postgres source ${server}: option prefix: ${(err as Error).message}`);
    }
  }

  function readRecord(message: RawMessage, ctx: DecodeContext): RecordResult | { ok: false; code: string; reason: string } {
    const u = unwrap(message.value, { maxMessageBytes: ctx.limits.maxMessageBytes, isBareRecord: isJsonlogRecord });
    if (!u.ok) {
      // A bare jsonlog line the shipper cut at its maximum size.
      if (u.code === 'invalid_json' && options.destination === 'jsonlog') return orInvalid(fromCutJsonlog(message.value!.toString('utf8')), u.reason);
      return u;
    }
    if (options.destination === 'jsonlog') {
      if (u.record) return fromJsonlog(u.record);
      // A jsonlog line inside a shipper's envelope.
      if (!u.text.startsWith('{')) return { ok: false, code: 'wrong_format', reason: `expected a jsonlog record (a JSON object); this looks like ${looksLike(u.text)}` };
      let doc: unknown;
      try {
        doc = JSON.parse(u.text);
      } catch (err) {
        return orInvalid(fromCutJsonlog(u.text), `the enveloped jsonlog record is not valid JSON (a truncated line?): ${(err as Error).message}`);
      }
      if (typeof doc !== 'object' || doc === null || !isJsonlogRecord(doc as Record<string, unknown>)) {
        return { ok: false, code: 'wrong_format', reason: 'a JSON object that is not a PostgreSQL jsonlog record (no error_severity and timestamp)' };
      }
      return fromJsonlog(doc as Record<string, unknown>);
    }
    if (u.record) return { ok: false, code: 'wrong_format', reason: `a jsonlog record on a topic configured for ${options.destination}` };
    if (options.destination === 'csvlog') {
      const r = fromCsvlog(u.text);
      if (!r.ok && (r.code === 'not_a_record' || looksLike(u.text) !== 'a csvlog record')) return { ok: false, code: 'wrong_format', reason: `expected a csvlog record; this looks like ${looksLike(u.text)}` };
      return r;
    }
    const r = stderr!.parse(u.text);
    if (!r.ok && r.code === 'not_a_record') {
      const kind = looksLike(u.text);
      return { ok: false, code: kind === 'a stderr line' ? 'not_a_record' : 'wrong_format', reason: `${r.reason}; this looks like ${kind}` };
    }
    // A record of the shipper's maximum size was cut there and its rest dropped (rsyslog's maxMessageSize =
    // ingest.maxMessageBytes): pgaudit's row count at its end may be cut short (100000 read as 100) or
    // gone, and stderr does not quote the line to show it.
    if (r.ok && Buffer.byteLength(u.text, 'utf8') >= ctx.limits.maxMessageBytes) return { ok: true, record: { ...r.record, cut: true } };
    return r;
  }

  return {
    format: 'postgres',
    servers: [server],
    decode(message, ctx): DecodeResult {
      const read = readRecord(message, ctx);
      if (!read.ok) return read;
      const rec = (read as { record: PgRecord }).record;
      return interpret(rec, server, options, ctx);
    },
  };
}

/** A jsonlog line that is neither JSON nor a cut one stays invalid_json, with both reasons. */
function orInvalid(cut: RecordResult, reason: string): RecordResult | { ok: false; code: string; reason: string } {
  return cut.ok ? cut : { ok: false, code: 'invalid_json', reason: `${reason}; ${cut.reason}` };
}

function interpret(rec: PgRecord, server: string, options: PostgresOptions, ctx: DecodeContext): DecodeResult {
  const sev = rec.severity;
  if (sev === 'LOG') {
    // pgaudit wrote a line after a CALL of a procedure not known: it ran statements pgaudit logs (pending-call.ts).
    if (rec.message.startsWith('AUDIT: ')) return withFacts(auditEvents(rec, server, options, ctx), callPendingSettled(rec, server, ctx));
    if (rec.message.startsWith('connection authenticated: ')) return identityFact(rec, server, options);
    const line = statementLine(rec, server, options.defaultRowBytes, ctx);
    if (line) return line;
    // The session's end: a CALL still waiting was its last statement.
    if (rec.message.startsWith('disconnection: ')) {
      const ended = callPendingEnded(rec, server, ctx);
      if (ended.docs.length > 0) return build(ended.docs, rec, server, ctx, ended.facts);
    }
    return ignored('not an audit record');
  }
  // jsonlog and csvlog carry the failed statement in the error's record; stderr on the STATEMENT line after it.
  if (sev === 'ERROR' || sev === 'FATAL' || sev === 'PANIC') {
    // A CALL waiting (pending-call.ts) that failed for want of the procedure or the right to run it ran nothing.
    const settled = callPendingSettled(rec, server, ctx, rec);
    if (rec.statement) return withFacts(errorEvents(rec, server, rec.message, ctx, options.defaultRowBytes), settled);
    if (settled.length > 0) return { ok: true, events: [], facts: settled, note: 'the error of a CALL waiting for its verdict' };
  }
  if (sev === 'STATEMENT') return errorEvents(rec, server, '', ctx, options.defaultRowBytes);
  return ignored(`a ${sev} record without a statement`);
}

/** Every `COPY <table> TO` of a query string, whatever statement comes first (`SELECT 1; COPY t TO STDOUT`). */
function tablesCopiedOut(statement: string): CopyTarget[] {
  return copyTargets(statement).filter((c) => !c.query && c.direction === 'to' && c.table);
}

/** A result with more facts (a refused record's too: what it tells later lines still holds). */
function withFacts(r: DecodeResult, facts: SessionFact[]): DecodeResult {
  if (facts.length === 0) return r;
  return r.ok ? { ...r, facts: [...r.facts, ...facts] } : { ...r, facts: [...(r.facts ?? []), ...facts] };
}

const ignored = (note: string): DecodeResult => ({ ok: true, events: [], facts: [], note });

/**
 * log_connections writes "connection received" (line 1) and "connection authenticated" (line 2) while the
 * backend authenticates, before the session can run anything. The same text written later by the
 * session itself (`RAISE LOG 'connection authenticated: identity="CN=bob..."'`) would put the session on
 * someone else: it comes later, in another phase, with a context.
 */
const AUTHENTICATED_LINE = 2;

function identityFact(rec: PgRecord, server: string, options: PostgresOptions): DecodeResult {
  const m = /^connection authenticated: identity="(.*)" method=(\S+)/s.exec(rec.message);
  if (!m) return ignored('connection authenticated without identity');
  if (rec.lineNum > AUTHENTICATED_LINE || (rec.phase !== '' && rec.phase !== 'authentication') || rec.context !== '') {
    return ignored(`"connection authenticated" written by the session itself (line ${rec.lineNum}${rec.phase ? `, ${rec.phase}` : ''}), not by the server while authenticating: not an identity`);
  }
  if (!rec.sessionId) return { ok: false, code: 'missing_field', reason: 'a connection record without session_id' };
  const fact: SessionFact = { kind: 'identity', server, sessionId: rec.sessionId, identity: normaliseIdentity(m[1], options.identity), method: m[2], ts: rec.ts };
  return { ok: true, events: [], facts: [fact] };
}

/** Certificate identities are DNs ("CN=alice@corp.example,O=Corp"): the CN names the person. */
export function normaliseIdentity(identity: string, mode: 'cn' | 'raw'): string {
  if (mode === 'raw') return identity;
  const cn = /(?:^|[,/])\s*CN=([^,/]+)/.exec(identity);
  return cn ? cn[1].trim() : identity;
}

function auditEvents(rec: PgRecord, server: string, options: PostgresOptions, ctx: DecodeContext): DecodeResult {
  const audit = parseAudit(rec.message, rec.cut);
  if (!audit.ok) return audit;
  const a = audit.line;
  const statementHead = firstKeyword(a.statement);
  const copy = statementHead === 'COPY' ? copyTarget(a.statement) : undefined;
  if (a.command === 'COPY' && !a.objectName && !a.rows) {
    // pgaudit logs each statement of a multi-statement string with the whole string, and a COPY's line
    // does not say which of its COPYs it ends: all of them are counted on the first such line (a fact
    // keeps the others' lines from counting them again), whatever statement comes first.
    const targets = tablesCopiedOut(a.statement);
    if (targets.length > 1 || (targets.length === 1 && !copy)) {
      const key = copyKey(a.statement);
      // The line that counted them notes itself in the fact: decoding it again (a batch's second pass) counts again.
      const mine = `${key}\u0000${rec.lineNum}`;
      const seen = rec.sessionId ? ctx.session(server, rec.sessionId)?.copies : undefined;
      if (seen && (seen.has(key) || [...seen].some((c) => c !== mine && c.startsWith(`${key}\u0000`)))) {
        return ignored('COPY TO: counted when it started, or on the first line of its string');
      }
      const extra = { query_id: `${a.statementId}.${a.substatementId}`, audit_class: a.className, parameter: clip(a.parameter, MESSAGE_KEEP), counted_at: 'end (pgaudit)' };
      const docs = targets.map((t) => copyDoc(rec, a.statement, t, server, options.defaultRowBytes, ctx, extra));
      const facts: SessionFact[] = targets.length > 1 && rec.sessionId ? [{ kind: 'copy', server, sessionId: rec.sessionId, statement: mine, ts: rec.ts }] : [];
      return build(docs, rec, server, ctx, facts);
    }
  }
  let action = a.command;
  let table = a.objectName;
  let rows = a.rows ?? 0;
  let rowsFrom = a.rows === undefined ? 'not logged (pgaudit.log_rows = off)' : 'pgaudit';
  let columns: string[] | undefined;
  if (copy) {
    if (copy.query && a.command === 'COPY' && !a.objectName) {
      // `COPY (SELECT ...) TO`: the SELECT's own line (same statement) carries its tables and rows.
      return ignored('COPY (query): counted on the query\'s own lines');
    }
    action = copy.direction === 'from' ? 'COPY FROM' : rec.application === 'pg_dump' ? 'DUMP' : 'COPY';
    if (!copy.query && copy.table && !table) {
      table = copy.table;
      columns = copy.columns;
    }
  }
  const copyGap = copy && !copy.query && copy.direction === 'to' && a.command === 'COPY' && !a.objectName && rows === 0;
  if (copyGap && rec.sessionId && ctx.session(server, rec.sessionId)?.copies.has(copyKey(a.statement))) {
    return ignored('COPY TO: counted when it started (its log_statement line)');
  }
  // A line cut before what it read is known (no table, or a COPY whose target was after the cut): a dead
  // letter, seen, rather than an event of no bytes (SELECT '<1 MB>'; COPY big TO STDOUT in one string).
  if (a.cut && !table) return { ok: false, code: 'truncated_record', reason: 'an AUDIT line the shipper cut at its maximum record size before it says what was read (a statement padded past ingest.maxMessageBytes): not counted' };
  // A cut line whose statement the session did not send (a function's body its writer padded): counting
  // the table's size would put the padding on whoever called it.
  if (a.cut && sessionSentIt(rec, server, a.statement, ctx) === false) return { ok: false, code: 'truncated_record', reason: "an AUDIT line the shipper cut whose statement is not the one the session sent (a function's body): its row count is lost, and the table's size would be the padding's writer's doing, not the caller's" };
  let width: TableWidth | undefined;
  if (table) ({ table, width } = tableRead(ctx, server, rec, table, () => searchPathOf(rec, server, ctx)));
  // pgaudit 1.7 logs `COPY t TO` with 0 rows: the table's size is what leaves. A line cut before its row
  // count: the table's size too, an upper bound (only the statement's author can pad it past the cut).
  if (copyGap || a.cut) {
    rows = width ? width.rows : 0;
    rowsFrom = width ? (a.cut ? 'reltuples (an upper bound: the row count was cut off with the record)' : 'reltuples') : 'unknown (no statistics for the table)';
  }
  // An aggregate that puts the rows into one value (`SELECT json_agg(c) FROM customers c`): pgaudit's row
  // count is the 1 row sent; what was sent is the table's rows, at most.
  if (width && a.className === 'READ' && !copyGap && !a.cut && rows < width.rows && aggregatesRows(a.statement, sessionAggregates(rec, server, ctx))) {
    rows = width.rows;
    rowsFrom = 'reltuples (an upper bound: the statement aggregates rows into values: json_agg, string_agg, ARRAY(SELECT ...))';
  }
  // A write with RETURNING sends the rows it wrote back (`UPDATE customers SET id = id RETURNING *` reads
  // the whole table to the client): outbound, counted like a read.
  const returning = a.className === 'WRITE' ? returningOf(a.statement) : undefined;
  const inbound = action === 'COPY FROM' || (a.className === 'WRITE' && !returning);
  // `INSERT ... RETURNING id` (ORMs, every insert): the id's width, not the row's.
  if (returning?.columns) columns = returning.columns;
  const { bytes: rowBytes, fromStats } = rowBytesOf(width, options.defaultRowBytes, columns);
  const widthFrom = fromStats ? 'pg_stats' : 'default';
  if (!table) width = undefined;
  // Writes and uploads move data into the database, not out of it: no download volume. A statement
  // without a table sends its rows too, at the default width: a function's result (a cursor drained in
  // PL/pgSQL reads a whole table, and pgaudit logs only the outer SELECT's 100,000 rows); less the bytes
  // its inner statements' lines counted on their tables (a decoy costs what it hides). One row (SELECT 1,
  // now(), a pool's ping) counts nothing.
  const soFar = rec.sessionId && !inbound ? tableBytesSoFar(rec, server, a.statementId, ctx) : undefined;
  const tableBytes = Math.round(rows * rowBytes);
  const functionBytes = !table && soFar && rows > 1 ? Math.max(0, tableBytes - soFar.bytes) : 0;
  // A table's line whose statement sends a function's rows (`SELECT f FROM one_row, LATERAL
  // pg_temp.drain('k') f`: a drained cursor's 3,000 rows logged on one_row, at its width): those rows at
  // the default width, like a line without table, less what the statement's lines counted.
  const madeBytes = table && soFar && a.className === 'READ' && rowsFrom === 'pgaudit' && rows > 1 && readsFunctionRows(a.statement) ? Math.max(0, Math.round(rows * options.defaultRowBytes) - soFar.bytes - tableBytes) : 0;
  const bytes = inbound ? 0 : table ? tableBytes + madeBytes : functionBytes;
  const facts = table && soFar && tableBytes + madeBytes > 0 ? [soFar.fact(tableBytes + madeBytes)] : [];
  const doc: Record<string, unknown> = {
    ...lineFields(rec, server),
    action,
    bytes,
    rows,
    bytes_estimated: true,
    table,
    query_id: `${a.statementId}.${a.substatementId}`,
    status: 'ok',
    audit_class: a.className,
    command: a.command,
    statement: clip(a.statement, STATEMENT_KEEP),
    parameter: clip(a.parameter, MESSAGE_KEEP),
    rows_from: rowsFrom,
    width_from: table ? widthFrom : functionBytes > 0 ? 'default (no table: the rows of a function or an expression)' : 'no table',
    ...(madeBytes > 0 ? { function_rows: `the statement sends rows a function makes: ${madeBytes} bytes beyond the table's width (the default row width, less what its lines counted)` } : {}),
    ...(a.className === 'WRITE' && !inbound ? { returned: 'RETURNING: the rows written were sent to the client' } : {}),
    ...(a.cut ? { record_cut: 'the shipper cut this record at its maximum size (ingest.maxMessageBytes): its statement is a prefix, its row count lost' } : {}),
    ...(width ? { stats_read_at: new Date(width.readAt).toISOString() } : {}),
  };
  return build([doc], rec, server, ctx, facts);
}

/**
 * Error classes a statement's own expressions raise while it runs, after its first rows may have gone out,
 * and which a client chooses at will (an export ending on purpose): cardinality (21), data (22: a division
 * by zero, a cast), routine (2F, 38, 39, P0: RAISE EXCEPTION). Not: syntax, permission, undefined objects
 * (42), nor anything refused before the statement ran; nor cancel and timeout (57: Ctrl-C, statement_timeout),
 * rollback (40: serialization failures an application retries), resources and system (53, 54, 58, XX):
 * everyday failures of long filtered reads, which counted at the tables' whole size would page on people
 * who read little (the log says neither how many rows went out nor when the error came).
 */
const RUNTIME_ERROR_CLASSES = new Set(['21', '22', '2F', '38', '39', 'P0']);

/**
 * A read that failed while it ran may have sent its rows first: on the real 15, `SELECT *, 1/(CASE WHEN id =
 * max THEN 0 ELSE 1 END) FROM t` sent a streaming client 99,999 of 100,000 rows (8.28 MB on the wire) and
 * `COPY (that) TO STDOUT` 6.38 MB, then the error; pgaudit logs nothing of a statement that fails (it logs at
 * the executor's end) and PostgreSQL only its ERROR. The log says neither how many rows went out nor when the
 * error came, so such a read (`SELECT`, `TABLE`, `WITH` without a write, `COPY (query) TO`) counts its tables
 * at their size, an upper bound like `FETCH ALL`. `COPY t TO` is counted when it starts (log_statement), a
 * FETCH when it arrives: neither is counted again. Needs the error's SQLSTATE (jsonlog, csvlog).
 */
function failedWhileSending(statement: string, head: string, sqlstate: string | undefined): boolean {
  if (!sqlstate || !RUNTIME_ERROR_CLASSES.has(sqlstate.slice(0, 2))) return false;
  if (head === 'SELECT' || head === 'TABLE') return true;
  if (head === 'WITH') return !/\b(insert|update|delete|merge)\b/i.test(statement);
  if (head === 'COPY') {
    const targets = copyTargets(statement);
    return targets.length > 0 && targets.every((t) => t.query && t.direction === 'to');
  }
  return false;
}

function errorEvents(rec: PgRecord, server: string, message: string, ctx: DecodeContext, defaultRowBytes: number): DecodeResult {
  const statement = rec.statement;
  const tables = relationsOf(statement).slice(0, 20);
  const head = firstKeyword(statement);
  const sent = message !== '' && tables.length > 0 && failedWhileSending(statement, head, rec.sqlstate);
  const docs = (tables.length > 0 ? tables : ['']).map((name) => {
    let table = name;
    let estimate: Record<string, unknown> = {};
    if (sent) {
      const read = tableRead(ctx, server, rec, name, () => searchPathOf(rec, server, ctx));
      table = read.table;
      const rows = read.width ? read.width.rows : 0;
      estimate = {
        bytes: Math.round(rows * rowBytesOf(read.width, defaultRowBytes).bytes),
        rows,
        bytes_estimated: true,
        status: 'ok',
        failed_while_sending: true,
        rows_from: read.width ? 'reltuples (an upper bound: the read failed while it ran, after it may have sent its rows; the log does not say how many)' : 'unknown (no statistics for the table)',
        width_from: read.width ? 'pg_stats' : 'default',
        ...(read.width ? { stats_read_at: new Date(read.width.readAt).toISOString() } : {}),
      };
    }
    return {
      ...lineFields(rec, server),
      action: head || 'UNKNOWN',
      bytes: 0,
      rows: 0,
      bytes_estimated: false,
      table,
      status: 'error',
      statement: clip(statement, STATEMENT_KEEP),
      ...(message ? { error: clip(message, MESSAGE_KEEP), sqlstate: rec.sqlstate } : {}),
      ...estimate,
    };
  });
  return build(docs, rec, server, ctx);
}

/** A guess at what a line is, for a dead-letter reason that helps fix the configuration. */
export function looksLike(text: string): string {
  const t = text.trimStart();
  if (t.startsWith('{')) return t.includes('"event_id"') ? 'a canonical event' : t.includes('"error_severity"') ? 'a jsonlog record' : 'JSON';
  if (/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \S+,/.test(t)) return 'a csvlog record';
  if (/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \S+ /.test(t)) return 'a stderr line';
  if (/^# (Time|User@Host):/.test(t)) return 'a MySQL/MariaDB slow-log line';
  if (/^<\d+>/.test(t)) return 'a syslog message';
  return `none of jsonlog, csvlog or stderr (starts ${JSON.stringify(t.slice(0, 30))})`;
}
