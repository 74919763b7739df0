// What analysts can do, as the HTTP API and the CLI both do it: read alerts (with their triage state,
// employees shown as pseudonyms), act on them, manage suppressions, reveal a pseudonym (users and tokens:
// accounts.ts). Every action and every view of an alert's evidence is written to the audit trail with
// who, when and from where. Lists carry summaries only (AlertSummary: what a page carries, no
// explanation, findings or evidence); the evidence is reached one alert at a time, audited.
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
import { MS_PER_DAY } from '../calendar';
import { createDirectoryCache, type DirectoryCache, type DirectoryIndex } from '../directory';
import { TriageError } from '../errors';
import { sql, type ClickHouse } from '../store';
import { MAX_DAYS as MAX_ADJUSTMENT_DAYS, type AdjustmentKind } from '../detect';
import { alertAdjustments, adjustmentView, employeeAdjustments, peerGroupOf, type AdjustmentView, type AlertAdjustments } from './adjustment-views';
import { adjustmentRefusal, createAdjustment, defaultFactor, listAdjustments, revokeAdjustment, type Adjustment, type NewAdjustment } from './adjustments';
import { audit, entryOf, type Actor } from './audit';
import { actionsOf, deriveState, recordAction, refusal, statesOf, type ActionInput, type AlertStatus, type TriageState } from './lifecycle';
import { createPseudonymMap, type PseudonymMap } from './pseudonym-map';
import { createReadCache, type ReadCache } from './read-cache';
import type { Pseudonyms } from './pseudonyms';
import { createSuppression, listSuppressions, revokeSuppression, suppressionRefusal, type NewSuppression, type Suppression } from './suppressions';
import { findUser } from './users';
import { createPeerBytesCache, dailySeries, hoursAround, peerRange, usualBand, type BandParams, type PeerBytesCache, type DayBytes, type HourBand, type HourBytes, type PeerRange, type UsualBand } from './volume';

export interface TriageDeps {
  ch: ClickHouse;
  pseudonyms: Pseudonyms;
  now?: () => number;
  /** The directory by version (default: one per deps object, asking ClickHouse for the version on each use). */
  directory?: DirectoryCache;
  /** Pseudonym -> employee ids (default: one per deps object). */
  pseudonymMap?: PseudonymMap;
  /** Peer groups' daily volume, shared briefly by their members' charts (default: one per deps object). */
  peerBytes?: PeerBytesCache;
  /**
   * What the alert page and the queue read, held between changes (read-cache.ts). Default: one per deps
   * object that holds nothing (nobody tells it of changes made elsewhere) and only shares reads in flight.
   */
  reads?: ReadCache;
}

// Defaults made once per deps object, so that callers that build `{ ch, pseudonyms }` get the caches too.
type Parts = { directory: DirectoryCache; pseudonymMap: PseudonymMap; peerBytes: PeerBytesCache; reads: ReadCache };
const defaults = new WeakMap<TriageDeps, Parts>();
function parts(deps: TriageDeps): Parts {
  if (deps.directory && deps.pseudonymMap && deps.peerBytes && deps.reads) return { directory: deps.directory, pseudonymMap: deps.pseudonymMap, peerBytes: deps.peerBytes, reads: deps.reads };
  let d = defaults.get(deps);
  if (!d) {
    d = {
      directory: createDirectoryCache(deps.ch),
      pseudonymMap: createPseudonymMap(deps.ch, deps.pseudonyms, { now: deps.now }),
      peerBytes: createPeerBytesCache(),
      reads: createReadCache({ trusted: () => false }),
    };
    defaults.set(deps, d);
  }
  return { directory: deps.directory ?? d.directory, pseudonymMap: deps.pseudonymMap ?? d.pseudonymMap, peerBytes: deps.peerBytes ?? d.peerBytes, reads: deps.reads ?? d.reads };
}

/**
 * How long a queue page is held without a change heard of, and how much longer it may be answered while
 * it is read again: what only time changes (a snooze ending) shows that late at most.
 */
