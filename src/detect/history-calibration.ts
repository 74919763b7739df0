// The organisation's calibration: every user-day of the last poolDays judged as the live detector judged
// it that day (with the slow-drip CUSUMs run through them), and the tail of each statistic, and of the
// day's most surprising one, fitted on those values. The CUSUMs' state after yesterday is kept too.
import { isWeekend } from '../calendar';
import type { ExpectationModel, HistoryContext } from './history-expectations';
import { ROWS_PER_STEP, valueOn, type Steps } from './history-series';
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
}

/** Judges the pool's days (night-time bytes by user and day in `nights`) and fits the tails on them. */
export function* calibrate(ctx: HistoryContext, model: ExpectationModel, nights: Map<string, Map<number, number>>): Steps<PoolResult> {
  const { day, detection, people, users, volumes, hours, sensitives, settingsOf } = ctx;
  const { expectationsOn, upliftsOn, upliftOf } = model;
  // The pool: every user-day of the last poolDays, judged as it was judged that day.
  const pools = { volume: [] as number[], hour: [] as number[], sensitive: [] as number[], night: [] as number[], drip: [] as number[], sensitiveDrip: [] as number[] };
  /** Each pool user-day's values, for the combined calibration (index into the pools, -1: not judged). */
  const records: number[][] = [];
  const drip = new Map<string, CusumState>();
  const sensitiveDrip = new Map<string, CusumState>();
  const cusumOf = (u: string): CusumParams => {
    const s = settingsOf(u).slowDrip;
    return { k: s.k, maxRunDays: s.maxRunDays, minReferenceDays: s.minReferenceDays, ...CUSUM_CLIP };
  };
  /** Whether the drip judges the person on day d (settings, tenure): the pool holds only what is judged. */
  const dripJudges = (u: string, d: number) => {
    const s = settingsOf(u).slowDrip;
    const hire = people.get(u)?.hireDay ?? null;
    return s.enabled && (hire === null || d - hire >= s.minTenureDays);
  };
  for (let d = day - detection.poolDays; d < day; d++) {
    const ex = yield* expectationsOn(d);
    yield* upliftsOn(d);
    for (const u of users) {
      yield;
      const x = valueOn(volumes.get(u), d);
      if (x === null) continue;
      const record = [-1, -1, -1, -1, -1, -1];
      const ev = ex.volume.get(u);
      if (ev) {
        const uplift = upliftOf(u, d);
        const judged = uplift > 0 ? { ...ev, location: ev.location + uplift } : ev;
        record[0] = pools.volume.push(surpriseOf(judged, x)) - 1;
        const n = nights.get(u)?.get(d);
        record[2] = pools.night.push(n ? Math.log(n) - judged.location : -Infinity) - 1;
        if (!isWeekend(d) && dripJudges(u, d)) {
          const prev = drip.get(u) ?? CUSUM_START;
          drip.set(u, cusumStep(prev, d, x, judged, cusumOf(u)));
          // Only days the CUSUM judges calibrate it: before a routine is established it holds at 0, and
          // counting those days as ordinary zeros made early runs look far rarer than they are.
          if (cusumJudges(prev, judged, cusumOf(u))) record[3] = pools.drip.push(drip.get(u)!.s) - 1;
        }
      }
      const h = valueOn(hours.get(u), d);
      const eh = ex.hour.get(u);
      if (h !== null && eh) record[1] = pools.hour.push(surpriseOf(eh, h)) - 1;
      const es = ex.sensitive.get(u);
      if (es) {
        const v = valueOn(sensitives.get(u), d);
        record[4] = pools.sensitive.push(v === null ? 0 : surpriseOf(es, v)) - 1;
        if (!isWeekend(d) && dripJudges(u, d)) {
          // A working day without sensitive tables counts as the lowest excess (clipped).
          const prev = sensitiveDrip.get(u) ?? CUSUM_START;
          sensitiveDrip.set(u, cusumStep(prev, d, v ?? -Infinity, es, cusumOf(u)));
          if (cusumJudges(prev, es, cusumOf(u))) record[5] = pools.sensitiveDrip.push(sensitiveDrip.get(u)!.s) - 1;
        }
      }
      records.push(record);
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
  for (const r of records) {
    if (combinedPool.length % ROWS_PER_STEP === 0) yield;
    combinedPool.push(Math.max(0, ...r.map((i, j) => (i < 0 ? 0 : -Math.log(tails[j].rate(lists[j][i]))))));
  }
  const calibration: Calibration = { ...single, combined: fitTail(combinedPool, PRIOR_COMBINED) };
  return { calibration, drip, sensitiveDrip };
}
