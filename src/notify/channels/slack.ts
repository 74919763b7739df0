// Slack incoming webhooks: POST the webhook URL (a secret) with {text, blocks}. `text` is the
// notification's fallback; the blocks are what people read: a header, the facts as fields, a link to
// the alert. Both are mrkdwn, so everything in them that comes from data (an employee id with
// notify.identity: user, an alert id) is escaped: "<!channel>" or "<https://evil|click>" stays text.
// Slack answers 200 "ok"; 429 with Retry-After when posting faster than about one a second.
import { formatBytes, formatMultiple } from '../../format';
import type { HttpRequest } from '../http';
import { digestSummary, sortedForDigest, summaryOf, type Message } from '../page';

const ICON = { critical: ':rotating_light:', high: ':red_circle:', medium: ':large_orange_circle:', low: ':white_circle:' } as const;

/** Slack mrkdwn: &, < and > are control characters and must be escaped. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const plain = (text: string) => ({ type: 'plain_text', text: text.slice(0, 150), emoji: true });
const md = (text: string) => ({ type: 'mrkdwn', text: text.slice(0, 3000) });

function pack(lines: ReadonlyArray<string>, separator = '\n'): string[] {
  const out: string[] = [];
  let chunk = '';
  for (const line of lines) {
    if (chunk.length > 0 && chunk.length + separator.length + line.length > 2900) {
      out.push(chunk);
      chunk = '';
    }
    chunk += (chunk ? separator : '') + line;
  }
  if (chunk) out.push(chunk);
  return out;
}

export function slackRequest(url: string, msg: Message, nowMs: number): HttpRequest {
  let text: string;
  let blocks: unknown[];
  switch (msg.kind) {
    case 'trigger':
    case 'update':
    case 'escalate': {
      const a = msg.alert;
      text = escapeMrkdwn(summaryOf(a));
      const fields = [
        md(`*Severity*\n${ICON[a.severity]} ${a.severity} (score ${a.score})`),
        md(`*Employee*\n${a.who === '' ? '_see the alert_' : escapeMrkdwn(a.who)}`),
        md(`*Volume*\n${formatBytes(a.observedBytes)}${a.ratio > 0 ? ` (${formatMultiple(a.ratio)} usual)` : ''}`),
        md(`*Detectors*\n${escapeMrkdwn(a.detectors.join(', '))}`),
      ];
      blocks = [
        { type: 'header', text: plain(`${a.escalation ? 'Still unacknowledged: ' : msg.kind === 'update' ? 'Update: ' : ''}${a.severity.toUpperCase()} insider ${a.case && a.case.alerts > 1 ? 'case' : 'alert'}`) },
        { type: 'section', text: md(escapeMrkdwn(summaryOf(a))), fields },
        { type: 'section', text: md(a.case ? `<${a.link}|Open case ${escapeMrkdwn(a.case.id)}>` : `<${a.link}|Open alert ${escapeMrkdwn(a.alertId)}>`) },
        { type: 'context', elements: [md(`Fired ${new Date(a.firedAt).toISOString()} · window ${new Date(a.windowStart).toISOString().slice(0, 10)} · revision ${a.revision}`)] },
      ];
      break;
    }
    case 'digest': {
      const d = msg.digest;
      const alerts = sortedForDigest(d.alerts);
      text = escapeMrkdwn(digestSummary(d));
      blocks = [
        { type: 'header', text: plain(`Alert storm: ${alerts.length} alerts`) },
        { type: 'section', text: md(`${escapeMrkdwn(digestSummary(d))}\n<${d.link}|Open the alert list>`) },
      ];
      // Every alert is listed, in sections of at most 3,000 characters (Slack's limit) and at most 50
      // blocks in all: with a link each while they fit, else as plain ids.
      const full = alerts.map((a) => `${ICON[a.severity]} <${a.link}|${escapeMrkdwn(a.alertId)}> ${escapeMrkdwn(a.who)} ${formatBytes(a.observedBytes)}`);
      let sections = pack(full);
      if (sections.length > 47) sections = pack(alerts.map((a) => escapeMrkdwn(a.alertId)), ' ');
      blocks.push(...sections.map((t) => ({ type: 'section', text: md(t) })));
      break;
    }
    case 'acknowledge':
    case 'resolve':
      text = escapeMrkdwn(`Alert ${msg.alertId} ${msg.kind === 'acknowledge' ? 'acknowledged' : 'resolved'}`);
      blocks = [{ type: 'section', text: md(`${msg.kind === 'acknowledge' ? ':eyes:' : ':white_check_mark:'} <${msg.link}|${escapeMrkdwn(msg.alertId)}> ${msg.kind === 'acknowledge' ? 'acknowledged' : 'resolved'}`) }];
      break;
    case 'test':
      text = 'Test page from insider-detector: paging works (no action needed)';
      blocks = [{ type: 'section', text: md(`:white_check_mark: ${text}\nSent ${new Date(nowMs).toISOString()} by \`insider notify test\`.`) }];
      break;
  }
  return { method: 'POST', url, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text, blocks }) };
}
