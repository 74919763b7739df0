// A simulated access event: the canonical contract (docs/event-contract.md) plus what the simulator
// itself needs and never writes out (the instant as a number, the scenario an event belongs to).
import type { CanonicalEvent } from '../event';

export type { CanonicalEvent } from '../event';

export type SimEvent = Omit<CanonicalEvent, 'ts'> & {
  /** Event time, ms since the epoch (UTC). */
  at: number;
  /** The labelled scenario this event belongs to. Kept out of the output: it would give the answer away. */
  scenario?: string;
};

/** The event as the contract has it, fields in a fixed order (byte-identical output for a seed). */
export function canonical(e: SimEvent): CanonicalEvent {
  return {
    event_id: e.event_id,
    ts: new Date(e.at).toISOString(),
    user: e.user,
    action: e.action,
    bytes: e.bytes,
    rows: e.rows,
    source: e.source,
    database: e.database,
    table: e.table,
    client_ip: e.client_ip,
    client_app: e.client_app,
    session_id: e.session_id,
    query_id: e.query_id,
    status: e.status,
  };
}

export function toJsonLine(e: SimEvent): string {
  return JSON.stringify(canonical(e));
}

/** Time order; ties broken by event_id so that the order never depends on how events were generated. */
export function byTime(a: SimEvent, b: SimEvent): number {
  return a.at - b.at || (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0);
}
