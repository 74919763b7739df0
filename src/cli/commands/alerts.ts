// `insider alerts`: list, show and triage alerts straight in ClickHouse, through the same triage service as
// the HTTP API. The operator holds the database credentials and is trusted like an admin; every action is
// recorded in the audit trail as "cli:<login name>" (or --as NAME).
import { Command, Option } from 'commander';
import { actOnAlert, adjustmentsView, DISPOSITIONS, showAlert, suppressionsView, type ActRequest, type Disposition } from '../../triage';
import type { CliContext } from '../context';
import { printJson, printText } from '../output';
import { asOption, cliActor, parseUntil, PSEUDONYM_HELP, triageDeps } from '../triage-context';
import { addVerdictOptions, VERDICT_HELP, verdictOf, type VerdictOptions } from '../verdict-options';
import { adjustmentLine, printAlert, printState } from './alert-text';
import { alertsListCommand } from './alerts-list';

interface ActOptions {
  as?: string;
  json?: boolean;
}

/** Applies an action and prints the new state. */
async function act(ctx: CliContext, alertId: string, req: ActRequest, opts: ActOptions): Promise<void> {
  const deps = triageDeps(ctx);
  const after = await actOnAlert(deps, cliActor(opts.as), alertId, req);
  // The service does not return the suppression it made with a verdict: find it (newest of this alert).
  const suppression = req.suppress ? (await suppressionsView(deps)).find((s) => s.alertId === alertId && s.revokedAt === null) : undefined;
  const adjustment = req.adjust ? (await adjustmentsView(deps)).find((a) => a.alertId === alertId && a.revokedAt === null) : undefined;
  if (opts.json) return printJson({ ...after, ...(suppression ? { suppression } : {}), ...(adjustment ? { adjustment } : {}) });
  printState(after, suppression);
  if (adjustment) printText(`${'adjustment'.padEnd(12)}${adjustmentLine(adjustment)}\n`);
}

const jsonOption = () => new Option('--json', 'print the alert with its new triage state as JSON');

