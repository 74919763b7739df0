// `insider users`: who may use the HTTP API, with which role (viewer < analyst < admin), and their bearer
// tokens (shown once, stored only as a SHA-256 hash): add, change the role, disable (ending their
// tokens) and enable; issue, list and revoke tokens. Straight to ClickHouse, through the same service as
// the API; audited as the CLI operator.
import { Command, Option } from 'commander';
import { changeRole, createToken, createUser, disableUser, enableUser, listUsers, revokeToken, ROLES, tokensOf, tokenState, type ApiUser, type Role } from '../../triage';
import type { CliContext } from '../context';
import { printJson, printTable, printText } from '../output';
import { integer } from '../options';
import { asOption, cliActor, isoTime, triageDeps } from '../triage-context';

const TOKEN_ID = /^tok_[0-9a-f]{8,32}$/;

function state(u: ApiUser): string {
  return u.disabled ? `disabled${u.disabledReason ? ` (${u.disabledReason})` : ''}` : 'active';
}

export function usersCommand(ctx: CliContext): Command {
  const deps = () => triageDeps(ctx, { employees: false });
  const cmd = new Command('users')
    .description('API users, their roles (viewer < analyst < admin) and bearer tokens')
    .addHelpText(
      'after',
      `
Roles are ordered viewer < analyst < admin; the HTTP API decides what each may do. Names are unique
whatever their case ("Ana" and "ana" are one user; "admin" is the bootstrap admin's). A token is
printed once, when it is issued, and only its hash is stored. Disabling a user refuses their requests
at once and revokes their tokens; enabling them again does not bring the tokens back. Every change is
recorded in the audit trail as cli:<login name> (or --as NAME).

Examples:
  insider users add jane.doe --role analyst
  insider users token jane.doe --days 30
  insider users role jane.doe viewer
  insider users tokens jane.doe
  insider users revoke jane.doe tok_3fa9c2d1
  insider users disable jane.doe --reason "left the company"
  insider users list`,
    );

  cmd
    .command('list')
    .description('every API user with their role and state')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  insider users list\n  insider users list --json')
    .action(async (opts: { json?: boolean }) => {
      const users = await listUsers(deps().ch);
      if (opts.json) return printJson(users);
      printTable(
        users.map((u) => ({ NAME: u.name, ROLE: u.role, STATE: state(u), CREATED: isoTime(u.createdAt), BY: u.createdBy, CHANGED: isoTime(u.updatedAt), 'CHANGED BY': u.updatedBy })),
        ['NAME', 'ROLE', 'STATE', 'CREATED', 'BY', 'CHANGED', 'CHANGED BY'],
      );
      if (users.length === 0) process.stderr.write('no users yet (insider users add NAME --role ROLE)\n');
    });

  cmd
    .command('add')
    .description('create an API user (then issue a token with `insider users token NAME`)')
    .argument('<name>', 'the user name: 1-128 letters, digits, or . _ @ - (unique whatever its case; "admin" is reserved for INSIDER_ADMIN_TOKEN)')
    .addOption(new Option('--role <role>', 'what they may do').choices([...ROLES]).makeOptionMandatory())
    .addOption(asOption())
    .option('--json', 'print the user as JSON')
    .addHelpText('after', '\nExamples:\n  insider users add jane.doe --role analyst\n  insider users add soc-dashboard --role viewer')
    .action(async (name: string, opts: { role: Role; as?: string; json?: boolean }) => {
      const user = await createUser(deps(), cliActor(opts.as), name, opts.role);
      if (opts.json) return printJson(user);
      printText(`user ${user.name} created with role ${user.role}\n`);
    });

  cmd
    .command('role')
    .description("change a user's role; it holds from their next request")
    .argument('<name>', 'the user')
    .argument('<role>', `the new role: ${ROLES.join(', ')}`)
    .addOption(asOption())
    .option('--json', 'print the user as JSON')
    .addHelpText('after', '\nExamples:\n  insider users role jane.doe viewer')
    .action(async function (this: Command, name: string, role: string, opts: { as?: string; json?: boolean }) {
      if (!(ROLES as ReadonlyArray<string>).includes(role)) this.error(`error: argument 'role' is invalid. Allowed choices are ${ROLES.join(', ')}.`, { exitCode: 2, code: 'insider.usage' });
      const user = await changeRole(deps(), cliActor(opts.as), name, role as Role);
      if (opts.json) return printJson(user);
      printText(`user ${user.name} is now ${user.role}\n`);
    });

  cmd
    .command('disable')
    .description('disable a user: their requests are refused from now on, and every token of theirs is revoked')
    .argument('<name>', 'the user')
    .option('--reason <text>', 'why (kept with the change and shown in the list)')
    .addOption(asOption())
    .option('--json', 'print the user as JSON')
    .addHelpText('after', '\nExamples:\n  insider users disable jane.doe --reason "left the company"')
    .action(async (name: string, opts: { reason?: string; as?: string; json?: boolean }) => {
      const user = await disableUser(deps(), cliActor(opts.as), name, opts.reason ?? '');
      if (opts.json) return printJson(user);
      printText(`user ${user.name} disabled; tokens revoked: ${user.revokedTokens.length ? user.revokedTokens.join(', ') : 'none'}\n`);
    });

  cmd
    .command('enable')
    .description('enable a disabled user again (their old tokens stay revoked: issue a new one)')
    .argument('<name>', 'the user')
    .addOption(asOption())
    .option('--json', 'print the user as JSON')
    .addHelpText('after', '\nExamples:\n  insider users enable jane.doe && insider users token jane.doe --days 30')
    .action(async (name: string, opts: { as?: string; json?: boolean }) => {
      const user = await enableUser(deps(), cliActor(opts.as), name);
      if (opts.json) return printJson(user);
      printText(`user ${user.name} enabled (role ${user.role}); issue a token with: insider users token ${user.name}\n`);
    });

  cmd
    .command('token')
    .description('issue a new bearer token for a user: printed once on stdout, never stored (only its hash is)')
    .argument('<name>', 'the user')
    .option('--days <n>', 'valid for this many days (1-3650)', (v) => integer(v, 1, 3650), 90)
    .addOption(asOption())
    .option('--json', 'print {name, token, tokenId, expiresAt} as JSON')
    .addHelpText(
      'after',
      `
Only the token goes to stdout, so that it can be captured:
  TOKEN=$(insider users token jane.doe --days 30)
  curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/...`,
    )
    .action(async (name: string, opts: { days: number; as?: string; json?: boolean }) => {
      const t = await createToken(deps(), cliActor(opts.as), name, opts.days);
      process.stderr.write(`token ${t.tokenId} for ${t.name}, valid until ${t.expiresAt}. It is shown only now: it is not stored (only its hash is) and cannot be shown again.\n`);
      if (opts.json) return printJson(t);
      process.stdout.write(`${t.token}\n`);
    });

  cmd
    .command('tokens')
    .description("a user's tokens: ids, when issued and by whom, expiry, state (never the secret)")
    .argument('<name>', 'the user')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  insider users tokens jane.doe')
    .action(async (name: string, opts: { json?: boolean }) => {
      const { tokens } = await tokensOf(deps(), name);
      const now = Date.now();
      if (opts.json) return printJson(tokens.map((t) => ({ ...t, state: tokenState(t, now) })));
      printTable(
        tokens.map((t) => ({ TOKEN: t.tokenId, STATE: tokenState(t, now), ISSUED: isoTime(t.issuedAt), BY: t.issuedBy, EXPIRES: isoTime(t.expiresAt), REVOKED: isoTime(t.revokedAt), 'REVOKED BY': t.revokedBy ?? '' })),
        ['TOKEN', 'STATE', 'ISSUED', 'BY', 'EXPIRES', 'REVOKED', 'REVOKED BY'],
      );
      if (tokens.length === 0) process.stderr.write(`no tokens for ${name} (insider users token ${name})\n`);
    });

  cmd
    .command('revoke')
    .description('revoke a token now: requests with it are refused from then on')
    .argument('<name>', 'the user the token was issued to')
    .argument('<token-id>', 'the token id (tok_..., from `insider users tokens NAME`)')
    .addOption(asOption())
    .option('--json', 'print the token as JSON')
    .addHelpText('after', '\nExamples:\n  insider users revoke jane.doe tok_3fa9c2d1')
    .action(async function (this: Command, name: string, tokenId: string, opts: { as?: string; json?: boolean }) {
      if (!TOKEN_ID.test(tokenId)) this.error(`error: argument 'token-id' is invalid: expected tok_ and hex digits, e.g. tok_3fa9c2d1`, { exitCode: 2, code: 'insider.usage' });
      const t = await revokeToken(deps(), cliActor(opts.as), name, tokenId);
      if (opts.json) return printJson(t);
      printText(`token ${t.tokenId} of ${t.name} revoked\n`);
    });

  return cmd;
}
