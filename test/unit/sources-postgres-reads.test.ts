// The postgres format against reads pgaudit 1.7 logs with fewer rows than leave the server, captured
// from the real server (test/fixtures/postgres/hostile-reads/, `scripts/capture-postgres-fixtures.ts
// --reads`, cases in test/fixtures/postgres/hostile-reads.ts): cursors a PL/pgSQL body opens, a function
// between the client and a table, a table sent as one value.
import fs from 'node:fs';
import path from 'node:path';
import { toCanonical } from '../../src/event';
import { splitRecords } from '../../src/sources/framing';
import { bodyCursors, procedureCalled } from '../../src/sources/postgres/plpgsql';
import { aggregateCreated, readsFunctionRows } from '../../src/sources/postgres/statement-reads';
import type { TableStatsRow } from '../../src/sources/postgres/table-stats';
import { FIXTURE_DIR, FIXTURE_FILES, decodeRecords, type Destination } from '../fixtures/postgres/decode';
import { PARTED_ROWS } from '../fixtures/postgres/hostile-reads';
import { CUSTOMERS, type CaseResult } from '../fixtures/postgres/scenario';

const DIR = path.join(FIXTURE_DIR, 'hostile-reads');
const { cases } = JSON.parse(fs.readFileSync(path.join(DIR, 'cases.json'), 'utf8')) as { cases: CaseResult[] };
const STATS = JSON.parse(fs.readFileSync(path.join(DIR, 'stats.json'), 'utf8')) as TableStatsRow[];
const DESTINATIONS: Destination[] = ['jsonlog', 'csvlog', 'stderr'];

function decode(destination: Destination, keep: (record: string) => boolean = () => true): ReturnType<typeof decodeRecords> {
  return decodeRecords(destination, splitRecords(fs.readFileSync(path.join(DIR, FIXTURE_FILES[destination]), 'utf8'), destination !== 'jsonlog', destination === 'csvlog').filter(keep), STATS);
}

const shape = (e: { user: string; identity?: unknown; action: string; table?: unknown; rows?: unknown; status?: unknown }) => ({ user: e.user, identity: e.identity ?? '', action: e.action, table: e.table, rows: e.rows, status: e.status });
/** customers' bytes as the statistics estimate them (rows x row width as COPY text). */
const customersBytes = (rows: number) => {
  const s = STATS.find((r) => r.table_name === 'public.customers')!;
  return rows * s.column_widths.reduce((sum, w) => sum + w + 1, 0);
};

