// Expectation adjustments: made with a resolution, listed, revoked.
import { z } from 'zod';
import { MAX_FACTOR, MIN_FACTOR } from '../../detect';
import { ADJUSTMENT_KINDS } from '../../triage';
import { adjustmentId, isoTime, MAX_TIME, standingFields, text, time } from './common';

/** A date (2026-12-20: that day's UTC midnight) or an ISO-8601 time with a zone, as epoch ms. */
const dateOrTime = z.union([z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date (2026-12-20) or an ISO-8601 time with a zone').transform((d, c) => {
  const ms = Date.parse(`${d}T00:00:00Z`);
  if (!(ms >= 0 && ms < MAX_TIME)) {
    c.addIssue({ code: 'custom', message: 'expected a real date between 1970 and 2105' });
    return z.NEVER;
  }
  return ms;
}), isoTime]);

export const adjustFields = {
  kind: z.enum(ADJUSTMENT_KINDS).describe("expected_for_role: the person's peer group (department and role); project_work: the person"),
  until: dateOrTime.optional().describe('end (exclusive; rounded up to a UTC midnight), at most 90 days from today; required for project_work; default for expected_for_role: 90 days'),
  factor: z.number().min(MIN_FACTOR).max(MAX_FACTOR).optional().describe(`expected volume multiplied by this (${MIN_FACTOR}-${MAX_FACTOR}); default: enough to cover the alerted volume`),
  reason: text(1000).optional().describe("default: the resolution's note"),
};

export const revokeAdjustmentBody = z.strictObject({ reason: text(1000).optional() }).nullish().describe('optional');
export const adjustmentParams = z.strictObject({ id: adjustmentId });
export const adjustmentOut = z
  .object({
    id: z.string(),
    kind: z.enum(ADJUSTMENT_KINDS),
    scope: z.enum(['user', 'peer_group']),
    subject: z.string().describe('the pseudonym (or id) for scope user; "Department/Role" for scope peer_group'),
    factor: z.number(),
    from: time.describe('first UTC day covered, in event time'),
    until: time.describe('end (exclusive), in event time'),
    ...standingFields,
  })
  .meta({ id: 'ExpectationAdjustment' });

export const adjustmentListOut = z.object({ items: z.array(adjustmentOut) });
