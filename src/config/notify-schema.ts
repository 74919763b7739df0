// The `notify` section of the configuration: channels (PagerDuty, Opsgenie, Slack, signed webhooks,
// e-mail), routing rules, delivery retries and storm control. Channels never hold a secret: they name
// the environment variable to read it from (`routingKeyEnv: INSIDER_PAGERDUTY_ROUTING_KEY`), so a
// config file cannot carry one and `config check` prints only the variable's name. docs/paging.md.
import { z } from 'zod';

const SEVERITY_NAMES = ['low', 'medium', 'high', 'critical'] as const;
const positiveMs = z.number().int().positive();
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected the name of an environment variable (letters, digits, _)');
const httpUrl = z.url({ protocol: /^https?$/ });
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a local time "HH:MM" (24 h)');
const timeZone = z.string().refine(isTimeZone, 'expected an IANA time zone such as "Europe/London" or "UTC"');
export const CHANNEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Pages a channel may send per window; more alerts than that are grouped into digests. */
const rateLimit = z.strictObject({
  maxPages: z.number().int().min(1),
  windowMs: positiveMs,
});

const common = {
  /** Overrides notify.storm.maxPages / windowMs for this channel. */
  rateLimit: rateLimit.optional(),
  /** Send acknowledge and resolve updates (default: PagerDuty, Opsgenie and webhooks yes; Slack and e-mail no). */
  updates: z.boolean().optional(),
  /** An environment variable that, when set, replaces the channel's URL (tests, per-environment endpoints). */
  urlEnv: envName.optional(),
};

export const channelSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('pagerduty'),
    /** Events API v2 endpoint; default https://events.pagerduty.com/v2/enqueue */
    url: httpUrl.optional(),
    /** The integration's routing key (Events API v2), read from this variable. */
    routingKeyEnv: envName,
    ...common,
  }),
  z.strictObject({
    type: z.literal('opsgenie'),
    /** API base; default https://api.opsgenie.com (EU accounts: https://api.eu.opsgenie.com) */
    url: httpUrl.optional(),
    /** An API integration's key (sent as "Authorization: GenieKey <key>"), read from this variable. */
    apiKeyEnv: envName,
    ...common,
  }),
  z.strictObject({
    type: z.literal('slack'),
    /** Slack incoming-webhook URLs are secrets: only from the environment (urlEnv is required). */
    urlEnv: envName,
    rateLimit: rateLimit.optional(),
    updates: z.boolean().optional(),
  }),
  z.strictObject({
    type: z.literal('webhook'),
    url: httpUrl.optional(),
    /** The HMAC-SHA256 key of the X-Insider-Signature header, read from this variable. */
    secretEnv: envName,
    /** insider: the product's own JSON (docs/paging.md); ocsf: a JSON array of OCSF Detection Findings (docs/siem-export.md). */
    format: z.enum(['insider', 'ocsf']).optional(),
    ...common,
  }),
  z.strictObject({
    type: z.literal('kafka'),
    /** A topic on the product's Kafka (kafka.brokers): one OCSF Detection Finding a message, keyed by alert id. */
    topic: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'expected a Kafka topic name'),
    format: z.literal('ocsf').optional(),
    rateLimit: rateLimit.optional(),
    updates: z.boolean().optional(),
  }),
  z.strictObject({
    type: z.literal('email'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    /** true: TLS from the first byte (port 465); false: plain, upgraded with STARTTLS when the server offers it */
    secure: z.boolean(),
    from: z.string().min(3),
    to: z.array(z.string().min(3)).min(1),
    usernameEnv: envName.optional(),
    passwordEnv: envName.optional(),
    rateLimit: rateLimit.optional(),
    updates: z.boolean().optional(),
  }),
]);

