// The notifier's queue of deliveries: pages are planned under storm control (individual while the
// channel's budget allows, the excess into digests), written to the outbox before memory changes, and
// read back from the outbox on start (deliveries not yet done, the budgets' recent pages, open digests).
import { severityRank } from '../alerts';
import { PageBudget } from './budget';
import type { NotifierState } from './notifier-state';
import { appendRows, deliveryId, openDeliveries, pageTimes, row, type Delivery, type OutboxRow } from './outbox';
import type { AlertPage } from './page';

export function budgetOf(state: NotifierState, channel: string): PageBudget {
  let b = state.budgets.get(channel);
  if (!b) {
    const c = state.channels.get(channel);
    b = new PageBudget(c?.rate.maxPages ?? state.n.storm.maxPages, c?.rate.windowMs ?? state.n.storm.windowMs);
    state.budgets.set(channel, b);
  }
  return b;
}

/** Reads back the deliveries not yet done, the pages still in a budget's window, and the open digests. */
export async function restoreQueue(state: NotifierState, t: number): Promise<void> {
  const { ch, n } = state;
  const open = await openDeliveries(ch);
  state.deliveries = new Map(open.map((d) => [d.id, d]));
  state.budgets = new Map();
  state.openDigests = new Map();
  const maxWindow = Math.max(n.storm.windowMs, ...[...state.channels.values()].map((c) => c.rate.windowMs));
  for (const p of await pageTimes(ch, t - maxWindow)) {
    budgetOf(state, p.channel).add(p.t);
    if (p.kind === 'digest' && p.due > t && state.deliveries.has(p.id)) {
      const d = state.deliveries.get(p.id)!;
      const current = state.openDigests.get(p.channel);
      if (!current || current.due < p.due) state.openDigests.set(p.channel, { id: d.id, dedupKey: d.dedupKey, due: d.due, members: d.members.length });
    }
  }
}

/** Plans the pages of (alert, channel) pairs: individual while the budget allows, else into digests. */
export function planPages(state: NotifierState, items: Array<{ page: AlertPage; channel: string; route: string; kind: 'trigger' | 'escalate'; dedupKey: string }>, t: number, rows: OutboxRow[], apply: Array<() => void>): void {
  const { n } = state;
  const ordered = [...items].sort((a, b) => severityRank(b.page.severity) - severityRank(a.page.severity) || b.page.observedBytes - a.page.observedBytes);
  for (const it of ordered) {
    const budget = budgetOf(state, it.channel);
    const dedupKey = it.dedupKey;
    if (budget.fits(t, budget.individualLimit)) {
      const d: Delivery = { id: deliveryId(it.channel, it.kind, dedupKey), channel: it.channel, kind: it.kind, dedupKey, route: it.route, members: [it.page], queuedAt: t, due: t, attempts: 0, lastReason: '' };
      budget.add(t);
      rows.push(row(d, { event: 'queued', at: t, alertId: it.page.alertId, content: it.page }));
      apply.push(() => state.deliveries.set(d.id, d));
      continue;
    }
    let open = state.openDigests.get(it.channel);
    if (!open || open.due <= t || open.members >= n.storm.maxDigestAlerts) {
      const due = budget.earliest(t + n.storm.digestDelayMs);
      budget.add(due);
      const dedupKey = `digest:${it.channel}:${new Date(due).toISOString()}`;
      open = { id: deliveryId(it.channel, 'digest', dedupKey), dedupKey, due, members: 0 };
      state.openDigests.set(it.channel, open);
      const created: Delivery = { id: open.id, channel: it.channel, kind: 'digest', dedupKey, route: it.route, members: [], queuedAt: t, due, attempts: 0, lastReason: '' };
      apply.push(() => {
        if (!state.deliveries.has(created.id)) state.deliveries.set(created.id, created);
        state.stats.digests++;
      });
    }
    open.members++;
    const target = open;
    const member = it.page;
    rows.push(row({ id: target.id, channel: it.channel, kind: 'digest', dedupKey: target.dedupKey, route: it.route }, { event: 'queued', at: t, due: target.due, alertId: it.page.alertId, content: member }));
    apply.push(() => state.deliveries.get(target.id)?.members.push(member));
  }
}

export async function commit(state: NotifierState, rows: OutboxRow[], apply: Array<() => void>): Promise<void> {
  try {
    await appendRows(state.ch, rows);
  } catch (err) {
    // Budgets and digests were planned in memory: read them back from the outbox before going on.
    state.loaded = false;
    throw err;
  }
  for (const f of apply) f();
  state.stats.queued += rows.length;
}
