// The table statistics the PostgreSQL source estimates bytes with, read from the real server: a
// partitioned table's parent (two levels of partitions), which autovacuum never analyses.
import { loadConfig } from '../../src/config';
import { postgresLayout, stateDirOf, type PostgresLayout } from '../../src/local-services';
import { readRoutines, readTableStats, widthOf } from '../../src/sources/postgres/table-stats';
import { uniqueName } from '../helpers/env';
import { admin } from '../fixtures/postgres/scenario';

jest.setTimeout(120000);

describe('PostgreSQL table statistics of a partitioned table', () => {
  const database = uniqueName('it_pgstats');
  let layout: PostgresLayout;
  const statsOf = async () => (await readTableStats(`postgres://postgres@127.0.0.1:${layout.port}/postgres`, 'it')).filter((r) => r.database === database);

  beforeAll(async () => {
    const { config } = loadConfig();
    layout = postgresLayout(config, stateDirOf(config));
    const root = await admin(layout);
    await root.query(`CREATE DATABASE ${database}`).finally(() => root.end());
    const db = await admin(layout, database);
    try {
      await db.query(`
        CREATE TABLE parts (id int, holder text, iban text) PARTITION BY RANGE (id);
        CREATE TABLE parts_a PARTITION OF parts FOR VALUES FROM (0) TO (2000);
        CREATE TABLE parts_b PARTITION OF parts FOR VALUES FROM (2000) TO (1000000) PARTITION BY RANGE (id);
        CREATE TABLE parts_b1 PARTITION OF parts_b FOR VALUES FROM (2000) TO (1000000);
        INSERT INTO parts SELECT g, 'holder ' || g, 'GB00 TEST ' || lpad(g::text, 10, '0') FROM generate_series(1, 4000) g;
        -- What autovacuum does: the leaves analysed, never a partitioned parent.
        ANALYZE parts_a; ANALYZE parts_b1;
      `);
    } finally {
      await db.end();
    }
  });
  afterAll(async () => {
    const root = await admin(layout);
    await root.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).finally(() => root.end());
  });

  it('a parent never analysed has its leaf partitions\' rows and a width from their heap, not 0 rows', async () => {
    const byName = new Map((await statsOf()).map((r) => [r.table_name, r]));
    expect([byName.get('public.parts')?.reltuples, byName.get('public.parts_b')?.reltuples]).toEqual([4000, 2001]);
    const parent = widthOf(byName.get('public.parts')!);
    // id, holder, iban as COPY text: about 38 bytes a row; the heap's bytes per row stand in (an upper bound).
    expect(parent.rowBytes).toBeGreaterThan(30);
    expect(parent.rowBytes).toBeLessThan(100);
  });

  it('an analysed parent has its columns\' widths from the inherited statistics', async () => {
    const db = await admin(layout, database);
    await db.query('ANALYZE parts').finally(() => db.end());
    const parent = (await statsOf()).find((r) => r.table_name === 'public.parts')!;
    expect(parent.column_widths.every((w) => w > 0)).toBe(true);
    expect(widthOf(parent).rowBytes).toBeGreaterThan(30);
    expect(widthOf(parent).rowBytes).toBeLessThan(50);
  });

  it('reads the routines: a plpgsql body with its OUT parameters, another language by name only', async () => {
    const db = await admin(layout, database);
    try {
      await db.query(`
        CREATE PROCEDURE gather(INOUT acc text, n int) LANGUAGE plpgsql AS $$ BEGIN acc := acc || n; END $$;
        CREATE FUNCTION plain() RETURNS int LANGUAGE sql AS 'SELECT 1';
      `);
    } finally {
      await db.end();
    }
    const routines = (await readRoutines(`postgres://postgres@127.0.0.1:${layout.port}/postgres`, 'it')).filter((r) => r.database === database);
    expect(routines.map((r) => [r.schema, r.name, r.kind, r.language, r.arg_modes, r.arg_names])).toEqual([
      ['public', 'gather', 'p', 'plpgsql', ['b', 'i'], ['acc', 'n']],
      ['public', 'plain', 'f', 'sql', [], []],
    ]);
    expect(routines[0].source).toContain('acc := acc || n');
    expect(routines[1].source).toBe('');
  });
});