describe.each(DESTINATIONS)('postgres %s, reads pgaudit under-counts, captured from the real server', (destination) => {
  let decoded: Awaited<ReturnType<typeof decode>>;
  beforeAll(async () => {
    decoded = await decode(destination);
  });
  const expectCase = (name: string) => {
    const c = cases.find((x) => x.name === name)!;
    const got = decoded.events.filter((e) => e.client_app === c.app);
    expect(got.map(shape)).toEqual(c.expected.map(shape));
    return got;
  };

  it('a DO block that opens a cursor and RAISE NOTICEs its rows (pgaudit logs nothing): the cursor\'s table at its size', () => {
    const [read] = expectCase('do-notice-cursor');
    expect(read.bytes).toBeCloseTo(customersBytes(CUSTOMERS), -1);
  });

  it('a procedure of the session that opens a cursor and RAISE NOTICEs its rows, run with CALL (pgaudit logs nothing): the cursor\'s table at its size', () => {
    const [read] = expectCase('procedure-notice');
    expect(read.bytes).toBeCloseTo(customersBytes(CUSTOMERS), -1);
  });

  it('a DO block with a FOR loop: pgaudit logs the loop\'s query with its rows (already counted)', () => {
    const [read] = expectCase('do-notice-loop');
    expect(read.bytes).toBeCloseTo(customersBytes(CUSTOMERS), -1);
  });

  it('a refcursor a function opened, read with FETCH ALL FROM "<unnamed portal 1>": on the table the session\'s function opens it over', () => {
    const [, fetched] = expectCase('refcursor-unnamed');
    expect(fetched.bytes).toBeCloseTo(customersBytes(CUSTOMERS), -1);
  });

  it('a bound cursor a function opened, read by its name: the rows asked for, on its table', () => {
    const [, fetched] = expectCase('refcursor-bound');
    expect(fetched.bytes).toBeCloseTo(customersBytes(100), -1);
  });

  it('a function returning the table as one value (string_agg INTO, a FOR loop): its inner statement counts the table', () => {
    const got = expectCase('function-value');
    expect(got.map((e) => e.bytes > customersBytes(CUSTOMERS) / 2)).toEqual([true, false, true, false]);
  });

  it('a cursor drained by a function in LATERAL beside a one-row table: its rows at the default width, not at the narrow table\'s', () => {
    const [, read] = expectCase('lateral-drain');
    // The same bytes as the drain without the narrow table (sources-postgres-hostile: function-drain).
    expect(read.bytes).toBe(CUSTOMERS * 100);
  });

  it('a narrow outer table beside a scalar subquery\'s aggregate or an SQL function\'s rows: the wide table\'s line counts them', () => {
    const [narrow, aggregated, inner, outer] = expectCase('outer-narrow');
    expect([narrow.bytes < 10, aggregated.bytes]).toEqual([true, Math.round(customersBytes(CUSTOMERS))]);
    // The SQL function's inner line counts the table; the outer line adds at most the default width beyond it.
    expect(inner.bytes).toBe(Math.round(customersBytes(CUSTOMERS)));
    expect(inner.bytes + outer.bytes).toBeLessThanOrEqual(CUSTOMERS * 100 + CUSTOMERS * 10);
  });

  it('an aggregate the session made in a schema of its own (CREATE AGGREGATE rx_own.cat): the table\'s rows, not the 1 row pgaudit logs', () => {
    const [read] = expectCase('own-aggregate');
    expect(read.bytes).toBe(Math.round(customersBytes(CUSTOMERS)));
  });

  it('a partitioned table\'s parent never analysed (as autovacuum leaves it): its partitions\' rows, for a FETCH ALL and an aggregate', () => {
    const [, fetched, aggregated] = expectCase('partitioned-parent');
    // The leaves' heap bytes per row stand in for the parent's width (about 41 bytes, less than the default 100).
    expect(fetched.bytes).toBe(aggregated.bytes);
    expect(fetched.bytes).toBeGreaterThan(PARTED_ROWS * 30);
  });

  it('COPY (TABLE t), COPY (WITH ...), psql\'s \\copy: the query\'s table and rows', () => {
    const got = expectCase('copy-variants');
    expect(got.every((e) => e.bytes > customersBytes(CUSTOMERS) / 2)).toBe(true);
  });

  it('nothing is dead-lettered', () => {
    expect(decoded.outcomes.flatMap((o, i) => (o.ok ? [] : [`${o.code} <- ${decoded.records[i].slice(0, 100)}`]))).toEqual([]);
  });
});

describe('a cursor opened by a function created where the log does not show it', () => {
  it('without its CREATE FUNCTION line, FETCH ALL of the refcursor stays an event without table (rows unknown), not a dead letter', async () => {
    const { events } = await decode('jsonlog', (r) => !r.includes('CREATE FUNCTION pg_temp.rc()'));
    const fetched = events.filter((e) => e.client_app === 'case-refcursor-unnamed' && e.action === 'FETCH');
    expect(fetched.map((e) => [e.table, e.rows])).toEqual([['', 0]]);
  });
});

