// API users and tokens (admin only). A token is returned once, when it is issued; only its SHA-256 hash
// is stored. The bootstrap admin ("admin", INSIDER_ADMIN_TOKEN) creates the first users.
import { createToken, createUser, listUsers } from '../../triage';
import { actorOf } from '../auth';
import type { ApiApp, ApiContext } from '../context';
import { presentUser } from '../present';
import { nameParams, tokenBody, tokenOut, userBody, userListOut, userOut } from '../schemas';
import { errorResponses } from './common';

export function userRoutes(app: ApiApp, ctx: ApiContext): void {
  const tags = ['users'];
  const admin = { minRole: 'admin' as const };

  app.get('/api/users', { config: admin, schema: { tags, summary: 'Every API user and role', response: { 200: userListOut, ...errorResponses() } } }, async () => ({
    items: (await listUsers(ctx.ch)).map(presentUser),
  }));

  app.post(
    '/api/users',
    { config: admin, schema: { tags, summary: 'Create a user with a role (audited)', body: userBody, response: { 201: userOut, ...errorResponses(409) } } },
    async (request, reply) => {
      const user = await createUser(ctx.triage, actorOf(request), request.body.name, request.body.role);
      return reply.code(201).send(presentUser(user));
    },
  );

  app.post(
    '/api/users/:name/tokens',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Issue a token for a user, valid 90 days unless validDays says otherwise; shown once (audited)',
        params: nameParams,
        body: tokenBody,
        response: { 201: tokenOut, ...errorResponses(404) },
      },
    },
    async (request, reply) => {
      const issued = await createToken(ctx.triage, actorOf(request), request.params.name, request.body?.validDays ?? 90);
      return reply.code(201).send(issued);
    },
  );
}
