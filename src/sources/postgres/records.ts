// PostgreSQL's three log destinations, each turned into the same record: `jsonlog` (one JSON object a
// line), `csvlog` (26 columns in PostgreSQL 15, quoted fields may span lines) and `stderr` (free text
// after a `log_line_prefix`, continuation lines indented with a tab). Pure functions, no state.
import { Allow, parse as parsePartialJson } from 'partial-json';
import { splitCsv } from './csv';
import { ConfigError } from '../../errors';

export interface PgRecord {
  /** Event time, ms since the epoch. */
  ts: number;
  user: string;
  database: string;
  remoteHost: string;
  sessionId: string;
  lineNum: number;
  /** LOG, ERROR, FATAL, ... and, in stderr only, the pseudo-severities STATEMENT, DETAIL, HINT, CONTEXT. */
  severity: string;
  sqlstate: string;
  message: string;
  /** The statement an error happened in (jsonlog `statement`, csvlog `query`); stderr has it on a STATEMENT line. */
  statement: string;
  application: string;
  /** What the backend was doing (jsonlog `ps`, csvlog's command tag, stderr's %i): "authentication", "SELECT", "DO"... ('' when not logged). */
  phase: string;
  /** The error context (jsonlog `context`, csvlog's column): set for what a function wrote (RAISE); '' on stderr, where it is a line of its own. */
  context: string;
  /** The shipper cut the record at its maximum size: the message may end early (fromCutJsonlog). */
  cut?: boolean;
}

type RecordReject = 'not_a_record' | 'truncated_record' | 'bad_timestamp' | 'missing_field' | 'ambiguous_record';

export type RecordResult = { ok: true; record: PgRecord } | { ok: false; code: RecordReject; reason: string };

const fail = (code: RecordReject, reason: string): RecordResult => ({ ok: false, code, reason });

/** jsonlog: the parsed object (the envelope step parsed it already). */
export function fromJsonlog(doc: Record<string, unknown>): RecordResult {
  const ts = parsePgTime(doc.timestamp);
  if (typeof ts === 'string') return fail('bad_timestamp', ts);
  const severity = str(doc.error_severity);
  if (!severity) return fail('missing_field', 'jsonlog record without error_severity');
  return {
    ok: true,
    record: {
      ts,
      user: str(doc.user),
      database: str(doc.dbname),
      remoteHost: str(doc.remote_host),
      sessionId: str(doc.session_id),
      lineNum: typeof doc.line_num === 'number' ? doc.line_num : 0,
      severity,
      sqlstate: str(doc.state_code),
      message: str(doc.message),
      statement: str(doc.statement),
      application: str(doc.application_name),
      phase: str(doc.ps),
      context: str(doc.context),
    },
  };
}

/**
 * A jsonlog line the shipper cut at its maximum record size (rsyslog's maxMessageSize, the rest
 * dropped) is not JSON: a statement padded past 1 MiB hid its read as a dead letter. PostgreSQL writes
 * every field a read is judged by (time, user, session, line number) before `message`, and its JSON is
 * always whole, so such a line can only be a cut one: read up to the cut, when the cut is in the message
 * or after it. What came after the cut (pgaudit's row count) is lost; `cut` says so.
 */
export function fromCutJsonlog(text: string): RecordResult {
  let doc: unknown;
  try {
    doc = parsePartialJson(text, Allow.STR | Allow.OBJ);
  } catch (err) {
    return fail('truncated_record', `not JSON, and not a jsonlog line cut short: ${(err as Error).message}`);
  }
  const d = doc as Record<string, unknown>;
  if (typeof d !== 'object' || d === null || !isJsonlogRecord(d) || typeof d.message !== 'string' || typeof d.line_num !== 'number') {
    return fail('truncated_record', 'a jsonlog line cut short before its message: nothing in it to read');
  }
  const r = fromJsonlog(d);
  // A key after the message: the message was whole (the cut fell in a later field, client-set ones).
  const keys = Object.keys(d);
  return r.ok ? { ok: true, record: { ...r.record, cut: keys[keys.length - 1] === 'message' } } : r;
}

/** jsonlog's own records carry these; an envelope does not. */
export function isJsonlogRecord(doc: Record<string, unknown>): boolean {
  return typeof doc.error_severity === 'string' && doc.timestamp !== undefined;
}

// csvlog columns (PostgreSQL 13-15): see "Using CSV-Format Log Output" in the PostgreSQL manual.
const CSV = { time: 0, user: 1, db: 2, from: 4, session: 5, line: 6, ps: 7, severity: 11, state: 12, message: 13, context: 18, query: 19, app: 22 } as const;
const CSV_MIN_COLUMNS = 23;

