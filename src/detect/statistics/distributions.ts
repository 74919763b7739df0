// The few distribution functions the statistics need, accurate far into the tails (a day can be 1 in a
// billion): Student's t upper tail (through the regularised incomplete beta function, Lentz's continued
// fraction), the standard normal quantile (Acklam's rational approximation with one Halley refinement,
// usable down to 1e-300), the robust scale estimator Qn and the Hodges-Lehmann location (both by
// selection in O(n log n), not by listing every pair).

// The approximations' coefficients, held once: an array literal in the function is a new array each call,
// and these run millions of times a history build (a third of its garbage was these arrays).
const LANCZOS = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];

/** ln Gamma(x), Lanczos approximation (g = 7, n = 9), x > 0. */
function logGamma(x: number): number {
  const c = LANCZOS;
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const y = x - 1;
  let a = c[0];
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (Numerical Recipes' betacf, Lentz's method). */
function betaFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-14) break;
  }
  return h;
}

/** Regularised incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(a, b, x)) / a : 1 - (front * betaFraction(b, a, 1 - x)) / b;
}

/** P(T > t) for Student's t with `df` degrees of freedom (df = Infinity: the normal). */
export function tUpper(t: number, df: number): number {
  if (!Number.isFinite(df) || df > 1e6) return normalUpper(t);
  const p = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? p : 1 - p;
}

/** P(Z > z) for the standard normal, accurate in the far tail (Cody-style erfc through the t function's limit is not needed: a continued fraction). */
export function normalUpper(z: number): number {
  if (z < 0) return 1 - normalUpper(-z);
  if (z < 5) {
    // erfc via its Chebyshev fit (Numerical Recipes' erfcc), relative error < 1.2e-7.
    const t = 1 / (1 + 0.5 * (z / Math.SQRT2));
    const x = z / Math.SQRT2;
    const r = t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
    return r / 2;
  }
  // Laplace's continued fraction for the Mills ratio, fine beyond 5.
  let f = z;
  for (let k = 40; k >= 1; k--) f = z + k / f;
  return Math.exp(-0.5 * z * z - 0.5 * Math.log(2 * Math.PI)) / f;
}

const ACKLAM = {
  a: [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239],
  b: [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1],
  c: [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783],
  d: [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416],
};

/** The standard normal quantile: z with P(Z <= z) = p (Acklam, refined by one Halley step). */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const { a, b, c, d } = ACKLAM;
  const low = 0.02425;
  let x: number;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - low) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  // One Halley step against the upper tail (accurate where p is tiny).
  const e = x < 0 ? p - normalUpper(-x) : 1 - normalUpper(x) - p;
  if (Number.isFinite(e) && Math.abs(x) < 37) {
    const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
    x = x - u / (1 + (x * u) / 2);
  }
  return x;
}

/** z with P(Z > z) = u: the normal score of an upper-tail probability. */
export function upperToZ(u: number): number {
  return -normalQuantile(Math.min(1, Math.max(u, 1e-300)));
}

/** Qn consistency factors for n = 2..9 (Croux and Rousseeuw 1992); above, n / (n + 1.4) odd, n / (n + 3.8) even. */
const QN_SMALL = [0, 0, 0.399, 0.994, 0.512, 0.844, 0.611, 0.857, 0.669, 0.872];

/** Candidates left at which selection lists them and picks outright (quicker than more rounds for a few hundred). */
const SORT_BELOW = 512;

/** Scratch arrays of the selection, grown as needed and reused: it runs for every person and day, and is not re-entrant. */
let scratch = { rows: 0, left: new Int32Array(0), right: new Int32Array(0), less: new Int32Array(0), atMost: new Int32Array(0), middles: new Float64Array(0), weights: new Float64Array(0), rest: new Float64Array(SORT_BELOW) };
function scratchFor(rows: number): typeof scratch {
  if (scratch.rows < rows) {
    const r = Math.max(rows, 2 * scratch.rows, 64);
    scratch = { rows: r, left: new Int32Array(r), right: new Int32Array(r), less: new Int32Array(r), atMost: new Int32Array(r), middles: new Float64Array(r), weights: new Float64Array(r), rest: scratch.rest };
  }
  return scratch;
}

/** The element of rank r (0-based) of a[0..n): Hoare's selection with the middle as pivot. Leaves a[0..r) <= a[r] <= a(r..n). */
function quickselect(a: Float64Array, n: number, r: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i++] = a[j];
        a[j--] = t;
      }
    }
    if (r <= j) hi = j;
    else if (r >= i) lo = i;
    else return a[r];
  }
  return a[r];
}

/**
 * The weighted median of a[0..n) with weights w: a value with at most half the weight below it and more
 * than half at or below it. Partitions around a middle element, keeping the side that holds it: O(n) on
 * average (Croux and Rousseeuw's whimed). Scrambles a and w.
 */
