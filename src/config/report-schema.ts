// The `reports` section of the configuration: schedules (cron expressions, evaluated in UTC), formats,
// where reports go, and the webhooks that hear about a finished report. docs/reports.md.
import { Cron } from 'croner';
import { z } from 'zod';

export const REPORT_FORMATS = ['html', 'pdf', 'csv', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];
export const PERIOD_KINDS = ['day', 'week', 'month'] as const;
export type PeriodKind = (typeof PERIOD_KINDS)[number];

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected the name of an environment variable (letters, digits, _)');

/** The reason a cron expression is refused, or null when croner accepts it. */
export function cronProblem(expression: string): string | null {
  try {
    new Cron(expression, { timezone: 'UTC', paused: true });
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

const cron = z.string().superRefine((v, ctx) => {
  const problem = cronProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: `not a valid cron expression: ${problem}` });
});

const formats = z.array(z.enum(REPORT_FORMATS)).min(1);

export const scheduleSchema = z.strictObject({
  name: z.string().regex(NAME, 'expected a name of letters, digits, _ . -'),
  /** Five or six fields, UTC, e.g. "0 6 * * 1" (Mondays 06:00 UTC). */
  cron,
  /** The period a run covers: the last complete one before the cron time. */
  period: z.enum(PERIOD_KINDS),
  /** Default: reports.formats. */
  formats: formats.optional(),
  /** Names of reports.webhooks told about each finished report. */
  deliver: z.array(z.string()).optional(),
});

export const webhookSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).optional(),
  /** A variable that, when set, replaces url. */
  urlEnv: envName.optional(),
  /** HMAC-SHA256 signing secret, read from this variable (headers as the notifier's webhooks). */
  secretEnv: envName.optional(),
});

export const reportsSchema = z
  .strictObject({
    outputDir: z.string().min(1),
    linkBase: z.string(),
    formats,
    topUsers: z.number().int().min(1).max(100),
    gapHours: z.number().int().min(1).max(168),
    chromiumPath: z.string().min(1),
    pollIntervalMs: z.number().int().min(1000),
    schedules: z.array(scheduleSchema),
    webhooks: z.record(z.string().regex(NAME, 'expected a name of letters, digits, _ . -'), webhookSchema),
  })
  .superRefine((r, ctx) => {
    const seen = new Set<string>();
    r.schedules.forEach((s, i) => {
      if (seen.has(s.name)) ctx.addIssue({ code: 'custom', path: ['schedules', i, 'name'], message: `two schedules are named ${s.name}` });
      seen.add(s.name);
      (s.deliver ?? []).forEach((w, j) => {
        if (!(w in r.webhooks)) ctx.addIssue({ code: 'custom', path: ['schedules', i, 'deliver', j], message: `no webhook ${w} in reports.webhooks` });
      });
    });
    for (const [name, w] of Object.entries(r.webhooks)) {
      if (!w.url && !w.urlEnv) ctx.addIssue({ code: 'custom', path: ['webhooks', name], message: 'a webhook needs url or urlEnv' });
    }
  });

export type ReportsConfig = z.infer<typeof reportsSchema>;
export type ScheduleConfig = z.infer<typeof scheduleSchema>;
