// What the detector needs of an access event, whether it came from Kafka (live) or from ClickHouse
// (a backfill with `detect --once`): the same fields, so both paths give the same alerts.
import type { AccessEvent } from '../event';

export interface DetectEvent {
  eventId: string;
  /** Event time, ms since the epoch. */
  ts: number;
  user: string;
  action: string;
  bytes: number;
  rows: number;
  /** "database.table" */
  table: string;
  clientIp: string;
  clientApp: string;
  sessionId: string;
  /** Failed queries move no data: counted, never added to volumes. */
  ok: boolean;
  /** Bytes estimated (rows x average row width), not measured: shown with "≈". */
  estimated?: boolean;
  /** The person behind a shared database role, when the log named them. */
  identity?: string;
  /** Why the source could not measure this read's bytes (its `bytes_unknown`), and what made it so. */
  unmeasured?: string;
}

export function fromAccessEvent(e: AccessEvent): DetectEvent {
  return {
    eventId: e.event_id,
    ts: e.ts * 1000 + e.ts_ms,
    user: e.user,
    action: e.action,
    bytes: e.bytes,
    rows: e.rows,
    table: `${e.db_name}.${e.table_name}`,
    clientIp: e.client_ip,
    clientApp: e.client_app,
    sessionId: e.session_id,
    ok: e.status === 'ok',
    estimated: e.bytes_estimated === 1,
    identity: e.identity,
    unmeasured: unmeasuredOf(e.extra),
  };
}

/**
 * A source that knows it could not measure a read says so in the event's `bytes_unknown` (kept in
 * `extra`), with what switched the measuring off (`slow_log_off_by`, `query_log_off_by`). The backfill reads `extra` from
 * ClickHouse and calls this too, so both paths judge the same.
 */
export function unmeasuredOf(extra: string): string | undefined {
  if (!extra.includes('"bytes_unknown"')) return undefined;
  let x: Record<string, unknown>;
  try {
    x = JSON.parse(extra) as Record<string, unknown>;
  } catch {
    return undefined; // validate.ts writes extra as JSON; anything else was not written by a source
  }
  if (typeof x !== 'object' || x === null || typeof x.bytes_unknown !== 'string') return undefined;
  // What switched the log off: MariaDB's statement, or ClickHouse's settings (`log_queries = 0`).
  const by = typeof x.slow_log_off_by === 'string' ? x.slow_log_off_by : typeof x.query_log_off_by === 'string' ? x.query_log_off_by : undefined;
  const offBy = by !== undefined ? ` (turned off by ${by})` : '';
  return `${x.bytes_unknown}${offBy}`;
}
