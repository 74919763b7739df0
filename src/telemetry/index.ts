// Prometheus metrics: one registry per process, served on /metrics by a small HTTP endpoint, with the
// liveness (/healthz) and readiness (/readyz) routes that Kubernetes probes.
import http from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

export function createRegistry(opts: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'insider_' });
  return registry;
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/** What readiness depends on, each check's state ('ok' or what is wrong). */
export type ReadinessCheck = () => Promise<Record<string, string>>;

const READY_TIMEOUT_MS = 5000;

/**
 * GET /metrics (Prometheus text format), GET /healthz (the process answers) and GET /readyz (200 when
 * every check says ok, else 503 with the checks; without checks, the same as /healthz).
 */
export async function serveMetrics(registry: Registry, host: string, port: number, opts: { ready?: ReadinessCheck } = {}): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') {
      registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        })
        .catch((err: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(err.message);
        });
    } else if (req.method === 'GET' && req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
    } else if (req.method === 'GET' && req.url === '/readyz') {
      void readiness(opts.ready).then((checks) => {
        const ready = Object.values(checks).every((v) => v === 'ok');
        res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
        res.end(`${JSON.stringify({ status: ready ? 'ready' : 'not_ready', checks })}\n`);
      });
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found; try /metrics, /healthz or /readyz\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://${host}:${actualPort}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function readiness(check: ReadinessCheck | undefined): Promise<Record<string, string>> {
  if (!check) return {};
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Record<string, string>>((resolve) => {
    timer = setTimeout(() => resolve({ readiness: `no answer within ${READY_TIMEOUT_MS} ms` }), READY_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check(), timeout]);
  } catch (err) {
    return { readiness: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/** Readiness of a stage that needs ClickHouse: it answers a ping. */
export function clickhouseReady(ch: { ping(): Promise<boolean> }): ReadinessCheck {
  return async () => {
    try {
      return { clickhouse: (await ch.ping()) ? 'ok' : 'unreachable' };
    } catch (err) {
      return { clickhouse: `unreachable: ${(err as Error).message}` };
    }
  };
}
