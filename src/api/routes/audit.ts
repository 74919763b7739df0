// The audit trail, read by admins. There is deliberately no route that changes or deletes an entry.
import type { ApiApp, ApiContext } from '../context';
import { presentAudit } from '../present';
import { auditListOut, auditQuery } from '../schemas';
import { readAudit } from '../../triage';
import { errorResponses } from './common';

export function auditRoutes(app: ApiApp, ctx: ApiContext): void {
  const { pageSize } = ctx.config.api;
  app.get(
    '/api/audit',
    {
      config: { minRole: 'admin' },
      schema: {
        tags: ['audit'],
        summary: 'Audit entries, newest first: who did what to what, when, from where',
        querystring: auditQuery({ pageMax: pageSize.max }),
        response: { 200: auditListOut, ...errorResponses() },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? pageSize.default;
      const entries = await readAudit(ctx.ch, { ...request.query, limit });
      return { items: entries.map(presentAudit), limit };
    },
  );
}
