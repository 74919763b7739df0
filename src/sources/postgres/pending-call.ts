// A CALL of a procedure neither the log nor the catalog knows (made by EXECUTE of a string, renamed,
// made since the catalog was last read, or the catalog is not read: no statsUrlEnv). pgaudit 1.7 logs
// nothing of a CALL; it logs the statements the procedure runs, except the query and FETCHes of a cursor
// it opens. So: a CALL after which pgaudit wrote nothing before the session's next statement (or its end)
// may have read a table unseen, and is an unmeasured read (`bytes_unknown`: the detector's
// unmeasuredReads policy); one after which pgaudit wrote a line ran statements that pgaudit logs (a
// procedure that writes, an ordinary DBA's), and is not. A CALL that failed for want of the procedure or
// of the right to run it (SQLSTATE class 42, 3F) ran nothing.
import { clip } from '../../text';
import type { DecodeContext, SessionFact } from '../types';
import type { PgRecord } from './records';

/** The session's attr: the CALL waiting for what follows it (JSON), '' when none. */
const PENDING_FACT = 'pending_call';
/** Kept of the CALL's text. */
const KEEP = 1024;

interface Pending {
  line: number;
  ts: number;
  statement: string;
  procedure: string;
}

/** A CALL of a procedure not known: to be judged by the lines that follow it. */
export function callPendingFact(rec: PgRecord, server: string, statement: string, procedure: string): SessionFact {
  const pending: Pending = { line: rec.lineNum, ts: rec.ts, statement: clip(statement, KEEP), procedure };
  return { kind: 'attr', server, sessionId: rec.sessionId, ts: rec.ts, name: PENDING_FACT, value: JSON.stringify(pending) };
}

function pendingOf(rec: PgRecord, server: string, ctx: DecodeContext): Pending | undefined {
  const noted = rec.sessionId ? ctx.session(server, rec.sessionId)?.attrs.get(PENDING_FACT) : undefined;
  if (!noted) return undefined;
  try {
    const p = JSON.parse(noted) as Partial<Pending>;
    return typeof p.line === 'number' && typeof p.ts === 'number' && typeof p.statement === 'string' && typeof p.procedure === 'string' ? (p as Pending) : undefined;
  } catch {
    return undefined;
  }
}

const cleared = (rec: PgRecord, server: string): SessionFact => ({ kind: 'attr', server, sessionId: rec.sessionId, ts: rec.ts, name: PENDING_FACT, value: '' });

/**
 * pgaudit wrote a line (`error` undefined), or the CALL failed before it ran: SQLSTATE class 42 or 3F,
 * or without one (stderr's prefix has no %e) its message says so. Then the CALL is not a hidden read; an
 * error of the procedure's own (RAISE EXCEPTION, which may carry rows) leaves it waiting.
 */
export function callPendingSettled(rec: PgRecord, server: string, ctx: DecodeContext, error?: { sqlstate: string; message: string }): SessionFact[] {
  if (error && !(error.sqlstate ? /^(42|3F)/.test(error.sqlstate) : /^(procedure .* does not exist|permission denied for (procedure|function|schema)|schema .* does not exist|syntax error)/.test(error.message))) return [];
  return pendingOf(rec, server, ctx) ? [cleared(rec, server)] : [];
}

/**
 * The session's next statement or its end, and pgaudit wrote nothing since the CALL: its event, an
 * unmeasured read of no table (bytes 0, `bytes_unknown`), with the CALL's line and time.
 */
export function callPendingEnded(rec: PgRecord, server: string, ctx: DecodeContext): { docs: Array<Record<string, unknown>>; facts: SessionFact[] } {
  const p = pendingOf(rec, server, ctx);
  if (!p) return { docs: [], facts: [] };
  const doc = {
    event_id: `${server}/${rec.sessionId}/${p.line}`,
    ts: p.ts,
    user: rec.user,
    action: 'CALL',
    bytes: 0,
    rows: 0,
    bytes_estimated: false,
    source: server,
    database: rec.database,
    table: '',
    client_ip: rec.remoteHost,
    client_app: rec.application,
    session_id: rec.sessionId,
    status: 'ok',
    command: 'CALL',
    statement: p.statement,
    procedure: p.procedure,
    counted_at: 'the session\'s next line (log_statement)',
    bytes_unknown: `CALL of ${p.procedure}, a procedure made where the log does not show it (nor the catalog when last read): pgaudit logged nothing of what it ran, and a cursor it opens reads unseen`,
  };
  return { docs: [doc], facts: [cleared(rec, server)] };
}
