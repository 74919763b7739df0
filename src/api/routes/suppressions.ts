// Suppressions: the analysts' standing verdicts that a pattern is expected, which the detector honours
// (it keeps the covered activity out of the volumes it judges). Listed by viewers; created and revoked
// by analysts, audited.
import { addSuppression, revokeSuppressionById, suppressionsView } from '../../triage';
import { actorOf } from '../auth';
import type { ApiApp, ApiContext } from '../context';
import { presentSuppression } from '../present';
import { suppressionBody, suppressionListOut, suppressionOut, suppressionParams } from '../schemas';
import { errorResponses } from './common';

export function suppressionRoutes(app: ApiApp, ctx: ApiContext): void {
  const tags = ['suppressions'];

  app.get(
    '/api/suppressions',
    {
      config: { minRole: 'viewer' },
      schema: { tags, summary: 'Every suppression, newest first, with whether it is in force', response: { 200: suppressionListOut, ...errorResponses() } },
    },
    async () => ({ items: (await suppressionsView(ctx.triage)).map(presentSuppression) }),
  );

  app.post(
    '/api/suppressions',
    {
      config: { minRole: 'analyst' },
      schema: {
        tags,
        summary: 'Suppress a pattern by hand: a user, a user and table, or a service account, with a reason and an expiry (audited)',
        body: suppressionBody(ctx.config.api.pseudonymize),
        response: { 201: suppressionOut, ...errorResponses(404) },
      },
    },
    async (request, reply) => {
      const created = await addSuppression(ctx.triage, actorOf(request), request.body);
      return reply.code(201).send(presentSuppression(created));
    },
  );

  app.post(
    '/api/suppressions/:id/revoke',
    {
      config: { minRole: 'analyst' },
      schema: { tags, summary: 'Revoke a suppression (audited)', params: suppressionParams, response: { 200: suppressionOut, ...errorResponses(404, 409) } },
    },
    async (request) => presentSuppression(await revokeSuppressionById(ctx.triage, actorOf(request), request.params.id)),
  );
}
