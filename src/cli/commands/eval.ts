import fs from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { caseTable, DEFAULT_EVAL_END, falseAlertTable, overallTable, runEvaluation, scenarioTable, seedTable, worstSeedCaseTable, worstSeedTables, type EvaluationRun } from '../../evaluate';
import { EvaluationError } from '../../errors';
import { MIN_EMPLOYEES } from '../../simulate';
import type { CliContext } from '../context';
import { progress } from '../output';
import { integer, parseTime } from '../options';

interface EvalOptions {
  seeds: number[];
  seed?: number;
  employees: number;
  days: number;
  end: number;
  out: string;
  reuse?: string[];
  keep?: boolean;
}

/** The default seeds: three organisations, so that one lucky seed cannot make the figures. */
export const DEFAULT_SEEDS = [1, 2, 3];

function seedList(value: string): number[] {
  const seeds = value.split(',').map((v) => integer(v.trim(), 0));
  if (seeds.length === 0 || new Set(seeds).size !== seeds.length) throw new InvalidArgumentError(`expected distinct seeds separated by commas, got "${value}"`);
  return seeds;
}

export function evalCommand(ctx: CliContext): Command {
  return new Command('eval')
    .description('score the detectors on simulated organisations (several seeds): recall on labelled insider scenarios, false alerts at each severity floor')
    .addOption(new Option('--seeds <list>', 'simulation seeds, comma-separated').argParser(seedList).default(DEFAULT_SEEDS, DEFAULT_SEEDS.join(',')))
    .option('--seed <n>', 'one seed only (the same as --seeds N)', (v) => integer(v, 0))
    .option('--employees <n>', `people in the organisation, at least ${MIN_EMPLOYEES}`, (v) => integer(v, MIN_EMPLOYEES), 500)
    .option('--days <n>', 'length of the simulated period in days (scenarios need about 42)', (v) => integer(v, 1), 45)
    .addOption(
      new Option('--end <time>', 'end of the period (exclusive), ISO-8601 with a zone').argParser(parseTime).default(DEFAULT_EVAL_END, new Date(DEFAULT_EVAL_END).toISOString()),
    )
    .option('-o, --out <dir>', 'directory for the result files eval-<seed>.json and eval-summary.json', path.join('artifacts', 'eval'))
    .option('--reuse <dirs...>', 'use the files of earlier `insider simulate --out DIR` runs instead of simulating, one directory per seed (their labels give seed and period)')
    .option('--keep', 'keep the evaluation databases, topics and simulation files afterwards (printed)')
    .addHelpText(
      'after',
      `
Steps, for each seed: simulate the organisation (seeded) into a temporary directory; create a fresh ClickHouse
database eval_<seed>_<time> (migrated) and Kafka topic; load the directory; replay the events to the topic; run
the ingester in this process until ClickHouse holds every event; run every registered detector over the period;
score their alerts against labels.json. Then the database and topic are dropped (unless --keep).

Alerts are counted per user and UTC day. Precision = alert user-days matching a malicious scenario / all alert
user-days; alerts on benign look-alikes are false alerts. False alerts per 1,000 user-days use (users with
events x days of the period). At each severity floor (low, medium, high) only the alerts at or above it count:
what a team reading from that severity sees. Bulk exports (10x the person's day or more) count as caught only
before they end. Cases: each person's alerts grouped until cases.quietDays days pass without one (docs/detection.md,
"Cases"); a case is false when none of its alerts matches a malicious scenario; per day: every case opened over
the days of the period, the analyst's workload. With several seeds, the worst seed of each figure is printed too. The default --end is fixed,
so a seed gives the same result.

Examples:
  npm run eval
  insider eval --seeds 7,8 --employees 200
  insider simulate --out /tmp/s1 --seed 1 && insider eval --reuse /tmp/s1`,
    )
    .action(async (opts: EvalOptions) => {
      const out = (lines: string[]) => process.stdout.write(`${lines.join('\n')}\n`);
      const runs: EvaluationRun[] = [];
      const jobs = opts.reuse && opts.reuse.length > 0 ? opts.reuse.map((dir) => ({ reuseDir: dir, seed: -1 })) : (opts.seed !== undefined ? [opts.seed] : opts.seeds).map((seed) => ({ reuseDir: undefined, seed }));
      for (const job of jobs) {
        const run = await runEvaluation(
          { seed: job.seed, employees: opts.employees, days: opts.days, end: opts.end, outDir: opts.out, reuseDir: job.reuseDir, keep: opts.keep },
          { config: ctx.config(), log: quiet(ctx.log()), progress },
        );
        runs.push(run);
        const { result } = run;
        out([
          '',
          `Evaluation, seed ${result.seed}: ${result.params.employees} employees + ${result.params.serviceAccounts} service accounts, ${result.params.days} days ${result.params.start} .. ${result.params.end}`,
          `${result.data.events} events, ${result.data.users} users with events, ${result.data.userDays} user-days`,
          '',
          "Insider scenarios (first alert = time from the scenario's first event to the first matching alert, in event time;",
          "before end = that alert fired no later than the scenario's last event)",
          '',
        ]);
        out(scenarioTable(run.labels.scenarios, run.scores));
        out(['', 'Detectors (alerts counted per user-day)', '']);
        out(overallTable(run.scores));
        out(['', `At each severity floor, seed ${result.seed} (BULK BEFORE END: bulk exports caught before they end; OTHER SCENARIOS: caught at all)`, '']);
        out(seedTable(run.seed));
        out(['', 'False alerts by kind of benign look-alike (user-days)', '']);
        out(falseAlertTable(run.labels.scenarios, run.scores));
        out(['', `Cases, seed ${result.seed}: each person's alerts until ${ctx.config().cases.quietDays} days pass without one (severity: the case's peak risk)`, '']);
        out(caseTable(run.seed));
        for (const d of run.seed.detectors) {
          for (const [id, n] of Object.entries(d.cases.splitScenarios)) out([`  ${d.name}: insider scenario ${id} is split over ${n.cases} cases (${n.people} ${n.people === 1 ? 'person' : 'people'})`]);
        }
        out(['', `result: ${path.resolve(run.file)} (${(result.timingsMs.total / 1000).toFixed(1)} s)`]);
      }
      if (runs.length > 1) {
        const t = worstSeedTables(runs.map((r) => r.seed));
        out(['', `All ${runs.length} seeds: false alerts per 1,000 user-days at each severity floor (WORST: the worst seed)`, '']);
        out(t.falseAlerts);
        out(['', 'All seeds: bulk exports caught before they end, and other insider scenarios caught, at each floor', '']);
        out(t.recall);
        out(['', 'All seeds: cases an analyst would have opened', '']);
        out(worstSeedCaseTable(runs.map((r) => r.seed)));
        const summary = path.join(opts.out, 'eval-summary.json');
        fs.mkdirSync(opts.out, { recursive: true });
        fs.writeFileSync(summary, `${JSON.stringify({ generator: 'insider eval', format: 1, seeds: runs.map((r) => r.seed), files: runs.map((r) => path.resolve(r.file)) }, null, 2)}\n`);
        out(['', `summary: ${path.resolve(summary)}`]);
      }
      if (runs.length === 0) throw new EvaluationError('nothing to evaluate');
    });
}

/**
 * The ingester and Kafka client log their start and stop at info; the harness prints its own progress, so
 * at the default level (info) their logs start at warn. Any other configured level is kept as it is.
 */
function quiet(log: ReturnType<CliContext['log']>): ReturnType<CliContext['log']> {
  return log.level === 'info' ? log.child({ stage: 'eval' }, { level: 'warn' }) : log;
}
