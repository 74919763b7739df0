// The statistics behind detection on hand-built series: each person judged in units of their own
// variability (a wide person and a narrow one), a short history shrunk toward the peers, a changed job,
// the calibrated tail, and the slow-drip CUSUM with a drip just above and just below detection.
import { hodgesLehmann, normalQuantile, normalUpper, qn, tQuantileUpper, tUpper, upperToZ } from '../../src/detect/statistics/distributions';
import { CUSUM_CLIP, CUSUM_START, cusumStep, cusumThreshold, cusumToday, type CusumParams, type CusumState } from '../../src/detect/statistics/cusum';
import { expectationOf, peerPrior, robustSummary, surpriseOf, thresholdOf, upperOf, type PeerPrior } from '../../src/detect/statistics/expectation';
import { fitTail, gpdTail, rateOfScore, scoreOfRate } from '../../src/detect/statistics/tail';

const MB = 1e6;
const PARAMS = { sigmaFloor: 0.2, priorDays: 10, mixture: 0.05 };

/** n log volumes around `median` bytes with spread `sigma`: the normal quantiles, in a scrambled order. */
function days(median: number, sigma: number, n: number): number[] {
  const q = Array.from({ length: n }, (_, i) => Math.log(median) + sigma * normalQuantile((i + 0.5) / n));
  return q.map((_, i) => q[(i * 7) % n]);
}

/** Sales/sales_ops as a prior: members around 100 MB, between-member spread 0.5, typical own spread 0.6, members unlike in how much they vary (3 pseudo-days). */
const PEERS: PeerPrior = { group: 'Sales/sales_ops', members: 12, location: Math.log(100 * MB), between: 0.5, within: 0.6, priorDays: 3 };

describe('distributions', () => {
  it('match reference values far into the tails', () => {
    expect(tUpper(2.228, 10)).toBeCloseTo(0.025, 4);
    expect(normalUpper(5) / 2.8665e-7).toBeCloseTo(1, 3);
    expect(normalUpper(10) / 7.6199e-24).toBeCloseTo(1, 3);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.3613, 3);
    expect(upperToZ(normalUpper(7))).toBeCloseTo(7, 4);
    expect(tUpper(tQuantileUpper(1e-6, 8), 8)).toBeCloseTo(1e-6, 10);
  });

  it('gives each pair of probability and degrees of freedom its own quantile, asked once or many times, in any order', () => {
    // The quantiles are remembered: a pair must never be answered with another pair's.
    const pairs = [1e-3, 1e-6, 0.2].flatMap((u) => [3, 8, 8.5, 27].map((df) => [u, df] as const));
    const first = pairs.map(([u, df]) => tQuantileUpper(u, df));
    for (const [i, [u, df]] of pairs.entries()) expect(tUpper(first[i], df) / u).toBeCloseTo(1, 6);
    expect(new Set(first).size).toBe(pairs.length);
    const again = [...pairs.keys()].reverse().map((i) => [i, tQuantileUpper(pairs[i][0], pairs[i][1])] as const);
    for (const [i, t] of again) expect(t).toBe(first[i]);
  });

  it('Qn and Hodges-Lehmann are unmoved by one spike in a month of days', () => {
    const month = days(100 * MB, 0.5, 20);
    const spiked = [...month.slice(1), Math.log(100 * MB) + Math.log(50)];
    expect(Math.abs(hodgesLehmann(spiked) - hodgesLehmann(month))).toBeLessThan(0.15);
    expect(qn(spiked) / qn(month)).toBeLessThan(1.2);
    expect(qn(month)).toBeGreaterThan(0.4);
    expect(qn(month)).toBeLessThan(0.6);
  });
});

