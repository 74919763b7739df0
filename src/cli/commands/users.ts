// `insider users`: who may use the HTTP API, with which role (viewer < analyst < admin), and their bearer
// tokens (shown once, stored only as a SHA-256 hash). Straight to ClickHouse; audited as the CLI operator.
import { Command, Option } from 'commander';
import { createToken, createUser, listUsers, ROLES, type Role } from '../../triage';
import type { CliContext } from '../context';
import { printJson, printTable } from '../output';
import { integer } from '../options';
import { asOption, cliActor, isoTime, triageDeps } from '../triage-context';

export function usersCommand(ctx: CliContext): Command {
  const cmd = new Command('users')
    .description('API users, their roles (viewer < analyst < admin) and bearer tokens')
    .addHelpText(
      'after',
      `
Roles are ordered viewer < analyst < admin; the HTTP API decides what each may do. A token is
printed once, when it is issued, and only its hash is stored. Creating users and tokens is recorded
in the audit trail as cli:<login name> (or --as NAME).

Examples:
  insider users add jane.doe --role analyst
  insider users token jane.doe --days 30
  insider users list`,
    );

  cmd
    .command('list')
    .description('every API user with their role')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  insider users list\n  insider users list --json')
    .action(async (opts: { json?: boolean }) => {
      const users = await listUsers(triageDeps(ctx, { employees: false }).ch);
      if (opts.json) return printJson(users);
      printTable(
        users.map((u) => ({ NAME: u.name, ROLE: u.role, STATE: u.disabled ? 'disabled' : 'active', CREATED: isoTime(u.createdAt), BY: u.createdBy })),
        ['NAME', 'ROLE', 'STATE', 'CREATED', 'BY'],
      );
      if (users.length === 0) process.stderr.write('no users yet (insider users add NAME --role ROLE)\n');
    });

  cmd
    .command('add')
    .description('create an API user (then issue a token with `insider users token NAME`)')
    .argument('<name>', 'the user name: 1-128 letters, digits, or . _ @ - ("admin" is reserved for INSIDER_ADMIN_TOKEN)')
    .addOption(new Option('--role <role>', 'what they may do').choices([...ROLES]).makeOptionMandatory())
    .addOption(asOption())
    .option('--json', 'print the user as JSON')
    .addHelpText('after', '\nExamples:\n  insider users add jane.doe --role analyst\n  insider users add soc-dashboard --role viewer')
    .action(async (name: string, opts: { role: Role; as?: string; json?: boolean }) => {
      const user = await createUser(triageDeps(ctx, { employees: false }), cliActor(opts.as), name, opts.role);
      if (opts.json) return printJson(user);
      process.stdout.write(`user ${user.name} created with role ${user.role}\n`);
    });

  cmd
    .command('token')
    .description('issue a new bearer token for a user: printed once on stdout, never stored (only its hash is)')
    .argument('<name>', 'the user')
    .option('--days <n>', 'valid for this many days', (v) => integer(v, 1), 90)
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
      const t = await createToken(triageDeps(ctx, { employees: false }), cliActor(opts.as), name, opts.days);
      process.stderr.write(`token ${t.tokenId} for ${t.name}, valid until ${t.expiresAt}. It is shown only now: it is not stored (only its hash is) and cannot be shown again.\n`);
      if (opts.json) return printJson(t);
      process.stdout.write(`${t.token}\n`);
    });

  return cmd;
}
