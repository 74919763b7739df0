// Versioned schema migrations: src/store/migrations/NNNN-name.sql, applied in order, each recorded
// in `schema_migrations` with a checksum. Statements are written to be re-runnable (IF NOT EXISTS),
// so a migration interrupted halfway is simply applied again. SQL must work on ClickHouse 18.16
// and on modern servers (see docs/clickhouse-compatibility.md). The files are written for one server;
// with clickhouse.cluster set they are applied in their cluster form (migrate-cluster.ts).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MigrationError } from '../errors';
import type { ClickHouse } from './clickhouse';
import { prepareCluster } from './migrate-cluster';
import { ident, sql, SqlFragment } from './sql';

export const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

export interface Migration {
  version: number;
  name: string;
  file: string;
  checksum: string;
  statements: string[];
}

export interface MigrationStatus {
  migration: Pick<Migration, 'version' | 'name'>;
  state: 'applied' | 'pending';
}

const FILE_PATTERN = /^(\d{4})-([a-z0-9-]+)\.sql$/;

export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
  const seen = new Map<number, string>();
  return files.map((file) => {
    const m = FILE_PATTERN.exec(file);
    if (!m) throw new MigrationError(`${path.join(dir, file)}: migration files are named NNNN-some-name.sql`, { file });
    const version = Number(m[1]);
    const clash = seen.get(version);
    if (clash) throw new MigrationError(`${file} and ${clash} have the same version ${m[1]}`, { file });
    seen.set(version, file);
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    return {
      version,
      name: m[2],
      file,
      checksum: crypto.createHash('sha256').update(text).digest('hex'),
      statements: splitStatements(text),
    };
  });
}

/** Statements end with ";" at the end of a line; "--" comment lines are dropped. */
export function splitStatements(text: string): string[] {
  const body = text
    .split('\n')
    .filter((line) => !/^\s*--/.test(line))
    .join('\n');
  return body
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

type Progress = (line: string) => void;

/**
 * Creates the database when missing, then applies pending migrations in order. `admin` must be
 * connected to a database that exists (e.g. `default`); `ch` to the target database.
 */
export async function migrate(
  admin: ClickHouse,
  ch: ClickHouse,
  opts: { dir?: string; progress?: Progress } = {},
): Promise<{ applied: Migration[]; alreadyApplied: number }> {
  const progress = opts.progress ?? (() => {});
  const migrations = loadMigrations(opts.dir);
  const cluster = ch.cluster ? await prepareCluster(ch, LEDGER_TABLE.text, progress) : undefined;
  if (!cluster) {
    await admin.exec(sql`CREATE DATABASE IF NOT EXISTS ${ident(ch.database)}`);
    await ensureLedger(ch);
  }
  const done = await appliedChecksums(ch);

  for (const m of migrations) {
    const recorded = done.get(m.version);
    if (recorded !== undefined && recorded !== m.checksum) {
      throw new MigrationError(
        `${m.file} was changed after it was applied (checksum differs); add a new migration instead of editing an applied one`,
        { file: m.file },
      );
    }
  }
  const pending = migrations.filter((m) => !done.has(m.version));
  const clusterPlan = cluster?.plan(migrations, new Set(done.keys()));
  const clusterSteps = clusterPlan?.pending;
  for (const m of pending) {
    progress(`applying ${m.file} (${m.statements.length} statement${m.statements.length === 1 ? '' : 's'})`);
    const steps = clusterSteps?.get(m.version);
    if (cluster && steps) {
      await cluster.run(steps, m.file);
      await recordApplied(ch, m);
      continue;
    }
    for (const [i, statement] of m.statements.entries()) {
      try {
        // Migration files are code shipped with the product, not input: they are the one place
        // where SQL text is taken as it is written.
        await ch.exec(new SqlFragment(statement));
      } catch (err) {
        throw new MigrationError(`${m.file}, statement ${i + 1}: ${(err as Error).message}`, { file: m.file }, err);
      }
    }
    await recordApplied(ch, m);
  }
  if (cluster && clusterPlan) await cluster.run(clusterPlan.always, 'Distributed tables');
  return { applied: pending, alreadyApplied: migrations.length - pending.length };
}

async function recordApplied(ch: ClickHouse, m: Migration): Promise<void> {
  await ch.insert('schema_migrations', [{ version: m.version, name: m.name, checksum: m.checksum, applied_at: Math.floor(Date.now() / 1000) }]);
}

export async function migrationStatus(ch: ClickHouse, dir?: string): Promise<MigrationStatus[]> {
  const migrations = loadMigrations(dir);
  // On a cluster the ledger is created by `migrate` on every node; reading must not need every node.
  const ledger = ch.cluster ? await ch.query(sql`SELECT 1 FROM system.tables WHERE database = ${ch.database} AND name = 'schema_migrations'`) : [await ensureLedger(ch)];
  const done = ledger.length > 0 ? await appliedChecksums(ch) : new Map<number, string>();
  return migrations.map((m) => ({
    migration: { version: m.version, name: m.name },
    state: done.has(m.version) ? 'applied' : 'pending',
  }));
}

const LEDGER_TABLE = sql`
    CREATE TABLE IF NOT EXISTS schema_migrations (
      version UInt32,
      name String,
      checksum String,
      applied_at DateTime('UTC')
    ) ENGINE = MergeTree ORDER BY version`;

async function ensureLedger(ch: ClickHouse): Promise<void> {
  await ch.exec(LEDGER_TABLE);
}

async function appliedChecksums(ch: ClickHouse): Promise<Map<number, string>> {
  const rows = await ch.query<{ version: number; checksum: string }>(
    sql`SELECT version, any(checksum) AS checksum FROM schema_migrations GROUP BY version`,
  );
  return new Map(rows.map((r) => [Number(r.version), r.checksum]));
}
