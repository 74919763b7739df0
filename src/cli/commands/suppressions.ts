// `insider suppressions`: what the detector is told to leave alone (an employee, an employee on one table,
// a service account), until when and why. Made with a verdict (`alerts resolve --suppress`) or by hand;
// revoked, never deleted. Straight to ClickHouse through the triage service, audited like the API.
import { Command, Option } from 'commander';
import { TriageError } from '../../errors';
import { addSuppression, revokeSuppressionById, SCOPES, suppressionsView, type Scope, type SuppressionView } from '../../triage';
import type { CliContext } from '../context';
import { printJson, printTable, printText } from '../output';
import { parseTime } from '../options';
import { asOption, cliActor, employeeArg, isoTime, parseUntil, PSEUDONYM_HELP, suppressionState, triageDeps } from '../triage-context';

function row(s: SuppressionView) {
  return {
    ID: s.id,
    STATE: suppressionState(s),
    SCOPE: s.scope,
    USER: s.user,
    TABLE: s.table || '-',
    UNTIL: isoTime(s.until),
    CREATED: isoTime(s.createdAt),
    BY: s.createdBy,
    ALERT: s.alertId || '-',
    REASON: s.reason,
  };
}

const COLUMNS = ['ID', 'STATE', 'SCOPE', 'USER', 'TABLE', 'UNTIL', 'CREATED', 'BY', 'ALERT', 'REASON'];

function printOne(s: SuppressionView): void {
  const lines: Array<[string, string]> = [
    ['suppression', s.id],
    ['state', suppressionState(s)],
    ['scope', `${s.scope}${s.table ? ` ${s.table}` : ''}`],
    ['user', s.user],
    ['from', s.from > 0 ? isoTime(s.from) : '-'],
    ['until', isoTime(s.until)],
    ['reason', s.reason],
  ];
  if (s.revokedAt !== null) lines.push(['revoked', `${isoTime(s.revokedAt)} by ${s.revokedBy}`]);
  for (const [k, v] of lines) printText(`${k.padEnd(12)}${v}\n`);
}

export function suppressionsCommand(ctx: CliContext): Command {
  const cmd = new Command('suppressions')
    .description('what the detector leaves alone: an employee, an employee on one table, or a service account, until a time')
    .addHelpText(
      'after',
      `
An active suppression works like an allowlist entry: the activity it covers is kept out of the
volumes judged (and shown in the evidence), over its validity in event time. Suppressions come
from verdicts (insider alerts resolve --suppress ...) or are added here; they are revoked, never
deleted, and every change is in the audit trail as cli:<login name> (or --as NAME).

${PSEUDONYM_HELP}

Examples:
  insider suppressions list
  insider suppressions add --user ana@corp.example --scope user_table --table crm.customers \\
      --until 30d --reason "quarterly customer export"
  insider suppressions revoke sup_3fa9c2d1e0a1`,
    );

  cmd
    .command('list')
    .description('active suppressions, newest first (--all: revoked and expired ones too)')
    .option('--all', 'include revoked and expired suppressions')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  insider suppressions list\n  insider suppressions list --all --json')
    .action(async (opts: { all?: boolean; json?: boolean }) => {
      const list = (await suppressionsView(triageDeps(ctx))).filter((s) => opts.all || s.active);
      if (opts.json) return printJson(list);
      printTable(list.map(row), COLUMNS);
      if (list.length === 0) process.stderr.write(opts.all ? 'no suppressions\n' : 'no active suppressions (--all shows revoked and expired ones)\n');
    });

  cmd
    .command('add')
    .description('suppress by hand (not from a verdict): recorded in the audit trail as suppression.create')
    .requiredOption('--user <id>', 'the employee or service account (an id or a pseudonym)')
    .addOption(new Option('--scope <scope>', 'all their activity (user), their activity on one table (user_table), or a service account').choices([...SCOPES]).makeOptionMandatory())
    .addOption(new Option('--until <time>', 'when it ends (ISO-8601 with a zone, or 90m, 8h, 30d, 2w from now)').argParser(parseUntil).makeOptionMandatory())
    .requiredOption('--reason <text>', 'why the activity is expected')
    .option('--table <db.table>', 'with --scope user_table: the table, as database.table')
    .addOption(new Option('--from <time>', 'from when, in event time (default: always, so a replay honours it too)').argParser(parseTime))
    .addOption(asOption())
    .option('--json', 'print the suppression as JSON')
    .addHelpText(
      'after',
      `
${PSEUDONYM_HELP}

Examples:
  insider suppressions add --user svc-etl-orders --scope service_account --until 2w --reason "backfill"
  insider suppressions add --user ana@corp.example --scope user_table --table crm.customers \\
      --until 2026-12-31T00:00:00Z --reason "quarterly customer export"`,
    )
    .action(async (opts: { user: string; scope: Scope; until: number; reason: string; table?: string; from?: number; as?: string; json?: boolean }) => {
      const deps = triageDeps(ctx);
      const user = employeeArg(deps.pseudonyms, opts.user);
      let created: SuppressionView;
      try {
        created = await addSuppression(deps, cliActor(opts.as), { scope: opts.scope, user, table: opts.table, from: opts.from, until: opts.until, reason: opts.reason });
      } catch (err) {
        // The id was turned into its pseudonym for the service: name it as it was typed.
        if (err instanceof TriageError && err.code === 'TRIAGE_NOT_FOUND' && user !== opts.user) throw new TriageError('TRIAGE_NOT_FOUND', `no employee known as ${opts.user} (neither in the directory nor in an alert)`);
        throw err;
      }
      if (opts.json) return printJson(created);
      printOne(created);
    });

  cmd
    .command('revoke')
    .description('end a suppression now (kept, marked revoked); recorded in the audit trail as suppression.revoke')
    .argument('<id>', 'the suppression id (sup_...)')
    .addOption(asOption())
    .option('--json', 'print the revoked suppression as JSON')
    .addHelpText('after', '\nExamples:\n  insider suppressions revoke sup_3fa9c2d1e0a1')
    .action(async (id: string, opts: { as?: string; json?: boolean }) => {
      const revoked = await revokeSuppressionById(triageDeps(ctx), cliActor(opts.as), id);
      if (opts.json) return printJson(revoked);
      printOne(revoked);
    });

  return cmd;
}
