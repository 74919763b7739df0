// One employee's history for the dashboard's employee page: daily volume with the usual band and the
// peers' range, and their alerts. Audited (employee.view): it is a look at a person.
import { employeeView } from '../../triage';
import { actorOf } from '../auth';
import type { ApiApp, ApiContext } from '../context';
import { presentAdjustment, presentAlertSummary } from '../present';
import { employeeOut, employeeParams, employeeQuery } from '../schemas';
import { errorResponses } from './common';

export function employeeRoutes(app: ApiApp, ctx: ApiContext): void {
  app.get(
    '/api/employees/:user',
    {
      config: { minRole: 'viewer' },
      schema: {
        tags: ['employees'],
        summary: "An employee's daily volume up to today with the usual band and the peers' range, their alerts, and the expectation adjustments of them and their peer group (audited: employee.view)",
        params: employeeParams(ctx.config.api.pseudonymize),
        querystring: employeeQuery,
        response: { 200: employeeOut, ...errorResponses(404) },
      },
    },
    async (request) => {
      const e = await employeeView(ctx.triage, actorOf(request), request.params.user, ctx.config.detection, request.query.days ?? 90);
      return { ...e, alerts: e.alerts.map(presentAlertSummary), adjustments: e.adjustments.map(presentAdjustment) };
    },
  );
}
