// An alert as stored: one per employee and window (a UTC day), revised as the detection grows.
export type Severity = 'low' | 'medium' | 'high' | 'critical';

/** Severities from least to most severe; the index is the rank. */
export const SEVERITIES: ReadonlyArray<Severity> = ['low', 'medium', 'high', 'critical'];

/** Triage statuses in lifecycle order; the listing stores them as Enum8 1..4. Here (pure) so the dashboard imports them too. */
export const STATUSES = ['open', 'acknowledged', 'snoozed', 'resolved'] as const;
export type AlertStatus = (typeof STATUSES)[number];

/** An analyst's verdict on a resolved alert (src/triage/lifecycle.ts); here (pure) so the dashboard imports them too. */
export const DISPOSITIONS = ['true_positive', 'false_positive', 'expected_activity', 'duplicate'] as const;
export type Disposition = (typeof DISPOSITIONS)[number];

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export interface AlertFinding {
  detector: string;
  /** anomaly: rare for this person (rate); policy: an absolute limit (severity); watchlist: judged more strictly. Absent in alerts stored before scoring. */
  kind?: 'anomaly' | 'policy' | 'watchlist';
  /** Anomaly: share of ordinary user-days at least this unusual on the finding's statistic alone. */
  rate?: number;
  /** Policy: the severity the policy gave ("none": recorded only). */
  severity?: string;
  observed: number;
  threshold: number;
  reference: number | null;
  multiple: number | null;
  clause: string;
  details?: Record<string, number | string | string[]>;
}

export interface Evidence {
  events: number;
  failedEvents: number;
  firstEventAt: string;
  lastEventAt: string;
  sensitiveBytes: number;
  topTables: Array<{ table: string; sensitivity: string; bytes: number; rows: number; events: number; share: number }>;
  sessions: { count: number; top: Array<{ id: string; bytes: number }> };
  clientIps: Array<{ ip: string; bytes: number }>;
  apps: Array<{ app: string; bytes: number }>;
  /** Activity covered by an allowlist entry, kept out of the volumes judged. */
  allowlisted: { bytes: number; events: number; reasons: string[] };
  /** Of the volume, the bytes that were estimated, not measured (absent in alerts stored before it existed). */
  estimatedBytes?: number;
  /** The people behind shared database roles (the log's authenticated identity), by bytes. */
  identities?: Array<{ identity: string; bytes: number }>;
}

// Storage, not presentation: the API sends it as alertOut (src/api/schemas/alerts.ts: ISO times, department, role, triage).
export interface AlertRecord {
  alertId: string;
  revision: number;
  user: string;
  windowStart: number;
  windowEnd: number;
  detectors: string[];
  severity: Severity;
  score: number;
  /** Event time of the event that first crossed a threshold (ms). */
  firedAt: number;
  triggerEventId: string;
  lastEventAt: number;
  observedBytes: number;
  observedRows: number;
  eventCount: number;
  /** The employee's usual day (own median, else the peers' median), 0 when unknown. */
  baselineBytes: number;
  /** The peers' daily quantile compared with, 0 when there are too few peers. */
  peerBytes: number;
  peerGroup: string;
  /** observedBytes / baselineBytes, 0 when there is no baseline. */
  ratio: number;
  explanation: string;
  findings: AlertFinding[];
  evidence: Evidence;
  createdAtWall: number;
  updatedAtWall: number;
}
