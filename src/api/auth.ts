// Access control. Every route declares who may call it in its config: `minRole` (viewer < analyst < admin)
// or `public: true` (liveness, readiness, the dashboard's static shell, which holds no data); a route that
// declares neither is refused when it is registered, so nothing can be added without auth by accident. One
// onRequest hook, for every route and for unknown paths, turns the bearer token into a principal (API
// tokens by their hash, through a short-lived cache, principal-cache.ts; or the bootstrap admin token from
// INSIDER_ADMIN_TOKEN) and answers 401 (no token,
// or one that is unknown, expired, revoked or of a disabled user: the reason is kept on the request for
// the audit trail, refusal-audit.ts) or 403 (role too low, audited). A request without an Authorization
// header may instead carry a dashboard session cookie (single sign-on, sso.ts): the same refusals apply,
// and a state-changing request must also send the session's CSRF token (X-Insider-CSRF).
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { ConfigError, InternalError } from '../errors';
import { audit, checkSession, entryOf, roleAtLeast, ROLES, sameCsrfToken, type Actor, type Principal, type Refusal, type Role } from '../triage';
import type { ApiContext } from './context';
import { ApiError } from './errors';
import { sessionSecretOf, type CookieSettings } from './session-cookie';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The least role that may call the route. Every route declares this or `public: true`. */
    minRole?: Role;
    /** No token needed: /healthz, /readyz and the dashboard's static files only. */
    public?: boolean;
    /** The route changes who may do what (revoke, disable, role, sign-out): caches and open streams follow at once. */
    changesAccess?: boolean;
  }
  interface FastifyRequest {
    /** Who is calling; set by the auth hook on every route that is not public. */
    principal: Principal | null;
    /** Why the request was refused a 401, for the audit trail (never the token itself). */
    authRefusal: AuthRefusal | null;
    /** The caller's X-Request-Id, when it sent a well-formed one (the request id is always the server's). */
    clientRequestId: string | undefined;
  }
}

export type Access = Role | 'public';

/** Why a request got a 401: no or malformed header, or what checkToken said (with whose token it was). */
export interface AuthRefusal {
  reason: 'missing' | 'malformed' | Refusal;
  user?: string;
  tokenId?: string;
  /** When the credential was a dashboard session. */
  sessionId?: string;
}

function refusalMessage(r: AuthRefusal, expiresAt?: number): string {
  switch (r.reason) {
    case 'missing':
      return 'a bearer token is required: "Authorization: Bearer <token>"';
    case 'malformed':
      return 'the Authorization header is not "Bearer <token>"';
    case 'unknown':
      return r.sessionId !== undefined ? 'the session is unknown: sign in again' : 'the token is unknown: never issued, or mistyped';
    case 'expired':
      if (r.sessionId !== undefined) return `the session expired${expiresAt ? ` at ${new Date(expiresAt).toISOString()}` : ''}: sign in again`;
      return `the token expired${expiresAt ? ` at ${new Date(expiresAt).toISOString()}` : ''}: ask an admin for a new one`;
    case 'revoked':
      return r.sessionId !== undefined ? 'the session was ended (signed out, or by an admin)' : 'the token was revoked (signed out, or ended by an admin)';
    case 'disabled':
      return r.user ? `the user ${r.user} is disabled` : 'the user is disabled';
  }
}

export interface ApiRoute {
  method: string;
  url: string;
  access: Access;
}

/** The access a route declares. Throws when it declares none or both, or an unknown role. */
export function routeAccess(route: { method: string | string[]; url: string; config?: { minRole?: unknown; public?: unknown } }): Access {
  const c = route.config ?? {};
  const name = `${[route.method].flat().join(',')} ${route.url}`;
  if (c.public === true && c.minRole === undefined) return 'public';
  if (c.public === undefined && typeof c.minRole === 'string' && (ROLES as ReadonlyArray<string>).includes(c.minRole)) return c.minRole as Role;
  throw new InternalError(`route ${name}: declare exactly one of config.minRole (${ROLES.join(', ')}) or config.public: true`);
}

const BEARER = /^bearer +([\x21-\x7e]{1,1024}) *$/i;

/** The token of an "Authorization: Bearer <token>" header, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  return BEARER.exec(header)?.[1] ?? null;
}

/** The bootstrap admin token is a password: refuse a short one rather than run with it. */
export function checkBootstrapToken(token: string | undefined): void {
  if (token !== undefined && token !== '' && token.length < 16) {
    throw new ConfigError('INSIDER_ADMIN_TOKEN must be at least 16 characters (e.g. openssl rand -hex 24)', { key: 'api.adminToken' });
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function authHook(ctx: ApiContext, cookies: CookieSettings): onRequestAsyncHookHandler {
  return async (request) => {
    const config = request.routeOptions.config;
    if (config.public === true) return;
    const header = request.headers.authorization;
    const token = bearerToken(header);
    // A bearer token wins; without an Authorization header, a dashboard session cookie may stand in.
    const secret = header === undefined ? sessionSecretOf(request, cookies) : undefined;
    const refuse = (r: AuthRefusal, expiresAt?: number) => {
      request.authRefusal = r;
      return new ApiError(401, 'UNAUTHENTICATED', refusalMessage(r, expiresAt), { reason: r.reason });
    };
    if (token === null && secret === undefined) throw refuse({ reason: header === undefined ? 'missing' : 'malformed' });
    // A token goes through the process's token cache (principal-cache.ts): ClickHouse is asked unless a
    // recent check holds. Sessions are read every time.
    const checked = secret !== undefined ? await checkSession(ctx.ch, secret, ctx.now()) : await ctx.live.principals.check(token!);
    if (!checked.ok) {
      const which = secret !== undefined ? { sessionId: ('sessionId' in checked && checked.sessionId) || '' } : { tokenId: 'tokenId' in checked ? checked.tokenId : undefined };
      throw refuse({ reason: checked.reason, user: checked.user, ...which }, checked.expiresAt);
    }
    const principal = checked.principal;
    request.principal = principal;
    // A cookie is sent by the browser whoever made the page: a state-changing request on a session must
    // prove it comes from the dashboard, which alone can read the CSRF token (GET /api/me).
    if (secret !== undefined && !SAFE_METHODS.has(request.method)) {
      const given = request.headers['x-insider-csrf'];
      if (!sameCsrfToken(secret, typeof given === 'string' ? given : undefined)) {
        const route = `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`;
        await audit(ctx.ch, entryOf(actorOf(request), ctx.now(), 'access.denied', route, { reason: 'csrf' }));
        throw new ApiError(403, 'FORBIDDEN', `${route} on a signed-in session needs its X-Insider-CSRF header (the dashboard sends it)`, { reason: 'csrf' });
      }
    }
    // Fail closed: a route without a declared role (there is none: see routeAccess) would need admin.
    const need: Role = config.minRole ?? (request.is404 ? 'viewer' : 'admin');
    if (!roleAtLeast(principal.role, need)) {
      const route = `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`;
      await audit(ctx.ch, entryOf(actorOf(request), ctx.now(), 'access.denied', route, { need, params: request.params as Record<string, unknown> }));
      throw new ApiError(403, 'FORBIDDEN', `${route} needs the ${need} role; ${principal.name} is ${principal.role}`);
    }
  };
}

/** Who acts, for the service and its audit trail: the principal, from where, in which request. */
export function actorOf(request: FastifyRequest): Actor {
  const p = request.principal;
  if (!p) throw new InternalError(`no principal on ${request.method} ${request.url}: the route must not be public`);
  return { name: p.name, role: p.role, sourceIp: request.ip, requestId: request.id, clientRequestId: request.clientRequestId };
}
