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
