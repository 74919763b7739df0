// Parsing and validating the employee directory: good files in both formats, and every bad line
// reported with its file and line number, all at once, with nothing accepted from a bad file.
import path from 'node:path';
import { isDate, loadDirectoryFile, parseDirectory } from '../../src/directory';

const fixture = (name: string) => path.join(__dirname, '..', 'fixtures', 'directory', name);
const HEADER = 'id,name,department,role,manager,location,timezone,hire_date,notice_date,end_date,account_type';

describe('directory parsing', () => {
  it('reads a good CSV file: quoted fields, empty dates as null, service accounts', () => {
    const parsed = loadDirectoryFile(fixture('good.csv'));
    expect(parsed.errors).toEqual([]);
    expect(parsed.warnings).toEqual([]);
    expect(parsed.entries.map((e) => e.id)).toEqual(['anna.schmidt@corp.example', 'ben.patel@corp.example', 'chloe.nguyen@corp.example', 'svc-etl-orders']);
    expect(parsed.entries[2]).toEqual({
      id: 'chloe.nguyen@corp.example',
      name: 'Nguyen, Chloe',
      department: 'Finance',
      role: 'accountant',
      manager: 'ben.patel@corp.example',
      location: 'New York',
      timezone: 'America/New_York',
      hire_date: '2024-11-04',
      notice_date: '2025-01-10',
      end_date: '2025-02-28',
      account_type: 'human',
    });
    expect(parsed.entries[0].notice_date).toBeNull();
    expect(parsed.entries[3].account_type).toBe('service');
    expect(parsed.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reports every bad line with its line number, in file order, and accepts nothing from the file', () => {
    const file = fixture('bad.csv');
    const parsed = loadDirectoryFile(file);
    expect(parsed.entries).toEqual([]);
    expect(parsed.errors).toEqual([
      `${file}:3: hire_date "2024-13-01" is not a date (expected YYYY-MM-DD)`,
      `${file}:4: id is required`,
      `${file}:5: department is required`,
      `${file}:6: account_type "robot" is not one of human, service`,
      `${file}:7: duplicate id "anna.schmidt@corp.example" (first at ${file}:2)`,
      `${file}:8: timezone "Mars/Olympus" is not a known time zone (expected e.g. Europe/London)`,
      `${file}:8: hire_date "2021-02-30" is not a date (expected YYYY-MM-DD)`,
      `${file}:9: end_date 2022-05-15 is before notice_date 2022-06-01`,
      `${file}:10: 3 fields, the header has 11`,
      // A quoted line break inside the id: reported at the line where the record starts.
      `${file}:11: id "isha\npatel@corp.example" contains white space`,
    ]);
  });

  it('checks the header: required columns, duplicates; unknown columns are only a warning', () => {
    const missing = parseDirectory('id,name,department\na,A,D\n', { source: 'dir.csv' });
    expect(missing.errors).toEqual([`dir.csv:1: header lacks the required columns "role", "account_type" (expected: ${HEADER})`]);
    const twice = parseDirectory('id,department,role,account_type,role\na,D,r,human,r\n', { source: 'dir.csv' });
    expect(twice.errors).toEqual(['dir.csv:1: column "role" appears twice in the header']);
    const extra = parseDirectory('ID, Department ,role,account_type,cost_centre\na,D,r,human,42\n', { source: 'dir.csv' });
    expect(extra.errors).toEqual([]);
    expect(extra.warnings).toEqual(['dir.csv:1: unknown column "cost_centre" is ignored']);
    expect(extra.entries[0]).toMatchObject({ id: 'a', department: 'D', role: 'r', name: '', hire_date: null });
  });

  it('warns, without failing, about a manager who is not in the directory', () => {
    const parsed = parseDirectory(`${HEADER}\na,A,D,r,boss,,,,,,human\nb,B,D,r,a,,,,,,human\nc,C,D,r,c,,,,,,human\n`, { source: 'dir.csv' });
    expect(parsed.errors).toEqual([]);
    expect(parsed.entries).toHaveLength(3);
    expect(parsed.warnings).toEqual(['dir.csv:2: manager "boss" is not in the directory', 'dir.csv:4: "c" is their own manager']);
  });

  it('refuses empty files, a header alone, and broken CSV with the line', () => {
    expect(parseDirectory('', { source: 'dir.csv' }).errors).toEqual([`dir.csv: empty file (expected a header line: ${HEADER})`]);
    expect(parseDirectory(`${HEADER}\n`, { source: 'dir.csv' }).errors).toEqual(['dir.csv: no entries']);
    const broken = parseDirectory(`${HEADER}\na,"A,D,r,,,,,,,human\n`, { source: 'dir.csv' });
    expect(broken.errors).toHaveLength(1);
    expect(broken.errors[0]).toMatch(/^dir\.csv:\d+: not valid CSV: /);
  });

  it('handles a byte-order mark, CRLF line ends and blank lines', () => {
    const parsed = parseDirectory(`\uFEFF${HEADER}\r\na,A,D,r,,,,2020-01-01,,,human\r\n\r\nb,B,D,r,,,,13/01/2020,,,human\r\n`, { source: 'dir.csv' });
    expect(parsed.errors).toEqual(['dir.csv:4: hire_date "13/01/2020" is not a date (expected YYYY-MM-DD)']);
  });

  it('reads the JSON form, reporting entries by number', () => {
    const good = loadDirectoryFile(fixture('good.json'));
    expect(good.errors).toEqual([]);
    expect(good.entries.map((e) => [e.id, e.account_type, e.hire_date, e.notice_date])).toEqual([
      ['anna.schmidt@corp.example', 'human', '2021-03-15', null],
      ['svc-etl-orders', 'service', null, null],
    ]);
    const bad = parseDirectory('[{"id":"a","department":"D","role":"r","account_type":"human","hire_date":20210101}, 5]', { source: 'dir.json', format: 'json' });
    expect(bad.errors).toEqual(['dir.json: entry 1: hire_date must be a string, got number', 'dir.json: entry 2: expected an object']);
    expect(parseDirectory('{"id":"a"}', { source: 'dir.json', format: 'json' }).errors).toEqual(['dir.json: expected a JSON array of entries']);
  });

  it('gives the same checksum for the same people in another order, another for a change', () => {
    const a = parseDirectory(`${HEADER}\na,A,D,r,,,,,,,human\nb,B,D,r,,,,,,,human\n`);
    const b = parseDirectory(`${HEADER}\nb,B,D,r,,,,,,,human\na,A,D,r,,,,,,,human\n`);
    const c = parseDirectory(`${HEADER}\na,A,D,r,,,,,,,human\nb,B,E,r,,,,,,,human\n`);
    expect(a.checksum).toBe(b.checksum);
    expect(a.checksum).not.toBe(c.checksum);
  });

  it('knows a date when it sees one', () => {
    expect(isDate('2024-02-29')).toBe(true);
    expect(isDate('2023-02-29')).toBe(false);
    expect(isDate('2024-1-01')).toBe(false);
    expect(isDate('2024-01-01T00:00:00Z')).toBe(false);
    const early = parseDirectory(`${HEADER}\na,A,D,r,,,,1969-12-31,,,human\n`, { source: 'dir.csv' });
    expect(early.errors).toEqual(['dir.csv:2: hire_date 1969-12-31 is out of range (1970-01-01 .. 2105-12-31)']);
  });
});
