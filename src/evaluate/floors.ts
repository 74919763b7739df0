// Scores at each severity floor, per seed and for the worst seed. A team that reads only medium and
// above sees the alerts at medium and above: their false alerts and the scenarios they catch are what
// the floor costs and buys. Bulk exports (scenario kinds with "bulk" in the name: 10x the person's day or
// more) must be caught before they end; the other scenarios at all.
import type { CaseMetrics } from './cases';
import { severityRank, type EvalAlert, type Severity } from './detector';
import { formatRatio, renderTable } from './report';
import { scoreDetector, type DetectorScore, type LabelledScenario, type Population } from './score';

export const FLOORS: ReadonlyArray<Severity> = ['low', 'medium', 'high'];

export const isBulk = (s: Pick<LabelledScenario, 'kind'>): boolean => s.kind.includes('bulk');

export interface FloorResult {
  floor: Severity;
  score: DetectorScore;
  /** Bulk exports caught before their last event, of all bulk exports. */
  bulkBeforeEnd: number;
  bulk: number;
  /** Other malicious scenarios caught, of all of them. */
  othersDetected: number;
  others: number;
}

export interface SeedResult {
  seed: number;
  userDays: number;
  detectors: Array<{ name: string; floors: FloorResult[]; cases: CaseMetrics }>;
}

/** The detector's alerts at and above each floor, scored. */
export function scoreFloors(detector: string, alerts: ReadonlyArray<EvalAlert>, scenarios: ReadonlyArray<LabelledScenario>, population: Population): FloorResult[] {
  const malicious = scenarios.filter((s) => s.expected === 'malicious');
  return FLOORS.map((floor) => {
    const score = scoreDetector(detector, alerts.filter((a) => severityRank(a.severity) >= severityRank(floor)), scenarios, population);
    const byId = new Map(score.scenarios.map((r) => [r.scenario, r]));
    const bulk = malicious.filter(isBulk);
    const others = malicious.filter((s) => !isBulk(s));
    return {
      floor,
      score,
      bulkBeforeEnd: bulk.filter((s) => byId.get(s.id)?.firedBeforeEnd === true).length,
      bulk: bulk.length,
      othersDetected: others.filter((s) => byId.get(s.id)?.detected).length,
      others: others.length,
    };
  });
}

const per1000 = (v: number | null) => (v === null ? '-' : v.toFixed(2));

/** One seed: per detector and floor, recall, bulk exports before end, other scenarios, false alerts. */
export function seedTable(r: SeedResult): string[] {
  const rows = r.detectors.flatMap((d) =>
    d.floors.map((f) => [
      d.name,
      `${f.floor}+`,
      formatRatio(f.score.metrics.recall, { n: f.score.metrics.detected, d: f.score.metrics.maliciousScenarios }),
      `${f.bulkBeforeEnd}/${f.bulk}`,
      formatRatio(f.others === 0 ? null : f.othersDetected / f.others, { n: f.othersDetected, d: f.others }),
      String(f.score.metrics.falseAlertUserDays),
      per1000(f.score.metrics.falseAlertsPer1000UserDays),
    ]),
  );
  return renderTable(
    [{ title: 'DETECTOR' }, { title: 'FLOOR' }, { title: 'RECALL' }, { title: 'BULK BEFORE END', right: true }, { title: 'OTHER SCENARIOS' }, { title: 'FALSE', right: true }, { title: 'FALSE / 1,000 USER-DAYS', right: true }],
    rows,
  );
}

/** Across seeds: false alerts per 1,000 user-days and recall at each floor, per seed and the worst seed. */
export function worstSeedTables(results: ReadonlyArray<SeedResult>): { falseAlerts: string[]; recall: string[] } {
  const names = results[0]?.detectors.map((d) => d.name) ?? [];
  const floorOf = (r: SeedResult, name: string, floor: Severity) => r.detectors.find((d) => d.name === name)!.floors.find((f) => f.floor === floor)!;
  const seedCols = results.map((r) => ({ title: `SEED ${r.seed}`, right: true }));
  const falseRows: string[][] = [];
  const recallRows: string[][] = [];
  for (const name of names) {
    for (const floor of FLOORS) {
      const fs = results.map((r) => floorOf(r, name, floor));
      const rates = fs.map((f) => f.score.metrics.falseAlertsPer1000UserDays ?? 0);
      falseRows.push([name, `${floor}+`, ...rates.map((v) => v.toFixed(2)), Math.max(...rates).toFixed(2)]);
      const cell = (f: FloorResult) => `${f.bulkBeforeEnd}/${f.bulk} ${f.others === 0 ? '-' : `${((100 * f.othersDetected) / f.others).toFixed(0)}%`}`;
      const worst = fs.reduce((w, f) => (f.bulkBeforeEnd / Math.max(1, f.bulk) + f.othersDetected / Math.max(1, f.others) < w.bulkBeforeEnd / Math.max(1, w.bulk) + w.othersDetected / Math.max(1, w.others) ? f : w), fs[0]);
      recallRows.push([name, `${floor}+`, ...fs.map(cell), cell(worst)]);
    }
  }
  return {
    falseAlerts: renderTable([{ title: 'DETECTOR' }, { title: 'FLOOR' }, ...seedCols, { title: 'WORST', right: true }], falseRows),
    recall: renderTable([{ title: 'DETECTOR' }, { title: 'FLOOR' }, ...seedCols, { title: 'WORST', right: true }], recallRows),
  };
}