const QUEUE_TTL_MS = 1000;
const QUEUE_STALE_MS = 4000;
/** How long an alert and its actions are held without a change heard of. */
const ALERT_TTL_MS = 60_000;
/**
 * How long a series is held: its days are over (SETTLED_MS), but late events and rollup repairs can still
 * add to them, and a held series must not outlive the rollups' retention by more than this.
 */
const SERIES_TTL_MS = 10 * 60_000;
/** A series is held only when the alert's last day ended this long ago (its rollups no longer grow). */
const SETTLED_MS = MS_PER_DAY;

/** The current directory, indexed (read again only when a load made a new version). */
export function directoryOf(deps: TriageDeps): Promise<DirectoryIndex> {
  return parts(deps).directory.current();
}

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

/** The employee ids behind `user` (an id, or a pseudonym when pseudonymisation is on); [] when unknown. */
async function resolveUsers(deps: TriageDeps, user: string): Promise<string[]> {
  return parts(deps).pseudonymMap.usersOf(user);
}

/** One id, for what names one employee (a reveal, a suppression, an employee page), or null. */
async function resolveUser(deps: TriageDeps, user: string): Promise<string | null> {
  if (!deps.pseudonyms.enabled) {
    // Without pseudonyms the id is typed as it is: known when the directory or an alert has it.
    if ((await directoryOf(deps)).byId.has(user)) return user;
    const [row] = await deps.ch.query<{ n: string }>(sql`SELECT count() AS n FROM alert_listing WHERE user = ${user}`);
    return Number(row?.n ?? 0) > 0 ? user : null;
  }
  return (await resolveUsers(deps, user))[0] ?? null;
}

function view<A extends AlertSummaryRecord & Partial<Pick<AlertRecord, 'explanation' | 'evidence'>>>(
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

async function alertById(deps: TriageDeps, alertId: string): Promise<AlertRecord> {
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
    listAdjustments(deps.ch),
  ]);
  const state = deriveState(actions, now);
  await audit(deps.ch, entryOf(actor, now, 'alert.view', alertId, {}));
  return { ...view(a, state, deps, who), history: state.history, adjustments: alertAdjustments(adjustments, a, who, deps.pseudonyms, now) };
}

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

