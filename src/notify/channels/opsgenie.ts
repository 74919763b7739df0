// Opsgenie Alert API: POST <base>/v2/alerts with "Authorization: GenieKey <key>" creates an alert; the
// alias (the dedup key) keeps one open alert per alias (a second create only raises its count).
// Acknowledge and close: POST <base>/v2/alerts/<alias>/acknowledge|close?identifierType=alias; a case's
// update is a note on its alert: POST <base>/v2/alerts/<alias>/notes?identifierType=alias (note <= 25,000).
// Opsgenie answers 202 Accepted (processing is asynchronous). message <= 130 characters, alias <= 512,
// description <= 15,000, details are string to string, priority P1 (highest) .. P5.
import type { Severity } from '../../alerts';
import { formatBytes, formatMultiple } from '../../format';
import { clip } from '../../text';
import type { HttpRequest } from '../http';
import { digestCounts, digestSummary, sortedForDigest, summaryOf, worstSeverity, type AlertPage, type Message } from '../page';

export const OPSGENIE_URL = 'https://api.opsgenie.com';

export const OPSGENIE_PRIORITY: Record<Severity, 'P1' | 'P2' | 'P3' | 'P4' | 'P5'> = { critical: 'P1', high: 'P2', medium: 'P3', low: 'P4' };

const SOURCE = 'insider-detector';

function alertDetails(a: AlertPage): Record<string, string> {
  const d: Record<string, string> = {
    alert_id: a.alertId,
    severity: a.severity,
    score: String(a.score),
    volume: formatBytes(a.observedBytes),
    volume_bytes: String(a.observedBytes),
    detectors: a.detectors.join(','),
    window_start: new Date(a.windowStart).toISOString(),
    window_end: new Date(a.windowEnd).toISOString(),
    link: a.link,
  };
  if (a.who !== '') d.employee = a.who;
  if (a.ratio > 0) d.usual_multiple = formatMultiple(a.ratio);
  if (a.case) {
    d.case_id = a.case.id;
    d.case_alerts = String(a.case.alerts);
  }
  return d;
}

export function opsgenieRequest(base: string, apiKey: string, msg: Message, nowMs: number): HttpRequest {
  const root = base.replace(/\/+$/, '');
  const headers = { 'Content-Type': 'application/json', Authorization: `GenieKey ${apiKey}`, 'User-Agent': 'insider-detector' };
  const alias = clip(msg.dedupKey, 512);
  let body: Record<string, unknown>;
  let url = `${root}/v2/alerts`;
  switch (msg.kind) {
    case 'acknowledge':
    case 'resolve':
      url = `${root}/v2/alerts/${encodeURIComponent(alias)}/${msg.kind === 'acknowledge' ? 'acknowledge' : 'close'}?identifierType=alias`;
      body = { source: SOURCE, user: SOURCE, note: `${msg.kind === 'acknowledge' ? 'Acknowledged' : 'Resolved'} in insider-detector: ${msg.link}` };
      break;
    case 'update':
      url = `${root}/v2/alerts/${encodeURIComponent(alias)}/notes?identifierType=alias`;
      body = { source: SOURCE, user: SOURCE, note: clip(`Update: ${summaryOf(msg.alert)}\nOpen: ${msg.alert.link}`, 25000) };
      break;
    case 'trigger':
    case 'escalate': {
      const a = msg.alert;
      body = {
        message: clip(summaryOf(a), 130),
        alias,
        description: clip(`${summaryOf(a)}\n${a.case ? 'Risk' : 'Score'} ${a.score}. Window ${new Date(a.windowStart).toISOString()} .. ${new Date(a.windowEnd).toISOString()}.\nOpen the ${a.case ? 'case' : 'alert'}: ${a.link}`, 15000),
        priority: OPSGENIE_PRIORITY[a.severity],
        source: SOURCE,
        entity: a.who === '' ? a.alertId : a.who,
        tags: ['insider-threat', a.severity, ...a.detectors, ...(a.escalation ? ['escalation'] : [])],
        details: alertDetails(a),
      };
      break;
    }
    case 'digest': {
      const d = msg.digest;
      const alerts = sortedForDigest(d.alerts);
      const lines = alerts.map((a) => `${a.severity} ${a.alertId}${a.who ? ` ${a.who}` : ''} ${formatBytes(a.observedBytes)}`);
      const counts = digestCounts(alerts);
      body = {
        message: clip(digestSummary(d), 130),
        alias,
        description: clip(`${digestSummary(d)}\nAll alerts: ${d.link}\n${lines.join('\n')}`, 15000),
        priority: OPSGENIE_PRIORITY[worstSeverity(alerts)],
        source: SOURCE,
        entity: 'alert-storm',
        tags: ['insider-threat', 'digest'],
        details: {
          digest_id: d.digestId,
          count: String(alerts.length),
          critical: String(counts.critical),
          high: String(counts.high),
          medium: String(counts.medium),
          low: String(counts.low),
          alert_ids: alerts.map((a) => a.alertId).join(','),
          link: d.link,
        },
      };
      break;
    }
    case 'test':
      body = {
        message: 'Test page from insider-detector: paging works (no action needed)',
        alias,
        description: `Sent by \`insider notify test\` at ${new Date(nowMs).toISOString()}.`,
        priority: 'P5',
        source: SOURCE,
        tags: ['insider-threat', 'test'],
        details: { test: 'true' },
      };
      break;
  }
  return { method: 'POST', url, headers, body: JSON.stringify(body) };
}
