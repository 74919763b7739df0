// How often a value of a statistic occurs among ordinary user-days: the calibration that turns "4.1
// spreads above this person's usual day" into "about 1 in 20,000 user-days". The organisation's own
// recent user-days are the reference (a pool): where the pool has enough of them, the rate is simply
// the share at or above the value; beyond, the upper tail is extrapolated with a generalised Pareto
// distribution fitted to the pool's largest values (peaks over threshold, probability-weighted moments;
// Hosking & Wallis 1987). An organisation whose days are heavier-tailed gets a heavier fitted tail, so
// its thresholds rise with it: the alert rate stays what the severity mapping says it is.
//
// The shape is kept at or above 0 (at lightest an exponential tail): a light-tailed fit would put an end
// point to the distribution and call everything beyond it impossible. It is capped at MAX_SHAPE.

/** A calibrated tail: rate(t) = estimated share of ordinary user-days with a statistic >= t. */
export interface TailModel {
  /** Share of ordinary user-days at or above `t`, in (0, 1]. */
  rate(t: number): number;
  /** The statistic value whose rate is `rate` (the inverse of rate(), for thresholds). */
  threshold(rate: number): number;
  /** What it rests on: pool size, the threshold of the fitted tail, its rate and parameters. */
  readonly summary: TailSummary;
}

export interface TailSummary {
  /** "pool": fitted on the organisation's days; "prior": too few days yet, a conservative default. */
  source: 'pool' | 'prior';
  samples: number;
  /** The tail starts at `u`, where the pool's rate is `rateAtU`; beyond it a GPD with `shape` and `scale`. */
  u: number;
  rateAtU: number;
  shape: number;
  scale: number;
}

export interface TailFitOptions {
  /** Fraction of the pool in the fitted tail (its largest values). */
  tailFraction?: number;
  /** At least this many values in the tail, else the prior is used. */
  minTail?: number;
  /** At least this many samples in the pool, else the prior is used. */
  minSamples?: number;
}

const MAX_SHAPE = 0.6;
const DEFAULTS = { tailFraction: 0.05, minTail: 40, minSamples: 400 };

/** A generalised Pareto tail beyond `u` (no empirical body): the prior, and the shape of every fit. */
export function gpdTail(u: number, rateAtU: number, shape: number, scale: number, source: TailSummary['source'] = 'prior', samples = 0, below?: (t: number) => number): TailModel {
  const xi = Math.min(MAX_SHAPE, Math.max(0, shape));
  const beta = Math.max(scale, 1e-9);
  const beyond = (t: number) => {
    const x = (t - u) / beta;
    return rateAtU * (xi < 1e-9 ? Math.exp(-x) : Math.pow(1 + xi * x, -1 / xi));
  };
  const inverse = (r: number) => u + beta * (xi < 1e-9 ? Math.log(rateAtU / r) : (Math.pow(rateAtU / r, xi) - 1) / xi);
  return {
    rate: (t) => (t <= u ? (below ? below(t) : Math.min(1, rateAtU * Math.exp((u - t) / beta))) : Math.max(Number.MIN_VALUE, beyond(t))),
    // Below u, without a pool, the prior goes on exponentially (the pool's own fit overrides this).
    threshold: (r) => (r < rateAtU ? inverse(r) : u - beta * Math.log(Math.min(1, r) / rateAtU)),
    summary: { source, samples, u, rateAtU, shape: xi, scale: beta },
  };
}

/**
 * Fits a tail to a pool of values (one per ordinary user-day; -Infinity for a day without the thing
 * measured, e.g. no night-time volume). Too small a pool gives `prior`.
 */
export function fitTail(pool: ReadonlyArray<number>, prior: TailModel, options: TailFitOptions = {}): TailModel {
  const o = { ...DEFAULTS, ...options };
  const n = pool.length;
  // Sorted once, descending (a typed sort: a pool holds every user-day of the last weeks, 10^5 and more).
  const sorted = new Float64Array(pool).sort().reverse();
  // Descending, NaN and +Infinity come first and -Infinity last: the finite values are the run between
  // them, read in place (copied out by a filter, they were half of a fit at 20,000 people).
  let lo = 0;
  while (lo < n && !Number.isFinite(sorted[lo])) lo++;
  let hi = n;
  while (hi > lo && !Number.isFinite(sorted[hi - 1])) hi--;
  const finite = sorted.subarray(lo, hi);
  // The tail: the pool's largest tailFraction, or half of its finite values when fewer days have any.
  const k = Math.min(Math.floor(o.tailFraction * n), Math.floor(finite.length / 2));
  if (n < o.minSamples || k < o.minTail) return prior;
  const u = finite[k];
  // Exceedances over u, ascending, for the probability-weighted moments.
  const y = finite.slice(0, k).map((v) => v - u).reverse();
  const a0 = y.reduce((s, v) => s + v, 0) / k;
  let a1 = 0;
  for (let i = 0; i < k; i++) a1 += (1 - i / (k - 1)) * y[i];
  a1 /= k;
  const denom = a0 - 2 * a1;
  let shape = 0;
  let scale = a0;
  if (denom > 1e-12 && a0 > 0) {
    shape = 2 - a0 / denom;
    scale = (2 * a0 * a1) / denom;
  }
  if (shape < 0) scale = a0; // clamped to exponential: its maximum-likelihood scale is the mean excess
  if (!(scale > 0)) return prior;
  // Empirical body: the share of the pool at or above t (the pool sorted descending, binary search).
  const body = bodyOf(sorted);
  const base = gpdTail(u, k / n, shape, scale, 'pool', n, body.share);
  return {
    ...base,
    threshold: (r) => (r >= k / n ? body.quantileAbove(r) : base.threshold(r)),
  };
}

/**
 * The pool as the tail's body reads it, held all day by each of two days' histories: its values above the
 * smallest, and how many the smallest is. Most user-days have no night-time or sensitive volume and no
 * drip (-Infinity or 0): a run at the bottom was about 40% of the pools' memory (exact either way).
 */
function bodyOf(sortedDesc: Float64Array): { share(t: number): number; quantileAbove(r: number): number } {
  const n = sortedDesc.length;
  const least = sortedDesc[n - 1];
  let above = n;
  while (above > 0 && sortedDesc[above - 1] === least) above--;
  const kept = sortedDesc.slice(0, above);
  return {
    share(t) {
      // Every value is at or above t from the smallest down.
      if (t <= least) return 1;
      let lo = 0;
      let hi = kept.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (kept[mid] >= t) lo = mid + 1;
        else hi = mid;
      }
      return Math.max(lo, 1) / n;
    },
    // The smallest pool value whose share at or above it is at most `r` (for r in the empirical body).
    quantileAbove(r) {
      const index = Math.max(0, Math.min(n - 1, Math.ceil(r * n) - 1));
      return index < above ? kept[index] : least;
    },
  };
}

/** Per user-day rate -> the score: 10 log10(1 / rate) ("decibans"): 30 = 1 in 1,000, 40 = 1 in 10,000. */
export function scoreOfRate(rate: number): number {
  return Math.max(0, Math.min(100, -10 * Math.log10(Math.max(rate, 1e-10))));
}

/** The rate a score stands for. */
export function rateOfScore(score: number): number {
  return Math.pow(10, -score / 10);
}
