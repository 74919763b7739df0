// HTML and CSV rendering of a hand-made report: sections present, every text escaped, formulas defused,
// long tables cut in the HTML but whole in the CSV.
import { parse as parseCsv } from 'csv-parse/sync';
import { gapsOf } from '../../src/report/data-coverage';
import { median } from '../../src/report/data-triage';
import { renderCsv, safeCell, toCsv } from '../../src/report/render-csv';
import { HTML_ROW_LIMIT, renderHtml } from '../../src/report/render-html';
import { sampleData } from './report-fixture';

describe('HTML report', () => {
  it('is one self-contained document with every section and three charts', () => {
    const html = renderHtml(sampleData());
    for (const h of ['Period summary', 'Top downloaders', 'Volume per department', 'Access to sensitive tables', 'Alerts of the period', 'Open alerts by age', 'Analyst actions', 'Detection coverage', 'Data quality']) expect(html).toContain(h);
    expect((html.match(/<svg /g) ?? []).length).toBe(3);
    expect(html).not.toMatch(/<script|<link|src=|url\(/);
    expect(html).toContain('Sales &lt;EMEA&gt;');
    expect(html).not.toContain('Sales <EMEA>');
    expect(html).toContain('30 m'); // time to acknowledge
    expect(html).toContain('2 h 00 m'); // time to resolve
  });

  it('shows the first rows of a long table and says where the rest is', () => {
    const entries = Array.from({ length: HTML_ROW_LIMIT + 5 }, (_, i) => ({ at: '2026-11-16T12:00:00.000Z', actor: `a${i}`, role: 'analyst', action: 'alert.view', target: 'x', sourceIp: '' }));
    const base = sampleData();
    const html = renderHtml({ ...base, analystActions: { ...base.analystActions, total: entries.length, entries } });
    expect(html).toContain(`First ${HTML_ROW_LIMIT} of ${HTML_ROW_LIMIT + 5} audit entries; every row is in audit.csv`);
    expect(html).not.toContain(`<td>a${HTML_ROW_LIMIT}</td>`);
    expect(renderCsv({ ...base, analystActions: { ...base.analystActions, total: entries.length, entries } })['audit.csv'].trim().split('\n')).toHaveLength(HTML_ROW_LIMIT + 6);
  });

  it('marks estimated volumes with ≈ and says how much was estimated; measured ones stay unmarked', () => {
    const measured = renderHtml(sampleData());
    expect(measured).not.toContain('≈');
    const base = sampleData();
    const html = renderHtml(sampleData({ summary: { ...base.summary, estimatedBytes: 4e9, sources: [{ ...base.summary.sources[0], estimatedBytes: 4e9 }] } }));
    expect(html).toContain('≈9 GB');
    expect(html).toContain('≈ 4 GB of the volume is estimated');
  });

  it('prints the head of each chain of the tamper-evident record, when the report was sealed', () => {
    expect(renderHtml(sampleData())).not.toContain('tamper-evident record');
    const heads = [
      { chain: 'alerts', seq: 42, linkHash: 'a'.repeat(64), stamp: '2026-11-22T23:59:00.000Z' },
      { chain: 'report_manifests', seq: 0, linkHash: '', stamp: null },
    ];
    const html = renderHtml(sampleData({ record: { heads, sealedAt: '2026-11-23T06:00:00.000Z' } }));
    expect(html).toContain('10. The tamper-evident record');
    expect(html).toContain(`alerts:42:${'a'.repeat(64)}`);
    expect(html).toContain('(empty)');
  });

  it('says so when a section is empty', () => {
    const base = sampleData();
    const html = renderHtml({ ...base, alerts: { ...base.alerts, total: 0, alerts: [] }, dataQuality: { ...base.dataQuality, gaps: [] } });
    expect(html).toContain('No alerts in this period.');
    expect(html).toContain('No ingestion gaps in this period.');
  });
});

describe('CSV files', () => {
  it('defuse spreadsheet formulas, keep numbers', () => {
    expect([safeCell('=1+1'), safeCell('+x'), safeCell('-2'), safeCell('@SUM(A1)'), safeCell('\tx'), safeCell('plain'), safeCell(-2), safeCell(null), safeCell(NaN)]).toEqual(["'=1+1", "'+x", "'-2", "'@SUM(A1)", "'\tx", 'plain', -2, '', '']);
    const text = toCsv(['a', 'b'], [['=cmd|calc', 3]]);
    expect(parseCsv(text, { columns: true })).toEqual([{ a: "'=cmd|calc", b: '3' }]);
  });

  it('one file per table, rows matching the data', () => {
    const files = renderCsv(sampleData());
    expect(Object.keys(files).sort()).toEqual(['alerts-daily.csv', 'alerts.csv', 'audit.csv', 'cases.csv', 'coverage.csv', 'daily.csv', 'dead-letters.csv', 'department-daily.csv', 'departments.csv', 'ingestion-gaps.csv', 'open-alerts.csv', 'sensitive-tables.csv', 'sensitive-users.csv', 'sources.csv', 'summary.csv', 'top-users.csv']);
    const alerts = parseCsv(files['alerts.csv'], { columns: true }) as Array<Record<string, string>>;
    expect(alerts).toEqual([expect.objectContaining({ alert_id: 'al_20261116_abc', severity: 'high', status: 'resolved', disposition: 'true_positive', time_to_acknowledge_ms: '1800000', time_to_resolve_ms: '7200000' })]);
    expect(parseCsv(files['sources.csv'], { columns: true })).toEqual([{ source: "'=cmd|calc", events: '1234', bytes: '9000000000', users: '3' }]);
    expect(parseCsv(files['cases.csv'], { columns: true })).toEqual([expect.objectContaining({ case_of: 'al_20261116_abc', alerts: '1', status: 'closed', disposition: 'true_positive', time_to_triage_ms: '1800000' })]);
    const summary = Object.fromEntries((parseCsv(files['summary.csv'], { columns: true }) as Array<{ figure: string; value: string }>).map((r) => [r.figure, r.value]));
    expect(summary).toMatchObject({ events: '1234', bytes: '9000000000', alerts: '1', dead_letters: '2', ingestion_gaps: '1' });
  });
});

describe('median', () => {
  it('of odd and even counts, and of nothing', () => {
    expect([median([3, 1, 2]), median([4, 1, 3, 2]), median([])]).toEqual([2, 2.5, null]);
  });
});

describe('ingestion gaps', () => {
  const H = 3_600_000;
  const from = Date.UTC(2026, 10, 16);
  const range = { from, to: from + 12 * H };
  const busy = (...hours: number[]) => new Set(hours.map((h) => from + h * H));

  it('runs of at least the minimum of hours without events, also at the start and the end', () => {
    // Hours 0-1 empty (2 h), 3 empty (1 h), 5-7 empty (3 h), 10-11 empty (2 h, up to the end).
    expect(gapsOf(busy(2, 4, 8, 9), range, 2)).toEqual([
      { from: '2026-11-16T00:00:00.000Z', to: '2026-11-16T02:00:00.000Z', hours: 2 },
      { from: '2026-11-16T05:00:00.000Z', to: '2026-11-16T08:00:00.000Z', hours: 3 },
      { from: '2026-11-16T10:00:00.000Z', to: '2026-11-16T12:00:00.000Z', hours: 2 },
    ]);
    expect(gapsOf(busy(2, 4, 8, 9), range, 3)).toHaveLength(1);
  });

  it('none when every hour has events; one when none has', () => {
    expect(gapsOf(busy(...Array.from({ length: 12 }, (_, i) => i)), range, 1)).toEqual([]);
    expect(gapsOf(new Set(), range, 2)).toEqual([{ from: '2026-11-16T00:00:00.000Z', to: '2026-11-16T12:00:00.000Z', hours: 12 }]);
  });
});