export function alertsCommand(ctx: CliContext): Command {
  const alerts = new Command('alerts')
    .description('the alerts the detector raised (one per employee and day, latest revision) and their triage')
    .addHelpText(
      'after',
      `
Triage goes straight to ClickHouse through the same rules as the HTTP API: an alert is open, then
acknowledged, snoozed or resolved with a disposition; every action is kept (nothing is overwritten)
and written to the audit trail as cli:<login name>, or the name given with --as.

${PSEUDONYM_HELP}

Examples:
  insider alerts list --status open --severity high
  insider alerts show al_20261001_3fa9c2d1e0
  insider alerts ack al_20261001_3fa9c2d1e0
  insider alerts resolve al_20261001_3fa9c2d1e0 --disposition expected_activity \\
      --suppress user_table --table crm.customers --until 30d --reason "quarterly export"`,
    );

  alerts.addCommand(alertsListCommand(ctx));

  alerts
    .command('show')
    .description('one alert: explanation, findings, evidence, triage state, notes and history (recorded in the audit trail as alert.view)')
    .argument('<id>', 'the alert id (al_...)')
    .addOption(asOption())
    .option('--json', 'print the alert, its triage state and history as JSON')
    .addHelpText(
      'after',
      `
${PSEUDONYM_HELP}

Examples:
  insider alerts show al_20261001_3fa9c2d1e0
  insider alerts show al_20261001_3fa9c2d1e0 --json | jq .triage`,
    )
    .action(async (id: string, opts: ActOptions) => {
      const a = await showAlert(triageDeps(ctx), cliActor(opts.as), id);
      if (opts.json) return printJson(a);
      printAlert(a);
    });

  alerts
    .command('ack')
    .alias('acknowledge')
    .description('acknowledge an alert: someone is looking at it')
    .argument('<id>', 'the alert id')
    .option('--note <text>', 'a note to keep with the action')
    .addOption(asOption())
    .addOption(jsonOption())
    .addHelpText('after', '\nExamples:\n  insider alerts ack al_20261001_3fa9c2d1e0\n  insider alerts ack al_20261001_3fa9c2d1e0 --note "looking into it" --as jane.doe')
    .action((id: string, opts: ActOptions & { note?: string }) => act(ctx, id, { action: 'acknowledge', note: opts.note }, opts));

  alerts
    .command('assign')
    .description('assign an alert to someone (again to reassign)')
    .argument('<id>', 'the alert id')
    .argument('<assignee>', 'who takes it: an active API user (insider users list), whatever the case')
    .option('--note <text>', 'a note to keep with the action')
    .addOption(asOption())
    .addOption(jsonOption())
    .addHelpText('after', '\nExamples:\n  insider alerts assign al_20261001_3fa9c2d1e0 jane.doe')
    .action((id: string, assignee: string, opts: ActOptions & { note?: string }) => act(ctx, id, { action: 'assign', assignee, note: opts.note }, opts));

  alerts
    .command('note')
    .description('add a note to an alert (notes are kept, never edited)')
    .argument('<id>', 'the alert id')
    .argument('<text...>', 'the note (words are joined with spaces; quote it to keep spacing)')
    .addOption(asOption())
    .addOption(jsonOption())
    .addHelpText('after', '\nExamples:\n  insider alerts note al_20261001_3fa9c2d1e0 "called the manager: planned migration"')
    .action((id: string, text: string[], opts: ActOptions) => act(ctx, id, { action: 'note', note: text.join(' ') }, opts));

  addVerdictOptions(
    alerts
      .command('resolve')
      .description('resolve an alert with a disposition, optionally suppressing the pattern so that it does not alert again')
      .argument('<id>', 'the alert id')
      .addOption(new Option('--disposition <disposition>', 'the verdict').choices([...DISPOSITIONS]).makeOptionMandatory())
      .option('--note <text>', 'why (kept with the action)'),
  )
    .addOption(asOption())
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
${VERDICT_HELP}

Examples:
  insider alerts resolve al_20261001_3fa9c2d1e0 --disposition true_positive --note "escalated to HR"
  insider alerts resolve al_20261001_3fa9c2d1e0 --disposition false_positive \\
      --suppress user_table --table crm.customers --until 2026-12-31T00:00:00Z --reason "month-end reporting"
  insider alerts resolve al_20261001_3fa9c2d1e0 --disposition false_positive \\
      --expect project --until 2026-12-20 --reason "data migration project"
  insider alerts resolve al_20261001_3fa9c2d1e0 --disposition false_positive --expect role --factor 3`,
    )
    .action(async function (this: Command, id: string, opts: ActOptions & VerdictOptions & { disposition: Disposition; note?: string }) {
      await act(ctx, id, { action: 'resolve', disposition: opts.disposition, note: opts.note, ...verdictOf(this, opts) }, opts);
    });

  alerts
    .command('snooze')
    .description('snooze an alert until a time; it then returns by itself to acknowledged (or open)')
    .argument('<id>', 'the alert id')
    .addOption(new Option('--until <time>', 'until when (ISO-8601 with a zone, or 90m, 8h, 30d, 2w from now)').argParser(parseUntil).makeOptionMandatory())
    .option('--note <text>', 'why (kept with the action)')
    .addOption(asOption())
    .addOption(jsonOption())
    .addHelpText('after', '\nExamples:\n  insider alerts snooze al_20261001_3fa9c2d1e0 --until 8h --note "waiting for the manager"\n  insider alerts snooze al_20261001_3fa9c2d1e0 --until 2026-10-05T09:00:00+02:00')
    .action((id: string, opts: ActOptions & { until: number; note?: string }) => act(ctx, id, { action: 'snooze', snoozeUntil: opts.until, note: opts.note }, opts));

  alerts
    .command('reopen')
    .description('reopen a resolved or snoozed alert (its disposition is cleared; a suppression made with it stays until revoked)')
    .argument('<id>', 'the alert id')
    .option('--note <text>', 'why (kept with the action)')
    .addOption(asOption())
    .addOption(jsonOption())
    .addHelpText('after', '\nExamples:\n  insider alerts reopen al_20261001_3fa9c2d1e0 --note "same pattern again on Monday"')
    .action((id: string, opts: ActOptions & { note?: string }) => act(ctx, id, { action: 'reopen', note: opts.note }, opts));

  return alerts;
}
