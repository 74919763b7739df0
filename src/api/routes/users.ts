// API users and tokens (admin only): create, change the role, disable (which ends their tokens) and
// enable; issue, list and revoke tokens. A token is returned once, when it is issued; only its SHA-256
// hash is stored. The bootstrap admin ("admin", INSIDER_ADMIN_TOKEN) creates the first users.
import { changeRole, createToken, createUser, disableUser, enableUser, listUsers, revokeToken, tokensOf } from '../../triage';
import { actorOf } from '../auth';
import type { ApiApp, ApiContext } from '../context';
import { presentToken, presentUser } from '../present';
import { disableBody, disabledOut, nameParams, roleBody, tokenBody, tokenInfoOut, tokenListOut, tokenOut, tokenParams, userBody, userListOut, userOut } from '../schemas';
import { errorResponses } from './common';

export function userRoutes(app: ApiApp, ctx: ApiContext): void {
  const tags = ['users'];
  const admin = { minRole: 'admin' as const };
  // Revoking, disabling, a role change: this process's token cache and open streams follow before the answer.
  const adminChangingAccess = { minRole: 'admin' as const, changesAccess: true };

  app.get('/api/users', { config: admin, schema: { tags, summary: 'Every API user and role', response: { 200: userListOut, ...errorResponses() } } }, async () => ({
    items: (await listUsers(ctx.ch)).map(presentUser),
  }));

  app.post(
    '/api/users',
    {
      config: admin,
      schema: { tags, summary: 'Create a user with a role; names are unique whatever their case (audited)', body: userBody, response: { 201: userOut, ...errorResponses(409) } },
    },
    async (request, reply) => {
      const user = await createUser(ctx.triage, actorOf(request), request.body.name, request.body.role);
      return reply.code(201).send(presentUser(user));
    },
  );

  app.post(
    '/api/users/:name/role',
    {
      config: adminChangingAccess,
      schema: { tags, summary: "Change a user's role; it holds from their next request (audited: user.role_change)", params: nameParams, body: roleBody, response: { 200: userOut, ...errorResponses(404, 409) } },
    },
    async (request) => presentUser(await changeRole(ctx.triage, actorOf(request), request.params.name, request.body.role)),
  );

  app.post(
    '/api/users/:name/disable',
    {
      config: adminChangingAccess,
      schema: {
        tags,
        summary: 'Disable a user: every request of theirs is refused from now on and their tokens are revoked (audited: user.disable)',
        params: nameParams,
        body: disableBody,
        response: { 200: disabledOut, ...errorResponses(404, 409) },
      },
    },
    async (request) => {
      const u = await disableUser(ctx.triage, actorOf(request), request.params.name, request.body?.reason ?? '');
      return { ...presentUser(u), revokedTokens: u.revokedTokens };
    },
  );

  app.post(
    '/api/users/:name/enable',
    {
      config: adminChangingAccess,
      schema: { tags, summary: 'Enable a disabled user; their old tokens stay revoked (audited: user.enable)', params: nameParams, response: { 200: userOut, ...errorResponses(404, 409) } },
    },
    async (request) => presentUser(await enableUser(ctx.triage, actorOf(request), request.params.name)),
  );

  app.get(
    '/api/users/:name/tokens',
    {
      config: admin,
      schema: { tags, summary: "A user's tokens: ids, dates and state, never a secret or a hash", params: nameParams, response: { 200: tokenListOut, ...errorResponses(404) } },
    },
    async (request) => {
      const { tokens } = await tokensOf(ctx.triage, request.params.name);
      return { items: tokens.map((t) => presentToken(t, ctx.now())) };
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
        response: { 201: tokenOut, ...errorResponses(404, 409) },
      },
    },
    async (request, reply) => {
      const issued = await createToken(ctx.triage, actorOf(request), request.params.name, request.body?.validDays ?? 90);
      return reply.code(201).send(issued);
    },
  );

  app.post(
    '/api/users/:name/tokens/:tokenId/revoke',
    {
      config: adminChangingAccess,
      schema: { tags, summary: 'Revoke a token now: requests with it are refused (401) from now on (audited: token.revoke)', params: tokenParams, response: { 200: tokenInfoOut, ...errorResponses(404, 409) } },
    },
    async (request) => presentToken(await revokeToken(ctx.triage, actorOf(request), request.params.name, request.params.tokenId), ctx.now()),
  );
}
