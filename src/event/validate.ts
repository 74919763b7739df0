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
  | 'duplicate_event_id';

export type Parsed = { ok: true; event: AccessEvent } | { ok: false; code: RejectCode; reason: string };

export interface ValidateLimits {
  maxMessageBytes: number;
  /** Events further in the future than this are rejected (clock errors, corrupt data). */
  maxFutureSkewMs: number;
}

const MAX_LENGTH = { event_id: 128, user: 256, action: 64, other: 1024, extra: 16 * 1024 } as const;
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
  const text = value.toString('utf8');
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
  return v;
}

/** ISO-8601 (with or without zone; without means UTC) or epoch milliseconds. */
export function parseTimestamp(ts: unknown): number | Parsed {
  if (typeof ts === 'number') {
    if (!Number.isInteger(ts)) return reject('bad_timestamp', `ts ${ts} is not whole epoch milliseconds`);
    return ts;
  }
  if (typeof ts !== 'string') return reject('bad_timestamp', `ts must be an ISO-8601 string or epoch milliseconds, got ${typeName(ts)}`);
  const m = ISO.exec(ts.trim());
  if (!m) return reject('bad_timestamp', `ts ${preview(ts)} is not ISO-8601 or epoch milliseconds`);
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  const base = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  // Date.UTC rolls 2024-02-30 over to March; a date that does not round-trip does not exist.
  const check = new Date(base);
  if (
    check.getUTCFullYear() !== Number(y) ||
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    check.getUTCHours() !== Number(h) ||
    check.getUTCMinutes() !== Number(mi) ||
    check.getUTCSeconds() !== Number(s)
  ) {
    return reject('bad_timestamp', `ts ${preview(ts)} is not a real date and time`);
  }
  return base - zoneOffsetMs(zone);
}

function zoneOffsetMs(zone: string): number {
  if (zone.toUpperCase() === 'Z') return 0;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0')) * 60000;
}

function count(v: unknown, key: string): number | Parsed {
  if (typeof v !== 'number') return reject('wrong_type', `${key} must be an integer, got ${typeName(v)}`);
  if (!Number.isFinite(v) || !Number.isInteger(v)) return reject('not_an_integer', `${key} must be an integer, got ${v}`);
  if (v < 0) return reject('negative_number', `${key} must be >= 0, got ${v}`);
  if (!Number.isSafeInteger(v)) return reject('number_too_large', `${key} ${v} is beyond 2^53 and cannot be counted exactly`);
  return v;
}

function extraFields(doc: Record<string, unknown>): string {
  let extra: Record<string, unknown> | undefined;
  for (const key of Object.keys(doc)) {
    if (!KNOWN.has(key)) (extra ??= {})[key] = doc[key];
  }
  if (!extra) return '';
  const json = JSON.stringify(extra);
  // Kept when reasonable; an oversized blob of unknown fields is not a reason to lose the event.
  return json.length <= MAX_LENGTH.extra ? json : JSON.stringify({ _dropped: `unknown fields too large (${json.length} characters)` });
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : typeof v;
}

function preview(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
