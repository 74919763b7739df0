// Routines run by sessions that did not make them, and a DO block reading the client's cursor: pgaudit 1.7
// logs nothing of a CALL, nor a routine's cursor's query or FETCHes (lines the real server wrote:
// test/fixtures/postgres/routine-reads/, `scripts/capture-postgres-fixtures.ts --routines`, cases in
// test/fixtures/postgres/routine-reads.ts; routines.json: pg_proc as the statistics collector reads it).
import fs from 'node:fs';
import path from 'node:path';
import type { RoutineRow } from '../../src/sources';
import { splitRecords } from '../../src/sources/framing';
import { postgresFormat } from '../../src/sources/postgres';
import type { TableStatsRow } from '../../src/sources/postgres/table-stats';
import { FIXTURE_DIR, FIXTURE_FILES, decodeRecords, type Destination, type FixtureEvent } from '../fixtures/postgres/decode';
import type { CaseResult } from '../fixtures/postgres/scenario';
import { CUSTOMERS } from '../fixtures/postgres/scenario';

const DIR = path.join(FIXTURE_DIR, 'routine-reads');
const { cases } = JSON.parse(fs.readFileSync(path.join(DIR, 'cases.json'), 'utf8')) as { cases: CaseResult[] };
const STATS = JSON.parse(fs.readFileSync(path.join(DIR, 'stats.json'), 'utf8')) as TableStatsRow[];
const ROUTINES = JSON.parse(fs.readFileSync(path.join(DIR, 'routines.json'), 'utf8')) as RoutineRow[];
const DESTINATIONS: Destination[] = ['jsonlog', 'csvlog', 'stderr'];
const records = (destination: Destination) => splitRecords(fs.readFileSync(path.join(DIR, FIXTURE_FILES[destination]), 'utf8'), destination !== 'jsonlog', destination === 'csvlog');
const customersBytes = STATS.find((r) => r.table_name === 'public.customers')!.column_widths.reduce((sum, w) => sum + w + 1, 0) * CUSTOMERS;
const shape = (e: { user: string; identity?: unknown; action: string; table?: unknown; rows?: unknown; status?: unknown }) => ({ user: e.user, identity: e.identity ?? '', action: e.action, table: e.table, rows: e.rows, status: e.status });
/** The events of reads pgaudit does not see: a cursor counted at its tables, or a read whose bytes are unknown. */
const hidden = (e: FixtureEvent) => e.read_by !== undefined || e.bytes_unknown !== undefined;
const ALL = cases.map((c) => c.name);

describe.each(DESTINATIONS)('postgres %s, routines run by other sessions, captured from the real server', (destination) => {
  let withCatalog: FixtureEvent[];
  let logOnly: FixtureEvent[];
  beforeAll(async () => {
    const both = await decodeRecords(destination, records(destination), STATS, ROUTINES);
    expect(both.outcomes.flatMap((o, i) => (o.ok ? [] : [`${o.code} <- ${records(destination)[i].slice(0, 100)}`]))).toEqual([]);
    withCatalog = both.events;
    logOnly = (await decodeRecords(destination, records(destination), STATS)).events;
  });
  const of = (events: FixtureEvent[], name: string) => events.filter((e) => e.client_app === `case-${name}` && hidden(e));

  it.each(ALL)('with the catalog read: %s', (name) => {
    const c = cases.find((x) => x.name === name)!;
    const got = of(withCatalog, name);
    expect(got.map(shape)).toEqual(c.expected.map(shape));
    for (const e of got) expect(e.bytes).toBeCloseTo(customersBytes, -2);
  });

  it.each(['call-other-session', 'call-path', 'twin-path', 'select-function', 'select-function-from', 'select-counter', 'same-session-function', 'do-fetch-declared', 'do-fetch-declared-count', 'do-fetch-undeclared-variable', 'call-write-only', 'call-missing'])(
    'from the log alone (no catalog), the same: %s',
    (name) => {
      expect(of(logOnly, name).map(shape)).toEqual(cases.find((x) => x.name === name)!.expected.map(shape));
    },
  );

  it('from the log alone, a CALL of a procedure made before logging that pgaudit logged nothing of is an unmeasured read, not a read of nothing', () => {
    for (const name of ['call-before-logging', 'call-quiet']) {
      const got = of(logOnly, name);
      expect(got.map((e) => [e.action, e.table, e.bytes, e.status])).toEqual([['CALL', '', 0, 'ok']]);
      expect(String(got[0].bytes_unknown)).toMatch(/^CALL of pre_/);
    }
  });

  it('from the log alone, a function made before logging is not known: counted as pgaudit logged it (one row, no table)', () => {
    expect(of(logOnly, 'select-before-logging')).toEqual([]);
  });

  it('the catalog alone knows the routines another session made (their CREATE lines dropped)', async () => {
    const { events } = await decodeRecords(destination, records(destination).filter((r) => !/statement: CREATE (PROCEDURE|FUNCTION)/.test(r)), STATS, ROUTINES);
    for (const name of ['call-other-session', 'call-path', 'select-function', 'twin-path']) expect(of(events, name).map(shape)).toEqual(cases.find((x) => x.name === name)!.expected.map(shape));
  });
});

