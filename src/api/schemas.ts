// The shapes of requests and answers, in zod: requests are validated against them (a 400 names the field),
// answers are serialized through them (only declared fields leave), and the OpenAPI document is generated
// from them. Ids are checked by pattern before anything reaches the service, so a malformed id is a 400.
import { z } from 'zod';
import { SEVERITIES, type Severity } from '../alerts';
import { PERIOD_KINDS } from '../config';
import { DAY_DIR, SCHEDULE_DIR } from '../report';
import { SORTS } from '../alerts';
import { MAX_FACTOR, MIN_FACTOR } from '../detect';
import { ADJUSTMENT_ID, ADJUSTMENT_KINDS, DISPOSITIONS, PSEUDONYM, ROLES, SCOPES, STATUSES, USER_NAME } from '../triage';

/** al_<yyyymmdd>_<10 hex>, as the detection engine names alerts. */
export const ALERT_ID = /^al_\d{8}_[0-9a-f]{10}$/;
/** sup_<12 hex>, as createSuppression names them. */
export const SUPPRESSION_ID = /^sup_[0-9a-f]{12}$/;
/** tok_<8 hex>, as issueToken names tokens. */
export const TOKEN_ID = /^tok_[0-9a-f]{8,32}$/;
/** Detector names: volumeSelf, exportRate, ... (a pattern, so that a new detector needs no change here). */
export const DETECTOR = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
/** Audit actions: alert.view, suppression.create, ... */
export const AUDIT_ACTION = /^[a-z][a-z_]*(\.[a-z_]+)*$/;
/** database.table */
export const TABLE = /^[^.\s]+\.[^.\s]+$/;

/** DateTime columns hold 1970-01-01 .. 2106-02-07; anything outside cannot be a filter or an expiry. */
const MAX_TIME = Date.UTC(2106, 0, 1);

/** Free text: not empty, bounded, and representable in UTF-8 (no unpaired surrogate). */
export function text(max: number) {
  return z
    .string()
    .min(1, 'must not be empty')
    .max(max, `at most ${max} characters`)
    .refine((s) => s.isWellFormed(), 'contains an unpaired UTF-16 surrogate');
}

export function pattern(re: RegExp, what: string) {
  return z.string().max(256, `at most 256 characters`).regex(re, `expected ${what}`);
}

export const alertId = pattern(ALERT_ID, 'an alert id like al_20260925_3fa9c2d1e0');
export const suppressionId = pattern(SUPPRESSION_ID, 'a suppression id like sup_0123456789ab');
export const adjustmentId = pattern(ADJUSTMENT_ID, 'an adjustment id like adj_0123456789ab');
export const pseudonym = pattern(PSEUDONYM, 'a pseudonym like emp-3fa9c2d1e0');
export const userName = pattern(USER_NAME, 'a user name: 1-128 letters, digits, or . _ @ -');

/** An ISO-8601 time with a zone (2026-10-01T00:00:00Z, 2026-10-01T02:00:00+02:00), as epoch ms. */
export const isoTime = z
  .iso.datetime({ offset: true, message: 'expected an ISO-8601 time with a zone, e.g. 2026-10-01T00:00:00Z' })
  .refine((s) => {
    const ms = Date.parse(s);
    return ms >= 0 && ms < MAX_TIME;
  }, 'expected a time between 1970 and 2105')
  .transform((s) => Date.parse(s));

/** A whole number in a query string. */
export function wholeNumber(min: number, max: number) {
  return z
    .string()
    .regex(/^\d{1,10}$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `at least ${min}`).max(max, `at most ${max}`));
}

/** A page size: at least 1; larger than the configured maximum is clamped to it (not refused). */
export function limit(pageMax: number) {
  return z
    .string()
    .regex(/^\d{1,10}$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1, 'at least 1'))
    .transform((n) => Math.min(n, pageMax));
}

/** The employee a filter or a suppression names: a pseudonym when pseudonymisation is on, else the id. */
export function employee(pseudonymize: boolean) {
  return pseudonymize ? pseudonym : text(256);
}

const severity = z.enum(SEVERITIES as unknown as [Severity, ...Severity[]]);

function fromBeforeTo(q: { from?: number; to?: number }): boolean {
  return q.from === undefined || q.to === undefined || q.to > q.from;
}

