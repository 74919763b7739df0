// Parses one message into a canonical access event (docs/event-contract.md) or a rejection with a
// stable reason code. Pure and synchronous: the hot path of the ingester, tested on its own.
// Unknown fields are kept (as JSON in `extra`) and never a reason to reject.
import { isUtf8 } from 'node:buffer';

export interface AccessEvent {
  event_id: string;
  /** Event time, whole seconds since the epoch, UTC. */
  ts: number;
  /** Milliseconds within the second, so order inside a second survives (18.16 has no DateTime64). */
  ts_ms: number;
  user: string;
  action: string;
  bytes: number;
  rows: number;
  source: string;
  db_name: string;
  table_name: string;
  client_ip: string;
  client_app: string;
  session_id: string;
  query_id: string;
  status: 'ok' | 'error';
  /** 1 when `bytes` was estimated (from rows and table statistics), not measured. */
  bytes_estimated: 0 | 1;
  /** The authenticated person behind the database role, when the log says so; '' otherwise. */
  identity: string;
  extra: string;
}

export type RejectCode =
  | 'empty_message'
  | 'too_large'
  | 'invalid_utf8'
  | 'invalid_json'
  | 'not_an_object'
  | 'missing_field'
  | 'wrong_type'
  | 'empty_string'
  | 'too_long'
  | 'bad_timestamp'
  | 'timestamp_out_of_range'
  | 'negative_number'
  | 'not_an_integer'
  | 'number_too_large'
  | 'bad_status'
  | 'bad_flag'
  | 'unpaired_surrogate'
  | 'duplicate_event_id';

export type Parsed = { ok: true; event: AccessEvent } | { ok: false; code: RejectCode; reason: string };

export interface ValidateLimits {
  maxMessageBytes: number;
  /** Events further in the future than this are rejected (clock errors, corrupt data). */
  maxFutureSkewMs: number;
}

const MAX_LENGTH = { event_id: 128, user: 256, action: 64, other: 1024, extra: 16 * 1024 } as const;
/** Unknown fields nested deeper are not kept (the event is): re-serialising them must not recurse without bound. */
export const MAX_EXTRA_DEPTH = 64;
/** Real zone offsets lie within -12:00 .. +14:00; Java's ZoneOffset allows +-18:00. Beyond is a typo or an attack. */
const MAX_ZONE_OFFSET_MINUTES = 18 * 60;
/** A number below this is epoch seconds (up to year 5138), at or above it epoch milliseconds (from 1973-03-03). */
const EPOCH_SECONDS_BELOW = 100_000_000_000;
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const OPTIONAL_STRINGS = ['source', 'database', 'table', 'client_ip', 'client_app', 'session_id', 'query_id', 'identity'] as const;
const KNOWN = new Set(['event_id', 'ts', 'user', 'action', 'bytes', 'rows', 'status', 'bytes_estimated', ...OPTIONAL_STRINGS]);
// DateTime is UInt32 seconds: 1970-01-01 .. 2106-02-07.
const MIN_TS_MS = 0;
const MAX_TS_MS = 4294967295 * 1000;
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

const reject = (code: RejectCode, reason: string): Parsed => ({ ok: false, code, reason });

export function parseEvent(value: Buffer | null, limits: ValidateLimits, now: number = Date.now()): Parsed {
  if (!value || value.length === 0) return reject('empty_message', 'message has no value');
  if (value.length > limits.maxMessageBytes) {
    return reject('too_large', `message is ${value.length} bytes; the limit is ${limits.maxMessageBytes}`);
  }
  if (!isUtf8(value)) return reject('invalid_utf8', 'message is not valid UTF-8');
  // A byte-order mark is how some Windows tools start UTF-8 text; it is not content.
  const body = value.subarray(0, 3).equals(UTF8_BOM) ? value.subarray(3) : value;
  const text = body.toString('utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return reject('invalid_json', `not valid JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return reject('not_an_object', `expected a JSON object, got ${doc === null ? 'null' : Array.isArray(doc) ? 'an array' : typeof doc}`);
  }
  return validateObject(doc as Record<string, unknown>, limits, now);
}

/** The contract's rules for an event already in object form (the sources layer builds them from log lines). */
export function validateEvent(doc: Record<string, unknown>, limits: ValidateLimits, now: number = Date.now()): Parsed {
  return validateObject(doc, limits, now);
}

