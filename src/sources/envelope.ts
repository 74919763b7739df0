// The one step before any format's decoder: bytes -> the log record a database wrote. A shipper may
// send the bare line or wrap it in JSON: Fluent Bit `{"log": ...}`, Vector and Filebeat
// `{"message": ...}`, an rsyslog JSON template `{"msg": ...}`. A format whose own records are JSON
// (PostgreSQL's jsonlog) says how to recognise a bare one, so it is not mistaken for an envelope.
import { isUtf8 } from 'node:buffer';

export type Unwrapped =
  | { ok: true; envelope: EnvelopeKind; text: string; record?: undefined }
  | { ok: true; envelope: 'none'; record: Record<string, unknown>; text: string }
  | { ok: false; code: EnvelopeRejectCode; reason: string };

export type EnvelopeKind = 'none' | 'log' | 'message' | 'msg';
export type EnvelopeRejectCode = 'empty_message' | 'too_large' | 'invalid_utf8' | 'envelope_invalid_json' | 'envelope_unknown' | 'envelope_field_not_string' | 'invalid_json';

/** The envelope fields tried, in order, and the shippers that write them. */
export const ENVELOPE_FIELDS: ReadonlyArray<{ field: 'log' | 'message' | 'msg'; shippers: string }> = [
  { field: 'log', shippers: 'Fluent Bit (tail input), Docker json-file' },
  { field: 'message', shippers: 'Vector (file source), Filebeat (filestream)' },
  { field: 'msg', shippers: 'rsyslog (a JSON template with property msg)' },
];

export interface UnwrapOptions {
  maxMessageBytes: number;
  /** True when a JSON object is the format's own bare record rather than an envelope. */
  isBareRecord?: (doc: Record<string, unknown>) => boolean;
}

const reject = (code: EnvelopeRejectCode, reason: string): Unwrapped => ({ ok: false, code, reason });

export function unwrap(value: Buffer | null, opts: UnwrapOptions): Unwrapped {
  if (!value || value.length === 0) return reject('empty_message', 'message has no value');
  if (value.length > opts.maxMessageBytes) return reject('too_large', `message is ${value.length} bytes; the limit is ${opts.maxMessageBytes}`);
  if (!isUtf8(value)) return reject('invalid_utf8', 'message is not valid UTF-8');
  const text = value.toString('utf8');
  if (firstNonSpace(text) !== '{') return { ok: true, envelope: 'none', text: stripNewline(text) };
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
  if (opts.isBareRecord?.(obj)) return { ok: true, envelope: 'none', record: obj, text };
  for (const { field } of ENVELOPE_FIELDS) {
    const inner = obj[field];
    if (inner === undefined || inner === null) continue;
    // Filebeat's `log` is an object ({"file": {...}}): not the line; its line is in `message`.
    if (field === 'log' && typeof inner === 'object') continue;
    if (typeof inner !== 'string') return reject('envelope_field_not_string', `envelope field "${field}" is ${Array.isArray(inner) ? 'an array' : typeof inner}, not the log line as a string`);
    return { ok: true, envelope: field, text: stripNewline(inner) };
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
