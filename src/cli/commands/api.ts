import { Command } from 'commander';
import type { CliContext } from '../context';
import { integer } from '../options';
import { progress } from '../output';

export function apiCommand(ctx: CliContext): Command {
  return new Command('api')
    .description('serve the triage HTTP API (alerts, lifecycle, suppressions, users, audit trail) and the dashboard until SIGTERM/SIGINT')
    .option('--host <host>', 'address to listen on (default: api.host, INSIDER_API_HOST)')
    .option('--port <n>', 'port to listen on, 0 for any free port (default: api.port, INSIDER_API_PORT)', (v) => integer(v, 0))
    .addHelpText(
      'after',
      `
Secrets, from the environment only:
  INSIDER_ADMIN_TOKEN    a bootstrap admin token (user "admin", at least 16 characters) to create the
                         first users and their tokens; unset it once real admins exist
  INSIDER_PSEUDONYM_KEY  the key of the employees' pseudonyms (at least 16 characters); required while
                         api.pseudonymize is on (the default; INSIDER_PSEUDONYMIZE=false turns it off)

Every route but /healthz and /readyz needs "Authorization: Bearer <token>". The OpenAPI document is
GET /openapi.json; Prometheus metrics GET /metrics. Routes, roles and examples: docs/api.md.
Run \`insider migrate\` first.

Examples:
  INSIDER_ADMIN_TOKEN=$(openssl rand -hex 24) INSIDER_PSEUDONYM_KEY=... insider api
  curl -s -H "Authorization: Bearer $INSIDER_ADMIN_TOKEN" -d '{"name":"ana","role":"analyst"}' \\
       -H 'content-type: application/json' http://127.0.0.1:8080/api/users`,
    )
    .action(async (opts: { host?: string; port?: number }) => {
      const base = ctx.config();
      const config = { ...base, api: { ...base.api, host: opts.host ?? base.api.host, port: opts.port ?? base.api.port } };
      // Loaded when run: the API's web stack is about 60 MB that no other command should carry (src/cli/index.ts).
      const { startApi } = await import('../../api');
      const api = await startApi({ config, ch: ctx.clickhouse(), log: ctx.log() });
      progress(`insider api: listening on ${api.url}${api.publicUrl !== api.url ? ` (public: ${api.publicUrl})` : ''}; pseudonyms ${config.api.pseudonymize ? 'on' : 'off'}; SIGTERM/SIGINT to stop`);
      progress(`insider api: the dashboard is at ${api.publicUrl}/ (sign in with a token: insider users token NAME)`);

      await new Promise<void>((resolve) => {
        const onSignal = (signal: NodeJS.Signals) => {
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
          progress(`${signal}: finishing requests in flight, closing...`);
          resolve();
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
      });
      await api.close();
      progress('insider api: stopped');
    });
}
