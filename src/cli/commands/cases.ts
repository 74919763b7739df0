// `insider cases`: the alerts grouped into cases (one employee's alerts while an episode lasts), ranked by
// their accumulated risk now; one case as a timeline; and the lifecycle actions on a case, which are its
// alerts' actions. Through the same triage service as `insider alerts` (src/triage/case-views.ts): lists
// are summaries, a timeline audits one alert.view per alert, every action is audited per alert.
import { Command, InvalidArgumentError, Option } from 'commander';
import { caseOptions, timelineLines } from '../../cases';
import { actOnCase, DISPOSITIONS, listCases, showCase, type CaseActionRequest, type CaseActionResult, type Disposition } from '../../triage';
import type { CliContext } from '../context';
import { parseTime } from '../options';
import { printJson, printTable, printText } from '../output';
import { asOption, cliActor, employeeArg, PSEUDONYM_HELP, triageDeps } from '../triage-context';
import { addVerdictOptions, VERDICT_HELP, verdictOf, type VerdictOptions } from '../verdict-options';

interface ListOptions {
  from?: number;
  to?: number;
  user?: string;
  all?: boolean;
  json?: boolean;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Prints what an action did: the alerts it applied to, and those it did not with why; exit status 1 when one was refused. */
function report(r: CaseActionResult, verb: string, json: boolean | undefined): void {
  if (r.skipped.some((s) => s.refused)) process.exitCode = 1;
  if (json) return printJson(r);
  const lines = [`case ${r.caseOf}: ${verb} ${plural(r.applied.length, 'alert')}${r.applied.length > 0 ? ` (${r.applied.join(', ')})` : ''}`];
  for (const s of r.skipped) lines.push(`  ${s.alertId}: ${s.refused ? 'refused' : `not ${verb}`}: ${s.reason}`);
  printText(`${lines.join('\n')}\n`);
}

/** --alerts a,b: only these alerts of the case. */
function alertList(value: string): string[] {
  const ids = value.split(',').map((v) => v.trim()).filter((v) => v !== '');
  if (ids.length === 0) throw new InvalidArgumentError('expected alert ids separated by commas');
  return ids;
}

export function casesCommand(ctx: CliContext): Command {
  const options = () => caseOptions(ctx.config());
  const cases = new Command('cases')
    .description("the alerts grouped into cases (one employee's alerts until a quiet period passes), ranked by accumulated risk, and their triage")
    .addHelpText(
      'after',
      `
A case gathers one employee's alerts until cases.quietDays (default 7) whole days pass without one; its risk
adds its alerts' scores, the strongest in full and each further one less, halved every cases.halfLifeDays
(docs/detection.md, "Cases"). A case is named by the alert that opened it and is read from its alerts every
time: it is open while one of them is; an action on a case is the action on each of its alerts, audited as
theirs. An alert stored after its case was resolved opens a new case (cases.afterResolution: reopen keeps it
in the old one, open again).

${PSEUDONYM_HELP}

Examples:
  insider cases list
  insider cases list --from 2026-09-01T00:00:00Z --all --json
  insider cases show al_20261001_3fa9c2d1e0
  insider cases assign al_20261001_3fa9c2d1e0 jane.doe
  insider cases resolve al_20261001_3fa9c2d1e0 --disposition false_positive --note "quarter-end export"`,
    );

  cases
    .command('list')
    .description('open cases, highest risk now first, from the alerts of the last 90 days (or --from/--to)')
    .addOption(new Option('--from <time>', 'alerts whose window ends after this time (default: 90 days ago)').argParser(parseTime))
    .addOption(new Option('--to <time>', 'alerts whose window starts before this time').argParser(parseTime))
    .option('--user <id>', 'only this employee or account (an id or a pseudonym)')
    .option('--all', 'resolved cases too')
    .option('--json', 'one JSON array of the cases, each with its alerts as timeline steps (no explanations: `cases show`)')
    .action(async (opts: ListOptions) => {
      const deps = triageDeps(ctx);
      const user = opts.user === undefined ? undefined : employeeArg(deps.pseudonyms, opts.user);
      const { cases: found, alerts } = await listCases(deps, options(), { from: opts.from, to: opts.to, user, all: opts.all });
      if (opts.json) return printJson(found);
      printTable(
        found.map((c) => ({
          CASE: c.caseOf,
          USER: c.user,
          DAYS: c.firstDay === c.lastDay ? c.firstDay : `${c.firstDay}..${c.lastDay}`,
          ALERTS: `${c.alerts.length} (${c.alerts.filter((a) => a.status !== 'resolved').length} open)`,
          RISK: c.risk.toFixed(1),
          SEVERITY: c.severity,
          PEAK: `${c.peakRisk.toFixed(1)} ${c.peakSeverity}`,
          DETECTORS: c.detectors.join(','),
        })),
        ['CASE', 'USER', 'DAYS', 'ALERTS', 'RISK', 'SEVERITY', 'PEAK', 'DETECTORS'],
      );
      const which = opts.all ? 'cases' : 'open cases';
      process.stderr.write(found.length === 0 ? `no ${which} in ${plural(alerts, 'alert')}\n` : `${found.length} ${found.length === 1 ? which.replace(/s$/, '') : which} from ${plural(alerts, 'alert')}\n`);
    });

  cases
    .command('show')
    .description("the case holding an alert as a timeline: each alert's days, numbers, status and explanation, and the case's risk after it (each alert's view recorded in the audit trail as alert.view)")
    .argument('<alert-id>', 'any alert of the case (al_...)')
    .addOption(asOption())
    .option('--json', 'print the case as JSON')
    .action(async (alertId: string, opts: { as?: string; json?: boolean }) => {
      const c = await showCase(triageDeps(ctx), cliActor(opts.as), options(), alertId);
      if (opts.json) return printJson(c);
      const head = [
        `case ${c.caseOf} of ${c.user}${c.department ? ` (${c.department})` : ''}, ${c.firstDay} .. ${c.lastDay}: ${plural(c.alerts.length, 'alert')}, ${c.open ? 'open' : 'resolved'}`,
        `risk now ${c.risk.toFixed(1)} (${c.severity}), peak ${c.peakRisk.toFixed(1)} (${c.peakSeverity})`,
      ];
      printText(`${[...head, '', ...timelineLines(c.alerts), ''].join('\n')}`);
    });

  /** A case action: its alert argument, --as and --json, and what it asks of each alert. */
  const action = (name: string, description: string) => cases.command(name).description(description).argument('<alert-id>', 'any alert of the case (al_...)');
  const run = async (alertId: string, opts: { as?: string; json?: boolean; alerts?: string[] }, verb: string, request: CaseActionRequest) =>
    report(await actOnCase(triageDeps(ctx), cliActor(opts.as), options(), alertId, { ...request, alerts: opts.alerts }), verb, opts.json);
  const jsonOption = () => new Option('--json', 'print which alerts it was applied to, and which not and why, as JSON');
  const alertsOption = () => new Option('--alerts <ids>', 'only these alerts of the case, comma-separated (those you looked at: an alert stored since is left as it is)').argParser(alertList);

  action('ack', 'acknowledge the case: each of its open or snoozed alerts')
    .option('--note <text>', 'a note to keep with each action')
    .addOption(alertsOption())
    .addOption(asOption())
    .addOption(jsonOption())
    .action((id: string, o: { note?: string; as?: string; json?: boolean; alerts?: string[] }) => run(id, o, 'acknowledged', { action: 'acknowledge', note: o.note }));
  action('assign', 'assign the case to someone: each of its alerts')
    .argument('<assignee>', 'who takes it: an active API user (insider users list)')
    .option('--note <text>', 'a note to keep with each action')
    .addOption(alertsOption())
    .addOption(asOption())
    .addOption(jsonOption())
    .action((id: string, assignee: string, o: { note?: string; as?: string; json?: boolean; alerts?: string[] }) => run(id, o, 'assigned', { action: 'assign', assignee, note: o.note }));
  action('note', 'add a note to the case: kept with each of its alerts')
    .argument('<text...>', 'the note (words are joined with spaces; quote it to keep spacing)')
    .addOption(alertsOption())
    .addOption(asOption())
    .addOption(jsonOption())
    .action((id: string, words: string[], o: { as?: string; json?: boolean; alerts?: string[] }) => run(id, o, 'noted', { action: 'note', note: words.join(' ') }));
  addVerdictOptions(
    action('resolve', 'resolve the case: each of its unresolved alerts, with one disposition; a suppression or an expectation is made once, with the newest alert')
      .addOption(new Option('--disposition <disposition>', 'the verdict').choices([...DISPOSITIONS]).makeOptionMandatory())
      .option('--note <text>', 'why (kept with each alert)'),
  )
    .addOption(alertsOption())
    .addOption(asOption())
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
${VERDICT_HELP}

Examples:
  insider cases resolve al_20261001_3fa9c2d1e0 --disposition true_positive --note "escalated to HR"
  insider cases resolve al_20261001_3fa9c2d1e0 --disposition false_positive \\
      --suppress user_table --table crm.customers --until 30d --reason "month-end reporting"`,
    )
    .action(function (this: Command, id: string, o: VerdictOptions & { disposition: Disposition; note?: string; as?: string; json?: boolean; alerts?: string[] }) {
      return run(id, o, 'resolved', { action: 'resolve', disposition: o.disposition, note: o.note, ...verdictOf(this, o) });
    });
  return cases;
}