describe('aggregates a session creates', () => {
  it('two created in one string are both known to its later statements', async () => {
    const line = fs.readFileSync(path.join(DIR, FIXTURE_FILES.jsonlog), 'utf8').split('\n').filter((l) => l.includes('"case-own-aggregate"'));
    const created = line.findIndex((l) => l.includes('statement: CREATE AGGREGATE'));
    const both = line.map((l, i) => (i === created ? l.replace(/statement: (CREATE AGGREGATE [^"]*)"/, (_, c: string) => `statement: ${c}; CREATE AGGREGATE rx_own.other (text) (SFUNC = textcat, STYPE = text)"`) : l));
    expect(both[created]).toContain('rx_own.other');
    const { outcomes } = await decodeRecords('jsonlog', both, STATS);
    const reads = outcomes.flatMap((o) => (o.ok ? o.events.map(toCanonical) : [])).filter((e) => e.action === 'SELECT');
    expect(reads.map((e) => e.rows)).toEqual([CUSTOMERS]);
  });

  it.each([
    ['CREATE AGGREGATE rx_own.cat (text) (SFUNC = textcat, STYPE = text)', 'cat'],
    ['create or replace aggregate "Own"."Cat" (text) (sfunc = textcat, stype = text)', 'Cat'],
    ['CREATE FUNCTION cat() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$', undefined],
  ])('%s -> %s', (sql, name) => {
    expect(aggregateCreated(sql)).toBe(name);
  });
});

describe('readsFunctionRows: a statement that sends rows a function makes', () => {
  it.each([
    ["SELECT f FROM one_row, LATERAL pg_temp.drain('k') f", true],
    ["SELECT pg_temp.drain('k') FROM one_row", true],
    ['SELECT * FROM one_row o JOIN LATERAL my_rows(o.id) r ON true', true],
    ['SELECT "rx_own"."cat"(c::text) FROM customers c', true],
    ['SELECT * FROM one_row, generate_series(1, 10) g, LATERAL unnest(ARRAY[1]) u', false],
    ['SELECT pg_catalog.lower(name), count(*) FROM customers GROUP BY 1', false],
    ["SELECT * FROM customers WHERE note = 'x FROM pg_temp.f(1)'", false],
    ['WITH w AS (INSERT INTO public.log (id) VALUES (1) RETURNING id) SELECT * FROM w', false],
  ])('%s -> %s', (sql, expected) => {
    expect(readsFunctionRows(sql)).toBe(expected);
  });
});

describe('procedureCalled', () => {
  it.each([
    ['CALL rx_own.dump()', { schema: 'rx_own', name: 'dump' }],
    ['call "Own"."Dump" (1)', { schema: 'Own', name: 'Dump' }],
    ['CALL dump()', { schema: '', name: 'dump' }],
    ['CALLS()', undefined],
    ['SELECT dump()', undefined],
  ])('%s -> %j', (sql, called) => {
    expect(procedureCalled(sql)).toEqual(called);
  });
});

describe('bodyCursors: the tables of the cursors a PL/pgSQL body opens', () => {
  it.each([
    ["DO $$ BEGIN OPEN c FOR SELECT * FROM customers; END $$", { kind: 'do', tables: ['customers'] }],
    ["DO LANGUAGE plpgsql 'BEGIN OPEN c SCROLL FOR SELECT * FROM \"Big\" b JOIN crm.accounts a ON true; END'", { kind: 'do', tables: ['Big', 'crm.accounts'] }],
    ["CREATE OR REPLACE PROCEDURE crm.p() AS $$ BEGIN OPEN c FOR SELECT * FROM customers; END $$ LANGUAGE plpgsql", { kind: 'routine', tables: ['customers'], procedure: 'p' }],
    ["CREATE OR REPLACE FUNCTION f() RETURNS refcursor AS $body$ DECLARE b CURSOR (k int) IS SELECT * FROM orders WHERE id = k; BEGIN OPEN b(1); RETURN b; END $body$ LANGUAGE plpgsql", { kind: 'routine', tables: ['orders'] }],
    // E'...': a backslash escapes the quote, which does not end the body before the OPEN.
    ["CREATE PROCEDURE p() LANGUAGE plpgsql AS E'BEGIN RAISE NOTICE \\'x\\'; OPEN c FOR SELECT * FROM customers; END'", { kind: 'routine', tables: ['customers'], procedure: 'p' }],
  ])('%s', (sql, expected) => {
    expect(bodyCursors(sql)).toEqual(expected && { ...expected, flow: expect.any(Object) });
  });

  it.each([
    "DO $$ DECLARE r record; BEGIN FOR r IN SELECT * FROM customers LOOP RAISE NOTICE '%', r; END LOOP; END $$",
    "DO $$ BEGIN OPEN c FOR EXECUTE 'SELECT * FROM customers'; END $$",
    "SELECT 'DO $$ BEGIN OPEN c FOR SELECT * FROM customers; END $$'",
  ])('nothing a cursor reads out of sight: %s', (sql) => {
    expect(bodyCursors(sql)).toBeUndefined();
  });
});

describe('postgres: a parenthesis after FROM / JOIN that is no function of a schema (helper-101 capture, function-rows/)', () => {
  const dir = path.join(FIXTURE_DIR, 'function-rows');
  const stats = JSON.parse(fs.readFileSync(path.join(dir, 'stats.json'), 'utf8')) as TableStatsRow[];
  const widthOf = (table: string) => stats.find((r) => r.table_name === table)!.column_widths.reduce((sum, w) => sum + w + 1, 0);

  it('JOIN LATERAL (subquery) and to_tsquery / websearch_to_tsquery in FROM count their tables at the tables\' width, not 100 bytes a row', async () => {
    const { events, outcomes } = await decodeRecords('jsonlog', splitRecords(fs.readFileSync(path.join(dir, 'jsonlog.json'), 'utf8'), false, false), stats);
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    const reads = events.filter((e) => e.action === 'SELECT');
    expect(reads.map((e) => [e.table, e.rows, e.function_rows])).toEqual([
      ['public.h101_narrow', 200000, undefined],
      ['public.h101_narrow', 50000, undefined],
      ['public.h101_wide', 50000, undefined],
      ['public.h101_docs', 20000, undefined],
      ['public.h101_docs', 20000, undefined],
    ]);
    // Before: 20,000,000 bytes for the first (psql received 2,633,345), 2,000,000 for each search (108,894 and 348,894).
    expect(reads.map((e) => e.bytes)).toEqual([200000, 50000, 50000, 20000, 20000].map((rows, i) => Math.round(rows * widthOf(String(reads[i].table)))));
  });

  it.each([
    ['SELECT * FROM one_row o CROSS JOIN LATERAL (SELECT o.id * 2) x', false],
    ['SELECT * FROM one_row o LEFT JOIN LATERAL (SELECT 1) x ON true', false],
    ["SELECT * FROM docs d JOIN plainto_tsquery('x') q ON d.tsv @@ q", false],
    ['SELECT * FROM one_row o JOIN LATERAL lateral_rows(o.id) r ON true', true],
  ])('%s -> %s', (sql, expected) => {
    expect(readsFunctionRows(sql)).toBe(expected);
  });
});

describe('postgres: a DO block looping FOR over a bound cursor it never OPENs (helper-101 capture, function-rows/do-for-loop.json)', () => {
  const dir = path.join(FIXTURE_DIR, 'function-rows');
  const stats = JSON.parse(fs.readFileSync(path.join(dir, 'stats.json'), 'utf8')) as TableStatsRow[];

  it("is counted on pgaudit's line of the cursor's query (10 rows), not also at the table's whole size", async () => {
    const { events, outcomes } = await decodeRecords('jsonlog', splitRecords(fs.readFileSync(path.join(dir, 'do-for-loop.json'), 'utf8'), false, false), stats);
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(events.map((e) => [e.action, e.table, e.rows])).toEqual([['SELECT', 'public.h101_wide', 10]]);
  });

  it.each([
    ['DO $$ DECLARE c CURSOR FOR SELECT * FROM customers; BEGIN FOR r IN c LOOP END LOOP; END $$', undefined],
    ['DO $$ DECLARE c NO SCROLL CURSOR FOR SELECT * FROM customers; BEGIN OPEN c; END $$', { kind: 'do', tables: ['customers'] }],
    ['DO $$ DECLARE "C" CURSOR FOR SELECT * FROM customers; BEGIN IF false THEN OPEN "C"; END IF; FOR r IN "C" LOOP END LOOP; END $$', { kind: 'do', tables: ['customers'] }],
  ])('%s', (sql, expected) => {
    expect(bodyCursors(sql)).toEqual(expected && { ...expected, flow: expect.any(Object) });
  });
});
