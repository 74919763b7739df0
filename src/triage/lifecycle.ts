// The alert lifecycle: open -> acknowledged -> resolved (with a disposition), with assignment, notes,
// snoozing and reopening on the way. Every action is a row of `alert_actions`; the state is derived
// from them in order (deriveState, pure), so the history is the record and nothing is overwritten.
// Each action also refreshes the alert's row of the listing the queue reads (src/alerts/listing.ts).
import crypto from 'node:crypto';
import { DISPOSITIONS, refreshListing, type AlertStatus, type Disposition } from '../alerts';
import { fromDateTime, inList, NO_TIME, POINT_READ, sql, toDateTime, type ClickHouse } from '../store';

export const ACTIONS = ['acknowledge', 'assign', 'note', 'resolve', 'snooze', 'reopen'] as const;
export type ActionKind = (typeof ACTIONS)[number];
// Statuses are the listing's (src/alerts/listing.ts derives the same state in SQL for the queue); both
// enums live in src/alerts/types.ts, which the dashboard imports too.
export { DISPOSITIONS, STATUSES, type AlertStatus, type Disposition } from '../alerts';

export interface AlertAction {
  actionId: string;
  alertId: string;
  at: number;
  actor: string;
  action: ActionKind;
  assignee: string;
  disposition: Disposition | '';
  note: string;
  /** ms; 0 when the action is not a snooze. */
  snoozeUntil: number;
  suppressionId: string;
}

export interface TriageState {
  status: AlertStatus;
  assignee: string | null;
  disposition: Disposition | null;
  snoozedUntil: number | null;
  acknowledgedAt: number | null;
  resolvedAt: number | null;
  notes: Array<{ at: number; actor: string; note: string }>;
  history: AlertAction[];
}

/** The state after `actions` (any order; applied by time), at wall time `now` (a snooze ends by itself). */
export function deriveState(actions: ReadonlyArray<AlertAction>, now: number): TriageState {
  const history = [...actions].sort((a, b) => a.at - b.at || (a.actionId < b.actionId ? -1 : 1));
  const s: TriageState = { status: 'open', assignee: null, disposition: null, snoozedUntil: null, acknowledgedAt: null, resolvedAt: null, notes: [], history };
  // Where a snooze returns to when it ends by itself.
  let beforeSnooze: AlertStatus = 'open';
  for (const a of history) {
    switch (a.action) {
      case 'acknowledge':
        s.status = 'acknowledged';
        s.acknowledgedAt ??= a.at;
        s.snoozedUntil = null;
        break;
      case 'assign':
        s.assignee = a.assignee === '' ? null : a.assignee;
        break;
      case 'note':
        s.notes.push({ at: a.at, actor: a.actor, note: a.note });
        break;
      case 'resolve':
        s.status = 'resolved';
        s.disposition = a.disposition === '' ? null : a.disposition;
        s.resolvedAt = a.at;
        s.snoozedUntil = null;
        s.acknowledgedAt ??= a.at;
        break;
      case 'snooze':
        if (s.status !== 'snoozed') beforeSnooze = s.status;
        s.status = 'snoozed';
        s.snoozedUntil = a.snoozeUntil;
        break;
      case 'reopen':
        s.status = 'open';
        s.disposition = null;
        s.resolvedAt = null;
        s.snoozedUntil = null;
        break;
    }
    if (a.note !== '' && a.action !== 'note') s.notes.push({ at: a.at, actor: a.actor, note: a.note });
  }
  if (s.status === 'snoozed' && s.snoozedUntil !== null && s.snoozedUntil <= now) {
    // The snooze is over: back to where it was before it.
    s.status = beforeSnooze;
    s.snoozedUntil = null;
  }
  return s;
}

export interface ActionInput {
  action: ActionKind;
  assignee?: string;
  disposition?: Disposition;
  note?: string;
  snoozeUntil?: number;
  suppressionId?: string;
}

/** Why `input` cannot be applied to an alert in `state`: bad input (TRIAGE_INVALID) or a transition the state forbids (TRIAGE_CONFLICT). */
export interface TransitionRefusal {
  code: 'TRIAGE_INVALID' | 'TRIAGE_CONFLICT';
  message: string;
}

const invalid = (message: string): TransitionRefusal => ({ code: 'TRIAGE_INVALID', message });
const conflict = (message: string): TransitionRefusal => ({ code: 'TRIAGE_CONFLICT', message });

