// The mariadb format against reads that fail while they send their rows (an export that ends on an error
// at its last row on purpose), captured from the real 10.11 (2026-12-07, helper-108):
// test/fixtures/mariadb/failed-while-sending/, table h108_db.h108_t of 100,000 rows, as h108_user.
//   thread 21, 22  `(SELECT 1 UNION SELECT 2 FROM DUAL WHERE h108_t.id = 100000)` in the select list: error
//                  1242 at the last row; `mariadb --quick` printed 6,377,740 bytes. Rows_sent 99999, Bytes_sent
//                  6,777,968: already counted (status ok, error_code).
//   thread 23, 24  `h108_chk(id)`, a function that SIGNALs at id 100000: error 1644; --quick printed 6,377,740
//                  bytes. Rows_sent: 18446744073709551614 (-2 read unsigned), Bytes_sent 6,777,945: the record
//                  was dead-lettered (number_too_large) and the read never counted.
//   thread 25      the same read without the error: Bytes_sent 6,778,002.
//   thread 26      SELECT * FROM mysql.user: denied (1142), Bytes_sent 91.
//   thread 28      a function that does not exist (1305), Bytes_sent 55.
//   thread 29      SIGNAL at row 50,001: --quick printed 3,177,740 bytes; Rows_sent wrapped, Bytes_sent 3,377,945.
//   thread 31      SIGNAL at the first row: Rows_sent 0, Bytes_sent 227 (column definitions, the error).
import fs from 'node:fs';
import path from 'node:path';
import { splitRecords } from '../../src/sources/framing';
import { RECORD_START } from '../../src/sources/mariadb';
import { FIXTURE_DIR, decodeRecords, type FixtureEvent } from '../fixtures/mariadb/decode';

const DIR = path.join(FIXTURE_DIR, 'failed-while-sending');
const slow = splitRecords(fs.readFileSync(path.join(DIR, 'slow.log'), 'utf8'), RECORD_START);
const audit = fs.readFileSync(path.join(DIR, 'audit.log'), 'utf8').split('\n').filter((l) => l !== '');

describe.each(['slow-first', 'audit-first'])('mariadb, a read that fails while it sends its rows (%s)', (order) => {
  let events: FixtureEvent[];
  beforeAll(async () => {
    const d = await decodeRecords(order === 'slow-first' ? [...slow, ...audit] : [...audit, ...slow]);
    expect(d.outcomes.filter((o) => !o.ok)).toEqual([]);
    events = d.events;
  });
  /** A statement's bytes, status and error code: its events' sum (bytes are on its first table's event). */
  const of = (thread: string) => {
    const list = events.filter((e) => e.session_id === thread);
    return { bytes: list.reduce((s, e) => s + e.bytes, 0), status: [...new Set(list.map((e) => e.status))], error_code: list[0]?.error_code, tables: list.map((e) => `${e.database}.${e.table}`) };
  };

  it('a function that SIGNALs at the last row (Rows_sent written as -2): its Bytes_sent counted, as data moved', () => {
    for (const thread of ['23', '24']) {
      expect(of(thread)).toMatchObject({ bytes: 6777945, status: ['ok'], error_code: 1644 });
      expect(of(thread).tables).toContain('h108_db.h108_t');
    }
    const [first] = events.filter((e) => e.session_id === '23');
    expect(first).toMatchObject({ failed_while_sending: true, counters_wrapped: { Rows_sent: '18446744073709551614' }, bytes_estimated: false, rows: 0 });
    expect(of('29')).toMatchObject({ bytes: 3377945, status: ['ok'], error_code: 1644 });
  });

  it('a subquery of two rows at the last row: counted as before', () => {
    expect(of('21')).toMatchObject({ bytes: 6777968, status: ['ok'], error_code: 1242 });
    expect(of('25')).toMatchObject({ bytes: 6778002, status: ['ok'] });
  });

  it('errors before any row was sent still count nothing (denied, no such function, SIGNAL at the first row)', () => {
    expect(of('26')).toMatchObject({ bytes: 0, status: ['error'], error_code: 1142 });
    expect(of('28')).toMatchObject({ bytes: 0, status: ['error'], error_code: 1305 });
    expect(of('31')).toMatchObject({ bytes: 0, status: ['error'], error_code: 1644 });
  });
});
