// Numbers as an analyst reads them in an explanation, and the loading of the table catalog and the
// allowlist: every mistake in those files must name the file, and the line or entry.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadAllowlist } from '../../src/detect/allowlist';
import { loadCatalog } from '../../src/detect/catalog';
import { formatBytes, formatDuration, formatMultiple, formatPercent, ordinalPercentile } from '../../src/format';
import { configErrorOf } from '../helpers/config-error';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'detect-format-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Writes `text` to a new file in the temp directory and returns its path. */
function file(name: string, text: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}


const entry = (over: Record<string, unknown> = {}) => ({ user: 'bob', reason: 'CHG-1234 warehouse migration', from: '2026-10-12T00:00:00Z', until: '2026-10-13T00:00:00Z', ...over });
const allowlistFile = (name: string, entries: unknown[]) => file(name, JSON.stringify({ entries }));

describe('formatBytes', () => {
  it('uses decimal units with 3 significant digits', () => {
    expect([0, 999, 1000, 1234, 1_234_567, 48e6, 310e6, 20.4e9, 425e12].map(formatBytes)).toEqual(['0 B', '999 B', '1 kB', '1.23 kB', '1.23 MB', '48 MB', '310 MB', '20.4 GB', '425 TB']);
  });

  it('rounds within a unit and keeps the sign', () => {
    expect(formatBytes(9.999e6)).toBe('10 MB');
    expect(formatBytes(99_999)).toBe('100 kB');
    // Rounding that reaches 1000 of a unit is the next unit.
    expect(formatBytes(999_999)).toBe('1 MB');
    expect(formatBytes(999_500)).toBe('1 MB');
    expect(formatBytes(999_400)).toBe('999 kB');
    expect(formatBytes(-1500)).toBe('-1.5 kB');
    expect(formatBytes(2e18)).toBe('2000 PB');
    expect(formatBytes(Infinity)).toBe('Infinity');
  });
});

describe('formatDuration', () => {
  it('gives seconds under a minute, minutes under an hour, then hours and two-digit minutes', () => {
    expect([0, 29_000, 59_000, 90_000, 59 * 60_000, 3_600_000, 125 * 60_000].map(formatDuration)).toEqual(['0 s', '29 s', '1 m', '2 m', '59 m', '1 h 00 m', '2 h 05 m']);
  });

  it('rounds to the nearest minute and never goes negative', () => {
    expect(formatDuration(59.5 * 60_000)).toBe('1 h 00 m');
    expect(formatDuration(-5000)).toBe('0 s');
  });
});

describe('formatMultiple and formatPercent', () => {
  it('gives one decimal below 10x and whole numbers from 10x', () => {
    expect([1, 1.04, 2.5, 8.5, 9.94, 10, 425.4].map(formatMultiple)).toEqual(['1x', '1x', '2.5x', '8.5x', '9.9x', '10x', '425x']);
    expect(formatPercent(0.924)).toBe('92%');
  });
});

describe('ordinalPercentile', () => {
  it('names a quantile as a percentile with its English suffix', () => {
    expect([0.99, 0.95, 0.5, 0.91, 0.92, 0.93, 0.01, 0.02, 0.03].map(ordinalPercentile)).toEqual(['99th', '95th', '50th', '91st', '92nd', '93rd', '1st', '2nd', '3rd']);
  });

  it('uses "th" for 11, 12, 13 and keeps a decimal', () => {
    expect([0.11, 0.12, 0.13, 0.995, 0.999].map(ordinalPercentile)).toEqual(['11th', '12th', '13th', '99.5th', '99.9th']);
  });
});

