// A hand-made report (every section filled) for the rendering and notice unit tests.
import type { ReportData } from '../../src/report/data';

const days = ['2026-11-16', '2026-11-17'];
const zero = { low: 0, medium: 0, high: 0, critical: 0 };

export function sampleData(over: Partial<ReportData> = {}): ReportData {
  const alert = {
    alertId: 'al_20261116_abc', user: 'emp-0123456789', department: 'Sales <EMEA>', severity: 'high' as const, score: 80, detectors: ['volumeSelf'], firedAt: '2026-11-16T10:00:00.000Z',
    observedBytes: 5e9, baselineBytes: 1e8, ratio: 50, status: 'resolved' as const, disposition: 'true_positive' as const, assignee: null, acknowledgedAt: '2026-11-16T10:30:00.000Z',
    resolvedAt: '2026-11-16T12:00:00.000Z', timeToAcknowledgeMs: 1_800_000, timeToResolveMs: 7_200_000,
  };
  return {
    format: 1, title: 'Insider-threat audit report, week 2026-11-16..2026-11-22', generatedAt: '2026-11-23T06:00:00.000Z', asOf: '2026-11-23T00:00:00.000Z',
    period: { kind: 'week', from: '2026-11-16T00:00:00.000Z', to: '2026-11-23T00:00:00.000Z', label: '2026-11-16..2026-11-22' }, pseudonymised: true,
    summary: { events: 1234, failedEvents: 5, bytes: 9e9, activeUsers: 3, sources: [{ source: '=cmd|calc', events: 1234, bytes: 9e9, users: 3 }], daily: days.map((day) => ({ day, events: 617, bytes: 4.5e9 })) },
    topUsers: { baselineDays: 28, users: [{ rank: 1, user: 'emp-0123456789', department: 'Sales <EMEA>', bytes: 5e9, events: 10, activeDays: 1, peakDay: days[0], peakBytes: 5e9, daily: [{ day: days[0], bytes: 5e9 }, { day: days[1], bytes: 0 }], baseline: { days: 20, p10: 5e7, median: 1e8, p90: 2e8 }, peakRatio: 50 }] },
    departments: { departments: [{ department: 'Sales <EMEA>', activeUsers: 3, events: 1234, bytes: 9e9, share: 1 }], daily: days.map((day) => ({ day, bytes: { 'Sales <EMEA>': 4.5e9 } })) },
    sensitive: { tables: [{ table: 'crm.customers', sensitivity: 'pii', users: 1, events: 10, bytes: 5e9, rows: 1e7 }], users: [{ user: 'emp-0123456789', department: 'Sales <EMEA>', tables: 1, events: 10, bytes: 5e9 }] },
    alerts: { asOf: '2026-11-23T00:00:00.000Z', total: 1, bySeverity: { ...zero, high: 1 }, byStatus: { open: 0, acknowledged: 0, snoozed: 0, resolved: 1 }, byDisposition: { true_positive: 1 }, medianTimeToAcknowledgeMs: 1_800_000, medianTimeToResolveMs: 7_200_000, daily: [{ day: days[0], ...zero, high: 1 }, { day: days[1], ...zero }], alerts: [alert] },
    cases: {
      asOf: '2026-11-23T00:00:00.000Z', opened: 1, closed: 1, openAtEnd: 0, byDisposition: { true_positive: 1 }, medianTimeToTriageMs: 1_800_000,
      cases: [{ caseOf: 'al_20261116_abc', user: 'emp-0123456789', department: 'Sales <EMEA>', firstDay: days[0], lastDay: days[0], openedAt: '2026-11-16T10:00:00.000Z', alerts: 1, peakRisk: 80, peakSeverity: 'critical', status: 'closed', closedAt: '2026-11-16T12:00:00.000Z', disposition: 'true_positive', timeToTriageMs: 1_800_000 }],
    },
    openAlerts: { asOf: '2026-11-23T00:00:00.000Z', total: 0, byAge: [{ age: 'under 1 day', ...zero, total: 0 }], alerts: [] },
    analystActions: { total: 1, byAction: [{ action: 'alert.resolve', count: 1 }], byActor: [{ actor: 'ana', role: 'analyst', count: 1 }], entries: [{ at: '2026-11-16T12:00:00.000Z', actor: 'ana', role: 'analyst', action: 'alert.resolve', target: 'al_20261116_abc', sourceIp: '10.0.0.1' }] },
    coverage: { windowDays: 28, minHistoryDays: 10, employees: 3, covered: 2, serviceAccounts: 1, notInDirectory: 0, insufficient: [{ user: 'emp-aaaaaaaaaa', department: 'Sales <EMEA>', role: 'rep', hireDate: '2026-11-10', activeDays: 4 }] },
    dataQuality: { deadLetters: { total: 2, byReason: [{ reason: 'invalid_json', count: 2 }] }, ingestion: { batches: 3, events: 1234 }, hours: { total: 168, withEvents: 160 }, gapHours: 2, gaps: [{ from: '2026-11-21T00:00:00.000Z', to: '2026-11-21T08:00:00.000Z', hours: 8 }] },
    ...over,
  };
}
