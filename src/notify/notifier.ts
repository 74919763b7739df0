// The notifier: every second it reads new alert revisions and triage actions from ClickHouse, routes
// them, and queues deliveries in the outbox (ClickHouse) before anything is sent; a delivery loop then
// sends what is due, one request at a time per channel, retrying with backoff and jitter (longer when
// the receiver says Retry-After). Storm control keeps each channel within its page budget by grouping
// the excess into digests that list every alert. An alert still unacknowledged `escalateAfterMs` after
// its page was delivered is paged again. A crash loses nothing: on start the outbox is read back and
// whatever was not delivered is sent again, under the same dedup key. One notifier per database.
import type { Severity } from '../alerts';
import { severityRank } from '../alerts';
import type { Config } from '../config';
import { currentDirectory } from '../directory';
import { ConfigError, describeError } from '../errors';
import type { Logger } from '../log';
import { fromDateTime, sql, type ClickHouse } from '../store';
import { createPseudonyms, statesOf } from '../triage';
import { backoffMs, PageBudget } from './budget';
import { createChannels, type Channel } from './channels';
import type { RouteConfig } from './config-schema';
import type { Outcome } from './http';
import {
  appendRows,
  awaitingEscalation,
  deliveryId,
  existingDeliveries,
  messageOf,
  openDeliveries,
  pagesOf,
  pageTimes,
  readCursor,
  row,
  writeCursor,
  type Delivery,
  type OutboxRow,
  type RowContent,
} from './outbox';
import { alertLink, pageOf, type AlertPage, type AlertRevision, type Kind, type PageSettings } from './page';
import { needsDepartments, routeAlert } from './routing';

/** Revisions and actions are read again this far behind the newest one seen (inserts that land late). */
const OVERLAP_MS = 30_000;
/** Triggers older than this are not escalated any more after a restart. */
const ESCALATION_HORIZON_MS = 7 * 86_400_000;
const DIRECTORY_TTL_MS = 60_000;

export interface NotifierOptions {
  config: Readonly<Config>;
  ch: ClickHouse;
  log: Logger;
  /** Default: the configured channels that routes use, secrets from the environment. */
  channels?: Map<string, Channel>;
  env?: Record<string, string | undefined>;
  now?: () => number;
  random?: () => number;
}

export interface NotifierStats {
  revisionsRouted: number;
  queued: number;
  delivered: number;
  failedAttempts: number;
  abandoned: number;
  digests: number;
  escalations: number;
  pending: number;
}

export interface Notifier {
  /** Reads the outbox back and starts polling and delivering. */
  start(): Promise<void>;
  /** Stops polling; waits for deliveries in flight (at most the delivery timeout) and records their outcome. */
  stop(): Promise<void>;
  /** Resolves when the notifier has stopped. */
  readonly done: Promise<void>;
  /** One cycle: poll, route, escalate, dispatch (tests drive it directly). */
  tick(): Promise<void>;
  stats(): NotifierStats;
  /** Deliveries not yet delivered or abandoned. */
  pending(): Delivery[];
}

interface OpenDigest {
  id: string;
  dedupKey: string;
  due: number;
  members: number;
}

interface Watch {
  alertId: string;
  route: string;
  deliveredAt: number;
  page: AlertPage;
}

