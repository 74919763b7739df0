// What analysts can do, as the HTTP API and the CLI both do it: read alerts (with their triage state,
// employees shown as pseudonyms), act on them, manage suppressions, reveal a pseudonym (users and tokens:
// accounts.ts). Every action and every view of an alert's evidence is written to the audit trail with
// who, when and from where. Lists carry summaries only (AlertSummary: what a page carries, no
// explanation, findings or evidence); the evidence is reached one alert at a time, audited.
import { getAlert, listAlerts, type AlertRecord, type Severity } from '../alerts';
import { MS_PER_DAY } from '../calendar';
import { currentDirectory, type DirectoryEntry } from '../directory';
import { TriageError } from '../errors';
import { sql, type ClickHouse } from '../store';
import { audit, entryOf, type Actor } from './audit';
import { actionsOf, deriveState, recordAction, refusal, statesOf, type ActionInput, type AlertStatus, type TriageState } from './lifecycle';
import type { Pseudonyms } from './pseudonyms';
import { createSuppression, listSuppressions, revokeSuppression, suppressionRefusal, type NewSuppression, type Suppression } from './suppressions';
import { findUser } from './users';
import { dailySeries, hourBand, hourlySeries, peerRange, usualBand, type BandParams, type DayBytes, type HourBand, type HourBytes, type PeerRange, type UsualBand } from './volume';

export interface TriageDeps {
  ch: ClickHouse;
  pseudonyms: Pseudonyms;
  now?: () => number;
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
  severity?: Severity;
  /** An id or a pseudonym. */
  user?: string;
  department?: string;
  detector?: string;
  from?: number;
  to?: number;
  limit: number;
  offset: number;
}

/** Alerts considered per query before the status filter and paging (alerts are tens a day, not millions). */
const SCAN_LIMIT = 10_000;

async function people(ch: ClickHouse): Promise<Map<string, { department: string; role: string }>> {
  return peopleOf((await currentDirectory(ch)).entries);
}

function peopleOf(entries: ReadonlyArray<DirectoryEntry>): Map<string, { department: string; role: string }> {
  return new Map(entries.map((e) => [e.id, { department: e.department, role: e.role }]));
}

/** The user id behind `user` (an id, or a pseudonym when pseudonymisation is on), or null when unknown. */
async function resolveUser(deps: TriageDeps, user: string, known: ReadonlyMap<string, unknown>): Promise<string | null> {
  if (!deps.pseudonyms.enabled) return user;
  const alerted = await deps.ch.query<{ user: string }>(sql`SELECT DISTINCT user FROM alerts`);
  return deps.pseudonyms.reveal(user, [...known.keys(), ...alerted.map((r) => r.user)]);
}

function view(a: AlertRecord, state: TriageState, deps: TriageDeps, who: ReadonlyMap<string, { department: string; role: string }>): AlertView {
  const { history: _, ...triage } = state;
  const p = who.get(a.user);
  // The people behind a shared database role (evidence.identities) are employees too: pseudonymised alike.
  const people = [a.user, ...(a.evidence.identities ?? []).map((i) => i.identity)];
  const pseudonymise = (text: string) => (deps.pseudonyms.enabled ? people.reduce((t, id) => t.split(id).join(deps.pseudonyms.of(id)), text) : text);
  const evidence = a.evidence.identities ? { ...a.evidence, identities: a.evidence.identities.map((i) => ({ ...i, identity: deps.pseudonyms.of(i.identity) })) } : a.evidence;
  return { ...a, user: deps.pseudonyms.of(a.user), explanation: pseudonymise(a.explanation), evidence, department: p?.department ?? null, role: p?.role ?? null, triage };
}

/** Current alerts as summaries (not audited: no evidence in them), newest window first. */
export async function queryAlerts(deps: TriageDeps, q: AlertQuery): Promise<{ items: AlertSummary[]; total: number }> {
  const now = (deps.now ?? Date.now)();
  const who = await people(deps.ch);
  let user: string | undefined;
  if (q.user !== undefined) {
    const resolved = await resolveUser(deps, q.user, who);
    if (resolved === null) return { items: [], total: 0 };
    user = resolved;
  }
  let alerts = await listAlerts(deps.ch, { from: q.from, to: q.to, user, detector: q.detector, limit: SCAN_LIMIT });
  if (q.severity !== undefined) alerts = alerts.filter((a) => a.severity === q.severity);
  if (q.department !== undefined) alerts = alerts.filter((a) => who.get(a.user)?.department === q.department);
  const states = await statesOf(deps.ch, alerts.map((a) => a.alertId), now);
  let views = alerts.map((a) => view(a, states.get(a.alertId)!, deps, who));
  if (q.status !== undefined) views = views.filter((v) => v.triage.status === q.status);
  return { items: views.slice(q.offset, q.offset + q.limit).map(summaryOf), total: views.length };
}

async function alertById(deps: TriageDeps, alertId: string): Promise<AlertRecord> {
  const found = await getAlert(deps.ch, alertId);
  if (!found) throw new TriageError('TRIAGE_NOT_FOUND', `no alert ${alertId}`, { alertId });
  return found;
}

