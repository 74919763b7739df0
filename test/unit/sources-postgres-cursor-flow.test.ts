// A DO block's or CALLed procedure's cursor (pgaudit 1.7 logs neither its query nor its FETCHes) is
// counted only when the body can send its rows out of pgaudit's sight: lines the real server wrote
// (test/fixtures/postgres/cursor-flow/, `scripts/capture-postgres-fixtures.ts --cursor-flow`, cases in
// test/fixtures/postgres/cursor-flow.ts; cases.json's sentBytes: what reached the client).
import fs from 'node:fs';
import path from 'node:path';
import { splitRecords } from '../../src/sources/framing';
import { cursorFlow } from '../../src/sources/postgres/plpgsql-flow';
import type { TableStatsRow } from '../../src/sources/postgres/table-stats';
import { FIXTURE_DIR, FIXTURE_FILES, decodeRecords, type Destination } from '../fixtures/postgres/decode';
import type { FlowCase } from '../fixtures/postgres/cursor-flow';
import { CUSTOMERS } from '../fixtures/postgres/scenario';

const DIR = path.join(FIXTURE_DIR, 'cursor-flow');
const { cases } = JSON.parse(fs.readFileSync(path.join(DIR, 'cases.json'), 'utf8')) as { cases: FlowCase[] };
const STATS = JSON.parse(fs.readFileSync(path.join(DIR, 'stats.json'), 'utf8')) as TableStatsRow[];
const DESTINATIONS: Destination[] = ['jsonlog', 'csvlog', 'stderr'];
const records = (destination: Destination) => splitRecords(fs.readFileSync(path.join(DIR, FIXTURE_FILES[destination]), 'utf8'), destination !== 'jsonlog', destination === 'csvlog');
const customersBytes = (rows: number) => rows * STATS.find((r) => r.table_name === 'public.customers')!.column_widths.reduce((sum, w) => sum + w + 1, 0);
const shape = (e: { user: string; identity?: unknown; action: string; table?: unknown; rows?: unknown; status?: unknown }) => ({ user: e.user, identity: e.identity ?? '', action: e.action, table: e.table, rows: e.rows, status: e.status });
/** The events the cursors give: pgaudit's own lines (the writes, a closed cursor's query) are other actions. */
const CURSOR_ACTIONS = new Set(['DO', 'CALL', 'FETCH']);

describe.each(DESTINATIONS)('postgres %s, what a DO block or procedure does with its cursor\'s rows, captured from the real server', (destination) => {
  let decoded: Awaited<ReturnType<typeof decodeRecords>>;
  beforeAll(async () => {
    decoded = await decodeRecords(destination, records(destination), STATS);
  });
  const cursorEvents = (name: string) => decoded.events.filter((e) => e.client_app === `case-${name}` && CURSOR_ACTIONS.has(e.action));

  it.each(['raise-debug', 'raise-exception', 'accumulate-error', 'pg-notify', 'set-config', 'execute-notify', 'branch-bits', 'procedure-inout', 'temp-trigger'])(
    'a channel that carries the rows out (%s): the cursor\'s table at its size',
    (name) => {
      const c = cases.find((x) => x.name === name)!;
      const got = cursorEvents(name);
      expect(got.map(shape)).toEqual(c.expected.map(shape));
      expect(got[0].bytes).toBeCloseTo(customersBytes(CUSTOMERS), -1);
    },
  );

  it('two FETCHes without a loop, sent by RAISE: two rows, not the table', () => {
    const got = cursorEvents('fetch-two');
    expect(got.map(shape)).toEqual(cases.find((x) => x.name === 'fetch-two')!.expected.map(shape));
    expect(got[0].bytes).toBeCloseTo(customersBytes(2), -1);
  });

  it.each(['migration-update', 'migration-archive', 'fetch-one-close', 'procedure-migration'])('a migration that only writes the rows back, or never sends them (%s): no read of the table', (name) => {
    expect(cursorEvents(name)).toEqual([]);
    // What the session read is what pgaudit logged: a few rows, not customers' 3,000.
    const read = decoded.events.filter((e) => e.client_app === `case-${name}`).reduce((sum, e) => sum + e.bytes, 0);
    expect(read).toBeLessThan(customersBytes(10));
  });

  it('a cursor the block leaves open, FETCHed by the client after it: the FETCH counts its rows on the block\'s table', () => {
    expect(cursorEvents('left-open').map(shape)).toEqual(cases.find((x) => x.name === 'left-open')!.expected.map(shape));
  });

  it('nothing is dead-lettered', () => {
    expect(decoded.outcomes.flatMap((o, i) => (o.ok ? [] : [`${o.code} <- ${decoded.records[i].slice(0, 100)}`]))).toEqual([]);
  });
});

describe('the session\'s trigger is what makes the block\'s inserts count', () => {
  it('without its CREATE TRIGGER line the same block, which only inserts, is not counted', async () => {
    const { events } = await decodeRecords('jsonlog', records('jsonlog').filter((r) => !r.includes('statement: CREATE TRIGGER')), STATS);
    expect(events.filter((e) => e.client_app === 'case-temp-trigger' && e.action === 'DO')).toEqual([]);
  });
});

