// The API's answers as the dashboard reads them. The API's output schemas (src/api/schemas/) are the source of
// truth; test/unit/api-contract.test.ts fails the typecheck when these drift from them. Times are ISO-8601 strings in UTC.

// The alert itself (findings, evidence, severities) is the detector's type, src/alerts/types.ts (pure).
// The triage enums too: one declaration, shared with the server (a module of constants, no server code).
import type { AlertFinding, AlertRecord, AlertStatus, Disposition, Evidence, Severity } from '../../src/alerts/types';

export { DISPOSITIONS, SEVERITIES, STATUSES } from '../../src/alerts/types';
export type { Disposition, Evidence, Severity };
export type Status = AlertStatus;
export type Finding = AlertFinding;

export type Role = 'viewer' | 'analyst' | 'admin';
/** Ordered: each can do what the ones before it can. */
export const ROLES: readonly Role[] = ['viewer', 'analyst', 'admin'];
export type Scope = 'user' | 'user_table' | 'service_account';

export const SCOPES: readonly Scope[] = ['user', 'user_table', 'service_account'];
/** Only these verdicts may carry a suppression (the API refuses it with the others). */
export const SUPPRESSIBLE: readonly Disposition[] = ['false_positive', 'expected_activity'];

export interface Me {
  name: string;
  role: Role;
  /** How the caller signed in: a token, or a single sign-on session (a cookie the page cannot read). */
  credential?: 'token' | 'session' | 'bootstrap';
  /** On a session: sent as X-Insider-CSRF with every POST. */
  csrfToken?: string;
}

export interface Triage {
  status: Status;
  assignee: string | null;
  disposition: Disposition | null;
  snoozedUntil: string | null;
  acknowledgedAt: string | null;
  resolvedAt: string | null;
  notes: Array<{ at: string; actor: string; note: string }>;
}

/** An alert in a list (GET /api/alerts, an employee's alerts): no explanation, findings or evidence. */
export type AlertSummary = Omit<Alert, 'explanation' | 'findings' | 'evidence' | 'triggerEventId'>;

/** A stored alert as the API presents it: times as ISO strings, with the employee's department and role and the triage state. */
export interface Alert extends Omit<AlertRecord, 'windowStart' | 'windowEnd' | 'firedAt' | 'lastEventAt' | 'createdAtWall' | 'updatedAtWall'> {
  department: string | null;
  role: string | null;
  windowStart: string;
  windowEnd: string;
  firedAt: string;
  lastEventAt: string;
  createdAt: string;
  updatedAt: string;
  triage: Triage;
}

export interface HistoryEntry {
  actionId: string;
  at: string;
  actor: string;
  action: string;
  assignee: string;
  disposition: string;
  note: string;
  snoozeUntil: string | null;
  suppressionId: string;
}

/** An expectation adjustment (a verdict that raised a person's or a peer group's expected volume for a while). */
export interface Adjustment {
  id: string;
  kind: AdjustmentKind;
  scope: 'user' | 'peer_group';
  /** The pseudonym (scope user) or "Department/Role" (scope peer_group). */
  subject: string;
  factor: number;
  from: string;
  /** Exclusive. */
  until: string;
  reason: string;
  alertId: string;
  createdBy: string;
  createdAt: string;
  revokedBy: string | null;
  revokedAt: string | null;
  active: boolean;
}

export const ADJUSTMENT_KINDS = ['project_work', 'expected_for_role'] as const;
export type AdjustmentKind = (typeof ADJUSTMENT_KINDS)[number];

export interface AlertDetail extends Alert {
  history: HistoryEntry[];
  /** Made by resolving this alert, and in force for the person when the detector last revised it. */
  adjustments?: { made: Adjustment[]; applied: Adjustment[] };
}

export interface AlertPage {
  items: AlertSummary[];
  total: number;
  limit: number;
  offset: number;
  next: number | null;
  /** The next page's cursor (keyset), null on the last. */
  nextCursor: string | null;
}

export interface DayBytes {
  day: string;
  bytes: number;
}

/** The usual band of the last day as the detector judges it: against weekdays, or weekends. */
export interface Band {
  median: number;
  low: number;
  high: number;
  kind: 'weekday' | 'weekend';
}

export interface Peers {
  group: string;
  n: number;
  /** null on days without enough active peers. */
  days: Array<{ day: string; low: number | null; median: number | null; high: number | null }>;
}

export interface Series {
  alertDay: string;
  days: DayBytes[];
  band: Band | null;
  peers: Peers | null;
  hours: Array<{ hour: string; bytes: number }>;
  hourBand: Array<{ hourOfDay: number; median: number; high: number }> | null;
  window: { start: string; end: string };
}

export interface EmployeeView {
  user: string;
  department: string | null;
  role: string | null;
  days: DayBytes[];
  band: Band | null;
  peers: Peers | null;
  alerts: AlertSummary[];
  /** How many alerts the employee has (alerts holds at most 500). */
  alertTotal: number;
  /** The employee's and their peer group's expectation adjustments, newest first. */
  adjustments?: Adjustment[];
}

export interface ReportFile {
  path: string;
  bytes: number;
  url: string;
}

export interface Report {
  schedule: string;
  day: string;
  title: string;
  period: { kind: string; from: string; to: string };
  generatedAt: string;
  files: ReportFile[];
}

export interface Reveal {
  pseudonym: string;
  user: string;
}

export interface User {
  name: string;
  role: Role;
  disabled: boolean;
  disabledReason: string | null;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
}

export interface Token {
  tokenId: string;
  name: string;
  state: 'active' | 'expired' | 'revoked';
  issuedAt: string;
  issuedBy: string;
  expiresAt: string;
  revokedAt: string | null;
  revokedBy: string | null;
}

// ---- tuning (admins): GET /api/tuning, /api/tuning/runs[/:runId] ----

export interface AlertFloor {
  value: number;
  configured: number;
  source: 'chosen' | 'configuration';
  at: string | null;
  actor: string | null;
  reason: string | null;
  runId: string | null;
}

export interface TuningJob {
  jobId: string;
  state: 'running' | 'done' | 'failed';
  actor: string;
  startedAt: string;
  finishedAt: string | null;
  progress: { hour: number; hours: number; events: number };
  runId: string | null;
  error: string | null;
}

export interface TuningStatus {
  floor: AlertFloor;
  job: TuningJob | null;
  maxDays: number;
}

export interface TuningRunHead {
  runId: string;
  at: string;
  actor: string;
  from: string;
  to: string;
  budget: number | null;
  proposal: number | null;
  currentFloor: number;
  candidates: number;
}

export interface TuningCandidate {
  alertFloor: number;
  floorScore: number;
  alerts: number;
  perDay: number;
  perDaySeverity: Record<Severity, number>;
  maxPerDay: number;
  perDepartment: Record<string, number>;
  byDay: Record<string, number>;
  catches: number;
  caught: string[];
}

export interface TuningRun extends Omit<TuningRunHead, 'candidates'> {
  days: number;
  events: number;
  confirmed: string[];
  candidates: TuningCandidate[];
}
