// The evaluation's text output: durations and the tables the CLI prints.
import { falseAlertTable, formatDelay, formatRatio, overallTable, renderTable, scenarioTable, scoreDetector, type LabelledScenario } from '../../src/evaluate';

describe('evaluation report', () => {
  it('formats the time to first alert', () => {
    expect(formatDelay(null)).toBe('-');
    expect(formatDelay(0)).toBe('+0h00m');
    expect(formatDelay(59_999)).toBe('+0h00m');
    expect(formatDelay((2 * 60 + 5) * 60_000)).toBe('+2h05m');
    expect(formatDelay((26 * 60 + 5) * 60_000)).toBe('+1d02h05m');
  });

  it('formats ratios with their counts', () => {
    expect(formatRatio(null)).toBe('-');
    expect(formatRatio(2 / 3, { n: 2, d: 3 })).toBe('66.7% (2/3)');
  });

  it('aligns columns and puts each detector\'s name over its columns', () => {
    const lines = renderTable(
      [{ title: 'A' }, { title: 'X', group: 'a-long-detector' }, { title: 'Y', group: 'a-long-detector', right: true }, { title: 'Z', group: 'g2' }],
      [['one', 'x', '1', 'z']],
    );
    expect(lines[0]).toBe('     a-long-detector  g2');
    expect(lines[1]).toBe('A    X             Y  Z');
    expect(lines[2]).toBe('one  x             1  z');
  });

  it('prints one row per insider scenario, one per kind of benign look-alike and one per detector', () => {
    const scenarios: LabelledScenario[] = [
      { id: 'bulk_export-01', kind: 'bulk_export', expected: 'malicious', user: 'alice', users: ['alice'], start: '2026-03-10T14:00:00.000Z', end: '2026-03-10T16:00:00.000Z' },
      { id: 'department_month_end-02', kind: 'department_month_end', expected: 'benign', user: null, users: ['f1', 'f2'], department: 'Finance', start: '2026-03-30T08:00:00.000Z', end: '2026-03-31T18:00:00.000Z' },
    ];
    const alert = { user: 'alice', detector: 'd1', severity: 'critical' as const, windowStart: new Date('2026-03-10T00:00:00Z'), windowEnd: new Date('2026-03-11T00:00:00Z'), firedAt: new Date('2026-03-11T00:00:00Z'), observedBytes: 2e10, reason: '' };
    const scores = [scoreDetector('d1', [alert], scenarios, { users: 10, days: 31 }), scoreDetector('d2', [], scenarios, { users: 10, days: 31 })];
    const table = scenarioTable(scenarios, scores);
    expect(table[0]).toMatch(/^\s+d1\s+d2$/);
    expect(table[2]).toMatch(/^bulk_export-01\s+bulk_export\s+alice\s+malicious\s+yes\s+critical\s+\+10h00m\s+no\s+no\s+-\s+-\s+-$/);
    // Benign look-alikes are not scenarios to catch: they are counted by kind in the false-alert table.
    expect(table).toHaveLength(3);
    const benign = falseAlertTable(scenarios, scores);
    expect(benign[0]).toMatch(/^BENIGN LOOK-ALIKE\s+LABELS\s+D1\s+D2$/);
    expect(benign[1]).toMatch(/^department_month_end\s+1\s+0\s+0$/);
    const overall = overallTable(scores);
    expect(overall[1]).toMatch(/^d1\s+100\.0% \(1\/1\)\s+0\/1\s+100\.0% \(1\/1\)\s+1\s+0\s+0\.00$/);
    expect(overall[2]).toMatch(/^d2\s+0\.0% \(0\/1\)\s+0\/1\s+-\s+0\s+0\s+0\.00$/);
  });
});
