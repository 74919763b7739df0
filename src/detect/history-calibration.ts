// The organisation's calibration: every user-day of the last poolDays judged as the live detector judged
// it that day (with the slow-drip CUSUMs run through them), and the tail of each statistic, and of the
// day's most surprising one, fitted on those values. The CUSUMs' state after yesterday is kept too.
import { isWeekend } from '../calendar';
import type { ExpectationModel, HistoryContext } from './history-expectations';
import { judgedDay, type JudgedDay, type JudgedUserDay } from './history-judged';
import { nightOn, USERS_PER_STEP, valueOn, type Nights, type Steps } from './history-series';
import { CUSUM_CLIP, CUSUM_START, cusumJudges, cusumStep, type CusumParams, type CusumState } from './statistics/cusum';
import { surpriseOf } from './statistics/expectation';
import { fitTail, gpdTail, type TailModel } from './statistics/tail';

export interface Calibration {
  /** Each statistic alone: daily volume, busiest hour and sensitive volume (surprises), night-time share (log), drip (CUSUM level). */
  volume: TailModel;
  hour: TailModel;
  sensitive: TailModel;
  night: TailModel;
  drip: TailModel;
  sensitiveDrip: TailModel;
  /** The day's most surprising statistic, -ln of its rate: how often any of them is at least this unusual. */
  combined: TailModel;
}

/**
 * Surprise prior before the organisation has enough days of its own (a new or small deployment): heavier than
 * the model's Exp(1), deliberately: a day the model calls 1 in a billion counts as 1 in a million
 * (rate = model rate^(2/3)). A Pareto-type prior (shape > 0) would be heavier still, but so heavy that no
 * day, however extreme, could reach high or critical until the pool is full: a 100x export must still page.
 */
export const PRIOR_SURPRISE = gpdTail(0, 1, 0, 1.5);
/** Combined prior: the Bonferroni bound for the six statistics, rate = 6 e^-t. */
export const PRIOR_COMBINED = gpdTail(Math.log(6), 1, 0, 1);
/** Statistics that have no prior: nothing is judged rare until the organisation's days say so. */
export const NEVER: TailModel = { rate: () => 1, threshold: () => Infinity, summary: { source: 'prior', samples: 0, u: Infinity, rateAtU: 1, shape: 0, scale: 1 } };

export interface PoolResult {
  calibration: Calibration;
  /** The slow-drip CUSUMs after yesterday, by user: of the daily volume, and of the volume from sensitive tables. */
  drip: Map<string, CusumState>;
  sensitiveDrip: Map<string, CusumState>;
  /** The pool's days as judged, for the next day's history (history-carry.ts). */
  days: Map<number, JudgedDay>;
}

/** A pool user-day's statistics, in the order of calibrate's `tails`: volume, hour, night, drip, sensitive, sensitive drip. */
const RECORD = 6;

/** Every person with a volume on day d, judged against day d's expectations, in the order of `users`. */
function* judgeDay(ctx: HistoryContext, model: ExpectationModel, nights: ReadonlyMap<string, Nights>, d: number): Steps<JudgedUserDay[]> {
  const { users, volumes, hours, sensitives } = ctx;
  const ex = yield* model.expectationsOn(d);
  yield* model.upliftsOn(d);
  const out: JudgedUserDay[] = [];
  for (let i = 0; i < users.length; i++) {
    if (i % USERS_PER_STEP === 0) yield;
    const u = users[i];
    const x = valueOn(volumes.get(u), d);
    if (x === null) continue;
    const j: JudgedUserDay = { user: u, x, volume: null, surprise: 0, night: -Infinity, hour: null, sensitiveExpectation: null, sensitiveValue: null, sensitiveSurprise: 0 };
    const ev = ex.volume.get(u);
    if (ev) {
      const uplift = model.upliftOf(u, d);
      j.volume = uplift > 0 ? { ...ev, location: ev.location + uplift } : ev;
      j.surprise = surpriseOf(j.volume, x);
      const n = nightOn(nights.get(u), d);
      j.night = n ? Math.log(n) - j.volume.location : -Infinity;
    }
    const h = valueOn(hours.get(u), d);
    const eh = ex.hour.get(u);
    if (h !== null && eh) j.hour = surpriseOf(eh, h);
    const es = ex.sensitive.get(u);
    if (es) {
      j.sensitiveExpectation = es;
      j.sensitiveValue = valueOn(sensitives.get(u), d);
      j.sensitiveSurprise = j.sensitiveValue === null ? 0 : surpriseOf(es, j.sensitiveValue);
    }
    out.push(j);
  }
  return out;
}

/**
 * Judges the pool's days (night-time bytes by user and day in `nights`; days in `judged` as they are)
 * and fits the tails on them.
 */
