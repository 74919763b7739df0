// The escaping helper against the real server: every adversarial value round-trips unchanged, and
// the canary table proves that no value changed the statement around it.
import { ident, inList, sql, type ClickHouse } from '../../src/store';
import { IDENTIFIER_CORPUS, INJECTION_CORPUS } from '../fixtures/sql-injection-corpus';
import { testClickHouse, uniqueName } from '../helpers/env';

describe('sql escaping on the real server', () => {
  let ch: ClickHouse;
  const values = uniqueName('it_escape');
  const canary = uniqueName('it_canary');

  beforeAll(async () => {
    ch = await testClickHouse();
    await ch.exec(sql`CREATE TABLE ${ident(values)} (id UInt32, v String) ENGINE = MergeTree ORDER BY id`);
    await ch.exec(sql`CREATE TABLE ${ident(canary)} (alive UInt8) ENGINE = MergeTree ORDER BY alive`);
    await ch.exec(sql`INSERT INTO ${ident(canary)} VALUES (1)`);
  });
  afterAll(async () => {
    await ch.exec(sql`DROP TABLE IF EXISTS ${ident(values)}`);
    await ch.exec(sql`DROP TABLE IF EXISTS ${ident(canary)}`);
    await ch.close();
  });

  async function canaryIntact(): Promise<void> {
    const rows = await ch.query<{ alive: number }>(sql`SELECT alive FROM ${ident(canary)}`);
    expect(rows).toEqual([{ alive: 1 }]);
  }

  it('selects every value back unchanged', async () => {
    // Strings longer than max_query_size (256 KiB) cannot be SELECTed as literals; they go through INSERT below.
    for (const value of INJECTION_CORPUS.filter((v) => v.length < 100_000)) {
      const rows = await ch.query<{ v: string; len: string }>(sql`SELECT ${value} AS v, length(${value}) AS len`);
      expect(rows).toHaveLength(1);
      expect(rows[0].v).toBe(value);
      expect(Number(rows[0].len)).toBe(Buffer.byteLength(value, 'utf8'));
    }
    await canaryIntact();
  });

  it('inserts every value as one row and finds it again by equality', async () => {
    for (const [id, value] of INJECTION_CORPUS.entries()) {
      await ch.exec(sql`INSERT INTO ${ident(values)} (id, v) VALUES (${id}, ${value})`);
    }
    const stored = await ch.query<{ id: number; v: string }>(sql`SELECT id, v FROM ${ident(values)} ORDER BY id`);
    expect(stored).toEqual(INJECTION_CORPUS.map((v, id) => ({ id, v })));
    for (const [id, value] of INJECTION_CORPUS.entries()) {
      if (value.length > 100_000) continue;
      const hits = await ch.query<{ id: number }>(sql`SELECT id FROM ${ident(values)} WHERE v = ${value} AND id = ${id}`);
      expect(hits).toEqual([{ id }]);
    }
    const filtered = await ch.query<{ n: string }>(sql`SELECT count() AS n FROM ${ident(values)} WHERE v IN ${inList(INJECTION_CORPUS.slice(0, 10))}`);
    expect(Number(filtered[0].n)).toBe(10);
    await canaryIntact();
  });

  it('creates, fills and finds tables and columns with adversarial identifiers', async () => {
    for (const name of IDENTIFIER_CORPUS) {
      const table = `${uniqueName('it_ident')}_${name}`;
      await ch.exec(sql`CREATE TABLE ${ident(table)} (${ident(name)} String) ENGINE = Memory`);
      await ch.exec(sql`INSERT INTO ${ident(table)} (${ident(name)}) VALUES (${name})`);
      const rows = await ch.query<Record<string, string>>(sql`SELECT ${ident(name)} FROM ${ident(ch.database, table)}`);
      expect(rows).toEqual([{ [name]: name }]);
      const listed = await ch.query<{ name: string }>(sql`SELECT name FROM system.tables WHERE database = ${ch.database} AND name = ${table}`);
      expect(listed).toEqual([{ name: table }]);
      await ch.exec(sql`DROP TABLE ${ident(table)}`);
    }
    await canaryIntact();
  });
});
