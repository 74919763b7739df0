// What shared or interrupted live detectors must equal: one engine judging the stored events of a day in
// order (`detect --once`). Each alert revision as stored, and as the one engine gives it.
import crypto from 'node:crypto';
import type { Message } from 'kafkajs';
import type { AlertRecord } from '../../src/alerts';
import { MS_PER_DAY } from '../../src/calendar';
import type { DetectionConfig } from '../../src/config';
import { backfill } from '../../src/detect/backfill';
import { engineFor } from '../../src/detect/setup';
import { sql, type ClickHouse } from '../../src/store';
import { loadEngineInputs } from '../../src/triage/detector-inputs';

export interface Revision {
  alertId: string;
  revision: number;
  triggerEventId: string;
  severity: string;
  observedBytes: number;
  eventCount: number;
}

const byIdThenRevision = (x: Revision, y: Revision) => (x.alertId < y.alertId ? -1 : x.alertId > y.alertId ? 1 : x.revision - y.revision);

/** Every stored revision of every alert (a revision stored twice shows twice). */
export async function storedRevisions(ch: ClickHouse): Promise<Revision[]> {
  const rows = await ch.query<{ alert_id: string; revision: string; trigger_event_id: string; severity: string; observed_bytes: string; event_count: string }>(sql`
    SELECT alert_id, revision, trigger_event_id, severity, observed_bytes, event_count FROM alerts`);
  return rows
    .map((r) => ({ alertId: r.alert_id, revision: Number(r.revision), triggerEventId: r.trigger_event_id, severity: r.severity, observedBytes: Number(r.observed_bytes), eventCount: Number(r.event_count) }))
    .sort(byIdThenRevision);
}

/** The revisions one engine gives for day `day`'s stored events. */
export async function oneEngineRevisions(ch: ClickHouse, detection: DetectionConfig, day: number): Promise<Revision[]> {
  const engine = engineFor(ch, detection, await loadEngineInputs(ch, detection));
  const out: AlertRecord[] = [];
  await backfill(ch, engine, { from: day * MS_PER_DAY, to: (day + 1) * MS_PER_DAY }, async (x) => void out.push(...x));
  return out.map((r) => ({ alertId: r.alertId, revision: r.revision, triggerEventId: r.triggerEventId, severity: r.severity, observedBytes: r.observedBytes, eventCount: r.eventCount })).sort(byIdThenRevision);
}

/** An export of crm.customers by `user` as a producer sends it, keyed by user. */
export function exportMessage(user: string, at: number, bytes: number): Message {
  const body = { event_id: crypto.randomUUID(), ts: new Date(at).toISOString(), user, action: 'EXPORT', bytes, rows: Math.round(bytes / 400), source: 'pg-1', database: 'crm', table: 'customers', client_ip: '10.9.9.9', client_app: 'DBeaver', session_id: `export-${user}`, query_id: 'q', status: 'ok' };
  return { key: user, value: JSON.stringify(body) };
}
