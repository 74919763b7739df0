// The `detection` section of the configuration: the detectors' thresholds, and overrides of them per
// department, role, account type or user. Each detector's settings are one object, so that an override
// can change any subset of them (docs/detection.md explains every threshold).
import { z } from 'zod';

const bytes = z.number().int().min(0);
const days = z.number().int().min(1).max(365);
const hour = z.number().int().min(0).max(23);

export const SENSITIVITIES = ['pii', 'payment', 'internal', 'public'] as const;

/** Severities a policy finding can have; "none": recorded with an alert raised for another reason, never raises one. */
export const POLICY_SEVERITIES = ['none', 'low', 'medium', 'high', 'critical'] as const;
const policySeverity = z.enum(POLICY_SEVERITIES);
export type PolicySeverity = (typeof POLICY_SEVERITIES)[number];

/**
 * Every detector's settings; the keys are the detector names used in alerts. Anomaly detectors judge a
 * day by how rare it is for the person (the score, docs/detection.md); their thresholds are the severity
 * floors of `scoring`, so here they only have a materiality floor (minBytes) and their model's knobs.
 * Policy detectors are absolute limits with a severity of their own.
 */
const detectorShapes = {
  /** Anomaly: today's volume against the person's expected day (own history shrunk toward the peers). */
  volumeSelf: z.strictObject({
    enabled: z.boolean(),
    /** no finding below this volume, however unusual (bytes) */
    minBytes: bytes,
  }),
  /** The peer group's part in the expectation: the prior for short histories, and a share of the judgement for a history that does not fit the role. */
  volumePeers: z.strictObject({
    enabled: z.boolean(),
    /** share of the judgement from the peers for a person whose own median sits 4+ group spreads from the group's */
    mixture: z.number().min(0).max(0.5),
  }),
  /** Anomaly, in progress: the busiest clock hour so far today against the person's busiest hours. */
  exportRate: z.strictObject({
    enabled: z.boolean(),
    minBytes: bytes,
  }),
  /** Anomaly: today's volume from sensitive tables against the person's own days with sensitive tables. */
  sensitiveSelf: z.strictObject({
    enabled: z.boolean(),
    minBytes: bytes,
  }),
  /**
   * Policy on top of an anomaly: a day that is already unusual for the person (volumeSelf's calibrated
   * threshold) and grossly so in size is at least `severity`: at least minBytes, multipleOfExpected times
   * their expected day and multipleOfLargest times the largest day of their own in the baseline window
   * (with minDays of their own there). The organisation's calibration alone cannot say how rare a day far
   * beyond every day in its pool is (it extrapolates its heaviest cohorts' tail): this says it is worth a page.
   */
  magnitude: z.strictObject({
    enabled: z.boolean(),
    /** at least this volume in the day (bytes) */
    minBytes: bytes,
    /** at least this multiple of the person's expected day (month-end uplift included) */
    multipleOfExpected: z.number().min(1),
    /** at least this multiple of the largest day of their own in the baseline window (their variability) */
    multipleOfLargest: z.number().min(1),
    /** days of their own in the baseline window before they are judged (a new hire's few days say little) */
    minDays: z.number().int().min(1),
    severity: policySeverity,
  }),
  /** Policy: an absolute daily ceiling, whoever the employee. */
  ceiling: z.strictObject({
    enabled: z.boolean(),
    dailyBytes: bytes,
    severity: policySeverity,
    /** severity when the person's role (or the person) exceeds the limit on routineShare of its days */
    routineSeverity: policySeverity,
  }),
  /** Policy: sensitive tables (pii, payment): a daily volume limit and first-time access. */
  sensitive: z.strictObject({
    enabled: z.boolean(),
    classes: z.array(z.enum(SENSITIVITIES)).min(1),
    /** null: no volume limit (e.g. for the ETL accounts whose job is to move it) */
    dailyBytes: bytes.nullable(),
    severity: policySeverity,
    routineSeverity: policySeverity,
    /** sensitive tables touched for the first time (in the trailing knownTablesDays) within firstAccessDays */
    firstAccessTables: z.number().int().min(1),
    firstAccessDays: z.number().int().min(1).max(30),
    /** a table that this share of the peer group reads is part of the role, not a first access */
    peerKnownShare: z.number().min(0).max(1),
    firstAccessSeverity: policySeverity,
  }),
  /**
   * Policy: reads whose bytes no log measured, because the session switched off what measures them (a
   * MariaDB user may turn their own slow log off: SET SESSION long_query_time = 1e6). The volume
   * detectors cannot see those reads; this says that someone made them unseeable.
   */
  unmeasuredReads: z.strictObject({
    enabled: z.boolean(),
    severity: policySeverity,
    /** when one of those reads was of a sensitive table (the `sensitive` detector's classes) */
    sensitiveSeverity: policySeverity,
  }),
  /** Anomaly: volume outside the employee's local working hours, against their usual day. */
  offHours: z.strictObject({
    enabled: z.boolean(),
    /** local hour the night starts (inclusive) and ends (exclusive); the night may wrap midnight */
    startHour: hour,
    endHour: hour,
    minBytes: bytes,
  }),
  /** Watchlist: people serving notice (or within graceDays of their end date) are judged more strictly. */
  departing: z.strictObject({
    enabled: z.boolean(),
    graceDays: z.number().int().min(0),
    /** rates of anomaly findings are divided by this for people on the watchlist */
    watchFactor: z.number().min(1),
  }),
  /** Anomaly, slow and low of sensitive tables: the slowDrip CUSUM on the volume from sensitive tables (its knobs are slowDrip's). */
  sensitiveDrip: z.strictObject({ enabled: z.boolean() }),
  /** Anomaly, slow and low: a CUSUM of the standardised excess on working days. */
  slowDrip: z.strictObject({
    enabled: z.boolean(),
    /** allowance per day, in the person's spreads */
    k: z.number().min(0),
    /** working days a run may last before it starts over from the current expectation */
    maxRunDays: z.number().int().min(2).max(120),
    /** a run starts only from an expectation resting on this many of the person's own days */
    minReferenceDays: z.number().int().min(1),
    /** no finding below this much excess over the run (bytes) */
    minExcessBytes: bytes,
    /** new starters ramp up: not judged in their first days */
    minTenureDays: z.number().int().min(0),
  }),
};

