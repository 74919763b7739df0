// Cases: one employee's alerts while an episode lasts, ranked by accumulated risk (src/triage/case-views.ts).
// The list carries no explanation; one case's timeline is audited as one alert.view per alert; an action
// on a case is each alert's own action, refused and audited per alert, under the same roles as on alerts.
import type { FastifyRequest } from 'fastify';
import { caseOptions } from '../../cases';
import { actOnCase, displaySafe, listCases, showCase, type CaseActionRequest, type CaseView } from '../../triage';
import { actorOf } from '../auth';
import type { ApiApp, ApiContext } from '../context';
import { caseActionOut, caseAssignBody, caseNoteBody, caseNoteOnly, caseOut, casePageOut, caseQuery, caseResolveBody, idParams } from '../schemas';
import { errorResponses } from './common';

/** What came from the logs and the directory, without bidirectional controls; an explanation only when shown. */
const present = (c: CaseView) => displaySafe(c);

export function caseRoutes(app: ApiApp, ctx: ApiContext): void {
  const tags = ['cases'];
  const options = () => caseOptions(ctx.config);

  app.get(
    '/api/cases',
    {
      config: { minRole: 'viewer' },
      schema: {
        tags,
        summary: "Cases from the alerts of a period (default: the last 90 days): one employee's alerts until cases.quietDays days pass without one, open ones (or all) ranked by accumulated risk now; employees as pseudonyms; no explanations (GET /api/cases/:id has them, audited)",
        querystring: caseQuery({ pseudonymize: ctx.config.api.pseudonymize }),
        response: { 200: casePageOut, ...errorResponses() },
      },
    },
    async (request) => {
      const { from, to, user, state } = request.query;
      const { cases, alerts } = await listCases(ctx.triage, options(), { from, to, user, all: state === 'all' });
      return { items: cases.map(present), alerts };
    },
  );

  app.get(
    '/api/cases/:id',
    {
      config: { minRole: 'viewer' },
      schema: {
        tags,
        summary: "The case holding an alert, as a timeline: each alert's days, numbers, status and explanation, and the case's risk after it (audited: alert.view for each alert)",
        params: idParams,
        response: { 200: caseOut, ...errorResponses(404) },
      },
    },
    async (request) => present(await showCase(ctx.triage, actorOf(request), options(), request.params.id)),
  );

  const act = (request: FastifyRequest & { params: { id: string } }, req: CaseActionRequest) => actOnCase(ctx.triage, actorOf(request), options(), request.params.id, req);
  const actionSchema = <B>(summary: string, body: B) => ({
    tags,
    summary: `${summary} (analyst; each alert's action audited; 409 when refused on every alert it applies to)`,
    params: idParams,
    body,
    response: { 200: caseActionOut, ...errorResponses(404, 409) },
  });
  const analyst = { minRole: 'analyst' as const };

  app.post('/api/cases/:id/acknowledge', { config: analyst, schema: actionSchema('Acknowledge the case: each of its open or snoozed alerts', caseNoteOnly) }, (request) =>
    act(request, { action: 'acknowledge', note: request.body?.note, alerts: request.body?.alerts }),
  );
  app.post('/api/cases/:id/assign', { config: analyst, schema: actionSchema('Assign the case: each of its alerts', caseAssignBody) }, (request) =>
    act(request, { action: 'assign', assignee: request.body.assignee, alerts: request.body.alerts }),
  );
  app.post('/api/cases/:id/notes', { config: analyst, schema: actionSchema('Add a note to the case: kept with each of its alerts', caseNoteBody) }, (request) =>
    act(request, { action: 'note', note: request.body.note, alerts: request.body.alerts }),
  );
  app.post(
    '/api/cases/:id/resolve',
    { config: analyst, schema: actionSchema('Resolve the case: each of its unresolved alerts, with one disposition; a suppression or an adjustment made once, with the newest alert resolved', caseResolveBody) },
    (request) => {
      const { disposition, note, suppress, adjust, alerts } = request.body;
      return act(request, { action: 'resolve', disposition, note, suppress, adjust, alerts });
    },
  );
}
