// The outbox in ClickHouse (migration 0005): rows in, deliveries' state out. Every value reaches SQL
// through the escaping helper. State is derived from append-only rows, never updated in place.
import { fromDateTime, inList, sql, toDateTime, type ClickHouse, type SqlFragment } from '../store';
import type { AlertPage, Kind, Message } from './page';

export type RowEvent = 'queued' | 'failed' | 'delivered' | 'abandoned';

export interface OutboxRow {
  delivery_id: string;
  channel: string;
  kind: Kind;
  dedup_key: string;
  alert_id: string;
  route: string;
  event: RowEvent;
  attempt: number;
  at: string;
  at_ms: number;
  due: string;
  due_ms: number;
  status: number;
  reason: string;
  content: string;
}

/** What a queued row carries: the alert as paged, or (acknowledge / resolve / test) the alert id and link. */
export type RowContent = AlertPage | { alertId: string; link: string };

export interface Delivery {
  id: string;
  channel: string;
  kind: Kind;
  dedupKey: string;
  route: string;
  /** One for every kind but digests, which list every alert they group. */
  members: RowContent[];
  queuedAt: number;
  due: number;
  attempts: number;
  lastReason: string;
}

export function deliveryId(channel: string, kind: Kind, dedupKey: string): string {
  return `${channel}|${kind}|${dedupKey}`;
}

export function row(d: Pick<Delivery, 'id' | 'channel' | 'kind' | 'dedupKey' | 'route'>, fields: { event: RowEvent; at: number; due?: number; attempt?: number; status?: number; reason?: string; alertId?: string; content?: RowContent }): OutboxRow {
  const due = fields.due ?? fields.at;
  return {
    delivery_id: d.id,
    channel: d.channel,
    kind: d.kind,
    dedup_key: d.dedupKey,
    alert_id: fields.alertId ?? '',
    route: d.route,
    event: fields.event,
    attempt: fields.attempt ?? 0,
    at: toDateTime(fields.at),
    at_ms: fields.at % 1000,
    due: toDateTime(due),
    due_ms: due % 1000,
    status: fields.status ?? 0,
    reason: fields.reason ?? '',
    content: fields.content === undefined ? '' : JSON.stringify(fields.content),
  };
}

export async function appendRows(ch: ClickHouse, rows: ReadonlyArray<OutboxRow>): Promise<void> {
  if (rows.length > 0) await ch.insert('notify_outbox', rows);
}

/** The message a delivery sends now. */
export function messageOf(d: Delivery, digestLink: string): Message {
  const first = d.members[0];
  switch (d.kind) {
    case 'trigger':
    case 'escalate':
    case 'update':
      return { kind: d.kind, dedupKey: d.dedupKey, alert: first as AlertPage };
    case 'acknowledge':
    case 'resolve':
      return { kind: d.kind, dedupKey: d.dedupKey, alertId: first.alertId, link: first.link };
    case 'digest':
      return { kind: 'digest', dedupKey: d.dedupKey, digest: { digestId: d.dedupKey, alerts: d.members as AlertPage[], link: digestLink } };
    case 'test':
      return { kind: 'test', dedupKey: d.dedupKey, link: first?.link ?? digestLink };
  }
}

const ms = (dt: string, extra: number | string) => fromDateTime(dt) + Number(extra);

/** Every delivery that is neither delivered nor abandoned, rebuilt from its rows. */
export async function openDeliveries(ch: ClickHouse): Promise<Delivery[]> {
  const rows = await ch.query<OutboxRow>(sql`
    SELECT * FROM notify_outbox
    WHERE delivery_id IN (
      SELECT delivery_id FROM notify_outbox GROUP BY delivery_id
      HAVING countIf(event = 'delivered' OR event = 'abandoned') = 0)
    ORDER BY delivery_id, at, at_ms`);
  const out = new Map<string, Delivery>();
  for (const r of rows) {
    let d = out.get(r.delivery_id);
    if (!d) {
      d = { id: r.delivery_id, channel: r.channel, kind: r.kind, dedupKey: r.dedup_key, route: r.route, members: [], queuedAt: ms(r.at, r.at_ms), due: ms(r.due, r.due_ms), attempts: 0, lastReason: '' };
      out.set(d.id, d);
    }
    if (r.event === 'queued') {
      if (r.content !== '') d.members.push(JSON.parse(r.content) as RowContent);
      d.queuedAt = Math.min(d.queuedAt, ms(r.at, r.at_ms));
      if (d.attempts === 0) d.due = ms(r.due, r.due_ms);
    } else if (r.event === 'failed') {
      d.attempts = Math.max(d.attempts, Number(r.attempt));
      d.due = ms(r.due, r.due_ms);
      d.lastReason = r.reason;
    }
  }
  // A digest's members: one per alert even if a member row was written twice.
  for (const d of out.values()) {
    if (d.kind === 'digest') d.members = [...new Map(d.members.map((m) => [m.alertId, m])).values()];
  }
  return [...out.values()].filter((d) => d.members.length > 0 || d.kind === 'test');
}

