// Liveness, readiness and metrics of the long-running commands without an HTTP server of their own
// (`detect`, `notify`, `report schedule`), on health.host:health.port when the port is set: what
// Kubernetes probes (deploy/helm). Served once the stage runs (a startup probe covers the start);
// ready while ClickHouse answers.
import type { Config } from '../config';
import type { ClickHouse } from '../store';
import { clickhouseReady, serveMetrics, type MetricsServer, type Registry } from '../telemetry';
import { progress } from './output';

/** Serves `registry` (the stage's metrics and the process's) with the probes, when health.port is set. */
export async function startHealth(settings: Readonly<Config['health']>, ch: ClickHouse, registry: Registry): Promise<MetricsServer | undefined> {
  if (settings.port === 0) return undefined;
  const server = await serveMetrics(registry, settings.host, settings.port, { ready: clickhouseReady(ch) });
  progress(`health: /healthz, /readyz and /metrics at ${server.url.replace(/\/metrics$/, '')}`);
  return server;
}
