// Hostile and odd messages, each with what the ingester must do with it: store it ('stored') or
// dead-letter it with a reason code. Mixed into valid traffic by the corpus test (issue 14). Every
// defect of issue 14 items 1 and 6 is here, next to the contract's own cases from ingest-run.ts.
import type { IHeaders } from 'kafkajs';
import { MALFORMED } from './ingest-run';

export interface HostileKind {
  kind: string;
  /** 'stored', or the dead-letter reason code. */
  expect: string;
  value: (i: number) => Buffer | null;
  headers?: IHeaders;
  timestamp?: string;
}

const now = () => new Date(Date.now() - 3_600_000).toISOString();
const ev = (i: number, over: Record<string, unknown> = {}) => ({ event_id: `hostile-${i}`, ts: now(), user: `user${i % 97}@corp.example`, action: 'SELECT', bytes: 1000 + i, table: 't1', ...over });
const j = (v: unknown) => Buffer.from(JSON.stringify(v));
const nest = (depth: number, open = '[', close = ']') => open.repeat(depth) + close.repeat(depth);
/** An event's JSON with one more raw member spliced in (for what JSON.stringify cannot write). */
const raw = (i: number, member: string, over: Record<string, unknown> = {}) => Buffer.from(JSON.stringify(ev(i, over)).replace(/}$/, `,${member}}`));
const withTs = (i: number, ts: unknown) => j(ev(i, { ts }));

