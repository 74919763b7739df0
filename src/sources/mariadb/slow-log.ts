// One entry of MariaDB's slow query log (10.11, `log_output = FILE`), as the shipper sends it: the
// header lines, `use db;` when the schema changed, `SET timestamp=N;`, and the statement over as many
// lines as it has. The shipper starts a record at `# User@Host:` (docs/sources/mariadb.md), so a
// `# Time:` line (written when the second changes) ends the entry before the one it dates, and the
// banner a restarted server writes may follow the last entry: both are left out of the statement.
//   # User@Host: ana[ana] @  [127.0.0.1]
//   # Thread_id: 3  Schema: shop  QC_hit: No
//   # Query_time: 0.000832  Lock_time: 0.000600  Rows_sent: 25  Rows_examined: 25
//   # Rows_affected: 0  Bytes_sent: 791
//   SET timestamp=1796187947;
//   SELECT * FROM customers WHERE id <= 25;

import crypto from 'node:crypto';

export interface SlowEntry {
  /** The account's user name, as authenticated (the name in brackets). */
  user: string;
  /** The privilege user it was matched to (before the brackets); differs for proxy and anonymous users. */
  privUser: string;
  host: string;
  ip: string;
  threadId: string;
  schema: string;
  /** `SET timestamp=N` in ms: when the statement started. */
  ts: number;
  queryTime: number;
  lockTime: number;
  rowsSent: number;
  rowsExamined: number;
  rowsAffected: number;
  bytesSent: number;
  statement: string;
  /** The statement did not end with the `;` MariaDB writes after every one: a record start inside it cut it here. */
  cut: boolean;
  /** The entry's text from its `# User@Host:` line to the end of its statement (what a forged one is recognised by). */
  record: string;
  /** Other `Key: value` pairs of the header (Full_scan, Tmp_tables, ...). */
  other: Record<string, string>;
  /**
   * Row counters the server wrote as a negative number read unsigned (2^63 or more), as written, their
   * field 0: a SELECT that a stored function ended with SIGNAL logged `Rows_sent: 18446744073709551614`
   * (-2) after sending its rows (the real 10.11).
   */
  wrapped?: Record<string, string>;
}

export type SlowResult = { ok: true; entry: SlowEntry } | { ok: true; entry?: undefined; note: string } | { ok: false; code: 'missing_field' | 'truncated_record' | 'bad_timestamp'; reason: string };

const USER_HOST = /^# User@Host: ([^[\s]*)\[([^\]]*)\] @ (\S*) \[([^\]]*)\]/;
// The three lines MariaDB writes after `# User@Host:`, always, in this order (log.cc). Read from these
// lines only, each whole: the statement is copied into the log as it is, and with log_slow_verbosity =
// explain so are its aliases and names, each on a `# explain:` line: a name holding a newline and
// "# Rows_sent: 3 ... Bytes_sent: 412" wrote a second pair line that overwrote the real numbers (a read
// of 3.4 MB counted as 412 bytes). The schema is the database's name: anything between its fixed neighbours.
const THREAD_LINE = /^# Thread_id: (\d+) {2}Schema: (.*) {2}QC_hit: (?:Yes|No)$/;
const TIMES_LINE = /^# Query_time: (\S+) {2}Lock_time: (\S+) {2}Rows_sent: (\S+) {2}Rows_examined: (\S+)$/;
const BYTES_LINE = /^# Rows_affected: (\S+) {2}Bytes_sent: (\S+)$/;
const TIME_LINE = /^# Time: \d{6}\s+\d{1,2}:\d\d:\d\d(\.\d+)?$/;
const BANNER = /^\S+, Version: .* started with:$/;
const PAIR = /([A-Za-z_]+): (\S*)/g;

/** What an entry's first line starts with (and where the shipper starts a record). */
export const USER_HOST_START = '# User@Host: ';

/**
 * The user and thread the first two lines of an entry name, when both lines are whole: what the audit
 * log's copy of a statement still tells of an entry written inside it after server_audit_query_log_limit
 * cut the copy short of the rest.
 */
export function entryHead(first: string, second: string | undefined): { user: string; privUser: string; threadId: string } | undefined {
  const who = USER_HOST.exec(first);
  const thread = THREAD_LINE.exec(second ?? '');
  return who && thread ? { privUser: who[1], user: who[2] || who[1], threadId: thread[1] } : undefined;
}

/** True when the text is (or starts with) a slow-log entry or one of its stray lines. */
export function isSlowLogText(text: string): boolean {
  return text.startsWith('# User@Host:') || text.startsWith('# Time:') || BANNER.test(text.split('\n', 1)[0]);
}

