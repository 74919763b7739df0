// What both of the decoder's readers (pgaudit's AUDIT lines, index.ts; log_statement's lines,
// log-statement.ts) make their events with: a table read at its size (`COPY t TO`, a cursor pgaudit does
// not see), the key of a COPY counted once, and the validation every event passes.
import crypto from 'node:crypto';
import { validateEvent } from '../../event';
import { clip } from '../../text';
import { STATEMENT_KEEP, type DecodeContext, type DecodedEvent, type DecodeResult, type SessionFact } from '../types';
import type { PgRecord } from './records';
import { rowBytesOf, searchPathOf, tableRead } from './session-reads';
import type { CopyTarget } from './statement';

/** The fields every event of a log line takes from the line: its id (server, session, line number), time, user and connection. */
export function lineFields(rec: PgRecord, server: string): Record<string, unknown> {
  return {
    event_id: `${server}/${rec.sessionId}/${rec.lineNum}`,
    ts: rec.ts,
    user: rec.user,
    source: server,
    database: rec.database,
    client_ip: rec.remoteHost,
    client_app: rec.application,
    session_id: rec.sessionId,
  };
}

/** A `COPY t TO` as an event: the table's rows from its statistics (pgaudit 1.7 logs 0), bytes from its width. */
export function copyDoc(rec: PgRecord, statement: string, copy: CopyTarget, server: string, defaultRowBytes: number, ctx: DecodeContext, extra: Record<string, unknown>, path = () => searchPathOf(rec, server, ctx)): Record<string, unknown> {
  const { table, width } = tableRead(ctx, server, rec, copy.table!, path);
  const rows = width ? width.rows : 0;
  const rowBytes = rowBytesOf(width, defaultRowBytes, copy.columns).bytes;
  return {
    ...lineFields(rec, server),
    action: rec.application === 'pg_dump' ? 'DUMP' : 'COPY',
    bytes: Math.round(rows * rowBytes),
    rows,
    bytes_estimated: true,
    table,
    status: 'ok',
    command: 'COPY',
    statement: clip(statement, STATEMENT_KEEP),
    rows_from: width ? 'reltuples' : 'unknown (no statistics for the table)',
    width_from: width ? 'pg_stats' : 'default',
    ...extra,
    ...(width ? { stats_read_at: new Date(width.readAt).toISOString() } : {}),
  };
}

/**
 * The same COPY as log_statement and pgaudit write it (pgaudit keeps a trailing space or newline), as a
 * hash: the join state keeps one per COPY of a session, in memory and in ClickHouse, and a statement may
 * be megabytes long (a COPY padded with a comment, again and again).
 */
export function copyKey(statement: string): string {
  return crypto.createHash('sha256').update(statement.trim()).digest('hex');
}

/** A record's events, validated, with the session's identity; the first that fails validation is the record's dead letter. */
export function build(docs: Array<Record<string, unknown>>, rec: PgRecord, server: string, ctx: DecodeContext, facts: SessionFact[] = []): DecodeResult {
  const identity = rec.sessionId ? (ctx.session(server, rec.sessionId)?.identity ?? '') : '';
  const events: DecodedEvent[] = [];
  for (let i = 0; i < docs.length; i++) {
    const doc = docs[i];
    if (i > 0) doc.event_id = `${doc.event_id as string}/${i}`;
    if (identity) doc.identity = identity;
    const v = validateEvent(doc, ctx.limits, ctx.now);
    if (!v.ok) return v;
    events.push({ event: v.event });
  }
  return { ok: true, events, facts };
}