export function* calibrate(ctx: HistoryContext, model: ExpectationModel, nights: ReadonlyMap<string, Nights>, judged?: ReadonlyMap<number, JudgedDay>): Steps<PoolResult> {
  const { day, detection, people, settingsOf } = ctx;
  // The pool: every user-day of the last poolDays, judged as it was judged that day.
  const pools = { volume: [] as number[], hour: [] as number[], sensitive: [] as number[], night: [] as number[], drip: [] as number[], sensitiveDrip: [] as number[] };
  /**
   * Each pool user-day's values, for the combined calibration: RECORD indices into the pools (-1: not
   * judged) a user-day, in one flat array (an array per user-day was a build's largest garbage).
   */
  const records: number[] = [];
  const days = new Map<number, JudgedDay>();
  const drip = new Map<string, CusumState>();
  const sensitiveDrip = new Map<string, CusumState>();
  const cusums = new Map<string, CusumParams>();
  const cusumOf = (u: string): CusumParams => {
    let p = cusums.get(u);
    if (!p) {
      const s = settingsOf(u).slowDrip;
      cusums.set(u, (p = { k: s.k, maxRunDays: s.maxRunDays, minReferenceDays: s.minReferenceDays, ...CUSUM_CLIP }));
    }
    return p;
  };
  /** Whether the drip judges the person on day d (settings, tenure): the pool holds only what is judged. */
  const dripJudges = (u: string, d: number) => {
    const s = settingsOf(u).slowDrip;
    const hire = people.get(u)?.hireDay ?? null;
    return s.enabled && (hire === null || d - hire >= s.minTenureDays);
  };
  for (let d = day - detection.poolDays; d < day; d++) {
    const list = judged?.get(d) ?? (yield* judgedDay(yield* judgeDay(ctx, model, nights, d)));
    model.done(d);
    days.set(d, list);
    const working = !isWeekend(d);
    for (let i = 0; i < list.length; i++) {
      // A person each (their CUSUMs stepped): 4,096 at a time held the thread for 50 ms at 20,000 people.
      if (i % USERS_PER_STEP === 0) yield;
      const j = list.at(i);
      const u = j.user;
      const record = records.length;
      records.push(-1, -1, -1, -1, -1, -1);
      if (j.volume) {
        records[record] = pools.volume.push(j.surprise) - 1;
        records[record + 2] = pools.night.push(j.night) - 1;
        if (working && dripJudges(u, d)) {
          const prev = drip.get(u) ?? CUSUM_START;
          drip.set(u, cusumStep(prev, d, j.x, j.volume, cusumOf(u)));
          // Only days the CUSUM judges calibrate it: before a routine is established it holds at 0, and
          // counting those days as ordinary zeros made early runs look far rarer than they are.
          if (cusumJudges(prev, j.volume, cusumOf(u))) records[record + 3] = pools.drip.push(drip.get(u)!.s) - 1;
        }
      }
      if (j.hour !== null) records[record + 1] = pools.hour.push(j.hour) - 1;
      const es = j.sensitiveExpectation;
      if (es) {
        records[record + 4] = pools.sensitive.push(j.sensitiveSurprise) - 1;
        if (working && dripJudges(u, d)) {
          // A working day without sensitive tables counts as the lowest excess (clipped).
          const prev = sensitiveDrip.get(u) ?? CUSUM_START;
          sensitiveDrip.set(u, cusumStep(prev, d, j.sensitiveValue ?? -Infinity, es, cusumOf(u)));
          if (cusumJudges(prev, es, cusumOf(u))) records[record + 5] = pools.sensitiveDrip.push(sensitiveDrip.get(u)!.s) - 1;
        }
      }
    }
  }
  // One tail a step: each sorts a pool of every user-day of the last poolDays.
  const priors: Record<keyof typeof pools, TailModel> = { volume: PRIOR_SURPRISE, hour: PRIOR_SURPRISE, sensitive: PRIOR_SURPRISE, night: NEVER, drip: NEVER, sensitiveDrip: NEVER };
  const single = { ...priors };
  for (const stat of Object.keys(priors) as Array<keyof typeof pools>) {
    single[stat] = fitTail(pools[stat], priors[stat]);
    yield;
  }
  // The combined calibration: each user-day's most surprising statistic, after each one's own calibration.
  const tails = [single.volume, single.hour, single.night, single.drip, single.sensitive, single.sensitiveDrip];
  const lists = [pools.volume, pools.hour, pools.night, pools.drip, pools.sensitive, pools.sensitiveDrip];
  const combinedPool: number[] = [];
  for (let r = 0; r < records.length; r += RECORD) {
    // Six rates a user-day, each a bisection: 4,096 at a time held the thread for 18 ms at 20,000 people.
    if (combinedPool.length % (8 * USERS_PER_STEP) === 0) yield;
    let most = 0;
    for (let j = 0; j < RECORD; j++) if (records[r + j] >= 0) most = Math.max(most, -Math.log(tails[j].rate(lists[j][records[r + j]])));
    combinedPool.push(most);
  }
  const calibration: Calibration = { ...single, combined: fitTail(combinedPool, PRIOR_COMBINED) };
  return { calibration, drip, sensitiveDrip, days };
}