export const HOSTILE: HostileKind[] = [
  // Issue 14, item 1: deep nesting in an unknown field (kept as an event, the field noted) and elsewhere.
  { kind: 'nested-10k-unknown-field', expect: 'stored', value: (i) => raw(i, `"meta":${nest(10_000)}`) },
  { kind: 'nested-300k-unknown-field', expect: 'stored', value: (i) => raw(i, `"meta":${nest(300_000)}`) },
  { kind: 'nested-10k-objects', expect: 'stored', value: (i) => raw(i, `"meta":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`) },
  { kind: 'nested-10k-in-status', expect: 'bad_status', value: (i) => raw(i, `"status":${nest(10_000)}`) },
  { kind: 'nested-10k-in-user', expect: 'wrong_type', value: (i) => Buffer.from(JSON.stringify(ev(i)).replace(/"user":"[^"]*"/, `"user":${nest(10_000)}`)) },
  { kind: 'nested-10k-in-ts', expect: 'bad_timestamp', value: (i) => Buffer.from(JSON.stringify(ev(i)).replace(/"ts":"[^"]*"/, `"ts":${nest(10_000)}`)) },
  { kind: 'nested-10k-whole-message', expect: 'not_an_object', value: () => Buffer.from(nest(10_000)) },
  // Issue 14, item 6.
  { kind: 'proto-key-in-extra', expect: 'stored', value: (i) => raw(i, '"__proto__":{"isAdmin":true}') },
  { kind: 'zone-offset-99-99', expect: 'bad_timestamp', value: (i) => withTs(i, '2026-11-28T10:00:00+99:99') },
  { kind: 'zone-offset-minutes-60', expect: 'bad_timestamp', value: (i) => withTs(i, '2026-11-28T10:00:00+05:60') },
  { kind: 'epoch-seconds', expect: 'stored', value: (i) => withTs(i, Math.floor(Date.now() / 1000) - 3600) },
  { kind: 'epoch-seconds-fraction', expect: 'stored', value: (i) => withTs(i, Date.now() / 1000 - 3600) },
  { kind: 'lone-surrogate-table', expect: 'unpaired_surrogate', value: (i) => j(ev(i, { table: 'cust\ud800omers' })) },
  { kind: 'lone-surrogate-user', expect: 'unpaired_surrogate', value: (i) => j(ev(i, { user: 'eve\udfff' })) },
  { kind: 'lone-surrogate-event-id', expect: 'unpaired_surrogate', value: (i) => j(ev(i, { event_id: `h\ud83d${i}` })) },
  { kind: 'utf8-bom', expect: 'stored', value: (i) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), j(ev(i))]) },
  { kind: 'leap-second', expect: 'stored', value: (i) => withTs(i, '2016-12-31T23:59:60Z') },
  // Text that is valid but odd: stored as it came.
  { kind: 'nul-in-user', expect: 'stored', value: (i) => j(ev(i, { user: `nul\u0000user${i}` })) },
  { kind: 'newlines-and-tabs', expect: 'stored', value: (i) => j(ev(i, { table: 'a\nb\tc\r' })) },
  { kind: 'bidi-override', expect: 'stored', value: (i) => j(ev(i, { user: `\u202Egnp.exe${i}` })) },
  { kind: 'emoji-table', expect: 'stored', value: (i) => j(ev(i, { table: 'sales_\u{1F4B0}' })) },
  { kind: 'sql-in-user', expect: 'stored', value: (i) => j(ev(i, { user: `x'; DROP TABLE access_events; -- ${i}` })) },
  { kind: 'long-unknown-key', expect: 'stored', value: (i) => raw(i, `"${'k'.repeat(10_000)}":1`) },
  { kind: 'extra-over-16k', expect: 'stored', value: (i) => j(ev(i, { blob: 'x'.repeat(20_000) })) },
  { kind: 'five-thousand-unknown-fields', expect: 'stored', value: (i) => j({ ...ev(i), ...Object.fromEntries(Array.from({ length: 5000 }, (_, k) => [`f${k}`, k])) }) },
  { kind: 'duplicate-json-keys', expect: 'stored', value: (i) => raw(i, '"user":"last-wins@corp.example"') },
  { kind: 'constructor-prototype-keys', expect: 'stored', value: (i) => raw(i, '"constructor":{"prototype":{"polluted":1}}') },
  { kind: 'ts-nanoseconds', expect: 'stored', value: (i) => withTs(i, now().replace('Z', '123456Z').replace(/\.(\d{3})123456Z/, '.$1123456Z')) },
  { kind: 'ts-lowercase-t-z', expect: 'stored', value: (i) => withTs(i, now().toLowerCase()) },
  { kind: 'ts-space-separator', expect: 'stored', value: (i) => withTs(i, now().replace('T', ' ')) },
  { kind: 'ts-date-only', expect: 'stored', value: (i) => withTs(i, now().slice(0, 10)) },
  { kind: 'ts-empty-string', expect: 'bad_timestamp', value: (i) => withTs(i, '') },
  { kind: 'ts-boolean', expect: 'bad_timestamp', value: (i) => withTs(i, true) },
  { kind: 'ts-infinity', expect: 'bad_timestamp', value: (i) => Buffer.from(JSON.stringify(ev(i)).replace(/"ts":"[^"]*"/, '"ts":1e400')) },
  { kind: 'ts-fractional-ms', expect: 'bad_timestamp', value: (i) => withTs(i, Date.now() + 0.5) },
  { kind: 'ts-hour-25', expect: 'bad_timestamp', value: (i) => withTs(i, '2026-11-28T25:00:00Z') },
  { kind: 'ts-month-13', expect: 'bad_timestamp', value: (i) => withTs(i, '2026-13-01') },
  { kind: 'ts-year-2107', expect: 'timestamp_out_of_range', value: (i) => withTs(i, '2107-01-01T00:00:00Z') },
  { kind: 'leap-second-not-minute-59', expect: 'bad_timestamp', value: (i) => withTs(i, '2016-12-31T23:58:60Z') },
  { kind: 'bytes-1e21', expect: 'number_too_large', value: (i) => j(ev(i, { bytes: 1e21 })) },
  { kind: 'bytes-2pow53', expect: 'number_too_large', value: (i) => j(ev(i, { bytes: 2 ** 53 })) },
  { kind: 'bytes-max-safe', expect: 'stored', value: (i) => j(ev(i, { bytes: Number.MAX_SAFE_INTEGER })) },
  { kind: 'bytes-negative-zero', expect: 'stored', value: (i) => Buffer.from(JSON.stringify(ev(i)).replace(/"bytes":\d+/, '"bytes":-0')) },
  { kind: 'bytes-array', expect: 'wrong_type', value: (i) => j(ev(i, { bytes: [1] })) },
  { kind: 'bytes-boolean', expect: 'wrong_type', value: (i) => j(ev(i, { bytes: true })) },
  { kind: 'bytes-null', expect: 'missing_field', value: (i) => j(ev(i, { bytes: null })) },
  { kind: 'rows-fraction', expect: 'not_an_integer', value: (i) => j(ev(i, { rows: 1.5 })) },
  { kind: 'rows-string', expect: 'wrong_type', value: (i) => j(ev(i, { rows: '7' })) },
  { kind: 'status-uppercase', expect: 'bad_status', value: (i) => j(ev(i, { status: 'OK' })) },
  { kind: 'status-null', expect: 'stored', value: (i) => j(ev(i, { status: null })) },
  { kind: 'action-65-chars', expect: 'too_long', value: (i) => j(ev(i, { action: 'A'.repeat(65) })) },
  { kind: 'action-blank', expect: 'empty_string', value: (i) => j(ev(i, { action: '   ' })) },
  { kind: 'user-257-chars', expect: 'too_long', value: (i) => j(ev(i, { user: 'u'.repeat(257) })) },
  { kind: 'event-id-number', expect: 'wrong_type', value: (i) => j(ev(i, { event_id: i })) },
  { kind: 'event-id-128-chars', expect: 'stored', value: (i) => j(ev(i, { event_id: `h${i}-`.padEnd(128, 'x') })) },
  { kind: 'table-1025-chars', expect: 'too_long', value: (i) => j(ev(i, { table: 't'.repeat(1025) })) },
  { kind: 'client-ip-object', expect: 'wrong_type', value: (i) => j(ev(i, { client_ip: { v4: '10.0.0.1' } })) },
  { kind: 'trailing-garbage', expect: 'invalid_json', value: (i) => Buffer.concat([j(ev(i)), Buffer.from(' x')]) },
  { kind: 'json-comment', expect: 'invalid_json', value: (i) => Buffer.from(`/* c */ ${JSON.stringify(ev(i))}`) },
  { kind: 'json-number', expect: 'not_an_object', value: () => Buffer.from('42') },
  { kind: 'json-true', expect: 'not_an_object', value: () => Buffer.from('true') },
  { kind: 'whitespace-only', expect: 'invalid_json', value: () => Buffer.from('   \n ') },
  { kind: 'single-nul-byte', expect: 'invalid_json', value: () => Buffer.from([0]) },
  { kind: 'bom-only', expect: 'invalid_json', value: () => Buffer.from([0xef, 0xbb, 0xbf]) },
  { kind: 'utf16le-with-bom', expect: 'invalid_utf8', value: (i) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify(ev(i)), 'utf16le')]) },
  { kind: 'overlong-utf8', expect: 'invalid_utf8', value: () => Buffer.from([0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x7d]) },
  { kind: 'utf8-encoded-surrogate', expect: 'invalid_utf8', value: () => Buffer.from([0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x3a, 0x31, 0x7d]) },
  { kind: 'tombstone-null-value', expect: 'empty_message', value: () => null },
  // Kafka-level oddities: headers, keys and timestamps a producer controls.
  { kind: 'proto-header-valid-event', expect: 'stored', value: (i) => j(ev(i)), headers: { ['__proto__']: 'x', constructor: 'y' } },
  { kind: 'proto-header-invalid-event', expect: 'invalid_json', value: () => Buffer.from('{'), headers: { ['__proto__']: 'x' } },
  { kind: 'year-10000-kafka-timestamp', expect: 'invalid_json', value: () => Buffer.from('{"no'), timestamp: '253402300800000' },
  { kind: 'four-mb-garbage', expect: 'too_large', value: () => Buffer.alloc(4 * 1024 * 1024, 0x7b) },
  // The contract's classic cases.
  ...MALFORMED.map((m) => ({ kind: m.kind, expect: m.code, value: (i: number) => m.make(i) })),
];
