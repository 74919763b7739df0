// Suppressions: an analyst's verdict that a pattern is expected, turned into something the detector
// honours. Scopes: a user (all their activity), a user and one table, a service account. Every
// suppression has a reason and an expiry; it can be revoked. Created and revoked are separate rows.
// The detector treats an active suppression like an allowlist entry: the activity it covers is kept out
// of the volumes judged (and shown in the evidence), so the same pattern does not alert again.
import crypto from 'node:crypto';
import type { AllowlistEntry } from '../detect';
import { fromDateTime, sql, toDateTime, type ClickHouse } from '../store';
import { foldRuleEvents, type RuleEventRow } from './rule-events';

export const SCOPES = ['user', 'user_table', 'service_account'] as const;
export type Scope = (typeof SCOPES)[number];

export interface Suppression {
  id: string;
  scope: Scope;
  user: string;
  /** "database.table" for scope user_table, else "". */
  table: string;
  from: number;
  until: number;
  reason: string;
  alertId: string;
  createdBy: string;
  createdAt: number;
  revokedBy: string | null;
  revokedAt: number | null;
}

export interface NewSuppression {
  scope: Scope;
  user: string;
  table?: string;
  from?: number;
  until: number;
  reason: string;
  alertId?: string;
}

/** Why a suppression cannot be created as asked, or null. */
export function suppressionRefusal(s: NewSuppression, now: number): string | null {
  if (s.user.trim() === '') return 'a user is required';
  if (s.reason.trim() === '') return 'a reason is required';
  if (s.scope === 'user_table' && !/^[^.\s]+\.[^.\s]+$/.test(s.table ?? '')) return 'scope user_table needs a table as database.table';
  if (s.scope !== 'user_table' && (s.table ?? '') !== '') return `scope ${s.scope} takes no table`;
  if (!(s.until > now)) return 'the expiry (until) must be in the future';
  if (s.from !== undefined && !(s.until > s.from)) return 'until must be after from';
  return null;
}

export async function createSuppression(ch: ClickHouse, s: NewSuppression, actor: string, now: number): Promise<Suppression> {
  const id = `sup_${crypto.randomBytes(6).toString('hex')}`;
  const created: Suppression = {
    id,
    scope: s.scope,
    user: s.user.trim(),
    table: s.table ?? '',
    from: s.from ?? 0,
    until: s.until,
    reason: s.reason.trim(),
    alertId: s.alertId ?? '',
    createdBy: actor,
    createdAt: now,
    revokedBy: null,
    revokedAt: null,
  };
  await ch.insert('suppressions', [row(created, 'created', actor, now)]);
  return created;
}

export async function revokeSuppression(ch: ClickHouse, s: Suppression, actor: string, now: number): Promise<Suppression> {
  await ch.insert('suppressions', [row(s, 'revoked', actor, now)]);
  return { ...s, revokedBy: actor, revokedAt: now };
}

function row(s: Suppression, event: 'created' | 'revoked', actor: string, at: number) {
  return {
    suppression_id: s.id,
    event,
    at: toDateTime(at),
    actor,
    scope: s.scope,
    user: s.user,
    table_name: s.table,
    valid_from: toDateTime(s.from),
    until: toDateTime(s.until),
    reason: s.reason,
    alert_id: s.alertId,
  };
}

interface Row extends RuleEventRow {
  suppression_id: string;
  scope: Scope;
  user: string;
  table_name: string;
  valid_from: string;
  until: string;
  reason: string;
  alert_id: string;
}

/** Every suppression with its revocation, newest first. */
export async function listSuppressions(ch: ClickHouse): Promise<Suppression[]> {
  // Creations before revocations, whatever their times: a revocation stamped by a clock behind the
  // creator's must still find its suppression.
  const rows = await ch.query<Row>(sql`
    SELECT suppression_id, toString(event) AS event, toString(at) AS at, actor, toString(scope) AS scope, user, table_name,
           toString(valid_from) AS valid_from, toString(until) AS until, reason, alert_id
    FROM suppressions
    ORDER BY event, at, suppression_id`);
  return foldRuleEvents<Row, Suppression>(rows, (r) => r.suppression_id, (r) => ({
    scope: r.scope,
    user: r.user,
    table: r.table_name,
    from: fromDateTime(r.valid_from),
    until: fromDateTime(r.until),
    reason: r.reason,
    alertId: r.alert_id,
  }));
}

/** Whether a suppression is in force at `now` (wall time): not revoked, not expired. */
export function isActive(s: Suppression, now: number): boolean {
  return s.revokedAt === null && s.until > now;
}

/**
 * What the detector honours: each suppression not revoked, over its validity in event time [from, until).
 * (Expiry is judged on event time, so a replay of last month honours last month's suppressions.)
 */
export function asAllowlistEntries(list: ReadonlyArray<Suppression>): AllowlistEntry[] {
  return list
    .filter((s) => s.revokedAt === null)
    .map((s) => ({
      user: s.user,
      reason: `suppression ${s.id} (${s.scope}) by ${s.createdBy}: ${s.reason}`,
      from: s.from,
      until: s.until,
      tables: s.scope === 'user_table' ? new Set([s.table]) : null,
    }));
}
