// Privacy by default: employees appear as stable pseudonyms. An analyst may reveal the id behind one;
// the reveal is audited whatever its outcome (pseudonym.reveal, with whether it was found).
import { revealPseudonym } from '../../triage';
import { actorOf } from '../auth';
import type { ApiApp, ApiContext } from '../context';
import { pseudonymParams, revealOut } from '../schemas';
import { errorResponses } from './common';

export function pseudonymRoutes(app: ApiApp, ctx: ApiContext): void {
  app.post(
    '/api/pseudonyms/:pseudonym/reveal',
    {
      config: { minRole: 'analyst' },
      schema: {
        tags: ['pseudonyms'],
        summary: 'The employee id behind a pseudonym (analyst; audited, also when not found)',
        params: pseudonymParams,
        response: { 200: revealOut, ...errorResponses(404) },
      },
    },
    async (request) => revealPseudonym(ctx.triage, actorOf(request), request.params.pseudonym),
  );
}
