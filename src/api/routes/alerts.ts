// Alerts: the list (filters, pages; summaries without evidence), one alert with its evidence and history,
// the employee's daily volume around it, and the lifecycle actions. Viewing evidence and every action are
// audited by the service.
import type { FastifyRequest } from 'fastify';
import { queryAlerts, type ActRequest } from '../../triage';
import { actorOf } from '../auth';
import type { ApiApp, ApiContext } from '../context';
import { iso, nextOffset, presentAlert, presentAlertAdjustments, presentAlertSummary, presentHistory } from '../present';
import {
  alertDetailOut,
  alertPageOut,
  alertQuery,
  assignBody,
  idParams,
  noteBody,
  noteOnly,
  resolveBody,
  seriesOut,
  seriesQuery,
  snoozeBody,
} from '../schemas';
import { actOnAlert, alertSeries, showAlert } from '../../triage';
import { errorResponses } from './common';

export function alertRoutes(app: ApiApp, ctx: ApiContext): void {
  const { pageSize, pseudonymize } = ctx.config.api;
  const tags = ['alerts'];

  app.get(
    '/api/alerts',
    {
      config: { minRole: 'viewer' },
      schema: {
        tags,
        summary: 'Current alerts with their triage state, filtered, sorted and counted over every alert (exact total); keyset pages with cursor; employees as pseudonyms; summaries without explanation, findings or evidence (GET /api/alerts/:id has them, audited)',
        querystring: alertQuery({ pseudonymize, pageMax: pageSize.max }),
        response: { 200: alertPageOut, ...errorResponses() },
      },
    },
    async (request) => {
      const q = request.query;
      const limit = q.limit ?? pageSize.default;
      const offset = q.offset ?? 0;
      const { items, total, nextCursor } = await queryAlerts(ctx.triage, { ...q, limit, offset });
      // With a cursor the position is not an offset: `next` is only for offset paging.
      const next = q.cursor === undefined ? nextOffset(offset, limit, total) : null;
      return { items: items.map(presentAlertSummary), total, limit, offset, next, nextCursor };
    },
  );

  app.get(
    '/api/alerts/:id',
    {
      config: { minRole: 'viewer' },
      schema: {
        tags,
        summary: 'One alert with its evidence, findings, triage state and history (audited: alert.view)',
        params: idParams,
        response: { 200: alertDetailOut, ...errorResponses(404) },
      },
    },
    async (request) => {
      const a = await showAlert(ctx.triage, actorOf(request), request.params.id);
      return { ...presentAlert(a), history: presentHistory(a.history), adjustments: presentAlertAdjustments(a.adjustments) };
    },
  );

  app.get(
    '/api/alerts/:id/series',
    {
      config: { minRole: 'viewer' },
      schema: {
        tags,
        summary: "The employee's daily volume up to the alert day with the usual band and the peers' range, and the hours around the alert (audited: alert.series)",
        params: idParams,
        querystring: seriesQuery,
        response: { 200: seriesOut, ...errorResponses(404) },
      },
    },
    async (request) => {
      const s = await alertSeries(ctx.triage, actorOf(request), request.params.id, ctx.config.detection, request.query.days ?? 42);
      return { ...s, window: { start: iso(s.window.start), end: iso(s.window.end) } };
    },
  );

  // The answer is the alert with its history, so a client shows the new state without viewing it again.
  const act = async (request: FastifyRequest & { params: { id: string } }, req: ActRequest) => {
    const a = await actOnAlert(ctx.triage, actorOf(request), request.params.id, req);
    return { ...presentAlert(a), history: presentHistory(a.history), adjustments: presentAlertAdjustments(a.adjustments) };
  };
  const actionSchema = <B>(summary: string, body: B) => ({
    tags,
    summary: `${summary} (analyst; audited)`,
    params: idParams,
    body,
    response: { 200: alertDetailOut, ...errorResponses(404, 409) },
  });
  const analyst = { minRole: 'analyst' as const };

  app.post('/api/alerts/:id/acknowledge', { config: analyst, schema: actionSchema('Acknowledge: someone is looking at it', noteOnly) }, (request) =>
    act(request, { action: 'acknowledge', note: request.body?.note }),
  );
  app.post('/api/alerts/:id/assign', { config: analyst, schema: actionSchema('Assign to an analyst', assignBody) }, (request) =>
    act(request, { action: 'assign', assignee: request.body.assignee }),
  );
  app.post('/api/alerts/:id/notes', { config: analyst, schema: actionSchema('Add a note', noteBody) }, (request) =>
    act(request, { action: 'note', note: request.body.note }),
  );
  app.post(
    '/api/alerts/:id/resolve',
    {
      config: analyst,
      schema: actionSchema(
        "Resolve with a disposition; a false positive or expected activity may also suppress the pattern, or raise the person's or their peer group's expected volume for a bounded time (adjust: audited as adjustment.create)",
        resolveBody,
      ),
    },
    (request) => {
      const { disposition, note, suppress, adjust } = request.body;
      return act(request, { action: 'resolve', disposition, note, suppress, adjust });
    },
  );
  app.post('/api/alerts/:id/snooze', { config: analyst, schema: actionSchema('Snooze until a time; it comes back by itself', snoozeBody) }, (request) =>
    act(request, { action: 'snooze', snoozeUntil: request.body.until, note: request.body.note }),
  );
  app.post('/api/alerts/:id/reopen', { config: analyst, schema: actionSchema('Reopen a resolved or snoozed alert', noteOnly) }, (request) =>
    act(request, { action: 'reopen', note: request.body?.note }),
  );
}
