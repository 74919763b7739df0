// Client-side sorting of the loaded page. Every order falls back to "most recently fired first", so rows
// with equal keys keep a stable, meaningful order between polls.
import { SEVERITIES, STATUSES, type AlertSummary } from '../types';

export const SORT_KEYS = ['severity', 'volume', 'ratio', 'fired', 'status'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortDir = 'asc' | 'desc';

const fired = (a: AlertSummary) => Date.parse(a.firedAt);

const KEY: Record<SortKey, (a: AlertSummary, b: AlertSummary) => number> = {
  // Severity, then score within a severity: the worst "high" before the mildest.
  severity: (a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || a.score - b.score,
  volume: (a, b) => a.observedBytes - b.observedBytes,
  ratio: (a, b) => a.ratio - b.ratio,
  fired: (a, b) => fired(a) - fired(b),
  // Lifecycle order: open first when ascending.
  status: (a, b) => STATUSES.indexOf(a.triage.status) - STATUSES.indexOf(b.triage.status),
};

/** The first click on a column: biggest first for figures, lifecycle order for status. */
export const firstDir = (k: SortKey): SortDir => (k === 'status' ? 'asc' : 'desc');

export function sortAlerts(items: readonly AlertSummary[], key: SortKey | '', dir: SortDir): AlertSummary[] {
  if (key === '') return [...items];
  const sign = dir === 'asc' ? 1 : -1;
  return [...items].sort((a, b) => sign * KEY[key](a, b) || fired(b) - fired(a) || (a.alertId < b.alertId ? -1 : 1));
}
