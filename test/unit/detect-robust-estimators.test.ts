// The robust estimators of a person's history (Qn spread, Hodges-Lehmann location) are computed by
// selection in O(n log n). They must equal their pairwise definitions (test/helpers/pairwise-statistics.ts:
// every pair listed and sorted) exactly, not approximately, so that no expectation, surprise or alert
// moves: on hand-built series, on ties, constant series and tiny n, and on random series long enough for
// the selection's rounds to run (more than 512 pairs: beyond 32 values).
import { hodgesLehmann, qn } from '../../src/detect/statistics/distributions';
import { robustSummary } from '../../src/detect/statistics/expectation';
import { stream } from '../../src/simulate/random';
import { pairwiseHodgesLehmann, pairwiseQn } from '../helpers/pairwise-statistics';

function expectSameAsPairwise(values: number[]): void {
  // Object.is: the very same double (toBe), not merely close.
  expect([values.length, qn(values)]).toEqual([values.length, pairwiseQn(values)]);
  expect([values.length, hodgesLehmann(values)]).toEqual([values.length, pairwiseHodgesLehmann(values)]);
}

describe('Qn and Hodges-Lehmann by selection', () => {
  it('give the hand-computed values of small series', () => {
    // 1..5: distances 1 (x4), 2 (x3), 3 (x2), 4; h = 3, k = 3: the 3rd smallest is 1; small-sample factor for n = 5: 0.844.
    expect(qn([5, 1, 4, 2, 3])).toBe(0.844 * 2.2219 * 1);
    // 1, 2, 3: pairwise means 1, 1.5, 2, 2, 2.5, 3; the median of six is the midpoint of 2 and 2.
    expect(hodgesLehmann([3, 1, 2])).toBe(2);
    // 0, 10: means 0, 5, 10.
    expect(hodgesLehmann([10, 0])).toBe(5);
    // One spike in a week moves neither much: the same series with and without it.
    const week = [1, 1.2, 0.9, 1.1, 1, 0.95, 1.05];
    expect(Math.abs(hodgesLehmann([...week.slice(0, 6), 50]) - hodgesLehmann(week))).toBeLessThan(0.1);
    expect(qn([...week.slice(0, 6), 50])).toBeLessThan(2 * qn(week));
  });

  it('handle tiny n and constant series as the definitions do', () => {
    expect(qn([])).toBe(0);
    expect(qn([3])).toBe(0);
    expect(hodgesLehmann([])).toBeNaN();
    expect(hodgesLehmann([3])).toBe(3);
    expect(qn(Array.from({ length: 40 }, () => 7.5))).toBe(0);
    expect(hodgesLehmann(Array.from({ length: 40 }, () => 7.5))).toBe(7.5);
    for (let n = 1; n <= 12; n++) {
      expectSameAsPairwise(Array.from({ length: n }, (_, i) => Math.log(1e6 * (i + 1))));
      expectSameAsPairwise(Array.from({ length: n }, () => 2));
    }
  });

  it('equal the pairwise definitions on series with many ties, where selection must count equal values right', () => {
    const r = stream(16, 'robust-estimators-ties');
    for (let t = 0; t < 300; t++) {
      const n = r.int(2, t < 200 ? 40 : 300);
      const levels = r.int(1, 6);
      expectSameAsPairwise(Array.from({ length: n }, () => r.int(0, levels - 1) * 0.25));
    }
    // Half the values equal, half spread: Qn's rank sits inside the block of zero distances or just past it.
    for (const n of [30, 31, 64, 65, 200]) expectSameAsPairwise(Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 : 1 + i / n)));
  });

  it('equal the pairwise definitions on random log volumes of every length up to 400', () => {
    const r = stream(16, 'robust-estimators-random');
    for (let t = 0; t < 400; t++) {
      const n = r.int(1, t < 300 ? 60 : 400);
      const sigma = r.float() * 2;
      // Log volumes with a heavy right tail now and then (an export day among ordinary ones).
      expectSameAsPairwise(Array.from({ length: n }, () => Math.log(r.logNormal(1e8, sigma)) + (r.chance(0.05) ? 5 : 0)));
    }
  });

  it('give a person the same robust summary as the pairwise definitions', () => {
    const r = stream(16, 'robust-estimators-summary');
    const logs = Array.from({ length: 20 }, () => Math.log(r.logNormal(1e8, 0.7)));
    expect(robustSummary(logs)).toEqual({ location: pairwiseHodgesLehmann(logs), spread: pairwiseQn(logs), n: 20 });
  });

  it('end on a series with a NaN among many values rather than loop', () => {
    const values = Array.from({ length: 300 }, (_, i) => Math.sin(i));
    values[150] = NaN;
    expect(typeof qn(values)).toBe('number');
    expect(typeof hodgesLehmann(values)).toBe('number');
  });
});
