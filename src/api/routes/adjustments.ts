// Expectation adjustments: analysts' verdicts that raised a person's or a peer group's expected volume
// for a while (made with POST /api/alerts/:id/resolve, adjust). Listed by viewers; revoked by analysts,
// audited (adjustment.revoke). The detector stops applying a revoked one on its next refresh.
import { adjustmentsView, revokeAdjustmentById } from '../../triage';
import { actorOf } from '../auth';
import type { ApiApp, ApiContext } from '../context';
import { presentAdjustment } from '../present';
import { adjustmentListOut, adjustmentOut, adjustmentParams, revokeAdjustmentBody } from '../schemas';
import { errorResponses } from './common';

export function adjustmentRoutes(app: ApiApp, ctx: ApiContext): void {
  const tags = ['adjustments'];

  app.get(
    '/api/adjustments',
    {
      config: { minRole: 'viewer' },
      schema: { tags, summary: 'Every expectation adjustment, newest first, with whether it is in force', response: { 200: adjustmentListOut, ...errorResponses() } },
    },
    async () => ({ items: (await adjustmentsView(ctx.triage)).map(presentAdjustment) }),
  );

  app.post(
    '/api/adjustments/:id/revoke',
    {
      config: { minRole: 'analyst' },
      schema: {
        tags,
        summary: 'Revoke an expectation adjustment: the detector judges by the usual expectation again (audited: adjustment.revoke)',
        params: adjustmentParams,
        body: revokeAdjustmentBody,
        response: { 200: adjustmentOut, ...errorResponses(404, 409) },
      },
    },
    async (request) => presentAdjustment(await revokeAdjustmentById(ctx.triage, actorOf(request), request.params.id, request.body?.reason)),
  );
}
