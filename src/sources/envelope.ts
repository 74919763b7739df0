// The one step before any format's decoder: bytes -> the log record a database wrote. A shipper may
// send the bare line or wrap it in JSON: Fluent Bit `{"log": ...}`, Vector and Filebeat
// `{"message": ...}`, an rsyslog JSON template `{"msg": ...}`. A format whose own records are JSON
// (PostgreSQL's jsonlog) says how to recognise a bare one, so it is not mistaken for an envelope.
//
// Bytes that are not UTF-8 are read as U+FFFD, not refused: MariaDB writes a statement into its slow and
// audit logs as the client sent it (client charset latin1: any byte), PostgreSQL in a SQL_ASCII or LATIN1
// database the same, and the shippers pass the bytes on. Refusing the record let anyone hide a read by
// putting two such bytes in a comment; the numbers and the user are ASCII header fields the server
// wrote. The layer marks the events of such a record (invalidUtf8Sequences, sources/index.ts).
import { isUtf8 } from 'node:buffer';

export type Unwrapped =
  | { ok: true; envelope: EnvelopeKind; text: string; record?: undefined; file?: string }
  | { ok: true; envelope: 'none'; record: Record<string, unknown>; text: string; file?: undefined }
  | { ok: false; code: EnvelopeRejectCode; reason: string };

export type EnvelopeKind = 'none' | 'log' | 'message' | 'msg';
export type EnvelopeRejectCode = 'empty_message' | 'too_large' | 'envelope_invalid_json' | 'envelope_unknown' | 'envelope_field_not_string' | 'invalid_json';

/** The envelope fields tried, in order, and the shippers that write them. */
export const ENVELOPE_FIELDS: ReadonlyArray<{ field: 'log' | 'message' | 'msg'; shippers: string }> = [
  { field: 'log', shippers: 'Fluent Bit (tail input), Docker json-file' },
  { field: 'message', shippers: 'Vector (file source), Filebeat (filestream)' },
  { field: 'msg', shippers: 'rsyslog (a JSON template with property msg)' },
];

/**
 * The largest envelope a record of `maxMessageBytes` can arrive in. JSON writes a control character as
 * \u00XX, six bytes for one: a statement of 170 KB of \x01 is a 1 MB envelope. The limit is the
 * record's; an envelope is allowed its escaping (the shipper's Kafka producer and the topic must allow
 * this size too: the rsyslog shipper's message.max.bytes is this).
 */
export function maxEnvelopeBytes(maxMessageBytes: number): number {
  return 6 * maxMessageBytes + 64 * 1024;
}

export interface UnwrapOptions {
  /** The largest log record; an envelope around it may be up to maxEnvelopeBytes of it. */
  maxMessageBytes: number;
  /** True when a JSON object is the format's own bare record rather than an envelope. */
  isBareRecord?: (doc: Record<string, unknown>) => boolean;
}

const reject = (code: EnvelopeRejectCode, reason: string): Unwrapped => ({ ok: false, code, reason });

export function unwrap(value: Buffer | null, opts: UnwrapOptions): Unwrapped {
  if (!value || value.length === 0) return reject('empty_message', 'message has no value');
  const limit = opts.maxMessageBytes;
  if (value.length > maxEnvelopeBytes(limit)) return reject('too_large', `message is ${value.length} bytes; the limit is ${limit} for a record, ${maxEnvelopeBytes(limit)} for its envelope`);
  // Each maximal invalid subsequence becomes one U+FFFD (WHATWG): an ASCII byte always reads as itself,
  // so the JSON of an envelope, a record's lines and the audit log's escapes keep their meaning, and the
  // same bytes give the same text in both logs (the slow-log/audit join, forged entries, event ids).
  const text = value.toString('utf8');
  const first = firstNonSpace(text);
  if (first !== '{' && value.length > limit) return reject('too_large', `message is ${value.length} bytes; the limit is ${limit}`);
  if (first !== '{') return { ok: true, envelope: 'none', text: stripNewline(text) };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    // A bare JSON record cut short and a broken envelope look alike; the format's JSON-ness decides the code.
    return opts.isBareRecord
      ? reject('invalid_json', `not valid JSON (a truncated line?): ${(err as Error).message}`)
      : reject('envelope_invalid_json', `starts like a JSON envelope but is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return reject('envelope_unknown', 'a JSON value that is not an object');
  const obj = doc as Record<string, unknown>;
  if (opts.isBareRecord?.(obj)) {
    if (value.length > limit) return reject('too_large', `message is ${value.length} bytes; the limit is ${limit}`);
    return { ok: true, envelope: 'none', record: obj, text };
  }
  for (const { field } of ENVELOPE_FIELDS) {
    const inner = obj[field];
    if (inner === undefined || inner === null) continue;
    // Filebeat's `log` is an object ({"file": {...}}): not the line; its line is in `message`.
    if (field === 'log' && typeof inner === 'object') continue;
    if (typeof inner !== 'string') return reject('envelope_field_not_string', `envelope field "${field}" is ${Array.isArray(inner) ? 'an array' : typeof inner}, not the log line as a string`);
    // Characters, not UTF-8 bytes: at most the bytes the shipper read (a byte that is not UTF-8 is one
    // U+FFFD here, three bytes if re-encoded), so a record the shipper passed whole is never refused.
    if (inner.length > limit) return reject('too_large', `the log record in envelope field "${field}" is ${inner.length} characters; the limit is ${limit}`);
    // The file the line was read from (rsyslog's template here, Vector): a format that reads one file's records in order keys on it.
    const file = typeof obj.file === 'string' ? obj.file : undefined;
    return { ok: true, envelope: field, text: stripNewline(inner), ...(file !== undefined ? { file } : {}) };
  }
  const keys = Object.keys(obj).slice(0, 8).join(', ');
  return reject('envelope_unknown', `a JSON object without a "log", "message" or "msg" string holding the log line (keys: ${keys || 'none'})`);
}

function firstNonSpace(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') return c;
  }
  return '';
}

/** Shippers keep the line's newline (Fluent Bit, Docker); the record does not include it. */
function stripNewline(text: string): string {
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  if (text.endsWith('\n')) return text.slice(0, -1);
  return text;
}

/**
 * How many byte sequences of the message are not UTF-8 (each read as one U+FFFD); 0 for valid UTF-8.
 * A U+FFFD the message itself holds (EF BF BD) is not counted.
 */
export function invalidUtf8Sequences(value: Buffer | null): number {
  if (!value || isUtf8(value)) return 0;
  const text = value.toString('utf8');
  let read = 0;
  for (let i = text.indexOf('\uFFFD'); i >= 0; i = text.indexOf('\uFFFD', i + 1)) read++;
  let written = 0;
  for (let i = value.indexOf(REPLACEMENT); i >= 0; i = value.indexOf(REPLACEMENT, i + REPLACEMENT.length)) written++;
  return read - written;
}

const REPLACEMENT = Buffer.from([0xef, 0xbf, 0xbd]);
