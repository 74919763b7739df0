import { Command, InvalidArgumentError, Option } from 'commander';
import { SEVERITIES } from '../../alerts';
import { EvaluationError, TriageError } from '../../errors';
import { renderTable } from '../../evaluate';
import { applyAlertFloor, DEFAULT_FLOORS, effectiveDetection, loadTuning, MAX_TUNING_DAYS, readScenarioLabels, runTuning, storeTuningRun, type CandidateSummary, type ScenarioCatches, type TuningResult } from '../../tune';
import type { CliContext } from '../context';
import { progress } from '../output';
import { integer, parseTime } from '../options';
import { asOption, cliActor } from '../triage-context';

interface TuneOptions {
  from?: number;
  to?: number;
  days: number;
  floors?: number[];
  budget?: number;
  apply?: number;
  reason?: string;
  run?: string;
  as?: string;
  labels?: string;
}

function floorValue(value: string): number {
  const f = Number(value.trim());
  if (value.trim() === '' || !Number.isFinite(f) || !(f > 0) || f > 1000) throw new InvalidArgumentError(`expected an alert floor per 1,000 user-days (a number above 0, at most 1,000), got "${value}"`);
  return f;
}

function floorList(value: string): number[] {
  const floors = value.split(',').map((v) => Number(v.trim()));
  if (floors.length === 0 || floors.some((f) => !(f > 0) || f > 1000)) throw new InvalidArgumentError(`expected alert floors per 1,000 user-days (above 0, at most 1,000) separated by commas, got "${value}"`);
  return [...new Set(floors)].sort((a, b) => b - a);
}

/** "5/day", "5" or "0.5/day": alerts per day. */
function budgetOf(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*day)?\s*$/.exec(value);
  if (!m || !(Number(m[1]) > 0)) throw new InvalidArgumentError(`expected a budget in alerts per day such as 5/day, got "${value}"`);
  return Number(m[1]);
}

const fixed = (x: number) => (x >= 10 ? x.toFixed(1) : x.toFixed(2));

