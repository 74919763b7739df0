// The API's answers as the dashboard reads them. The API's output schemas (src/api/schemas/) are the source of
// truth; test/unit/api-contract.test.ts fails the typecheck when these drift from them. Times are ISO-8601 strings in UTC.

import type { paths } from './api-contract';

/** What a route answers (200, JSON), as generated from the API's /openapi.json (api-contract.ts). */
type Answer<P extends keyof paths, M extends 'get' | 'post' = 'get'> = paths[P] extends { [m in M]: { responses: { 200: { content: { 'application/json': infer T } } } } } ? T : never;

// The answers the dashboard reads as the API sends them: derived from the routes' schemas, never re-typed.
/** A page of the queue (GET /api/alerts): summaries, no explanation, findings or evidence. */
export type AlertPage = Answer<'/api/alerts'>;
export type AlertSummary = AlertPage['items'][number];
export type Triage = AlertSummary['triage'];
export type HistoryEntry = Answer<'/api/alerts/{id}'>['history'][number];
/** An expectation adjustment (a verdict that raised a person's or a peer group's expected volume for a while). */
export type Adjustment = Answer<'/api/adjustments'>['items'][number];
export type Series = Answer<'/api/alerts/{id}/series'>;
export type Report = Answer<'/api/reports'>['items'][number];
export type Reveal = Answer<'/api/pseudonyms/{pseudonym}/reveal', 'post'>;
export type User = Answer<'/api/users'>['items'][number];
export type Token = Answer<'/api/users/{name}/tokens'>['items'][number];
export type TuningStatus = Answer<'/api/tuning'>;
export type AlertFloor = TuningStatus['floor'];
export type TuningJob = NonNullable<TuningStatus['job']>;
/** Cases (GET /api/cases): one employee's alerts while an episode lasts, ranked by risk now. */
export type CasePage = Answer<'/api/cases'>;
export type Case = CasePage['items'][number];
export type CaseStep = Case['alerts'][number];
export type CaseActionResult = Answer<'/api/cases/{id}/resolve', 'post'>;

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

export const ADJUSTMENT_KINDS = ['project_work', 'expected_for_role'] as const;
export type AdjustmentKind = (typeof ADJUSTMENT_KINDS)[number];

export interface AlertDetail extends Alert {
  history: HistoryEntry[];
  /** Made by resolving this alert, and in force for the person when the detector last revised it. */
  adjustments?: { made: Adjustment[]; applied: Adjustment[] };
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

// ---- tuning (admins): GET /api/tuning, /api/tuning/runs[/:runId] ----

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