export type DetectorName = keyof typeof detectorShapes;
export const DETECTOR_NAMES = Object.keys(detectorShapes) as DetectorName[];

const detectorsSchema = z.strictObject(detectorShapes);
const detectorsOverrideSchema = z.strictObject(
  Object.fromEntries(Object.entries(detectorShapes).map(([k, v]) => [k, v.partial().optional()])) as {
    [K in DetectorName]: z.ZodOptional<ReturnType<(typeof detectorShapes)[K]['partial']>>;
  },
);

export type DetectorSettings = z.infer<typeof detectorsSchema>;
export type DetectorOverrides = z.infer<typeof detectorsOverrideSchema>;

const overrideSchema = z
  .strictObject({
    /** Who it applies to: every given key must match (exact, case-sensitive). */
    department: z.string().min(1).optional(),
    role: z.string().min(1).optional(),
    accountType: z.enum(['human', 'service']).optional(),
    user: z.string().min(1).optional(),
    /** Why: shown by `insider config check` and in reviews of the configuration. */
    reason: z.string().min(1),
    detectors: detectorsOverrideSchema,
  })
  .refine((o) => o.department !== undefined || o.role !== undefined || o.accountType !== undefined || o.user !== undefined, {
    message: 'an override needs at least one of department, role, accountType, user',
  });

export type DetectionOverride = z.infer<typeof overrideSchema>;

/** Expected false alerts per 1,000 user-days: a positive rate. */
const per1000 = z.number().positive().max(1000);