export function fromCsvlog(text: string): RecordResult {
  const split = splitCsv(text);
  if (!split.ok) return fail('truncated_record', `csvlog record ends inside a quoted field (a multi-line record cut into lines? join them in the shipper: docs/sources/postgres.md)`);
  const f = split.fields;
  if (f.length < CSV_MIN_COLUMNS) return fail(f.length <= 2 ? 'not_a_record' : 'truncated_record', `csvlog record has ${f.length} columns; PostgreSQL 15 writes 26`);
  const ts = parsePgTime(f[CSV.time]);
  if (typeof ts === 'string') return fail(f.length < CSV_MIN_COLUMNS ? 'not_a_record' : 'bad_timestamp', ts);
  const from = f[CSV.from];
  // "host:port"; an IPv6 host has colons of its own, so the port is what follows the last one.
  const colon = from.lastIndexOf(':');
  return {
    ok: true,
    record: {
      ts,
      user: f[CSV.user],
      database: f[CSV.db],
      remoteHost: colon > 0 && /^\d+$/.test(from.slice(colon + 1)) ? from.slice(0, colon) : from,
      sessionId: f[CSV.session],
      lineNum: Number(f[CSV.line]) || 0,
      severity: f[CSV.severity],
      sqlstate: f[CSV.state],
      message: f[CSV.message],
      statement: f[CSV.query],
      application: f[CSV.app],
      phase: f[CSV.ps],
      context: f[CSV.context],
    },
  };
}

/** The prefix PostgreSQL is documented to run with (docs/sources/postgres.md); any other may be configured. */
export const DEFAULT_PREFIX = '%m [%p] %c %l %q%u@%d %r %a: ';

interface PrefixField {
  name: 'ts' | 'tsSeconds' | 'epoch' | 'user' | 'database' | 'remote' | 'host' | 'session' | 'line' | 'app' | 'state' | 'phase' | 'other';
}

export interface StderrParser {
  parse(text: string): RecordResult;
}

const SEVERITY = '(LOG|ERROR|FATAL|PANIC|WARNING|NOTICE|INFO|DEBUG[1-5]?|STATEMENT|DETAIL|HINT|CONTEXT|QUERY|LOCATION)';

/**
 * Compiles a log_line_prefix into a matcher. Needs %c and %l (the event's id), %m, %t or %n (its time)
 * and %u (its user); everything after %q is optional (processes without a session stop there).
 */
