// The triage HTTP API as a fastify instance, not listening (tests use app.inject(); startApi listens).
//
//   request -> rate limit (per client address) -> auth (token -> principal, role check) -> zod validation
//           -> route (src/api/routes/*) -> triage service (src/triage) -> ClickHouse, through sql`` only
//
// pino is fastify's logger; errors have one JSON shape (errors.ts); every route is listed by apiRoutes()
// with the access it declares, which the access tests enumerate.
import crypto from 'node:crypto';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import sse from '@fastify/sse';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyReply } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from '../config';
import type { Logger } from '../log';
import type { ClickHouse } from '../store';
import { createRegistry, type Registry } from '../telemetry';
import { createPseudonyms, listUsers } from '../triage';
import { authHook, checkBootstrapToken, routeAccess, type ApiRoute } from './auth';
import type { ApiApp, ApiContext } from './context';
import { dashboardRoutes } from './dashboard';
import { ApiError, errorResponse } from './errors';
import { hstsHeader } from './hsts';
import { createLive, type Live } from './live';
import { httpMetrics } from './metrics';
import { createRefusalAudit, type RefusalAudit } from './refusal-audit';
import { adjustmentRoutes } from './routes/adjustments';
import { alertRoutes } from './routes/alerts';
import { caseRoutes } from './routes/cases';
import { auditRoutes } from './routes/audit';
import { employeeRoutes } from './routes/employees';
import { healthRoutes } from './routes/health';
import { metaRoutes } from './routes/meta';
import { pseudonymRoutes } from './routes/pseudonyms';
import { reportRoutes } from './routes/reports';
import { ssoRoutes } from './sso';
import { streamRoutes } from './routes/stream';
import { suppressionRoutes } from './routes/suppressions';
import { tuningRoutes } from './routes/tuning';
import { userRoutes } from './routes/users';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered, with the access it declares (for the access tests and the docs). */
    apiRoutes(): ReadonlyArray<ApiRoute>;
    /** Refused requests (401, 429) on their way to the audit trail; flush() writes what is held. */
    refusalAudit: RefusalAudit;
    /** The change feed, the token cache and the open event streams of this process. */
    live: Live;
  }
}

export interface ApiOptions {
  config: Readonly<Config>;
  /** Connected to the configured database (migrated). */
  ch: ClickHouse;
  log: Logger;
  /** Where the HTTP metrics go and what /metrics serves (default: a new registry with process metrics). */
  registry?: Registry;
  /** Wall clock (tests). */
  now?: () => number;
  /** How many refused requests (401, 429) are audited one by one (refusal-audit.ts; defaults there). */
  refusalAudit?: { perAddress?: number; perWindow?: number; maxAddresses?: number };
  /** false: no change-feed timer, start-up repair or sync (tests that drive the feed with live.feed.poll()). */
  live?: boolean;
}

/**
 * A caller's X-Request-Id, kept as `clientRequestId` (logs, audit entries) to follow a request through its
 * own systems. The request id itself is always generated here: a caller must not be able to give its
 * request another's id in the audit trail.
 */
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** Path parameters are ids of at most ~130 characters; longer ones are refused as a 400 before routing. */
const MAX_PARAM_LENGTH = 256;

