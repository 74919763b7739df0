// The report's sections as HTML, one renderer each, in the order the report prints them. Every text
// from the data is escaped (html-blocks.ts).
import { SEVERITIES } from '../alerts';
import { formatBytes, formatMultiple, formatPercent } from '../format';
import { bandRows, SEVERITY_COLORS, stackedBars } from './charts';
import type { ReportData } from './data';
import { dur, esc, figures, int, table, time } from './html-blocks';

/** 1. Totals, data sources and days. */
function summarySection(r: ReportData): string {
  const s = r.summary;
  const a = r.alerts;
  return `<section><h2>1. Period summary</h2>
${figures([
  ['events', int(s.events)],
  // "≈": part of the volume was estimated from rows (pgaudit logs rows, not bytes).
  ['downloaded (successful queries)', `${(s.estimatedBytes ?? 0) > 0 ? '≈' : ''}${formatBytes(s.bytes)}`],
  ['active users', int(s.activeUsers)],
  ['data sources', int(s.sources.length)],
  ['failed queries', int(s.failedEvents)],
  ['alerts fired', int(a.total)],
])}
<h3>Data sources</h3>
${table(s.sources, [
  { head: 'source', cell: (x) => x.source || '(none)' },
  { head: 'events', cell: (x) => int(x.events), num: true },
  { head: 'volume', cell: (x) => `${(x.estimatedBytes ?? 0) > 0 ? '≈' : ''}${formatBytes(x.bytes)}`, num: true },
  { head: 'users', cell: (x) => int(x.users), num: true },
], 'data sources', 'sources.csv')}${(s.estimatedBytes ?? 0) > 0 ? `
<p class="note">≈ ${formatBytes(s.estimatedBytes ?? 0)} of the volume is estimated: the source logs rows, not bytes (rows × the table's average row width, docs/sources/postgres.md).</p>` : ''}
<h3>Per day</h3>
${table(s.daily, [
  { head: 'day', cell: (x) => x.day },
  { head: 'events', cell: (x) => int(x.events), num: true },
  { head: 'volume', cell: (x) => formatBytes(x.bytes), num: true },
], 'days', 'daily.csv')}
</section>`;
}

/** 2. Top downloaders against their own baseline, with their chart. */
function topUsersSection(r: ReportData): string {
  const usersChart = bandRows({
    title: `Top ${r.topUsers.users.length} downloaders: each day of the period against their own baseline`,
    rows: r.topUsers.users.map((u) => ({
      label: `${u.rank}. ${u.user}`,
      band: u.baseline && { low: u.baseline.p10, mid: u.baseline.median, high: u.baseline.p90 },
      values: u.daily.map((d) => d.bytes),
    })),
    format: formatBytes,
  });
  return `<section><h2>2. Top downloaders against their own baseline</h2>
<p>Baseline: each person's active days (volume &gt; 0) in the ${r.topUsers.baselineDays} days before the period; the band is their 10th to 90th percentile.</p>
<figure>${usersChart}</figure>
${table(r.topUsers.users, [
  { head: '#', cell: (u) => u.rank, num: true },
  { head: 'employee', cell: (u) => u.user },
  { head: 'department', cell: (u) => u.department },
  { head: 'volume', cell: (u) => formatBytes(u.bytes), num: true },
  { head: 'active days', cell: (u) => u.activeDays, num: true },
  { head: 'peak day', cell: (u) => u.peakDay },
  { head: 'peak', cell: (u) => formatBytes(u.peakBytes), num: true },
  { head: 'baseline median', cell: (u) => (u.baseline ? formatBytes(u.baseline.median) : 'no history'), num: true },
  { head: 'peak / median', cell: (u) => (u.peakRatio === null ? '-' : formatMultiple(u.peakRatio)), num: true },
], 'downloaders', 'top-users.csv')}
</section>`;
}

/** 3. Volume per department, with its chart. */
function departmentsSection(r: ReportData): string {
  const days = r.summary.daily.map((d) => d.day);
  const deptChart = stackedBars({
    title: 'Daily download volume per department',
    categories: days,
    series: r.departments.departments.map((d) => ({ name: d.department, values: r.departments.daily.map((x) => x.bytes[d.department] ?? 0) })),
    format: formatBytes,
  });
  return `<section><h2>3. Volume per department</h2>
<figure>${deptChart}</figure>
${table(r.departments.departments, [
  { head: 'department', cell: (d) => d.department },
  { head: 'active users', cell: (d) => d.activeUsers, num: true },
  { head: 'events', cell: (d) => int(d.events), num: true },
  { head: 'volume', cell: (d) => formatBytes(d.bytes), num: true },
  { head: 'share', cell: (d) => formatPercent(d.share), num: true },
], 'departments', 'departments.csv')}
</section>`;
}

/** 4. Access to sensitive tables and who accessed them. */
function sensitiveSection(r: ReportData): string {
  return `<section><h2>4. Access to sensitive tables</h2>
<p>Tables the catalog classifies as pii or payment.</p>
${table(r.sensitive.tables, [
  { head: 'table', cell: (t) => t.table },
  { head: 'sensitivity', cell: (t) => t.sensitivity },
  { head: 'users', cell: (t) => t.users, num: true },
  { head: 'events', cell: (t) => int(t.events), num: true },
  { head: 'rows', cell: (t) => int(t.rows), num: true },
  { head: 'volume', cell: (t) => formatBytes(t.bytes), num: true },
], 'sensitive tables accessed', 'sensitive-tables.csv')}
<h3>Who accessed them</h3>
${table(r.sensitive.users, [
  { head: 'employee', cell: (u) => u.user },
  { head: 'department', cell: (u) => u.department },
  { head: 'tables', cell: (u) => u.tables, num: true },
  { head: 'events', cell: (u) => int(u.events), num: true },
  { head: 'volume', cell: (u) => formatBytes(u.bytes), num: true },
], 'employees', 'sensitive-users.csv')}
</section>`;
}

/** 5. The alerts fired in the period, with their chart. */
function alertsSection(r: ReportData): string {
  const a = r.alerts;
  const days = r.summary.daily.map((d) => d.day);
  const alertChart = stackedBars({
    title: 'Alerts fired per day, by severity',
    categories: days,
    series: SEVERITIES.map((sev) => ({ name: sev, color: SEVERITY_COLORS[sev], values: a.daily.map((d) => d[sev]) })),
    format: (v) => String(v),
    integer: true,
    height: 240,
  });

  return `<section><h2>5. Alerts of the period</h2>
<p>Alerts fired in the period; status as of ${esc(time(a.asOf))}. Times to acknowledge and resolve are measured from the event that fired the alert.</p>
${figures([
  ...SEVERITIES.slice().reverse().map((sev): [string, string] => [sev, int(a.bySeverity[sev])]),
  ['median time to acknowledge', dur(a.medianTimeToAcknowledgeMs)],
  ['median time to resolve', dur(a.medianTimeToResolveMs)],
])}
<figure>${alertChart}</figure>
${table(a.alerts, [
  { head: 'alert', cell: (x) => x.alertId },
  { head: 'fired', cell: (x) => time(x.firedAt) },
  { head: 'employee', cell: (x) => x.user },
  { head: 'severity', cell: (x) => x.severity },
  { head: 'detectors', cell: (x) => x.detectors.join(', ') },
  { head: 'volume', cell: (x) => formatBytes(x.observedBytes), num: true },
  { head: 'status', cell: (x) => x.status },
  { head: 'disposition', cell: (x) => x.disposition ?? '-' },
  { head: 'to acknowledge', cell: (x) => dur(x.timeToAcknowledgeMs), num: true },
  { head: 'to resolve', cell: (x) => dur(x.timeToResolveMs), num: true },
], 'alerts', 'alerts.csv')}
<h3>Cases</h3>
<p>The alerts grouped into cases: one employee's alerts until a quiet period passes without one. Opened in the period: the first alert fired in it; closed: the last of its alerts resolved in it. Time to triage: from the first alert to the first acknowledgement or resolution of any of its alerts.</p>
${figures([
  ['cases opened', int(r.cases.opened)],
  ['cases closed', int(r.cases.closed)],
  ['open at the end', int(r.cases.openAtEnd)],
  ...Object.entries(r.cases.byDisposition).map(([d, n]): [string, string] => [`closed as ${d.replace(/_/g, ' ')}`, int(n)]),
  ['median time to triage', dur(r.cases.medianTimeToTriageMs)],
])}
${table(r.cases.cases, [
  { head: 'case (first alert)', cell: (c) => c.caseOf },
  { head: 'employee', cell: (c) => c.user },
  { head: 'days', cell: (c) => (c.firstDay === c.lastDay ? c.firstDay : `${c.firstDay} – ${c.lastDay}`) },
  { head: 'alerts', cell: (c) => c.alerts, num: true },
  { head: 'peak risk', cell: (c) => `${c.peakRisk.toFixed(1)} ${c.peakSeverity}` },
  { head: 'status', cell: (c) => c.status },
  { head: 'disposition', cell: (c) => c.disposition ?? '-' },
  { head: 'to triage', cell: (c) => dur(c.timeToTriageMs), num: true },
], 'cases', 'cases.csv')}
</section>`;
}

/** 6. Open alerts by age. */
function openAlertsSection(r: ReportData): string {
  return `<section><h2>6. Open alerts by age</h2>
<p>Every alert fired by ${esc(time(r.openAlerts.asOf))} and not resolved then, whatever period it fired in: ${int(r.openAlerts.total)}.</p>
${table(r.openAlerts.byAge, [
  { head: 'age', cell: (b) => b.age },
  ...SEVERITIES.map((sev) => ({ head: sev, cell: (b: (typeof r.openAlerts.byAge)[number]) => b[sev], num: true })),
  { head: 'total', cell: (b) => b.total, num: true },
], 'age buckets')}
${table(r.openAlerts.alerts, [
  { head: 'alert', cell: (x) => x.alertId },
  { head: 'fired', cell: (x) => time(x.firedAt) },
  { head: 'age', cell: (x) => dur(x.ageMs), num: true },
  { head: 'employee', cell: (x) => x.user },
  { head: 'severity', cell: (x) => x.severity },
  { head: 'status', cell: (x) => x.status },
  { head: 'assignee', cell: (x) => x.assignee ?? '-' },
], 'open alerts', 'open-alerts.csv')}
</section>`;
}

/** 7. Analyst actions from the audit trail. */
function analystActionsSection(r: ReportData): string {
  return `<section><h2>7. Analyst actions</h2>
<p>From the audit trail: every triage action and every view of evidence in the period (${int(r.analystActions.total)}).</p>
${table(r.analystActions.byAction, [
  { head: 'action', cell: (x) => x.action },
  { head: 'count', cell: (x) => x.count, num: true },
], 'actions')}
${table(r.analystActions.byActor, [
  { head: 'analyst', cell: (x) => x.actor },
  { head: 'role', cell: (x) => x.role },
  { head: 'actions', cell: (x) => x.count, num: true },
], 'analysts')}
${table(r.analystActions.entries, [
  { head: 'time', cell: (x) => time(x.at) },
  { head: 'analyst', cell: (x) => x.actor },
  { head: 'action', cell: (x) => x.action },
  { head: 'target', cell: (x) => x.target },
  { head: 'from', cell: (x) => x.sourceIp },
], 'audit entries', 'audit.csv')}
</section>`;
}

/** 8. Detection coverage. */
function coverageSection(r: ReportData): string {
  const cov = r.coverage;
  return `<section><h2>8. Detection coverage</h2>
<p>An employee's own baseline is trusted after ${cov.minHistoryDays} active days in the ${cov.windowDays} days before the end of the period; until then they are compared with their peers only.</p>
${figures([
  ['employees in the period', int(cov.employees)],
  ['with enough history', `${int(cov.covered)}${cov.employees ? ` (${formatPercent(cov.covered / cov.employees)})` : ''}`],
  ['without', int(cov.insufficient.length)],
  ['service accounts', int(cov.serviceAccounts)],
  ['active users not in the directory', int(cov.notInDirectory)],
])}
${table(cov.insufficient, [
  { head: 'employee', cell: (x) => x.user },
  { head: 'department', cell: (x) => x.department },
  { head: 'role', cell: (x) => x.role },
  { head: 'hired', cell: (x) => x.hireDate ?? '-' },
  { head: 'active days', cell: (x) => x.activeDays, num: true },
], 'employees without enough history', 'coverage.csv')}
</section>`;
}

/** 9. Data quality. */
function dataQualitySection(r: ReportData): string {
  const dq = r.dataQuality;
  return `<section><h2>9. Data quality</h2>
${figures([
  ['dead-lettered events', int(dq.deadLetters.total)],
  ['ingested batches', int(dq.ingestion.batches)],
  ['events ingested', int(dq.ingestion.events)],
  ['hours with events', `${int(dq.hours.withEvents)} of ${int(dq.hours.total)}`],
  [`gaps of ${dq.gapHours} h or more`, int(dq.gaps.length)],
])}
${table(dq.deadLetters.byReason, [
  { head: 'reason', cell: (x) => x.reason },
  { head: 'events', cell: (x) => int(x.count), num: true },
], 'dead-lettered events', 'dead-letters.csv')}
${table(dq.gaps, [
  { head: 'from', cell: (x) => time(x.from) },
  { head: 'to', cell: (x) => time(x.to) },
  { head: 'hours', cell: (x) => x.hours, num: true },
], 'ingestion gaps', 'ingestion-gaps.csv')}
</section>`;
}

/** 10. The heads of the tamper-evident record, when the report has them. */
function recordSection(record: NonNullable<ReportData['record']>): string {
  return `<section><h2>10. The tamper-evident record</h2>
<p class="note">Alert revisions, triage actions, the audit trail, report manifests and retention runs are hash chains, sealed ${esc(time(record.sealedAt))}. Keep these heads: <code>insider audit verify --head CHAIN:SEQ:HASH</code> proves later that no history up to them was changed, deleted or inserted (docs/tamper-evidence.md).</p>
${table(record.heads, [
  { head: 'chain', cell: (x) => x.chain },
  { head: 'links', cell: (x) => int(x.seq), num: true },
  { head: 'head (chain:seq:hash)', cell: (x) => (x.seq === 0 ? '(empty)' : `${x.chain}:${x.seq}:${x.linkHash}`) },
  { head: 'head written', cell: (x) => (x.stamp ? time(x.stamp) : '-') },
], 'chain heads')}
</section>`;
}

/** Every section of the report, in order. */
export function htmlSections(r: ReportData): string[] {
  const sections = [summarySection(r), topUsersSection(r), departmentsSection(r), sensitiveSection(r), alertsSection(r), openAlertsSection(r), analystActionsSection(r), coverageSection(r), dataQualitySection(r)];
  if (r.record) sections.push(recordSection(r.record));
  return sections;
}
