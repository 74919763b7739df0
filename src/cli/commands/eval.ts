import path from 'node:path';
import { Command, Option } from 'commander';
import { DEFAULT_EVAL_END, falseAlertTable, overallTable, runEvaluation, scenarioTable } from '../../evaluate';
import { MIN_EMPLOYEES } from '../../simulate';
import type { CliContext } from '../context';
import { progress } from '../output';
import { integer, parseTime } from '../options';

interface EvalOptions {
  seed: number;
  employees: number;
  days: number;
  end: number;
  out: string;
  reuse?: string;
  keep?: boolean;
}

export function evalCommand(ctx: CliContext): Command {
  return new Command('eval')
    .description('score the detectors on a simulated organisation: recall on labelled insider scenarios, precision, false alerts')
    .option('--seed <n>', 'simulation seed', (v) => integer(v, 0), 42)
    .option('--employees <n>', `people in the organisation, at least ${MIN_EMPLOYEES}`, (v) => integer(v, MIN_EMPLOYEES), 500)
    .option('--days <n>', 'length of the simulated period in days (scenarios need about 42)', (v) => integer(v, 1), 45)
    .addOption(
      new Option('--end <time>', 'end of the period (exclusive), ISO-8601 with a zone').argParser(parseTime).default(DEFAULT_EVAL_END, new Date(DEFAULT_EVAL_END).toISOString()),
    )
    .option('-o, --out <dir>', 'directory for the result file eval-<seed>.json', path.join('artifacts', 'eval'))
    .option('--reuse <dir>', 'use the files of an earlier `insider simulate --out DIR` instead of simulating (its labels give seed and period)')
    .option('--keep', 'keep the evaluation database, topic and simulation files afterwards (printed)')
    .addHelpText(
      'after',
      `
Steps: simulate the organisation (seeded) into a temporary directory; create a fresh ClickHouse database
eval_<seed>_<time> (migrated) and Kafka topic; load the directory; replay the events to the topic; run the
ingester in this process until ClickHouse holds every event; run every registered detector over the period;
score their alerts against labels.json. Then the database and topic are dropped (unless --keep).

Alerts are counted per user and UTC day. Precision = alert user-days matching a malicious scenario / all
alert user-days; alerts on benign look-alikes are false alerts. False alerts per 1,000 user-days use
(users with events x days of the period). The default --end is fixed, so a seed gives the same result.

Examples:
  npm run eval
  insider eval --seed 7 --employees 200
  insider simulate --out /tmp/sim && insider eval --reuse /tmp/sim`,
    )
    .action(async (opts: EvalOptions) => {
      const run = await runEvaluation(
        { seed: opts.seed, employees: opts.employees, days: opts.days, end: opts.end, outDir: opts.out, reuseDir: opts.reuse, keep: opts.keep },
        { config: ctx.config(), log: quiet(ctx.log()), progress },
      );
      const { result } = run;
      const out = (lines: string[]) => process.stdout.write(`${lines.join('\n')}\n`);
      out([
        '',
        `Evaluation, seed ${result.seed}: ${result.params.employees} employees + ${result.params.serviceAccounts} service accounts, ${result.params.days} days ${result.params.start} .. ${result.params.end}`,
        `${result.data.events} events, ${result.data.users} users with events, ${result.data.userDays} user-days`,
        '',
        'Scenarios (first alert = time from the scenario\'s first event to the first matching alert, in event time;',
        'before end = that alert fired no later than the scenario\'s last event)',
        '',
      ]);
      out(scenarioTable(run.labels.scenarios, run.scores));
      out(['', 'Detectors (alerts counted per user-day)', '']);
      out(overallTable(run.scores));
      out(['', 'False alerts by benign look-alike (user-days)', '']);
      out(falseAlertTable(run.labels.scenarios, run.scores));
      out(['', `result: ${path.resolve(run.file)} (${(result.timingsMs.total / 1000).toFixed(1)} s)`]);
    });
}

/**
 * The ingester and Kafka client log their start and stop at info; the harness prints its own progress, so
 * at the default level (info) their logs start at warn. Any other configured level is kept as it is.
 */
function quiet(log: ReturnType<CliContext['log']>): ReturnType<CliContext['log']> {
  return log.level === 'info' ? log.child({ stage: 'eval' }, { level: 'warn' }) : log;
}

