// Tuning (admin): replay runs, their candidates and proposal, the alert floor chosen from them.
import { z } from 'zod';
import { SEVERITIES, type Severity } from '../../alerts';
import { isoTime, pattern, text, time, timeOrNull } from './common';

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