export function alertQuery(opts: { pseudonymize: boolean; pageMax: number }) {
  return z
    .strictObject({
      status: z.enum(STATUSES).optional(),
      severity: severity.optional().describe('exactly this severity'),
      minSeverity: severity.optional().describe('this severity or worse'),
      user: employee(opts.pseudonymize).optional().describe(opts.pseudonymize ? 'the employee, by pseudonym (emp-...)' : 'the employee id'),
      department: text(256).optional(),
      detector: pattern(DETECTOR, 'a detector name like volumeSelf').optional().describe('alerts where this detector fired'),
      from: isoTime.optional().describe('alerts whose window ends after this time'),
      to: isoTime.optional().describe('alerts whose window starts before this time'),
      alert: alertId.optional().describe('one alert by id, as a summary'),
      sort: z.enum(SORTS).optional().describe('window (default: newest window first, then by score), severity, volume, ratio, fired or status'),
      dir: z.enum(['asc', 'desc']).optional().describe('default: desc (status: asc, lifecycle order)'),
      limit: limit(opts.pageMax).optional(),
      offset: wholeNumber(0, 1_000_000_000).optional().describe('rows to skip; for deep pages use cursor'),
      cursor: z.string().max(2048, 'at most 2048 characters').regex(/^[A-Za-z0-9_-]+$/, 'expected a cursor from nextCursor').optional().describe('the nextCursor of the page before (keyset paging)'),
    })
    .refine(fromBeforeTo, { message: '"to" must be after "from"', path: ['to'] })
    .refine((q) => q.cursor === undefined || q.offset === undefined, { message: 'give either cursor or offset, not both', path: ['cursor'] });
}

export function auditQuery(opts: { pageMax: number }) {
  return z
    .strictObject({
      actor: userName.optional(),
      action: pattern(AUDIT_ACTION, 'an action like alert.view').optional(),
      target: text(256).optional().describe('an alert id, suppression id, pseudonym or user name'),
      from: isoTime.optional(),
      to: isoTime.optional(),
      limit: limit(opts.pageMax).optional(),
    })
    .refine(fromBeforeTo, { message: '"to" must be after "from"', path: ['to'] });
}

export const seriesQuery = z.strictObject({ days: wholeNumber(7, 366).optional().describe('days up to the alert day (default 42)') });

const note = text(4000);

export const noteOnly = z.strictObject({ note: note.optional() }).nullish().describe('optional');
export const assignBody = z.strictObject({ assignee: userName });
export const noteBody = z.strictObject({ note });
export const snoozeBody = z.strictObject({ until: isoTime, note: note.optional() });

const suppressionFields = {
  scope: z.enum(SCOPES),
  table: pattern(TABLE, 'a table as database.table').optional().describe('with scope user_table'),
  from: isoTime.optional().describe('start of validity in event time (default: always)'),
  until: isoTime.describe('expiry, in the future'),
  reason: text(1000),
};

/** A date (2026-12-20: that day's UTC midnight) or an ISO-8601 time with a zone, as epoch ms. */
const dateOrTime = z.union([z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date (2026-12-20) or an ISO-8601 time with a zone').transform((d, c) => {
  const ms = Date.parse(`${d}T00:00:00Z`);
  if (!(ms >= 0 && ms < MAX_TIME)) {
    c.addIssue({ code: 'custom', message: 'expected a real date between 1970 and 2105' });
    return z.NEVER;
  }
  return ms;
}), isoTime]);

const adjustFields = {
  kind: z.enum(ADJUSTMENT_KINDS).describe("expected_for_role: the person's peer group (department and role); project_work: the person"),
  until: dateOrTime.optional().describe('end (exclusive; rounded up to a UTC midnight), at most 90 days from today; required for project_work; default for expected_for_role: 90 days'),
  factor: z.number().min(MIN_FACTOR).max(MAX_FACTOR).optional().describe(`expected volume multiplied by this (${MIN_FACTOR}-${MAX_FACTOR}); default: enough to cover the alerted volume`),
  reason: text(1000).optional().describe("default: the resolution's note"),
};