/** One alert with its evidence, triage state and history. Audited: a view of evidence about a person. */
export async function showAlert(deps: TriageDeps, actor: Actor, alertId: string): Promise<AlertView & { history: TriageState['history'] }> {
  const now = (deps.now ?? Date.now)();
  const a = await alertById(deps, alertId);
  const actions = (await actionsOf(deps.ch, [alertId])).get(alertId) ?? [];
  const state = deriveState(actions, now);
  await audit(deps.ch, entryOf(actor, now, 'alert.view', alertId, {}));
  return { ...view(a, state, deps, await people(deps.ch)), history: state.history };
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

async function volumeSeries(deps: TriageDeps, entries: ReadonlyArray<DirectoryEntry>, user: string, firstDay: number, lastDay: number, baseline: BandParams): Promise<VolumeSeries> {
  // The band needs baselineDays before the last day, which may be more than the days shown.
  const history = await dailySeries(deps.ch, user, Math.min(firstDay, lastDay - baseline.baselineDays), lastDay);
  const days = history.slice(history.length - (lastDay - firstDay + 1));
  return { days, band: usualBand(history, days[days.length - 1].day, baseline), peers: await peerRange(deps.ch, user, entries, firstDay, lastDay) };
}

/** The employee's daily and hourly volume around the alert, with the usual bands. Audited like the evidence. */
export async function alertSeries(deps: TriageDeps, actor: Actor, alertId: string, baseline: BandParams, days = 42): Promise<AlertSeries> {
  const now = (deps.now ?? Date.now)();
  const a = await alertById(deps, alertId);
  const lastDay = Math.floor((a.windowEnd - 1) / MS_PER_DAY);
  const series = await volumeSeries(deps, (await currentDirectory(deps.ch)).entries, a.user, lastDay - days + 1, lastDay, baseline);
  const hours = await hourlySeries(deps.ch, a.user, (lastDay - 1) * MS_PER_DAY, (lastDay + 1) * MS_PER_DAY);
  const band = await hourBand(deps.ch, a.user, lastDay - 1);
  await audit(deps.ch, entryOf(actor, now, 'alert.series', alertId, { days }));
  return { ...series, alertDay: series.days[series.days.length - 1].day, hours, hourBand: band, window: { start: a.windowStart, end: a.windowEnd } };
}

export interface EmployeeView extends VolumeSeries {
  /** As the alerts show it: the pseudonym, or the id when pseudonymisation is off. */
  user: string;
  department: string | null;
  role: string | null;
  /** Every alert of the employee, newest window first (summaries). */
  alerts: AlertSummary[];
}

/** An employee's history: daily volume up to today with the usual band and peers, and their alerts. Audited. */
export async function employeeView(deps: TriageDeps, actor: Actor, user: string, baseline: BandParams, days = 90): Promise<EmployeeView> {
  const now = (deps.now ?? Date.now)();
  const { entries } = await currentDirectory(deps.ch);
  const who = peopleOf(entries);
  const id = await resolveUser(deps, user, who);
  if (id === null) throw new TriageError('TRIAGE_NOT_FOUND', `no employee ${user}`, { user });
  const today = Math.floor(now / MS_PER_DAY);
  const series = await volumeSeries(deps, entries, id, today - days + 1, today, baseline);
  const { items } = await queryAlerts(deps, { user, limit: SCAN_LIMIT, offset: 0 });
  await audit(deps.ch, entryOf(actor, now, 'employee.view', deps.pseudonyms.of(id), { days }));
  return { ...series, user: deps.pseudonyms.of(id), department: who.get(id)?.department ?? null, role: who.get(id)?.role ?? null, alerts: items };
}

export interface ActRequest extends ActionInput {
  /** With resolve (false positive or expected activity): suppress the pattern too. */
  suppress?: Omit<NewSuppression, 'user' | 'alertId'>;
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
export async function actOnAlert(deps: TriageDeps, actor: Actor, alertId: string, request: ActRequest): Promise<AlertView & { history: TriageState['history'] }> {
  const now = (deps.now ?? Date.now)();
  const a = await alertById(deps, alertId);
  const before = deriveState((await actionsOf(deps.ch, [alertId])).get(alertId) ?? [], now);
  const why = refusal(before, request, now);
  if (why) throw new TriageError(why.includes('required') || why.includes('needs') ? 'TRIAGE_INVALID' : 'TRIAGE_CONFLICT', why, { alertId, action: request.action });
  const req = request.action === 'assign' && request.assignee ? { ...request, assignee: await knownAssignee(deps, request.assignee) } : request;
  let suppression: Suppression | undefined;
  if (req.suppress) {
    if (req.action !== 'resolve' || !['false_positive', 'expected_activity'].includes(req.disposition ?? '')) {
      throw new TriageError('TRIAGE_INVALID', 'a suppression comes with resolving as false_positive or expected_activity');
    }
    const wanted: NewSuppression = { ...req.suppress, user: a.user, alertId };
    const bad = suppressionRefusal(wanted, now);
    if (bad) throw new TriageError('TRIAGE_INVALID', bad);
    suppression = await createSuppression(deps.ch, wanted, actor.name, now);
  }
  await recordAction(deps.ch, alertId, actor.name, { ...req, suppressionId: suppression?.id }, now);
  await audit(deps.ch, entryOf(actor, now, `alert.${req.action}`, alertId, { assignee: req.assignee, disposition: req.disposition, note: req.note, snoozeUntil: req.snoozeUntil, suppression: suppression?.id }));
  if (suppression) await audit(deps.ch, entryOf(actor, now, 'suppression.create', suppression.id, { alertId, scope: suppression.scope, until: new Date(suppression.until).toISOString() }));
  const after = deriveState((await actionsOf(deps.ch, [alertId])).get(alertId) ?? [], now);
  return { ...view(a, after, deps, await people(deps.ch)), history: after.history };
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
  const user = await resolveUser(deps, s.user, await people(deps.ch));
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
  const user = await resolveUser(deps, pseudonym, await people(deps.ch));
  await audit(deps.ch, entryOf(actor, now, 'pseudonym.reveal', pseudonym, { found: user !== null }));
  if (user === null) throw new TriageError('TRIAGE_NOT_FOUND', `no employee behind ${pseudonym}`);
  return { pseudonym, user };
}
