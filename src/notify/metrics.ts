// The notifier's telemetry (Prometheus, on health.port): deliveries by channel and outcome, how long the
// receivers take, what waits in the outbox, so that a page that cannot get out is seen.
import { Counter, Gauge, Histogram, type Registry } from '../telemetry';

export type NotifyMetrics = ReturnType<typeof notifyMetrics>;

export function notifyMetrics(registry: Registry, pending: () => number) {
  const registers = [registry];
  return {
    routed: new Counter({ name: 'insider_notify_revisions_routed_total', help: 'Alert revisions read and routed', registers }),
    deliveries: new Counter({
      name: 'insider_notify_deliveries_total',
      help: 'Delivery attempts by channel, kind (trigger, acknowledge, resolve, escalate, digest, test) and outcome (delivered, failed: retried, abandoned)',
      labelNames: ['channel', 'kind', 'outcome'],
      registers,
    }),
    deliverySeconds: new Histogram({
      name: 'insider_notify_delivery_duration_seconds',
      help: 'Time a channel took to answer a delivery',
      labelNames: ['channel'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    pending: new Gauge({
      name: 'insider_notify_pending_deliveries',
      help: 'Deliveries queued and not yet delivered or abandoned',
      registers,
      collect() {
        this.set(pending());
      },
    }),
    errors: new Counter({ name: 'insider_notify_errors_total', help: 'Failures by kind: cycle (a poll or routing cycle retried), outbox (an outbox write kept for the next cycle)', labelNames: ['kind'], registers }),
  };
}