export const scoringSchema = z
  .strictObject({
    /** raise an alert when a day is at least this rare: expected ordinary user-days this unusual per 1,000 */
    alertFloor: per1000,
    /** severity floors, in the same unit: medium, high and critical are rarer still */
    medium: per1000,
    high: per1000,
    critical: per1000,
  })
  .refine((s) => s.critical < s.high && s.high < s.medium, { message: 'the floors must get rarer: critical < high < medium (per 1,000 user-days)' });

export type ScoringConfig = z.infer<typeof scoringSchema>;

/** The live detector's Kafka consumer: its own tuning (it reads the ingester's topics, ingest.topics). */
export const detectionConsumerSchema = z.strictObject({
  /** Without a heartbeat for this long, the group gives the detector's partitions to another member. */
  sessionTimeoutMs: z.number().int().min(6000),
  /** Also sent while a batch is judged and its alerts stored. */
  heartbeatIntervalMs: z.number().int().positive(),
  /**
   * How long the group waits for the detector to rejoin during a rebalance, while it finishes the batch
   * in hand (a takeover's reads, a history built inside a batch): past it the detector is removed from
   * the group and takes every partition over afresh when it comes back.
   */
  rebalanceTimeoutMs: z.number().int().min(6000),
  /** At most this much per fetch. */
  fetchMaxBytes: z.number().int().min(65536),
  /** How long the broker may wait to fill a fetch: low, so that an event is judged soon after it arrives. */
  maxWaitMs: z.number().int().min(0),
  /** ClickHouse unavailable (at start-up, storing alerts): backoff from initialDelayMs, doubling, up to maxDelayMs. */
  retry: z.strictObject({
    initialDelayMs: z.number().int().positive(),
    maxDelayMs: z.number().int().positive(),
  }),
});

export const detectionSchema = z.strictObject({
  /** Kafka consumer group of the live detector (its own, next to the ingester's). */
  groupId: z.string().min(1),
  consumer: detectionConsumerSchema,
  /** Trailing days a person's expectation is computed over. */
  baselineDays: days,
  /** Trailing days of the organisation's user-days that calibrate how rare a value is. */
  poolDays: days,
  /** Active days of own history before first access to sensitive tables is judged. */
  minHistoryDays: z.number().int().min(1),
  /** Floor of the spread of log daily volume (a very regular employee is not 50 spreads away by doing 2x). */
  sigmaFloor: z.number().positive(),
  /**
   * Pseudo-days of the peer group's spread in a person's own spread (shrinkage). At least 1: with 0, a
   * person without days of their own (a new hire) would have no spread at all to be judged by.
   */
  priorDays: z.number().min(1, { message: 'must be at least 1 (pseudo-days of the peer group\'s spread; with 0 a person without history of their own has no spread to be judged by)' }),
  /** Peer groups with fewer members than this fall back to the whole department. */
  minPeers: z.number().int().min(1),
  /** Days of history that make a table "known" to an employee. */
  knownTablesDays: days,
  /** A policy limit exceeded on this share of a role's (or the person's) active days is routine for them... */
  routineShare: z.number().gt(0).max(1),
  /** ... as is one their own expected day passes with at least this probability. */
  routineRate: z.number().gt(0).max(1),
  /** CSV of database,table,sensitivity (pii, payment, internal, public); empty: every table is internal. */
  catalogFile: z.string(),
  /** JSON list of approved jobs: {user, reason, from, until, tables?}; empty: none. */
  allowlistFile: z.string(),
  /** An open alert is written again when its volume grows by this factor (or its severity rises). */
  updateGrowth: z.number().min(1),
  /** How rare a day must be to alert, and at each severity (docs/detection.md). */
  scoring: scoringSchema,
  detectors: detectorsSchema,
  overrides: z.array(overrideSchema),
});

export type DetectionConfig = z.infer<typeof detectionSchema>;
