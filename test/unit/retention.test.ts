// Partition ages: a partition is due only when all of it is older than the retention.
import { partitionEnd, RETAINED_TABLES } from '../../src/retention';

describe('partitionEnd', () => {
  it('reads daily and monthly partition ids, and nothing else', () => {
    expect(partitionEnd({ partitionBy: 'day' }, '20261231')).toBe(Date.UTC(2027, 0, 1));
    expect(partitionEnd({ partitionBy: 'month' }, '202612')).toBe(Date.UTC(2027, 0, 1));
    expect(partitionEnd({ partitionBy: 'month' }, '202602')).toBe(Date.UTC(2026, 2, 1));
    for (const id of ['all', '2026-12-01', '20261', '2026123', '']) expect(partitionEnd({ partitionBy: 'day' }, id)).toBeNull();
    expect(partitionEnd({ partitionBy: 'month' }, '20261201')).toBeNull();
  });

  it('covers the four classes, holding chained tables in place and copying bulk data aside', () => {
    const by = (c: string) => RETAINED_TABLES.filter((t) => t.class === c).map((t) => `${t.table}:${t.hold.mode}`);
    expect(by('events')).toEqual(['access_events:copy']);
    expect(by('rollups')).toEqual(['user_hourly:copy', 'user_daily:copy', 'user_table_daily:copy']);
    expect(by('alerts')).toEqual(['alerts:keep', 'alert_actions:keep', 'alert_listing:keep']);
    expect(by('audit')).toEqual(['audit_log:keep']);
  });
});
