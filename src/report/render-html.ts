// The report as one self-contained HTML file: inline CSS, charts as inline SVG, no script, no external
// resource (fonts, images, styles), so it reads the same offline, in a mail attachment, and in Chromium
// when it becomes the PDF. Every text from the data is escaped.
import { SEVERITIES } from '../alerts';
import { formatBytes, formatDuration, formatMultiple, formatPercent } from '../format';
import { bandRows, escapeXml, SEVERITY_COLORS, stackedBars } from './charts';
import type { ReportData } from './data';

/** Rows shown per table in the HTML (and PDF); the CSV and JSON files always hold every row. */
export const HTML_ROW_LIMIT = 200;

const esc = (v: unknown) => escapeXml(v === null || v === undefined ? '' : String(v));
const int = (v: number) => v.toLocaleString('en-US');
const dur = (ms: number | null) => (ms === null ? '-' : formatDuration(ms));
const time = (t: string | null) => (t === null ? '-' : t.replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace(/:00Z$/, 'Z'));

interface Column<T> {
  head: string;
  cell: (row: T) => string | number;
  num?: boolean;
}

function table<T>(rows: ReadonlyArray<T>, columns: Array<Column<T>>, what: string, csv?: string): string {
  if (rows.length === 0) return `<p class="empty">No ${esc(what)} in this period.</p>`;
  const shown = rows.slice(0, HTML_ROW_LIMIT);
  const head = columns.map((c) => `<th${c.num ? ' class="num"' : ''}>${esc(c.head)}</th>`).join('');
  const body = shown.map((r) => `<tr>${columns.map((c) => `<td${c.num ? ' class="num"' : ''}>${esc(c.cell(r))}</td>`).join('')}</tr>`).join('\n');
  const more = rows.length > shown.length ? `<p class="note">First ${shown.length} of ${int(rows.length)} ${esc(what)}; every row is in ${esc(csv ?? 'the CSV and JSON files')}.</p>` : '';
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>${more}`;
}

function figures(items: Array<[string, string]>): string {
  return `<div class="figures">${items.map(([label, value]) => `<div class="figure"><div class="value">${esc(value)}</div><div class="label">${esc(label)}</div></div>`).join('')}</div>`;
}

export function renderHtml(r: ReportData): string {
  const s = r.summary;
  const a = r.alerts;
  const cov = r.coverage;
  const dq = r.dataQuality;
  const days = s.daily.map((d) => d.day);
  const deptChart = stackedBars({
    title: 'Daily download volume per department',
    categories: days,
    series: r.departments.departments.map((d) => ({ name: d.department, values: r.departments.daily.map((x) => x.bytes[d.department] ?? 0) })),
    format: formatBytes,
  });
  const usersChart = bandRows({
    title: `Top ${r.topUsers.users.length} downloaders: each day of the period against their own baseline`,
    rows: r.topUsers.users.map((u) => ({
      label: `${u.rank}. ${u.user}`,
      band: u.baseline && { low: u.baseline.p10, mid: u.baseline.median, high: u.baseline.p90 },
      values: u.daily.map((d) => d.bytes),
    })),
    format: formatBytes,
  });
  const alertChart = stackedBars({
    title: 'Alerts fired per day, by severity',
    categories: days,
    series: SEVERITIES.map((sev) => ({ name: sev, color: SEVERITY_COLORS[sev], values: a.daily.map((d) => d[sev]) })),
    format: (v) => String(v),
    integer: true,
    height: 240,
  });

  const sections = [
    `<section><h2>1. Period summary</h2>
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
</section>`,
    `<section><h2>2. Top downloaders against their own baseline</h2>
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
</section>`,
    `<section><h2>3. Volume per department</h2>
<figure>${deptChart}</figure>
${table(r.departments.departments, [
  { head: 'department', cell: (d) => d.department },
  { head: 'active users', cell: (d) => d.activeUsers, num: true },
  { head: 'events', cell: (d) => int(d.events), num: true },
  { head: 'volume', cell: (d) => formatBytes(d.bytes), num: true },
  { head: 'share', cell: (d) => formatPercent(d.share), num: true },
], 'departments', 'departments.csv')}
</section>`,
    `<section><h2>4. Access to sensitive tables</h2>
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
</section>`,
    `<section><h2>5. Alerts of the period</h2>
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
</section>`,
    `<section><h2>6. Open alerts by age</h2>
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
</section>`,
    `<section><h2>7. Analyst actions</h2>
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
</section>`,
    `<section><h2>8. Detection coverage</h2>
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
</section>`,
    `<section><h2>9. Data quality</h2>
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
</section>`,
  ];
  if (r.record) {
    sections.push(`<section><h2>10. The tamper-evident record</h2>
<p class="note">Alert revisions, triage actions, the audit trail, report manifests and retention runs are hash chains, sealed ${esc(time(r.record.sealedAt))}. Keep these heads: <code>insider audit verify --head CHAIN:SEQ:HASH</code> proves later that no history up to them was changed, deleted or inserted (docs/tamper-evidence.md).</p>
${table(r.record.heads, [
  { head: 'chain', cell: (x) => x.chain },
  { head: 'links', cell: (x) => int(x.seq), num: true },
  { head: 'head (chain:seq:hash)', cell: (x) => (x.seq === 0 ? '(empty)' : `${x.chain}:${x.seq}:${x.linkHash}`) },
  { head: 'head written', cell: (x) => (x.stamp ? time(x.stamp) : '-') },
], 'chain heads')}
</section>`);
  }

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(r.title)}</title>
<style>
body{font:13px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#222;margin:24px auto;max-width:980px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;border-bottom:2px solid #08519c;padding-bottom:3px;margin-top:28px}h3{font-size:14px;margin:16px 0 6px}
.meta{color:#555;margin:0 0 12px}table{border-collapse:collapse;width:100%;margin:6px 0 10px;font-size:12px}
th,td{border-bottom:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}th{background:#f0f3f7}td.num,th.num{text-align:right;white-space:nowrap}
.figures{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0}.figure{border:1px solid #ccd;border-radius:4px;padding:6px 10px;min-width:120px}
.figure .value{font-size:18px;font-weight:bold}.figure .label{color:#555;font-size:11px}.note,.empty{color:#666;font-style:italic}
figure{margin:8px 0}svg{max-width:100%;height:auto}
@media print{body{margin:0;max-width:none}section{break-inside:auto}h2{break-after:avoid}figure,tr,.figures{break-inside:avoid}}
</style>
</head>
<body>
<h1>${esc(r.title)}</h1>
<p class="meta">Period ${esc(time(r.period.from))} to ${esc(time(r.period.to))} (UTC, end exclusive). Triage status as of ${esc(time(r.asOf))}. Generated ${esc(time(r.generatedAt))}.
${r.pseudonymised ? 'Employees appear as pseudonyms (the same as in the API and in pages); revealing one is an audited action.' : 'Employees appear by their ids (pseudonymisation is off).'}
Volumes are bytes returned by successful queries. The files of this report and their SHA-256 hashes are listed in manifest.json.</p>
${sections.join('\n')}
</body>
</html>
`;
}
