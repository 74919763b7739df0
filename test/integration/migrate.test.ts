// Migrations on the real server: applied in order, recorded, idempotent, edits of applied files refused.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MigrationError } from '../../src/errors';
import { createClickHouse, ident, migrate, migrationStatus, sql, type ClickHouse } from '../../src/store';
import { testConfig, uniqueName } from '../helpers/env';

const fixtures = path.join(__dirname, '..', 'fixtures', 'migrations');

describe('migrate (real server)', () => {
  const config = testConfig();
  const database = uniqueName('it_migrate');
  let admin: ClickHouse;
  let ch: ClickHouse;

  beforeAll(() => {
    admin = createClickHouse(config.clickhouse, { database: 'default' });
    ch = createClickHouse(config.clickhouse, { database });
  });
  afterAll(async () => {
    await admin.exec(sql`DROP DATABASE IF EXISTS ${ident(database)}`);
    await Promise.all([admin.close(), ch.close()]);
  });

  it('creates the database, applies migrations in order and records them', async () => {
    const first = await migrate(admin, ch, { dir: fixtures });
    expect(first.applied.map((m) => m.file)).toEqual(['0001-first.sql', '0002-add-column.sql']);
    expect(first.alreadyApplied).toBe(0);
    const columns = await ch.query<{ name: string }>(sql`SELECT name FROM system.columns WHERE database = ${database} AND table = 'mig_a' ORDER BY name`);
    expect(columns.map((c) => c.name)).toEqual(['x', 'z']);
    const statuses = await migrationStatus(ch, fixtures);
    expect(statuses.map((s) => s.state)).toEqual(['applied', 'applied']);
  });

  it('is idempotent: a second run applies nothing and records nothing twice', async () => {
    const second = await migrate(admin, ch, { dir: fixtures });
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toBe(2);
    const [ledger] = await ch.query<{ n: string }>(sql`SELECT count() AS n FROM schema_migrations`);
    expect(Number(ledger.n)).toBe(2);
  });

  it('refuses to run when an applied migration was edited', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mig-'));
    for (const f of fs.readdirSync(fixtures)) fs.copyFileSync(path.join(fixtures, f), path.join(dir, f));
    fs.appendFileSync(path.join(dir, '0001-first.sql'), '\n-- edited\n');
    await expect(migrate(admin, ch, { dir })).rejects.toThrow(MigrationError);
    await expect(migrate(admin, ch, { dir })).rejects.toThrow(/0001-first\.sql was changed after it was applied/);
  });

  it("applies the product's own migrations to a fresh database, twice without change", async () => {
    const fresh = uniqueName('it_schema');
    const target = createClickHouse(config.clickhouse, { database: fresh });
    try {
      const first = await migrate(admin, target);
      const second = await migrate(admin, target);
      expect(second.applied).toEqual([]);
      expect(second.alreadyApplied).toBe(first.applied.length);
    } finally {
      await admin.exec(sql`DROP DATABASE IF EXISTS ${ident(fresh)}`);
      await target.close();
    }
  });
});
