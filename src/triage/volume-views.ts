// The charts: an employee's daily and hourly volume around an alert, and an employee's page (volume up to
// today and their alerts), each with the usual band and the peers' range. Both audited like the evidence.
import { listingEpoch } from '../alerts';
import { MS_PER_DAY } from '../calendar';
import type { DirectoryIndex } from '../directory';
import { TriageError } from '../errors';
import { employeeAdjustments, shownAdjustments, type AdjustmentView } from './adjustment-views';
import { alertById, queryAlerts, type AlertSummary } from './alert-reads';
import type { Actor } from './audit';
import { auditAs, directoryOf, parts, resolveUser, type TriageDeps } from './service-deps';
import { dailySeries, hoursAround, peerRange, SETTLED_MS, usualBand, type BandParams, type DayBytes, type HourBand, type HourBytes, type PeerRange, type UsualBand } from './volume';

/**
 * How long a series is held: its days are over (SETTLED_MS), but late events and rollup repairs can still
 * add to them, and a held series must not outlive the rollups' retention by more than this.
 */
const SERIES_TTL_MS = 10 * 60_000;

export interface VolumeSeries {
  /** Daily volume of the employee (UTC days, successful queries), oldest first, quiet days as 0. */
  days: DayBytes[];
  /** The usual band of the last day, as the detector judges it (from the days before it). */
  band: UsualBand | null;
  /** The peers' daily range over the same days. */
  peers: PeerRange | null;
}

export interface AlertSeries extends VolumeSeries {
  alertDay: string;
  /** The 48 hours ending with the alert's day, and the employee's usual volume per hour of day before it. */
  hours: HourBytes[];
  hourBand: HourBand[] | null;
  window: { start: number; end: number };
}

async function volumeSeries(deps: TriageDeps, who: DirectoryIndex, user: string, firstDay: number, lastDay: number, baseline: BandParams, now: number): Promise<VolumeSeries> {
  // The band needs baselineDays before the last day, which may be more than the days shown.
  const [history, peers] = await Promise.all([
    // The employee's own days are read every time: a repair of a settled day shows once the alert changes.
    dailySeries(deps.ch, user, Math.min(firstDay, lastDay - baseline.baselineDays), lastDay),
    // Peers are in the employee's department: only those entries are looked through.
    peerRange(deps.ch, user, who.byDepartment.get(who.byId.get(user)?.department ?? '') ?? [], firstDay, lastDay, { cache: parts(deps).peerBytes, version: who.version, now, everyone: who.entries }),
  ]);
  const days = history.slice(history.length - (lastDay - firstDay + 1));
  return { days, band: usualBand(history, days[days.length - 1].day, baseline), peers };
}

/** The employee's daily and hourly volume around the alert, with the usual bands. Audited like the evidence. */
export async function alertSeries(deps: TriageDeps, actor: Actor, alertId: string, baseline: BandParams, days = 42): Promise<AlertSeries> {
  const now = (deps.now ?? Date.now)();
  const [a, who] = await Promise.all([alertById(deps, alertId), directoryOf(deps)]);
  const lastDay = Math.floor((a.windowEnd - 1) / MS_PER_DAY);
  // Once the alert's days are over, what the chart shows no longer changes: computed once and held
  // (until the alert changes, the directory does, or SERIES_TTL_MS). Keyed by all it depends on.
  const key = JSON.stringify(['series', alertId, a.windowStart, a.windowEnd, days, baseline.baselineDays, baseline.minHistoryDays, baseline.sigmaFloor, who.version, listingEpoch(deps.ch)]);
  const settled = (lastDay + 1) * MS_PER_DAY + SETTLED_MS <= now;
  const compute = async (): Promise<AlertSeries> => {
    // Independent reads, side by side.
    const [series, { hours, band }] = await Promise.all([volumeSeries(deps, who, a.user, lastDay - days + 1, lastDay, baseline, now), hoursAround(deps.ch, a.user, lastDay)]);
    return { ...series, alertDay: series.days[series.days.length - 1].day, hours, hourBand: band, window: { start: a.windowStart, end: a.windowEnd } };
  };
  // The audit entry is written before anything is answered, held or not.
  const [series] = await Promise.all([
    parts(deps).reads.get(key, [alertId], SERIES_TTL_MS, compute, () => settled),
    auditAs(deps, actor, now, 'alert.series', alertId, { days }),
  ]);
  return series;
}

export interface EmployeeView extends VolumeSeries {
  /** As the alerts show it: the pseudonym, or the id when pseudonymisation is off. */
  user: string;
  department: string | null;
  role: string | null;
  /** The employee's alerts, newest window first (summaries), at most EMPLOYEE_ALERTS of them. */
  alerts: AlertSummary[];
  /** How many alerts the employee has, exactly (more than `alerts` holds when over EMPLOYEE_ALERTS). */
  alertTotal: number;
  /** Expectation adjustments of the employee and of their peer group, newest first, active and past. */
  adjustments: AdjustmentView[];
}

/** Alerts an employee page lists (the rest are counted, and listed by GET /api/alerts?user=). */
export const EMPLOYEE_ALERTS = 500;

/** An employee's history: daily volume up to today with the usual band and peers, and their alerts. Audited. */
export async function employeeView(deps: TriageDeps, actor: Actor, user: string, baseline: BandParams, days = 90): Promise<EmployeeView> {
  const now = (deps.now ?? Date.now)();
  const who = await directoryOf(deps);
  const id = await resolveUser(deps, user);
  if (id === null) throw new TriageError('TRIAGE_NOT_FOUND', `no employee ${user}`, { user });
  const today = Math.floor(now / MS_PER_DAY);
  const [series, listed, adjustments] = await Promise.all([volumeSeries(deps, who, id, today - days + 1, today, baseline, now), queryAlerts(deps, { user, limit: EMPLOYEE_ALERTS }), shownAdjustments(deps)]);
  await auditAs(deps, actor, now, 'employee.view', deps.pseudonyms.of(id), { days });
  const p = who.byId.get(id);
  return {
    ...series,
    user: deps.pseudonyms.of(id),
    department: p?.department ?? null,
    role: p?.role ?? null,
    alerts: listed.items,
    alertTotal: listed.total,
    adjustments: employeeAdjustments(adjustments, id, who, deps.pseudonyms, now),
  };
}