export function parseSlowEntry(text: string): SlowResult {
  const lines = text.split('\n');
  let i = 0;
  while (i < lines.length && (TIME_LINE.test(lines[i]) || lines[i] === '')) i++;
  if (i >= lines.length) return { ok: true, note: 'a # Time: line (the time of the next entry; each entry has its own SET timestamp)' };
  if (BANNER.test(lines[i])) return { ok: true, note: 'the banner of a (re)started server' };
  const who = USER_HOST.exec(lines[i]);
  const start = i;
  if (!who) return { ok: false, code: 'truncated_record', reason: `a slow-log record must start with "# User@Host:"; this one starts ${JSON.stringify(lines[i].slice(0, 40))} (a multi-line entry cut into lines? docs/sources/mariadb.md, shipper settings)` };
  i++;
  const thread = THREAD_LINE.exec(lines[i] ?? '');
  if (thread) i++;
  const times = thread && TIMES_LINE.exec(lines[i] ?? '');
  if (times) i++;
  const sent = times && BYTES_LINE.exec(lines[i] ?? '');
  if (sent) i++;
  const pairs: Record<string, string> = {};
  if (thread) Object.assign(pairs, { Thread_id: thread[1], Schema: thread[2] });
  if (times) Object.assign(pairs, { Query_time: times[1], Lock_time: times[2], Rows_sent: times[3], Rows_examined: times[4] });
  if (sent) Object.assign(pairs, { Rows_affected: sent[1], Bytes_sent: sent[2] });
  // The optional lines (log_slow_verbosity: Full_scan, Filesort, Tmp_tables, ...) up to the first
  // `# explain:` line, whose rows are the statement's names; none overrides the lines above.
  let explained = false;
  for (; i < lines.length && lines[i].startsWith('#'); i++) {
    const line = lines[i];
    explained ||= line.startsWith('# explain:');
    if (explained || line === '#') continue;
    for (const m of line.matchAll(PAIR)) if (!(m[1] in pairs)) pairs[m[1]] = m[2];
  }
  // `use db;` when the schema changed, then `SET timestamp=N;`.
  let ts: number | undefined;
  for (; i < lines.length; i++) {
    const line = lines[i];
    if (/^use [^;]*;$/.test(line)) continue;
    const set = /^SET timestamp=(\d+(?:\.\d+)?);$/.exec(line);
    if (set) {
      ts = Math.round(Number(set[1]) * 1000);
      i++;
    }
    break;
  }
  if (ts === undefined) return { ok: false, code: 'truncated_record', reason: 'a slow-log entry without its "SET timestamp=N;" line (cut short by the shipper?)' };
  if (!Number.isFinite(ts) || ts <= 0) return { ok: false, code: 'bad_timestamp', reason: 'SET timestamp is not a time' };
  let end = lines.length;
  // Trailing lines that belong to what follows: `# Time:` of the next entry, a restarted server's banner.
  while (end > i && (lines[end - 1] === '' || TIME_LINE.test(lines[end - 1]))) end--;
  for (let k = i; k < end; k++) {
    if (BANNER.test(lines[k])) {
      end = k;
      while (end > i && (lines[end - 1] === '' || TIME_LINE.test(lines[end - 1]))) end--;
      break;
    }
  }
  let statement = lines.slice(i, end).join('\n');
  // The server writes the statement and a `;` after it, at once: an entry with nothing after its SET
  // timestamp line was cut there by a record start its statement began with (a statement that starts
  // with a forged entry). Its header is the server's: read, like any cut entry, not refused.
  const cut = !statement.endsWith(';');
  if (!cut) statement = statement.slice(0, -1);
  if (statement === '' && !cut) return { ok: false, code: 'truncated_record', reason: 'a slow-log entry with an empty statement' };
  const wrapped: Record<string, string> = {};
  const num = (key: string): number | string => {
    const v = pairs[key];
    if (v === undefined) return `the header has no ${key}`;
    if (key.startsWith('Rows_') && /^\d{19,20}$/.test(v) && BigInt(v) >= 2n ** 63n && BigInt(v) < 2n ** 64n) {
      wrapped[key] = v;
      return 0;
    }
    const n = Number(v);
    return Number.isFinite(n) && n >= 0 ? n : `${key} is not a number: ${JSON.stringify(v)}`;
  };
  const fields = { queryTime: num('Query_time'), lockTime: num('Lock_time'), rowsSent: num('Rows_sent'), rowsExamined: num('Rows_examined'), rowsAffected: num('Rows_affected'), bytesSent: num('Bytes_sent') };
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v === 'string') {
      const hint = k === 'bytesSent' ? ' (MariaDB writes Bytes_sent in every entry; MySQL only with log_slow_extra = ON)' : '';
      return { ok: false, code: 'missing_field', reason: `${v}${hint}` };
    }
  }
  const threadId = pairs.Thread_id;
  if (!threadId || !/^\d+$/.test(threadId)) return { ok: false, code: 'missing_field', reason: 'the header has no Thread_id' };
  const known = new Set(['Thread_id', 'Schema', 'QC_hit', 'Query_time', 'Lock_time', 'Rows_sent', 'Rows_examined', 'Rows_affected', 'Bytes_sent']);
  const other: Record<string, string> = {};
  for (const [k, v] of Object.entries(pairs)) if (!known.has(k)) other[k] = v;
  return {
    ok: true,
    entry: {
      privUser: who[1],
      user: who[2] || who[1],
      host: who[3],
      ip: who[4],
      threadId,
      schema: pairs.Schema ?? '',
      ts,
      queryTime: fields.queryTime as number,
      lockTime: fields.lockTime as number,
      rowsSent: fields.rowsSent as number,
      rowsExamined: fields.rowsExamined as number,
      rowsAffected: fields.rowsAffected as number,
      bytesSent: fields.bytesSent as number,
      statement,
      cut,
      record: lines.slice(start, end).join('\n'),
      other,
      ...(Object.keys(wrapped).length > 0 ? { wrapped } : {}),
    },
  };
}

/** The entry's own values, so the same entry read again has the same id however it was framed. */
export function entryHash(e: SlowEntry): string {
  return crypto
    .createHash('sha1')
    .update(`${e.threadId}|${e.ts}|${e.queryTime}|${e.lockTime}|${e.rowsSent}|${e.rowsExamined}|${e.rowsAffected}|${e.bytesSent}|${e.statement}`)
    .digest('hex')
    .slice(0, 16);
}
