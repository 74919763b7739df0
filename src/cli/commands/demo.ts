import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { stateDirOf } from '../../local-services';
import type { CliContext } from '../context';
import { progress } from '../output';
import { integer } from '../options';

interface DemoCliOptions {
  seed: number;
  employees: number;
  days: number;
  duration: number;
  exportGb: number;
  exportSeconds: number;
  source: 'simulated' | 'postgres';
  pgGb: number;
}

export function demoCommand(ctx: CliContext): Command {
  return new Command('demo')
    .description('the whole product on this machine: history, live traffic, and a 20 GB export caught while it runs')
    .option('--seed <n>', 'simulation seed', (v) => integer(v, 0), 7)
    .option('--employees <n>', 'people in the simulated organisation', (v) => integer(v, 40), 150)
    .option('--days <n>', 'days of history before today', (v) => integer(v, 14), 45)
    .option('--duration <s>', 'stop after this many seconds; 0: run until Ctrl-C', (v) => integer(v, 0), 150)
    .option('--export-gb <n>', 'volume of the export, in GB', (v) => integer(v, 1), 20)
    .option('--export-seconds <n>', 'how long the export runs (one chunk a second; with --source postgres, the pace pg_dump is read at)', (v) => integer(v, 10), 120)
    .option('--source <kind>', 'simulated: the export is canonical events; postgres: a real pg_dump from a real PostgreSQL 15 + pgaudit, shipped by rsyslog', (v) => {
      if (v !== 'simulated' && v !== 'postgres') throw new InvalidArgumentError('expected simulated or postgres.');
      return v;
    }, 'simulated')
    .option('--pg-gb <n>', 'with --source postgres: the table\'s size as COPY text, in GB (generated once, kept for later demos)', (v) => integer(v, 1), 3)
    .addHelpText(
      'after',
      `
Steps: start local Kafka and ClickHouse (installing them on first use); create a fresh database demo_* and
topic (the previous demo's are removed); simulate an organisation and load its directory; replay its
history through the ingester; start the ingester and the live detector in this process; play ordinary
activity, and after 10 s one analyst's export of crm.customers, chunk by chunk, in real time. Alerts are
printed the moment they are stored. The data is kept until the next demo, to explore with
\`insider alerts list\` (the command to use is printed).

With --source postgres: also start PostgreSQL 15 with pgaudit (installing postgresql-15, postgresql-15-pgaudit,
rsyslog and rsyslog-kafka on first use), generate a --pg-gb table of customers (once; kept for later demos),
ship the server's jsonlog to Kafka with rsyslog, and make the export a real pg_dump by the employee's own
database role; the alert prints while pg_dump runs, its bytes marked ≈ (estimated from table statistics).`,
    )
    .action(async (opts: DemoCliOptions) => {
      let onSignal: (() => void) | undefined;
      const interrupted = new Promise<void>((resolve) => {
        onSignal = () => {
          progress('stopping: the traffic stops, the detector and ingester finish what they hold...');
          resolve();
        };
      });
      process.once('SIGINT', onSignal!);
      process.once('SIGTERM', onSignal!);
      try {
        const config = ctx.config();
        // The demo prints its own story; the services' own logs start at warn unless asked for more.
        const log = ctx.log().level === 'info' ? ctx.log().child({ stage: 'demo' }, { level: 'warn' }) : ctx.log();
        const { runDemo } = await import('../../demo');
        await runDemo(
          {
            seed: opts.seed,
            employees: opts.employees,
            days: opts.days,
            durationS: opts.duration,
            exportBytes: opts.exportGb * 1e9,
            exportSeconds: opts.exportSeconds,
            source: opts.source,
            pgGigabytes: opts.pgGb,
            dir: path.join(stateDirOf(config), 'demo'),
          },
          { config, log, progress, say: (text) => process.stdout.write(`${text}\n`), interrupted },
        );
      } finally {
        process.off('SIGINT', onSignal!);
        process.off('SIGTERM', onSignal!);
      }
    });
}
