// Channels as the notifier uses them: a name, a page budget, whether it takes acknowledge/resolve
// updates, and deliver(). Secrets are read here, from the environment variables the configuration
// names, and never stored anywhere else (not in the config object, not in the outbox, not in logs).
import { ConfigError } from '../../errors';
import type { ChannelConfig, NotifyConfig } from '../../config';
import { send, scrub, type HttpRequest, type Outcome } from '../http';
import type { Message } from '../page';
import { sendEmail } from './email';
import { opsgenieRequest, OPSGENIE_URL } from './opsgenie';
import { PAGERDUTY_URL, pagerDutyRequest } from './pagerduty';
import { slackRequest } from './slack';
import { webhookRequest } from './webhook';
import { kafkaChannel } from './kafka';
import type { Kafka } from 'kafkajs';

export { PAGERDUTY_URL, PAGERDUTY_SEVERITY } from './pagerduty';
export { OPSGENIE_URL, OPSGENIE_PRIORITY } from './opsgenie';
export { escapeMrkdwn } from './slack';
export { webhookBody } from './webhook';
export { emailMessage } from './email';

export interface Channel {
  name: string;
  type: ChannelConfig['type'];
  /** Takes acknowledge / resolve updates. */
  updates: boolean;
  rate: { maxPages: number; windowMs: number };
  /** The HTTP request a message becomes (undefined for e-mail). */
  render(msg: Message, deliveryId: string, nowMs: number): HttpRequest | undefined;
  deliver(msg: Message, deliveryId: string, nowMs: number): Promise<Outcome>;
  /** Releases a connection the channel holds (Kafka). */
  close?(): Promise<void>;
}

type Env = Record<string, string | undefined>;

function secretFrom(env: Env, name: string, channel: string, key: string): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new ConfigError(`notify.channels.${channel}.${key}: the environment variable ${name} is not set (the channel's secret is read from it)`, { key: `notify.channels.${channel}.${key}` });
  }
  return value;
}

export function createChannel(name: string, c: ChannelConfig, n: Pick<NotifyConfig, 'storm' | 'delivery'>, env: Env = process.env, kafka?: () => Kafka): Channel {
  const rate = c.rateLimit ?? { maxPages: n.storm.maxPages, windowMs: n.storm.windowMs };
  const timeoutMs = n.delivery.timeoutMs;
  const urlOf = (fallback: string | undefined): string => {
    const urlEnv = 'urlEnv' in c ? c.urlEnv : undefined;
    const fromEnv = urlEnv ? env[urlEnv] : undefined;
    const url = fromEnv || fallback;
    if (!url) throw new ConfigError(`notify.channels.${name}: no URL (set url, or the variable ${urlEnv ?? '(urlEnv)'})`, { key: `notify.channels.${name}.url` });
    return url;
  };
  const http = (render: (msg: Message, id: string, now: number) => HttpRequest, secrets: string[], updates: boolean): Channel => ({
    name,
    type: c.type,
    updates: c.updates ?? updates,
    rate,
    render,
    deliver: (msg, id, now) => send(render(msg, id, now), { timeoutMs, secrets }),
  });
  switch (c.type) {
    case 'pagerduty': {
      const key = secretFrom(env, c.routingKeyEnv, name, 'routingKeyEnv');
      const url = urlOf(c.url ?? PAGERDUTY_URL);
      return http((m, _id, now) => pagerDutyRequest(url, key, m, now), [key], true);
    }
    case 'opsgenie': {
      const key = secretFrom(env, c.apiKeyEnv, name, 'apiKeyEnv');
      const url = urlOf(c.url ?? OPSGENIE_URL);
      return http((m, _id, now) => opsgenieRequest(url, key, m, now), [key], true);
    }
    case 'slack': {
      const url = secretFrom(env, c.urlEnv, name, 'urlEnv');
      return http((m, _id, now) => slackRequest(url, m, now), [url, ...url.split('/').filter((p) => p.length >= 8)], false);
    }
    case 'webhook': {
      const secret = secretFrom(env, c.secretEnv, name, 'secretEnv');
      const url = urlOf(c.url);
      return http((m, id, now) => webhookRequest(url, secret, m, id, now, c.format ?? 'insider'), [secret], true);
    }
    case 'kafka': {
      if (!kafka) throw new ConfigError(`notify.channels.${name}: a kafka channel needs the product's Kafka connection`, { key: `notify.channels.${name}` });
      return kafkaChannel(name, c.topic, kafka, rate, c.updates ?? true);
    }
    case 'email': {
      const username = c.usernameEnv ? secretFrom(env, c.usernameEnv, name, 'usernameEnv') : undefined;
      const password = c.passwordEnv ? secretFrom(env, c.passwordEnv, name, 'passwordEnv') : undefined;
      const settings = { host: c.host, port: c.port, secure: c.secure, from: c.from, to: c.to, username, password, timeoutMs };
      return {
        name,
        type: 'email',
        updates: c.updates ?? false,
        rate,
        render: () => undefined,
        deliver: async (msg, _id, now) => scrub(await sendEmail(settings, msg, now), password ? [password] : []),
      };
    }
  }
}

/** The channels that routes use (a channel no route names is not opened, so its secret need not be set). */
export function createChannels(n: NotifyConfig, env: Env = process.env, only?: ReadonlyArray<string>, kafka?: () => Kafka): Map<string, Channel> {
  const used = new Set(only ?? n.routes.flatMap((r) => [...r.channels, ...(r.escalateTo ?? [])]));
  const out = new Map<string, Channel>();
  for (const [name, c] of Object.entries(n.channels)) if (used.has(name)) out.set(name, createChannel(name, c, n, env, kafka));
  return out;
}