describe('cursorFlow: what a body sends of its cursor\'s rows', () => {
  const loop = (use: string, decl = '') => `DECLARE c refcursor; r record;${decl} BEGIN OPEN c FOR SELECT * FROM customers; LOOP FETCH c INTO r; EXIT WHEN NOT FOUND; ${use} END LOOP; END`;

  it.each([
    ['ASSERT with a row in its message', loop("ASSERT r.id < 0, r::text;")],
    ['SQLERRM of a caught error', loop("BEGIN PERFORM r.name::int; EXCEPTION WHEN others THEN RAISE NOTICE '%', SQLERRM; END;")],
    ['a function of the user\'s', loop('PERFORM rx_own.keep(r.id);')],
    ['a function without schema that is not a known built-in', loop('PERFORM keep(r.id);')],
    ['dblink', loop("PERFORM dblink_exec('dbname=x', 'SELECT 1');")],
    ['CALL of another procedure', loop('CALL rx_own.keep(r.id);')],
    ['a CREATE in the body (a trigger made on the spot)', `${loop('INSERT INTO sink VALUES (r::text);')}`.replace('BEGIN', "BEGIN CREATE TRIGGER t BEFORE INSERT ON sink FOR EACH ROW EXECUTE FUNCTION tell();")],
    ['rows gathered through two variables, then written', loop('u := t || r::text; t := u;', " t text := ''; u text;").replace(/END$/, 'INSERT INTO archive VALUES (1, t); END')],
    ['rows gathered in an array', loop('a := array_append(a, r.email);', ' a text[];').replace(/END$/, "UPDATE archive SET email = array_to_string(a, ',') WHERE id = 1; END")],
    ['rows gathered into one row of a table', loop('UPDATE archive SET email = email || r.email WHERE id = 1;')],
    ['rows gathered into one row by an upsert', loop('INSERT INTO archive VALUES (1, r.email) ON CONFLICT (id) DO UPDATE SET email = archive.email || EXCLUDED.email;')],
    ['a row written to a table, read back gathered and raised', loop('INSERT INTO tmp VALUES (r::text);', ' v text;').replace(/END$/, "SELECT string_agg(x, ',') INTO v FROM tmp; RAISE NOTICE '%', v; END")],
    ['a loop whose turns a value decides', loop("FOR i IN 1 .. length(r.name) LOOP RAISE NOTICE '.'; END LOOP;")],
    ['EXIT WHEN on a value, a notice after', loop("EXIT WHEN r.id > 7; RAISE NOTICE 'x';")],
    ['a row in a nested block\'s declaration', loop("DECLARE v text := r.email; BEGIN RAISE NOTICE '%', v; END;")],
    ['a MOVE to the end, the rows sent by a function of the cursor\'s query', "DECLARE c refcursor; BEGIN OPEN c FOR SELECT pg_notify('x', t::text) FROM customers t; MOVE LAST IN c; END"],
  ])('counts the whole table: %s', (_, body) => {
    expect(cursorFlow(body, ['c']).rows).toBe('all');
  });

  it('a procedure\'s INOUT parameter, named, by ALIAS or by position', () => {
    expect(cursorFlow(loop('acc := acc || r::text;'), ['c'], ['acc']).rows).toBe('all');
    expect(cursorFlow(loop('a := a || r::text;', ' a ALIAS FOR $1;'), ['c'], ['']).rows).toBe('all');
    // A counter returned through it sends no row.
    expect(cursorFlow(loop('n := n + 1;'), ['c'], ['n']).rows).toBe(0);
  });

  it.each([
    ['an UPDATE per row and a counter in a notice', loop('UPDATE customers SET email = lower(r.email) WHERE id = r.id; n := n + 1;', ' n int := 0;').replace(/END$/, "RAISE NOTICE 'done: %', n; END")],
    ['an upsert per row', loop('INSERT INTO archive VALUES (r.id, r.email) ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, id = r.id;')],
    ['a WITH ... INSERT per row', loop('WITH x AS (SELECT r.id AS id) INSERT INTO archive SELECT id, NULL FROM x;')],
    ['a DELETE per row, a branch on the table\'s size', loop("DELETE FROM archive WHERE id = r.id; GET DIAGNOSTICS k = ROW_COUNT; n := n + k;", ' n int := 0; k int;').replace(/END$/, "IF n > 0 THEN RAISE NOTICE 'deleted %', n; END IF; END")],
    ['a cursor opened and never read', 'DECLARE c refcursor; BEGIN OPEN c FOR SELECT * FROM customers; END'],
  ])('counts nothing: %s', (_, body) => {
    expect(cursorFlow(body, ['c'])).toEqual({ rows: 0, rowsIfWritesSend: expect.anything() });
  });

  it('writes count when the session made a trigger or rule (rowsIfWritesSend), not a notice of a counter', () => {
    expect(cursorFlow(loop('INSERT INTO archive VALUES (r.id, r.email);'), ['c'])).toEqual({ rows: 0, rowsIfWritesSend: 'all' });
    expect(cursorFlow(loop("n := n + 1; RAISE NOTICE '%', n;", ' n int := 0;'), ['c'])).toEqual({ rows: 0, rowsIfWritesSend: 0 });
  });

  it('without a loop, one row per FETCH', () => {
    expect(cursorFlow("DECLARE c refcursor; r record; BEGIN OPEN c FOR SELECT * FROM customers; FETCH c INTO r; FETCH LAST FROM c INTO r; FETCH c INTO r; RAISE NOTICE '%', r; CLOSE c; END", ['c']).rows).toBe(3);
  });

  it.each(['', ';;;', 'BEGIN', 'END LOOP END IF ( ( [', "DECLARE c CURSOR (k int FOR SELECT 'x", 'x := := ; INTO INTO , ; FOR IN LOOP', '<<a>> <<', '$1 := $'])('does not throw on a broken body: %j', (body) => {
    expect(() => cursorFlow(body, ['c'], [''])).not.toThrow();
  });
});
