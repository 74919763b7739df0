// The ingester's telemetry: received, inserted, dead-lettered, skipped; batch sizes, insert latency, lag.
import { Counter, Gauge, Histogram, type Registry } from '../telemetry';

export type IngestMetrics = ReturnType<typeof ingestMetrics>;

export function ingestMetrics(registry: Registry) {
  const registers = [registry];
  return {
    received: new Counter({ name: 'insider_ingest_events_received_total', help: 'Kafka messages received', labelNames: ['topic'], registers }),
    inserted: new Counter({ name: 'insider_ingest_events_inserted_total', help: 'Events inserted into ClickHouse', labelNames: ['topic'], registers }),
    deadLettered: new Counter({
      name: 'insider_ingest_events_dead_lettered_total',
      help: 'Messages sent to the dead-letter topic, by reason',
      labelNames: ['topic', 'reason'],
      registers,
    }),
    skipped: new Counter({
      name: 'insider_ingest_events_skipped_total',
      help: 'Redelivered messages skipped because ClickHouse already holds their offset',
      labelNames: ['topic'],
      registers,
    }),
    batchSize: new Histogram({
      name: 'insider_ingest_batch_size',
      help: 'Messages per processed batch',
      buckets: [1, 10, 100, 1000, 5000, 10000, 50000, 100000],
      registers,
    }),
    insertSeconds: new Histogram({
      name: 'insider_ingest_insert_duration_seconds',
      help: "Time from a batch's rows being ready to ClickHouse acknowledging them: retries, and the wait for the other batches of its fetch that share the insert, included",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    insertRows: new Histogram({
      name: 'insider_ingest_insert_rows',
      help: 'Events per INSERT into access_events (the partitions of a fetch share one where their employees are apart)',
      buckets: [10, 100, 1000, 5000, 10000, 25000, 50000, 100000],
      registers,
    }),
    retries: new Counter({ name: 'insider_ingest_clickhouse_retries_total', help: 'ClickHouse calls retried after a transient failure', registers }),
    lag: new Gauge({
      name: 'insider_ingest_consumer_lag',
      help: 'Messages between the last processed offset and the partition high watermark',
      labelNames: ['topic', 'partition'],
      registers,
    }),
    errors: new Counter({ name: 'insider_ingest_errors_total', help: 'Errors by kind', labelNames: ['kind'], registers }),
  };
}
