// Legal holds (table legal_holds, migration 0011): a row when a hold is placed on an employee or an alert,
// another when it is released. Active holds are those placed and not released. Each change is audited.
import crypto from 'node:crypto';
import { TriageError } from '../errors';
import { fromDateTime, inList, sql, toDateTime, type ClickHouse } from '../store';
import { audit, entryOf, type Actor } from '../triage';

export type HoldKind = 'employee' | 'alert';

export interface LegalHold {
  holdId: string;
  kind: HoldKind;
  subject: string;
  reason: string;
  placedAt: number;
  placedBy: string;
  releasedAt: number | null;
  releasedBy: string | null;
}

export const HOLD_ID = /^hold_[0-9a-f]{12}$/;

export async function listHolds(ch: ClickHouse, opts: { active?: boolean } = {}): Promise<LegalHold[]> {
  const rows = await ch.query<{ hold_id: string; event: string; kind: HoldKind; subject: string; reason: string; at: string; at_ms: number; actor: string }>(sql`
    SELECT hold_id, toString(event) AS event, toString(kind) AS kind, subject, reason, toString(at) AS at, at_ms, actor
    FROM legal_holds ORDER BY hold_id, at, at_ms, event`);
  const holds = new Map<string, LegalHold>();
  for (const r of rows) {
    const t = fromDateTime(r.at) + Number(r.at_ms);
    const h = holds.get(r.hold_id);
    if (r.event === 'placed' && !h) holds.set(r.hold_id, { holdId: r.hold_id, kind: r.kind, subject: r.subject, reason: r.reason, placedAt: t, placedBy: r.actor, releasedAt: null, releasedBy: null });
    else if (r.event === 'released' && h && h.releasedAt === null) Object.assign(h, { releasedAt: t, releasedBy: r.actor });
  }
  const all = [...holds.values()].sort((a, b) => a.placedAt - b.placedAt);
  return opts.active ? all.filter((h) => h.releasedAt === null) : all;
}

export async function placeHold(ch: ClickHouse, actor: Actor, kind: HoldKind, subject: string, reason: string, now = Date.now()): Promise<LegalHold> {
  if (reason.trim() === '') throw new TriageError('TRIAGE_INVALID', 'a legal hold needs a reason (the matter, the request)');
  if (subject.trim() === '' || subject.length > 256) throw new TriageError('TRIAGE_INVALID', `the ${kind} to hold is 1-256 characters`);
  if (kind === 'alert') {
    const [found] = await ch.query<{ n: string }>(sql`SELECT count() AS n FROM alerts WHERE alert_id = ${subject}`);
    if (Number(found.n) === 0) throw new TriageError('TRIAGE_NOT_FOUND', `no alert ${subject}`);
  }
  const hold: LegalHold = { holdId: `hold_${crypto.randomBytes(6).toString('hex')}`, kind, subject, reason: reason.trim(), placedAt: now, placedBy: actor.name, releasedAt: null, releasedBy: null };
  await ch.insert('legal_holds', [{ hold_id: hold.holdId, event: 'placed', kind, subject, reason: hold.reason, at: toDateTime(now), at_ms: now % 1000, actor: actor.name }]);
  await audit(ch, entryOf(actor, now, 'hold.place', subject, { holdId: hold.holdId, kind, reason: hold.reason }));
  return hold;
}

export async function releaseHold(ch: ClickHouse, actor: Actor, holdId: string, reason: string, now = Date.now()): Promise<LegalHold> {
  const hold = (await listHolds(ch)).find((h) => h.holdId === holdId);
  if (!hold) throw new TriageError('TRIAGE_NOT_FOUND', `no legal hold ${holdId}`);
  if (hold.releasedAt !== null) throw new TriageError('TRIAGE_CONFLICT', `legal hold ${holdId} was already released`);
  if (reason.trim() === '') throw new TriageError('TRIAGE_INVALID', 'releasing a legal hold needs a reason');
  await ch.insert('legal_holds', [{ hold_id: holdId, event: 'released', kind: hold.kind, subject: hold.subject, reason: reason.trim(), at: toDateTime(now), at_ms: now % 1000, actor: actor.name }]);
  await audit(ch, entryOf(actor, now, 'hold.release', hold.subject, { holdId, kind: hold.kind, reason: reason.trim() }));
  return { ...hold, releasedAt: now, releasedBy: actor.name };
}

/** What active holds pin: employees whose data is held whole, and held alerts with their user and window. */
export interface HeldSubjects {
  employees: Set<string>;
  alerts: Array<{ alertId: string; user: string; from: number; to: number }>;
}

export async function heldSubjects(ch: ClickHouse): Promise<HeldSubjects> {
  const active = await listHolds(ch, { active: true });
  const employees = new Set(active.filter((h) => h.kind === 'employee').map((h) => h.subject));
  const alertIds = active.filter((h) => h.kind === 'alert').map((h) => h.subject);
  const alerts: HeldSubjects['alerts'] = [];
  if (alertIds.length > 0) {
    const rows = await ch.query<{ alert_id: string; user: string; ws: string; we: string }>(sql`
      SELECT alert_id, any(user) AS user, toString(min(window_start)) AS ws, toString(max(window_end)) AS we
      FROM alerts WHERE alert_id IN ${inList(alertIds)} GROUP BY alert_id`);
    for (const r of rows) alerts.push({ alertId: r.alert_id, user: r.user, from: fromDateTime(r.ws), to: fromDateTime(r.we) });
  }
  return { employees, alerts };
}
