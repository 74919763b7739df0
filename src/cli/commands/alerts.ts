import { Command, Option } from 'commander';
import { listAlerts, SEVERITIES, type Severity } from '../../alerts';
import { formatBytes, formatMultiple } from '../../detect/format';
import type { CliContext } from '../context';
import { printJson, printTable } from '../output';
import { integer, parseTime } from '../options';

interface ListOptions {
  from?: number;
  to?: number;
  user?: string;
  severity?: Severity;
  detector?: string;
  limit: number;
  json?: boolean;
}

export function alertsCommand(ctx: CliContext): Command {
  const alerts = new Command('alerts').description('the alerts the detector raised (one per employee and day, latest revision)');
  alerts
    .command('list')
    .description('list current alerts, newest window first, then by score')
    .addOption(new Option('--from <time>', 'alerts whose window ends after this time (ISO-8601 with a zone)').argParser(parseTime))
    .addOption(new Option('--to <time>', 'alerts whose window starts before this time').argParser(parseTime))
    .option('--user <id>', 'only this employee or account')
    .addOption(new Option('--severity <level>', 'this severity or worse').choices([...SEVERITIES]))
    .option('--detector <name>', 'only alerts where this detector fired (volumeSelf, volumePeers, exportRate, ceiling, sensitive, offHours, departing, slowDrip)')
    .option('--limit <n>', 'at most this many', (v) => integer(v, 1), 100)
    .option('--json', 'one JSON array with every field, evidence and findings included')
    .action(async (opts: ListOptions) => {
      const found = await listAlerts(ctx.clickhouse(), { from: opts.from, to: opts.to, user: opts.user, minSeverity: opts.severity, detector: opts.detector, limit: opts.limit });
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
          FIRED: new Date(a.firedAt).toISOString().replace('.000Z', 'Z'),
          VOLUME: formatBytes(a.observedBytes),
          RATIO: a.ratio > 0 ? formatMultiple(a.ratio) : '-',
          DETECTORS: a.detectors.join(','),
          EXPLANATION: a.explanation,
        })),
        ['ALERT', 'SEVERITY', 'SCORE', 'USER', 'FIRED', 'VOLUME', 'RATIO', 'DETECTORS', 'EXPLANATION'],
      );
      if (found.length === 0) process.stderr.write('no alerts match\n');
    });
  return alerts;
}
