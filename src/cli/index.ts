// The `insider` command line. Each subcommand lives in commands/ and gets only the context it needs.
// Exit codes: 0 ok, 1 error (message on stderr), 2 usage error, 3 a service is not ready (status).
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { describeError, InsiderError } from '../errors';
import { PACKAGE_ROOT } from '../package-root';
import { createContext } from './context';
import { configCommand } from './commands/config';
import { directoryCommand } from './commands/directory';
import { alertsCommand } from './commands/alerts';
import { casesCommand } from './commands/cases';
import { apiCommand } from './commands/api';
import { auditCommand } from './commands/audit';
import { holdsCommand, retentionCommand } from './commands/retention';
import { suppressionsCommand } from './commands/suppressions';
import { adjustmentsCommand } from './commands/adjustments';
import { usersCommand } from './commands/users';
import { demoCommand } from './commands/demo';
import { detectCommand } from './commands/detect';
import { tuneCommand } from './commands/tune';
import { evalCommand } from './commands/eval';
import { ingestCommand } from './commands/ingest';
import { migrateCommand } from './commands/migrate';
import { notifyCommand } from './commands/notify';
import { replayCommand } from './commands/replay';
import { reportCommand } from './commands/report';
import { servicesCommand } from './commands/services';
import { simulateCommand } from './commands/simulate';
import { sourcesCommand } from './commands/sources';

export function buildProgram(): { program: Command; close: () => Promise<void> } {
  const program = new Command('insider');
  const ctx = createContext(() => program.opts<{ config?: string }>().config);
  program
    .description('Insider-threat anomaly detector: database access logs from Kafka, stored in ClickHouse, unusual download volumes alerted with evidence.')
    .version(packageVersion())
    .option('-c, --config <file>', 'configuration file (YAML or JSON) over config/default.yaml; env: INSIDER_CONFIG')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Environment variables override the files for every endpoint and secret, e.g.
  INSIDER_KAFKA_BROKERS, INSIDER_CLICKHOUSE_URL, INSIDER_CLICKHOUSE_PASSWORD (see README.md).

Examples:
  insider services up          start local Kafka and ClickHouse (installed when missing)
  insider migrate              create or update the ClickHouse schema
  insider config check         print the effective configuration, secrets masked`,
    );
  program.addCommand(demoCommand(ctx));
  program.addCommand(servicesCommand(ctx));
  program.addCommand(configCommand(ctx));
  program.addCommand(migrateCommand(ctx));
  program.addCommand(ingestCommand(ctx));
  program.addCommand(replayCommand(ctx));
  program.addCommand(sourcesCommand(ctx));
  program.addCommand(simulateCommand(ctx));
  program.addCommand(directoryCommand(ctx));
  program.addCommand(detectCommand(ctx));
  program.addCommand(alertsCommand(ctx));
  program.addCommand(casesCommand(ctx));
  program.addCommand(notifyCommand(ctx));
  program.addCommand(apiCommand(ctx));
  program.addCommand(suppressionsCommand(ctx));
  program.addCommand(adjustmentsCommand(ctx));
  program.addCommand(usersCommand(ctx));
  program.addCommand(evalCommand(ctx));
  program.addCommand(tuneCommand(ctx));
  program.addCommand(reportCommand(ctx));
  program.addCommand(auditCommand(ctx));
  program.addCommand(retentionCommand(ctx));
  program.addCommand(holdsCommand(ctx));
  return { program, close: ctx.close };
}

export async function main(argv: string[] = process.argv): Promise<void> {
  const { program, close } = buildProgram();
  // exitOverride is per command: set it on every subcommand so usage errors anywhere exit with 2.
  const everyCommand = (c: Command): Command[] => [c, ...c.commands.flatMap(everyCommand)];
  for (const c of everyCommand(program)) c.exitOverride();
  // `insider ... | head` closes stdout early: that is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2;
    } else {
      process.stderr.write(`error: ${describeError(err)}\n`);
      if (!(err instanceof InsiderError) && process.env.INSIDER_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
      process.exitCode = 1;
    }
  } finally {
    await close();
  }
}

function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}