/** Why `input` cannot be applied to an alert in `state`, or null when it can. */
export function refusal(state: TriageState, input: ActionInput, now: number): TransitionRefusal | null {
  switch (input.action) {
    case 'acknowledge':
      return state.status === 'resolved' ? conflict('the alert is resolved; reopen it first') : state.status === 'acknowledged' ? conflict('the alert is already acknowledged') : null;
    case 'assign':
      return input.assignee === undefined || input.assignee.trim() === '' ? invalid('an assignee is required') : null;
    case 'note':
      return input.note === undefined || input.note.trim() === '' ? invalid('a note is required') : null;
    case 'resolve':
      if (state.status === 'resolved') return conflict('the alert is already resolved');
      return input.disposition === undefined ? invalid(`a disposition is required (${DISPOSITIONS.join(', ')})`) : null;
    case 'snooze':
      if (state.status === 'resolved') return conflict('a resolved alert cannot be snoozed');
      return input.snoozeUntil === undefined || !(input.snoozeUntil > now) ? invalid('snooze needs a time in the future') : null;
    case 'reopen':
      return state.status === 'resolved' || state.status === 'snoozed' ? null : conflict('only a resolved or snoozed alert can be reopened');
  }
}

interface ActionRow {
  action_id: string;
  alert_id: string;
  at: string;
  at_ms: number;
  actor: string;
  action: ActionKind;
  assignee: string;
  disposition: string;
  note: string;
  snooze_until: string;
  suppression_id: string;
}

export async function recordAction(ch: ClickHouse, alertId: string, actor: string, input: ActionInput, now: number): Promise<AlertAction> {
  const action: AlertAction = {
    actionId: crypto.randomUUID(),
    alertId,
    at: now,
    actor,
    action: input.action,
    assignee: input.assignee?.trim() ?? '',
    disposition: input.disposition ?? '',
    note: input.note?.trim() ?? '',
    snoozeUntil: input.snoozeUntil ?? NO_TIME,
    suppressionId: input.suppressionId ?? '',
  };
  await ch.insert('alert_actions', [
    {
      action_id: action.actionId,
      alert_id: alertId,
      at: toDateTime(now),
      at_ms: now % 1000,
      actor,
      action: action.action,
      assignee: action.assignee,
      disposition: action.disposition,
      note: action.note,
      snooze_until: toDateTime(action.snoozeUntil),
      suppression_id: action.suppressionId,
    },
  ]);
  // The queue's row of the alert, with this action in it (read after the insert: see listing.ts).
  await refreshListing(ch, [alertId]);
  return action;
}

/** Every action on the given alerts, per alert id (alerts without actions are absent). */
export async function actionsOf(ch: ClickHouse, alertIds: ReadonlyArray<string>): Promise<Map<string, AlertAction[]>> {
  const out = new Map<string, AlertAction[]>();
  // In slices: a long IN list would pass ClickHouse's default max_query_size (256 KiB).
  for (let i = 0; i < alertIds.length; i += IDS_PER_QUERY) await readActions(ch, alertIds.slice(i, i + IDS_PER_QUERY), out);
  return out;
}

const IDS_PER_QUERY = 2000;

async function readActions(ch: ClickHouse, alertIds: ReadonlyArray<string>, out: Map<string, AlertAction[]>): Promise<void> {
  const rows = await ch.query<ActionRow>(sql`
    SELECT action_id, alert_id, toString(at) AS at, at_ms, actor, toString(action) AS action, assignee, disposition, note,
           toString(snooze_until) AS snooze_until, suppression_id
    FROM alert_actions
    PREWHERE alert_id IN ${inList([...alertIds])}
    ORDER BY at, at_ms, action_id`, alertIds.length === 1 ? { settings: POINT_READ } : undefined);
  for (const r of rows) {
    const a: AlertAction = {
      actionId: r.action_id,
      alertId: r.alert_id,
      at: fromDateTime(r.at) + Number(r.at_ms),
      actor: r.actor,
      action: r.action,
      assignee: r.assignee,
      disposition: r.disposition as Disposition | '',
      note: r.note,
      snoozeUntil: fromDateTime(r.snooze_until),
      suppressionId: r.suppression_id,
    };
    out.set(a.alertId, [...(out.get(a.alertId) ?? []), a]);
  }
}

/** The current triage state of each alert id (open for alerts nobody has touched). */
export async function statesOf(ch: ClickHouse, alertIds: ReadonlyArray<string>, now: number): Promise<Map<string, TriageState>> {
  const actions = await actionsOf(ch, alertIds);
  return new Map(alertIds.map((id) => [id, deriveState(actions.get(id) ?? [], now)]));
}
