import { Command } from 'commander';
import { loadMigrations, migrate, migrationStatus, sql, type MigrationStatus } from '../../store';
import type { CliContext } from '../context';
import { printJson, printTable, progress } from '../output';

export function migrateCommand(ctx: CliContext): Command {
  return new Command('migrate')
    .description('create the database when missing and apply pending schema migrations, in order (idempotent)')
    .option('--status', 'list migrations and whether each is applied, without changing anything')
    .option('--json', 'with --status: print JSON')
    .action(async (opts: { status?: boolean; json?: boolean }) => {
      const admin = ctx.clickhouse({ database: 'default' });
      const ch = ctx.clickhouse();
      if (!opts.status) {
        const result = await migrate(admin, ch, { progress });
        progress(`database ${ch.database}: ${result.applied.length} migration(s) applied, ${result.alreadyApplied} already applied`);
        return;
      }
      const exists = await admin.query(sql`SELECT name FROM system.databases WHERE name = ${ch.database}`);
      const statuses: MigrationStatus[] = exists.length
        ? await migrationStatus(ch)
        : loadMigrations().map((m) => ({ migration: { version: m.version, name: m.name }, state: 'pending' as const }));
      if (opts.json) printJson(statuses);
      else printTable(statuses.map((s) => ({ version: s.migration.version, name: s.migration.name, state: s.state })), ['version', 'name', 'state']);
    });
}
