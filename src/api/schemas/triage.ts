// Triage: the bodies of the lifecycle actions (a resolution may bring a suppression and an adjustment),
// the triage state and history an alert carries, and revealing a pseudonym.
import { z } from 'zod';
import { DISPOSITIONS, STATUSES } from '../../triage';
import { adjustFields } from './adjustments';
import { isoTime, pseudonym, text, time, timeOrNull, userName } from './common';
import { suppressionFields } from './suppressions';

export const note = text(4000);

export const noteOnly = z.strictObject({ note: note.optional() }).nullish().describe('optional');
export const assignBody = z.strictObject({ assignee: userName });
export const noteBody = z.strictObject({ note });
export const snoozeBody = z.strictObject({ until: isoTime, note: note.optional() });
export const resolveBody = z.strictObject({
  disposition: z.enum(DISPOSITIONS),
  note: note.optional(),
  suppress: z.strictObject(suppressionFields).optional().describe('with false_positive or expected_activity: keep the pattern from alerting again'),
  adjust: z.strictObject(adjustFields).optional().describe("with false_positive or expected_activity: raise the person's or their peer group's expected volume for a bounded time"),
});

export const pseudonymParams = z.strictObject({ pseudonym });

/** The triage state an alert carries. */
export const triageState = z.object({
  status: z.enum(STATUSES),
  assignee: z.string().nullable(),
  disposition: z.enum(DISPOSITIONS).nullable(),
  snoozedUntil: timeOrNull,
  acknowledgedAt: timeOrNull,
  resolvedAt: timeOrNull,
  notes: z.array(z.object({ at: time, actor: z.string(), note: z.string() })),
});

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

export const revealOut = z.object({ pseudonym: z.string(), user: z.string() });
