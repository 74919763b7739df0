// `insider alerts list`: current alerts filtered, sorted and counted in ClickHouse over every alert, a
// page or (--all) every match, as a table or JSON summaries.
import { Command, Option } from 'commander';
import { SEVERITIES, SORTS, type Severity, type SortKey } from '../../alerts';
import { formatBytes, formatMultiple } from '../../format';
import { queryAlerts, STATUSES, type AlertStatus, type AlertSummary } from '../../triage';
import type { CliContext } from '../context';
import { integer, parseTime } from '../options';
import { printJson, printTable } from '../output';
import { employeeArg, isoTime, PSEUDONYM_HELP, triageDeps } from '../triage-context';

interface ListOptions {
  from?: number;
  to?: number;
  user?: string;
  severity?: Severity;
  status?: AlertStatus;
  department?: string;
  detector?: string;
  sort?: SortKey;
  asc?: boolean;
  limit: number;
  all?: boolean;
  json?: boolean;
}

/** Alerts read per page with --all (keyset pages: each costs the same however deep). */
const PAGE = 500;

export function alertsListCommand(ctx: CliContext): Command {
  return new Command('list')
    .description('list current alerts with their triage status, newest window first, then by score')
    .addOption(new Option('--from <time>', 'alerts whose window ends after this time (ISO-8601 with a zone)').argParser(parseTime))
    .addOption(new Option('--to <time>', 'alerts whose window starts before this time').argParser(parseTime))
    .option('--user <id>', 'only this employee or account (an id or a pseudonym)')
    .addOption(new Option('--severity <level>', 'this severity or worse').choices([...SEVERITIES]))
    .addOption(new Option('--status <status>', 'only alerts in this triage status').choices([...STATUSES]))
    .option('--department <name>', 'only employees of this department (as in the current directory)')
    .option('--detector <name>', 'only alerts where this detector fired (volumeSelf, volumePeers, exportRate, sensitiveSelf, ceiling, magnitude, unmeasuredReads, sensitive, offHours, departing, slowDrip, sensitiveDrip)')
    .addOption(new Option('--sort <key>', 'order: newest window first (window), severity, volume, ratio, fired or status (lifecycle order)').choices([...SORTS]).default('window'))
    .option('--asc', 'the other way round (oldest, mildest, smallest first; for status: resolved first)')
    .option('--limit <n>', 'at most this many (the total matching is said on stderr)', (v) => integer(v, 1), 100)
    .option('--all', 'every matching alert, however many (read page by page); --limit is ignored')
    .option('--json', 'one JSON array of the alerts with their numbers and triage state (summaries: the explanation, findings and evidence are in `alerts show`, which is audited)')
    .addHelpText(
      'after',
      `
${PSEUDONYM_HELP}

Examples:
  insider alerts list
  insider alerts list --status open --severity high --department Finance
  insider alerts list --status open --sort severity --limit 20
  insider alerts list --from 2026-10-01T00:00:00Z --all --json > alerts.json`,
    )
    .action(async (opts: ListOptions) => {
      const deps = triageDeps(ctx);
      const user = opts.user === undefined ? undefined : employeeArg(deps.pseudonyms, opts.user);
      // Filtered, sorted and counted in ClickHouse over every alert; --all follows the pages' cursors.
      const query = { from: opts.from, to: opts.to, user, status: opts.status, minSeverity: opts.severity, department: opts.department, detector: opts.detector, sort: opts.sort, dir: opts.asc ? ('asc' as const) : undefined };
      const found: AlertSummary[] = [];
      let total = 0;
      let cursor: string | undefined;
      do {
        const page = await queryAlerts(deps, { ...query, limit: opts.all ? PAGE : opts.limit, cursor });
        found.push(...page.items);
        total = page.total;
        cursor = page.nextCursor ?? undefined;
        if (opts.all && cursor) process.stderr.write(`\r${found.length} of ${total} alerts read`);
      } while (opts.all && cursor);
      if (opts.all && found.length > PAGE) process.stderr.write('\n');
      if (opts.json) {
        printJson(found);
        return;
      }
      printTable(
        found.map((a) => ({
          ALERT: a.alertId,
          SEVERITY: a.severity,
          SCORE: a.score,
          USER: a.user,
          STATUS: a.triage.status === 'resolved' && a.triage.disposition ? `resolved:${a.triage.disposition}` : a.triage.status,
          FIRED: isoTime(a.firedAt),
          VOLUME: formatBytes(a.observedBytes),
          RATIO: a.ratio > 0 ? formatMultiple(a.ratio) : '-',
          DETECTORS: a.detectors.join(','),
        })),
        ['ALERT', 'SEVERITY', 'SCORE', 'USER', 'STATUS', 'FIRED', 'VOLUME', 'RATIO', 'DETECTORS'],
      );
      if (found.length === 0) process.stderr.write('no alerts match\n');
      else if (total > found.length) process.stderr.write(`${found.length} of ${total} matching alerts shown (--limit, or --all for every one)\n`);
      else process.stderr.write(`${total} matching alert${total === 1 ? '' : 's'}\n`);
    });
}
