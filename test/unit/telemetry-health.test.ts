// The health routes every long-running stage serves (Kubernetes probes them): /healthz while the process
// answers, /readyz only while what it needs answers, with the reason when not.
import { clickhouseReady, createRegistry, serveMetrics, type MetricsServer } from '../../src/telemetry';

// Ports of this branch's block, one per test: a client keeps connections to a closed server alive.
let port = 25990;

describe('health routes', () => {
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
    port++;
  });
  const get = async (route: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${route}`);
    return { status: res.status, body: await res.text() };
  };

  it('answers liveness, readiness and metrics', async () => {
    server = await serveMetrics(createRegistry(), '127.0.0.1', port, { ready: clickhouseReady({ ping: async () => true }) });
    expect(await get('/healthz')).toEqual({ status: 200, body: 'ok\n' });
    expect(await get('/readyz')).toEqual({ status: 200, body: '{"status":"ready","checks":{"clickhouse":"ok"}}\n' });
    expect((await get('/metrics')).body).toMatch(/^# HELP insider_process_cpu/m);
    expect((await get('/nothing')).status).toBe(404);
  });

  it('is not ready, and says why, while ClickHouse does not answer; alive all the same', async () => {
    server = await serveMetrics(createRegistry(), '127.0.0.1', port, {
      ready: clickhouseReady({
        ping: async () => {
          throw new Error('connect ECONNREFUSED 127.0.0.1:8123');
        },
      }),
    });
    expect(await get('/readyz')).toEqual({ status: 503, body: '{"status":"not_ready","checks":{"clickhouse":"unreachable: connect ECONNREFUSED 127.0.0.1:8123"}}\n' });
    expect((await get('/healthz')).status).toBe(200);
  });
});
