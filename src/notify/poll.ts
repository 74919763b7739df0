// The notifier's polling: every cycle it reads the alert revisions and triage actions (acknowledge,
// resolve) that are new since its cursors, routes fresh alerts into pages (a case's, or an alert's: see
// case-pages.ts) and updates of the incidents already paged, and forwards actions as acknowledgements
// and resolutions of those incidents. The cursors are saved in the outbox's database and read back on
// start; revisions and actions seen within the overlap are remembered so that none is routed twice.
import { revisionLandingMs, type LandingTimeouts, type Severity } from '../alerts';
import { currentDirectory } from '../directory';
import { fromDateTime, ident, join, sql } from '../store';
import { statesOf } from '../triage';
import type { NotifierState } from './notifier-state';
import { casePageOf, incidentsOf, planFor, readCases, settledAs, type PagedCase } from './case-pages';
import { deliveryId, existingDeliveries, incidentRows, readCursor, row, writeCursor, type Delivery, type OutboxRow } from './outbox';
import { alertLink, caseLink, incidentOf, pageOf, type AlertPage, type AlertRevision } from './page';
import { commit, planPages } from './queue';
import { needsDepartments, routeAlert } from './routing';

/** Actions are read again this far behind the newest one seen (inserts that land late). */
const OVERLAP_MS = 30_000;
/**
 * Revisions too, further: a detector's revision can land long after its stamp (an insert whose answer was
 * lost is waited out, src/live-detect/alert-writes.ts), while other detectors' revisions move the cursor
 * on. At least 3 min; longer when the configured time-outs let a revision land later (alerts/landing.ts).
 */
const REVISION_OVERLAP_MS = 180_000;
export const revisionOverlapMs = (c: LandingTimeouts) => Math.max(REVISION_OVERLAP_MS, revisionLandingMs(c));
/**
 * Every this many polls (a minute at the default interval; the first poll too) revisions are read back as
 * far as notify.catchUpMs: one landing later than the overlap (ClickHouse finishing a stuck insert minutes
 * after its stamp: it cannot kill one, src/store/write-fence.ts) is still paged, a minute late at most.
 * What a previous run of the notifier routed, or chose not to page (quiet hours, a snooze, its routes),
 * is not routed again: on start, the revisions below where the first regular read begins are taken as
 * seen (so one landing late while the notifier was down, with a stamp below that, is not paged).
 */
const LATE_SWEEP_EVERY = 60;

interface RevisionRow {
  alert_id: string; revision: number; user: string; severity: Severity; score: number; detectors: string[]; observed_bytes: string; ratio: number;
  window_start: string; window_end: string; fired_at: string; fired_at_ms: number; updated_at_wall: string;
}
/** Every column a page needs. */
const PAGE_COLUMNS = ['alert_id', 'revision', 'user', 'severity', 'score', 'detectors', 'observed_bytes', 'ratio', 'window_start', 'window_end', 'fired_at', 'fired_at_ms', 'updated_at_wall'] as const;
/** What a restart's baseline of what was routed needs (a catch-up window's worth of revisions). */
const SEEN_COLUMNS = ['alert_id', 'revision', 'updated_at_wall'] as const;
const DIRECTORY_TTL_MS = 60_000;

export interface Poller {
  /** Reads the saved cursors back (never further back than notify.catchUpMs). */
  restoreCursors(t: number): Promise<void>;
  pollAlerts(t: number): Promise<void>;
  pollActions(t: number): Promise<void>;
  saveCursors(t: number): Promise<void>;
}

