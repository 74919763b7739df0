// The notifier: every second it reads new alert revisions and triage actions from ClickHouse, routes
// them, and queues deliveries in the outbox (ClickHouse) before anything is sent; a delivery loop then
// sends what is due, one request at a time per channel, retrying with backoff and jitter (longer when
// the receiver says Retry-After). Storm control keeps each channel within its page budget by grouping
// the excess into digests that list every alert. An alert still unacknowledged `escalateAfterMs` after
// its page was delivered is paged again. A crash loses nothing: on start the outbox is read back and
// whatever was not delivered is sent again, under the same dedup key. One notifier per database.
//
// This module wires the parts together and runs the cycle: notifier-state.ts (what they share), poll.ts
// (cursors, routing, triage actions), queue.ts (storm control, outbox writes, read-back), escalation.ts
// and delivery.ts (sending, retries).
import type { Config, RouteConfig } from '../config';
import { caseOptions } from '../cases';
import { ConfigError, describeError } from '../errors';
import type { Logger } from '../log';
import type { ClickHouse } from '../store';
import type { Kafka } from 'kafkajs';
import { createKafka } from '../kafka';
import { createPseudonyms } from '../triage';
import { createChannels, type Channel } from './channels';
import { createDispatcher } from './delivery';
import { escalate, restoreWatch } from './escalation';
import type { NotifierState, NotifierStats } from './notifier-state';
import type { Delivery, RowContent } from './outbox';
import { alertsLink, type PageSettings } from './page';
import { createPoller, revisionOverlapMs } from './poll';
import { restoreQueue } from './queue';
import { notifyMetrics } from './metrics';
import { createRegistry, type Registry } from '../telemetry';

export type { NotifierStats };

export interface NotifierOptions {
  config: Readonly<Config>;
  ch: ClickHouse;
  log: Logger;
  /** Default: the configured channels that routes use, secrets from the environment. */
  channels?: Map<string, Channel>;
  env?: Record<string, string | undefined>;
  now?: () => number;
  random?: () => number;
  /** Where its Prometheus metrics go (health.port serves it); none: kept in a registry of its own. */
  registry?: Registry;
}

export interface Notifier {
  /** Reads the outbox back and starts polling and delivering. */
  start(): Promise<void>;
  /** Stops polling; waits for deliveries in flight (at most the delivery timeout) and records their outcome. */
  stop(): Promise<void>;
  /** Resolves when the notifier has stopped. */
  readonly done: Promise<void>;
  /** One cycle: poll, route, escalate, dispatch (tests drive it directly). */
  tick(): Promise<void>;
  stats(): NotifierStats;
  /** Deliveries not yet delivered or abandoned. */
  pending(): Delivery[];
}

export function createNotifier(opts: NotifierOptions): Notifier {
  const { config, ch, log } = opts;
  const n = config.notify;
  const now = opts.now ?? Date.now;
  // Kafka channels (SIEM export) share one connection to the product's Kafka, made when first used.
  let kafka: Kafka | undefined;
  const channels = opts.channels ?? createChannels(n, opts.env ?? process.env, undefined, () => (kafka ??= createKafka(config.kafka, log)));
  const baseUrl = (n.publicUrl || config.api.publicUrl || `http://${config.api.host}:${config.api.port}`).replace(/\/+$/, '');
  const page: PageSettings = { baseUrl, who: whoOf(config) };
  const deliveries = new Map<string, Delivery>();
  const state: NotifierState = {
    ch,
    log,
    n,
    now,
    random: opts.random ?? Math.random,
    channels,
    routes: n.routes.filter((r) => r.channels.some((c) => channels.has(c))),
    routeByName: new Map<string, RouteConfig>(n.routes.map((r) => [r.name, r])),
    baseUrl,
    digestLink: alertsLink(baseUrl),
    page,
    cases: caseOptions(config),
    revisionOverlapMs: revisionOverlapMs(config),
    // State, rebuilt from the outbox by load().
    deliveries,
    budgets: new Map(),
    openDigests: new Map(),
    watch: new Map(),
    loaded: false,
    routing: false,
    stopping: false,
    stats: { revisionsRouted: 0, queued: 0, delivered: 0, failedAttempts: 0, abandoned: 0, digests: 0, escalations: 0, pending: 0 },
    metrics: notifyMetrics(opts.registry ?? createRegistry({ defaultMetrics: false }), () => deliveries.size),
  };
  const poller = createPoller(state);
  const dispatcher = createDispatcher(state);

  async function load(): Promise<void> {
    const t = now();
    await restoreQueue(state, t);
    await restoreWatch(state, t);
    await poller.restoreCursors(t);
    state.loaded = true;
    log.info({ pending: state.deliveries.size, channels: [...channels.keys()], escalationWatch: state.watch.size }, 'notifier: outbox loaded');
  }

  async function tick(): Promise<void> {
    try {
      await dispatcher.flush();
      if (!state.loaded) await load();
      const t = now();
      for (const b of state.budgets.values()) b.prune(t);
      state.routing = true;
      try {
        await poller.pollAlerts(t);
        await poller.pollActions(t);
        await escalate(state, t);
      } finally {
        state.routing = false;
      }
      await poller.saveCursors(t);
    } catch (err) {
      state.metrics.errors.inc({ kind: 'cycle' });
      log.warn({ err: describeError(err) }, 'notifier: cycle failed; retrying');
    }
    dispatcher.dispatch();
  }

  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;

  return {
    done,
    async start() {
      await load();
      loop = (async () => {
        while (!state.stopping) {
          await tick();
          if (state.stopping) break;
          await new Promise<void>((r) => {
            const timer = setTimeout(r, n.pollIntervalMs);
            wake = () => {
              clearTimeout(timer);
              r();
            };
          });
        }
      })();
    },
    async stop() {
      state.stopping = true;
      wake?.();
      await loop;
      const deadline = new Promise<void>((r) => setTimeout(r, n.delivery.timeoutMs + 1000).unref());
      await Promise.race([dispatcher.settled(), deadline]);
      await dispatcher.flush().catch((err: unknown) => log.warn({ err: describeError(err) }, 'notifier: final outbox write failed'));
      await Promise.all([...channels.values()].map((c) => c.close?.().catch(() => {})));
      resolveDone();
    },
    tick,
    stats: () => ({ ...state.stats, pending: state.deliveries.size }),
    pending: () => [...state.deliveries.values()],
  };
}

function whoOf(config: Readonly<Config>): (user: string) => string {
  switch (config.notify.identity) {
    case 'user':
      return (u) => u;
    case 'none':
      return () => '';
    case 'pseudonym': {
      const key = config.api.pseudonymKey;
      if (!key || key.length < 16) {
        throw new ConfigError('notify.identity is "pseudonym": set INSIDER_PSEUDONYM_KEY (a secret of at least 16 characters), or name employees by id or not at all with notify.identity: user | none (INSIDER_NOTIFY_IDENTITY)', { key: 'notify.identity' });
      }
      const p = createPseudonyms({ enabled: true, key });
      return (u) => p.of(u);
    }
  }
}

export type { RowContent };
