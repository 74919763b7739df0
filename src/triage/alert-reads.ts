// Reading alerts: the queue (summaries, filtered, sorted and paged in ClickHouse) and one alert with its
// evidence (audited). Employees are shown as pseudonyms; reads are shared through the read cache.
import {
  alertSummaries,
  defaultDir,
  getAlert,
  listingCursor,
  listingEpoch,
  listingPageAndCount,
  readListingCursor,
  type AlertRecord,
  type AlertSummaryRecord,
  type ListingFilter,
  type ListingOrder,
  type Severity,
  type SortDir,
  type SortKey,
} from '../alerts';
import type { DirectoryIndex } from '../directory';
import { TriageError } from '../errors';
import { alertAdjustments, shownAdjustments, type AlertAdjustments } from './adjustment-views';
import type { Actor } from './audit';
import { actionsOf, deriveState, statesOf, type AlertStatus, type TriageState } from './lifecycle';
import { auditAs, directoryOf, parts, resolveUsers, type TriageDeps } from './service-deps';

/**
 * How long a queue page is held without a change heard of, and how much longer it may be answered while
 * it is read again: what only time changes (a snooze ending) shows that late at most.
 */
const QUEUE_TTL_MS = 1000;
const QUEUE_STALE_MS = 4000;
/** How long an alert and its actions are held without a change heard of. */
const ALERT_TTL_MS = 60_000;

export interface AlertView extends Omit<AlertRecord, 'user'> {
  /** The pseudonym, or the id when pseudonymisation is off. */
  user: string;
  department: string | null;
  role: string | null;
  triage: Omit<TriageState, 'history'>;
}

/** Fields of an alert that show what was taken and how: only in an audited view of one alert. */
export const EVIDENCE_FIELDS = ['explanation', 'findings', 'evidence', 'triggerEventId'] as const;

/** An alert in a list: numbers, detectors, window and triage state, nothing of the evidence. */
export type AlertSummary = Omit<AlertView, (typeof EVIDENCE_FIELDS)[number]>;

export function summaryOf(v: AlertView): AlertSummary {
  const { explanation: _e, findings: _f, evidence: _v, triggerEventId: _t, ...summary } = v;
  return summary;
}

export interface AlertQuery {
  status?: AlertStatus;
  /** Exactly this severity. */
  severity?: Severity;
  /** This severity or worse. */
  minSeverity?: Severity;
  /** An id or a pseudonym. */
  user?: string;
  department?: string;
  detector?: string;
  from?: number;
  to?: number;
  /** One alert, as a summary (the alert page's polling fallback: no evidence, so no audit entry). */
  alert?: string;
  /** Default: newest window first (then by score). */
  sort?: SortKey;
  dir?: SortDir;
  limit: number;
  /** Rows to skip (exact, but deep pages cost what they skip): prefer `cursor`. */
  offset?: number;
  /** The `nextCursor` of the page before: the page after it (keyset). */
  cursor?: string;
}

export interface AlertPage {
  items: AlertSummary[];
  /** How many alerts match, exactly. */
  total: number;
  /** Where the next page starts (pass as `cursor`), null on the last page. */
  nextCursor: string | null;
}

/** An alert as analysts see it: employees (and the people behind a shared role) as pseudonyms, with directory fields and triage state. */
export function view<A extends AlertSummaryRecord & Partial<Pick<AlertRecord, 'explanation' | 'evidence'>>>(
  a: A,
  state: TriageState,
  deps: TriageDeps,
  who: DirectoryIndex,
): Omit<A, 'user'> & { user: string; department: string | null; role: string | null; triage: Omit<TriageState, 'history'> } {
  const { history: _, ...triage } = state;
  const p = who.byId.get(a.user);
  // The people behind a shared database role (evidence.identities) are employees too: pseudonymised alike.
  const identities = a.evidence?.identities;
  const people = [a.user, ...(identities ?? []).map((i) => i.identity)];
  const pseudonymise = (text: string) => (deps.pseudonyms.enabled ? people.reduce((t, id) => t.split(id).join(deps.pseudonyms.of(id)), text) : text);
  const explained = a.explanation === undefined ? {} : { explanation: pseudonymise(a.explanation) };
  const evidence = a.evidence && identities ? { evidence: { ...a.evidence, identities: identities.map((i) => ({ ...i, identity: deps.pseudonyms.of(i.identity) })) } } : {};
  return { ...a, ...explained, ...evidence, user: deps.pseudonyms.of(a.user), department: p?.department ?? null, role: p?.role ?? null, triage };
}

