// Acting on an alert: the lifecycle action with the suppression or expectation adjustment a verdict may
// bring, checked whole before anything is stored, refused to the person the alert is about, audited.
import type { AlertRecord } from '../alerts';
import { MS_PER_DAY } from '../calendar';
import type { DirectoryIndex } from '../directory';
import { TriageError } from '../errors';
import { MAX_DAYS as MAX_ADJUSTMENT_DAYS, type AdjustmentKind } from '../detect';
import { alertAdjustments, peerGroupOf, type AlertAdjustments } from './adjustment-views';
import { adjustmentRefusal, createAdjustment, defaultFactor, listAdjustments, type Adjustment, type NewAdjustment } from './adjustments';
import { alertById, view, type AlertView } from './alert-reads';
import type { Actor } from './audit';
import { actionsOf, deriveState, recordAction, refusal, type ActionInput, type TriageState } from './lifecycle';
import { auditAs, directoryOf, parts, type TriageDeps } from './service-deps';
import { createSuppression, suppressionRefusal, type NewSuppression, type Suppression } from './suppressions';
import { findUser } from './users';

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
  await auditAs(deps, actor, now, `alert.${req.action}`, alertId, { assignee: req.assignee, disposition: req.disposition, note: req.note, snoozeUntil: req.snoozeUntil, suppression: suppression?.id, adjustment: adjustment?.id });
  if (suppression) await auditAs(deps, actor, now, 'suppression.create', suppression.id, { alertId, scope: suppression.scope, until: new Date(suppression.until).toISOString() });
  if (adjustment) await auditAs(deps, actor, now, 'adjustment.create', adjustment.id, adjustmentDetails(adjustment));
  const [actions, who, adjustments] = await Promise.all([actionsOf(deps.ch, [alertId]), directoryOf(deps), listAdjustments(deps.ch)]);
  const after = deriveState(actions.get(alertId) ?? [], now);
  return { ...view(a, after, deps, who), history: after.history, adjustments: alertAdjustments(adjustments, a, who, deps.pseudonyms, now) };
}

/** What the audit trail keeps of an adjustment (the subject as stored: an employee id is what `target`s and reveals use elsewhere too). */
function adjustmentDetails(a: Adjustment): Record<string, unknown> {
  return { alertId: a.alertId, kind: a.kind, scope: a.scope, subject: a.subject, factor: a.factor, from: new Date(a.from).toISOString(), until: new Date(a.until).toISOString(), reason: a.reason };
}