export async function buildApi(opts: ApiOptions): Promise<ApiApp> {
  const { config, ch, log } = opts;
  const now = opts.now ?? Date.now;
  checkBootstrapToken(config.api.adminToken);
  // Throws a ConfigError when pseudonymisation is on without a key: the API does not start.
  const pseudonyms = createPseudonyms({ enabled: config.api.pseudonymize, key: config.api.pseudonymKey });
  const registry = opts.registry ?? createRegistry();
  const live = createLive({ config, ch, log, now, pseudonyms, registry, start: opts.live !== false });
  const ctx: ApiContext = { config, ch, log, registry, now, triage: live.triage, live };

  const app = Fastify({
    loggerInstance: log,
    genReqId: () => crypto.randomUUID(),
    exposeHeadRoutes: false,
    bodyLimit: 64 * 1024,
    requestTimeout: 60_000,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Errors found before routing (a bad percent-encoding, an over-long path parameter): same shape, 400.
    frameworkErrors: (err, request, reply) => {
      const known: Record<string, string> = {
        FST_ERR_BAD_URL: 'the URL is not valid (bad percent-encoding)',
        FST_ERR_MAX_PARAM_LENGTH: `a path parameter is longer than ${MAX_PARAM_LENGTH} characters`,
      };
      const out = errorResponse(new ApiError(known[err.code] ? 400 : (err.statusCode ?? 400), 'INVALID_REQUEST', known[err.code] ?? err.message), request.id);
      void (reply as FastifyReply).code(out.status).send(out.body);
    },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('principal', null);
  app.decorateRequest('authRefusal', null);
  app.decorateRequest('clientRequestId', undefined);
  const refusals = createRefusalAudit({ ch, log, now, windowMs: config.api.rateLimit.windowMs, ...opts.refusalAudit });
  app.decorate('refusalAudit', refusals);
  app.addHook('onClose', () => refusals.close());
  app.decorate('live', live);
  // Streams end before the server waits for open connections to finish.
  app.addHook('preClose', () => live.close());

  // Every route declares its access (routeAccess throws otherwise) and is listed.
  const routes: ApiRoute[] = [];
  app.decorate('apiRoutes', () => routes);
  app.addHook('onRoute', (route) => {
    const access = routeAccess(route);
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, access });
    if (route.schema) {
      const who = access === 'public' ? 'No token needed.' : `Needs a bearer token of role ${access} or higher.`;
      route.schema = { ...route.schema, description: [route.schema.description, who].filter(Boolean).join(' ') };
    }
  });

  app.setErrorHandler((err, request, reply) => {
    const out = errorResponse(err, request.id);
    if (out.serverFault) request.log.error({ err }, `${request.method} ${request.routeOptions.url ?? request.url}: ${out.body.error.code}`);
    else request.log.info({ code: out.body.error.code, status: out.status }, out.body.error.message);
    if (out.status === 401) void reply.header('www-authenticate', 'Bearer');
    return reply.code(out.status).send(out.body);
  });
  app.setNotFoundHandler((request, reply) => {
    const out = errorResponse(new ApiError(404, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`), request.id);
    return reply.code(404).send(out.body);
  });

  // Rate limit first (unauthenticated guessing counts too), then authentication and roles: both for
  // every request, known route or not.
  await app.register(rateLimit, {
    global: false,
    max: config.api.rateLimit.max,
    timeWindow: config.api.rateLimit.windowMs,
    errorResponseBuilder: (_request, c) =>
      new ApiError(429, 'RATE_LIMITED', `too many requests from this address: at most ${c.max} per ${config.api.rateLimit.windowMs / 1000} s; retry in ${c.after}`),
  });
  // The caller's request id, apart from ours, on the request's log lines too (before the rate limit, so
  // that a 429 carries it).
  app.addHook('onRequest', async (request) => {
    const given = request.headers['x-request-id'];
    if (typeof given === 'string' && CLIENT_REQUEST_ID.test(given)) {
      request.clientRequestId = given;
      request.log = request.log.child({ clientRequestId: given });
    }
  });
  app.addHook('onRequest', app.rateLimit());
  await app.register(cookie);
  const cookies = { secure: config.api.sso.secureCookies };
  app.addHook('onRequest', authHook(ctx, cookies));
  // Routes that change who may do what (revoke, disable, role, sign-out) act on this process's token cache
  // and open streams before they answer, whatever the outcome; the others learn it from their feed.
  app.addHook('onSend', async (request, _reply, payload) => {
    if (request.routeOptions.config.changesAccess === true) await live.accessChanged();
    return payload;
  });
  const hsts = hstsHeader(config.api.hsts);
  app.addHook('onSend', async (request, reply, payload) => {
    // Answers carry data about people: never cached by a browser or a proxy. The request id is the one
    // in the logs and the audit trail.
    if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    void reply.header('x-content-type-options', 'nosniff').header('x-request-id', request.id);
    if (hsts) void reply.header('strict-transport-security', hsts);
    return payload;
  });
  app.addHook('onResponse', httpMetrics(ctx.registry));
  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode !== 401 && reply.statusCode !== 429) return;
    const r = request.authRefusal;
    refusals.record({
      action: reply.statusCode === 401 ? 'auth.failed' : 'rate.limited',
      actor: r?.user ?? '',
      target: `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`.slice(0, 300),
      sourceIp: request.ip,
      requestId: request.id,
      clientRequestId: request.clientRequestId,
      details: reply.statusCode === 401 ? { reason: r?.reason ?? 'unknown', ...(r?.tokenId ? { tokenId: r.tokenId } : {}), ...(r?.sessionId ? { sessionId: r.sessionId } : {}) } : { reason: 'rate_limited' },
    });
  });

  await app.register(sse, { heartbeatInterval: 0 });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'insider-detector triage API',
        version: '1',
        description:
          'Alerts, their lifecycle, suppressions, users and the audit trail. Every route but /healthz and /readyz needs "Authorization: Bearer <token>". Employees appear as pseudonyms (emp-...) unless pseudonymisation is off. See docs/api.md.',
      },
      servers: config.api.publicUrl ? [{ url: config.api.publicUrl }] : [],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });

  healthRoutes(app, ctx);
  metaRoutes(app, ctx, cookies);
  ssoRoutes(app, ctx, cookies);
  alertRoutes(app, ctx);
  caseRoutes(app, ctx);
  employeeRoutes(app, ctx);
  reportRoutes(app, ctx);
  suppressionRoutes(app, ctx);
  adjustmentRoutes(app, ctx);
  pseudonymRoutes(app, ctx);
  userRoutes(app, ctx);
  tuningRoutes(app, ctx);
  auditRoutes(app, ctx);
  streamRoutes(app, ctx);
  await dashboardRoutes(app);
  return app;
}

export interface RunningApi {
  /** Where it listens, e.g. http://127.0.0.1:8080 */
  url: string;
  /** api.publicUrl, or url. */
  publicUrl: string;
  app: ApiApp;
  close(): Promise<void>;
}

/** Builds the API and listens on api.host:api.port (port 0: any free port). */
export async function startApi(opts: ApiOptions): Promise<RunningApi> {
  const app = await buildApi(opts);
  const { host, port, publicUrl } = opts.config.api;
  await app.listen({ host, port });
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
  if (!opts.config.api.adminToken) {
    const users = await listUsers(opts.ch).catch(() => null);
    if (users !== null && users.length === 0) opts.log.warn('no API users and no INSIDER_ADMIN_TOKEN: nobody can sign in; set INSIDER_ADMIN_TOKEN to create the first users');
  }
  return { url, publicUrl: publicUrl || url, app, close: () => app.close() };
}
