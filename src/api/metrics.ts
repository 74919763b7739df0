// HTTP metrics of the API, by method, route (the pattern, e.g. /api/alerts/:id) and status.
import type { onResponseHookHandler } from 'fastify';
import { Counter, Gauge, Histogram, type Registry } from '../telemetry';

const REQUESTS = 'insider_api_http_requests_total';
const DURATION = 'insider_api_http_request_duration_seconds';
const LABELS = ['method', 'route', 'status'] as const;

/** The counter and histogram on `registry` (reused when a registry already has them: one per process). */
export function httpMetrics(registry: Registry): onResponseHookHandler {
  const requests =
    (registry.getSingleMetric(REQUESTS) as Counter<(typeof LABELS)[number]> | undefined) ??
    new Counter({ name: REQUESTS, help: 'HTTP requests answered by the API, by method, route and status', labelNames: LABELS, registers: [registry] });
  const duration =
    (registry.getSingleMetric(DURATION) as Histogram<(typeof LABELS)[number]> | undefined) ??
    new Histogram({
      name: DURATION,
      help: 'Time to answer an API request, by method, route and status',
      labelNames: LABELS,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
  return (request, reply, done) => {
    // Unknown paths share one label: a scanner must not create a series per URL.
    const labels = { method: request.method, route: request.routeOptions.url ?? '(unmatched)', status: String(reply.statusCode) };
    requests.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
    done();
  };
}

const TOKEN_CACHE = 'insider_api_token_cache_total';
const STREAMS = 'insider_api_open_streams';

/** Token checks answered from the cache (hit) or by ClickHouse (miss). */
export function tokenCacheCounter(registry: Registry): Counter<'result'> {
  return (
    (registry.getSingleMetric(TOKEN_CACHE) as Counter<'result'> | undefined) ??
    new Counter({ name: TOKEN_CACHE, help: 'Token checks answered from the cache (hit) or by ClickHouse (miss)', labelNames: ['result'], registers: [registry] })
  );
}

/** Open event streams of the process, read when scraped. */
export function streamsGauge(registry: Registry, count: () => number): void {
  if (registry.getSingleMetric(STREAMS)) registry.removeSingleMetric(STREAMS);
  new Gauge({
    name: STREAMS,
    help: 'Event streams (GET /api/stream) open on this process',
    registers: [registry],
    collect() {
      this.set(count());
    },
  });
}
