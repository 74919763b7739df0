// Expectation adjustments: a false-positive verdict that also says why ("expected for the role",
// "project work until a date") raises the expected volume of the person, or of their peer group, by a
// bounded factor for a bounded time (src/detect/adjustments.ts says how the detector uses it). Stored
// append-only in expectation_adjustments (migration 0017): a 'created' row, and a 'revoked' row when
// revoked. The kind follows from the scope: a peer group's is "expected for the role", a person's is
// "project work".
import crypto from 'node:crypto';
import { MS_PER_DAY } from '../calendar';
import { boundedFactor, daysOf, MAX_DAYS, MAX_FACTOR, MIN_FACTOR, type AdjustmentKind, type AdjustmentScope, type ExpectationAdjustment } from '../detect';
import { fromDateTime, sql, toDateTime, type ClickHouse } from '../store';
import { foldRuleEvents, type RuleEventRow } from './rule-events';

export const ADJUSTMENT_KINDS = ['expected_for_role', 'project_work'] as const satisfies ReadonlyArray<AdjustmentKind>;
/** adj_<12 hex>, as createAdjustment names them. */
export const ADJUSTMENT_ID = /^adj_[0-9a-f]{12}$/;

export const scopeOfKind = (k: AdjustmentKind): AdjustmentScope => (k === 'expected_for_role' ? 'peer_group' : 'user');
export const kindOfScope = (s: AdjustmentScope): AdjustmentKind => (s === 'peer_group' ? 'expected_for_role' : 'project_work');

export interface Adjustment {
  id: string;
  kind: AdjustmentKind;
  scope: AdjustmentScope;
  /** An employee id (scope user) or "Department/Role" (scope peer_group). */
  subject: string;
  factor: number;
  /** Validity in event time: whole UTC days, from (inclusive) to until (exclusive). */
  from: number;
  until: number;
  reason: string;
  alertId: string;
  createdBy: string;
  createdAt: number;
  revokedBy: string | null;
  revokedAt: number | null;
}

export interface NewAdjustment {
  kind: AdjustmentKind;
  subject: string;
  factor: number;
  from: number;
  until: number;
  reason: string;
  alertId: string;
}

/**
 * The factor a verdict on this alert needs by default: its largest anomaly's multiple of the expected
 * volume with 25% headroom (so the same day again sits well inside the raised expectation), rounded up
 * to a tenth, within [MIN_FACTOR, MAX_FACTOR].
 */
export function defaultFactor(findings: ReadonlyArray<{ kind?: string; multiple: number | null }>, ratio: number): number {
  const multiples = findings.filter((f) => f.kind !== 'policy' && f.kind !== 'watchlist' && f.multiple !== null && Number.isFinite(f.multiple)).map((f) => f.multiple!);
  const needed = Math.max(ratio > 0 && Number.isFinite(ratio) ? ratio : 0, ...multiples, 0);
  const want = needed > 0 ? Math.ceil(needed * 1.25 * 10) / 10 : 2;
  return Math.min(MAX_FACTOR, Math.max(MIN_FACTOR, want));
}

/** Why an adjustment cannot be created as asked, or null. Bounds: MIN_FACTOR..MAX_FACTOR, ending at most MAX_DAYS after `now`. */
export function adjustmentRefusal(a: NewAdjustment, now: number): string | null {
  if (a.subject.trim() === '') return 'the adjustment has no subject (a peer group needs the employee in the directory with a department and role)';
  if (!Number.isFinite(a.factor) || a.factor < MIN_FACTOR || a.factor > MAX_FACTOR) return `the factor must be between ${MIN_FACTOR} and ${MAX_FACTOR}`;
  if (!(a.until > now)) return 'the end of the adjustment (until) must be in the future';
  if (a.until > (Math.floor(now / MS_PER_DAY) + 1 + MAX_DAYS) * MS_PER_DAY) return `an adjustment lasts at most ${MAX_DAYS} days from today: choose an earlier until`;
  if (!(a.until > a.from)) return 'until must be after the start of the alert';
  return null;
}

export async function createAdjustment(ch: ClickHouse, a: NewAdjustment, actor: string, now: number): Promise<Adjustment> {
  const days = daysOf(a.from, a.until);
  const created: Adjustment = {
    id: `adj_${crypto.randomBytes(6).toString('hex')}`,
    kind: a.kind,
    scope: scopeOfKind(a.kind),
    subject: a.subject.trim(),
    factor: Number(a.factor.toFixed(2)),
    from: days.fromDay * MS_PER_DAY,
    until: days.untilDay * MS_PER_DAY,
    reason: a.reason.trim(),
    alertId: a.alertId,
    createdBy: actor,
    createdAt: now,
    revokedBy: null,
    revokedAt: null,
  };
  await ch.insert('expectation_adjustments', [row(created, 'created', actor, now)]);
  return created;
}

export async function revokeAdjustment(ch: ClickHouse, a: Adjustment, actor: string, now: number): Promise<Adjustment> {
  await ch.insert('expectation_adjustments', [row(a, 'revoked', actor, now)]);
  return { ...a, revokedBy: actor, revokedAt: now };
}

function row(a: Adjustment, event: 'created' | 'revoked', actor: string, at: number) {
  return {
    adjustment_id: a.id,
    event,
    at: toDateTime(at),
    actor,
    scope: a.scope,
    subject: a.subject,
    factor: a.factor,
    valid_from: toDateTime(a.from),
    until: toDateTime(a.until),
    reason: a.reason,
    alert_id: a.alertId,
  };
}

interface Row extends RuleEventRow {
  adjustment_id: string;
  scope: AdjustmentScope;
  subject: string;
  factor: number;
  valid_from: string;
  until: string;
  reason: string;
  alert_id: string;
}

/** Every adjustment with its revocation, newest first. Creations are read before revocations: a revocation stamped by a clock behind the creator's still finds its adjustment. */
export async function listAdjustments(ch: ClickHouse): Promise<Adjustment[]> {
  const rows = await ch.query<Row>(sql`
    SELECT adjustment_id, toString(event) AS event, toString(at) AS at, actor, toString(scope) AS scope, subject, factor,
           toString(valid_from) AS valid_from, toString(until) AS until, reason, alert_id
    FROM expectation_adjustments
    ORDER BY event, at, adjustment_id`);
  return foldRuleEvents<Row, Adjustment>(rows, (r) => r.adjustment_id, (r) => ({
    kind: kindOfScope(r.scope),
    scope: r.scope,
    subject: r.subject,
    factor: Number(r.factor),
    from: fromDateTime(r.valid_from),
    until: fromDateTime(r.until),
    reason: r.reason,
    alertId: r.alert_id,
  }));
}

/** Whether an adjustment is in force at `now` (wall time): not revoked, not ended. */
export function adjustmentActive(a: Adjustment, now: number): boolean {
  return a.revokedAt === null && a.until > now;
}

/**
 * What the detector honours: each adjustment not revoked, over its days in event time (so a replay of
 * last month honours last month's verdicts). Factors are bounded again whatever the table holds.
 */
export function asDetectorAdjustments(list: ReadonlyArray<Adjustment>): ExpectationAdjustment[] {
  return list
    .filter((a) => a.revokedAt === null)
    .map((a) => ({
      id: a.id,
      scope: a.scope,
      subject: a.subject,
      factor: boundedFactor(a.factor),
      ...daysOf(a.from, a.until),
      kind: a.kind,
      reason: a.reason,
      createdBy: a.createdBy,
    }));
}
