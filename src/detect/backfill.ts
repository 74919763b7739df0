// `detect --once`: the engine over a stored period, reading events from ClickHouse hour by hour in event
// order, exactly as the live detector would have seen them. The same alerts, the same revisions.
import { MS_PER_HOUR } from '../calendar';
import { sql, type ClickHouse, type SqlFragment } from '../store';
import type { AlertRecord } from '../alerts';
import type { Engine } from './engine';
import type { DetectEvent } from './event';

interface EventRow {
  event_id: string;
  t: string;
  user: string;
  action: string;
  bytes: string;
  rows: string;
  tbl: string;
  client_ip: string;
  client_app: string;
  session_id: string;
  ok: number;
  estimated: number;
  identity: string;
}

/** Stored events matching `where`, in event order (ts, then user and id for events of the same millisecond). */
export async function storedEventsWhere(ch: ClickHouse, where: SqlFragment): Promise<DetectEvent[]> {
  const rows = await ch.query<EventRow>(sql`
    SELECT event_id, toUInt64(toUInt32(ts)) * 1000 + ts_ms AS t, user, action, bytes, rows,
           concat(db_name, '.', table_name) AS tbl, client_ip, client_app, session_id, status = 'ok' AS ok,
           bytes_estimated AS estimated, identity
    FROM access_events
    WHERE ${where}
    ORDER BY t, user, event_id`);
  return rows.map((r) => ({
    eventId: r.event_id,
    ts: Number(r.t),
    user: r.user,
    action: r.action,
    bytes: Number(r.bytes),
    rows: Number(r.rows),
    table: r.tbl,
    clientIp: r.client_ip,
    clientApp: r.client_app,
    sessionId: r.session_id,
    ok: Number(r.ok) === 1,
    estimated: Number(r.estimated) === 1,
    identity: r.identity,
  }));
}

/** The stored events of [from, to) in event order. */
export async function storedEvents(ch: ClickHouse, from: number, to: number): Promise<DetectEvent[]> {
  const events = await storedEventsWhere(ch, sql`ts >= ${new Date(Math.floor(from / 1000) * 1000)} AND ts < ${new Date(Math.ceil(to / 1000) * 1000)}`);
  return events
    .filter((e) => e.ts >= from && e.ts < to);
}

export interface BackfillProgress {
  hour: number;
  hours: number;
  events: number;
  alerts: number;
}

/** Runs the engine over [from, to) and hands each hour's alert revisions to `sink` before reading on. */
export async function backfill(
  ch: ClickHouse,
  engine: Engine,
  range: { from: number; to: number },
  sink: (alerts: AlertRecord[]) => Promise<void>,
  onProgress?: (p: BackfillProgress) => void,
): Promise<void> {
  const hours = Math.ceil((range.to - range.from) / MS_PER_HOUR);
  let events = 0;
  let alerts = 0;
  for (let h = 0; h < hours; h++) {
    const from = range.from + h * MS_PER_HOUR;
    const batch = await storedEvents(ch, from, Math.min(range.to, from + MS_PER_HOUR));
    const revisions = await engine.process(batch);
    await sink(revisions);
    events += batch.length;
    alerts += revisions.length;
    onProgress?.({ hour: h + 1, hours, events, alerts });
  }
}