describe('loadCatalog', () => {
  it('classifies tables and whole databases, exact rows first, unknown tables as internal', () => {
    const catalog = loadCatalog(file('catalog.csv', '\uFEFFdatabase,table,sensitivity\ncrm, customers ,pii\ncrm,*,internal\npay,*,payment\npay,fx_rates,public\n'));
    expect(catalog.size).toBe(4);
    expect(['crm.customers', 'crm.orders', 'pay.cards', 'pay.fx_rates', 'hr.salaries'].map((t) => catalog.sensitivity(t))).toEqual(['pii', 'internal', 'payment', 'public', 'internal']);
  });

  it('has no catalog for an empty path: every table is internal', () => {
    expect(loadCatalog('').sensitivity('crm.customers')).toBe('internal');
  });

  it('rejects a bad header at line 1', () => {
    const f = file('bad-header.csv', 'db,table,class\ncrm,customers,pii\n');
    const err = configErrorOf(() => loadCatalog(f));
    expect(err.message).toBe(`${f}:1: the header must be database,table,sensitivity`);
    expect(err.context.file).toBe(f);
  });

  it('reports every bad row at once, each with its line number', () => {
    const f = file('bad-rows.csv', 'database,table,sensitivity\ncrm,customers,pii\ncrm,orders,secret\nhr,salaries\npay,cards,payment\n');
    expect(configErrorOf(() => loadCatalog(f)).message).toBe(
      [`${f}:3: sensitivity "secret" is not one of pii, payment, internal, public`, `${f}:4: expected database,table,sensitivity`].join('\n'),
    );
  });

  it('counts blank lines in the line numbers it reports', () => {
    const f = file('blank-line.csv', 'database,table,sensitivity\ncrm,customers,pii\n\ncrm,x,secret\n');
    expect(configErrorOf(() => loadCatalog(f)).message).toBe(`${f}:4: sensitivity "secret" is not one of pii, payment, internal, public`);
  });

  it('names a file it cannot read', () => {
    const missing = path.join(dir, 'nope.csv');
    expect(configErrorOf(() => loadCatalog(missing)).message).toMatch(new RegExp(`^${missing.replace(/[.\\/]/g, '\\$&')}: cannot read the table catalog`));
  });
});

describe('loadAllowlist', () => {
  it('loads entries with their times and tables, covering [from, until) of the user and tables named', () => {
    const list = loadAllowlist(allowlistFile('ok.json', [entry({ tables: ['dw.orders_snapshot'] }), entry({ user: 'carol', until: '2026-10-12T06:00:00+02:00' })]));
    const from = Date.parse('2026-10-12T00:00:00Z');
    const until = Date.parse('2026-10-13T00:00:00Z');
    expect(list.entries[0]).toMatchObject({ user: 'bob', from, until, tables: new Set(['dw.orders_snapshot']) });
    expect(list.covering('bob', 'dw.orders_snapshot', from)?.reason).toBe('CHG-1234 warehouse migration');
    expect(list.covering('bob', 'dw.orders_snapshot', until)).toBeUndefined();
    expect(list.covering('bob', 'crm.customers', from)).toBeUndefined();
    expect(list.covering('dave', 'dw.orders_snapshot', from)).toBeUndefined();
    // No tables: every table; the offset is honoured (06:00+02:00 is 04:00 UTC).
    expect(list.covering('carol', 'crm.customers', Date.parse('2026-10-12T03:59:59Z'))).toBeDefined();
    expect(list.covering('carol', 'crm.customers', Date.parse('2026-10-12T04:00:00Z'))).toBeUndefined();
  });

  it('requires "until": an allowlist entry always expires', () => {
    const { until: _, ...noUntil } = entry();
    const f = allowlistFile('no-until.json', [entry(), noUntil]);
    expect(configErrorOf(() => loadAllowlist(f)).message).toMatch(new RegExp(`^${f.replace(/[.\\/]/g, '\\$&')}: entries\\.1\\.until: `));
  });

  it('rejects "until" before (or at) "from", naming the entry', () => {
    const before = allowlistFile('before.json', [entry({ until: '2026-10-11T00:00:00Z' })]);
    expect(configErrorOf(() => loadAllowlist(before)).message).toBe(`${before}: entries.0: "until" must be after "from"`);
    // The same instant written in another zone is not after it.
    const same = allowlistFile('same.json', [entry(), entry({ until: '2026-10-12T02:00:00+02:00' })]);
    expect(configErrorOf(() => loadAllowlist(same)).message).toBe(`${same}: entries.1: "until" must be after "from"`);
  });

  it('rejects times without an offset, tables that are not database.table, and files that are not JSON', () => {
    expect(configErrorOf(() => loadAllowlist(allowlistFile('local.json', [entry({ from: '2026-10-12T00:00:00' })]))).message).toMatch(/: entries\.0\.from: /);
    expect(configErrorOf(() => loadAllowlist(allowlistFile('tables.json', [entry({ tables: ['dw'] })]))).message).toMatch(/: entries\.0\.tables\.0: expected "database\.table"$/);
    const f = file('broken.json', '{"entries": [');
    expect(configErrorOf(() => loadAllowlist(f)).message).toMatch(/: cannot read the allowlist: /);
    expect(loadAllowlist('').entries).toEqual([]);
  });
});
