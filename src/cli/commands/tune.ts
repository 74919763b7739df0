import { Command, InvalidArgumentError, Option } from 'commander';
import { alertsOfDays } from '../../alerts';
import { SEVERITIES } from '../../alerts/types';
import { dayOf, MS_PER_DAY } from '../../calendar';
import { loadEngineInputs } from '../../detect/setup';
import { renderTable } from '../../evaluate';
import { sql } from '../../store';
import { statesOf } from '../../triage';
import { candidateAlertOf, DEFAULT_FLOORS, summarise, withinBudget, type CandidateSummary } from '../../tune/candidates';
import { replayFloors } from '../../tune/replay';
import { effectiveDetection, loadTuning } from '../../tune/settings';
import type { CliContext } from '../context';
import { progress } from '../output';
import { integer, parseTime } from '../options';

interface TuneOptions {
  from?: number;
  to?: number;
  days: number;
  floors?: number[];
  budget?: number;
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
    .option('--days <n>', 'length of the period when --from is not given', (v) => integer(v, 1, 366), 14)
    .addOption(new Option('--floors <list>', `candidate alert floors in expected ordinary user-days per 1,000, comma-separated (default: ${DEFAULT_FLOORS.join(',')} and the current one)`).argParser(floorList))
    .addOption(new Option('--budget <n/day>', 'alerts a day the team can read: propose the floor that stays within it and catches the most').argParser(budgetOf))
    .addHelpText(
      'after',
      `
The stored events of the period are read from ClickHouse hour by hour, in event time, and judged by one
engine per candidate floor, exactly as \`insider detect --once\` would judge them (history, calibration,
allowlist and suppressions included); nothing is written. A candidate "catches" a stored alert resolved as
true_positive when it raises an alert for the same person and day.

The floor is what detection.scoring.alertFloor means: how many ordinary user-days per 1,000 are allowed to be
as unusual as an alert (docs/detection.md). Severities (medium, high, critical) do not depend on it.
Choosing a floor does not change anything by itself: set it with detection.scoring.alertFloor.

Examples:
  insider tune --budget 5/day
  insider tune --from 2026-09-01T00:00:00Z --to 2026-10-01T00:00:00Z --floors 0.5,1,3`,
    )
    .action(async (opts: TuneOptions, cmd: Command) => {
      const config = ctx.config();
      const ch = ctx.clickhouse();
      const detection = effectiveDetection(config.detection, await loadTuning(ch));
      let to = opts.to;
      if (to === undefined) {
        const rows = await ch.query<{ newest: string; n: string }>(sql`SELECT toUInt64(max(toUInt32(ts))) AS newest, count() AS n FROM access_events`);
        if (!rows[0] || Number(rows[0].n) === 0) cmd.error('error: no stored access events to replay (run `insider ingest`, or give --from/--to)', { exitCode: 2 });
        to = (dayOf(Number(rows[0].newest) * 1000) + 1) * MS_PER_DAY;
      }
      const from = opts.from ?? to - opts.days * MS_PER_DAY;
      if (!(to > from)) cmd.error('error: --to must be after --from', { exitCode: 2 });
      const current = detection.scoring.alertFloor;
      const floors = [...new Set([...(opts.floors ?? DEFAULT_FLOORS), current])].sort((a, b) => b - a);
      const days = Math.round((to - from) / MS_PER_DAY);
      progress(`tune: ${new Date(from).toISOString()} .. ${new Date(to).toISOString()} (${days} days), ${floors.length} candidate floors`);

      const inputs = await loadEngineInputs(ch, detection, { alertIdKey: config.api.pseudonymKey });
      // Stored alerts of the period resolved as true positives: what a floor must keep catching.
      const stored = (await alertsOfDays(ch, dayOf(from), dayOf(to - 1))).filter((a) => a.windowEnd > from && a.windowStart < to);
      const states = await statesOf(ch, stored.map((a) => a.alertId), Date.now());
      const confirmed = new Set(stored.filter((a) => states.get(a.alertId)?.disposition === 'true_positive').map((a) => a.alertId));

      let lastReport = 0;
      const replay = await replayFloors(ch, detection, inputs, {
        floors,
        from,
        to,
        onProgress: (p) => {
          if (Date.now() - lastReport < 2000 && p.hour < p.hours) return;
          lastReport = Date.now();
          progress(`tune: hour ${p.hour}/${p.hours}, ${p.events} events`);
        },
      });
      const departmentOf = (user: string) => inputs.people.get(user)?.department ?? '';
      const candidates = floors.map((floor) => {
        const alerts = (replay.get(floor) ?? []).map(candidateAlertOf);
        const ids = new Set(alerts.map((a) => a.alertId));
        return { summary: summarise(alerts, { alertFloor: floor, days, departmentOf }), catches: [...confirmed].filter((id) => ids.has(id)).length };
      });

      const out = (lines: string[]) => process.stdout.write(`${lines.join('\n')}\n`);
      out([
        '',
        `Alerts per day under each candidate alert floor, ${days} days replayed (current floor: ${current} per 1,000 user-days)`,
        `Confirmed: stored alerts of the period resolved as true positives (${confirmed.size}), still raised under the candidate`,
        '',
      ]);
      out(
        renderTable(
          [{ title: 'FLOOR /1,000' }, { title: 'SCORE' }, { title: 'ALERTS/DAY' }, ...SEVERITIES.map((s) => ({ title: s.toUpperCase() })), { title: 'BUSIEST DAY' }, { title: 'CONFIRMED CAUGHT' }],
          candidates.map((c) => [
            `${c.summary.alertFloor}${c.summary.alertFloor === current ? ' (current)' : ''}`,
            String(c.summary.floorScore),
            fixed(c.summary.perDay),
            ...SEVERITIES.map((s) => fixed(c.summary.perDaySeverity[s])),
            String(c.summary.maxPerDay),
            `${c.catches}/${confirmed.size}`,
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
      if (opts.budget !== undefined) {
        const chosen = withinBudget(candidates, opts.budget);
        out(['']);
        if (!chosen) {
          const strictest = candidates[candidates.length - 1].summary;
          out([`Budget ${opts.budget}/day: no candidate stays within it; the strictest (${strictest.alertFloor} per 1,000) gives ${fixed(strictest.perDay)} a day. Try --floors with smaller values.`]);
        } else out(proposal(chosen.summary, chosen.catches, confirmed.size, opts.budget, current));
      }
    });
}

function proposal(s: CandidateSummary, catches: number, confirmed: number, budget: number, current: number): string[] {
  return [
    `Budget ${budget}/day: proposed alert floor ${s.alertFloor} per 1,000 user-days (score ${s.floorScore})${s.alertFloor === current ? ', the current one' : ''}: ` +
      `${fixed(s.perDay)} alerts a day (busiest day ${s.maxPerDay}), ${catches}/${confirmed} confirmed alerts still caught.`,
    `Set it with detection.scoring.alertFloor: ${s.alertFloor} in the configuration file.`,
  ];
}
