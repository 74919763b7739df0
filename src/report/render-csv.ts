// One CSV file per table of the report, every row (the HTML shows the first rows of long tables). Cells
// that a spreadsheet would run as a formula (=, +, -, @, tab, CR at the start) are prefixed with ' so a
// report opened in Excel cannot execute anything (OWASP "CSV injection"); numbers stay numbers.
import { stringify } from 'csv-stringify/sync';
import { SEVERITIES } from '../alerts';
import type { ReportData } from './data';

type Cell = string | number | boolean | null | undefined;

export function safeCell(v: Cell): string | number {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? v : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
}

export function toCsv(columns: string[], rows: ReadonlyArray<ReadonlyArray<Cell>>): string {
  return stringify(rows.map((r) => r.map(safeCell)), { header: true, columns, record_delimiter: '\n' });
}

/** File name -> CSV text. */
export function renderCsv(r: ReportData): Record<string, string> {
  const s = r.summary;
  const dq = r.dataQuality;
  return {
    'summary.csv': toCsv(['figure', 'value'], [
      ['period_from', r.period.from],
      ['period_to', r.period.to],
      ['events', s.events],
      ['failed_events', s.failedEvents],
      ['bytes', s.bytes],
      ['bytes_estimated', s.estimatedBytes ?? 0],
      ['active_users', s.activeUsers],
      ['data_sources', s.sources.length],
      ['alerts', r.alerts.total],
      ['cases_opened', r.cases.opened],
      ['cases_closed', r.cases.closed],
      ['open_alerts', r.openAlerts.total],
      ['analyst_actions', r.analystActions.total],
      ['employees', r.coverage.employees],
      ['employees_with_enough_history', r.coverage.covered],
      ['dead_letters', dq.deadLetters.total],
      ['ingestion_gaps', dq.gaps.length],
    ]),
    'sources.csv': toCsv(['source', 'events', 'bytes', 'users'], s.sources.map((x) => [x.source, x.events, x.bytes, x.users])),
    'daily.csv': toCsv(['day', 'events', 'bytes'], s.daily.map((x) => [x.day, x.events, x.bytes])),
    'top-users.csv': toCsv(
      ['rank', 'employee', 'department', 'bytes', 'events', 'active_days', 'peak_day', 'peak_bytes', 'baseline_days', 'baseline_p10', 'baseline_median', 'baseline_p90', 'peak_ratio'],
      r.topUsers.users.map((u) => [u.rank, u.user, u.department, u.bytes, u.events, u.activeDays, u.peakDay, u.peakBytes, u.baseline?.days ?? 0, u.baseline?.p10, u.baseline?.median, u.baseline?.p90, u.peakRatio]),
    ),
    'departments.csv': toCsv(['department', 'active_users', 'events', 'bytes', 'share'], r.departments.departments.map((d) => [d.department, d.activeUsers, d.events, d.bytes, d.share])),
    'department-daily.csv': toCsv(['day', 'department', 'bytes'], r.departments.daily.flatMap((d) => Object.entries(d.bytes).map(([dept, b]) => [d.day, dept, b]))),
    'sensitive-tables.csv': toCsv(['table', 'sensitivity', 'users', 'events', 'rows', 'bytes'], r.sensitive.tables.map((t) => [t.table, t.sensitivity, t.users, t.events, t.rows, t.bytes])),
    'sensitive-users.csv': toCsv(['employee', 'department', 'tables', 'events', 'bytes'], r.sensitive.users.map((u) => [u.user, u.department, u.tables, u.events, u.bytes])),
    'alerts.csv': toCsv(
      ['alert_id', 'fired_at', 'employee', 'department', 'severity', 'score', 'detectors', 'observed_bytes', 'baseline_bytes', 'ratio', 'status', 'disposition', 'assignee', 'acknowledged_at', 'resolved_at', 'time_to_acknowledge_ms', 'time_to_resolve_ms'],
      r.alerts.alerts.map((a) => [a.alertId, a.firedAt, a.user, a.department, a.severity, a.score, a.detectors.join(' '), a.observedBytes, a.baselineBytes, a.ratio, a.status, a.disposition, a.assignee, a.acknowledgedAt, a.resolvedAt, a.timeToAcknowledgeMs, a.timeToResolveMs]),
    ),
    'alerts-daily.csv': toCsv(['day', ...SEVERITIES], r.alerts.daily.map((d) => [d.day, ...SEVERITIES.map((sev) => d[sev])])),
    'open-alerts.csv': toCsv(
      ['alert_id', 'fired_at', 'age_ms', 'age', 'employee', 'department', 'severity', 'status', 'assignee'],
      r.openAlerts.alerts.map((a) => [a.alertId, a.firedAt, a.ageMs, a.age, a.user, a.department, a.severity, a.status, a.assignee]),
    ),
    'cases.csv': toCsv(
      ['case_of', 'employee', 'department', 'first_day', 'last_day', 'opened_at', 'alerts', 'peak_risk', 'peak_severity', 'status', 'closed_at', 'disposition', 'time_to_triage_ms'],
      r.cases.cases.map((c) => [c.caseOf, c.user, c.department, c.firstDay, c.lastDay, c.openedAt, c.alerts, c.peakRisk, c.peakSeverity, c.status, c.closedAt, c.disposition, c.timeToTriageMs]),
    ),
    'audit.csv': toCsv(['at', 'actor', 'role', 'action', 'target', 'source_ip'], r.analystActions.entries.map((e) => [e.at, e.actor, e.role, e.action, e.target, e.sourceIp])),
    'coverage.csv': toCsv(['employee', 'department', 'role', 'hire_date', 'active_days'], r.coverage.insufficient.map((c) => [c.user, c.department, c.role, c.hireDate, c.activeDays])),
    'dead-letters.csv': toCsv(['reason', 'events'], dq.deadLetters.byReason.map((d) => [d.reason, d.count])),
    'ingestion-gaps.csv': toCsv(['from', 'to', 'hours'], dq.gaps.map((g) => [g.from, g.to, g.hours])),
  };
}
