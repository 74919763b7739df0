// About the API itself: who am I, signing out (the token of the request ends), the OpenAPI document
// (generated from the routes' zod schemas), and the Prometheus metrics of the process.
import { z } from 'zod';
import { csrfTokenOf, signOut } from '../../triage';
import { actorOf } from '../auth';
import type { ApiApp, ApiContext } from '../context';
import { meOut, signOutOut } from '../schemas';
import { clearSessionCookie, sessionSecretOf, type CookieSettings } from '../session-cookie';
import { errorResponses } from './common';

export function metaRoutes(app: ApiApp, ctx: ApiContext, cookies: CookieSettings): void {
  app.get(
    '/api/me',
    {
      config: { minRole: 'viewer' },
      schema: { tags: ['meta'], summary: 'The caller: name, role, how they signed in; on a session, its CSRF token (for X-Insider-CSRF)', response: { 200: meOut, ...errorResponses() } },
    },
    async (request) => {
      const { name, role } = actorOf(request);
      const credential = request.principal!.credential.kind;
      const secret = credential === 'session' ? sessionSecretOf(request, cookies) : undefined;
      return { name, role, credential, ...(secret ? { csrfToken: csrfTokenOf(secret) } : {}) };
    },
  );

  app.post(
    '/api/me/sign-out',
    {
      config: { minRole: 'viewer', changesAccess: true },
      schema: {
        tags: ['meta'],
        summary:
          'Sign out: the token or session this request carries is ended, so it is refused from now on (audited: token.revoke, session.end). The bootstrap admin token cannot be ended here (409).',
        response: { 200: signOutOut, ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      const out = await signOut(ctx.triage, actorOf(request), request.principal!);
      if ('sessionId' in out) clearSessionCookie(reply, cookies);
      return out;
    },
  );

  app.get(
    '/openapi.json',
    {
      config: { minRole: 'viewer' },
      schema: { tags: ['meta'], summary: 'This API as an OpenAPI 3.1 document', response: { 200: z.record(z.string(), z.unknown()), ...errorResponses() } },
    },
    async () => app.swagger() as unknown as Record<string, unknown>,
  );

  app.get(
    '/metrics',
    {
      config: { minRole: 'viewer' },
      schema: {
        tags: ['meta'],
        summary: 'Prometheus metrics (text exposition format)',
        // A string with a text content type is sent as it is (no JSON serialization).
        response: { 200: { description: 'Prometheus text', content: { 'text/plain': { schema: z.string() } } }, ...errorResponses() },
      },
    },
    async (_request, reply) => {
      const text = await ctx.registry.metrics();
      return reply.type(ctx.registry.contentType).send(text);
    },
  );
}