/** When each channel's pages (one time per delivery) were placed, from `since` on, future digests included. */
export async function pageTimes(ch: ClickHouse, since: number): Promise<Array<{ channel: string; t: number; id: string; kind: Kind; due: number; members: number }>> {
  const rows = await ch.query<{ channel: string; delivery_id: string; c_kind: Kind; t: string; n: string }>(sql`
    SELECT channel, delivery_id, any(kind) AS c_kind, min(toUInt64(due) * 1000 + due_ms) AS t, count() AS n
    FROM notify_outbox
    WHERE event = 'queued' AND kind IN ('trigger', 'escalate', 'digest') AND due >= ${new Date(since)}
    GROUP BY channel, delivery_id`);
  return rows.map((r) => ({ channel: r.channel, id: r.delivery_id, kind: r.c_kind, t: Number(r.t), due: Number(r.t), members: Number(r.n) }));
}

/**
 * Every delivery queued for these alerts (pages, digests' member rows, updates, acknowledgements,
 * resolutions), and every other delivery of the same incidents (digests aside: their other members are
 * other alerts), so that an incident resolved through an alert since regrouped elsewhere reads resolved.
 */
export async function incidentRows(ch: ClickHouse, alertIds: ReadonlyArray<string>): Promise<Array<{ channel: string; dedupKey: string; kind: Kind; alertId: string; content: string }>> {
  type Row = { channel: string; dedup_key: string; kind: Kind; alert_id: string; content: string; delivery_id: string };
  const found = new Map<string, Row>();
  const read = async (where: (chunk: string[]) => SqlFragment, values: ReadonlyArray<string>) => {
    for (let i = 0; i < values.length; i += 2000) {
      const rows = await ch.query<Row>(sql`
        SELECT channel, dedup_key, kind, alert_id, any(content) AS content, delivery_id FROM notify_outbox
        WHERE event = 'queued' AND ${where(values.slice(i, i + 2000))}
        GROUP BY channel, dedup_key, kind, alert_id, delivery_id`);
      for (const r of rows) found.set(`${r.delivery_id}|${r.alert_id}`, r);
    }
  };
  await read((chunk) => sql`alert_id IN ${inList(chunk)}`, alertIds);
  const keys = [...new Set([...found.values()].filter((r) => r.kind !== 'digest').map((r) => r.dedup_key))];
  await read((chunk) => sql`kind != 'digest' AND dedup_key IN ${inList(chunk)}`, keys);
  return [...found.values()].map((r) => ({ channel: r.channel, dedupKey: r.dedup_key, kind: r.kind, alertId: r.alert_id, content: r.content }));
}

/** Which of these delivery ids exist already. */
export async function existingDeliveries(ch: ClickHouse, ids: ReadonlyArray<string>): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < ids.length; i += 2000) {
    const rows = await ch.query<{ delivery_id: string }>(sql`SELECT DISTINCT delivery_id FROM notify_outbox WHERE delivery_id IN ${inList(ids.slice(i, i + 2000))}`);
    for (const r of rows) out.add(r.delivery_id);
  }
  return out;
}

