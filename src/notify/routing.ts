// Routing rules: which channels an alert pages, by severity, detector, department and local time of
// day. Every rule that matches adds its channels; a channel named by several rules is paged once (the
// first matching rule's escalation settings apply). Quiet hours keep a rule's lower severities from
// waking anyone at night; they stay in the dashboard.
import { severityRank, type Severity } from '../alerts';
import { localHour } from '../calendar';
import type { RouteConfig } from '../config';

export interface Target {
  channel: string;
  route: string;
  escalateAfterMs?: number;
  /** Channels of the re-page. */
  escalateTo: string[];
}

export interface Routable {
  severity: Severity;
  detectors: ReadonlyArray<string>;
}

function minutesOf(clock: string): number {
  const [h, m] = clock.split(':').map(Number);
  return h * 60 + m;
}

/** Whether the local time of `nowMs` in `timezone` is in [from, to); windows may wrap midnight; from = to is all day. */
export function inLocalWindow(nowMs: number, w: { from: string; to: string; timezone: string }): boolean {
  const minute = Math.floor(localHour(nowMs, w.timezone) * 60 + 1e-9) % 1440;
  const from = minutesOf(w.from);
  const to = minutesOf(w.to);
  if (from === to) return true;
  return from < to ? minute >= from && minute < to : minute >= from || minute < to;
}

export function ruleMatches(r: RouteConfig, a: Routable, department: string | null, nowMs: number): boolean {
  if (severityRank(a.severity) < severityRank(r.minSeverity)) return false;
  if (r.detectors && r.detectors.length > 0 && !a.detectors.some((d) => r.detectors!.includes(d))) return false;
  if (r.departments && r.departments.length > 0 && (department === null || !r.departments.includes(department))) return false;
  if (r.hours && !inLocalWindow(nowMs, r.hours)) return false;
  if (r.quietHours && inLocalWindow(nowMs, r.quietHours) && severityRank(a.severity) < severityRank(r.quietHours.minSeverity)) return false;
  return true;
}

export function routeAlert(routes: ReadonlyArray<RouteConfig>, a: Routable, department: string | null, nowMs: number): Target[] {
  const out = new Map<string, Target>();
  for (const r of routes) {
    if (!ruleMatches(r, a, department, nowMs)) continue;
    for (const channel of r.channels) {
      if (!out.has(channel)) {
        out.set(channel, { channel, route: r.name, escalateAfterMs: r.escalateAfterMs, escalateTo: r.escalateTo && r.escalateTo.length > 0 ? [...r.escalateTo] : [channel] });
      }
    }
  }
  return [...out.values()];
}

/** Whether any rule looks at departments (then the directory is read). */
export function needsDepartments(routes: ReadonlyArray<RouteConfig>): boolean {
  return routes.some((r) => (r.departments?.length ?? 0) > 0);
}