describe('expectation: a day judged in units of the person\'s own variability', () => {
  const wide = expectationOf(robustSummary(days(100 * MB, 1.0, 20)), PEERS, PARAMS, 0.6)!;
  const narrow = expectationOf(robustSummary(days(100 * MB, 0.2, 20)), PEERS, PARAMS, 0.6)!;

  it('a person whose days vary tenfold: 8x their usual day is an ordinary day for them', () => {
    expect(wide.spread).toBeGreaterThan(0.8);
    expect(upperOf(wide, Math.log(800 * MB))).toBeGreaterThan(0.01);
  });

  it('a person with a narrow routine: 3.5x their usual day is rare for them', () => {
    expect(narrow.spread).toBeLessThan(0.35);
    expect(upperOf(narrow, Math.log(350 * MB))).toBeLessThan(1e-3);
    expect(upperOf(narrow, Math.log(800 * MB))).toBeLessThan(1e-5);
  });

  it('so the same threshold rate means very different multiples for the two', () => {
    const multiple = (e: typeof wide) => Math.exp(thresholdOf(e, 1e-4, { rate: (w) => Math.exp(-w), threshold: (r) => -Math.log(r) })) / (100 * MB);
    expect(multiple(wide)).toBeGreaterThan(25);
    expect(multiple(narrow)).toBeLessThan(5);
    expect(multiple(narrow)).toBeGreaterThan(2);
  });

  it('a short history is shrunk toward the peers: location, spread, and less trust (fewer degrees of freedom)', () => {
    const short = expectationOf(robustSummary(days(5 * MB, 0.3, 3)), PEERS, PARAMS, 0.6)!;
    expect(short.ownWeight).toBeLessThan(0.9);
    expect(short.location).toBeGreaterThan(Math.log(5 * MB));
    expect(short.location).toBeLessThan(Math.log(100 * MB));
    expect(short.spread).toBeGreaterThan(0.5); // the peers' typical spread, not the three days' 0.3
    expect(short.df).toBeLessThan(10);
    const none = expectationOf(null, PEERS, PARAMS, 0.6)!;
    expect(none.ownWeight).toBe(0);
    expect(none.location).toBeCloseTo(PEERS.location, 6);
    // With 20 days of their own, the person's own history carries the location.
    const long = expectationOf(robustSummary(days(5 * MB, 0.3, 20)), PEERS, PARAMS, 0.6)!;
    expect(long.ownWeight).toBeGreaterThan(0.95);
    expect(Math.exp(long.location) / (5 * MB)).toBeGreaterThan(1);
    expect(Math.exp(long.location) / (5 * MB)).toBeLessThan(1.15);
  });

  it('no pseudo-days of the peers\' spread (priorDays 0, which the configuration refuses) still gives a finite judgement', () => {
    for (const own of [null, robustSummary(days(100 * MB, 0.4, 1)), robustSummary(days(100 * MB, 0.4, 2))]) {
      const e = expectationOf(own, PEERS, { ...PARAMS, priorDays: 0 }, 0.6)!;
      expect([e.location, e.spread, e.df].every(Number.isFinite)).toBe(true);
      expect(e.spread).toBeGreaterThan(0);
      expect(upperOf(e, Math.log(20_000 * MB))).toBeLessThan(0.05);
    }
  });

  it('a history far outside the role (a changed job) is partly judged by the role', () => {
    const moved = expectationOf(robustSummary(days(2 * MB, 0.4, 20)), PEERS, PARAMS, 0.6)!;
    expect(moved.mixture).toBeCloseTo(PARAMS.mixture, 6);
    // 100 MB: 50x their old days, typical for the new role: not rare.
    expect(upperOf(moved, Math.log(100 * MB))).toBeGreaterThan(0.01);
    // 20 GB is extreme for the role too.
    expect(upperOf(moved, Math.log(20_000 * MB))).toBeLessThan(1e-6);
    expect(expectationOf(robustSummary(days(90 * MB, 0.4, 20)), PEERS, PARAMS, 0.6)!.mixture).toBe(0);
  });

  it('the peers\' spread is a weak prior when members differ a lot in how much they vary', () => {
    const member = (spread: number) => ({ location: Math.log(100 * MB), spread, n: 20 });
    const alike = peerPrior('A', [0.5, 0.52, 0.55, 0.5, 0.48, 0.53].map(member), { minMembers: 5, minDays: 5, sigmaFloor: 0.2, maxPriorDays: 30 })!;
    const unlike = peerPrior('B', [0.2, 0.9, 0.35, 1.3, 0.5, 0.7].map(member), { minMembers: 5, minDays: 5, sigmaFloor: 0.2, maxPriorDays: 30 })!;
    expect(alike.priorDays).toBeGreaterThan(15);
    expect(unlike.priorDays).toBeLessThan(4);
    expect(peerPrior('C', [0.5, 0.5].map(member), { minMembers: 5, minDays: 5, sigmaFloor: 0.2, maxPriorDays: 30 })).toBeNull();
  });

  it('surprise is -ln of the model probability: exponential with mean 1 when the model is right', () => {
    const e = expectationOf(robustSummary(days(100 * MB, 0.5, 20)), PEERS, PARAMS, 0.6)!;
    const x = Math.log(400 * MB);
    expect(surpriseOf(e, x)).toBeCloseTo(-Math.log(upperOf(e, x)), 10);
    expect(surpriseOf(e, e.location)).toBeCloseTo(Math.log(2), 6);
  });
});