function validateObject(doc: Record<string, unknown>, limits: ValidateLimits, now: number): Parsed {
  const eventId = requiredString(doc, 'event_id', MAX_LENGTH.event_id);
  if (typeof eventId !== 'string') return eventId;
  const user = requiredString(doc, 'user', MAX_LENGTH.user);
  if (typeof user !== 'string') return user;
  const action = requiredString(doc, 'action', MAX_LENGTH.action);
  if (typeof action !== 'string') return action;

  if (doc.ts === undefined || doc.ts === null) return reject('missing_field', 'ts is required');
  const tsMs = parseTimestamp(doc.ts);
  if (typeof tsMs !== 'number') return tsMs;
  if (tsMs < MIN_TS_MS || tsMs > MAX_TS_MS || tsMs > now + limits.maxFutureSkewMs) {
    return reject('timestamp_out_of_range', `ts ${new Date(tsMs).toISOString()} is outside 1970-01-01 .. now + ${Math.round(limits.maxFutureSkewMs / 3600000)} h`);
  }

  if (doc.bytes === undefined || doc.bytes === null) return reject('missing_field', 'bytes is required');
  const bytes = count(doc.bytes, 'bytes');
  if (typeof bytes !== 'number') return bytes;
  let rows = 0;
  if (doc.rows !== undefined && doc.rows !== null) {
    const r = count(doc.rows, 'rows');
    if (typeof r !== 'number') return r;
    rows = r;
  }

  let status: 'ok' | 'error' = 'ok';
  if (doc.status !== undefined && doc.status !== null) {
    if (doc.status !== 'ok' && doc.status !== 'error') return reject('bad_status', `status must be "ok" or "error", got ${preview(doc.status)}`);
    status = doc.status;
  }
  let estimated: 0 | 1 = 0;
  if (doc.bytes_estimated !== undefined && doc.bytes_estimated !== null) {
    if (typeof doc.bytes_estimated !== 'boolean') return reject('bad_flag', `bytes_estimated must be true or false, got ${preview(doc.bytes_estimated)}`);
    estimated = doc.bytes_estimated ? 1 : 0;
  }

  const optional: Record<(typeof OPTIONAL_STRINGS)[number], string> = {
    source: '',
    database: '',
    table: '',
    client_ip: '',
    client_app: '',
    session_id: '',
    query_id: '',
    identity: '',
  };
  for (const key of OPTIONAL_STRINGS) {
    const v = doc[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') return reject('wrong_type', `${key} must be a string, got ${typeName(v)}`);
    if (v.length > MAX_LENGTH.other) return reject('too_long', `${key} is ${v.length} characters; the limit is ${MAX_LENGTH.other}`);
    if (!v.isWellFormed()) return unpaired(key);
    optional[key] = v;
  }

  return {
    ok: true,
    event: {
      event_id: eventId,
      ts: Math.floor(tsMs / 1000),
      ts_ms: tsMs % 1000,
      user,
      action: action.toUpperCase(),
      bytes,
      rows,
      source: optional.source,
      db_name: optional.database,
      table_name: optional.table,
      client_ip: optional.client_ip,
      client_app: optional.client_app,
      session_id: optional.session_id,
      query_id: optional.query_id,
      status,
      bytes_estimated: estimated,
      identity: optional.identity,
      extra: extraFields(doc),
    },
  };
}

function requiredString(doc: Record<string, unknown>, key: string, max: number): string | Parsed {
  const v = doc[key];
  if (v === undefined || v === null) return reject('missing_field', `${key} is required`);
  if (typeof v !== 'string') return reject('wrong_type', `${key} must be a string, got ${typeName(v)}`);
  if (v.trim().length === 0) return reject('empty_string', `${key} is empty`);
  if (v.length > max) return reject('too_long', `${key} is ${v.length} characters; the limit is ${max}`);
  if (!v.isWellFormed()) return unpaired(key);
  return v;
}

// JSON can spell a lone UTF-16 surrogate ("\ud800"), which has no UTF-8 form: stored, it would become
// invalid UTF-8 in one column and a server error in another. One reason, whatever the field.
function unpaired(key: string): Parsed {
  return reject('unpaired_surrogate', `${key} contains an unpaired UTF-16 surrogate (\\uD800-\\uDFFF escape without its pair), which is not text`);
}

/**
 * ISO-8601 (with or without zone; without means UTC), epoch milliseconds, or epoch seconds (a number
 * below 1e11, fractions allowed: `time.time()` in Python). Without the seconds rule, 1764590400 would be
 * stored as 1970-01-21. A leap second (:60) is kept as :59.999 (UTC has no :60 to store).
 */
export function parseTimestamp(ts: unknown): number | Parsed {
  if (typeof ts === 'number') {
    if (!Number.isFinite(ts)) return reject('bad_timestamp', `ts ${ts} is not a number of epoch milliseconds or seconds`);
    if (ts >= 0 && ts < EPOCH_SECONDS_BELOW) return Math.round(ts * 1000);
    if (!Number.isInteger(ts)) return reject('bad_timestamp', `ts ${ts} is not whole epoch milliseconds`);
    return ts;
  }
  if (typeof ts !== 'string') return reject('bad_timestamp', `ts must be an ISO-8601 string or epoch milliseconds, got ${typeName(ts)}`);
  const common = commonIsoUtc(ts);
  if (common !== undefined) return common;
  const m = ISO.exec(ts.trim());
  if (!m) return reject('bad_timestamp', `ts ${preview(ts)} is not ISO-8601 or epoch milliseconds`);
  const [, y, mo, d, h = '00', mi = '00', sec = '00', frac = '', zone = 'Z'] = m;
  const offset = zoneOffsetMs(zone);
  if (offset === undefined) return reject('bad_timestamp', `ts ${preview(ts)} has a zone offset beyond +-18:00 or with minutes over 59`);
  const leap = sec === '60' && mi === '59';
  const s = leap ? '59' : sec;
  const ms = leap ? 999 : Number(frac.padEnd(3, '0').slice(0, 3));
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number);
  if (!realDateTime(year, month, day, hour, minute, second)) return reject('bad_timestamp', `ts ${preview(ts)} is not a real date and time`);
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offset;
}

