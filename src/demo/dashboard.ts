// The demo's dashboard: the API (which serves the dashboard) on the demo's database, and an analyst with
// a fresh token, so that the printed address can be opened and signed in to at once.
import type { Config } from '../config';
import { startApi, type RunningApi } from '../api';
import type { Logger } from '../log';
import type { ClickHouse } from '../store';
import { createPseudonyms, createToken, createUser, type Actor } from '../triage';

export interface DemoDashboard {
  api: RunningApi;
  /** The analyst's name and token (valid 7 days). */
  user: string;
  token: string;
  /** The address with the token in its fragment: opening it signs in (fragments are not sent to servers). */
  signInUrl: string;
}

const DEMO_ANALYST = 'demo.analyst';

export async function startDemoDashboard(config: Readonly<Config>, ch: ClickHouse, log: Logger): Promise<DemoDashboard> {
  // The analyst first: an API without users warns that nobody can sign in.
  const deps = { ch, pseudonyms: createPseudonyms({ enabled: config.api.pseudonymize, key: config.api.pseudonymKey }) };
  const actor: Actor = { name: 'insider-demo', role: 'admin', sourceIp: '127.0.0.1', requestId: 'demo' };
  await createUser(deps, actor, DEMO_ANALYST, 'analyst');
  const { token } = await createToken(deps, actor, DEMO_ANALYST, 7);
  let api: RunningApi;
  try {
    api = await startApi({ config, ch, log });
  } catch (err) {
    // The configured port is taken (another API, an earlier demo): any free port will do.
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    api = await startApi({ config: { ...config, api: { ...config.api, port: 0 } }, ch, log });
  }
  return { api, user: DEMO_ANALYST, token, signInUrl: `${api.url}/#/signin?token=${encodeURIComponent(token)}` };
}
