// Paging: routing rules, channels (PagerDuty Events API v2, Opsgenie Alert API, Slack incoming webhooks,
// signed webhooks, e-mail), a durable outbox in ClickHouse, retries, storm control and escalation.
// `insider notify` runs the notifier; docs/paging.md explains the design and the receivers' side.
export { createNotifier, type Notifier, type NotifierOptions, type NotifierStats } from './notifier';
export { createChannel, createChannels, type Channel } from './channels';
export { type NotifyConfig, type ChannelConfig, type RouteConfig } from '../config';
export { routeAlert, inLocalWindow, ruleMatches, type Target } from './routing';
export { PageBudget, maxInAnyWindow, backoffMs } from './budget';
export { signatureOf, signedHeaders, signedJsonPost, verifySignature, SIGNATURE_HEADER, TIMESTAMP_HEADER, DEFAULT_TOLERANCE_S } from './signature';
export { createOcsfExport, type OcsfExport, type OcsfExportDeps } from './ocsf-export';
export { parseRetryAfter, classifyStatus, send, type HttpRequest, type Outcome } from './http';
export { listDeliveries, openDeliveries, deliveryId, type Delivery, type DeliverySummary, type DeliveryState } from './outbox';
export { pageOf, summaryOf, alertLink, alertsLink, isPage, KINDS, type AlertPage, type AlertRevision, type Kind, type Message } from './page';
export { startLocalReceiver, formatReceived, type LocalReceiver, type ReceivedRequest } from './receiver';