/**
 * Whether the fields name a real UTC date and time (Date.UTC would roll 2024-02-30 over to March). Not a
 * year before 100 either: Date.UTC reads 0 to 99 as 1900 to 1999.
 */
function realDateTime(year: number, month: number, day: number, hour: number, minute: number, second: number): boolean {
  return year >= 100 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) && hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59;
}

/**
 * The form most producers send (toISOString's, 2026-11-28T10:15:30.123Z, or without the fraction) read
 * character by character: the expression's captures and the date made to check them were most of
 * validating an event. Undefined for anything else, or anything the full reading must decide (a leap
 * second, a date or time that is not real: refused there), which then reads it as before.
 */
function commonIsoUtc(ts: string): number | undefined {
  const n = ts.length;
  if (n !== 20 && n !== 24) return undefined;
  if (ts.charCodeAt(4) !== 45 || ts.charCodeAt(7) !== 45 || ts.charCodeAt(10) !== 84 || ts.charCodeAt(13) !== 58 || ts.charCodeAt(16) !== 58 || ts.charCodeAt(n - 1) !== 90) return undefined;
  if (n === 24 && ts.charCodeAt(19) !== 46) return undefined;
  const y = digitsAt(ts, 0, 4);
  const mo = digitsAt(ts, 5, 2);
  const d = digitsAt(ts, 8, 2);
  const h = digitsAt(ts, 11, 2);
  const mi = digitsAt(ts, 14, 2);
  const s = digitsAt(ts, 17, 2);
  const ms = n === 24 ? digitsAt(ts, 20, 3) : 0;
  // digitsAt's -1 (not a digit) is out of every range.
  if (ms < 0 || !realDateTime(y, mo, d, h, mi, s)) return undefined;
  return Date.UTC(y, mo - 1, d, h, mi, s, ms);
}

/** The decimal number of `length` digits at `from`; -1 when any is not a digit. */
function digitsAt(text: string, from: number, length: number): number {
  let value = 0;
  for (let i = from; i < from + length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function zoneOffsetMs(zone: string): number | undefined {
  if (zone.toUpperCase() === 'Z') return 0;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2, 4) || '0');
  if (minutes > 59 || hours * 60 + minutes > MAX_ZONE_OFFSET_MINUTES) return undefined;
  return sign * (hours * 60 + minutes) * 60000;
}

function count(v: unknown, key: string): number | Parsed {
  if (typeof v !== 'number') return reject('wrong_type', `${key} must be an integer, got ${typeName(v)}`);
  if (!Number.isFinite(v) || !Number.isInteger(v)) return reject('not_an_integer', `${key} must be an integer, got ${v}`);
  if (v < 0) return reject('negative_number', `${key} must be >= 0, got ${v}`);
  if (!Number.isSafeInteger(v)) return reject('number_too_large', `${key} ${v} is beyond 2^53 and cannot be counted exactly`);
  return v;
}

function extraFields(doc: Record<string, unknown>): string {
  // A null-prototype object: a "__proto__" key is then an ordinary key, kept like any other.
  let extra: Record<string, unknown> | undefined;
  for (const key of Object.keys(doc)) {
    if (!KNOWN.has(key)) (extra ??= Object.create(null) as Record<string, unknown>)[key] = doc[key];
  }
  if (!extra) return '';
  // JSON.stringify recurses: 10,000 nested arrays overflow the stack. The depth is measured without
  // recursion first, and anything deeper than a real log's fields is noted instead of kept.
  const depth = nestingDepth(extra, MAX_EXTRA_DEPTH + 1);
  if (depth > MAX_EXTRA_DEPTH) return JSON.stringify({ _dropped: `unknown fields nested deeper than ${MAX_EXTRA_DEPTH} levels` });
  const json = JSON.stringify(extra);
  // Kept when reasonable; an oversized blob of unknown fields is not a reason to lose the event.
  return json.length <= MAX_LENGTH.extra ? json : JSON.stringify({ _dropped: `unknown fields too large (${json.length} characters)` });
}

/** The nesting depth of a JSON value, counted with an explicit stack; stops counting at `limit`. */
export function nestingDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null) continue;
    if (depth > deepest) deepest = depth;
    if (deepest >= limit) return deepest;
    for (const child of Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return deepest;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : typeof v;
}

function preview(v: unknown): string {
  // A reason quotes the value, but never re-serialises a hostile nesting (JSON.stringify recurses).
  if (typeof v === 'object' && v !== null && nestingDepth(v, 9) > 8) return `${typeName(v)} nested deeper than 8 levels`;
  const s = (JSON.stringify(v) ?? String(v)).toWellFormed();
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
