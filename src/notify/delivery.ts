// The notifier's delivery loop: sends what is due, one request at a time per channel and in order per
// incident (trigger, acknowledge, resolve), retrying with backoff and jitter (longer, and the whole
// channel paused, when the receiver says Retry-After or 429) until the delivery succeeds, fails for
// good, or has been queued longer than giveUpAfterMs. Every outcome is appended to the outbox.
//
// Storm control plans pages at the time they are queued (queue.ts); a page is sent a little later, after
// the ones before it on its channel. So that no window of the receiver's clock holds more than maxPages,
// a page is also held until the page maxPages before it on the channel was answered windowMs ago: it
// arrived before its answer, and this one arrives after it is sent.
import { describeError } from '../errors';
import { backoffMs } from './budget';
import type { Channel } from './channels';
import { watchDelivered } from './escalation';
import type { Outcome } from './http';
import type { NotifierState } from './notifier-state';
import { appendRows, messageOf, row, type Delivery, type OutboxRow } from './outbox';
import type { Kind } from './page';
import { budgetOf } from './queue';

/** What counts as a page for storm control (acknowledge and resolve update an incident already paged). */
const PAGE_KINDS: ReadonlySet<Kind> = new Set(['trigger', 'escalate', 'digest']);

export interface Dispatcher {
  /** Starts a delivery on every idle channel that has one due (each restarts this when it ends). */
  dispatch(): void;
  /** Appends the outcomes not yet written to the outbox (kept for the next call if that fails). */
  flush(): Promise<void>;
  /** Resolves when the deliveries in flight now have ended. */
  settled(): Promise<unknown>;
}

export function createDispatcher(state: NotifierState): Dispatcher {
  const { ch, log, n, now, random, channels, digestLink } = state;
  const busy = new Set<string>();
  const pausedUntil = new Map<string, number>();
  const inFlight = new Set<Promise<void>>();
  const unsaved: OutboxRow[] = [];
  /** Per channel: when the receiver had answered each recent page (ms, ascending). */
  const answered = new Map<string, number[]>();

  /** Whether sending `d` now could put more than maxPages pages into one window at the receiver. */
  function overBudget(d: Delivery, t: number): boolean {
    if (!PAGE_KINDS.has(d.kind)) return false;
    const { maxPages, windowMs } = budgetOf(state, d.channel);
    const recent = (answered.get(d.channel) ?? []).filter((a) => a > t - windowMs);
    answered.set(d.channel, recent);
    return recent.length >= maxPages;
  }

  async function flush(): Promise<void> {
    if (unsaved.length === 0) return;
    const batch = unsaved.splice(0);
    try {
      await appendRows(ch, batch);
    } catch (err) {
      unsaved.unshift(...batch);
      throw err;
    }
  }

  /** Whether an earlier delivery for the same incident on the same channel is still pending (order: trigger and updates as queued, acknowledge, resolve). */
  function blocked(d: Delivery): boolean {
    const order: Record<Kind, number> = { test: 0, trigger: 1, escalate: 1, digest: 1, update: 1, acknowledge: 2, resolve: 3 };
    for (const o of state.deliveries.values()) {
      if (o !== d && o.channel === d.channel && o.dedupKey === d.dedupKey && (order[o.kind] < order[d.kind] || (order[o.kind] === order[d.kind] && o.queuedAt < d.queuedAt))) return true;
    }
    return false;
  }

  function dispatch(): void {
    if (!state.loaded) return;
    const t = now();
    const byChannel = new Map<string, Delivery[]>();
    for (const d of state.deliveries.values()) {
      if (d.due > t || busy.has(d.channel) || (pausedUntil.get(d.channel) ?? 0) > t) continue;
      // A digest may still gain members while alerts are being routed: it goes once routing is done.
      if (d.kind === 'digest' && state.routing) continue;
      const list = byChannel.get(d.channel) ?? [];
      list.push(d);
      byChannel.set(d.channel, list);
    }
    for (const [channel, list] of byChannel) {
      // Updates of incidents already paged go after whatever else is due: a new page never waits behind them.
      list.sort((a, b) => a.due - b.due || Number(a.kind === 'update') - Number(b.kind === 'update') || a.queuedAt - b.queuedAt);
      // A page held by the window waits for a later tick; an acknowledge or resolve may go meanwhile.
      const next = list.find((d) => !blocked(d) && !overBudget(d, t));
      if (!next) continue;
      const c = channels.get(channel);
      if (!c) continue;
      busy.add(channel);
      const p = deliverOne(c, next).finally(() => {
        busy.delete(channel);
        inFlight.delete(p);
        if (!state.stopping) dispatch();
      });
      inFlight.add(p);
    }
  }

  async function deliverOne(c: Channel, d: Delivery): Promise<void> {
    const t0 = now();
    let outcome: Outcome;
    try {
      outcome = await c.deliver(messageOf(d, digestLink), d.id, t0);
    } catch (err) {
      outcome = { ok: false, retriable: true, status: 0, reason: describeError(err) };
    }
    const t = now();
    const attempt = d.attempts + 1;
    state.metrics.deliverySeconds.observe({ channel: d.channel }, Math.max(0, t - t0) / 1000);
    if (PAGE_KINDS.has(d.kind)) answered.set(d.channel, [...(answered.get(d.channel) ?? []), t]);
    if (outcome.ok) {
      state.deliveries.delete(d.id);
      unsaved.push(row(d, { event: 'delivered', at: t, attempt, status: outcome.status, alertId: d.members[0]?.alertId }));
      state.stats.delivered++;
      state.metrics.deliveries.inc({ channel: d.channel, kind: d.kind, outcome: 'delivered' });
      watchDelivered(state, d, t);
      log.info({ channel: d.channel, kind: d.kind, dedupKey: d.dedupKey, alerts: d.members.length, attempt, ms: t - t0 }, 'notifier: delivered');
    } else if (!outcome.retriable || t - d.queuedAt > n.delivery.giveUpAfterMs) {
      state.deliveries.delete(d.id);
      unsaved.push(row(d, { event: 'abandoned', at: t, attempt, status: outcome.status, reason: outcome.reason, alertId: d.members[0]?.alertId }));
      state.stats.abandoned++;
      state.metrics.deliveries.inc({ channel: d.channel, kind: d.kind, outcome: 'abandoned' });
      log.error({ channel: d.channel, kind: d.kind, dedupKey: d.dedupKey, attempt, reason: outcome.reason }, 'notifier: delivery abandoned');
    } else {
      const wait = backoffMs(attempt, n.delivery, random, outcome.retryAfterMs ?? 0);
      d.attempts = attempt;
      d.due = t + wait;
      d.lastReason = outcome.reason;
      if (outcome.status === 429 || outcome.retryAfterMs !== undefined) pausedUntil.set(d.channel, d.due);
      unsaved.push(row(d, { event: 'failed', at: t, due: d.due, attempt, status: outcome.status, reason: outcome.reason, alertId: d.members[0]?.alertId }));
      state.stats.failedAttempts++;
      state.metrics.deliveries.inc({ channel: d.channel, kind: d.kind, outcome: 'failed' });
      log.warn({ channel: d.channel, kind: d.kind, dedupKey: d.dedupKey, attempt, retryInMs: wait, reason: outcome.reason }, 'notifier: delivery failed, will retry');
    }
    await flush().catch((err: unknown) => {
      state.metrics.errors.inc({ kind: 'outbox' });
      log.warn({ err: describeError(err) }, 'notifier: outbox write failed; kept for the next cycle');
    });
  }

  return { dispatch, flush, settled: () => Promise.all([...inFlight]) };
}