function weightedMedian(a: Float64Array, w: Float64Array, n: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) total += w[i];
  let below = 0;
  let lo = 0;
  let hi = n;
  for (;;) {
    const trial = a[(lo + hi) >> 1];
    // Three-way partition of [lo, hi): < trial, = trial, > trial.
    let lt = lo;
    let gt = hi;
    let i = lo;
    let wLess = 0;
    let wEqual = 0;
    while (i < gt) {
      const v = a[i];
      if (v < trial) {
        wLess += w[i];
        swap(a, w, i++, lt++);
      } else if (v > trial) swap(a, w, i, --gt);
      else {
        wEqual += w[i];
        i++;
      }
    }
    if (2 * (below + wLess) > total) hi = lt;
    else if (2 * (below + wLess + wEqual) > total) return trial;
    else {
      below += wLess + wEqual;
      lo = gt;
    }
  }
}

function swap(a: Float64Array, w: Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
  const u = w[i];
  w[i] = w[j];
  w[j] = u;
}

/**
 * A set laid out as rows of a sorted matrix, never listed: row i holds width(i) values, value(i, c)
 * non-decreasing in c, and how many of a row's values lie below any threshold changes by a bounded walk
 * from one row to the next (true of the pairwise differences and the pairwise means of a sorted series).
 */
interface SortedRows {
  rows: number;
  width(i: number): number;
  value(i: number, c: number): number;
}

/** Into `into`: per row, how many of its values are < t (strict) or <= t, by one walk across the rows; returns the sum. */
function countBelow(m: SortedRows, t: number, strict: boolean, into: Int32Array): number {
  let sum = 0;
  let p = 0;
  for (let i = 0; i < m.rows; i++) {
    const w = m.width(i);
    if (p > w) p = w;
    if (strict) {
      while (p < w && m.value(i, p) < t) p++;
      while (p > 0 && !(m.value(i, p - 1) < t)) p--;
    } else {
      while (p < w && m.value(i, p) <= t) p++;
      while (p > 0 && m.value(i, p - 1) > t) p--;
    }
    into[i] = p;
    sum += p;
  }
  return sum;
}

/**
 * The k-th smallest (1-based) of `m`: Johnson and Mizoguchi's selection, as Croux and Rousseeuw compute Qn
 * with it. Each round takes the weighted median of the rows' middle candidates as a trial, counts with one
 * walk what lies below and at it, and drops at least a quarter of the candidates: O(n log n) for n rows,
 * where listing all pairs and sorting them is O(n^2 log n). The values compared are computed the same way
 * every time, so the result is exactly the element a sorted list of them would hold at rank k.
 */
function selectInRows(m: SortedRows, k: number): number {
  const { left, right, less, atMost, middles, weights } = scratchFor(m.rows);
  // Candidates of row i: columns [left[i], right[i]); everything left of them ranks below the answer.
  for (let i = 0; i < m.rows; i++) {
    left[i] = 0;
    right[i] = m.width(i);
  }
  let before = Infinity;
  for (;;) {
    let candidates = 0;
    let ranked = 0;
    for (let i = 0; i < m.rows; i++) {
      candidates += right[i] - left[i];
      ranked += left[i];
    }
    // A round that dropped nothing (only possible with NaN among the values) ends in the sort too.
    if (candidates <= Math.max(SORT_BELOW, m.rows) || candidates >= before) {
      if (scratch.rest.length < candidates) scratch.rest = new Float64Array(candidates);
      const rest = scratch.rest;
      let j = 0;
      for (let i = 0; i < m.rows; i++) for (let c = left[i]; c < right[i]; c++) rest[j++] = m.value(i, c);
      return quickselect(rest, candidates, k - ranked - 1);
    }
    before = candidates;
    let j = 0;
    for (let i = 0; i < m.rows; i++) {
      if (right[i] <= left[i]) continue;
      middles[j] = m.value(i, (left[i] + right[i] - 1) >> 1);
      weights[j++] = right[i] - left[i];
    }
    const trial = weightedMedian(middles, weights, j);
    if (countBelow(m, trial, true, less) >= k) {
      // The answer is below the trial: nothing at or above it stays.
      for (let i = 0; i < m.rows; i++) right[i] = Math.min(right[i], less[i]);
    } else if (countBelow(m, trial, false, atMost) >= k) {
      return trial;
    } else {
      // The answer is above the trial: everything at or below it ranks before it.
      for (let i = 0; i < m.rows; i++) left[i] = Math.max(left[i], atMost[i]);
    }
  }
}

/** The (k+1)-th smallest of `m`, given its k-th: the same value again, or the least value above it (one walk). */
function nextInRows(m: SortedRows, kth: number, k: number): number {
  const { atMost } = scratchFor(m.rows);
  if (countBelow(m, kth, false, atMost) >= k + 1) return kth;
  let next = Infinity;
  for (let i = 0; i < m.rows; i++) if (atMost[i] < m.width(i)) next = Math.min(next, m.value(i, atMost[i]));
  return next;
}