export const resolveBody = z.strictObject({
  disposition: z.enum(DISPOSITIONS),
  note: note.optional(),
  suppress: z.strictObject(suppressionFields).optional().describe('with false_positive or expected_activity: keep the pattern from alerting again'),
  adjust: z.strictObject(adjustFields).optional().describe("with false_positive or expected_activity: raise the person's or their peer group's expected volume for a bounded time"),
});

export const revokeAdjustmentBody = z.strictObject({ reason: text(1000).optional() }).nullish().describe('optional');
export const adjustmentParams = z.strictObject({ id: adjustmentId });

export function suppressionBody(pseudonymize: boolean) {
  return z.strictObject({ ...suppressionFields, user: employee(pseudonymize) });
}

export const userBody = z.strictObject({ name: userName, role: z.enum(ROLES) });
export const roleBody = z.strictObject({ role: z.enum(ROLES) });
export const disableBody = z.strictObject({ reason: text(1000).optional() }).nullish().describe('optional');
export const tokenBody = z.strictObject({ validDays: z.number().int().min(1).max(3650).optional() }).nullish().describe('optional');

export const idParams = z.strictObject({ id: alertId });
export const suppressionParams = z.strictObject({ id: suppressionId });
export const pseudonymParams = z.strictObject({ pseudonym });
export const nameParams = z.strictObject({ name: userName });
export const tokenParams = z.strictObject({ name: userName, tokenId: pattern(TOKEN_ID, 'a token id like tok_3fa9c2d1') });

// ---- answers ----

const time = z.string().describe('ISO-8601, UTC');
const timeOrNull = time.nullable();

const finding = z.object({
  detector: z.string(),
  observed: z.number(),
  threshold: z.number(),
  reference: z.number().nullable(),
  multiple: z.number().nullable(),
  clause: z.string(),
  details: z.record(z.string(), z.union([z.number(), z.string(), z.array(z.string())])).optional(),
});

const evidence = z.object({
  events: z.number(),
  failedEvents: z.number(),
  firstEventAt: z.string(),
  lastEventAt: z.string(),
  sensitiveBytes: z.number(),
  topTables: z.array(z.object({ table: z.string(), sensitivity: z.string(), bytes: z.number(), rows: z.number(), events: z.number(), share: z.number() })),
  sessions: z.object({ count: z.number(), top: z.array(z.object({ id: z.string(), bytes: z.number() })) }),
  clientIps: z.array(z.object({ ip: z.string(), bytes: z.number() })),
  apps: z.array(z.object({ app: z.string(), bytes: z.number() })),
  allowlisted: z.object({ bytes: z.number(), events: z.number(), reasons: z.array(z.string()) }),
  /** Of the volume, the bytes estimated rather than measured (shown with "≈"); absent on older alerts. */
  estimatedBytes: z.number().optional(),
  /** The people behind shared database roles, pseudonymised like the user. */
  identities: z.array(z.object({ identity: z.string(), bytes: z.number() })).optional(),
});

const triage = z.object({
  status: z.enum(STATUSES),
  assignee: z.string().nullable(),
  disposition: z.enum(DISPOSITIONS).nullable(),
  snoozedUntil: timeOrNull,
  acknowledgedAt: timeOrNull,
  resolvedAt: timeOrNull,
  notes: z.array(z.object({ at: time, actor: z.string(), note: z.string() })),
});

const alertFields = {
  alertId: z.string(),
  revision: z.number().int(),
  user: z.string().describe('the pseudonym (emp-...) when pseudonymisation is on, else the employee id'),
  department: z.string().nullable(),
  role: z.string().nullable(),
  windowStart: time,
  windowEnd: time,
  detectors: z.array(z.string()),
  severity,
  score: z.number(),
  firedAt: time.describe('event time of the event that first crossed a threshold'),
  lastEventAt: time,
  observedBytes: z.number(),
  observedRows: z.number(),
  eventCount: z.number(),
  baselineBytes: z.number(),
  peerBytes: z.number(),
  peerGroup: z.string(),
  ratio: z.number(),
  createdAt: time,
  updatedAt: time,
  triage,
};

/** An alert in a list: no explanation, findings or evidence (those only in the audited view of one alert). */
export const alertSummaryOut = z.object(alertFields).meta({ id: 'AlertSummary' });

export const alertOut = z
  .object({
    ...alertFields,
    triggerEventId: z.string(),
    explanation: z.string(),
    findings: z.array(finding),
    evidence,
  })
  .meta({ id: 'Alert' });

