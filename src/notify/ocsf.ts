// OCSF 1.8.0 records for SIEMs (docs/siem-export.md): alerts as Detection Finding (class 2004) and
// access events as Datastore Activity (class 6005), so Splunk, Sentinel, Elastic or any OCSF consumer
// takes them without glue. What a finding carries follows the pages' rule (page.ts): the alert id, the
// employee as pages name them, severity, score, volume, ratio, detectors, window, link; the evidence
// (tables, clients, statements) stays behind the link, where reading it is authenticated and audited.
import { createRequire } from 'node:module';
import type { CanonicalEvent } from '../event';
import type { Severity } from '../alerts';
import type { AlertPage, Message } from './page';
import { summaryOf } from './page';

export const OCSF_VERSION = '1.8.0';
const PRODUCT_VERSION = (createRequire(__filename)('../../package.json') as { version: string }).version;
const PRODUCT = { name: 'insider-detector', vendor_name: 'insider-detector project', version: PRODUCT_VERSION };

/** OCSF severity_id: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical. */
const SEVERITY_ID: Record<Severity, number> = { low: 2, medium: 3, high: 4, critical: 5 };
const SEVERITY_NAME: Record<number, string> = { 1: 'Informational', 2: 'Low', 3: 'Medium', 4: 'High', 5: 'Critical' };

/** Detection Finding activity: 1 Create, 2 Update, 3 Close; status: 1 New, 2 In Progress, 4 Resolved. */
const FINDING_ACTIVITY = { create: { id: 1, name: 'Create' }, update: { id: 2, name: 'Update' }, close: { id: 3, name: 'Close' } } as const;

function finding(p: AlertPage, activity: keyof typeof FINDING_ACTIVITY, status: { id: number; name: string }, uid: string, nowMs: number): Record<string, unknown> {
  const a = FINDING_ACTIVITY[activity];
  const severityId = SEVERITY_ID[p.severity];
  return {
    class_uid: 2004,
    class_name: 'Detection Finding',
    category_uid: 2,
    category_name: 'Findings',
    activity_id: a.id,
    activity_name: a.name,
    type_uid: 2004 * 100 + a.id,
    type_name: `Detection Finding: ${a.name}`,
    time: p.firedAt,
    severity_id: severityId,
    severity: SEVERITY_NAME[severityId],
    status_id: status.id,
    status: status.name,
    is_alert: activity !== 'close',
    message: summaryOf(p),
    risk_score: p.score,
    metadata: { version: OCSF_VERSION, product: PRODUCT, uid, logged_time: nowMs, correlation_uid: p.alertId },
    finding_info: {
      uid: p.alertId,
      title: summaryOf(p),
      desc: `Download volume ${p.observedBytes} bytes${p.ratio > 0 ? `, ${p.ratio.toFixed(1)}x the usual` : ''}, between ${new Date(p.windowStart).toISOString()} and ${new Date(p.windowEnd).toISOString()}`,
      types: p.detectors,
      created_time: p.firedAt,
      first_seen_time: p.windowStart,
      last_seen_time: Math.min(p.windowEnd, nowMs),
      src_url: p.link,
      analytic: { name: 'insider-detector volume detection', type_id: 3, type: 'Statistical', uid: p.detectors.join('+') },
    },
    // The employee as pages name them (a pseudonym by default): the finding's evidence of who.
    ...(p.who ? { evidences: [{ user: { name: p.who } }] } : {}),
    unmapped: { observed_bytes: p.observedBytes, ratio: p.ratio, revision: p.revision, detectors: p.detectors },
  };
}

