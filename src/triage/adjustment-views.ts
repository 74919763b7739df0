// Expectation adjustments as analysts see them: employees as pseudonyms, whether each is in force, the
// ones an alert made and the ones that applied to it, and the ones of an employee and their peer group.
import { dayOf, MS_PER_DAY } from '../calendar';
import { peerGroupKey } from '../detect';
import type { DirectoryIndex } from '../directory';
import { listingEpoch } from '../alerts';
import { adjustmentActive, listAdjustments, type Adjustment } from './adjustments';
import type { Pseudonyms } from './pseudonyms';
import { parts, type TriageDeps } from './service-deps';

/**
 * How long the pages hold the adjustments they show without a change heard of. A resolve that creates
 * one changes its alert (which drops them here and, through the change feed, in every API process); a
 * revoke drops them in the process that made it and shows elsewhere within this time. What the detector
 * applies and what an action checks are always read fresh.
 */
const SHOWN_TTL_MS = 10_000;

/** Every adjustment, as the alert and employee pages show them: held between changes (read-cache.ts). */
export function shownAdjustments(deps: TriageDeps): Promise<Adjustment[]> {
  return parts(deps).reads.get(JSON.stringify(['adjustments', listingEpoch(deps.ch)]), 'any', SHOWN_TTL_MS, () => listAdjustments(deps.ch));
}

export interface AdjustmentView extends Adjustment {
  /** In force now: not revoked and not ended. */
  active: boolean;
}

export function adjustmentView(a: Adjustment, pseudonyms: Pseudonyms, now: number): AdjustmentView {
  return { ...a, subject: a.scope === 'user' ? pseudonyms.of(a.subject) : a.subject, active: adjustmentActive(a, now) };
}

/** The peer group key of an employee as the detector groups peers ("Department/Role"), or null without one. */
export function peerGroupOf(who: DirectoryIndex, user: string): string | null {
  const p = who.byId.get(user);
  if (!p || p.department === '' || p.role === '') return null;
  return peerGroupKey(p);
}

/** Whether the adjustment concerns this employee (theirs, or their peer group's). */
function concerns(a: Adjustment, user: string, group: string | null): boolean {
  return a.scope === 'user' ? a.subject === user : group !== null && a.subject === group;
}

export interface AlertAdjustments {
  /** Made by resolving this alert. */
  made: AdjustmentView[];
  /** In force for the alert's person on its days when it was last revised (the detector judged it with them). */
  applied: AdjustmentView[];
}

export function alertAdjustments(
  all: ReadonlyArray<Adjustment>,
  alert: { alertId: string; user: string; windowStart: number; windowEnd: number; updatedAtWall: number },
  who: DirectoryIndex,
  pseudonyms: Pseudonyms,
  now: number,
): AlertAdjustments {
  const group = peerGroupOf(who, alert.user);
  const lastDay = dayOf(alert.windowEnd - 1);
  const applied = all.filter(
    (a) =>
      a.alertId !== alert.alertId &&
      concerns(a, alert.user, group) &&
      a.from <= lastDay * MS_PER_DAY &&
      a.until > lastDay * MS_PER_DAY &&
      a.createdAt <= alert.updatedAtWall &&
      (a.revokedAt === null || a.revokedAt > alert.updatedAtWall),
  );
  return {
    made: all.filter((a) => a.alertId === alert.alertId).map((a) => adjustmentView(a, pseudonyms, now)),
    applied: applied.map((a) => adjustmentView(a, pseudonyms, now)),
  };
}

/** An employee's adjustments and their peer group's, newest first, active and past. */
export function employeeAdjustments(all: ReadonlyArray<Adjustment>, user: string, who: DirectoryIndex, pseudonyms: Pseudonyms, now: number): AdjustmentView[] {
  const group = peerGroupOf(who, user);
  return all.filter((a) => concerns(a, user, group)).map((a) => adjustmentView(a, pseudonyms, now));
}
