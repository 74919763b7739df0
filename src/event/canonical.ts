// The canonical access event as a producer writes it: one JSON object per Kafka message, keyed by
// `user` (docs/event-contract.md). Optional fields may be absent; this is the complete form.
export interface CanonicalEvent {
  event_id: string;
  ts: string;
  user: string;
  action: string;
  bytes: number;
  rows: number;
  source: string;
  database: string;
  table: string;
  client_ip: string;
  client_app: string;
  session_id: string;
  query_id: string;
  status: 'ok' | 'error';
  /** True when bytes were estimated (e.g. rows x average row width), not measured. */
  bytes_estimated?: boolean;
  /** The authenticated person behind the database role (certificate, Kerberos, LDAP name), when known. */
  identity?: string;
}

/** A validated event written back in the contract's own form (what `insider sources parse` prints). */
export function toCanonical(e: import('./validate').AccessEvent): CanonicalEvent & Record<string, unknown> {
  const out: CanonicalEvent & Record<string, unknown> = {
    event_id: e.event_id,
    ts: new Date(e.ts * 1000 + e.ts_ms).toISOString(),
    user: e.user,
    action: e.action,
    bytes: e.bytes,
    rows: e.rows,
    source: e.source,
    database: e.db_name,
    table: e.table_name,
    client_ip: e.client_ip,
    client_app: e.client_app,
    session_id: e.session_id,
    query_id: e.query_id,
    status: e.status,
    bytes_estimated: e.bytes_estimated === 1,
    identity: e.identity,
  };
  if (e.extra) Object.assign(out, { ...(JSON.parse(e.extra) as Record<string, unknown>), ...out });
  return out;
}