export const historyEntry = z.object({
  actionId: z.string(),
  at: time,
  actor: z.string(),
  action: z.string(),
  assignee: z.string(),
  disposition: z.string(),
  note: z.string(),
  snoozeUntil: timeOrNull,
  suppressionId: z.string(),
});

export const adjustmentOut = z
  .object({
    id: z.string(),
    kind: z.enum(ADJUSTMENT_KINDS),
    scope: z.enum(['user', 'peer_group']),
    subject: z.string().describe('the pseudonym (or id) for scope user; "Department/Role" for scope peer_group'),
    factor: z.number(),
    from: time.describe('first UTC day covered, in event time'),
    until: time.describe('end (exclusive), in event time'),
    reason: z.string(),
    alertId: z.string(),
    createdBy: z.string(),
    createdAt: time,
    revokedBy: z.string().nullable(),
    revokedAt: timeOrNull,
    active: z.boolean(),
  })
  .meta({ id: 'ExpectationAdjustment' });

export const adjustmentListOut = z.object({ items: z.array(adjustmentOut) });

export const alertDetailOut = z.object({
  ...alertOut.shape,
  history: z.array(historyEntry),
  adjustments: z
    .object({ made: z.array(adjustmentOut).describe('made by resolving this alert'), applied: z.array(adjustmentOut).describe('in force for the person on the alert day when the detector last revised it') })
    .optional()
    .describe('expectation adjustments (GET /api/alerts/:id)'),
});

export const alertPageOut = z.object({
  items: z.array(alertSummaryOut),
  total: z.number().int().describe('how many alerts match, exactly'),
  limit: z.number().int(),
  offset: z.number().int(),
  next: z.number().int().nullable().describe('the offset of the next page, null on the last'),
  nextCursor: z.string().nullable().describe('the cursor of the next page (keyset: as fast on page 500 as on page 1), null on the last'),
});

const dayBytes = z.array(z.object({ day: z.string(), bytes: z.number() }));
const usualBand = z
  .object({ median: z.number(), low: z.number(), high: z.number(), kind: z.enum(['weekday', 'weekend']) })
  .nullable()
  .describe("the last day's usual band as the detector judges it (weekdays, or weekends once there are enough); null before minHistoryDays");
const peerRange = z
  .object({
    group: z.string().describe('Department/role, or Department/* when the role has fewer than 3 other people'),
    n: z.number().int(),
    days: z.array(z.object({ day: z.string(), low: z.number().nullable(), median: z.number().nullable(), high: z.number().nullable() })),
  })
  .nullable()
  .describe("the peers' 10th, 50th and 90th percentile per day among those active (null: fewer than 3)");

export const seriesOut = z.object({
  alertDay: z.string(),
  days: dayBytes,
  band: usualBand,
  peers: peerRange,
  hours: z.array(z.object({ hour: time, bytes: z.number() })).describe('the 48 hours ending with the alert day'),
  hourBand: z.array(z.object({ hourOfDay: z.number().int(), median: z.number(), high: z.number() })).nullable().describe('usual volume per hour of day (UTC) over the 28 days before'),
  window: z.object({ start: time, end: time }),
});

export function employeeParams(pseudonymize: boolean) {
  return z.strictObject({ user: employee(pseudonymize) });
}
export const employeeQuery = z.strictObject({ days: wholeNumber(7, 366).optional().describe('days up to today (default 90)') });
export const employeeOut = z.object({
  user: z.string(),
  department: z.string().nullable(),
  role: z.string().nullable(),
  days: dayBytes,
  band: usualBand,
  peers: peerRange,
  alerts: z.array(alertSummaryOut).describe('newest window first, at most 500'),
  alertTotal: z.number().int().describe("how many alerts the employee has, exactly"),
  adjustments: z.array(adjustmentOut).describe("expectation adjustments of the employee and of their peer group, newest first, active and past"),
});

export const suppressionOut = z
  .object({
    id: z.string(),
    scope: z.enum(SCOPES),
    user: z.string(),
    table: z.string(),
    from: timeOrNull,
    until: time,
    reason: z.string(),
    alertId: z.string(),
    createdBy: z.string(),
    createdAt: time,
    revokedBy: z.string().nullable(),
    revokedAt: timeOrNull,
    active: z.boolean(),
  })
  .meta({ id: 'Suppression' });

