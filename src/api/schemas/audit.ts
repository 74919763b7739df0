// The audit trail, as admins read it.
import { z } from 'zod';
import { AUDIT_ACTION, fromBeforeTo, isoTime, limit, pattern, text, time, userName } from './common';

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
