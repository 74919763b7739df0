// Reads and validates an employee directory (CSV with a header line, or a JSON array of objects). Every
// problem is reported with its file and line ("directory.csv:17: hire_date ..."), all of them at once;
// a file with any error yields no entries, so a half-valid directory is never loaded.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseCsv, CsvError } from 'csv-parse/sync';

export const DIRECTORY_FIELDS = ['id', 'name', 'department', 'role', 'manager', 'location', 'timezone', 'hire_date', 'notice_date', 'end_date', 'account_type'] as const;
export const REQUIRED_FIELDS = ['id', 'department', 'role', 'account_type'] as const;
const DATE_FIELDS = ['hire_date', 'notice_date', 'end_date'] as const;
const ACCOUNT_TYPES = ['human', 'service'] as const;
const MAX_LENGTH = 256;
// What a ClickHouse Date holds on every version we support.
const MIN_DATE = '1970-01-01';
const MAX_DATE = '2105-12-31';

export type AccountType = (typeof ACCOUNT_TYPES)[number];

export interface DirectoryEntry {
  id: string;
  name: string;
  department: string;
  role: string;
  /** Another entry's id, or '' */
  manager: string;
  location: string;
  /** IANA time zone name, or '' */
  timezone: string;
  /** YYYY-MM-DD, or null when not known / not applicable. */
  hire_date: string | null;
  notice_date: string | null;
  end_date: string | null;
  account_type: AccountType;
}

export interface ParsedDirectory {
  /** Valid entries, in file order; empty when there is any error. */
  entries: DirectoryEntry[];
  errors: string[];
  warnings: string[];
  /** sha256 of the entries in a canonical form (sorted by id): the same people give the same checksum. */
  checksum: string;
}

/** Reads FILE (.json: a JSON array; anything else: CSV) and validates it. Unreadable files throw. */
export function loadDirectoryFile(file: string): ParsedDirectory {
  const text = fs.readFileSync(file, 'utf8');
  return parseDirectory(text, { source: file, format: path.extname(file).toLowerCase() === '.json' ? 'json' : 'csv' });
}

interface RawRow {
  /** Where the row is, for messages: "directory.csv:17" or "directory.json: entry 3". */
  where: string;
  values: Record<string, unknown>;
  /** Set when the row cannot be read at all (wrong number of fields, not an object). */
  problem?: string;
}

export function parseDirectory(text: string, opts: { source?: string; format?: 'csv' | 'json' } = {}): ParsedDirectory {
  const source = opts.source ?? 'directory';
  const errors: string[] = [];
  const warnings: string[] = [];
  const rows = opts.format === 'json' ? jsonRows(text, source, errors) : csvRows(text, source, errors, warnings);

  const entries: DirectoryEntry[] = [];
  const firstSeen = new Map<string, string>();
  for (const row of rows) {
    if (row.problem !== undefined) {
      errors.push(`${row.where}: ${row.problem}`);
      continue;
    }
    const entry = validateRow(row, errors);
    if (!entry) continue;
    const earlier = firstSeen.get(entry.id);
    if (earlier !== undefined) {
      errors.push(`${row.where}: duplicate id "${entry.id}" (first at ${earlier})`);
      continue;
    }
    firstSeen.set(entry.id, row.where);
    entries.push(entry);
  }
  if (errors.length === 0 && entries.length === 0) errors.push(`${source}: no entries`);
  // A manager outside the file is common (a head of department reporting to the board): a warning only.
  for (const e of entries) {
    const where = firstSeen.get(e.id);
    if (e.manager === e.id) warnings.push(`${where}: "${e.id}" is their own manager`);
    else if (e.manager !== '' && !firstSeen.has(e.manager)) warnings.push(`${where}: manager "${e.manager}" is not in the directory`);
  }
  const valid = errors.length === 0 ? entries : [];
  return { entries: valid, errors, warnings, checksum: checksum(valid) };
}

