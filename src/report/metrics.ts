// The report scheduler's telemetry (Prometheus, on health.port): runs by schedule and result, their
// duration, and when each schedule last wrote a report, so that a missing audit report is noticed.
import { Counter, Gauge, Histogram, type Registry } from '../telemetry';

export type ReportMetrics = ReturnType<typeof reportMetrics>;

export function reportMetrics(registry: Registry) {
  const registers = [registry];
  return {
    runs: new Counter({ name: 'insider_report_runs_total', help: 'Scheduled report runs by schedule and result (written, failed)', labelNames: ['schedule', 'result'], registers }),
    seconds: new Histogram({ name: 'insider_report_duration_seconds', help: 'Time to write one scheduled report', labelNames: ['schedule'], buckets: [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600], registers }),
    lastWritten: new Gauge({ name: 'insider_report_last_written_timestamp_seconds', help: 'When each schedule last wrote a report (Unix time)', labelNames: ['schedule'], registers }),
    deliveries: new Counter({ name: 'insider_report_deliveries_total', help: 'Report webhook deliveries by schedule and outcome (delivered, failed: tried again next tick)', labelNames: ['schedule', 'outcome'], registers }),
  };
}
