// An alert, its triage state and its adjustments as the CLI prints them.
import { formatBytes, formatMultiple, formatPercent } from '../../format';
import type { AdjustmentView, AlertAdjustments, AlertView, SuppressionView, TriageState } from '../../triage';
import { printText } from '../output';
import { isoTime } from '../triage-context';

function statusText(t: AlertView['triage']): string {
  if (t.status === 'resolved' && t.disposition) return `resolved (${t.disposition})`;
  if (t.status === 'snoozed' && t.snoozedUntil) return `snoozed until ${isoTime(t.snoozedUntil)}`;
  return t.status;
}

export function printState(v: AlertView, suppression?: SuppressionView): void {
  const lines: Array<[string, string]> = [
    ['alert', v.alertId],
    ['status', statusText(v.triage)],
    ['assignee', v.triage.assignee ?? '-'],
    ['notes', String(v.triage.notes.length)],
  ];
  if (suppression) lines.push(['suppression', `${suppression.id} (${suppression.scope}${suppression.table ? ` ${suppression.table}` : ''}, until ${isoTime(suppression.until)})`]);
  for (const [k, value] of lines) printText(`${k.padEnd(12)}${value}\n`);
}

function historyLine(a: TriageState['history'][number]): string {
  const parts: string[] = [isoTime(a.at), a.actor, a.action];
  if (a.action === 'assign') parts.push(`to ${a.assignee}`);
  if (a.disposition) parts.push(a.disposition);
  if (a.action === 'snooze') parts.push(`until ${isoTime(a.snoozeUntil)}`);
  if (a.suppressionId) parts.push(`suppression ${a.suppressionId}`);
  if (a.note && a.action !== 'note') parts.push(`note: ${a.note}`);
  if (a.action === 'note') parts.push(a.note);
  return parts.join('  ');
}

export function printAlert(a: AlertView & { history: TriageState['history']; adjustments?: AlertAdjustments }): void {
  const out: string[] = [];
  const who = [a.department, a.role].filter((x) => x).join(', ');
  out.push(`ALERT ${a.alertId} (revision ${a.revision})`);
  out.push(`  severity     ${a.severity}, score ${a.score}`);
  out.push(`  employee     ${a.user}${who ? ` (${who})` : ''}`);
  out.push(`  window       ${isoTime(a.windowStart)} to ${isoTime(a.windowEnd)}`);
  out.push(`  fired        ${isoTime(a.firedAt)} (last event ${isoTime(a.lastEventAt)})`);
  const usual = a.baselineBytes > 0 ? `; usual ${formatBytes(a.baselineBytes)}${a.ratio > 0 ? ` (${formatMultiple(a.ratio)})` : ''}` : '';
  const peers = a.peerBytes > 0 ? `; peers (${a.peerGroup}) ${formatBytes(a.peerBytes)}` : '';
  out.push(`  volume       ${formatBytes(a.observedBytes)} in ${a.eventCount} events, ${a.observedRows} rows${usual}${peers}`);
  out.push(`  detectors    ${a.detectors.join(', ')}`);
  out.push('', 'EXPLANATION', `  ${a.explanation}`);
  out.push('', 'FINDINGS');
  for (const f of a.findings) out.push(`  ${f.detector}: ${f.clause}`);
  const e = a.evidence;
  out.push('', 'EVIDENCE');
  out.push(`  events       ${e.events} (${e.failedEvents} failed), ${isoTime(Date.parse(e.firstEventAt))} to ${isoTime(Date.parse(e.lastEventAt))}`);
  out.push(`  sensitive    ${formatBytes(e.sensitiveBytes)}`);
  for (const t of e.topTables) out.push(`  table        ${t.table} (${t.sensitivity}) ${formatBytes(t.bytes)}, ${formatPercent(t.share)}, ${t.events} events, ${t.rows} rows`);
  out.push(`  sessions     ${e.sessions.count}${e.sessions.top.length ? `: ${e.sessions.top.map((s) => `${s.id} ${formatBytes(s.bytes)}`).join(', ')}` : ''}`);
  if (e.clientIps.length) out.push(`  client IPs   ${e.clientIps.map((c) => `${c.ip} ${formatBytes(c.bytes)}`).join(', ')}`);
  if (e.apps.length) out.push(`  apps         ${e.apps.map((c) => `${c.app} ${formatBytes(c.bytes)}`).join(', ')}`);
  if (e.allowlisted.events > 0) out.push(`  allowlisted  ${formatBytes(e.allowlisted.bytes)} in ${e.allowlisted.events} events (${e.allowlisted.reasons.join('; ')})`);
  const t = a.triage;
  out.push('', 'TRIAGE');
  out.push(`  status       ${statusText(t)}`);
  out.push(`  assignee     ${t.assignee ?? '-'}`);
  out.push(`  acknowledged ${isoTime(t.acknowledgedAt)}`);
  out.push(`  resolved     ${isoTime(t.resolvedAt)}`);
  out.push('', `NOTES (${t.notes.length})`);
  for (const n of t.notes) out.push(`  ${isoTime(n.at)}  ${n.actor}: ${n.note}`);
  out.push('', `HISTORY (${a.history.length})`);
  for (const h of a.history) out.push(`  ${historyLine(h)}`);
  if (a.adjustments && a.adjustments.made.length + a.adjustments.applied.length > 0) {
    out.push('', 'EXPECTATION ADJUSTMENTS');
    for (const x of a.adjustments.made) out.push(`  made by it   ${adjustmentLine(x)}`);
    for (const x of a.adjustments.applied) out.push(`  applied      ${adjustmentLine(x)}`);
  }
  printText(`${out.join('\n')}\n`);
}

/** One adjustment on a line: "adj_... 3x for Sales/sales_ops (expected_for_role) 2026-10-01 to 2026-12-20 by alice: reason". */
export function adjustmentLine(a: AdjustmentView): string {
  const state = a.revokedAt !== null ? `revoked ${isoTime(a.revokedAt)} by ${a.revokedBy}` : a.active ? 'active' : 'ended';
  return `${a.id} ${a.factor}x for ${a.subject} (${a.kind}) ${dateText(a.from)} until ${dateText(a.until)} by ${a.createdBy}, ${state}: ${a.reason}`;
}

const dateText = (ms: number) => new Date(ms).toISOString().slice(0, 10);