export function createPoller(state: NotifierState): Poller {
  const { ch, log, n, now, channels, routes, baseUrl, page, revisionOverlapMs: overlapMs } = state;
  const anyPerCase = routes.some((r) => (r.pageBy ?? 'case') === 'case');
  let alertCursor = 0;
  let actionCursor = 0;
  let alertPolls = 0;
  let savedCursors = { alerts: 0, actions: 0 };
  const seenRevisions = new Map<string, { revision: number; updated: number }>();
  const seenActions = new Map<string, number>();
  let directory: { at: number; departments: Map<string, string> } | undefined;

  async function restoreCursors(t: number): Promise<void> {
    const start = t - n.catchUpMs;
    alertCursor = Math.max(start, (await readCursor(ch, 'alerts')) ?? start);
    actionCursor = Math.max(start, (await readCursor(ch, 'actions')) ?? start);
    savedCursors = { alerts: alertCursor, actions: actionCursor };
    // The previous run's: not swept up again (LATE_SWEEP_EVERY).
    const firstRead = alertCursor - overlapMs;
    if (firstRead > start) {
      for (const r of await latestRevisions(SEEN_COLUMNS, start, firstRead)) {
        seenRevisions.set(r.alert_id, { revision: Number(r.revision), updated: fromDateTime(r.updated_at_wall) });
      }
    }
  }

  /** These columns of the newest revision of each alert stamped from `from` (before `before`), whole seconds. */
  function latestRevisions<K extends keyof RevisionRow>(columns: readonly K[], from: number, before?: number): Promise<Array<Pick<RevisionRow, K>>> {
    return ch.query<Pick<RevisionRow, K>>(sql`
      SELECT ${join(columns.map((c) => ident(c)), ', ')}
      FROM alerts
      WHERE updated_at_wall >= ${new Date(Math.floor(from / 1000) * 1000)}${before === undefined ? sql`` : sql` AND updated_at_wall < ${new Date(Math.floor(before / 1000) * 1000)}`}
      ORDER BY alert_id, revision DESC
      LIMIT 1 BY alert_id`);
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
    const sweep = alertPolls++ % LATE_SWEEP_EVERY === 0;
    const rows = await latestRevisions(PAGE_COLUMNS, sweep ? t - n.catchUpMs : Math.max(alertCursor - overlapMs, t - n.catchUpMs));
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
      const planned = await routeRevisions(fresh, t);
      state.stats.revisionsRouted += fresh.length;
      state.metrics.routed.inc(fresh.length);
      if (planned.pages + planned.updates > 0) log.info({ revisions: fresh.length, ...planned }, 'notifier: alerts routed');
      for (const a of fresh) seenRevisions.set(a.alertId, { revision: a.revision, updated: a.updatedAtWall });
    }
    alertCursor = newest;
    // Remembered as far back as the sweep reads (whole seconds).
    for (const [id, s] of seenRevisions) if (s.updated < Math.min(alertCursor - 2 * overlapMs, t - n.catchUpMs - 1000)) seenRevisions.delete(id);
  }

  /**
   * Fresh revisions into pages and updates. Per route: a case's page (pageBy: case) or the alert's; a
   * channel that has an incident for it gets an update when the page tells it something new (never
   * after the incident was resolved), one that has none a page when an alert of it is still open.
   */
  async function routeRevisions(fresh: AlertRevision[], t: number): Promise<{ pages: number; updates: number }> {
    const ids = fresh.map((a) => a.alertId);
    const { caseOf, states } = anyPerCase ? await readCases(ch, state.cases, ids, t) : { caseOf: new Map<string, PagedCase>(), states: await statesOf(ch, ids, t) };
    const related = new Set(ids);
    for (const id of ids) for (const a of caseOf.get(id)?.alerts ?? []) related.add(a.alertId);
    const incidents = incidentsOf(await incidentRows(ch, [...related]));
    const dept = await departments();
    // Open alerts first, then the newest: per case and channel the first that pages or grows it is sent.
    const order = [...fresh].sort((x, y) => Number(states.get(y.alertId)?.status === 'open') - Number(states.get(x.alertId)?.status === 'open') || y.firedAt - x.firedAt);
    const items: Array<{ page: AlertPage; channel: string; route: string; kind: 'trigger'; dedupKey: string }> = [];
    const updates: Delivery[] = [];
    const done = new Set<string>();
    for (const a of order) {
      const c = caseOf.get(a.alertId);
      for (const perCase of [true, false]) {
        const byRoute = routes.filter((r) => ((r.pageBy ?? 'case') === 'case') === perCase);
        if (byRoute.length === 0 || (perCase && !c)) continue;
        const p = perCase ? casePageOf(a, c!, page) : pageOf(a, page);
        const scope = new Set(perCase ? c!.alerts.map((x) => x.alertId) : [a.alertId]);
        const open = [...scope].some((id) => states.get(id)?.status === 'open');
        const subject = incidentOf(p);
        for (const target of routeAlert(byRoute, p, dept.get(a.user) ?? null, t)) {
          const channel = channels.get(target.channel);
          if (!channel || done.has(`${target.channel}|${subject}`)) continue;
          // A case's incident is any page of one of its alerts (also one paged per alert before routes paged cases).
          const mine = incidents.filter((i) => i.channel === target.channel && (perCase || !i.perCase) && i.opened !== 'escalate' && [...i.sent.keys()].some((id) => scope.has(id)));
          const plan = planFor(mine, p, subject, { open, updates: channel.updates });
          if (plan === null) continue;
          done.add(`${target.channel}|${subject}`);
          if (plan.kind === 'trigger') items.push({ page: p, channel: target.channel, route: target.route, kind: 'trigger', dedupKey: plan.dedupKey });
          else {
            const id = `${deliveryId(target.channel, 'update', plan.dedupKey)}|${a.alertId}@${a.revision}`;
            updates.push({ id, channel: target.channel, kind: 'update', dedupKey: plan.dedupKey, route: target.route, members: [p], queuedAt: t, due: t, attempts: 0, lastReason: '' });
          }
        }
      }
    }
    const ids2 = [...items.map((i) => deliveryId(i.channel, 'trigger', i.dedupKey)), ...updates.map((u) => u.id)];
    const exists = ids2.length > 0 ? await existingDeliveries(ch, ids2) : new Set<string>();
    const pages = items.filter((i) => !exists.has(deliveryId(i.channel, 'trigger', i.dedupKey)) && !state.deliveries.has(deliveryId(i.channel, 'trigger', i.dedupKey)));
    const grown = updates.filter((u) => !exists.has(u.id) && !state.deliveries.has(u.id));
    const out: OutboxRow[] = [];
    const apply: Array<() => void> = [];
    planPages(state, pages, t, out, apply);
    out.push(...grown.map((d) => row(d, { event: 'queued', at: t, alertId: d.members[0].alertId, content: d.members[0] })));
    apply.push(...grown.map((d) => () => state.deliveries.set(d.id, d)));
    await commit(state, out, apply);
    return { pages: pages.length, updates: grown.length };
  }

  /**
   * Triage actions (acknowledge, snooze, resolve) into acknowledge and resolve of the incidents they
   * settle: a case's incident when no alert of the case is open any more (acknowledge) or all are
   * resolved (resolve); an alert's with the alert. On channels that take updates; each incident acknowledged and resolved once.
   */
  async function pollActions(t: number): Promise<void> {
    const from = Math.max(actionCursor - OVERLAP_MS, t - n.catchUpMs);
    const rows = await ch.query<{ action_id: string; alert_id: string; kind: 'acknowledge' | 'snooze' | 'resolve'; at: string; at_ms: number }>(sql`
      SELECT action_id, alert_id, toString(action) AS kind, at, at_ms FROM alert_actions
      WHERE at >= ${new Date(Math.floor(from / 1000) * 1000)} AND toString(action) IN ('acknowledge', 'snooze', 'resolve')
      ORDER BY at, at_ms, action_id`);
    const fresh = rows.filter((r) => !seenActions.has(r.action_id));
    let newest = actionCursor;
    for (const r of rows) newest = Math.max(newest, fromDateTime(r.at));
    if (fresh.length > 0) {
      const acted = [...new Set(fresh.map((r) => r.alert_id))];
      // Cases are read whatever the routes say now: incidents paged per case before still settle with their case.
      const { caseOf, states } = await readCases(ch, state.cases, acted, t);
      const related = new Set(acted);
      for (const id of acted) for (const a of caseOf.get(id)?.alerts ?? []) related.add(a.alertId);
      const incidents = incidentsOf(await incidentRows(ch, [...related]));
      const wanted: Delivery[] = [];
      for (const inc of incidents) {
        if (inc.opened === 'digest' || !channels.get(inc.channel)?.updates) continue;
        const about = [...inc.sent.keys()];
        const trigger = acted.find((id) => (inc.perCase ? caseOf.get(id)?.alerts.some((a) => about.includes(a.alertId)) : about.includes(id)));
        if (trigger === undefined) continue;
        const c = caseOf.get(trigger);
        const scope = inc.perCase && c ? c.alerts.map((a) => a.alertId) : about;
        const kind = settledAs(scope.map((id) => states.get(id)?.status ?? 'open'));
        if (kind === null || inc.resolved || (kind === 'acknowledge' && inc.acknowledged)) continue;
        const link = inc.perCase && c ? caseLink(baseUrl, c.alerts[0].alertId) : alertLink(baseUrl, trigger);
        wanted.push({ id: deliveryId(inc.channel, kind, inc.dedupKey), channel: inc.channel, kind, dedupKey: inc.dedupKey, route: '', members: [{ alertId: trigger, link }], queuedAt: t, due: t, attempts: 0, lastReason: '' });
      }
      const exists = wanted.length > 0 ? await existingDeliveries(ch, wanted.map((w) => w.id)) : new Set<string>();
      const todo = wanted.filter((w) => !exists.has(w.id) && !state.deliveries.has(w.id));
      await commit(
        state,
        todo.map((d) => row(d, { event: 'queued', at: t, alertId: d.members[0].alertId, content: d.members[0] })),
        todo.map((d) => () => state.deliveries.set(d.id, d)),
      );
      // An alert awaiting escalation is looked at again when it is due (escalation.ts): a case still has
      // an open alert after one of its alerts was acknowledged.
      for (const r of fresh) seenActions.set(r.action_id, fromDateTime(r.at));
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