export function tuneCommand(ctx: CliContext): Command {
  return new Command('tune')
    .description('replay stored history through the detector under candidate alert floors: alerts per day by severity and department, and which confirmed alerts each would still catch; --budget proposes a floor')
    .addOption(new Option('--from <time>', 'start of the replayed period, ISO-8601 with a zone (default: --days before --to)').argParser(parseTime))
    .addOption(new Option('--to <time>', 'end of the period (exclusive) (default: the end of the day of the newest stored event)').argParser(parseTime))
    .option('--days <n>', 'length of the period when --from is not given', (v) => integer(v, 1, MAX_TUNING_DAYS), 14)
    .addOption(new Option('--floors <list>', `candidate alert floors in expected ordinary user-days per 1,000, comma-separated (default: ${DEFAULT_FLOORS.join(',')} and the current one)`).argParser(floorList))
    .addOption(new Option('--budget <n/day>', 'alerts a day the team can read: propose the floor that stays within it and catches the most').argParser(budgetOf))
    .addOption(new Option('--apply <floor>', 'set the alert floor the detector uses (per 1,000 user-days; audited: tuning.apply) instead of running a replay').argParser(floorValue))
    .option('--reason <text>', 'with --apply: why (required; kept in the audit trail)')
    .option('--run <id>', 'with --apply: the tuning run the floor was chosen from')
    .option('--labels <file>', 'in evaluation: the labels.json of `insider simulate` (or of `insider eval --keep`): also print which labelled insider scenarios each candidate would still catch')
    .addOption(asOption())
    .addHelpText(
      'after',
      `
The stored events of the period are read from ClickHouse hour by hour, in event time, and judged by one
engine per candidate floor, exactly as \`insider detect --once\` would judge them (history, calibration,
allowlist and suppressions included); no alert is written. The run's result is stored (tuning_runs) and
its id printed; the dashboard's Tuning page shows stored runs. A candidate "catches" a stored alert
resolved as true_positive when it raises an alert for the same person and day.

The floor is what detection.scoring.alertFloor means: how many ordinary user-days per 1,000 are allowed to be
as unusual as an alert (docs/detection.md). Severities (medium, high, critical) do not depend on it.
--apply sets the floor the detector uses over the configuration file's detection.scoring.alertFloor
(audited: tuning.apply, with the reason and the run); \`insider detect\` reads it at start and a running
detector picks a change up within a minute.

Examples:
  insider tune --budget 5/day
  insider tune --apply 0.5 --reason "budget of 5 a day agreed with the SOC" --run tr_20261001120000_1a2b3c4d
  insider tune --from 2026-09-01T00:00:00Z --to 2026-10-01T00:00:00Z --floors 0.5,1,3
  # on a database kept by insider eval --keep, with the simulation it printed (catalog and allowlist too):
  INSIDER_CLICKHOUSE_DATABASE=eval_1_... INSIDER_CATALOG_FILE=$S/tables.csv INSIDER_ALLOWLIST_FILE=$S/allowlist.json \\
    insider tune --budget 5/day --days 45 --labels $S/labels.json`,
    )
    .action(async (opts: TuneOptions, cmd: Command) => {
      const config = ctx.config();
      const ch = ctx.clickhouse();
      if (opts.apply !== undefined) return applyFloor(ctx, opts, cmd);
      if (opts.reason !== undefined || opts.run !== undefined) cmd.error('error: --reason and --run go with --apply', { exitCode: 2 });
      let lastReport = 0;
      let result: TuningResult;
      try {
        const scenarios = opts.labels === undefined ? undefined : readScenarioLabels(opts.labels);
        result = await runTuning(ch, config, {
          scenarios,
          from: opts.from,
          to: opts.to,
          days: opts.days,
          floors: opts.floors,
          budget: opts.budget,
          onProgress: (p) => {
            if (p.hour === 1) progress(`tune: ${p.hours} hours to replay`);
            if (Date.now() - lastReport < 2000 && p.hour < p.hours) return;
            lastReport = Date.now();
            progress(`tune: hour ${p.hour}/${p.hours}, ${p.events} events`);
          },
        });
      } catch (err) {
        if (err instanceof TriageError || err instanceof EvaluationError) cmd.error(`error: ${err.message}`, { exitCode: 2 });
        throw err;
      }
      const run = await storeTuningRun(ch, cliActor(opts.as), result, Date.now());
      printRun(result, run.runId);
    });
}

/** `insider tune --apply <floor> --reason "..." [--run ID]`: the audited change the dashboard makes too. */
async function applyFloor(ctx: CliContext, opts: TuneOptions, cmd: Command): Promise<void> {
  const config = ctx.config();
  const ch = ctx.clickhouse();
  if (opts.reason === undefined) cmd.error('error: --apply needs --reason "why this floor" (it goes to the audit trail)', { exitCode: 2 });
  try {
    const before = effectiveDetection(config.detection, await loadTuning(ch)).scoring.alertFloor;
    const chosen = await applyAlertFloor(ch, cliActor(opts.as), { value: opts.apply!, reason: opts.reason!, runId: opts.run, detection: config.detection, now: Date.now() });
    process.stdout.write(
      `Alert floor set to ${chosen.value} per 1,000 user-days (was ${before}) by ${chosen.actor}${chosen.runId ? `, from tuning run ${chosen.runId}` : ''} (audited: tuning.apply).\n` +
        'A running detector picks it up within a minute; `insider detect --once` uses it from its next run.\n',
    );
  } catch (err) {
    if (err instanceof TriageError) cmd.error(`error: ${err.message}`, { exitCode: 2 });
    throw err;
  }
}