/** The OCSF record(s) a notifier message becomes: one finding, or for a digest one per alert. */
export function findingsOf(msg: Message, deliveryId: string, nowMs: number): Array<Record<string, unknown>> {
  switch (msg.kind) {
    case 'trigger':
      return [finding(msg.alert, msg.alert.revision > 1 ? 'update' : 'create', { id: 1, name: 'New' }, deliveryId, nowMs)];
    case 'escalate':
    case 'update':
      return [finding(msg.alert, 'update', { id: 1, name: 'New' }, deliveryId, nowMs)];
    case 'digest':
      return msg.digest.alerts.map((a) => finding(a, 'create', { id: 1, name: 'New' }, `${deliveryId}/${a.alertId}`, nowMs));
    case 'acknowledge':
    case 'resolve':
      return [
        {
          ...minimal(msg.alertId, msg.link, nowMs),
          activity_id: msg.kind === 'resolve' ? 3 : 2,
          activity_name: msg.kind === 'resolve' ? 'Close' : 'Update',
          type_uid: 2004 * 100 + (msg.kind === 'resolve' ? 3 : 2),
          status_id: msg.kind === 'resolve' ? 4 : 2,
          status: msg.kind === 'resolve' ? 'Resolved' : 'In Progress',
          metadata: { version: OCSF_VERSION, product: PRODUCT, uid: deliveryId, logged_time: nowMs, correlation_uid: msg.alertId },
        },
      ];
    case 'test':
      return [{ ...minimal(`test-${deliveryId}`, msg.link, nowMs), activity_id: 1, activity_name: 'Create', type_uid: 200401, severity_id: 1, severity: 'Informational', is_alert: false, message: 'insider-detector test delivery', metadata: { version: OCSF_VERSION, product: PRODUCT, uid: deliveryId, logged_time: nowMs } }];
  }
}

/** A finding known only by its id (acknowledge, resolve, test): what a SIEM needs to update its own copy. */
function minimal(alertId: string, link: string, nowMs: number): Record<string, unknown> {
  return { class_uid: 2004, class_name: 'Detection Finding', category_uid: 2, category_name: 'Findings', time: nowMs, severity_id: 0, severity: 'Unknown', finding_info: { uid: alertId, src_url: link } };
}

/** Datastore Activity activity_id: 1 Read, 2 Update, 4 Query, 5 Write, 6 Create, 7 Delete, 99 Other. */
function datastoreActivity(action: string): { id: number; name: string } {
  const a = action.toUpperCase();
  if (a === 'SELECT' || a === 'WITH' || a === 'SHOW' || a === 'TABLE' || a === 'FETCH') return { id: 4, name: 'Query' };
  if (a === 'COPY' || a === 'DUMP' || a === 'EXPORT') return { id: 1, name: 'Read' };
  if (a === 'INSERT' || a === 'COPY FROM' || a === 'LOAD' || a === 'REPLACE') return { id: 5, name: 'Write' };
  if (a === 'UPDATE' || a === 'MERGE') return { id: 2, name: 'Update' };
  if (a === 'DELETE' || a === 'TRUNCATE' || a === 'DROP') return { id: 7, name: 'Delete' };
  if (a === 'CREATE') return { id: 6, name: 'Create' };
  return { id: 99, name: 'Other' };
}

/** One access event as OCSF Datastore Activity (class 6005). */
export function datastoreActivityOf(e: CanonicalEvent & Record<string, unknown>, nowMs: number): Record<string, unknown> {
  const a = datastoreActivity(e.action);
  const ts = typeof e.ts === 'number' ? e.ts : Date.parse(String(e.ts));
  const failed = e.status === 'error';
  return {
    class_uid: 6005,
    class_name: 'Datastore Activity',
    category_uid: 6,
    category_name: 'Application Activity',
    activity_id: a.id,
    activity_name: a.name,
    type_uid: 6005 * 100 + a.id,
    type_name: `Datastore Activity: ${a.name}`,
    time: ts,
    severity_id: 1,
    severity: 'Informational',
    status_id: failed ? 2 : 1,
    status: failed ? 'Failure' : 'Success',
    metadata: { version: OCSF_VERSION, product: PRODUCT, uid: e.event_id, logged_time: nowMs, ...(e.source ? { log_provider: e.source } : {}) },
    actor: {
      user: { name: e.user, ...(e.identity ? { uid_alt: e.identity } : {}) },
      ...(e.client_app ? { app_name: e.client_app } : {}),
      ...(e.session_id ? { session: { uid: e.session_id } } : {}),
    },
    src_endpoint: e.client_ip ? { ip: e.client_ip } : { name: 'unknown' },
    ...(e.source ? { dst_endpoint: { name: e.source } } : {}),
    type_id: e.table ? 3 : 1,
    type: e.table ? 'Table' : 'Database',
    database: { name: e.database || e.source || 'unknown', type_id: 99, type: 'Other' },
    ...(e.table ? { table: { name: e.table } } : {}),
    ...(e.query_id || typeof e.statement === 'string' ? { query_info: { uid: e.query_id || e.event_id, query_string: typeof e.statement === 'string' ? e.statement : '' } } : {}),
    unmapped: { bytes: e.bytes, rows: e.rows, bytes_estimated: e.bytes_estimated, action: e.action },
  };
}
