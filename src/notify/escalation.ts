// Escalation: the alert of a page (a case's page: the alert that made it page) still unacknowledged
// `escalateAfterMs` after the page was delivered is paged again, to the route's escalateTo channels (or
// its own), under the page's dedup key + "/escalation": a new incident. The notifier watches every
// delivered trigger of a route that escalates, and when it is due looks whether the alert (a case's page:
// any alert of the case) is still open; the watch list is read back from the outbox on start.
import { readCases } from './case-pages';
import type { NotifierState, Watch } from './notifier-state';
import { awaitingEscalation, deliveryId, existingDeliveries, type Delivery, type OutboxRow } from './outbox';
import type { AlertPage } from './page';
import { commit, planPages } from './queue';

/** Triggers older than this are not escalated any more after a restart. */
const ESCALATION_HORIZON_MS = 7 * 86_400_000;

/** Reads back the delivered triggers still awaiting escalation. */
export async function restoreWatch(state: NotifierState, t: number): Promise<void> {
  state.watch = new Map();
  if (state.routes.some((r) => r.escalateAfterMs !== undefined)) {
    for (const w of await awaitingEscalation(state.ch, t - ESCALATION_HORIZON_MS)) {
      if (state.routeByName.get(w.route)?.escalateAfterMs !== undefined) state.watch.set(`${w.alertId}|${w.route}`, w);
    }
  }
}

/** A delivery went out at `t`: a trigger of a route that escalates is watched from then on. */
export function watchDelivered(state: NotifierState, d: Delivery, t: number): void {
  const r = state.routeByName.get(d.route);
  if (d.kind === 'trigger' && r?.escalateAfterMs !== undefined) {
    state.watch.set(`${d.members[0].alertId}|${d.route}`, { alertId: d.members[0].alertId, route: d.route, deliveredAt: t, page: d.members[0] as AlertPage, dedupKey: d.dedupKey });
  }
}

export async function escalate(state: NotifierState, t: number): Promise<void> {
  const { ch, log, channels, routeByName } = state;
  const due = [...state.watch.values()].filter((w) => {
    const after = routeByName.get(w.route)?.escalateAfterMs;
    return after !== undefined && w.deliveredAt + after <= t;
  });
  if (due.length === 0) return;
  // Still open: an alert's page while the alert is; a case's while one of the case's alerts is.
  const { caseOf, states } = await readCases(ch, state.cases, [...new Set(due.map((w) => w.alertId))], t);
  const stillOpen = (w: Watch) => (w.page.case ? (caseOf.get(w.alertId)?.alerts ?? []).some((a) => a.status === 'open') : states.get(w.alertId)?.status === 'open');
  const items: Array<{ page: AlertPage; channel: string; route: string; kind: 'escalate'; dedupKey: string }> = [];
  for (const w of due) {
    if (!stillOpen(w)) continue;
    const r = routeByName.get(w.route)!;
    const to = r.escalateTo && r.escalateTo.length > 0 ? r.escalateTo : r.channels;
    const dedupKey = `${w.dedupKey}/escalation`;
    for (const channel of to) {
      if (!channels.has(channel)) continue;
      if (state.deliveries.has(deliveryId(channel, 'escalate', dedupKey))) continue;
      items.push({ page: { ...w.page, escalation: { afterMs: r.escalateAfterMs! } }, channel, route: w.route, kind: 'escalate', dedupKey });
    }
  }
  const exists = items.length > 0 ? await existingDeliveries(ch, items.map((i) => deliveryId(i.channel, 'escalate', i.dedupKey))) : new Set<string>();
  const todo = items.filter((i) => !exists.has(deliveryId(i.channel, 'escalate', i.dedupKey)));
  const out: OutboxRow[] = [];
  const apply: Array<() => void> = [];
  planPages(state, todo, t, out, apply);
  await commit(state, out, apply);
  for (const w of due) state.watch.delete(`${w.alertId}|${w.route}`);
  state.stats.escalations += todo.length;
  if (todo.length > 0) log.warn({ alerts: todo.map((i) => i.page.alertId) }, 'notifier: unacknowledged alerts re-paged');
}