export const suppressionListOut = z.object({ items: z.array(suppressionOut) });

export const userOut = z
  .object({
    name: z.string().describe('as created; unique whatever its case'),
    role: z.enum(ROLES),
    disabled: z.boolean(),
    disabledReason: z.string().nullable(),
    createdAt: time,
    createdBy: z.string(),
    updatedAt: time.describe('the last change (creation, role, disabled, enabled)'),
    updatedBy: z.string(),
  })
  .meta({ id: 'User' });
export const userListOut = z.object({ items: z.array(userOut) });
export const disabledOut = z.object({ ...userOut.shape, revokedTokens: z.array(z.string()).describe('the tokens ended with it') });
export const tokenOut = z.object({ name: z.string(), token: z.string().describe('shown once; only its hash is stored'), tokenId: z.string(), expiresAt: time });
export const tokenInfoOut = z
  .object({
    tokenId: z.string(),
    name: z.string(),
    state: z.enum(['active', 'expired', 'revoked']),
    issuedAt: time,
    issuedBy: z.string(),
    expiresAt: time,
    revokedAt: timeOrNull,
    revokedBy: z.string().nullable().describe('the user themselves when they signed out'),
  })
  .meta({ id: 'Token' });
export const tokenListOut = z.object({ items: z.array(tokenInfoOut) });
export const signOutOut = z.union([z.object({ tokenId: z.string().describe('the token that was ended') }), z.object({ sessionId: z.string().describe('the session that was ended') })]);

export const auditEntryOut = z.object({
  at: time,
  actor: z.string(),
  role: z.string(),
  action: z.string(),
  target: z.string(),
  sourceIp: z.string(),
  requestId: z.string().describe("the server's id of the request (never the caller's)"),
  clientRequestId: z.string().nullable().describe('the X-Request-Id the caller sent, if any'),
  details: z.record(z.string(), z.unknown()),
});
export const auditListOut = z.object({ items: z.array(auditEntryOut), limit: z.number().int() });

export const revealOut = z.object({ pseudonym: z.string(), user: z.string() });
export const meOut = z.object({
  name: z.string(),
  role: z.enum(ROLES),
  credential: z.enum(['token', 'session', 'bootstrap']).describe('how the caller signed in'),
  csrfToken: z.string().optional().describe('on a session (single sign-on): send it as X-Insider-CSRF with every POST'),
});

export const errorOut = z
  .object({ error: z.object({ code: z.string(), message: z.string(), requestId: z.string(), details: z.unknown().optional() }) })
  .meta({ id: 'Error' });

export const reportFileParams = z.strictObject({
  schedule: pattern(SCHEDULE_DIR, 'a schedule name'),
  day: pattern(DAY_DIR, 'a day as YYYY-MM-DD'),
  '*': text(200).describe('a file of the report, as its manifest names it (report.pdf, csv/alerts.csv, ...)'),
});
export const reportFileOut = z.unknown().describe('the file: HTML, PDF, JSON or CSV, as an attachment');
export const reportBody = z.strictObject({ period: z.enum(PERIOD_KINDS).describe('the last complete day, week or month') });
export const reportOut = z
  .object({
    schedule: z.string(),
    day: z.string(),
    title: z.string(),
    period: z.object({ kind: z.string(), from: z.string(), to: z.string() }),
    generatedAt: z.string(),
    files: z.array(z.object({ path: z.string(), bytes: z.number(), url: z.string().describe('GET it with the same token') })),
  })
  .meta({ id: 'Report' });
export const reportListOut = z.object({ items: z.array(reportOut) });

// ---- tuning (admin) ----

/** tr_<yyyymmddhhmmss>_<8 hex>, as storeTuningRun names runs. */
export const TUNING_RUN_ID = /^tr_\d{14}_[0-9a-f]{8}$/;
export const tuningRunId = pattern(TUNING_RUN_ID, 'a tuning run id like tr_20261001120000_1a2b3c4d');
/** The longest period the API replays (a run reads every stored event of it, in the API's process). */
export const API_MAX_TUNING_DAYS = 90;
const floorNumber = z.number().gt(0, 'an alert floor is above 0 per 1,000 user-days').max(1000, 'at most 1,000 per 1,000 user-days');

