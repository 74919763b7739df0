// pgaudit's log line: "AUDIT: AUDIT_TYPE,STATEMENT_ID,SUBSTATEMENT_ID,CLASS,COMMAND,OBJECT_TYPE,
// OBJECT_NAME,STATEMENT,PARAMETER[,ROWS]" (ROWS with pgaudit.log_rows = on, 1.6+). STATEMENT and
// PARAMETER are CSV-quoted when they hold commas, quotes or newlines.
import { splitCsv } from './csv';

export interface AuditLine {
  auditType: string;
  statementId: string;
  substatementId: string;
  className: string;
  command: string;
  objectType: string;
  objectName: string;
  statement: string;
  parameter: string;
  /** Undefined when pgaudit.log_rows is off, or the record was cut before it. */
  rows?: number;
  /** The record was cut short (by the shipper): the statement may be a prefix, the row count is lost. */
  cut?: boolean;
}

export type AuditResult = { ok: true; line: AuditLine } | { ok: false; code: 'bad_audit_line'; reason: string };

const PREFIX = 'AUDIT: ';

/** `cut`: the record was cut short by the shipper; the fields up to OBJECT_NAME must be whole. */
export function parseAudit(message: string, cut = false): AuditResult {
  const head = splitCsv(message, PREFIX.length, 7);
  if (!head.ok || head.fields.length < 7 || head.end >= message.length) {
    return { ok: false, code: 'bad_audit_line', reason: 'AUDIT line with fewer than 9 fields (cut short?)' };
  }
  const [auditType, statementId, substatementId, className, command, objectType, objectName] = head.fields;
  if ((auditType !== 'SESSION' && auditType !== 'OBJECT') || !/^\d+$/.test(statementId) || !/^\d+$/.test(substatementId)) {
    return { ok: false, code: 'bad_audit_line', reason: `AUDIT line does not start with SESSION|OBJECT,statement id,substatement id: ${JSON.stringify(message.slice(0, 60))}` };
  }
  if (cut) return cutLine(head.fields, message.slice(head.end));
  const rest = splitCsv(message, head.end);
  if (!rest.ok) return { ok: false, code: 'bad_audit_line', reason: 'AUDIT line ends inside a quoted statement (cut short?)' };
  const f = rest.fields;
  if (f.length < 2) return { ok: false, code: 'bad_audit_line', reason: 'AUDIT line without its PARAMETER field (cut short?)' };
  let rows: number | undefined;
  let paramEnd = f.length;
  if (f.length >= 3 && /^\d+$/.test(f[f.length - 1])) {
    rows = Number(f[f.length - 1]);
    paramEnd = f.length - 1;
  }
  return {
    ok: true,
    line: { auditType, statementId, substatementId, className, command, objectType, objectName, statement: f[0], parameter: f.slice(1, paramEnd).join(','), rows },
  };
}

/** A line cut after its OBJECT_NAME: the statement as far as it goes; whatever follows it is not trusted (a row count cut from 25000 reads 2). */
function cutLine(head: string[], rest: string): AuditResult {
  const [auditType, statementId, substatementId, className, command, objectType, objectName] = head;
  const fields = splitCsv(rest, 0);
  const statement = fields.ok ? fields.fields[0] : rest.slice(1).replaceAll('""', '"');
  return { ok: true, line: { auditType, statementId, substatementId, className, command, objectType, objectName, statement, parameter: '', cut: true } };
}