function csvRows(text: string, source: string, errors: string[], warnings: string[]): RawRow[] {
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    // csv-parse's types do not model `info: true`, which wraps each record with its line number.
    records = parseCsv(text, { bom: true, info: true, relax_column_count: true, skip_empty_lines: true }) as unknown as typeof records;
  } catch (err) {
    if (err instanceof CsvError) {
      const line = (err as CsvError & { lines?: number }).lines;
      errors.push(`${source}${line ? `:${line}` : ''}: not valid CSV: ${err.message}`);
      return [];
    }
    throw err;
  }
  const withLines = records
    // The line a record starts on: csv-parse reports where it ends, which differs for quoted line breaks.
    .map((r) => ({ values: r.record, line: r.info.lines - r.record.reduce((n, v) => n + (v.match(/\n/g)?.length ?? 0), 0) }))
    .filter((r) => r.values.some((v) => v.trim() !== ''));
  if (withLines.length === 0) {
    errors.push(`${source}: empty file (expected a header line: ${DIRECTORY_FIELDS.join(',')})`);
    return [];
  }
  const [header, ...body] = withLines;
  const columns = header.values.map((c) => c.trim().toLowerCase());
  const at = (line: number) => `${source}:${line}`;
  let headerOk = true;
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c)) {
      errors.push(`${at(header.line)}: column "${c}" appears twice in the header`);
      headerOk = false;
    }
    seen.add(c);
    if (!(DIRECTORY_FIELDS as readonly string[]).includes(c)) warnings.push(`${at(header.line)}: unknown column "${c}" is ignored`);
  }
  const missing = REQUIRED_FIELDS.filter((f) => !seen.has(f));
  if (missing.length > 0) {
    errors.push(`${at(header.line)}: header lacks the required column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} (expected: ${DIRECTORY_FIELDS.join(',')})`);
    headerOk = false;
  }
  if (!headerOk) return [];
  const rows: RawRow[] = [];
  for (const r of body) {
    if (r.values.length !== columns.length) {
      rows.push({ where: at(r.line), values: {}, problem: `${r.values.length} field${r.values.length === 1 ? '' : 's'}, the header has ${columns.length}` });
      continue;
    }
    rows.push({ where: at(r.line), values: Object.fromEntries(columns.map((c, i) => [c, r.values[i]])) });
  }
  return rows;
}

function jsonRows(text: string, source: string, errors: string[]): RawRow[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    errors.push(`${source}: not valid JSON: ${(err as Error).message}`);
    return [];
  }
  if (!Array.isArray(doc)) {
    errors.push(`${source}: expected a JSON array of entries`);
    return [];
  }
  const rows: RawRow[] = [];
  doc.forEach((item, i) => {
    const where = `${source}: entry ${i + 1}`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) rows.push({ where, values: {}, problem: 'expected an object' });
    else rows.push({ where, values: item as Record<string, unknown> });
  });
  return rows;
}

function validateRow(row: RawRow, errors: string[]): DirectoryEntry | undefined {
  const before = errors.length;
  const fail = (message: string) => errors.push(`${row.where}: ${message}`);
  const text = (field: string): string => {
    const v = row.values[field];
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') {
      fail(`${field} must be a string, got ${typeof v}`);
      return '';
    }
    const trimmed = v.trim();
    if (trimmed.length > MAX_LENGTH) fail(`${field} is ${trimmed.length} characters long; at most ${MAX_LENGTH}`);
    return trimmed;
  };
  const values = Object.fromEntries(DIRECTORY_FIELDS.map((f) => [f, text(f)])) as Record<(typeof DIRECTORY_FIELDS)[number], string>;
  for (const f of REQUIRED_FIELDS) if (values[f] === '') fail(`${f} is required`);
  if (/\s/.test(values.id)) fail(`id "${values.id}" contains white space`);
  if (values.account_type !== '' && !(ACCOUNT_TYPES as readonly string[]).includes(values.account_type)) {
    fail(`account_type "${values.account_type}" is not one of ${ACCOUNT_TYPES.join(', ')}`);
  }
  if (values.timezone !== '' && !isTimeZone(values.timezone)) fail(`timezone "${values.timezone}" is not a known time zone (expected e.g. Europe/London)`);
  const dates: Partial<Record<(typeof DATE_FIELDS)[number], string>> = {};
  for (const f of DATE_FIELDS) {
    if (values[f] === '') continue;
    if (!isDate(values[f])) fail(`${f} "${values[f]}" is not a date (expected YYYY-MM-DD)`);
    else if (values[f] < MIN_DATE || values[f] > MAX_DATE) fail(`${f} ${values[f]} is out of range (${MIN_DATE} .. ${MAX_DATE})`);
    else dates[f] = values[f];
  }
  // YYYY-MM-DD strings compare in date order.
  if (dates.hire_date && dates.end_date && dates.end_date < dates.hire_date) fail(`end_date ${dates.end_date} is before hire_date ${dates.hire_date}`);
  if (dates.hire_date && dates.notice_date && dates.notice_date < dates.hire_date) fail(`notice_date ${dates.notice_date} is before hire_date ${dates.hire_date}`);
  if (dates.notice_date && dates.end_date && dates.end_date < dates.notice_date) fail(`end_date ${dates.end_date} is before notice_date ${dates.notice_date}`);
  if (errors.length > before) return undefined;
  return {
    ...values,
    hire_date: dates.hire_date ?? null,
    notice_date: dates.notice_date ?? null,
    end_date: dates.end_date ?? null,
    account_type: values.account_type as AccountType,
  };
}

/** A real calendar date in YYYY-MM-DD (2024-02-30 is not). */
export function isDate(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function checksum(entries: DirectoryEntry[]): string {
  const canonical = [...entries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((e) => DIRECTORY_FIELDS.map((f) => e[f]));
  return crypto.createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}
