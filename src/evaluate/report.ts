// The evaluation as text: one table per scenario and detector, one overall row per detector, and the
// false alerts that each benign look-alike drew. Pure; the CLI prints the lines.
import type { DetectorScore, LabelledScenario } from './score';
import { EvaluationError } from '../errors';

const MS_PER_MINUTE = 60_000;

/** Time to first alert: "+2h05m", "+1d02h05m"; "-" when there is none. */
export function formatDelay(ms: number | null): string {
  if (ms === null) return '-';
  const minutes = Math.floor(Math.max(0, ms) / MS_PER_MINUTE);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = String(minutes % 60).padStart(2, '0');
  return d > 0 ? `+${d}d${String(h).padStart(2, '0')}h${m}m` : `+${h}h${m}m`;
}

export function formatRatio(value: number | null, of?: { n: number; d: number }): string {
  if (value === null) return '-';
  const pct = `${(value * 100).toFixed(1)}%`;
  return of ? `${pct} (${of.n}/${of.d})` : pct;
}

interface Column {
  title: string;
  /** Detector name printed above a group of columns. */
  group?: string;
  right?: boolean;
}

/** Fixed-width text table; columns sharing a group get its name on a line above them. */
export function renderTable(columns: ReadonlyArray<Column>, rows: ReadonlyArray<ReadonlyArray<string>>): string[] {
  const widths = columns.map((c, i) => Math.max(c.title.length, ...rows.map((r) => r[i].length)));
  // Widen a group's last column when its name is longer than the group.
  for (let i = 0; i < columns.length; ) {
    const g = columns[i].group;
    let j = i;
    while (j + 1 < columns.length && g !== undefined && columns[j + 1].group === g) j++;
    if (g !== undefined) {
      const span = widths.slice(i, j + 1).reduce((s, w) => s + w, 0) + 2 * (j - i);
      if (g.length > span) widths[j] += g.length - span;
    }
    i = j + 1;
  }
  const cell = (text: string, i: number) => (columns[i].right ? text.padStart(widths[i]) : text.padEnd(widths[i]));
  const lines: string[] = [];
  if (columns.some((c) => c.group !== undefined)) {
    const parts: string[] = [];
    for (let i = 0; i < columns.length; ) {
      const g = columns[i].group;
      let j = i;
      while (j + 1 < columns.length && g !== undefined && columns[j + 1].group === g) j++;
      const span = widths.slice(i, j + 1).reduce((sum, w) => sum + w, 0) + 2 * (j - i);
      parts.push((g ?? '').padEnd(span));
      i = j + 1;
    }
    lines.push(parts.join('  ').trimEnd());
  }
  lines.push(columns.map((c, i) => cell(c.title, i)).join('  ').trimEnd());
  for (const r of rows) lines.push(r.map((t, i) => cell(t, i)).join('  ').trimEnd());
  return lines;
}

function who(s: LabelledScenario): string {
  if (s.user !== null) return s.user;
  return `${s.department ?? 'several users'} (${s.users.length} users)`;
}

const yesNo = (v: boolean | null) => (v === null ? '-' : v ? 'yes' : 'no');

/**
 * Per insider scenario: kind, user, and per detector: detected, severity, time to first alert, before end.
 * (Benign look-alikes are counted by kind in benignTable.)
 */
export function scenarioTable(scenarios: ReadonlyArray<LabelledScenario>, scores: ReadonlyArray<DetectorScore>): string[] {
  const columns: Column[] = [{ title: 'SCENARIO' }, { title: 'KIND' }, { title: 'USER' }, { title: 'EXPECTED' }];
  for (const s of scores) {
    columns.push({ title: 'DETECTED', group: s.detector }, { title: 'SEVERITY', group: s.detector }, { title: 'FIRST ALERT', group: s.detector, right: true }, { title: 'BEFORE END', group: s.detector });
  }
  const rows = scenarios
    .filter((sc) => sc.expected === 'malicious')
    .map((sc) => {
      const row = [sc.id, sc.kind, who(sc), sc.expected];
      for (const s of scores) {
        const r = s.scenarios.find((x) => x.scenario === sc.id);
        if (!r) throw new EvaluationError(`detector ${s.detector} has no result for scenario ${sc.id}`);
        row.push(yesNo(r.detected), r.severity ?? '-', formatDelay(r.timeToFirstAlertMs), yesNo(r.firedBeforeEnd));
      }
      return row;
    });
  return renderTable(columns, rows);
}

/** Per detector: recall, precision, false alerts and false alerts per 1,000 user-days. */
export function overallTable(scores: ReadonlyArray<DetectorScore>): string[] {
  const columns: Column[] = [
    { title: 'DETECTOR' },
    { title: 'RECALL' },
    { title: 'BEFORE END', right: true },
    { title: 'PRECISION' },
    { title: 'ALERTS', right: true },
    { title: 'FALSE ALERTS', right: true },
    { title: 'FALSE / 1,000 USER-DAYS', right: true },
  ];
  const rows = scores.map(({ detector, metrics: m }) => [
    detector,
    formatRatio(m.recall, { n: m.detected, d: m.maliciousScenarios }),
    `${m.detectedBeforeEnd}/${m.maliciousScenarios}`,
    formatRatio(m.precision, { n: m.trueAlertUserDays, d: m.alertUserDays }),
    String(m.alertUserDays),
    String(m.falseAlertUserDays),
    m.falseAlertsPer1000UserDays === null ? '-' : m.falseAlertsPer1000UserDays.toFixed(2),
  ]);
  return renderTable(columns, rows);
}

/** False alert user-days per kind of benign look-alike (and those matching no scenario), per detector. */
export function falseAlertTable(scenarios: ReadonlyArray<LabelledScenario>, scores: ReadonlyArray<DetectorScore>): string[] {
  const columns: Column[] = [{ title: 'BENIGN LOOK-ALIKE' }, { title: 'LABELS', right: true }, ...scores.map((s) => ({ title: s.detector.toUpperCase(), right: true }))];
  const kinds = [...new Set(scenarios.filter((s) => s.expected === 'benign').map((s) => s.kind))];
  const rows = kinds.map((kind) => {
    const ids = scenarios.filter((s) => s.expected === 'benign' && s.kind === kind).map((s) => s.id);
    return [kind, String(ids.length), ...scores.map((s) => String(ids.reduce((n, id) => n + (s.metrics.falseAlertsByBenignScenario[id] ?? 0), 0)))];
  });
  rows.push(['(no scenario)', '-', ...scores.map((s) => String(s.metrics.unlabelledFalseAlerts))]);
  rows.push(['total', '', ...scores.map((s) => String(s.metrics.falseAlertUserDays))]);
  return renderTable(columns, rows);
}
