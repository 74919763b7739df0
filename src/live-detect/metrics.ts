// The live detector's telemetry (Prometheus, on health.port): what it judged, how far behind it is, what
// it wrote and what went wrong, so that an on-call responder sees a stalled or lagging detector before
// an export goes unnoticed.
import { Counter, Gauge, Histogram, type Registry } from '../telemetry';

export type DetectMetrics = ReturnType<typeof detectMetrics>;

export function detectMetrics(registry: Registry) {
  const registers = [registry];
  return {
    judged: new Counter({ name: 'insider_detect_events_judged_total', help: 'Events judged by the engine', registers }),
    invalid: new Counter({ name: 'insider_detect_messages_invalid_total', help: 'Messages that did not decode (the ingester dead-letters them with the reason)', registers }),
    alerts: new Counter({ name: 'insider_detect_alert_revisions_written_total', help: 'Alert revisions stored, by severity', labelNames: ['severity'], registers }),
    batchSeconds: new Histogram({
      name: 'insider_detect_batch_duration_seconds',
      help: 'Time to decode, judge and store one Kafka batch',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    lag: new Gauge({ name: 'insider_detect_consumer_lag', help: 'Messages between the last judged offset and the partition high watermark', labelNames: ['topic', 'partition'], registers }),
    eventDelay: new Gauge({ name: 'insider_detect_event_delay_seconds', help: 'Wall-clock time minus the newest event time of the last batch judged', registers }),
    lastBatch: new Gauge({ name: 'insider_detect_last_batch_timestamp_seconds', help: 'When the last batch was judged (Unix time)', registers }),
    errors: new Counter({ name: 'insider_detect_errors_total', help: 'Failures by kind: store_retry (storing alerts retried), refresh (the allowlist, suppressions, adjustments or chosen settings could not be re-read: the previous ones kept), crash (consumer crashed), write_stalled (a wait for an alert insert whose answer was lost, or a previous owner\'s, to end: reported each minute)', labelNames: ['kind'], registers }),
  };
}