async function volumeSeries(deps: TriageDeps, who: DirectoryIndex, user: string, firstDay: number, lastDay: number, baseline: BandParams): Promise<VolumeSeries> {
  // The band needs baselineDays before the last day, which may be more than the days shown.
  const [history, peers] = await Promise.all([
    dailySeries(deps.ch, user, Math.min(firstDay, lastDay - baseline.baselineDays), lastDay),
    // Peers are in the employee's department: only those entries are looked through.
    peerRange(deps.ch, user, who.byDepartment.get(who.byId.get(user)?.department ?? '') ?? [], firstDay, lastDay, { cache: parts(deps).peerBytes, version: who.version }),
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
    const [series, { hours, band }] = await Promise.all([volumeSeries(deps, who, a.user, lastDay - days + 1, lastDay, baseline), hoursAround(deps.ch, a.user, lastDay)]);
    return { ...series, alertDay: series.days[series.days.length - 1].day, hours, hourBand: band, window: { start: a.windowStart, end: a.windowEnd } };
  };
  // The audit entry is written before anything is answered, held or not.
  const [series] = await Promise.all([
    parts(deps).reads.get(key, [alertId], SERIES_TTL_MS, compute, () => settled),
    audit(deps.ch, entryOf(actor, now, 'alert.series', alertId, { days })),
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
  const [series, listed, adjustments] = await Promise.all([volumeSeries(deps, who, id, today - days + 1, today, baseline), queryAlerts(deps, { user, limit: EMPLOYEE_ALERTS }), listAdjustments(deps.ch)]);
  await audit(deps.ch, entryOf(actor, now, 'employee.view', deps.pseudonyms.of(id), { days }));
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

export interface ActRequest extends ActionInput {
  /** With resolve (false positive or expected activity): suppress the pattern too. */
  suppress?: Omit<NewSuppression, 'user' | 'alertId'>;
  /** With resolve (false positive or expected activity): raise the person's or their peer group's expected volume for a while. */
  adjust?: AdjustRequest;
}

export interface AdjustRequest {
  /** expected_for_role: the alerted person's peer group (department and role); project_work: the person. */
  kind: AdjustmentKind;
  /** The end (exclusive, rounded up to a UTC midnight); default for expected_for_role: MAX_DAYS from today; required for project_work. */
  until?: number;
  /** Default: enough to cover the alerted volume (defaultFactor). */
  factor?: number;
  /** Default: the resolution's note, else the kind. */
  reason?: string;
}

const VERDICTS_THAT_ADJUST = ['false_positive', 'expected_activity'];

/** Actions that close an alert or hide it for a while: never taken by the person the alert is about. */
const ACTIONS_THAT_CLOSE = ['resolve', 'snooze'];

/**
 * Why the actor may not take this action on this alert, or null: an insider with an analyst's token must
 * not close, snooze or adjust an alert about themselves, nor raise their own peer group's expectation
 * through a colleague's alert. API user names and employee ids are compared whatever their case.
 */
function selfRefusal(actor: Actor, a: AlertRecord, req: ActRequest, who: DirectoryIndex): string | null {
  const me = actor.name.toLowerCase();
  if (a.user.toLowerCase() === me && (ACTIONS_THAT_CLOSE.includes(req.action) || req.adjust || req.suppress)) {
    return `you cannot ${req.action} an alert about yourself; ask another analyst`;
  }
  if (req.adjust?.kind === 'expected_for_role') {
    const group = peerGroupOf(who, a.user);
    const mine = who.byId.has(actor.name) ? actor.name : [...who.byId.keys()].find((id) => id.toLowerCase() === me);
    if (group !== null && mine !== undefined && peerGroupOf(who, mine) === group) {
      return `you cannot raise the expectation of your own peer group (${group}); ask another analyst`;
    }
  }
  return null;
}

/** The adjustment a verdict asks for, checked (nothing is stored yet). */
async function adjustmentFor(deps: TriageDeps, a: AlertRecord, req: ActRequest & { adjust: AdjustRequest }, now: number): Promise<NewAdjustment> {
  if (req.action !== 'resolve' || !VERDICTS_THAT_ADJUST.includes(req.disposition ?? '')) {
    throw new TriageError('TRIAGE_INVALID', 'an expectation adjustment comes with resolving as false_positive or expected_activity');
  }
  const { kind } = req.adjust;
  if (kind === 'project_work' && req.adjust.until === undefined) throw new TriageError('TRIAGE_INVALID', 'project work needs an end date (until)');
  let subject = a.user;
  if (kind === 'expected_for_role') {
    const group = peerGroupOf(await directoryOf(deps), a.user);
    if (group === null) throw new TriageError('TRIAGE_INVALID', 'the employee has no peer group in the directory (department and role): adjust for the person (project_work) instead');
    subject = group;
  }
  const until = req.adjust.until ?? (Math.floor(now / MS_PER_DAY) + 1 + MAX_ADJUSTMENT_DAYS) * MS_PER_DAY;
  const wanted: NewAdjustment = {
    kind,
    subject,
    factor: req.adjust.factor ?? defaultFactor(a.findings, a.ratio),
    from: a.windowStart,
    until,
    reason: (req.adjust.reason ?? req.note ?? '').trim() || (kind === 'project_work' ? 'project work' : 'expected for the role'),
    alertId: a.alertId,
  };
  const bad = adjustmentRefusal(wanted, now);
  if (bad) throw new TriageError('TRIAGE_INVALID', bad);
  return wanted;
}

/** An assignee is an active API user; their name as stored (whatever case it was typed in). */
async function knownAssignee(deps: TriageDeps, name: string): Promise<string> {
  const user = await findUser(deps.ch, name);
  if (!user) throw new TriageError('TRIAGE_INVALID', `no user ${name}: an alert is assigned to an API user (insider users list)`, { assignee: name });
  if (user.disabled) throw new TriageError('TRIAGE_INVALID', `${user.name} is disabled: assign the alert to an active user`, { assignee: name });
  return user.name;
}

/**
 * Records one lifecycle action (and an optional suppression), audited, and returns the alert as it now
 * is, with its history and evidence (the action's audit entry covers that view). Refused transitions are
 * conflicts.
 */
export async function actOnAlert(deps: TriageDeps, actor: Actor, alertId: string, request: ActRequest): Promise<AlertView & { history: TriageState['history']; adjustments: AlertAdjustments }> {
  const now = (deps.now ?? Date.now)();
  const a = await alertById(deps, alertId);
  const before = deriveState((await actionsOf(deps.ch, [alertId])).get(alertId) ?? [], now);
  const why = refusal(before, request, now);
  if (why) throw new TriageError(why.code, why.message, { alertId, action: request.action });
  const self = selfRefusal(actor, a, request, await directoryOf(deps));
  if (self) throw new TriageError('TRIAGE_CONFLICT', self, { alertId, action: request.action });
  const req = request.action === 'assign' && request.assignee ? { ...request, assignee: await knownAssignee(deps, request.assignee) } : request;
  let suppression: Suppression | undefined;
  if (req.suppress) {
    if (req.action !== 'resolve' || !VERDICTS_THAT_ADJUST.includes(req.disposition ?? '')) {
      throw new TriageError('TRIAGE_INVALID', 'a suppression comes with resolving as false_positive or expected_activity');
    }
    const bad = suppressionRefusal({ ...req.suppress, user: a.user, alertId }, now);
    if (bad) throw new TriageError('TRIAGE_INVALID', bad);
  }
  // Checked before anything is stored: a refused adjustment leaves the alert as it was.
  const wantedAdjustment = req.adjust ? await adjustmentFor(deps, a, { ...req, adjust: req.adjust }, now) : undefined;
  if (req.suppress) suppression = await createSuppression(deps.ch, { ...req.suppress, user: a.user, alertId }, actor.name, now);
  const adjustment = wantedAdjustment ? await createAdjustment(deps.ch, wantedAdjustment, actor.name, now) : undefined;
  await recordAction(deps.ch, alertId, actor.name, { ...req, suppressionId: suppression?.id }, now);
  // Nothing held about the alert (or any queue page) outlives this write.
  parts(deps).reads.changed([alertId]);
  await audit(deps.ch, entryOf(actor, now, `alert.${req.action}`, alertId, { assignee: req.assignee, disposition: req.disposition, note: req.note, snoozeUntil: req.snoozeUntil, suppression: suppression?.id, adjustment: adjustment?.id }));
  if (suppression) await audit(deps.ch, entryOf(actor, now, 'suppression.create', suppression.id, { alertId, scope: suppression.scope, until: new Date(suppression.until).toISOString() }));
  if (adjustment) await audit(deps.ch, entryOf(actor, now, 'adjustment.create', adjustment.id, adjustmentDetails(adjustment)));
  const [actions, who, adjustments] = await Promise.all([actionsOf(deps.ch, [alertId]), directoryOf(deps), listAdjustments(deps.ch)]);
  const after = deriveState(actions.get(alertId) ?? [], now);
  return { ...view(a, after, deps, who), history: after.history, adjustments: alertAdjustments(adjustments, a, who, deps.pseudonyms, now) };
}

export interface SuppressionView extends Omit<Suppression, 'user'> {
  user: string;
  active: boolean;
}

export async function suppressionsView(deps: TriageDeps): Promise<SuppressionView[]> {
  const now = (deps.now ?? Date.now)();
  return (await listSuppressions(deps.ch)).map((s) => ({ ...s, user: deps.pseudonyms.of(s.user), active: s.revokedAt === null && s.until > now }));
}

/** A suppression made by hand (not from a verdict). `user` may be a pseudonym. */
export async function addSuppression(deps: TriageDeps, actor: Actor, s: NewSuppression): Promise<SuppressionView> {
  const now = (deps.now ?? Date.now)();
  const user = await resolveUser(deps, s.user);
  if (user === null) throw new TriageError('TRIAGE_NOT_FOUND', `no employee known as ${s.user}`);
  const bad = suppressionRefusal({ ...s, user }, now);
  if (bad) throw new TriageError('TRIAGE_INVALID', bad);
  const created = await createSuppression(deps.ch, { ...s, user }, actor.name, now);
  await audit(deps.ch, entryOf(actor, now, 'suppression.create', created.id, { scope: created.scope, until: new Date(created.until).toISOString() }));
  return { ...created, user: deps.pseudonyms.of(created.user), active: true };
}

export async function revokeSuppressionById(deps: TriageDeps, actor: Actor, id: string): Promise<SuppressionView> {
  const now = (deps.now ?? Date.now)();
  const s = (await listSuppressions(deps.ch)).find((x) => x.id === id);
  if (!s) throw new TriageError('TRIAGE_NOT_FOUND', `no suppression ${id}`);
  if (s.revokedAt !== null) throw new TriageError('TRIAGE_CONFLICT', `suppression ${id} was already revoked`);
  const revoked = await revokeSuppression(deps.ch, s, actor.name, now);
  await audit(deps.ch, entryOf(actor, now, 'suppression.revoke', id, {}));
  return { ...revoked, user: deps.pseudonyms.of(revoked.user), active: false };
}

/** The employee id behind a pseudonym. Audited, whoever asks and whatever the answer. */
export async function revealPseudonym(deps: TriageDeps, actor: Actor, pseudonym: string): Promise<{ pseudonym: string; user: string }> {
  const now = (deps.now ?? Date.now)();
  const user = await resolveUser(deps, pseudonym);
  await audit(deps.ch, entryOf(actor, now, 'pseudonym.reveal', pseudonym, { found: user !== null }));
  if (user === null) throw new TriageError('TRIAGE_NOT_FOUND', `no employee behind ${pseudonym}`);
  return { pseudonym, user };
}

/** What the audit trail keeps of an adjustment (the subject as stored: an employee id is what `target`s and reveals use elsewhere too). */
function adjustmentDetails(a: Adjustment): Record<string, unknown> {
  return { alertId: a.alertId, kind: a.kind, scope: a.scope, subject: a.subject, factor: a.factor, from: new Date(a.from).toISOString(), until: new Date(a.until).toISOString(), reason: a.reason };
}

/** Every expectation adjustment, newest first, with whether it is in force. */
export async function adjustmentsView(deps: TriageDeps): Promise<AdjustmentView[]> {
  const now = (deps.now ?? Date.now)();
  return (await listAdjustments(deps.ch)).map((a) => adjustmentView(a, deps.pseudonyms, now));
}

/** Ends an adjustment now (a 'revoked' row): the detector stops applying it on its next refresh. Audited. */
export async function revokeAdjustmentById(deps: TriageDeps, actor: Actor, id: string, reason?: string): Promise<AdjustmentView> {
  const now = (deps.now ?? Date.now)();
  const a = (await listAdjustments(deps.ch)).find((x) => x.id === id);
  if (!a) throw new TriageError('TRIAGE_NOT_FOUND', `no adjustment ${id}`);
  if (a.revokedAt !== null) throw new TriageError('TRIAGE_CONFLICT', `adjustment ${id} was already revoked`);
  const revoked = await revokeAdjustment(deps.ch, a, actor.name, now);
  await audit(deps.ch, entryOf(actor, now, 'adjustment.revoke', id, { alertId: a.alertId, scope: a.scope, subject: a.subject, reason: reason ?? '' }));
  return adjustmentView(revoked, deps.pseudonyms, now);
}
