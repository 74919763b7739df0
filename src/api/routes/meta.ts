// About the API itself: who am I, signing out (the token of the request ends), the OpenAPI document
// (generated from the routes' zod schemas), and the Prometheus metrics of the process.
import { z } from 'zod';
import { signOut } from '../../triage';
import { actorOf } from '../auth';
import type { ApiApp, ApiContext } from '../context';
import { meOut, signOutOut } from '../schemas';
import { errorResponses } from './common';

export function metaRoutes(app: ApiApp, ctx: ApiContext): void {
  app.get(
    '/api/me',
    { config: { minRole: 'viewer' }, schema: { tags: ['meta'], summary: 'The caller: name and role', response: { 200: meOut, ...errorResponses() } } },
    async (request) => {
      const { name, role } = actorOf(request);
      return { name, role };
    },
  );

  app.post(
    '/api/me/sign-out',
    {
      config: { minRole: 'viewer' },
      schema: {
        tags: ['meta'],
        summary: 'Sign out: the token this request carries is revoked, so it is refused from now on (audited: token.revoke). The bootstrap admin token cannot be ended here (409).',
        response: { 200: signOutOut, ...errorResponses(409) },
      },
    },
    async (request) => signOut(ctx.triage, actorOf(request), request.principal!),
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
