// Live traffic for the demo and the latency benchmark: ordinary activity replayed "now" (events of a
// simulated working day, re-stamped with the current time) and bulk exports played chunk by chunk in
// real time. Events follow the canonical contract, keyed by user like any producer's.
import crypto from 'node:crypto';
import fs from 'node:fs';
import readline from 'node:readline';
import type { Producer } from 'kafkajs';
import { SimulationError } from '../errors';
import type { CanonicalEvent } from '../simulate';

/** Events of one UTC day of a simulated events file (the latest working day when `day` is absent). */
export async function templateEvents(eventsFile: string, opts: { exclude?: ReadonlySet<string>; day?: string } = {}): Promise<CanonicalEvent[]> {
  const byDay = new Map<string, CanonicalEvent[]>();
  const lines = readline.createInterface({ input: fs.createReadStream(eventsFile), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const e = JSON.parse(line) as CanonicalEvent;
    if (opts.exclude?.has(e.user)) continue;
    const d = e.ts.slice(0, 10);
    let list = byDay.get(d);
    if (!list) byDay.set(d, (list = []));
    list.push(e);
  }
  const working = [...byDay.keys()].filter((d) => ![0, 6].includes(new Date(`${d}T00:00:00Z`).getUTCDay())).sort();
  const day = opts.day ?? working[working.length - 1];
  const events = day === undefined ? undefined : byDay.get(day);
  if (!events || events.length === 0) throw new SimulationError(`${eventsFile}: no events${opts.day ? ` on ${opts.day}` : ' on a working day'}`);
  return events;
}

/** A copy of `e` happening at `at`: a new event id and query id, the same person, table and volume. */
export function restamp(e: CanonicalEvent, at: number): CanonicalEvent {
  return { ...e, event_id: crypto.randomUUID(), query_id: crypto.randomBytes(8).toString('hex'), ts: new Date(at).toISOString() };
}

export interface ExportPlan {
  user: string;
  /** "database.table" */
  table: string;
  totalBytes: number;
  chunks: number;
  /** Average bytes per row of the table, for the rows figure. */
  rowBytes: number;
  clientIp: string;
  app: string;
  source: string;
  sessionId: string;
}

/** One chunk of an export (totalBytes / chunks), happening at `at`. */
export function exportChunk(plan: ExportPlan, at: number): CanonicalEvent {
  const [database, table] = plan.table.split('.');
  const bytes = Math.floor(plan.totalBytes / plan.chunks);
  return {
    event_id: crypto.randomUUID(),
    ts: new Date(at).toISOString(),
    user: plan.user,
    action: 'EXPORT',
    bytes,
    rows: Math.round(bytes / plan.rowBytes),
    source: plan.source,
    database,
    table,
    client_ip: plan.clientIp,
    client_app: plan.app,
    session_id: plan.sessionId,
    query_id: crypto.randomBytes(8).toString('hex'),
    status: 'ok',
  };
}

/** Sends events keyed by user; resolves when the broker has them (acks from all in-sync replicas). */
export async function send(producer: Producer, topic: string, events: ReadonlyArray<CanonicalEvent>): Promise<void> {
  if (events.length === 0) return;
  await producer.send({ topic, acks: -1, messages: events.map((e) => ({ key: e.user, value: JSON.stringify(e) })) });
}