export function createNotifier(opts: NotifierOptions): Notifier {
  const { config, ch, log } = opts;
  const n = config.notify;
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const channels = opts.channels ?? createChannels(n, opts.env ?? process.env);
  const routes = n.routes.filter((r) => r.channels.some((c) => channels.has(c)));
  const routeByName = new Map<string, RouteConfig>(n.routes.map((r) => [r.name, r]));
  const baseUrl = (n.publicUrl || config.api.publicUrl || `http://${config.api.host}:${config.api.port}`).replace(/\/+$/, '');
  const digestLink = `${baseUrl}/alerts`;
  const page: PageSettings = { baseUrl, who: whoOf(config) };

  // State, rebuilt from the outbox by load().
  let deliveries = new Map<string, Delivery>();
  let budgets = new Map<string, PageBudget>();
  let openDigests = new Map<string, OpenDigest>();
  let watch = new Map<string, Watch>();
  let alertCursor = 0;
  let actionCursor = 0;
  let savedCursors = { alerts: 0, actions: 0 };
  const seenRevisions = new Map<string, { revision: number; updated: number }>();
  const seenActions = new Map<string, number>();
  const busy = new Set<string>();
  const pausedUntil = new Map<string, number>();
  const inFlight = new Set<Promise<void>>();
  const unsaved: OutboxRow[] = [];
  let loaded = false;
  let routing = false;
  let stopping = false;
  let directory: { at: number; departments: Map<string, string> } | undefined;
  const stats: NotifierStats = { revisionsRouted: 0, queued: 0, delivered: 0, failedAttempts: 0, abandoned: 0, digests: 0, escalations: 0, pending: 0 };

  const budgetOf = (channel: string): PageBudget => {
    let b = budgets.get(channel);
    if (!b) {
      const c = channels.get(channel);
      b = new PageBudget(c?.rate.maxPages ?? n.storm.maxPages, c?.rate.windowMs ?? n.storm.windowMs);
      budgets.set(channel, b);
    }
    return b;
  };

  async function load(): Promise<void> {
    const t = now();
    const open = await openDeliveries(ch);
    deliveries = new Map(open.map((d) => [d.id, d]));
    budgets = new Map();
    openDigests = new Map();
    const maxWindow = Math.max(n.storm.windowMs, ...[...channels.values()].map((c) => c.rate.windowMs));
    for (const p of await pageTimes(ch, t - maxWindow)) {
      budgetOf(p.channel).add(p.t);
      if (p.kind === 'digest' && p.due > t && deliveries.has(p.id)) {
        const d = deliveries.get(p.id)!;
        const current = openDigests.get(p.channel);
        if (!current || current.due < p.due) openDigests.set(p.channel, { id: d.id, dedupKey: d.dedupKey, due: d.due, members: d.members.length });
      }
    }
    watch = new Map();
    if (routes.some((r) => r.escalateAfterMs !== undefined)) {
      for (const w of await awaitingEscalation(ch, t - ESCALATION_HORIZON_MS)) {
        if (routeByName.get(w.route)?.escalateAfterMs !== undefined) watch.set(`${w.alertId}|${w.route}`, w);
      }
    }
    const start = t - n.catchUpMs;
    alertCursor = Math.max(start, (await readCursor(ch, 'alerts')) ?? start);
    actionCursor = Math.max(start, (await readCursor(ch, 'actions')) ?? start);
    savedCursors = { alerts: alertCursor, actions: actionCursor };
    loaded = true;
    log.info({ pending: deliveries.size, channels: [...channels.keys()], escalationWatch: watch.size }, 'notifier: outbox loaded');
  }

  async function departments(): Promise<Map<string, string>> {
    if (!needsDepartments(routes)) return new Map();
    if (!directory || now() - directory.at > DIRECTORY_TTL_MS) {
      const dir = await currentDirectory(ch);
      directory = { at: now(), departments: new Map(dir.entries.map((e) => [e.id, e.department])) };
    }
    return directory.departments;
  }

  /** Plans the pages of (alert, channel) pairs: individual while the budget allows, else into digests. */
  function planPages(items: Array<{ page: AlertPage; channel: string; route: string; kind: 'trigger' | 'escalate' }>, t: number, rows: OutboxRow[], apply: Array<() => void>): void {
    const ordered = [...items].sort((a, b) => severityRank(b.page.severity) - severityRank(a.page.severity) || b.page.observedBytes - a.page.observedBytes);
    for (const it of ordered) {
      const budget = budgetOf(it.channel);
      const dedupKey = it.kind === 'escalate' ? `${it.page.alertId}/escalation` : it.page.alertId;
      if (budget.fits(t, budget.individualLimit)) {
        const d: Delivery = { id: deliveryId(it.channel, it.kind, dedupKey), channel: it.channel, kind: it.kind, dedupKey, route: it.route, members: [it.page], queuedAt: t, due: t, attempts: 0, lastReason: '' };
        budget.add(t);
        rows.push(row(d, { event: 'queued', at: t, alertId: it.page.alertId, content: it.page }));
        apply.push(() => deliveries.set(d.id, d));
        continue;
      }
      let open = openDigests.get(it.channel);
      if (!open || open.due <= t || open.members >= n.storm.maxDigestAlerts) {
        const due = budget.earliest(t + n.storm.digestDelayMs);
        budget.add(due);
        const dedupKey = `digest:${it.channel}:${new Date(due).toISOString()}`;
        open = { id: deliveryId(it.channel, 'digest', dedupKey), dedupKey, due, members: 0 };
        openDigests.set(it.channel, open);
        const created: Delivery = { id: open.id, channel: it.channel, kind: 'digest', dedupKey, route: it.route, members: [], queuedAt: t, due, attempts: 0, lastReason: '' };
        apply.push(() => {
          if (!deliveries.has(created.id)) deliveries.set(created.id, created);
          stats.digests++;
        });
      }
      open.members++;
      const target = open;
      const member = it.page;
      rows.push(row({ id: target.id, channel: it.channel, kind: 'digest', dedupKey: target.dedupKey, route: it.route }, { event: 'queued', at: t, due: target.due, alertId: it.page.alertId, content: member }));
      apply.push(() => deliveries.get(target.id)?.members.push(member));
    }
  }

  async function commit(rows: OutboxRow[], apply: Array<() => void>): Promise<void> {
    try {
      await appendRows(ch, rows);
    } catch (err) {
      // Budgets and digests were planned in memory: read them back from the outbox before going on.
      loaded = false;
      throw err;
    }
    for (const f of apply) f();
    stats.queued += rows.length;
  }

  async function pollAlerts(t: number): Promise<void> {
    const from = Math.max(alertCursor - OVERLAP_MS, t - n.catchUpMs);
    const rows = await ch.query<{
      alert_id: string; revision: number; user: string; severity: Severity; score: number; detectors: string[]; observed_bytes: string; ratio: number;
      window_start: string; window_end: string; fired_at: string; fired_at_ms: number; updated_at_wall: string;
    }>(sql`
      SELECT alert_id, revision, user, severity, score, detectors, observed_bytes, ratio, window_start, window_end, fired_at, fired_at_ms, updated_at_wall
      FROM alerts
      WHERE updated_at_wall >= ${new Date(Math.floor(from / 1000) * 1000)}
      ORDER BY alert_id, revision DESC
      LIMIT 1 BY alert_id`);
    const fresh: AlertRevision[] = [];
    let newest = alertCursor;
    for (const r of rows) {
      const updated = fromDateTime(r.updated_at_wall);
      newest = Math.max(newest, updated);
      const seen = seenRevisions.get(r.alert_id);
      if (seen && seen.revision >= Number(r.revision)) continue;
      fresh.push({
        alertId: r.alert_id, revision: Number(r.revision), user: r.user, severity: r.severity, score: Number(r.score), detectors: r.detectors,
        observedBytes: Number(r.observed_bytes), ratio: Number(r.ratio), windowStart: fromDateTime(r.window_start), windowEnd: fromDateTime(r.window_end),
        firedAt: fromDateTime(r.fired_at) + Number(r.fired_at_ms), updatedAtWall: updated,
      });
    }
    if (fresh.length > 0) {
      const ids = fresh.map((a) => a.alertId);
      const states = await statesOf(ch, ids, t);
      const already = new Set((await pagesOf(ch, ids)).filter((p) => p.kind !== 'escalate').map((p) => `${p.channel}|${p.alertId}`));
      for (const d of deliveries.values()) if (d.kind === 'trigger' || d.kind === 'digest') for (const m of d.members) already.add(`${d.channel}|${m.alertId}`);
      const dept = await departments();
      const items: Array<{ page: AlertPage; channel: string; route: string; kind: 'trigger' }> = [];
      for (const a of fresh) {
        // Somebody is on it already (acknowledged, resolved or snoozed in triage): nobody needs waking.
        if (states.get(a.alertId)?.status !== 'open') continue;
        for (const target of routeAlert(routes, a, dept.get(a.user) ?? null, t)) {
          if (!channels.has(target.channel) || already.has(`${target.channel}|${a.alertId}`)) continue;
          items.push({ page: pageOf(a, page), channel: target.channel, route: target.route, kind: 'trigger' });
        }
      }
      const out: OutboxRow[] = [];
      const apply: Array<() => void> = [];
      planPages(items, t, out, apply);
      await commit(out, apply);
      for (const a of fresh) seenRevisions.set(a.alertId, { revision: a.revision, updated: a.updatedAtWall });
      stats.revisionsRouted += fresh.length;
      if (items.length > 0) log.info({ revisions: fresh.length, pages: items.length }, 'notifier: alerts routed');
    }
    alertCursor = newest;
    for (const [id, s] of seenRevisions) if (s.updated < alertCursor - 2 * OVERLAP_MS) seenRevisions.delete(id);
  }

  async function pollActions(t: number): Promise<void> {
    const from = Math.max(actionCursor - OVERLAP_MS, t - n.catchUpMs);
    const rows = await ch.query<{ action_id: string; alert_id: string; kind: 'acknowledge' | 'resolve'; at: string; at_ms: number }>(sql`
      SELECT action_id, alert_id, toString(action) AS kind, at, at_ms FROM alert_actions
      WHERE at >= ${new Date(Math.floor(from / 1000) * 1000)} AND toString(action) IN ('acknowledge', 'resolve')
      ORDER BY at, at_ms, action_id`);
    const fresh = rows.filter((r) => !seenActions.has(r.action_id));
    let newest = actionCursor;
    for (const r of rows) newest = Math.max(newest, fromDateTime(r.at));
    if (fresh.length > 0) {
      const alertIds = [...new Set(fresh.map((r) => r.alert_id))];
      const pages = (await pagesOf(ch, alertIds)).filter((p) => p.kind !== 'digest');
      for (const d of deliveries.values()) {
        if (d.kind === 'trigger' || d.kind === 'escalate') pages.push({ channel: d.channel, alertId: d.members[0].alertId, kind: d.kind, dedupKey: d.dedupKey });
      }
      const wanted: Delivery[] = [];
      for (const r of fresh) {
        for (const p of pages) {
          if (p.alertId !== r.alert_id || !channels.get(p.channel)?.updates) continue;
          const id = deliveryId(p.channel, r.kind, p.dedupKey);
          if (wanted.some((w) => w.id === id)) continue;
          wanted.push({ id, channel: p.channel, kind: r.kind, dedupKey: p.dedupKey, route: '', members: [{ alertId: r.alert_id, link: alertLink(baseUrl, r.alert_id) }], queuedAt: t, due: t, attempts: 0, lastReason: '' });
        }
      }
      const exists = wanted.length > 0 ? await existingDeliveries(ch, wanted.map((w) => w.id)) : new Set<string>();
      const todo = wanted.filter((w) => !exists.has(w.id) && !deliveries.has(w.id));
      await commit(
        todo.map((d) => row(d, { event: 'queued', at: t, alertId: d.members[0].alertId, content: d.members[0] })),
        todo.map((d) => () => deliveries.set(d.id, d)),
      );
      for (const r of fresh) {
        seenActions.set(r.action_id, fromDateTime(r.at));
        for (const key of [...watch.keys()]) if (key.startsWith(`${r.alert_id}|`)) watch.delete(key);
      }
      if (todo.length > 0) log.info({ actions: fresh.length, updates: todo.length }, 'notifier: triage actions forwarded');
    }
    actionCursor = newest;
    for (const [id, at] of seenActions) if (at < actionCursor - 2 * OVERLAP_MS) seenActions.delete(id);
  }

  async function escalate(t: number): Promise<void> {
    const due = [...watch.values()].filter((w) => {
      const after = routeByName.get(w.route)?.escalateAfterMs;
      return after !== undefined && w.deliveredAt + after <= t;
    });
    if (due.length === 0) return;
    const states = await statesOf(ch, [...new Set(due.map((w) => w.alertId))], t);
    const items: Array<{ page: AlertPage; channel: string; route: string; kind: 'escalate' }> = [];
    for (const w of due) {
      if (states.get(w.alertId)?.status !== 'open') continue;
      const r = routeByName.get(w.route)!;
      const to = r.escalateTo && r.escalateTo.length > 0 ? r.escalateTo : r.channels;
      for (const channel of to) {
        if (!channels.has(channel)) continue;
        if (deliveries.has(deliveryId(channel, 'escalate', `${w.alertId}/escalation`))) continue;
        items.push({ page: { ...w.page, escalation: { afterMs: r.escalateAfterMs! } }, channel, route: w.route, kind: 'escalate' });
      }
    }
    const exists = items.length > 0 ? await existingDeliveries(ch, items.map((i) => deliveryId(i.channel, 'escalate', `${i.page.alertId}/escalation`))) : new Set<string>();
    const todo = items.filter((i) => !exists.has(deliveryId(i.channel, 'escalate', `${i.page.alertId}/escalation`)));
    const out: OutboxRow[] = [];
    const apply: Array<() => void> = [];
    planPages(todo, t, out, apply);
    await commit(out, apply);
    for (const w of due) watch.delete(`${w.alertId}|${w.route}`);
    stats.escalations += todo.length;
    if (todo.length > 0) log.warn({ alerts: todo.map((i) => i.page.alertId) }, 'notifier: unacknowledged alerts re-paged');
  }

  async function saveCursors(t: number): Promise<void> {
    if (alertCursor > savedCursors.alerts) {
      await writeCursor(ch, 'alerts', alertCursor, t);
      savedCursors.alerts = alertCursor;
    }
    if (actionCursor > savedCursors.actions) {
      await writeCursor(ch, 'actions', actionCursor, t);
      savedCursors.actions = actionCursor;
    }
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

  /** Whether an earlier delivery for the same incident on the same channel is still pending (order: trigger, acknowledge, resolve). */
  function blocked(d: Delivery): boolean {
    const order: Record<Kind, number> = { test: 0, trigger: 1, escalate: 1, digest: 1, acknowledge: 2, resolve: 3 };
    for (const o of deliveries.values()) {
      if (o !== d && o.channel === d.channel && o.dedupKey === d.dedupKey && (order[o.kind] < order[d.kind] || (order[o.kind] === order[d.kind] && o.queuedAt < d.queuedAt))) return true;
    }
    return false;
  }

  function dispatch(): void {
    if (!loaded) return;
    const t = now();
    const byChannel = new Map<string, Delivery[]>();
    for (const d of deliveries.values()) {
      if (d.due > t || busy.has(d.channel) || (pausedUntil.get(d.channel) ?? 0) > t) continue;
      // A digest may still gain members while alerts are being routed: it goes once routing is done.
      if (d.kind === 'digest' && routing) continue;
      const list = byChannel.get(d.channel) ?? [];
      list.push(d);
      byChannel.set(d.channel, list);
    }
    for (const [channel, list] of byChannel) {
      list.sort((a, b) => a.due - b.due || a.queuedAt - b.queuedAt);
      const next = list.find((d) => !blocked(d));
      if (!next) continue;
      const c = channels.get(channel);
      if (!c) continue;
      busy.add(channel);
      const p = deliverOne(c, next).finally(() => {
        busy.delete(channel);
        inFlight.delete(p);
        if (!stopping) dispatch();
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
    if (outcome.ok) {
      deliveries.delete(d.id);
      unsaved.push(row(d, { event: 'delivered', at: t, attempt, status: outcome.status, alertId: d.members[0]?.alertId }));
      stats.delivered++;
      const r = routeByName.get(d.route);
      if (d.kind === 'trigger' && r?.escalateAfterMs !== undefined) {
        watch.set(`${d.members[0].alertId}|${d.route}`, { alertId: d.members[0].alertId, route: d.route, deliveredAt: t, page: d.members[0] as AlertPage });
      }
      log.info({ channel: d.channel, kind: d.kind, dedupKey: d.dedupKey, alerts: d.members.length, attempt, ms: t - t0 }, 'notifier: delivered');
    } else if (!outcome.retriable || t - d.queuedAt > n.delivery.giveUpAfterMs) {
      deliveries.delete(d.id);
      unsaved.push(row(d, { event: 'abandoned', at: t, attempt, status: outcome.status, reason: outcome.reason, alertId: d.members[0]?.alertId }));
      stats.abandoned++;
      log.error({ channel: d.channel, kind: d.kind, dedupKey: d.dedupKey, attempt, reason: outcome.reason }, 'notifier: delivery abandoned');
    } else {
      const wait = backoffMs(attempt, n.delivery, random, outcome.retryAfterMs ?? 0);
      d.attempts = attempt;
      d.due = t + wait;
      d.lastReason = outcome.reason;
      if (outcome.status === 429 || outcome.retryAfterMs !== undefined) pausedUntil.set(d.channel, d.due);
      unsaved.push(row(d, { event: 'failed', at: t, due: d.due, attempt, status: outcome.status, reason: outcome.reason, alertId: d.members[0]?.alertId }));
      stats.failedAttempts++;
      log.warn({ channel: d.channel, kind: d.kind, dedupKey: d.dedupKey, attempt, retryInMs: wait, reason: outcome.reason }, 'notifier: delivery failed, will retry');
    }
    await flush().catch((err: unknown) => log.warn({ err: describeError(err) }, 'notifier: outbox write failed; kept for the next cycle'));
  }

  async function tick(): Promise<void> {
    try {
      await flush();
      if (!loaded) await load();
      const t = now();
      for (const b of budgets.values()) b.prune(t);
      routing = true;
      try {
        await pollAlerts(t);
        await pollActions(t);
        await escalate(t);
      } finally {
        routing = false;
      }
      await saveCursors(t);
    } catch (err) {
      log.warn({ err: describeError(err) }, 'notifier: cycle failed; retrying');
    }
    dispatch();
  }

  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;

  return {
    done,
    async start() {
      await load();
      loop = (async () => {
        while (!stopping) {
          await tick();
          if (stopping) break;
          await new Promise<void>((r) => {
            const timer = setTimeout(r, n.pollIntervalMs);
            wake = () => {
              clearTimeout(timer);
              r();
            };
          });
        }
      })();
    },
    async stop() {
      stopping = true;
      wake?.();
      await loop;
      const deadline = new Promise<void>((r) => setTimeout(r, n.delivery.timeoutMs + 1000).unref());
      await Promise.race([Promise.all([...inFlight]), deadline]);
      await flush().catch((err: unknown) => log.warn({ err: describeError(err) }, 'notifier: final outbox write failed'));
      resolveDone();
    },
    tick,
    stats: () => ({ ...stats, pending: deliveries.size }),
    pending: () => [...deliveries.values()],
  };
}

function whoOf(config: Readonly<Config>): (user: string) => string {
  switch (config.notify.identity) {
    case 'user':
      return (u) => u;
    case 'none':
      return () => '';
    case 'pseudonym': {
      const key = config.api.pseudonymKey;
      if (!key || key.length < 16) {
        throw new ConfigError('notify.identity is "pseudonym": set INSIDER_PSEUDONYM_KEY (a secret of at least 16 characters), or name employees by id or not at all with notify.identity: user | none (INSIDER_NOTIFY_IDENTITY)', { key: 'notify.identity' });
      }
      const p = createPseudonyms({ enabled: true, key });
      return (u) => p.of(u);
    }
  }
}

export type { RowContent };
