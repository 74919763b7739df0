// Migrations on the real server: applied in order, recorded, idempotent, edits of applied files refused.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeAlerts, type AlertRecord } from '../../src/alerts';
import { MS_PER_DAY } from '../../src/calendar';
import { MigrationError } from '../../src/errors';
import { createClickHouse, ident, loadMigrations, migrate, migrationStatus, MIGRATIONS_DIR, sql, SqlFragment, type ClickHouse } from '../../src/store';
import { recordAction } from '../../src/triage';
import { insiderSync } from '../helpers/cli';
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

  it('rebuilds alerts and alert_actions with finer granules keeping every row (0018), and a run stopped after the swap loses nothing', async () => {
    const upgraded = uniqueName('it_granules');
    const target = createClickHouse(config.clickhouse, { database: upgraded });
    // The product's migrations before 0018, as a database upgraded from an earlier release has them.
    const before = fs.mkdtempSync(path.join(os.tmpdir(), 'mig-17-'));
    for (const f of fs.readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql') && Number(f.slice(0, 4)) < 18)) fs.copyFileSync(path.join(MIGRATIONS_DIR, f), path.join(before, f));
    const granularity = async (table: string) => {
      // The setting alone: each ClickHouse version prints the rest of the statement its own way.
      const [t] = await target.query<{ g: string }>(sql`SELECT extract(create_table_query, 'index_granularity = ([0-9]+)') AS g FROM system.tables WHERE database = ${upgraded} AND name = ${table}`);
      return t.g;
    };
    const alertRow = (id: string, revision: number) => ({ alert_id: id, revision, user: 'u@corp.example', window_start: '2026-11-02 00:00:00', window_end: '2026-11-03 00:00:00', severity: 'high', score: 80, evidence: `{"revision":${revision}}` });
    const actionRow = (id: string, n: number) => ({ action_id: `act-${id}-${n}`, alert_id: id, at: '2026-11-03 09:00:00', at_ms: n, actor: 'analyst', action: 'note', note: `note ${n}` });
    const rows = async () => ({
      alerts: await target.query(sql`SELECT alert_id, revision, evidence FROM alerts ORDER BY alert_id, revision`),
      actions: await target.query(sql`SELECT action_id, alert_id, at_ms, note FROM alert_actions ORDER BY action_id`),
    });
    try {
      await migrate(admin, target, { dir: before });
      expect(await granularity('alerts')).toBe('8192');
      await target.insert('alerts', [alertRow('al_1', 1), alertRow('al_1', 2), alertRow('al_2', 1), alertRow('al_2', 1)]);
      await target.insert('alert_actions', [actionRow('al_1', 1), actionRow('al_1', 2), actionRow('al_2', 1)]);
      const stored = await rows();
      expect(stored.alerts).toHaveLength(4);

      const upgrade = await migrate(admin, target);
      // 0018, then the later ones (0019 and on) as an upgrade from 0017 applies them.
      expect(upgrade.applied.map((m) => m.file).filter((f) => Number(f.slice(0, 4)) <= 19)).toEqual(['0018-alerts-finer-granules.sql', '0019-notify-updates.sql']);
      expect(await granularity('alerts')).toBe('1024');
      expect(await granularity('alert_actions')).toBe('1024');
      // Every row once, as it was (an identical duplicate stays a duplicate: the listing counts rows).
      expect(await rows()).toEqual(stored);

      // A run that stopped after the swap: a revision and an action reached the old tables after the copy.
      await target.exec(sql`CREATE TABLE alerts_coarse AS alerts`);
      await target.insert('alerts_coarse', [alertRow('al_1', 1), alertRow('al_1', 3)]);
      await target.exec(sql`CREATE TABLE alert_actions_coarse AS alert_actions`);
      await target.insert('alert_actions_coarse', [actionRow('al_1', 1), actionRow('al_2', 7)]);
      for (const statement of loadMigrations().find((m) => m.version === 18)!.statements) await target.exec(new SqlFragment(statement));
      const after = await rows();
      expect(after.alerts).toEqual([...stored.alerts.slice(0, 2), { alert_id: 'al_1', revision: 3, evidence: '{"revision":3}' }, ...stored.alerts.slice(2)]);
      expect((after.actions as Array<{ action_id: string }>).map((a) => a.action_id)).toEqual(['act-al_1-1', 'act-al_1-2', 'act-al_2-1', 'act-al_2-7']);
      const left = await target.query<{ name: string }>(sql`SELECT name FROM system.tables WHERE database = ${upgraded} AND (name LIKE '%_coarse' OR name LIKE '%_fine')`);
      expect(left).toEqual([]);
    } finally {
      await admin.exec(sql`DROP DATABASE IF EXISTS ${ident(upgraded)}`);
      await target.close();
    }
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

  it('groups the alerts a database held before cases existed into cases after the upgrade, resolved ones included', async () => {
    const upgraded = uniqueName('it_cases_upgrade');
    const target = createClickHouse(config.clickhouse, { database: upgraded });
    // The release before paging per case: every migration before 0019.
    const before = fs.mkdtempSync(path.join(os.tmpdir(), 'mig-18-'));
    for (const f of fs.readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql') && Number(f.slice(0, 4)) < 19)) fs.copyFileSync(path.join(MIGRATIONS_DIR, f), path.join(before, f));
    const today = Math.floor(Date.now() / MS_PER_DAY);
    const alert = (n: number, day: number, score: number): AlertRecord => ({
      alertId: `al_upgrade_${n}`, revision: 1, user: 'old.data@corp.example', windowStart: day * MS_PER_DAY, windowEnd: (day + 1) * MS_PER_DAY, detectors: ['volumeSelf'],
      severity: score >= 53 ? 'high' : 'medium', score, firedAt: day * MS_PER_DAY + 43_200_000, triggerEventId: 'e', lastEventAt: day * MS_PER_DAY + 43_000_000,
      observedBytes: 2e9, observedRows: 1, eventCount: 3, baselineBytes: 3e8, peerBytes: 0, peerGroup: '', ratio: 6.7, explanation: 'x', findings: [],
      evidence: { events: 3, failedEvents: 0, firstEventAt: '', lastEventAt: '', sensitiveBytes: 0, topTables: [], sessions: { count: 0, top: [] }, clientIps: [], apps: [], allowlisted: { bytes: 0, events: 0, reasons: [] } },
      createdAtWall: Date.now() - 30 * MS_PER_DAY, updatedAtWall: Date.now() - 30 * MS_PER_DAY,
    });
    try {
      await migrate(admin, target, { dir: before });
      // Three weeks ago a day that was resolved; this week two medium days, one episode.
      await writeAlerts(target, [alert(1, today - 21, 45), alert(2, today - 4, 45), alert(3, today - 2, 48)]);
      await recordAction(target, 'al_upgrade_1', 'analyst1', { action: 'resolve', disposition: 'true_positive' }, Date.now() - 20 * MS_PER_DAY);
      const upgrade = await migrate(admin, target);
      expect(upgrade.applied.map((m) => m.file).filter((f) => Number(f.slice(0, 4)) <= 19)).toEqual(['0019-notify-updates.sql']);
      const r = insiderSync(['cases', 'list', '--all', '--json'], { INSIDER_CLICKHOUSE_DATABASE: upgraded, INSIDER_PSEUDONYMIZE: 'false', INSIDER_LOG_LEVEL: 'warn' });
      expect(r.stderr).toBe('');
      const cases = JSON.parse(r.stdout) as Array<{ caseOf: string; open: boolean; severity: string; alerts: Array<{ alertId: string; status: string }> }>;
      expect(cases.map((c) => [c.caseOf, c.open, c.alerts.map((a) => `${a.alertId} ${a.status}`)])).toEqual([
        ['al_upgrade_2', true, ['al_upgrade_2 open', 'al_upgrade_3 open']],
        ['al_upgrade_1', false, ['al_upgrade_1 resolved']],
      ]);
    } finally {
      await admin.exec(sql`DROP DATABASE IF EXISTS ${ident(upgraded)}`);
      await target.close();
    }
  });
});
