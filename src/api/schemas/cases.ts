// Cases: the list's query and answer, one case as a timeline, and what an action on a case did.
import { z } from 'zod';
import { DISPOSITIONS, STATUSES } from '../../triage';
import { alertId, employee, fromBeforeTo, isoTime, severity, userName } from './common';
import { adjustFields } from './adjustments';
import { suppressionFields } from './suppressions';
import { note } from './triage';

export function caseQuery(opts: { pseudonymize: boolean }) {
  return z
    .strictObject({
      from: isoTime.optional().describe('cases from the alerts whose window ends after this time (default: 90 days ago)'),
      to: isoTime.optional().describe('and starts before this time'),
      user: employee(opts.pseudonymize).optional().describe(opts.pseudonymize ? 'the employee, by pseudonym (emp-...)' : 'the employee id'),
      state: z.enum(['open', 'all']).optional().describe('open (default): cases with an alert not resolved; all: resolved ones too'),
    })
    .refine(fromBeforeTo, { message: '"to" must be after "from"', path: ['to'] });
}

const day = z.string().describe('YYYY-MM-DD (UTC)');

const caseStep = z.object({
  alertId: z.string(),
  firstDay: day.describe('the first day the alert is about (a slow drip: the first day of its run)'),
  lastDay: day,
  severity,
  score: z.number(),
  observedBytes: z.number(),
  ratio: z.number().describe('the volume against the usual day, 0 without a baseline'),
  detectors: z.array(z.string()),
  explanation: z.string().optional().describe('GET /api/cases/:id only (audited as alert.view)'),
  risk: z.number().describe("the case's risk right after this alert fired"),
  caseSeverity: severity.describe('that risk on the severity floors'),
  status: z.enum(STATUSES).describe("the alert's own triage status"),
});

export const caseOut = z
  .object({
    caseOf: z.string().describe('the id of the alert that opened the case: its name; any of its alerts finds it'),
    user: z.string().describe('the pseudonym (emp-...) when pseudonymisation is on, else the employee id'),
    department: z.string().nullable(),
    firstDay: day,
    lastDay: day,
    open: z.boolean().describe('one of its alerts is not resolved'),
    risk: z.number().describe('accumulated risk now (decibans; docs/detection.md, "Cases")'),
    severity,
    peakRisk: z.number(),
    peakSeverity: severity,
    detectors: z.array(z.string()),
    alerts: z.array(caseStep).describe('in the order they fired'),
  })
  .meta({ id: 'Case' });

export const casePageOut = z.object({
  items: z.array(caseOut).describe('highest risk now first'),
  alerts: z.number().int().describe('the alerts read to make them'),
});

export const caseActionOut = z.object({
  caseOf: z.string(),
  applied: z.array(z.string()).describe('the alerts the action was applied to (each audited as its own action)'),
  skipped: z
    .array(z.object({ alertId: z.string(), reason: z.string(), refused: z.boolean().describe("refused by the alert's own rules; else unchanged (already so, or not named)") }))
    .describe('the alerts it did not apply to, and why'),
});

/** Only these alerts of the case (those the analyst saw): one stored since is left as it is. */
const named = z.array(alertId).min(1).max(1000).optional().describe('only these alerts of the case (those shown); default: every alert it applies to');

export const caseNoteOnly = z.strictObject({ note: note.optional(), alerts: named }).nullish().describe('optional');
export const caseAssignBody = z.strictObject({ assignee: userName, alerts: named });
export const caseNoteBody = z.strictObject({ note, alerts: named });
export const caseResolveBody = z
  .strictObject({
    disposition: z.enum(DISPOSITIONS),
    note: note.optional(),
    suppress: z.strictObject(suppressionFields).optional().describe('with false_positive or expected_activity: keep the pattern from alerting again (made once, with the newest alert resolved)'),
    adjust: z.strictObject(adjustFields).optional().describe("with false_positive or expected_activity: raise the person's or their peer group's expected volume for a bounded time (made once, with the newest alert resolved)"),
    alerts: named,
  })
  .describe('one disposition for each alert');
