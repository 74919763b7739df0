// PagerDuty Events API v2: POST https://events.pagerduty.com/v2/enqueue with the integration's routing
// key. One incident per dedup key: trigger opens it (a second trigger with the same key only adds to
// its log: how a case's update is sent), acknowledge and resolve with the same key update it. PagerDuty
// answers 202 Accepted.
import type { Severity } from '../../alerts';
import { formatBytes, formatMultiple } from '../../format';
import type { HttpRequest } from '../http';
import { digestCounts, digestSummary, sortedForDigest, summaryOf, worstSeverity, type Message } from '../page';

export const PAGERDUTY_URL = 'https://events.pagerduty.com/v2/enqueue';

/** PagerDuty's four severities. */
export const PAGERDUTY_SEVERITY: Record<Severity, 'critical' | 'error' | 'warning' | 'info'> = {
  critical: 'critical',
  high: 'error',
  medium: 'warning',
  low: 'info',
};

const SOURCE = 'insider-detector';

export function pagerDutyRequest(url: string, routingKey: string, msg: Message, nowMs: number): HttpRequest {
  const body: Record<string, unknown> = { routing_key: routingKey, event_action: 'trigger', dedup_key: msg.dedupKey };
  switch (msg.kind) {
    case 'acknowledge':
    case 'resolve':
      body.event_action = msg.kind;
      break;
    case 'trigger':
    case 'update':
    case 'escalate': {
      const a = msg.alert;
      body.payload = {
        summary: summaryOf(a).slice(0, 1024),
        source: SOURCE,
        severity: PAGERDUTY_SEVERITY[a.severity],
        timestamp: new Date(a.firedAt).toISOString(),
        component: a.who === '' ? a.alertId : a.who,
        group: 'insider-threat',
        class: a.detectors.join(','),
        custom_details: {
          alert_id: a.alertId,
          employee: a.who === '' ? undefined : a.who,
          severity: a.severity,
          score: a.score,
          volume: formatBytes(a.observedBytes),
          volume_bytes: a.observedBytes,
          usual_multiple: a.ratio > 0 ? formatMultiple(a.ratio) : undefined,
          detectors: a.detectors,
          window: `${new Date(a.windowStart).toISOString()} .. ${new Date(a.windowEnd).toISOString()}`,
          revision: a.revision,
          escalation: a.escalation ? `still unacknowledged after ${Math.round(a.escalation.afterMs / 60000)} min` : undefined,
          case_id: a.case?.id,
          case_alerts: a.case?.alerts,
          update: msg.kind === 'update' ? true : undefined,
          link: a.link,
        },
      };
      body.client = SOURCE;
      body.client_url = a.link;
      body.links = [{ href: a.link, text: a.case ? `Case ${a.case.id}` : `Alert ${a.alertId}` }];
      break;
    }
    case 'digest': {
      const d = msg.digest;
      const alerts = sortedForDigest(d.alerts);
      body.payload = {
        summary: digestSummary(d).slice(0, 1024),
        source: SOURCE,
        severity: PAGERDUTY_SEVERITY[worstSeverity(alerts)],
        timestamp: new Date(nowMs).toISOString(),
        component: 'alert-storm',
        group: 'insider-threat',
        class: 'digest',
        custom_details: {
          digest_id: d.digestId,
          count: alerts.length,
          by_severity: digestCounts(alerts),
          alert_ids: alerts.map((a) => a.alertId),
          alerts: alerts.map((a) => `${a.severity} ${a.alertId} ${a.who} ${formatBytes(a.observedBytes)} [${a.detectors.join(',')}]`.replace(/\s+/g, ' ')),
          link: d.link,
        },
      };
      body.client = SOURCE;
      body.client_url = d.link;
      body.links = [{ href: d.link, text: 'Open alerts' }];
      break;
    }
    case 'test':
      body.payload = {
        summary: 'Test page from insider-detector: paging works (no action needed)',
        source: SOURCE,
        severity: 'info',
        timestamp: new Date(nowMs).toISOString(),
        component: 'notifier',
        group: 'insider-threat',
        class: 'test',
        custom_details: { test: true },
      };
      body.links = [{ href: msg.link, text: 'insider-detector' }];
      break;
  }
  return { method: 'POST', url, headers: { 'Content-Type': 'application/json', 'User-Agent': 'insider-detector' }, body: JSON.stringify(body) };
}