export const tuningRunParams = z.strictObject({ runId: tuningRunId });
export const tuningRunBody = z
  .strictObject({
    from: isoTime.optional().describe('start of the period (default: `days` before `to`)'),
    to: isoTime.optional().describe('end of the period, exclusive (default: the end of the newest stored event’s day)'),
    days: z.number().int().min(1, 'at least 1').max(API_MAX_TUNING_DAYS, `at most ${API_MAX_TUNING_DAYS}`).optional().describe('length of the period when from is not given (default 14)'),
    budget: z.number().gt(0, 'a budget is above 0 alerts a day').max(100_000).optional().describe('alerts a day the team can read: the run proposes a floor'),
    floors: z.array(floorNumber).min(1).max(30).optional().describe('candidate floors per 1,000 user-days (default: the usual ladder and the current one)'),
  })
  .nullish()
  .describe('optional');
export const tuningFloorBody = z.strictObject({
  value: floorNumber.describe('the alert floor, in expected ordinary user-days per 1,000'),
  reason: text(1000).describe('why (kept in the audit trail)'),
  runId: tuningRunId.optional().describe('the run it was chosen from'),
});

const perSeverity = z.object(Object.fromEntries(SEVERITIES.map((s) => [s, z.number()])) as Record<Severity, z.ZodNumber>);
const tuningCandidateOut = z.object({
  alertFloor: z.number(),
  floorScore: z.number(),
  alerts: z.number().describe('alerts raised over the period'),
  perDay: z.number().describe('mean alerts a day'),
  perDaySeverity: perSeverity.describe('mean alerts a day at each severity'),
  maxPerDay: z.number().describe('the busiest day'),
  perDepartment: z.record(z.string(), z.number()).describe('alerts over the period per department'),
  byDay: z.record(z.string(), z.number()).describe('alerts per UTC day (days with any)'),
  catches: z.number().describe('confirmed alerts (resolved true_positive) it still raises'),
  caught: z.array(z.string()).describe('their ids'),
  scenarios: z
    .object({ bulkBeforeEnd: z.number(), bulk: z.number(), othersDetected: z.number(), others: z.number(), missed: z.array(z.string()) })
    .optional()
    .describe('in evaluation (insider tune --labels): the labelled insider scenarios of the period it would still catch'),
});
const runHead = {
  runId: z.string(),
  at: time,
  actor: z.string(),
  from: time,
  to: time,
  budget: z.number().nullable(),
};
export const tuningRunOut = z
  .object({
    ...runHead,
    days: z.number(),
    events: z.number(),
    currentFloor: z.number().describe('the effective floor when the run was made'),
    confirmed: z.array(z.string()).describe('alerts of the period resolved true_positive'),
    proposal: z.number().nullable().describe('the floor proposed for the budget (null: no budget, or none within it)'),
    candidates: z.array(tuningCandidateOut).describe('most sensitive first'),
  })
  .meta({ id: 'TuningRun' });
export const tuningRunListOut = z.object({
  items: z.array(z.object({ ...runHead, proposal: z.number().nullable(), currentFloor: z.number(), candidates: z.number() })),
});
const jobOut = z.object({
  jobId: z.string(),
  state: z.enum(['running', 'done', 'failed']),
  actor: z.string(),
  startedAt: time,
  finishedAt: timeOrNull,
  progress: z.object({ hour: z.number(), hours: z.number(), events: z.number() }),
  runId: z.string().nullable().describe('the stored run, once done'),
  error: z.string().nullable(),
});
export const tuningJobOut = jobOut.meta({ id: 'TuningJob' });
export const floorOut = z
  .object({
    value: z.number().describe('the alert floor the detector uses, per 1,000 user-days'),
    configured: z.number().describe("the configuration file's detection.scoring.alertFloor"),
    source: z.enum(['chosen', 'configuration']),
    at: timeOrNull,
    actor: z.string().nullable(),
    reason: z.string().nullable(),
    runId: z.string().nullable(),
  })
  .meta({ id: 'AlertFloor' });
export const tuningStatusOut = z.object({ floor: floorOut, job: jobOut.nullable().describe('the running or latest run started here'), maxDays: z.number() });
