// `insider retention` drops whole partitions past each class's retention (retention.days), keeping data
// under legal hold; `insider holds` places and releases legal holds. docs/retention.md.
import { Command, Option } from 'commander';
import { Cron } from 'croner';
import { listHolds, placeHold, releaseHold, runRetention, HOLD_ID, type RetentionResult } from '../../retention';
import { sealGraceMs } from '../../chain';
import { ConfigError } from '../../errors';
import type { CliContext } from '../context';
import { printJson, printTable, printText, progress } from '../output';
import { asOption, cliActor, isoTime } from '../triage-context';

function printResult(r: RetentionResult): void {
  printTable(
    r.partitions.map((p) => ({ TABLE: p.table, PARTITION: p.partition, ROWS: p.rows, HELD: p.heldRows, ACTION: r.dryRun ? `would ${p.action.replace(/_/g, ' ')}` : p.action.replace(/_/g, ' ') })),
    ['TABLE', 'PARTITION', 'ROWS', 'HELD', 'ACTION'],
  );
  if (r.partitions.length === 0) printText('nothing is past its retention\n');
  else if (!r.dryRun) printText(`\nrun ${r.runId}: ${r.droppedRows} row(s) dropped, ${r.copiedRows} held row(s) copied aside; recorded in retention_log and the audit trail\n`);
}

export function retentionCommand(ctx: CliContext): Command {
  const cmd = new Command('retention')
    .description('drop whole partitions past their retention (retention.days), keeping data under legal hold')
    .addHelpText(
      'after',
      `
Classes and their tables: events (access_events, daily partitions), rollups (user_hourly, user_daily,
user_table_daily), alerts (alerts, alert_actions), audit (audit_log), monthly partitions. A partition is
dropped when all of it is older than its class's retention. Held data (insider holds) is kept: raw
events and rollups of a held employee or alert are copied into <table>_held first; a partition of
alerts, triage actions or the audit trail that holds held data is not dropped. Every run is recorded
in retention_log (a sealed chain), so "insider audit verify" still passes after it.

Examples:
  insider retention run --dry-run
  insider retention run
  insider retention schedule          (runs on retention.schedule until SIGTERM)`,
    );
  const settings = () => ({ days: ctx.config().retention.days });

  cmd
    .command('run')
    .description('one retention run now')
    .option('--dry-run', 'say what would be dropped, copied and kept; change nothing')
    .addOption(asOption())
    .option('--json', 'print JSON')
    .action(async (opts: { dryRun?: boolean; as?: string; json?: boolean }) => {
      const r = await runRetention(ctx.clickhouse(), { settings: settings(), actor: cliActor(opts.as), dryRun: opts.dryRun, sealGraceMs: sealGraceMs(ctx.config()), progress: opts.json ? undefined : progress });
      if (opts.json) return printJson(r);
      printResult(r);
    });

  cmd
    .command('schedule')
    .description('run retention on the cron of retention.schedule (UTC) until SIGTERM/SIGINT')
    .action(async () => {
      const expression = ctx.config().retention.schedule;
      if (expression === '') throw new ConfigError('retention.schedule is empty: set a cron expression (UTC), e.g. "30 3 * * *"', { key: 'retention.schedule' });
      const log = ctx.log();
      const job = new Cron(expression, { timezone: 'UTC', protect: true }, async () => {
        try {
          const r = await runRetention(ctx.clickhouse(), { settings: settings(), actor: { ...cliActor(), name: 'retention-schedule' }, sealGraceMs: sealGraceMs(ctx.config()) });
          log.info({ runId: r.runId, partitions: r.partitions.length, droppedRows: r.droppedRows, copiedRows: r.copiedRows }, 'retention run finished');
        } catch (err) {
          log.error({ err: (err as Error).message }, 'retention run failed; tried again at the next time of the schedule');
        }
      });
      log.info({ schedule: expression, next: job.nextRun()?.toISOString() }, 'retention scheduled');
      await new Promise<void>((resolve) => {
        const stop = () => {
          job.stop();
          resolve();
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
    });
  return cmd;
}

export function holdsCommand(ctx: CliContext): Command {
  const cmd = new Command('holds')
    .description("legal holds: pin an employee's or an alert's data against retention")
    .addHelpText(
      'after',
      `
A hold on an employee keeps all of their raw events, rollups, alerts, triage actions and audit entries;
a hold on an alert keeps the alert, its triage actions and audit entries, and the raw events and rollups
of its employee in its window (its evidence). Placing and releasing are audited.

Examples:
  insider holds place --employee ana@corp.example --reason "matter 2026-17, counsel request"
  insider holds place --alert al_20261129_dad02117da --reason "HR investigation HR-88"
  insider holds list
  insider holds release hold_3fa9c2d1e0ab --reason "matter closed"`,
    );

  cmd
    .command('list')
    .description('active holds (--all: released ones too)')
    .option('--all', 'released holds too')
    .option('--json', 'print JSON')
    .action(async (opts: { all?: boolean; json?: boolean }) => {
      const holds = await listHolds(ctx.clickhouse(), { active: !opts.all });
      if (opts.json) return printJson(holds);
      printTable(
        holds.map((h) => ({ HOLD: h.holdId, KIND: h.kind, SUBJECT: h.subject, REASON: h.reason, PLACED: isoTime(h.placedAt), BY: h.placedBy, RELEASED: h.releasedAt ? isoTime(h.releasedAt) : '' })),
        ['HOLD', 'KIND', 'SUBJECT', 'REASON', 'PLACED', 'BY', 'RELEASED'],
      );
    });

  cmd
    .command('place')
    .description("place a legal hold on an employee's or an alert's data")
    .addOption(new Option('--employee <id>', 'the employee id (as in the events and the directory)').conflicts('alert'))
    .addOption(new Option('--alert <id>', 'the alert id'))
    .requiredOption('--reason <text>', 'the matter or request the hold is for')
    .addOption(asOption())
    .option('--json', 'print JSON')
    .action(async function (this: Command, opts: { employee?: string; alert?: string; reason: string; as?: string; json?: boolean }) {
      if (opts.employee === undefined && opts.alert === undefined) this.error('error: give --employee ID or --alert ID', { exitCode: 2, code: 'insider.usage' });
      const h = await placeHold(ctx.clickhouse(), cliActor(opts.as), opts.employee !== undefined ? 'employee' : 'alert', (opts.employee ?? opts.alert)!, opts.reason);
      if (opts.json) return printJson(h);
      printText(`${h.holdId}: legal hold placed on ${h.kind} ${h.subject}\n`);
    });

  cmd
    .command('release')
    .description('release a legal hold; its data follows retention again')
    .argument('<hold>', 'the hold id (hold_ and 12 hex digits)')
    .requiredOption('--reason <text>', 'why it is released')
    .addOption(asOption())
    .action(async function (this: Command, holdId: string, opts: { reason: string; as?: string }) {
      if (!HOLD_ID.test(holdId)) this.error('error: a hold id is hold_ and 12 hex digits', { exitCode: 2, code: 'insider.usage' });
      const h = await releaseHold(ctx.clickhouse(), cliActor(opts.as), holdId, opts.reason);
      printText(`${h.holdId}: released\n`);
    });
  return cmd;
}
