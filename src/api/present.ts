// The service's records as the API shows them: the same fields, with times as ISO-8601 (UTC) instead of
// epoch milliseconds, and "no time" (0 or null) as null; text from the logs without bidirectional
// controls (display-text.ts). Pure.
import { displaySafe, tokenState, type AdjustmentView, type AlertAdjustments, type AlertSummary, type AlertView, type ApiUser, type AuditEntry, type SuppressionView, type TokenInfo, type TriageState } from '../triage';

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * null for "none": null, the zero DateTime that stands for none in ClickHouse, or NaN (18.16 prints the
 * zero DateTime as "0000-00-00 00:00:00", which fromDateTime reads as NaN).
 */
export function isoOrNull(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined || !Number.isFinite(ms) || ms <= 0 ? null : iso(ms);
}

/**
 * An alert in a list: no explanation, findings or evidence. What came from the logs and the directory is
 * shown without bidirectional controls; what analysts wrote (notes, assignee) exactly as stored.
 */
export function presentAlertSummary(v: AlertSummary) {
  const fromData = displaySafe({
    alertId: v.alertId,
    revision: v.revision,
    user: v.user,
    department: v.department,
    role: v.role,
    windowStart: iso(v.windowStart),
    windowEnd: iso(v.windowEnd),
    detectors: v.detectors,
    severity: v.severity,
    score: v.score,
    firedAt: iso(v.firedAt),
    lastEventAt: iso(v.lastEventAt),
    observedBytes: v.observedBytes,
    observedRows: v.observedRows,
    eventCount: v.eventCount,
    baselineBytes: v.baselineBytes,
    peerBytes: v.peerBytes,
    peerGroup: v.peerGroup,
    ratio: v.ratio,
    createdAt: iso(v.createdAtWall),
    updatedAt: iso(v.updatedAtWall),
  });
  return {
    ...fromData,
    triage: {
      status: v.triage.status,
      assignee: v.triage.assignee,
      disposition: v.triage.disposition,
      snoozedUntil: isoOrNull(v.triage.snoozedUntil),
      acknowledgedAt: isoOrNull(v.triage.acknowledgedAt),
      resolvedAt: isoOrNull(v.triage.resolvedAt),
      notes: v.triage.notes.map((n) => ({ at: iso(n.at), actor: n.actor, note: n.note })),
    },
  };
}

/** One alert with its evidence (an audited view, or an action's answer). */
export function presentAlert(v: AlertView) {
  return {
    ...presentAlertSummary(v),
    ...displaySafe({ triggerEventId: v.triggerEventId, explanation: v.explanation, findings: v.findings, evidence: v.evidence }),
  };
}

export function presentHistory(history: TriageState['history']) {
  return history.map((h) => ({
    actionId: h.actionId,
    at: iso(h.at),
    actor: h.actor,
    action: h.action,
    assignee: h.assignee,
    disposition: h.disposition,
    note: h.note,
    snoozeUntil: isoOrNull(h.snoozeUntil),
    suppressionId: h.suppressionId,
  }));
}

export function presentSuppression(s: SuppressionView) {
  return {
    id: s.id,
    scope: s.scope,
    user: s.user,
    table: s.table,
    // Valid since "always" (0): null.
    from: s.from > 0 ? isoOrNull(s.from) : null,
    until: iso(s.until),
    reason: s.reason,
    alertId: s.alertId,
    createdBy: s.createdBy,
    createdAt: iso(s.createdAt),
    revokedBy: s.revokedBy,
    revokedAt: isoOrNull(s.revokedAt),
    active: s.active,
  };
}

export function presentAdjustment(a: AdjustmentView) {
  return {
    id: a.id,
    kind: a.kind,
    scope: a.scope,
    // A peer group's name comes from the directory: shown like other directory text.
    subject: displaySafe(a.subject),
    factor: a.factor,
    from: iso(a.from),
    until: iso(a.until),
    reason: a.reason,
    alertId: a.alertId,
    createdBy: a.createdBy,
    createdAt: iso(a.createdAt),
    revokedBy: a.revokedBy,
    revokedAt: isoOrNull(a.revokedAt),
    active: a.active,
  };
}

export function presentAlertAdjustments(a: AlertAdjustments) {
  return { made: a.made.map(presentAdjustment), applied: a.applied.map(presentAdjustment) };
}

export function presentUser(u: ApiUser) {
  return { name: u.name, role: u.role, disabled: u.disabled, disabledReason: u.disabledReason, createdAt: iso(u.createdAt), createdBy: u.createdBy, updatedAt: iso(u.updatedAt), updatedBy: u.updatedBy };
}

export function presentToken(t: TokenInfo, now: number) {
  return { tokenId: t.tokenId, name: t.name, state: tokenState(t, now), issuedAt: iso(t.issuedAt), issuedBy: t.issuedBy, expiresAt: iso(t.expiresAt), revokedAt: isoOrNull(t.revokedAt), revokedBy: t.revokedBy };
}

export function presentAudit(e: AuditEntry) {
  return { at: iso(e.at), actor: e.actor, role: e.role, action: e.action, target: e.target, sourceIp: e.sourceIp, requestId: e.requestId, clientRequestId: e.clientRequestId ?? null, details: e.details };
}

/** The offset of the page after this one, or null on the last. */
export function nextOffset(offset: number, limit: number, total: number): number | null {
  return offset + limit < total ? offset + limit : null;
}