export const routeSchema = z.strictObject({
  name: z.string().min(1),
  /** This severity or worse. */
  minSeverity: z.enum(SEVERITY_NAMES),
  /** Alerts where any of these detectors fired; absent or empty: any detector. */
  detectors: z.array(z.string().min(1)).optional(),
  /** Employees of these departments (from the directory); absent or empty: any department. */
  departments: z.array(z.string().min(1)).optional(),
  /** The rule applies only between these local times (e.g. business hours); absent: all day. */
  hours: z.strictObject({ from: clock, to: clock, timezone: timeZone }).optional(),
  /** Between these local times only alerts of `minSeverity` (here) or worse page through this rule. */
  quietHours: z.strictObject({ from: clock, to: clock, timezone: timeZone, minSeverity: z.enum(SEVERITY_NAMES) }).optional(),
  channels: z.array(z.string().regex(CHANNEL_NAME)).min(1),
  /** Re-page when the alert is still unacknowledged this long after its page was delivered; absent: never. */
  escalateAfterMs: positiveMs.optional(),
  /** Channels of the re-page; absent or empty: the rule's own channels. */
  escalateTo: z.array(z.string().regex(CHANNEL_NAME)).optional(),
  /**
   * case (default): one page per case (an employee's alerts while an episode lasts) when the case's risk
   * first matches the rule, updates as it grows, resolved with it; alert: one page per alert (a SIEM
   * that keeps every alert).
   */
  pageBy: z.enum(['case', 'alert']).optional(),
});

export const notifySchema = z
  .strictObject({
    /** How often ClickHouse is asked for new alert revisions and triage actions. */
    pollIntervalMs: positiveMs,
    /** On the first start, and after downtime, alerts updated this long ago still page; older ones do not. */
    catchUpMs: positiveMs,
    /** What pages call the employee: their pseudonym (INSIDER_PSEUDONYM_KEY), their id, or nothing (alert id only). */
    identity: z.enum(['pseudonym', 'user', 'none']),
    /** Base of the links in pages; empty: api.publicUrl, else http://api.host:api.port */
    publicUrl: z.string(),
    delivery: z.strictObject({
      /** One HTTP request (or SMTP conversation) at most this long. */
      timeoutMs: positiveMs,
      /** Failed deliveries are retried after initialDelayMs, doubling with full jitter up to maxDelayMs ... */
      initialDelayMs: positiveMs,
      maxDelayMs: positiveMs,
      /** ... until this long after the page was queued; then it is abandoned (listed by `notify outbox`). */
      giveUpAfterMs: positiveMs,
    }),
    storm: z.strictObject({
      /** Pages (individual, escalations, digests) per channel per window; acknowledge/resolve updates are not pages. */
      maxPages: z.number().int().min(1),
      windowMs: positiveMs,
      /** A digest waits this long for more alerts of the same storm before it is sent. */
      digestDelayMs: z.number().int().min(0),
      /** Alerts per digest at most; a larger storm fills several digests. */
      maxDigestAlerts: z.number().int().min(1).max(5000),
    }),
    channels: z.record(z.string().regex(CHANNEL_NAME, 'expected a channel name (letters, digits, _ . -)'), channelSchema),
    routes: z.array(routeSchema),
  })
  .superRefine((n, ctx) => {
    const known = new Set(Object.keys(n.channels));
    n.routes.forEach((r, i) => {
      for (const key of ['channels', 'escalateTo'] as const) {
        (r[key] ?? []).forEach((c, j) => {
          if (!known.has(c)) {
            ctx.addIssue({ code: 'custom', path: ['routes', i, key, j], message: `no channel named "${c}" in notify.channels (${[...known].join(', ') || 'none defined'})` });
          }
        });
      }
    });
    for (const [name, c] of Object.entries(n.channels)) {
      if (c.type === 'webhook' && !c.url && !c.urlEnv) ctx.addIssue({ code: 'custom', path: ['channels', name, 'url'], message: 'a webhook channel needs url or urlEnv' });
    }
  });

export type NotifyConfig = z.infer<typeof notifySchema>;
export type ChannelConfig = z.infer<typeof channelSchema>;
export type RouteConfig = z.infer<typeof routeSchema>;