/** The values in ascending order, as a typed copy (insertion sort for a few weeks of days, where it is quickest). */
function ascending(values: ReadonlyArray<number>): Float64Array {
  const n = values.length;
  if (n > 64) return new Float64Array(values).sort();
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    let j = i;
    for (; j > 0 && y[j - 1] > v; j--) y[j] = y[j - 1];
    y[j] = v;
  }
  return y;
}

/**
 * Rousseeuw and Croux's Qn: 2.2219 x the k-th smallest pairwise distance, k = C(h, 2), h = n/2 + 1,
 * with small-sample factors. A robust scale (50% breakdown) with 82% of the standard deviation's
 * efficiency, where the MAD has 37%: it needs fewer days to know how much a person varies. Computed by
 * selection among the distances of the sorted values (row i: y[i] - y[i-1], y[i] - y[i-2], ...), not by
 * listing them: O(n log n).
 */
export function qn(values: ReadonlyArray<number>): number {
  const n = values.length;
  if (n < 2) return 0;
  const y = ascending(values);
  const h = Math.floor(n / 2) + 1;
  const k = Math.min((n * (n - 1)) / 2, (h * (h - 1)) / 2);
  const dn = n <= 9 ? QN_SMALL[n] : n % 2 === 1 ? n / (n + 1.4) : n / (n + 3.8);
  const pairs = (n * (n - 1)) / 2;
  if (pairs <= SORT_BELOW) {
    // A few weeks of days: list the distances and pick (the first round of the selection would do the same).
    const rest = scratch.rest;
    let j = 0;
    for (let i = 1; i < n; i++) for (let c = i - 1; c >= 0; c--) rest[j++] = y[i] - y[c];
    return dn * 2.2219 * quickselect(rest, pairs, k - 1);
  }
  return dn * 2.2219 * selectInRows({ rows: n, width: (i) => i, value: (i, c) => y[i] - y[i - 1 - c] }, k);
}

/**
 * Hodges-Lehmann location: the median of the n(n+1)/2 pairwise means, each value with itself included
 * (95% efficient, unmoved by one spike in a week). By selection among the means of the sorted values
 * (row i: (y[i] + y[0]) / 2 ... (y[i] + y[i]) / 2): O(n log n). The median of an even count is the
 * midpoint of the middle two, as simple-statistics' median gives it.
 */
export function hodgesLehmann(values: ReadonlyArray<number>): number {
  const n = values.length;
  if (n === 0) return NaN;
  const y = ascending(values);
  const size = (n * (n + 1)) / 2;
  if (size <= SORT_BELOW) {
    const rest = scratch.rest;
    let j = 0;
    for (let i = 0; i < n; i++) for (let c = 0; c <= i; c++) rest[j++] = (y[i] + y[c]) / 2;
    const r = (size - 1) >> 1;
    const a = quickselect(rest, size, r);
    if (size % 2 === 1) return a;
    // Selection leaves everything above rank r after it: the next rank is the least of those.
    let b = Infinity;
    for (let i = r + 1; i < size; i++) if (rest[i] < b) b = rest[i];
    return a + 0.5 * (b - a);
  }
  const means: SortedRows = { rows: n, width: (i) => i + 1, value: (i, c) => (y[i] + y[c]) / 2 };
  if (size % 2 === 1) return selectInRows(means, (size + 1) / 2);
  const a = selectInRows(means, size / 2);
  const b = nextInRows(means, a, size / 2);
  return a + 0.5 * (b - a);
}

/**
 * Quantiles already found, by degrees of freedom and probability. A day's thresholds ask for few distinct
 * pairs (one probability per detector and day, the degrees of freedom of a baseline's length) thousands
 * of times; each bisection is about sixty incomplete beta functions. Cleared when it grows past a bound.
 */
const quantiles = new Map<number, Map<number, number>>();
let quantilesHeld = 0;
const MAX_QUANTILES = 100_000;

/** t with P(T > t) = u for Student's t with `df` degrees of freedom (bisection on a bracket that grows). */
export function tQuantileUpper(u: number, df: number): number {
  if (u <= 0) return Infinity;
  if (u >= 1) return -Infinity;
  if (!Number.isFinite(df) || df > 1e6) return upperToZ(u);
  let ofDf = quantiles.get(df);
  const known = ofDf?.get(u);
  if (known !== undefined) return known;
  if (quantilesHeld >= MAX_QUANTILES) {
    quantiles.clear();
    quantilesHeld = 0;
  }
  if (!ofDf) quantiles.set(df, (ofDf = new Map()));
  const t = bisectTQuantile(u, df);
  ofDf.set(u, t);
  quantilesHeld++;
  return t;
}

function bisectTQuantile(u: number, df: number): number {
  let lo = -1;
  let hi = 1;
  while (tUpper(lo, df) < u) lo *= 2;
  while (tUpper(hi, df) > u && hi < 1e12) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-9 * Math.max(1, Math.abs(hi)); i++) {
    const mid = (lo + hi) / 2;
    if (tUpper(mid, df) > u) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