/** Triggers delivered since `since` whose alert has not been re-paged (escalated) on that route yet. */
export async function awaitingEscalation(ch: ClickHouse, since: number): Promise<Array<{ alertId: string; route: string; deliveredAt: number; page: AlertPage; dedupKey: string }>> {
  const rows = await ch.query<{ alert_id: string; route: string; content: string; delivered_at: string; dedup_key: string }>(sql`
    SELECT alert_id, route, content, delivered_at, dedup_key
    FROM (
      SELECT delivery_id, alert_id, route, content, dedup_key FROM notify_outbox
      WHERE kind = 'trigger' AND event = 'queued' AND at >= ${new Date(since)}
    ) AS q
    ANY INNER JOIN (
      SELECT delivery_id, max(toUInt64(at) * 1000 + at_ms) AS delivered_at FROM notify_outbox
      WHERE kind = 'trigger' AND event = 'delivered' AND at >= ${new Date(since)}
      GROUP BY delivery_id
    ) AS d USING delivery_id`);
  const escalated = await ch.query<{ alert_id: string; route: string }>(sql`
    SELECT DISTINCT alert_id, route FROM notify_outbox
    WHERE event = 'queued' AND at >= ${new Date(since)}
      AND (kind = 'escalate' OR (kind = 'digest' AND position(content, '"escalation"') > 0))`);
  const done = new Set(escalated.map((r) => `${r.alert_id}|${r.route}`));
  const out = new Map<string, { alertId: string; route: string; deliveredAt: number; page: AlertPage; dedupKey: string }>();
  for (const r of rows) {
    const key = `${r.alert_id}|${r.route}`;
    if (done.has(key)) continue;
    const deliveredAt = Number(r.delivered_at);
    const prev = out.get(key);
    if (!prev || deliveredAt < prev.deliveredAt) out.set(key, { alertId: r.alert_id, route: r.route, deliveredAt, page: JSON.parse(r.content) as AlertPage, dedupKey: r.dedup_key });
  }
  return [...out.values()];
}

export async function readCursor(ch: ClickHouse, stream: string): Promise<number | null> {
  const [r] = await ch.query<{ p: string; n: string }>(sql`SELECT toUInt64(max(position)) AS p, count() AS n FROM notify_cursor WHERE stream = ${stream}`);
  return r && Number(r.n) > 0 ? Number(r.p) * 1000 : null;
}

export async function writeCursor(ch: ClickHouse, stream: string, position: number, now: number): Promise<void> {
  await ch.insert('notify_cursor', [{ stream, position: toDateTime(position), at: toDateTime(now) }]);
}

export type DeliveryState = 'queued' | 'retrying' | 'delivered' | 'abandoned';

export interface DeliverySummary {
  deliveryId: string;
  channel: string;
  kind: Kind;
  dedupKey: string;
  alerts: number;
  state: DeliveryState;
  attempts: number;
  queuedAt: number;
  lastAt: number;
  /** The next attempt (queued or retrying). */
  nextAt: number | null;
  lastStatus: number;
  lastReason: string;
}

/** Deliveries for `insider notify outbox`: pending and failed ones (and, with `all`, delivered ones), newest first. */
export async function listDeliveries(ch: ClickHouse, opts: { all?: boolean; limit?: number } = {}): Promise<DeliverySummary[]> {
  const having = opts.all ? sql`1 = 1` : sql`n_delivered = 0`;
  const rows = await ch.query<Record<string, string>>(sql`
    SELECT delivery_id,
      any(channel) AS c_channel, any(kind) AS c_kind, any(dedup_key) AS c_dedup,
      countIf(event = 'queued') AS n_queued, countIf(event = 'failed') AS n_failed,
      countIf(event = 'delivered') AS n_delivered, countIf(event = 'abandoned') AS n_abandoned,
      min(toUInt64(at) * 1000 + at_ms) AS first_at, max(toUInt64(at) * 1000 + at_ms) AS last_at,
      argMax(toUInt64(due) * 1000 + due_ms, toUInt64(at) * 1000 + at_ms) AS next_at,
      argMax(status, toUInt64(at) * 1000 + at_ms) AS last_status,
      argMax(reason, toUInt64(at) * 1000 + at_ms) AS last_reason
    FROM notify_outbox
    GROUP BY delivery_id
    HAVING ${having}
    ORDER BY first_at DESC, delivery_id
    LIMIT ${opts.limit ?? 100}`);
  return rows.map((r) => {
    const state: DeliveryState = Number(r.n_delivered) > 0 ? 'delivered' : Number(r.n_abandoned) > 0 ? 'abandoned' : Number(r.n_failed) > 0 ? 'retrying' : 'queued';
    return {
      deliveryId: r.delivery_id,
      channel: r.c_channel,
      kind: r.c_kind as Kind,
      dedupKey: r.c_dedup,
      alerts: Number(r.n_queued),
      state,
      attempts: Number(r.n_failed) + Number(r.n_delivered) + Number(r.n_abandoned),
      queuedAt: Number(r.first_at),
      lastAt: Number(r.last_at),
      nextAt: state === 'queued' || state === 'retrying' ? Number(r.next_at) : null,
      lastStatus: Number(r.last_status),
      lastReason: r.last_reason,
    };
  });
}
