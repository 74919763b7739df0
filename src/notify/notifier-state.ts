// The state the notifier's parts share: what createNotifier derives from the configuration once
// (channels, routes, links) and what it keeps in memory between cycles (deliveries not yet done, page
// budgets, open digests, alerts awaiting escalation, counters). One object, handed to the polling,
// queueing, escalation and delivery modules, so that each of them can live in its own file.
import type { TimelineOptions } from '../cases';
import type { Logger } from '../log';
import type { ClickHouse } from '../store';
import type { PageBudget } from './budget';
import type { Channel } from './channels';
import type { NotifyConfig, RouteConfig } from '../config';
import type { Delivery } from './outbox';
import type { AlertPage, PageSettings } from './page';
import type { NotifyMetrics } from './metrics';

export interface NotifierStats {
  revisionsRouted: number;
  queued: number;
  delivered: number;
  failedAttempts: number;
  abandoned: number;
  digests: number;
  escalations: number;
  pending: number;
}

export interface OpenDigest {
  id: string;
  dedupKey: string;
  due: number;
  members: number;
}

export interface Watch {
  alertId: string;
  route: string;
  deliveredAt: number;
  page: AlertPage;
  /** The incident the page opened (the case's or the alert's); the re-page is <dedupKey>/escalation. */
  dedupKey: string;
}

export interface NotifierState {
  readonly ch: ClickHouse;
  readonly log: Logger;
  /** config.notify */
  readonly n: Readonly<NotifyConfig>;
  readonly now: () => number;
  readonly random: () => number;
  readonly channels: Map<string, Channel>;
  /** The routes that use at least one of the channels. */
  readonly routes: RouteConfig[];
  readonly routeByName: Map<string, RouteConfig>;
  readonly baseUrl: string;
  readonly digestLink: string;
  readonly page: PageSettings;
  /** How alerts group into cases (cases: in the configuration). */
  readonly cases: TimelineOptions;
  /** Revisions are read again this far behind the newest stamp seen (poll.ts). */
  readonly revisionOverlapMs: number;

  // State, rebuilt from the outbox by load().
  deliveries: Map<string, Delivery>;
  budgets: Map<string, PageBudget>;
  openDigests: Map<string, OpenDigest>;
  watch: Map<string, Watch>;
  loaded: boolean;
  routing: boolean;
  stopping: boolean;
  readonly stats: NotifierStats;
  readonly metrics: NotifyMetrics;
}