export function stderrParser(prefix: string): StderrParser {
  const fields: PrefixField[] = [];
  let pattern = '^';
  // The same prefix with application_name as long as it may be: the client chooses it (63 characters,
  // any printable ASCII), so it may hold the separator ": LOG:  " itself. A line the two read apart is
  // ambiguous: it is dead-lettered, never read the attacker's way nor silently ignored.
  let wide = '^';
  let hasApp = false;
  let optionalOpen = false;
  for (let i = 0; i < prefix.length; i++) {
    const c = prefix[i];
    if (c !== '%') {
      pattern += escapeRegex(c);
      wide += escapeRegex(c);
      continue;
    }
    const e = prefix[++i];
    // A padding width (%-10u) is allowed by PostgreSQL: padded values carry spaces, matched loosely.
    let pad = '';
    while (e !== undefined && /[-0-9]/.test(prefix[i])) pad += prefix[i++];
    const esc = pad ? prefix[i] : e;
    const group = (name: PrefixField['name'], re: string, wideRe = re) => {
      fields.push({ name });
      pattern += pad ? `\\s*(${re})\\s*` : `(${re})`;
      wide += pad ? `\\s*(${wideRe})\\s*` : `(${wideRe})`;
    };
    switch (esc) {
      case 'm': group('ts', '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} [^\\s\\]]+'); break;
      case 't': group('tsSeconds', '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d [^\\s\\]]+'); break;
      case 'n': group('epoch', '\\d+\\.\\d{3}'); break;
      // A role named like an e-mail address (%u@%d): the user runs to the last @ before a space.
      case 'u': group('user', '\\S*|.*?'); break;
      case 'd': group('database', '.*?'); break;
      case 'r': group('remote', '\\S*?'); break;
      case 'h': group('host', '\\S*?'); break;
      case 'c': group('session', '[0-9a-f]+\\.[0-9a-f]+'); break;
      case 'l': group('line', '\\d+'); break;
      case 'a': hasApp = true; group('app', '.{0,63}?', '.{0,63}'); break;
      case 'e': group('state', '[0-9A-Z]{5}'); break;
      case 'p': case 'P': case 'x': group('other', '\\d*'); break;
      case 'i': group('phase', '.*?'); break;
      case 'v': case 's': case 'b': case 'Q': case 'L': group('other', '.*?'); break;
      case 'q': pattern += '(?:'; wide += '(?:'; optionalOpen = true; break;
      case '%': pattern += '%'; wide += '%'; break;
      default: throw new ConfigError(`log_line_prefix escape %${esc} is not supported`);
    }
  }
  if (optionalOpen) pattern += ')?';
  pattern += `${SEVERITY}:  `;
  if (optionalOpen) wide += ')?';
  wide += `${SEVERITY}:  `;
  const names = new Set(fields.map((f) => f.name));
  const missing = [
    !names.has('session') && '%c',
    !names.has('line') && '%l',
    !(names.has('ts') || names.has('tsSeconds') || names.has('epoch')) && '%m',
    !names.has('user') && '%u',
  ].filter(Boolean);
  if (missing.length > 0) throw new ConfigError(`log_line_prefix ${JSON.stringify(prefix)} lacks ${missing.join(', ')}: the events need the session, line, time and user`);
  const re = new RegExp(pattern, 's');
  const reWide = hasApp ? new RegExp(wide, 's') : undefined;

  return {
    parse(text: string): RecordResult {
      const m = re.exec(text);
      if (!m) {
        if (text.startsWith('\t')) return fail('truncated_record', 'a continuation line of a multi-line record, alone (join lines in the shipper: docs/sources/postgres.md)');
        return fail('not_a_record', `not a stderr line with log_line_prefix ${JSON.stringify(prefix)}`);
      }
      if (reWide) {
        // Cheap first: a second separator close enough to be the real one.
        const next = text.indexOf(':  ', m[0].length);
        if (next >= 0 && next < m[0].length + 80) {
          const w = reWide.exec(text);
          if (w && w[0].length !== m[0].length) {
            return fail('ambiguous_record', `application_name may hold ${JSON.stringify(text.slice(m[0].length - 10, m[0].length))}: the line reads two ways (set by the client; jsonlog and csvlog keep it apart)`);
          }
        }
      }
      const r: PgRecord = { ts: 0, user: '', database: '', remoteHost: '', sessionId: '', lineNum: 0, severity: m[fields.length + 1], sqlstate: '', message: '', statement: '', application: '', phase: '', context: '' };
      for (let k = 0; k < fields.length; k++) {
        const v = m[k + 1];
        if (v === undefined) continue;
        switch (fields[k].name) {
          case 'ts':
          case 'tsSeconds': {
            const ts = parsePgTime(v);
            if (typeof ts === 'string') return fail('bad_timestamp', ts);
            r.ts = ts;
            break;
          }
          case 'epoch': r.ts = Math.round(Number(v) * 1000); break;
          case 'user': r.user = v === '[unknown]' ? '' : v; break;
          case 'database': r.database = v === '[unknown]' ? '' : v; break;
          case 'remote': r.remoteHost = v.replace(/\(\d+\)$/, ''); break;
          case 'host': r.remoteHost = v; break;
          case 'session': r.sessionId = v; break;
          case 'line': r.lineNum = Number(v); break;
          case 'app': r.application = v === '[unknown]' ? '' : v; break;
          case 'state': r.sqlstate = v; break;
          case 'phase': r.phase = v; break;
          default: break;
        }
      }
      // Continuation lines of a multi-line message are indented with one tab by PostgreSQL.
      r.message = text.slice(m[0].length).replace(/\n\t/g, '\n');
      if (r.severity === 'STATEMENT') r.statement = r.message;
      return { ok: true, record: r };
    },
  };
}

/**
 * Times as PostgreSQL writes them: "2026-12-02 03:16:03.903 UTC". The zone is log_timezone's
 * abbreviation: only UTC/GMT or a numeric offset are unambiguous (run with log_timezone = 'UTC').
 */
export function parsePgTime(v: unknown): number | string {
  if (typeof v !== 'string') return `timestamp missing or not text`;
  const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))? ?(\S+)?$/.exec(v);
  if (!m) return `timestamp ${JSON.stringify(v.slice(0, 40))} is not PostgreSQL's "YYYY-MM-DD HH:MM:SS[.mmm] ZONE"`;
  const [, y, mo, d, h, mi, s, frac = '', zone = 'UTC'] = m;
  let offsetMin: number;
  if (zone === 'UTC' || zone === 'GMT' || zone === 'Z' || zone === 'UCT') offsetMin = 0;
  else {
    const z = /^([+-])(\d\d):?(\d\d)?$/.exec(zone);
    if (!z) return `timestamp zone ${JSON.stringify(zone)} is ambiguous; set log_timezone = 'UTC' on the server`;
    offsetMin = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3] ?? 0));
  }
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(frac.padEnd(3, '0').slice(0, 3)));
  return ms - offsetMin * 60000;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

function escapeRegex(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}
