// Suppressions: made with a resolution or by hand, listed, revoked.
import { z } from 'zod';
import { SCOPES } from '../../triage';
import { employee, isoTime, pattern, standingFields, suppressionId, TABLE, text, time, timeOrNull } from './common';

export const suppressionFields = {
  scope: z.enum(SCOPES),
  table: pattern(TABLE, 'a table as database.table').optional().describe('with scope user_table'),
  from: isoTime.optional().describe('start of validity in event time (default: always)'),
  until: isoTime.describe('expiry, in the future'),
  reason: text(1000),
};

export function suppressionBody(pseudonymize: boolean) {
  return z.strictObject({ ...suppressionFields, user: employee(pseudonymize) });
}
export const suppressionParams = z.strictObject({ id: suppressionId });

export const suppressionOut = z
  .object({
    id: z.string(),
    scope: z.enum(SCOPES),
    user: z.string(),
    table: z.string(),
    from: timeOrNull,
    until: time,
    ...standingFields,
  })
  .meta({ id: 'Suppression' });

export const suppressionListOut = z.object({ items: z.array(suppressionOut) });
