// One line of MariaDB's server_audit plugin log (server_audit_output_type = file):
//   timestamp,serverhost,username,host,connectionid,queryid,operation,database,object,retcode
//   20261202 05:05:47,vm,ana,127.0.0.1,3,0,CONNECT,shop,,0
//   20261202 05:05:47,vm,ana,127.0.0.1,3,1,READ,shop,customers,
//   20261202 05:05:47,vm,ana,127.0.0.1,3,1,QUERY,shop,'SELECT * FROM customers WHERE id <= 25',0
// QUERY lines hold the statement in quotes with \' \\ \n \r \t escapes, cut at
// server_audit_query_log_limit characters; TABLE lines (READ, WRITE, CREATE, ALTER, RENAME, DROP) come
// before the QUERY line of the same query id, one per table the query opened.

export interface AuditLine {
  /** As written (the server's local time, "YYYYMMDD HH:MM:SS"). */
  time: string;
  serverHost: string;
  user: string;
  host: string;
  connectionId: string;
  queryId: string;
  operation: string;
  database: string;
  /** The table (TABLE events), the statement unescaped (QUERY events), or ''. */
  object: string;
  /**
   * Bytes of the object as written, escapes included: what server_audit_query_log_limit counts (a
   * statement of 1,017 characters with 7 newlines filled a limit of 1,024). 0 for an unquoted object.
   */
  objectBytes: number;
  retcode: number;
}

export type AuditResult = { ok: true; line: AuditLine } | { ok: false; code: 'bad_audit_line'; reason: string };

const HEAD = /^(\d{8} \d\d:\d\d:\d\d),([^,]*),([^,]*),([^,]*),(\d+),(\d+),([A-Z_]+),([^,]*),/;

/** An audit line's time ("YYYYMMDD HH:MM:SS", the server's zone) read as UTC, ms. */
export const auditTimeMs = (time: string) => Date.parse(time.replace(/^(\d{4})(\d\d)(\d\d) /, '$1-$2-$3T') + 'Z');

export function isAuditLine(text: string): boolean {
  return /^\d{8} \d\d:\d\d:\d\d,/.test(text);
}

export function parseAuditLine(text: string): AuditResult {
  const m = HEAD.exec(text);
  if (!m) return { ok: false, code: 'bad_audit_line', reason: `not a server_audit line (timestamp,serverhost,username,host,connectionid,queryid,operation,database,object,retcode): ${JSON.stringify(text.slice(0, 60))}` };
  let rest = text.slice(m[0].length);
  let object = '';
  let objectBytes = 0;
  if (rest.startsWith("'")) {
    // A quoted statement: find the closing quote, skipping escapes.
    let i = 1;
    let out = '';
    for (; i < rest.length; i++) {
      const c = rest[i];
      if (c === '\\' && i + 1 < rest.length) {
        const n = rest[++i];
        out += n === 'n' ? '\n' : n === 'r' ? '\r' : n === 't' ? '\t' : n === '0' ? '\0' : n;
      } else if (c === "'") break;
      else out += c;
    }
    if (i >= rest.length) return { ok: false, code: 'bad_audit_line', reason: 'the statement of a QUERY line has no closing quote (a line cut short?)' };
    object = out;
    objectBytes = Buffer.byteLength(rest.slice(1, i));
    rest = rest.slice(i + 1);
    if (!rest.startsWith(',')) return { ok: false, code: 'bad_audit_line', reason: 'no return code after the statement' };
    rest = rest.slice(1);
  } else {
    const comma = rest.lastIndexOf(',');
    if (comma < 0) return { ok: false, code: 'bad_audit_line', reason: 'a line without its last field (the return code; cut short?)' };
    object = rest.slice(0, comma);
    rest = rest.slice(comma + 1);
  }
  if (!/^-?\d*$/.test(rest)) return { ok: false, code: 'bad_audit_line', reason: `the return code is not a number: ${JSON.stringify(rest.slice(0, 20))}` };
  return {
    ok: true,
    line: { time: m[1], serverHost: m[2], user: m[3], host: m[4], connectionId: m[5], queryId: m[6], operation: m[7], database: m[8], object, objectBytes, retcode: rest === '' ? 0 : Number(rest) },
  };
}
