// Loading the employee directory into the real ClickHouse, through the CLI as an operator runs it and
// through the library: bad files store nothing, reloads replace "current" and keep every version.
import path from 'node:path';
import {
  currentDirectory,
  directoryAsOf,
  directoryHistory,
  directoryVersions,
  loadDirectoryFile,
  storeDirectory,
  type DirectoryEntry,
} from '../../src/directory';
import { createClickHouse, ident, sql, type ClickHouse } from '../../src/store';
import { insiderSync } from '../helpers/cli';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';

const fixture = (name: string) => path.join(__dirname, '..', 'fixtures', 'directory', name);

describe('directory load (real server)', () => {
  const config = testConfig();
  const database = uniqueName('it_directory');
  let admin: ClickHouse;
  let ch: ClickHouse;

  const insider = (args: string[]) => insiderSync(args, { INSIDER_CLICKHOUSE_DATABASE: database, INSIDER_LOG_LEVEL: 'warn' });
  const countRows = async (table: string) => Number((await ch.query<{ n: string }>(sql`SELECT count() AS n FROM ${ident(table)}`))[0].n);

  beforeAll(async () => {
    ({ admin, ch } = await freshDatabase(database, config.clickhouse));
  });
  afterAll(async () => {
    await dropDatabase(database, { admin, ch });
  });

  it('loads a good file as the first version, dates and all', async () => {
    const r = insider(['directory', 'load', fixture('good.csv')]);
    expect(r.stderr).toMatch(/directory: 4 entries stored as version \d+ .*; first version/);
    expect(r.code).toBe(0);
    const current = await currentDirectory(ch);
    expect(current.version).toMatchObject({ entries: 4, source: fixture('good.csv'), checksum: loadDirectoryFile(fixture('good.csv')).checksum });
    expect(current.entries).toEqual(loadDirectoryFile(fixture('good.csv')).entries);
    expect(current.entries.find((e) => e.id === 'anna.schmidt@corp.example')).toMatchObject({ hire_date: '2021-03-15', notice_date: null, end_date: null });
  });

  it('rejects a file with bad lines, names each of them, and stores nothing', async () => {
    const entriesBefore = await countRows('directory_entries');
    const r = insider(['directory', 'load', fixture('bad.csv')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${fixture('bad.csv')}:3: hire_date "2024-13-01" is not a date (expected YYYY-MM-DD)`);
    expect(r.stderr).toContain(`${fixture('bad.csv')}:10: 3 fields, the header has 11`);
    expect(r.stderr).toMatch(/: 10 problems; nothing was loaded \[DIRECTORY_INVALID\]/);
    expect(await countRows('directory_entries')).toBe(entriesBefore);
    expect(await directoryVersions(ch)).toHaveLength(1);
  });

  it('recognises an unchanged file and stores it again only with --force', async () => {
    const again = insider(['directory', 'load', fixture('good.csv')]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/unchanged, same entries as version/);
    expect(await directoryVersions(ch)).toHaveLength(1);
    const forced = insider(['directory', 'load', '--force', fixture('good.csv')]);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toMatch(/0 added, 0 removed, 0 changed/);
    expect(await directoryVersions(ch)).toHaveLength(2);
  });

  it('replaces the current directory on reload and keeps the history; directoryAsOf finds the version in force', async () => {
    // The latest version so far is the forced reload of good.csv.
    const [, v1] = await directoryVersions(ch);
    const first = (await currentDirectory(ch)).entries;
    // Anna moves to Finance, Chloe leaves, Dana joins.
    const next: DirectoryEntry[] = [
      ...first.filter((e) => e.id !== 'chloe.nguyen@corp.example').map((e) => (e.id === 'anna.schmidt@corp.example' ? { ...e, department: 'Finance', role: 'finance_analyst' } : e)),
      { id: 'dana.kim@corp.example', name: 'Dana Kim', department: 'Sales', role: 'sales_rep', manager: '', location: '', timezone: '', hire_date: null, notice_date: null, end_date: null, account_type: 'human' },
    ];
    const stored = await storeDirectory(ch, next, { source: 'hr-export-2.csv', checksum: 'second' });
    expect(stored.stored).toBe(true);
    expect(stored.version.version).toBeGreaterThan(v1.version);

    const current = await currentDirectory(ch);
    expect(current.version).toEqual(stored.version);
    expect(current.entries.map((e) => e.id)).toEqual(['anna.schmidt@corp.example', 'ben.patel@corp.example', 'dana.kim@corp.example', 'svc-etl-orders']);
    expect(current.entries[0].department).toBe('Finance');

    const history = await directoryHistory(ch, 'anna.schmidt@corp.example');
    expect(history.map((h) => [h.version.version, h.entry.department])).toEqual([
      [history[0].version.version, 'Analytics'],
      [v1.version, 'Analytics'],
      [stored.version.version, 'Finance'],
    ]);
    for (const h of history) expect(h.version.loadedAt.getTime()).toBe(Math.floor(h.version.version / 1000) * 1000);
    expect((await directoryHistory(ch, 'chloe.nguyen@corp.example')).map((h) => h.entry.notice_date)).toEqual(['2025-01-10', '2025-01-10']);

    const before = await directoryAsOf(ch, v1.version);
    expect(before.version).toEqual(v1);
    expect(before.entries.find((e) => e.id === 'anna.schmidt@corp.example')!.department).toBe('Analytics');
    expect((await directoryAsOf(ch, stored.version.version - 1)).version!.version).toBe(v1.version);
    expect((await directoryAsOf(ch, new Date(stored.version.version + 60_000))).version).toEqual(stored.version);
    expect(await directoryAsOf(ch, new Date('2020-01-01T00:00:00Z'))).toEqual({ version: null, entries: [] });
  });

  it('ignores rows of a load that never wrote its version row', async () => {
    const latest = (await currentDirectory(ch)).version!;
    // What a crash between the two inserts leaves behind.
    await ch.insert('directory_entries', [{ version: latest.version + 5, id: 'ghost@corp.example', name: '', department: 'X', role: 'x', manager: '', location: '', timezone: '', hire_date: null, notice_date: null, end_date: null, account_type: 'human' }]);
    expect((await currentDirectory(ch)).version).toEqual(latest);
    expect(await directoryHistory(ch, 'ghost@corp.example')).toEqual([]);
  });

  it('says to run migrate when the tables are missing', async () => {
    const empty = uniqueName('it_directory_bare');
    await admin.exec(sql`CREATE DATABASE ${ident(empty)}`);
    const bare = createClickHouse(config.clickhouse, { database: empty });
    try {
      await expect(currentDirectory(bare)).rejects.toThrow(/the directory tables are created by `insider migrate`/);
    } finally {
      await admin.exec(sql`DROP DATABASE IF EXISTS ${ident(empty)}`);
      await bare.close();
    }
  });
});
