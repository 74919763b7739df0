// Liveness and readiness, the only routes without a token: /healthz says the process answers; /readyz
// says it can serve (ClickHouse answers and every migration is applied), else 503 with what is missing.
import { z } from 'zod';
import { migrationStatus } from '../../store';
import type { ApiApp, ApiContext } from '../context';

const READY_TIMEOUT_MS = 5000;

const readyOut = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.object({ clickhouse: z.string(), migrations: z.string() }),
});

function within<T>(ms: number, what: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([what, timeout]).finally(() => clearTimeout(timer));
}

export function healthRoutes(app: ApiApp, ctx: ApiContext): void {
  app.get(
    '/healthz',
    {
      config: { public: true },
      schema: { tags: ['health'], summary: 'Liveness: the process answers', security: [], response: { 200: z.object({ status: z.literal('ok') }) } },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      config: { public: true },
      schema: {
        tags: ['health'],
        summary: 'Readiness: ClickHouse answers and every schema migration is applied',
        security: [],
        response: { 200: readyOut, 503: readyOut },
      },
    },
    async (request, reply) => {
      const checks = { clickhouse: 'ok', migrations: 'ok' };
      try {
        if (!(await within(READY_TIMEOUT_MS, ctx.ch.ping()))) checks.clickhouse = 'unreachable';
      } catch (err) {
        request.log.warn({ err }, 'readiness: ClickHouse ping failed');
        checks.clickhouse = 'unreachable';
      }
      if (checks.clickhouse === 'ok') {
        try {
          const pending = (await within(READY_TIMEOUT_MS, migrationStatus(ctx.ch))).filter((m) => m.state === 'pending');
          if (pending.length > 0) checks.migrations = `${pending.length} pending (run insider migrate)`;
        } catch (err) {
          request.log.warn({ err }, 'readiness: migration status failed');
          checks.migrations = 'unknown (cannot read schema_migrations)';
        }
      } else {
        checks.migrations = 'unknown';
      }
      const ready = checks.clickhouse === 'ok' && checks.migrations === 'ok';
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
    },
  );
}
