// Live updates pushed to the dashboard: GET /api/stream, Server-Sent Events (text/event-stream), behind
// the same token (or dashboard session) and role check as every route (viewer, like the list: the events carry the summaries a
// list carries, never evidence). Events:
//   ready    {pollMs, heartbeatMs}: the stream is open (after a reconnect, reload what is shown)
//   alerts   {items, at}: alerts that changed (a new alert or revision, a lifecycle action), as summaries;
//            with ?alert=<id>, only that alert's
//   end      {reason, message}: the stream is over; reason revoked, disabled, expired or unknown: the token
//            is not good any more (do not reconnect with it); shutdown or slow: reconnect later
// plus a comment line every heartbeatMs. A token revoked or a user disabled ends their open streams at
// once in this process and within one change-feed poll in the others (live.ts).
import { z } from 'zod';
import { checkSession, hashToken } from '../../triage';
import { bearerToken } from '../auth';
import type { ApiApp, ApiContext } from '../context';
import { ApiError } from '../errors';
import { alertId } from '../schemas';
import { sessionSecretOf } from '../session-cookie';
import { errorResponses } from './common';

const streamQuery = z.strictObject({ alert: alertId.optional().describe("only this alert's changes (the alert page)") });

export function streamRoutes(app: ApiApp, ctx: ApiContext): void {
  const { live } = ctx;
  const cookies = { secure: ctx.config.api.sso.secureCookies };
  let ids = 0;
  app.get(
    '/api/stream',
    {
      config: { minRole: 'viewer' },
      sse: { kind: 'only', heartbeat: false },
      schema: {
        tags: ['alerts'],
        summary:
          'Live updates as Server-Sent Events: `alerts` (changed alerts as summaries), `end` (the token can no longer be used, or the server stops); the dashboard falls back to polling GET /api/alerts when it cannot stream',
        querystring: streamQuery,
        response: { 200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: z.string() } } }, ...errorResponses(406, 503) },
      },
      // A client that does not take an event stream is told so in the API's error shape.
      preHandler: async (request) => {
        const accept = request.headers.accept;
        if (accept !== undefined && accept !== '' && !/(^|,)\s*(text\/event-stream|text\/\*|\*\/\*)\s*(;(?!\s*q=0(\.0*)?\s*(,|$))[^,]*)?(,|$)/i.test(accept)) {
          throw new ApiError(406, 'NOT_ACCEPTABLE', 'this route answers with an event stream (Accept: text/event-stream)');
        }
      },
    },
    async (request, reply) => {
      if (live.streams() >= ctx.config.api.live.maxStreams) {
        throw new ApiError(503, 'SERVICE_UNAVAILABLE', `this server holds ${ctx.config.api.live.maxStreams} open streams (api.live.maxStreams): poll GET /api/alerts instead`);
      }
      // The auth hook let the request in with a token or a dashboard session: the same credential is checked
      // again whenever access changes, and its expiry ends the stream.
      const token = bearerToken(request.headers.authorization);
      const secret = token === null ? (sessionSecretOf(request, cookies) ?? '') : undefined;
      const recheck = () => (token !== null ? live.principals.check(token) : checkSession(ctx.ch, secret!, ctx.now()));
      const checked = await recheck();
      if (!checked.ok) throw new ApiError(401, 'UNAUTHENTICATED', 'the credential can no longer be used', { reason: checked.reason });
      // The onSend hook does not run for a stream: its headers are set here.
      void reply.header('cache-control', 'no-store').header('x-content-type-options', 'nosniff').header('x-request-id', request.id);
      reply.sse.keepAlive();
      const raw = reply.raw;
      let ended = false;
      const write = (text: string) => {
        if (!ended && !raw.writableEnded) raw.write(text);
      };
      const event = (name: string, data: unknown) => void reply.sse.send({ id: String(++ids), event: name, data }).catch(() => undefined);
      const remove = live.add({
        credential: token !== null ? hashToken(token) : `session:${hashToken(secret!)}`,
        recheck,
        expiresAt: checked.expiresAt,
        alertId: request.query.alert,
        send: event,
        comment: (text) => write(`: ${text}\n\n`),
        backlog: () => raw.writableLength,
        end(reason, message) {
          if (ended) return;
          event('end', { reason, message });
          ended = true;
          request.log.info({ reason }, 'event stream ended by the server');
          reply.sse.close();
        },
      });
      reply.sse.onClose(remove);
      await reply.sse.send({ id: String(++ids), event: 'ready', data: { pollMs: ctx.config.api.live.pollMs, heartbeatMs: ctx.config.api.live.heartbeatMs }, retry: 3000 });
    },
  );
}
