// Alerts: the queue's query and page, one alert (summary, with evidence, with its history and adjustments).
import { z } from 'zod';
import { SORTS } from '../../alerts';
import { STATUSES } from '../../triage';
import { adjustmentOut } from './adjustments';
import { alertId, DETECTOR, employee, fromBeforeTo, isoTime, limit, pattern, severity, text, time, wholeNumber } from './common';
import { historyEntry, triageState } from './triage';

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

export const idParams = z.strictObject({ id: alertId });

const finding = z.object({
  detector: z.string(),
  // Absent in alerts stored before scoring (src/alerts/types.ts, AlertFinding).
  kind: z.enum(['anomaly', 'policy', 'watchlist']).optional().describe('anomaly: rare for this person (rate); policy: an absolute limit (severity); watchlist: judged more strictly'),
  rate: z.number().optional().describe('anomaly: the share of ordinary user-days at least this unusual on this statistic alone'),
  severity: z.string().optional().describe('policy: the severity the policy gave ("none": recorded only)'),
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
  triage: triageState,
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
