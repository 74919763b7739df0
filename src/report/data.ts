// Every figure of an audit report, read from ClickHouse: one function per section, each returning plain
// data (no formatting). Volumes are bytes of successful queries (failed queries move no data), as the
// detector counts them. Event-time data (access events, alerts) and wall-time data (analyst actions,
// dead letters, ingestion) are both read for [from, to). Employees appear as pseudonyms when
// api.pseudonymize is on (the same pseudonyms as the API and pages).
// The sections live in data-usage.ts, data-triage.ts, data-cases.ts and data-coverage.ts, the context and helpers
// they share in data-context.ts; this module puts them together (collectReport) and re-exports them.
import { SEVERITIES } from '../alerts';
import { casesSection, type CasesSection } from './data-cases';
import { iso, type ReportContext } from './data-context';
import { coverageSection, dataQualitySection, type CoverageSection, type DataQualitySection } from './data-coverage';
import { alertsSection, auditSection, openAlertsSection, type AlertsSection, type AuditSection, type OpenAlertsSection } from './data-triage';
import { departmentsSection, sensitiveSection, summarySection, topUsersSection, type DepartmentsSection, type SensitiveSection, type SummarySection, type TopUsersSection } from './data-usage';
import { periodLabel } from './period';

export { loadPeople, NOT_IN_DIRECTORY, type ReportContext, type ReportSettings } from './data-context';
export { SENSITIVE, summarySection, topUsersSection, departmentsSection, sensitiveSection, type SummarySection, type Baseline, type TopUser, type TopUsersSection, type DepartmentsSection, type SensitiveSection } from './data-usage';
export { median, alertsSection, AGE_BUCKETS, openAlertsSection, auditSection, type ReportAlert, type AlertsSection, type OpenAlertsSection, type AuditSection } from './data-triage';
export { coverageSection, gapsOf, dataQualitySection, type CoverageSection, type DataQualitySection } from './data-coverage';
export { casesSection, type CasesSection, type ReportCase } from './data-cases';

// ---------------------------------------------------------------------------------------------------
// The whole report

export interface ReportData {
  format: 1;
  title: string;
  generatedAt: string;
  asOf: string;
  period: { kind: string; from: string; to: string; label: string };
  pseudonymised: boolean;
  summary: SummarySection;
  topUsers: TopUsersSection;
  departments: DepartmentsSection;
  sensitive: SensitiveSection;
  alerts: AlertsSection;
  /** The alerts grouped into cases (one employee's episode): opened and closed in the period. */
  cases: CasesSection;
  openAlerts: OpenAlertsSection;
  analystActions: AuditSection;
  coverage: CoverageSection;
  dataQuality: DataQualitySection;
  /** The heads of the tamper-evident record's chains when the report was written (set by generateReport). */
  record?: RecordSection;
}

export interface RecordSection {
  /** chain:seq:hash of each chain, and when its head row was written. */
  heads: Array<{ chain: string; seq: number; linkHash: string; stamp: string | null }>;
  /** Rows newer than the heads, written after the last seal (not protected yet). */
  sealedAt: string;
}

export async function collectReport(ctx: ReportContext, generatedAt: number): Promise<ReportData> {
  // One section after the other: a report is a batch job and the server has other work.
  const summary = await summarySection(ctx);
  const topUsers = await topUsersSection(ctx);
  const departments = await departmentsSection(ctx);
  const sensitive = await sensitiveSection(ctx);
  const alerts = await alertsSection(ctx);
  const cases = await casesSection(ctx);
  const openAlerts = await openAlertsSection(ctx);
  const analystActions = await auditSection(ctx);
  const coverage = await coverageSection(ctx);
  const dataQuality = await dataQualitySection(ctx);
  const { period } = ctx;
  return {
    format: 1,
    title: `Insider-threat audit report, ${period.kind === 'custom' ? '' : `${period.kind} `}${periodLabel(period)}`.replace(/ {2}/g, ' '),
    generatedAt: iso(generatedAt),
    asOf: iso(ctx.asOf),
    period: { kind: period.kind, from: iso(period.from), to: iso(period.to), label: periodLabel(period) },
    pseudonymised: ctx.pseudonyms.enabled,
    summary,
    topUsers,
    departments,
    sensitive,
    alerts,
    cases,
    openAlerts,
    analystActions,
    coverage,
    dataQuality,
  };
}

export { SEVERITIES };