/** Summaries of these alerts in this order (ids no longer stored are left out), with their triage state. */
export async function summariesOf(deps: TriageDeps, ids: ReadonlyArray<string>, now: number): Promise<AlertSummary[]> {
  if (ids.length === 0) return [];
  const [alerts, states, who] = await Promise.all([alertSummaries(deps.ch, ids), statesOf(deps.ch, ids, now), directoryOf(deps)]);
  return ids.flatMap((id) => {
    const a = alerts.get(id);
    return a ? [view(a, states.get(id)!, deps, who)] : [];
  });
}

/**
 * Current alerts as summaries (not audited: no evidence in them): filtered, sorted, counted and paged in
 * ClickHouse over every alert (src/alerts/listing.ts), the total exact. Identical queries running at the
 * same moment share one answer (not across a write made by this process in between).
 */
export async function queryAlerts(deps: TriageDeps, q: AlertQuery): Promise<AlertPage> {
  const now = (deps.now ?? Date.now)();
  const order: ListingOrder = { sort: q.sort ?? 'window', dir: q.dir ?? defaultDir(q.sort ?? 'window') };
  const after = q.cursor === undefined ? undefined : readListingCursor(order, q.cursor);
  if (after === null) throw new TriageError('TRIAGE_INVALID', 'the cursor is not one this listing gave for this sort and direction: start again from the first page');
  const filter: ListingFilter = { status: q.status, severity: q.severity, minSeverity: q.minSeverity, detector: q.detector, from: q.from, to: q.to };
  if (q.alert !== undefined) filter.ids = [q.alert];
  if (q.user !== undefined) filter.users = await resolveUsers(deps, q.user);
  if (q.department !== undefined) {
    const { version } = await directoryOf(deps);
    // No directory: no department has anyone in it.
    if (version === null) filter.users = [];
    else filter.department = { version, name: q.department };
  }
  const page = { limit: q.limit, offset: after ? undefined : q.offset, after };
  const key = JSON.stringify(['queue', filter, order, page, listingEpoch(deps.ch), deps.pseudonyms.keyId]);
  // Held until any alert changes (and for QUEUE_TTL_MS at most, then answered up to QUEUE_STALE_MS more
  // while one read replaces it): twenty dashboards on the queue share one read.
  return parts(deps).reads.get(key, 'any', QUEUE_TTL_MS, async () => {
    // One more row than asked: whether there is a next page without a second count.
    const { total, rows } = await listingPageAndCount(deps.ch, filter, order, { ...page, limit: q.limit + 1 }, now);
    const shown = rows.slice(0, q.limit);
    const items = await summariesOf(deps, shown.map((r) => r.alertId), now);
    const last = shown[shown.length - 1];
    return { items, total, nextCursor: rows.length > q.limit && last ? listingCursor(order, last.key) : null };
  }, undefined, { staleMs: QUEUE_STALE_MS });
}

export async function alertById(deps: TriageDeps, alertId: string): Promise<AlertRecord> {
  // The alert page asks for the alert and its series at once: they share one read, held until the alert
  // changes (not across a write made by this process in between). An unknown id is not held.
  const key = JSON.stringify(['alert', alertId, listingEpoch(deps.ch)]);
  const found = await parts(deps).reads.get(key, [alertId], ALERT_TTL_MS, () => getAlert(deps.ch, alertId), (a) => a !== null);
  if (!found) throw new TriageError('TRIAGE_NOT_FOUND', `no alert ${alertId}`, { alertId });
  return found;
}

/** One alert with its evidence, triage state and history. Audited: a view of evidence about a person. */
export async function showAlert(deps: TriageDeps, actor: Actor, alertId: string): Promise<AlertView & { history: TriageState['history']; adjustments: AlertAdjustments }> {
  const now = (deps.now ?? Date.now)();
  // Independent reads, side by side (an unknown id is still refused by alertById).
  const actionsKey = JSON.stringify(['actions', alertId, listingEpoch(deps.ch)]);
  const [a, actions, who, adjustments] = await Promise.all([
    alertById(deps, alertId),
    parts(deps).reads.get(actionsKey, [alertId], ALERT_TTL_MS, async () => (await actionsOf(deps.ch, [alertId])).get(alertId) ?? []),
    directoryOf(deps),
    shownAdjustments(deps),
  ]);
  const state = deriveState(actions, now);
  await auditAs(deps, actor, now, 'alert.view', alertId, {});
  return { ...view(a, state, deps, who), history: state.history, adjustments: alertAdjustments(adjustments, a, who, deps.pseudonyms, now) };
}
