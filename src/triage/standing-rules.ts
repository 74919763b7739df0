// Suppressions and expectation adjustments by hand: listed with whether they are in force, made or
// ended outside a verdict (a verdict's own are made in alert-actions.ts), audited.
import { TriageError } from '../errors';
import { adjustmentView, type AdjustmentView } from './adjustment-views';
import { listAdjustments, revokeAdjustment } from './adjustments';
import type { Actor } from './audit';
import { auditAs, parts, resolveUser, type TriageDeps } from './service-deps';
import { createSuppression, listSuppressions, revokeSuppression, suppressionRefusal, type NewSuppression, type Suppression } from './suppressions';

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
  await auditAs(deps, actor, now, 'suppression.create', created.id, { scope: created.scope, until: new Date(created.until).toISOString() });
  return { ...created, user: deps.pseudonyms.of(created.user), active: true };
}

export async function revokeSuppressionById(deps: TriageDeps, actor: Actor, id: string): Promise<SuppressionView> {
  const now = (deps.now ?? Date.now)();
  const s = (await listSuppressions(deps.ch)).find((x) => x.id === id);
  if (!s) throw new TriageError('TRIAGE_NOT_FOUND', `no suppression ${id}`);
  if (s.revokedAt !== null) throw new TriageError('TRIAGE_CONFLICT', `suppression ${id} was already revoked`);
  const revoked = await revokeSuppression(deps.ch, s, actor.name, now);
  await auditAs(deps, actor, now, 'suppression.revoke', id, {});
  return { ...revoked, user: deps.pseudonyms.of(revoked.user), active: false };
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
  // The pages hold what they show (shownAdjustments): this process's pages see the revoke at once.
  parts(deps).reads.changed([a.alertId]);
  await auditAs(deps, actor, now, 'adjustment.revoke', id, { alertId: a.alertId, scope: a.scope, subject: a.subject, reason: reason ?? '' });
  return adjustmentView(revoked, deps.pseudonyms, now);
}