describe('CALL and function calls resolved by name and search_path (no real lines needed)', () => {
  const decoder = postgresFormat.create({ destination: 'jsonlog', server: 'pg' }, 't');
  let attrs = new Map<string, Map<string, string>>();
  const ctx = {
    limits: { maxMessageBytes: 1 << 20, maxFutureSkewMs: 1e12 },
    now: Date.UTC(2030, 0, 1),
    session: (_: string, id: string) => (attrs.has(id) ? { identity: '', method: '', copies: new Set<string>(), attrs: attrs.get(id)! } : undefined),
    tableStats: (_s: string, _d: string, table: string) => (table.endsWith('customers') ? { table: 'public.customers', rowBytes: 100, rows: 1000, readAt: 0, columnsBytes: () => undefined } : undefined),
  };
  let line = 0;
  const decode = (session: string, message: string, severity = 'LOG', extra: Record<string, unknown> = {}) => {
    const rec = { timestamp: '2026-12-07 10:00:00.000 UTC', user: 'eve', dbname: 'db', session_id: session, line_num: ++line, error_severity: severity, message, application_name: 'x', ...extra };
    const r = decoder.decode({ value: Buffer.from(JSON.stringify(rec)), topic: 't', partition: 0, offset: String(line) }, ctx);
    if (r.facts) for (const f of r.facts) if (f.kind === 'attr') (attrs.get(f.sessionId) ?? attrs.set(f.sessionId, new Map()).get(f.sessionId)!).set(f.name, f.value);
    return r;
  };
  const events = (r: ReturnType<typeof decode>) => (r.ok ? r.events.map((e) => e.event) : []);
  const leak = "LANGUAGE plpgsql AS $$ DECLARE c refcursor; r record; BEGIN OPEN c FOR SELECT * FROM customers; LOOP FETCH c INTO r; EXIT WHEN NOT FOUND; RAISE NOTICE '%', r; END LOOP; END $$";
  beforeEach(() => {
    attrs = new Map();
  });

  it('a procedure another session made, replaced by one that only writes: its CALLs count no more', () => {
    decode('a.1', `statement: CREATE PROCEDURE leak() ${leak}`);
    expect(events(decode('b.1', 'statement: CALL leak()')).map((e) => e.table_name)).toEqual(['public.customers']);
    decode('a.1', "statement: CREATE OR REPLACE PROCEDURE leak() LANGUAGE plpgsql AS $$ BEGIN INSERT INTO t VALUES (1); END $$");
    expect(events(decode('c.1', 'statement: CALL leak()'))).toEqual([]);
  });

  it('GRANT, DROP and COMMENT name a function without running it', () => {
    decode('a.1', `statement: CREATE FUNCTION f() RETURNS void ${leak}`);
    for (const s of ['GRANT EXECUTE ON FUNCTION f() TO bob', 'DROP FUNCTION f()', "COMMENT ON FUNCTION f() IS 'x'"]) expect(events(decode('b.1', `statement: ${s}`))).toEqual([]);
    expect(events(decode('b.1', 'statement: DO $$ BEGIN PERFORM f(); END $$')).map((e) => e.action)).toEqual(['DO']);
  });

  it('an unknown CALL: pgaudit\'s line after it settles it; the next statement, or the session\'s end, makes it an unmeasured read', () => {
    decode('s.1', 'statement: CALL tidy()');
    decode('s.1', 'AUDIT: SESSION,1,1,WRITE,UPDATE,TABLE,public.t,UPDATE t SET a = 1,<not logged>,1');
    expect(events(decode('s.1', 'statement: SELECT 1'))).toEqual([]);
    decode('s.1', 'statement: CALL hide()');
    const next = events(decode('s.1', 'statement: SELECT 2'));
    expect(next.map((e) => [e.action, e.bytes])).toEqual([['CALL', 0]]);
    expect(next[0].extra).toContain('bytes_unknown');
    decode('s.1', 'statement: CALL hide()');
    expect(events(decode('s.1', 'disconnection: session time: 0:00:00.017 user=eve database=db host=127.0.0.1 port=1')).map((e) => e.action)).toEqual(['CALL']);
    // A CALL that failed for want of the procedure ran nothing; one the procedure's own RAISE EXCEPTION ended may have sent rows.
    decode('s.1', 'statement: CALL nope()');
    decode('s.1', 'procedure nope() does not exist', 'ERROR', { state_code: '42883', statement: 'CALL nope()' });
    expect(events(decode('s.1', 'statement: SELECT 3'))).toEqual([]);
    decode('s.1', 'statement: CALL boom()');
    decode('s.1', '(1,alice)', 'ERROR', { state_code: 'P0001', statement: 'CALL boom()' });
    expect(events(decode('s.1', 'statement: SELECT 4')).map((e) => e.action)).toEqual(['CALL']);
  });

  it.each(['CALL', 'CALL (', 'CALL a.b.c.d()', 'SELECT f(((', "DO $$ DECLARE k refcursor := 'c'; BEGIN FETCH k INTO; MOVE $$", 'DO $$ FETCH $$', "CREATE FUNCTION (x) AS 'y'"])('does not throw on %j', (text) => {
    decode('a.1', `statement: CREATE FUNCTION f() RETURNS void ${leak}`);
    expect(() => decode('z.1', `statement: ${text}`)).not.toThrow();
  });
});
