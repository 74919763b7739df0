// Generic webhook: a JSON document per delivery, signed with HMAC-SHA256 (see ../signature.ts):
//   X-Insider-Timestamp: <unix seconds of this attempt>
//   X-Insider-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
//   X-Insider-Delivery: <delivery id>   (the same on every retry: receivers deduplicate on it)
//   X-Insider-Event: trigger | escalate | digest | acknowledge | resolve | test
// With `format: ocsf` the body is a JSON array of OCSF Detection Findings (../ocsf.ts) instead.
import type { HttpRequest } from '../http';
import { findingsOf } from '../ocsf';
import { digestSummary, summaryOf, type Message } from '../page';
import { signedJsonPost } from '../signature';

export const WEBHOOK_VERSION = 1;

export function webhookBody(msg: Message, deliveryId: string, nowMs: number): Record<string, unknown> {
  const base = { version: WEBHOOK_VERSION, event: msg.kind, delivery_id: deliveryId, dedup_key: msg.dedupKey, sent_at: new Date(nowMs).toISOString() };
  switch (msg.kind) {
    case 'trigger':
    case 'update':
    case 'escalate':
      return { ...base, summary: summaryOf(msg.alert), alert: msg.alert };
    case 'digest':
      return { ...base, summary: digestSummary(msg.digest), digest: { ...msg.digest, count: msg.digest.alerts.length, alert_ids: msg.digest.alerts.map((a) => a.alertId) } };
    case 'acknowledge':
    case 'resolve':
      return { ...base, alert_id: msg.alertId, link: msg.link };
    case 'test':
      return { ...base, test: true, link: msg.link };
  }
}

export function webhookRequest(url: string, secret: string, msg: Message, deliveryId: string, nowMs: number, format: 'insider' | 'ocsf' = 'insider'): HttpRequest {
  // ocsf: a JSON array of OCSF Detection Findings (one; a digest's one per alert), signed the same way.
  const body = format === 'ocsf' ? findingsOf(msg, deliveryId, nowMs) : webhookBody(msg, deliveryId, nowMs);
  return signedJsonPost({ url, secret, event: msg.kind, deliveryId, body, nowMs });
}
