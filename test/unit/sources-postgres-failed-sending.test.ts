// The postgres format against reads that fail while they run, after they sent their rows (an export that
// ends on an error at its last row on purpose), captured from the real 15 + pgaudit 1.7 (2026-12-07,
// helper-108): test/fixtures/postgres/failed-while-sending/, table public.h108_t of 100,000 rows.
// `SELECT *, 1/(CASE WHEN id = (SELECT max(id) FROM h108_t) THEN 0 ELSE 1 END) AS x FROM h108_t`:
//   h108-stream  node-postgres, rows as they come: 99,999 rows, 8,277,872 bytes on the wire, then the error
//   h108-plain   psql (libpq keeps the result until it is whole): 0 bytes printed, the same rows sent
//   h108-copy    COPY (that query) TO STDOUT through psql: 6,377,724 bytes printed (whole: 6,377,790)
//   h108-fetch   psql with FETCH_COUNT 1000: 7,011,140 bytes printed; the FETCHes counted as they arrive
//   h108-early   the error at the first row (ORDER BY id): nothing sent; the log reads the same
//   h108-denied  SELECT * FROM pg_authid: permission denied (42501), nothing ran
// pgaudit logs nothing of a failed statement; PostgreSQL logs its statement and ERROR (SQLSTATE 22012).
import fs from 'node:fs';
import path from 'node:path';
import { splitRecords } from '../../src/sources/framing';
import type { TableStatsRow } from '../../src/sources/postgres/table-stats';
import { FIXTURE_DIR, FIXTURE_FILES, decodeRecords, type Destination } from '../fixtures/postgres/decode';

const DIR = path.join(FIXTURE_DIR, 'failed-while-sending');
const STATS = JSON.parse(fs.readFileSync(path.join(DIR, 'stats.json'), 'utf8')) as TableStatsRow[];
const decode = (destination: Destination) =>
  decodeRecords(destination, splitRecords(fs.readFileSync(path.join(DIR, FIXTURE_FILES[destination]), 'utf8'), destination !== 'jsonlog', destination === 'csvlog'), STATS);
/** The table at its size from the captured statistics: what the successful read counts. */
const TABLE_BYTES = 6087129;

describe.each(['jsonlog', 'csvlog'] as Destination[])('postgres %s: a read that fails while it sends its rows', (destination) => {
  let events: Array<Record<string, unknown>>;
  beforeAll(async () => {
    const d = await decode(destination);
    expect(d.outcomes.every((o) => o.ok)).toBe(true);
    events = d.events;
  });
  const of = (app: string) => events.filter((e) => e.client_app === app);

  it.each(['h108-stream', 'h108-plain', 'h108-copy'])('%s: counts the table at its size (an upper bound, estimated), as data moved, the error kept', (app) => {
    const [e, ...more] = of(app);
    expect(more).toEqual([]);
    expect(e).toMatchObject({ table: 'public.h108_t', status: 'ok', bytes: TABLE_BYTES, rows: 100000, bytes_estimated: true, failed_while_sending: true, error: 'division by zero', sqlstate: '22012' });
    expect(e.rows_from).toMatch(/^reltuples \(an upper bound/);
  });

  it('counts as much as the same read that succeeded', () => {
    expect(of('h108-ok').map((e) => [e.status, e.bytes])).toEqual([['ok', TABLE_BYTES]]);
  });

  it('a cursor read (FETCH_COUNT): its FETCHes counted as they arrived, the failed FETCH not again', () => {
    const fetches = of('h108-fetch').filter((e) => e.action === 'FETCH');
    expect(fetches.filter((e) => e.status === 'ok').reduce((s, e) => s + (e.rows as number), 0)).toBe(100000);
    expect(fetches.filter((e) => e.status === 'error').map((e) => e.bytes)).toEqual([0]);
  });

  it('a read refused before it ran (permission denied) still counts nothing', () => {
    expect(of('h108-denied').map((e) => [e.status, e.bytes, e.sqlstate])).toEqual([['error', 0, '42501']]);
  });

  it('the cost: an error at the first row reads the same in the log, and counts the table too', () => {
    expect(of('h108-early').map((e) => [e.status, e.bytes])).toEqual([['ok', TABLE_BYTES]]);
  });
});

describe('postgres jsonlog: the failures a client does not choose count nothing, as before', () => {
  it.each([
    ['57014', 'canceling statement due to statement timeout (or Ctrl-C)'],
    ['40001', 'could not serialize access (an application retries)'],
    ['53200', 'out of memory'],
  ])('%s (%s): an error of no bytes', async (state) => {
    // The real lines, their SQLSTATE changed: what is judged is the class, the lines are the server's.
    const text = fs.readFileSync(path.join(DIR, FIXTURE_FILES.jsonlog), 'utf8').replaceAll('"state_code":"22012"', `"state_code":"${state}"`);
    const d = await decodeRecords('jsonlog', splitRecords(text, false, false), STATS);
    const stream = d.events.filter((e) => e.client_app === 'h108-stream');
    expect(stream.map((e) => [e.status, e.bytes, e.sqlstate])).toEqual([['error', 0, state]]);
  });
});

describe('postgres stderr: a read that fails while it sends its rows', () => {
  it('is still an error of no bytes: the STATEMENT line carries no SQLSTATE (a known gap)', async () => {
    const { events } = await decode('stderr');
    expect(events.filter((e) => e.client_app === 'h108-stream').map((e) => [e.status, e.bytes])).toEqual([['error', 0]]);
  });
});
