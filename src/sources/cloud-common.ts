// Shared by the cloud formats (aws-das-postgres, snowflake): their records are JSON documents that a
// collector outside the product (a Kinesis consumer, a scheduled export) puts on the topic, bare or in
// a shipper's envelope; options are checked the same way.
import type { z } from 'zod';
import { ConfigError } from '../errors';
import { unwrap } from './envelope';
import type { DecodeContext, RawMessage } from './types';

export type JsonRead = { ok: true; doc: Record<string, unknown> } | { ok: false; code: string; reason: string };

/** The message as a JSON object: bare (recognised by `isBare`) or inside an envelope's string. */
export function readJsonRecord(message: RawMessage, ctx: DecodeContext, isBare: (doc: Record<string, unknown>) => boolean, what: string): JsonRead {
  const u = unwrap(message.value, { maxMessageBytes: ctx.limits.maxMessageBytes, isBareRecord: isBare });
  if (!u.ok) return u;
  if (u.record) return { ok: true, doc: u.record };
  let doc: unknown;
  try {
    doc = JSON.parse(u.text);
  } catch (err) {
    return { ok: false, code: u.envelope === 'none' ? 'wrong_format' : 'invalid_json', reason: `expected ${what} as JSON: ${(err as Error).message}` };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || !isBare(doc as Record<string, unknown>)) return { ok: false, code: 'wrong_format', reason: `a JSON value that is not ${what}` };
  return { ok: true, doc: doc as Record<string, unknown> };
}

export function parseFormatOptions<S extends z.ZodType>(schema: S, raw: unknown, topic: string, format: string): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : '');
    throw new ConfigError(`ingest.sources.${topic}.options${key ? `.${key}` : ''}: ${issue.message} (format ${format})`, { topic });
  }
  return parsed.data;
}

export const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

/** A count that may arrive as a number or a numeric string; undefined when absent or not a count. */
export function count(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return Math.floor(v);
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return undefined;
}

/** "2019-10-30 00:39:49.990579+00", "2022-01-25 16:17:47.388 +0000", ISO-8601: ms, or undefined. */
export function parseVendorTime(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v > 1e12 ? v : v * 1000;
  if (typeof v !== 'string') return undefined;
  const m = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d(?:\.\d+)?)\s*(Z|[+-]\d\d(?::?\d\d)?)?$/.exec(v.trim());
  if (!m) return undefined;
  let zone = m[3] ?? 'Z';
  if (zone !== 'Z') zone = zone.length === 3 ? `${zone}:00` : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  // Date.parse takes milliseconds only: cut microseconds.
  const t = Date.parse(`${m[1]}T${m[2].replace(/(\.\d{3})\d+$/, '$1')}${zone}`);
  return Number.isNaN(t) ? undefined : t;
}
