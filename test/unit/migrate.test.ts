import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MigrationError } from '../../src/errors';
import { loadMigrations, MIGRATIONS_DIR } from '../../src/store';
import { splitStatements } from '../../src/store/migrate';

const fixtures = path.join(__dirname, '..', 'fixtures', 'migrations');

describe('migrations on disk', () => {
  it('loads files in version order with their statements and checksums', () => {
    const migrations = loadMigrations(fixtures);
    expect(migrations.map((m) => [m.version, m.name])).toEqual([
      [1, 'first'],
      [2, 'add-column'],
    ]);
    expect(migrations[0].statements).toHaveLength(2);
    expect(migrations[0].statements[1]).toMatch(/^CREATE TABLE IF NOT EXISTS mig_b \(\n {2}y String\n\) ENGINE/);
    expect(migrations[0].checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('splits on semicolons at line ends and drops comment lines', () => {
    expect(splitStatements("-- c\nSELECT 'a;b';\nSELECT 2;\n\n")).toEqual(["SELECT 'a;b'", 'SELECT 2']);
  });

  it('rejects badly named files and duplicate versions', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mig-'));
    fs.writeFileSync(path.join(dir, 'first.sql'), 'SELECT 1;');
    expect(() => loadMigrations(dir)).toThrow(MigrationError);
    fs.rmSync(path.join(dir, 'first.sql'));
    fs.writeFileSync(path.join(dir, '0001-a.sql'), 'SELECT 1;');
    fs.writeFileSync(path.join(dir, '0001-b.sql'), 'SELECT 2;');
    expect(() => loadMigrations(dir)).toThrow(/same version 0001/);
  });

  it('ships migrations that follow the naming rule', () => {
    expect(() => loadMigrations(MIGRATIONS_DIR)).not.toThrow();
  });
});
