// `insider adjustments`: the expectations analysts' verdicts raised (alerts resolve --expect ...): for
// whom (a person, or a department and role), by how much, until when and why. Revoked, never deleted;
// the live detector stops applying a revoked one within its refresh (30 s). Audited like the API.
import { Command } from 'commander';
import { adjustmentsView, revokeAdjustmentById, type AdjustmentView } from '../../triage';
import type { CliContext } from '../context';
import { printJson, printTable, printText } from '../output';
import { asOption, cliActor, isoTime, PSEUDONYM_HELP, triageDeps } from '../triage-context';
import { adjustmentLine } from './alert-text';

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function row(a: AdjustmentView) {
  return {
    ID: a.id,
    STATE: a.revokedAt !== null ? 'revoked' : a.active ? 'active' : 'ended',
    KIND: a.kind,
    FOR: a.subject,
    FACTOR: `${a.factor}x`,
    FROM: day(a.from),
    UNTIL: day(a.until),
    BY: a.createdBy,
    ALERT: a.alertId || '-',
    REASON: a.reason,
  };
}

const COLUMNS = ['ID', 'STATE', 'KIND', 'FOR', 'FACTOR', 'FROM', 'UNTIL', 'BY', 'ALERT', 'REASON'];

export function adjustmentsCommand(ctx: CliContext): Command {
  const cmd = new Command('adjustments')
    .description("expectations raised by verdicts: a person's (project work) or a peer group's (expected for the role) expected volume, multiplied for a while")
    .addHelpText(
      'after',
      `
An adjustment is made by resolving an alert as a false positive (or expected activity) with
--expect role|project (insider alerts resolve --help). While it is in force the detector judges
the person, or everyone in the department and role, against their expected volume multiplied by
its factor (at most 10x, at most 90 days); policy limits are not lifted. Every change is in the
audit trail (adjustment.create, adjustment.revoke) as cli:<login name> (or --as NAME).

${PSEUDONYM_HELP}

Examples:
  insider adjustments list
  insider adjustments list --all --json
  insider adjustments revoke adj_3fa9c2d1e0a1 --reason "project cancelled"`,
    );

  cmd
    .command('list')
    .description('adjustments in force, newest first (--all: revoked and ended ones too)')
    .option('--all', 'include revoked and ended adjustments')
    .option('--json', 'print JSON')
    .action(async (opts: { all?: boolean; json?: boolean }) => {
      const list = (await adjustmentsView(triageDeps(ctx))).filter((a) => opts.all || a.active);
      if (opts.json) return printJson(list);
      printTable(list.map(row), COLUMNS);
      if (list.length === 0) process.stderr.write(opts.all ? 'no adjustments\n' : 'no adjustments in force (--all shows revoked and ended ones)\n');
    });

  cmd
    .command('revoke')
    .description('end an adjustment now (kept, marked revoked); recorded in the audit trail as adjustment.revoke')
    .argument('<id>', 'the adjustment id (adj_...)')
    .option('--reason <text>', 'why (kept in the audit trail)')
    .addOption(asOption())
    .option('--json', 'print the revoked adjustment as JSON')
    .action(async (id: string, opts: { reason?: string; as?: string; json?: boolean }) => {
      const revoked = await revokeAdjustmentById(triageDeps(ctx), cliActor(opts.as), id, opts.reason);
      if (opts.json) return printJson(revoked);
      printText(`${adjustmentLine(revoked)}\nrevoked     ${isoTime(revoked.revokedAt)}\n`);
    });

  return cmd;
}
