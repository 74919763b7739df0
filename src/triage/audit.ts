// The audit trail: who did what, to what, when, from where. Every analyst action and every view of an
// alert's evidence is a row; the API can add rows and admins can read them, nothing can change them.
import { fromDateTime, join, sql, toDateTime, type ClickHouse, type SqlFragment } from '../store';

export interface AuditEntry {
  at: number;
  actor: string;
  role: string;
  /** e.g. alert.view, alert.resolve, suppression.create, pseudonym.reveal, user.create */
  action: string;
  target: string;
  sourceIp: string;
  requestId: string;
  details: Record<string, unknown>;
}

export async function audit(ch: ClickHouse, e: AuditEntry): Promise<void> {
  await ch.insert('audit_log', [
    { at: toDateTime(e.at), at_ms: e.at % 1000, actor: e.actor, role: e.role, action: e.action, target: e.target, source_ip: e.sourceIp, request_id: e.requestId, details: JSON.stringify(e.details) },
  ]);
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  target?: string;
  from?: number;
  to?: number;
  limit?: number;
}

/** Newest first. */
export async function readAudit(ch: ClickHouse, f: AuditFilter = {}): Promise<AuditEntry[]> {
  const where: SqlFragment[] = [sql`1 = 1`];
  if (f.actor !== undefined) where.push(sql`actor = ${f.actor}`);
  if (f.action !== undefined) where.push(sql`action = ${f.action}`);
  if (f.target !== undefined) where.push(sql`target = ${f.target}`);
  if (f.from !== undefined) where.push(sql`at >= ${new Date(Math.floor(f.from / 1000) * 1000)}`);
  if (f.to !== undefined) where.push(sql`at < ${new Date(Math.ceil(f.to / 1000) * 1000)}`);
  const rows = await ch.query<{ at_text: string; at_ms: number; actor: string; role: string; action: string; target: string; source_ip: string; request_id: string; details: string }>(sql`
    SELECT toString(at) AS at_text, at_ms, actor, role, action, target, source_ip, request_id, details
    FROM audit_log
    WHERE ${join(where, ' AND ')}
    ORDER BY audit_log.at DESC, at_ms DESC
    LIMIT ${f.limit ?? 1000}`);
  return rows.map((r) => ({
    at: fromDateTime(r.at_text) + Number(r.at_ms),
    actor: r.actor,
    role: r.role,
    action: r.action,
    target: r.target,
    sourceIp: r.source_ip,
    requestId: r.request_id,
    details: JSON.parse(r.details) as Record<string, unknown>,
  }));
}