describe('tail calibration: how often ordinary user-days are this unusual', () => {
  // A perfectly exponential pool of 14,000 surprises (the model is right): its quantiles.
  const exponential = Array.from({ length: 14_000 }, (_, i) => -Math.log((i + 0.5) / 14_000));
  const prior = gpdTail(0, 1, 0.2, 1.5);

  it('gives back the model\'s rates where the pool has them, and beyond it', () => {
    const t = fitTail(exponential, prior);
    expect(t.summary.source).toBe('pool');
    expect(t.rate(3) / Math.exp(-3)).toBeCloseTo(1, 1);
    expect(t.rate(12) / Math.exp(-12)).toBeGreaterThan(0.5);
    expect(t.rate(12) / Math.exp(-12)).toBeLessThan(2);
    expect(t.threshold(t.rate(15))).toBeCloseTo(15, 3);
  });

  it('an organisation with heavier tails than the model gets heavier rates, so its thresholds rise', () => {
    // Pareto excesses: the model underestimates how often big days happen.
    const heavy = Array.from({ length: 14_000 }, (_, i) => 2 * (Math.pow((i + 0.5) / 14_000, -0.4) - 1) / 0.4);
    const t = fitTail(heavy, prior);
    expect(t.summary.shape).toBeGreaterThan(0.2);
    expect(t.rate(20)).toBeGreaterThan(100 * Math.exp(-20));
    expect(t.threshold(1e-5)).toBeGreaterThan(-Math.log(1e-5) + 5);
  });

  it('reads its body exactly as the whole pool says, however many user-days share the smallest value (no night, no drip)', () => {
    // The body keeps the values above the smallest and a count of it: the shares and quantiles must be the
    // pool's own, at the smallest value, just above and below it, and between any two values.
    for (const least of [-Infinity, 0]) {
      const pool = [...exponential.slice(0, 3_000), ...Array<number>(9_000).fill(least), 0.5, 0.5, 1e-9];
      const t = fitTail(pool, prior);
      expect(t.summary.source).toBe('pool');
      const n = pool.length;
      const share = (x: number) => Math.max(pool.filter((v) => v >= x).length, 1) / n;
      const desc = [...pool].sort((a, b) => b - a);
      const at = [least, -1, -1e-12, 0, 1e-12, 1e-9, 2e-9, 0.5, 0.75, 1, ...exponential.slice(2_000, 3_000).filter((_, i) => i % 97 === 0)];
      // Below u the rate is the body's share (rate(u) is the tail's own k / n).
      for (const x of at.filter((x) => x < t.summary.u)) expect([x, t.rate(x)]).toEqual([x, share(x)]);
      // Around the last value above the smallest (index 3,002), one index at a time.
      const around = Array.from({ length: 8 }, (_, i) => (2_999 + i + 0.5) / n);
      for (const r of [1, 0.99, 0.9, 0.75, 0.5, 0.3, 0.2, 0.1, t.summary.rateAtU, ...around]) expect([r, t.threshold(r)]).toEqual([r, desc[Math.max(0, Math.min(n - 1, Math.ceil(r * n) - 1))]]);
    }
  });

  it('fits the finite values alone, wherever NaN and the infinities fall in the pool', () => {
    // A user-day without the thing measured is -Infinity; NaN and +Infinity must not move u or the fit.
    const finite = exponential.slice(0, 6_000);
    const odd = [NaN, Infinity, -Infinity, -Infinity, NaN, Infinity];
    const pool = finite.flatMap((v, i) => (i % 1_000 === 0 ? [odd[i / 1_000], v] : [v]));
    const padded = [...finite, ...odd];
    const t = fitTail(pool, prior);
    // The same tail as the finite values with the six odd ones at the end; u is the finite values' k-th
    // largest, k being a share of the whole pool (rateAtU = k / n).
    expect(t.summary).toEqual(fitTail(padded, prior).summary);
    expect(t.summary.source).toBe('pool');
    expect(t.summary.samples).toBe(pool.length);
    const k = Math.round(t.summary.rateAtU * pool.length);
    expect(k).toBeGreaterThan(0);
    expect(t.summary.u).toBe([...finite].sort((a, b) => b - a)[k]);
    expect(t.rate(t.summary.u + 1)).toBe(fitTail(padded, prior).rate(t.summary.u + 1));
  });

  it('takes u among the finite values alone when most of the pool is -Infinity (days without night-time or sensitive volume)', () => {
    const tailFraction = 0.05;
    for (const [share, odd] of [
      [0.95, [-Infinity]],
      [0.6, [-Infinity, NaN, Infinity, -0]],
      [0.3, [NaN, -Infinity]],
    ] as const) {
      const pool = Array.from({ length: 20_000 }, (_, i) => (((i * 7919) % 1000) / 1000 < share ? odd[i % odd.length] : exponential[i % exponential.length]));
      const t = fitTail(pool, prior, { tailFraction });
      // The definition: the k-th largest finite value, k the tail's share of the pool or half the finite values.
      const finite = pool.filter(Number.isFinite).sort((a, b) => b - a);
      const k = Math.min(Math.floor(tailFraction * pool.length), Math.floor(finite.length / 2));
      expect([share, t.summary.source, t.summary.u, t.summary.rateAtU]).toEqual([share, 'pool', finite[k], k / pool.length]);
    }
  });

  it('uses the prior until the organisation has enough days', () => {
    expect(fitTail(exponential.slice(0, 100), prior)).toBe(prior);
  });

  it('scores are 10 log10(1 / rate): 30 is one in 1,000 user-days, 40 one in 10,000', () => {
    expect(scoreOfRate(1e-3)).toBeCloseTo(30, 6);
    expect(scoreOfRate(1e-4)).toBeCloseTo(40, 6);
    expect(rateOfScore(53)).toBeCloseTo(5.0e-6, 7);
  });
});

