// The `detection` section of the configuration: the detectors' thresholds, and overrides of them per
// department, role, account type or user. Each detector's settings are one object, so that an override
// can change any subset of them (docs/detection.md explains every threshold).
import { z } from 'zod';

const bytes = z.number().int().min(0);
const multiple = z.number().positive();
const days = z.number().int().min(1).max(365);
const hour = z.number().int().min(0).max(23);

export const SENSITIVITIES = ['pii', 'payment', 'internal', 'public'] as const;

/** Every detector's settings; the keys are the detector names used in alerts. */
const detectorShapes = {
  /** Today's volume against the employee's own robust baseline (median and MAD of log volume). */
  volumeSelf: z.strictObject({
    enabled: z.boolean(),
    /** robust standard deviations (of log daily volume) above the median */
    minZ: z.number().positive(),
    /** and at least this multiple of the median */
    minMultiple: multiple,
    minBytes: bytes,
  }),
  /** Today's volume against peers (same department and role): the prior for people without history. */
  volumePeers: z.strictObject({
    enabled: z.boolean(),
    /** the peers' daily quantile compared with (0.99: their 99th percentile) */
    quantile: z.number().gt(0).lt(1),
    /** multiple of that quantile for someone without enough own history (cold start) */
    coldStartMultiple: multiple,
    /** multiple of that quantile for someone with history (their own baseline judges them first) */
    minMultiple: multiple,
    minBytes: bytes,
  }),
  /** Exports in progress: volume in a sliding window against the employee's busiest usual hours. */
  exportRate: z.strictObject({
    enabled: z.boolean(),
    windowMinutes: z.number().int().min(1).max(1440),
    /** multiple of the employee's 95th-percentile hourly volume */
    minMultiple: multiple,
    minBytes: bytes,
  }),
  /** Policy: an absolute daily ceiling, whoever the employee. */
  ceiling: z.strictObject({ enabled: z.boolean(), dailyBytes: bytes }),
  /** Policy: sensitive tables (pii, payment): a daily volume limit and first-time access. */
  sensitive: z.strictObject({
    enabled: z.boolean(),
    classes: z.array(z.enum(SENSITIVITIES)).min(1),
    /** null: no volume limit (e.g. for the ETL accounts whose job is to move it) */
    dailyBytes: bytes.nullable(),
    /** sensitive tables touched for the first time (in the trailing knownTablesDays) in one day */
    firstAccessTables: z.number().int().min(1),
  }),
  /** Policy: volume outside the employee's local working hours. */
  offHours: z.strictObject({
    enabled: z.boolean(),
    /** local hour the night starts (inclusive) and ends (exclusive); the night may wrap midnight */
    startHour: hour,
    endHour: hour,
    minMultiple: multiple,
    minBytes: bytes,
  }),
  /** Policy: the departing-employee watchlist (notice given, or within graceDays of the end date). */
  departing: z.strictObject({
    enabled: z.boolean(),
    graceDays: z.number().int().min(0),
    /** multiple of the own median (or of the peers' median without history) */
    minMultiple: multiple,
    minBytes: bytes,
  }),
  /** Slow and low: most of the recent working days above a multiple of the usual, adding up. */
  slowDrip: z.strictObject({
    enabled: z.boolean(),
    windowDays: z.number().int().min(2).max(60),
    minDaysAbove: z.number().int().min(2),
    multiple: multiple,
    minExcessBytes: bytes,
    /** the reference median must rest on this many active days before the window */
    minReferenceDays: z.number().int().min(1),
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

export const detectionSchema = z.strictObject({
  /** Kafka consumer group of the live detector (its own, next to the ingester's). */
  groupId: z.string().min(1),
  /** Trailing days the baselines are computed over. */
  baselineDays: days,
  /** Active days of own history before the own baseline is trusted; until then peers are the prior. */
  minHistoryDays: z.number().int().min(1),
  /** Floor of the robust standard deviation of log daily volume (a very regular employee is not 50 sd away by doing 2x). */
  sigmaFloor: z.number().positive(),
  /** Peer groups with fewer members than this fall back to the whole department. */
  minPeers: z.number().int().min(1),
  /** Days of history that make a table "known" to an employee. */
  knownTablesDays: days,
  /** CSV of database,table,sensitivity (pii, payment, internal, public); empty: every table is internal. */
  catalogFile: z.string(),
  /** JSON list of approved jobs: {user, reason, from, until, tables?}; empty: none. */
  allowlistFile: z.string(),
  /** An open alert is written again when its volume grows by this factor (or its severity rises). */
  updateGrowth: z.number().min(1),
  detectors: detectorsSchema,
  overrides: z.array(overrideSchema),
});

export type DetectionConfig = z.infer<typeof detectionSchema>;
