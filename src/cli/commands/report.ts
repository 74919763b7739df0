import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { formatBytes } from '../../format';
import { generateReport, PERIOD_KINDS, periodLabel, REPORT_FORMATS, reportInputs, resolvePeriod, verifyReport, type PeriodKind, type ReportFormat, createScheduler } from '../../report';
import type { CliContext } from '../context';
import { startHealth } from '../health';
import { createRegistry } from '../../telemetry';
import { printJson, progress } from '../output';
import { parseTime } from '../options';

/** A day "2026-11-16" (UTC midnight) or an ISO-8601 time with a zone. */
function dayOrTime(value: string): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const ms = Date.parse(`${value}T00:00:00Z`);
    if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== value) throw new InvalidArgumentError('not a valid date.');
    return ms;
  }
  return parseTime(value);
}

function formatList(value: string): ReportFormat[] {
  const list = value.split(',').map((v) => v.trim().toLowerCase()).filter((v) => v !== '');
  const bad = list.filter((v) => !(REPORT_FORMATS as ReadonlyArray<string>).includes(v));
  if (bad.length > 0 || list.length === 0) throw new InvalidArgumentError(`expected a comma-separated list of ${REPORT_FORMATS.join(', ')}.`);
  return [...new Set(list)] as ReportFormat[];
}

interface GenerateOpts {
  period: PeriodKind;
  from?: number;
  to?: number;
  format?: ReportFormat[];
  out?: string;
  asOf?: number;
  json?: boolean;
}

export function reportCommand(ctx: CliContext): Command {
  const cmd = new Command('report').description('periodic audit reports: HTML with charts, PDF, CSV per table, JSON, with a manifest of SHA-256 hashes (docs/reports.md)');

  cmd
    .command('generate', { isDefault: true })
    .description('write one report (the default subcommand: `insider report --period week` is the same)')
    .addOption(new Option('--period <kind>', 'day, week (Monday to Monday) or month').choices([...PERIOD_KINDS]).default('week'))
    .option('--from <day>', 'first day (YYYY-MM-DD, UTC); alone: the period starting there', dayOrTime)
    .option('--to <day>', 'day after the last (YYYY-MM-DD, UTC, exclusive); alone: the period ending there', dayOrTime)
    .option('--format <list>', `comma-separated: ${REPORT_FORMATS.join(',')} (default: reports.formats)`, formatList)
    .option('-o, --out <dir>', 'output directory (default: <reports.outputDir>/manual/<first day>)')
    .option('--as-of <time>', 'triage status (open, acknowledged, resolved) as of this time; default now', dayOrTime)
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Without --from and --to: the last complete period before now. Employees appear as pseudonyms when
api.pseudonymize is on (INSIDER_PSEUDONYM_KEY), as in the API. The PDF needs Debian's chromium
(reports.chromiumPath). Files: report.html, report.pdf, report.json, csv/*.csv, manifest.json.

Examples:
  insider report --period week
  insider report --period month --from 2026-10-01 --format html,pdf --out /srv/reports/2026-10
  insider report --from 2026-11-01 --to 2026-11-15 --format csv,json`,
    )
    .action(async (o: GenerateOpts) => {
      const config = ctx.config();
      const period = resolvePeriod(o.period, { from: o.from, to: o.to, now: Date.now() });
      const out = o.out ?? path.join(config.reports.outputDir, 'manual', new Date(period.from).toISOString().slice(0, 10));
      const inputs = reportInputs(config);
      progress(`report: ${period.kind} ${periodLabel(period)} -> ${out}`);
      const report = await generateReport({
        ch: ctx.clickhouse(),
        period,
        formats: o.format ?? config.reports.formats,
        outDir: out,
        ...inputs,
        chromiumPath: config.reports.chromiumPath,
        asOf: o.asOf,
      });
      const d = report.data;
      if (o.json) {
        printJson({ dir: report.dir, files: report.files, manifestSha256: report.manifestSha256, period: d.period });
        return;
      }
      process.stdout.write(
        [
          `${d.title}`,
          `  ${d.summary.events.toLocaleString('en-US')} events, ${formatBytes(d.summary.bytes)}, ${d.summary.activeUsers} active users, ${d.alerts.total} alerts (${d.openAlerts.total} open)`,
          `  ${report.dir}: ${report.files.join(', ')}`,
          `  manifest SHA-256 ${report.manifestSha256}`,
          '',
        ].join('\n'),
      );
    });

  cmd
    .command('schedule')
    .description('run the configured report schedules (reports.schedules; cron in UTC) until stopped')
    .option('--once', 'one pass over the schedules, then exit')
    .addHelpText(
      'after',
      `
Each schedule writes the report of the last complete period before its latest cron time to
<reports.outputDir>/<schedule>/<first day>/, once: the ClickHouse table report_runs records each run, so a
restart does not write it again, and a run missed while stopped is made up at start. Webhooks named in
"deliver" receive a signed JSON summary with a link. SIGINT/SIGTERM stop after the run in progress.`,
    )
    .action(async (o: { once?: boolean }) => {
      const config = ctx.config();
      const log = ctx.log().child({ component: 'report-scheduler' });
      if (config.reports.schedules.length === 0) throw new InvalidArgumentError('no schedules configured (reports.schedules)');
      const ch = ctx.clickhouse();
      const registry = createRegistry();
      const scheduler = createScheduler({ ch, reports: config.reports, ...reportInputs(config), log, registry });
      if (o.once) {
        for (const r of await scheduler.tick()) {
          process.stdout.write(`${r.schedule} ${periodLabel(r.period)}: ${r.result}${r.dir ? ` ${r.dir}` : ''}${r.error ? ` (${r.error})` : ''}${r.delivered.length ? `, delivered to ${r.delivered.join(', ')}` : ''}\n`);
        }
        return;
      }
      const health = await startHealth(config.health, ch, registry);
      log.info({ schedules: config.reports.schedules.map((s) => `${s.name} (${s.cron}, ${s.period})`) }, 'report scheduler started');
      scheduler.start();
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await scheduler.stop();
      await health?.close();
      log.info('report scheduler stopped');
    });

  cmd
    .command('verify')
    .description('check that a report\'s files are the ones its manifest lists (SHA-256), and that nothing was added: no other file, no symbolic link, no name outside the folder')
    .argument('<dir>', 'the report directory')
    .option('--sha256 <hash>', 'the manifest\'s own SHA-256 as recorded at delivery (report_runs, webhook)')
    .action((dir: string, o: { sha256?: string }) => {
      const v = verifyReport(dir, o.sha256);
      if (!v.ok) {
        for (const p of v.problems) process.stderr.write(`${p}\n`);
        process.stdout.write(`NOT VERIFIED: ${v.problems.length} problem(s); manifest SHA-256 ${v.manifestSha256}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`verified: ${v.checked} files match manifest.json (SHA-256 ${v.manifestSha256})\n`);
    });

  return cmd;
}
