// The robust estimators by their pairwise definitions, as the detector first computed them (every pair,
// sorted: O(n^2 log n)): the oracle that the fast versions in src/detect/statistics/distributions.ts
// must equal exactly (unit tests), and the reference of the day-history benchmark.
import { median } from 'simple-statistics';

/** Qn consistency factors for n = 2..9 (Croux and Rousseeuw 1992); above, n / (n + 1.4) odd, n / (n + 3.8) even. */
const QN_SMALL = [0, 0, 0.399, 0.994, 0.512, 0.844, 0.611, 0.857, 0.669, 0.872];

/** Qn: 2.2219 x the k-th smallest of the C(n, 2) pairwise distances, k = C(h, 2), h = floor(n/2) + 1, with small-sample factors. */
export function pairwiseQn(values: ReadonlyArray<number>): number {
  const n = values.length;
  if (n < 2) return 0;
  const diffs: number[] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) diffs.push(Math.abs(values[i] - values[j]));
  diffs.sort((a, b) => a - b);
  const h = Math.floor(n / 2) + 1;
  const k = (h * (h - 1)) / 2;
  const dn = n <= 9 ? QN_SMALL[n] : n % 2 === 1 ? n / (n + 1.4) : n / (n + 3.8);
  return dn * 2.2219 * diffs[Math.min(diffs.length - 1, k - 1)];
}

/** Hodges-Lehmann location: the median of the n(n+1)/2 pairwise means (i <= j, each value with itself included). */
export function pairwiseHodgesLehmann(values: ReadonlyArray<number>): number {
  const n = values.length;
  if (n === 0) return NaN;
  const means: number[] = [];
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) means.push((values[i] + values[j]) / 2);
  return median(means);
}
