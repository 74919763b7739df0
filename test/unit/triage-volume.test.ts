// The dashboard's bands: the usual band of active weekdays, and who an employee's peers are.
import { peersOf, usualBand } from '../../src/triage/volume';
import type { DirectoryEntry } from '../../src/directory';

const person = (id: string, department: string, role: string, account_type: 'human' | 'service' = 'human'): DirectoryEntry => ({
  id, name: id, department, role, manager: '', location: '', timezone: 'UTC', hire_date: '2020-01-06', notice_date: null, end_date: null, account_type,
});

describe('usualBand', () => {
  // 2026-11-02 is a Monday.
  const day = (d: number) => new Date(Date.UTC(2026, 10, 2 + d)).toISOString().slice(0, 10);

  it('is the median of active weekdays, widened by twice the robust spread, ignoring weekends and quiet days', () => {
    const days = [
      { day: day(0), bytes: 100e6 },
      { day: day(1), bytes: 0 },
      { day: day(2), bytes: 120e6 },
      { day: day(3), bytes: 80e6 },
      { day: day(5), bytes: 9e9 }, // Saturday: not a weekday
      { day: day(7), bytes: 100e6 },
    ];
    const band = usualBand(days)!;
    expect(band.median).toBeCloseTo(100e6, -3);
    expect(band.low).toBeLessThan(band.median);
    expect(band.high).toBeGreaterThan(band.median);
    expect(band.high).toBeLessThan(300e6);
    expect(band.median * band.median).toBeCloseTo(band.low * band.high, -12);
  });

  it('is null with fewer than three active weekdays', () => {
    expect(usualBand([{ day: day(0), bytes: 1e6 }, { day: day(1), bytes: 2e6 }, { day: day(5), bytes: 3e6 }])).toBeNull();
  });
});

describe('peersOf', () => {
  const people = [
    person('me', 'Sales', 'sales_ops'),
    person('a', 'Sales', 'sales_ops'),
    person('b', 'Sales', 'sales_ops'),
    person('c', 'Sales', 'sales_ops'),
    person('d', 'Sales', 'account_exec'),
    person('etl', 'Sales', 'sales_ops', 'service'),
    person('x', 'Finance', 'sales_ops'),
  ];

  it('are the other humans of the same department and role', () => {
    expect(peersOf('me', people)).toEqual({ group: 'Sales/sales_ops', members: ['a', 'b', 'c'] });
  });

  it('are the whole department when the role has fewer than three others, and nobody when that is too few', () => {
    expect(peersOf('d', people)).toEqual({ group: 'Sales/*', members: ['me', 'a', 'b', 'c'] });
    expect(peersOf('x', people)).toBeNull();
    expect(peersOf('unknown', people)).toBeNull();
  });
});
