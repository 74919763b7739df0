// A ClickHouse database of a test's own: created and migrated before, dropped after. The test names it
// (uniqueName), so no two tests or runs share tables.
import type { Config } from '../../src/config';
import { createClickHouse, ident, migrate, sql, type ClickHouse } from '../../src/store';
import { testConfig, uniqueName } from './env';

export interface FreshDatabase {
  /** Talks to `default`: creates and drops the test's database. */
  admin: ClickHouse;
  /** Talks to the test's database. */
  ch: ClickHouse;
}

/** Creates `database` with every migration applied. */
export async function freshDatabase(database: string, clickhouse: Config['clickhouse'] = testConfig().clickhouse): Promise<FreshDatabase> {
  const admin = createClickHouse(clickhouse, { database: 'default' });
  const ch = createClickHouse(clickhouse, { database });
  try {
    await migrate(admin, ch);
  } catch (err) {
    // The caller gets no handles to clean up with: do it here.
    await dropDatabase(database, { admin, ch }).catch(() => {});
    throw err;
  }
  return { admin, ch };
}

/** Drops `database` and closes both clients; either may be missing when the set-up failed half-way. */
export async function dropDatabase(database: string, db: Partial<FreshDatabase>): Promise<void> {
  await db.admin?.exec(sql`DROP DATABASE IF EXISTS ${ident(database)}`);
  await Promise.all([db.admin?.close(), db.ch?.close()]);
}

export interface BenchDatabase extends FreshDatabase {
  database: string;
  /** True when an earlier run's database is used as it is (its build is skipped). */
  reused: boolean;
  /** Closes the clients; drops the database unless it is to be kept (or was reused). Prints how to reuse a kept one. */
  done(keep: boolean): Promise<void>;
}

/** A benchmark's database: a fresh one named from `prefix`, or the one an earlier run kept (`--reuse`). */
export async function benchDatabase(prefix: string, clickhouse: Config['clickhouse'], reuse?: string): Promise<BenchDatabase> {
  const database = reuse ?? uniqueName(prefix);
  const db = reuse ? { admin: createClickHouse(clickhouse, { database: 'default' }), ch: createClickHouse(clickhouse, { database }) } : await freshDatabase(database, clickhouse);
  return {
    ...db,
    database,
    reused: reuse !== undefined,
    async done(keep) {
      if (keep || reuse) {
        process.stdout.write(`database kept: ${database} (--reuse ${database})\n`);
        await Promise.all([db.admin.close(), db.ch.close()]);
      } else await dropDatabase(database, db);
    },
  };
}
