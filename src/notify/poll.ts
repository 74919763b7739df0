// The notifier's polling: every cycle it reads the alert revisions and triage actions (acknowledge,
// resolve) that are new since its cursors, routes fresh alerts into pages and forwards actions as
// updates to the pages already sent. The cursors are saved in the outbox's database and read back on
// start; revisions and actions seen within the overlap are remembered so that none is routed twice.
import type { Severity } from '../alerts';
import { currentDirectory } from '../directory';
import { fromDateTime, sql } from '../store';
import { statesOf } from '../triage';
import { unwatch } from './escalation';
import type { NotifierState } from './notifier-state';
import { deliveryId, existingDeliveries, pagesOf, readCursor, row, writeCursor, type Delivery, type OutboxRow } from './outbox';
import { alertLink, pageOf, type AlertPage, type AlertRevision } from './page';
import { commit, planPages } from './queue';
import { needsDepartments, routeAlert } from './routing';

/** Revisions and actions are read again this far behind the newest one seen (inserts that land late). */
const OVERLAP_MS = 30_000;
const DIRECTORY_TTL_MS = 60_000;

export interface Poller {
  /** Reads the saved cursors back (never further back than notify.catchUpMs). */
  restoreCursors(t: number): Promise<void>;
  pollAlerts(t: number): Promise<void>;
  pollActions(t: number): Promise<void>;
  saveCursors(t: number): Promise<void>;
}

export function createPoller(state: NotifierState): Poller {
  const { ch, log, n, now, channels, routes, baseUrl, page } = state;
  let alertCursor = 0;
  let actionCursor = 0;
  let savedCursors = { alerts: 0, actions: 0 };
  const seenRevisions = new Map<string, { revision: number; updated: number }>();
  const seenActions = new Map<string, number>();
  let directory: { at: number; departments: Map<string, string> } | undefined;

  async function restoreCursors(t: number): Promise<void> {
    const start = t - n.catchUpMs;
    alertCursor = Math.max(start, (await readCursor(ch, 'alerts')) ?? start);
    actionCursor = Math.max(start, (await readCursor(ch, 'actions')) ?? start);
    savedCursors = { alerts: alertCursor, actions: actionCursor };
  }

  async function departments(): Promise<Map<string, string>> {
    if (!needsDepartments(routes)) return new Map();
    if (!directory || now() - directory.at > DIRECTORY_TTL_MS) {
      const dir = await currentDirectory(ch);
      directory = { at: now(), departments: new Map(dir.entries.map((e) => [e.id, e.department])) };
    }
    return directory.departments;
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
      for (const d of state.deliveries.values()) if (d.kind === 'trigger' || d.kind === 'digest') for (const m of d.members) already.add(`${d.channel}|${m.alertId}`);
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
      planPages(state, items, t, out, apply);
      await commit(state, out, apply);
      for (const a of fresh) seenRevisions.set(a.alertId, { revision: a.revision, updated: a.updatedAtWall });
      state.stats.revisionsRouted += fresh.length;
      state.metrics.routed.inc(fresh.length);
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
      for (const d of state.deliveries.values()) {
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
      const todo = wanted.filter((w) => !exists.has(w.id) && !state.deliveries.has(w.id));
      await commit(
        state,
        todo.map((d) => row(d, { event: 'queued', at: t, alertId: d.members[0].alertId, content: d.members[0] })),
        todo.map((d) => () => state.deliveries.set(d.id, d)),
      );
      for (const r of fresh) {
        seenActions.set(r.action_id, fromDateTime(r.at));
        unwatch(state, r.alert_id);
      }
      if (todo.length > 0) log.info({ actions: fresh.length, updates: todo.length }, 'notifier: triage actions forwarded');
    }
    actionCursor = newest;
    for (const [id, at] of seenActions) if (at < actionCursor - 2 * OVERLAP_MS) seenActions.delete(id);
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

  return { restoreCursors, pollAlerts, pollActions, saveCursors };
}