describe('slow drip: a CUSUM of the standardised excess', () => {
  const P: CusumParams = { k: 0.5, maxRunDays: 25, minReferenceDays: 15, ...CUSUM_CLIP };
  const routine = expectationOf(robustSummary(days(100 * MB, 0.3, 20)), PEERS, PARAMS, 0.6)!;
  const run = (multiple: number, n: number, start = 1000): CusumState => {
    let s = CUSUM_START;
    for (let d = 0; d < n; d++) s = cusumStep(s, start + d, Math.log(multiple * 100 * MB), routine, P);
    return s;
  };

  it('a drip just above detection (1.5x a 0.3-spread routine, every working day) builds a run', () => {
    const s = run(1.5, 10);
    expect(s.runStart).toBe(1000);
    expect(s.runDays).toBe(10);
    expect(s.s).toBeGreaterThan(4.5);
    expect(run(1.5, 15).s).toBeGreaterThan(7);
    expect(s.excessBytes / 1e6).toBeGreaterThan(400);
  });

  it('a drip just below detection (1.1x: within the daily allowance) never does', () => {
    expect(run(1.1, 20).s).toBe(0);
    expect(run(1.1, 20).runStart).toBeNull();
  });

  it('judges the run against the expectation it started from, not one the drip has raised', () => {
    const s = run(1.5, 5);
    const raised = { ...routine, location: routine.location + Math.log(1.5) };
    expect(cusumToday(s, 150 * MB, raised, P)).toBeCloseTo(cusumStep(s, 1005, Math.log(150 * MB), routine, P).s, 6);
    expect(cusumToday(s, 150 * MB, raised, P)).toBeGreaterThan(s.s);
  });

  it('today\'s threshold is the volume at which S reaches the target, none when one day cannot', () => {
    const s = run(1.5, 5);
    const x = cusumThreshold(s, s.s + 2, routine, P);
    expect(cusumToday(s, Math.exp(x), routine, P)).toBeCloseTo(s.s + 2, 3);
    // One day adds at most clipHigh - k.
    expect(cusumThreshold(s, s.s + 3, routine, P)).toBe(Infinity);
  });

  it('starts a run only from an established routine, and starts over after maxRunDays', () => {
    const short = expectationOf(robustSummary(days(100 * MB, 0.3, 8)), PEERS, PARAMS, 0.6)!;
    expect(cusumStep(CUSUM_START, 1000, Math.log(300 * MB), short, P)).toBe(CUSUM_START);
    const long = run(1.5, 30);
    expect(long.runDays).toBeLessThanOrEqual(P.maxRunDays);
    expect(long.runStart).toBeGreaterThan(1000);
  });
});
