// Signed webhooks: X-Insider-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<raw body>"> with the
// channel's secret, and X-Insider-Timestamp: <unix seconds> of the attempt. A receiver recomputes the
// HMAC over the exact bytes it received, compares in constant time, and rejects timestamps more than
// five minutes from its clock, so a captured request cannot be replayed later (docs/paging.md).
import crypto from 'node:crypto';
import type { HttpRequest } from './http';

export const SIGNATURE_HEADER = 'x-insider-signature';
export const TIMESTAMP_HEADER = 'x-insider-timestamp';
export const DEFAULT_TOLERANCE_S = 300;

export function signatureOf(secret: string, timestamp: number | string, body: string | Buffer): string {
  const mac = crypto.createHmac('sha256', secret);
  mac.update(`${timestamp}.`, 'utf8');
  mac.update(body);
  return `v1=${mac.digest('hex')}`;
}

export function signedHeaders(secret: string, body: string, nowMs: number): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  return { 'X-Insider-Timestamp': String(timestamp), 'X-Insider-Signature': signatureOf(secret, timestamp, body) };
}

export type Verification = { ok: true } | { ok: false; reason: string };

/**
 * What a receiver does with a request: the timestamp within `toleranceS` of now, and one of the
 * signatures in the header (comma-separated, for key rotation) equal to the expected one, compared in
 * constant time. `body` must be the raw bytes received, before any JSON parsing.
 */
export function verifySignature(opts: {
  secret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  body: string | Buffer;
  nowMs?: number;
  toleranceS?: number;
}): Verification {
  const { timestamp, signature } = opts;
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'missing or malformed X-Insider-Timestamp' };
  const age = Math.abs((opts.nowMs ?? Date.now()) / 1000 - Number(timestamp));
  if (age > (opts.toleranceS ?? DEFAULT_TOLERANCE_S)) return { ok: false, reason: `timestamp ${Math.round(age)} s away from now: possible replay` };
  if (!signature) return { ok: false, reason: 'missing X-Insider-Signature' };
  const expected = Buffer.from(signatureOf(opts.secret, timestamp, opts.body), 'utf8');
  const match = signature
    .split(',')
    .map((s) => Buffer.from(s.trim(), 'utf8'))
    .some((given) => given.length === expected.length && crypto.timingSafeEqual(given, expected));
  return match ? { ok: true } : { ok: false, reason: 'signature does not match' };
}

/**
 * A JSON POST as every webhook of the product sends it (pages and report notices): the delivery id (the
 * same on every retry), the event, and the signature headers when there is a secret.
 */
export function signedJsonPost(o: { url: string; secret: string | undefined; event: string; deliveryId: string; body: unknown; nowMs: number }): HttpRequest {
  const body = JSON.stringify(o.body);
  return {
    method: 'POST',
    url: o.url,
    headers: {
      'Content-Type': 'application/json',
      'User-Agent': 'insider-detector',
      'X-Insider-Delivery': o.deliveryId,
      'X-Insider-Event': o.event,
      ...(o.secret ? signedHeaders(o.secret, body, o.nowMs) : {}),
    },
    body,
  };
}