function printRun(r: TuningResult, runId: string): void {
  const { days, currentFloor: current } = r;
  const confirmed = r.confirmed.length;
  const candidates = r.candidates;
  const out = (lines: string[]) => process.stdout.write(`${lines.join('\n')}\n`);
  out([
    '',
    `Tuning run ${runId}: ${new Date(r.from).toISOString()} .. ${new Date(r.to).toISOString()}, ${r.events} events`,
    `Alerts per day under each candidate alert floor, ${days} days replayed (current floor: ${current} per 1,000 user-days)`,
    `Confirmed: stored alerts of the period resolved as true positives (${confirmed}), still raised under the candidate`,
    '',
  ]);
  const labelled = candidates.some((c) => c.scenarios !== undefined);
  if (labelled) out(['Scenarios: the labelled insider scenarios of the period it would still catch (bulk exports only before they end)', '']);
  out(
    renderTable(
      [
        { title: 'FLOOR /1,000' },
        { title: 'SCORE' },
        { title: 'ALERTS/DAY' },
        ...SEVERITIES.map((s) => ({ title: s.toUpperCase() })),
        { title: 'BUSIEST DAY' },
        { title: 'CONFIRMED CAUGHT' },
        ...(labelled ? [{ title: 'SCENARIOS CAUGHT' }] : []),
      ],
      candidates.map((c) => [
        `${c.summary.alertFloor}${c.summary.alertFloor === current ? ' (current)' : ''}`,
        String(c.summary.floorScore),
        fixed(c.summary.perDay),
        ...SEVERITIES.map((s) => fixed(c.summary.perDaySeverity[s])),
        String(c.summary.maxPerDay),
        `${c.catches}/${confirmed}`,
        ...(labelled ? [scenarioCell(c.scenarios)] : []),
      ]),
    ),
  );
  const departments = [...new Set(candidates.flatMap((c) => Object.keys(c.summary.perDepartment)))].sort();
  if (departments.length > 0) {
    out(['', 'Alerts per day by department', '']);
    out(
      renderTable(
        [{ title: 'FLOOR /1,000' }, ...departments.map((d) => ({ title: d }))],
        candidates.map((c) => [String(c.summary.alertFloor), ...departments.map((d) => fixed((c.summary.perDepartment[d] ?? 0) / Math.max(1, days)))]),
      ),
    );
  }
  if (r.budget !== null) {
    const chosen = candidates.find((c) => c.summary.alertFloor === r.proposal);
    out(['']);
    if (!chosen) {
      const strictest = candidates[candidates.length - 1].summary;
      out([`Budget ${r.budget}/day: no candidate stays within it; the strictest (${strictest.alertFloor} per 1,000) gives ${fixed(strictest.perDay)} a day. Try --floors with smaller values.`]);
    } else {
      out(proposal(chosen.summary, chosen.catches, confirmed, r.budget, current, runId));
      if (chosen.scenarios) out([`Labelled scenarios under it: ${scenarioCell(chosen.scenarios)}${chosen.scenarios.missed.length > 0 ? `; missed: ${chosen.scenarios.missed.join(', ')}` : ''}.`]);
    }
  }
  out(['', `Stored as tuning run ${runId} (insider tune --apply <floor> --reason "..." --run ${runId}, or the dashboard's Tuning page).`]);
}

function proposal(s: CandidateSummary, catches: number, confirmed: number, budget: number, current: number, runId: string): string[] {
  return [
    `Budget ${budget}/day: proposed alert floor ${s.alertFloor} per 1,000 user-days (score ${s.floorScore})${s.alertFloor === current ? ', the current one' : ''}: ` +
      `${fixed(s.perDay)} alerts a day (busiest day ${s.maxPerDay}), ${catches}/${confirmed} confirmed alerts still caught.`,
    `Apply it with: insider tune --apply ${s.alertFloor} --reason "..." --run ${runId}`,
  ];
}

/** "bulk 2/2 before end, others 9/11". */
function scenarioCell(s: ScenarioCatches | undefined): string {
  return s === undefined ? '-' : `bulk ${s.bulkBeforeEnd}/${s.bulk} before end, others ${s.othersDetected}/${s.others}`;
}
