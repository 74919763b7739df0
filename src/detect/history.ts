// What the detector knows about the days before the one it judges, built once per UTC day from the
// rollups (history-source.ts). For every person: the expected daily volume and busiest hour
// (statistics/expectation.ts: own robust history shrunk toward the peer group), the state of the
// slow-drip CUSUM after yesterday (statistics/cusum.ts), the tables they know. For the organisation:
// the calibrated tails of every statistic (statistics/tail.ts), fitted on the standardised values of the
// recent user-days, each judged exactly as the live detector would have judged it that day (against the
// baselines of the days before it). And whether a policy limit is routine for a role, and up to where.
//
// Calendar: on the last working days of a month (quarter ends are month ends too), a group whose members
// were up at the last closes is expected to be up again: their median excess on the month-end days of the
// previous 40 days is added to the expectation (shrunk toward 0 with few days).
import { median } from 'simple-statistics';
import { dateString, isMonthEnd, isWeekend } from '../calendar';
import type { DetectionConfig, DetectorSettings } from '../config';
import type { Catalog } from './catalog';
import type { HistorySource, NightGroup, UserDayValue } from './history-source';
import { peerGroupKey, unknownPerson, type Person } from './people';
import { settingsFor } from './settings';
import { CUSUM_CLIP, CUSUM_START, cusumJudges, cusumStep, type CusumParams, type CusumState } from './statistics/cusum';
import { expectationOf, peerPrior, robustSummary, surpriseOf, upperOf, type Expectation, type PeerPrior, type RobustSummary } from './statistics/expectation';
import { fitTail, gpdTail, type TailModel } from './statistics/tail';

export interface Profile {
  /** Today's expected log volume (month-end uplift included), busiest clock hour and volume from sensitive tables (on days with any); null without any basis. */
  volume: Expectation | null;
  hour: Expectation | null;
  sensitive: Expectation | null;
  /** The usual day in bytes (e^location of volume), for the night-time ratio and explanations. */
  usualDay: number | null;
  /** Month-end uplift in today's volume expectation (log units; 0 on other days). */
  uplift: number;
  /** The slow-drip CUSUMs after yesterday: of the daily volume, and of the volume from sensitive tables. */
  drip: CusumState;
  sensitiveDrip: CusumState;
  /** Active days (any volume) in the baseline window. */
  activeDays: number;
}

export interface Known {
  /** Tables touched in the knownTablesDays before today. */
  tables: ReadonlySet<string>;
  /** Of those, the ones first touched in the recent days (the first-access window before today). */
  recent: ReadonlySet<string>;
  activeDays: number;
}

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

export interface Routine {
  group: string;
  /** Share of the group's active user-days at or above the limit, and of the person's own. */
  share: number;
  own: number;
  /** The probability of a day of theirs at or above it, by their own expectation (volume, or sensitive volume). */
  probability: number;
  /**
   * The most a routine exemption covers (bytes): ROUTINE_HEADROOM x the largest day of the typical routine
   * member of the group, or of the person's own; 0 when nothing is routine. Beyond it the limit is not routine.
   */
  cap: number;
}

export interface DayHistory {
  day: number;
  profile(user: string): Profile;
  known(user: string): Known;
  /** Tables that at least `share` of the person's peer group touched in the same window. */
  peerTables(person: Person, share: number): ReadonlySet<string>;
  /** The person's peer group's prior (department and role, else the department), null when too few. */
  peers(person: Person): PeerPrior | null;
  calibration: Calibration;
  routine(person: Person, kind: 'daily' | 'sensitive', limit: number): Routine;
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
/** Days back for month-end residuals: one month end before and the current close. */
const MONTH_END_LOOKBACK = 40;
/** Pseudo-days of "no uplift" in the month-end estimate. */
const MONTH_END_PRIOR = 5;
const MIN_OWN_DAYS_FOR_PEERS = 5;
/** Members of a group who must exceed a limit routinely before it is routine for the role. */
const ROUTINE_MIN_MEMBERS = 3;
/** A routine exemption covers up to this multiple of the largest routine day (heavy-tailed roles reach 3x their month's largest now and then). */
export const ROUTINE_HEADROOM = 4;
/** The prior's name when there is no peer group: the whole organisation. */
export const ORGANISATION = 'organisation';

export function historyDaysNeeded(detection: Pick<DetectionConfig, 'baselineDays' | 'poolDays'>): number {
  return detection.baselineDays + detection.poolDays + MONTH_END_LOOKBACK;
}

export interface HistoryRows {
  daily: UserDayValue[];
  busiestHour: UserDayValue[];
  night: UserDayValue[];
  sensitive: UserDayValue[];
  tables: Array<{ user: string; before: string[]; recent: string[]; days: number }>;
}

/** Reads what day `day` needs from `source` and builds its history. */
export async function loadDayHistory(source: HistorySource, day: number, detection: DetectionConfig, people: ReadonlyMap<string, Person>, catalog: Catalog): Promise<DayHistory> {
  const first = day - historyDaysNeeded(detection);
  const poolFirst = day - detection.poolDays;
  const defaults = detection.detectors;
  const sensitive = catalog.tablesOf(defaults.sensitive.classes);
  const firstAccessDays = defaults.sensitive.firstAccessDays;
  const [daily, busiestHour, night, sensitiveDaily, tables] = await Promise.all([
    source.daily(first, day - 1),
    source.busiestHour(first, day - 1),
    source.night(poolFirst, day - 1, nightGroups(detection, people)),
    source.dailyFrom(first, day - 1, sensitive),
    source.tables(day - detection.knownTablesDays, day - firstAccessDays + 1, day - 1),
  ]);
  return buildDayHistoryInSlices(day, { daily, busiestHour, night, sensitive: sensitiveDaily, tables }, detection, people);
}

/** People grouped by time zone and night hours (one night-time query each). */
export function nightGroups(detection: DetectionConfig, people: ReadonlyMap<string, Person>): NightGroup[] {
  const groups = new Map<string, NightGroup>();
  for (const p of people.values()) {
    const night = settingsFor(detection, p).offHours;
    const key = `${p.timezone}|${night.startHour}|${night.endHour}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { timezone: p.timezone, startHour: night.startHour, endHour: night.endHour, users: [] }));
    g.users.push(p.id);
  }
  return [...groups.values()];
}

/** One user's daily values, sorted by day, as logs (bytes > 0 only). */
interface Series {
  days: number[];
  logs: number[];
  weekday: boolean[];
  /** Summaries by the range of indices they cover: windows that differ only by days without activity (a weekend) are one. */
  summaries: Map<number, RobustSummary | null>;
}

function* seriesOf(rows: ReadonlyArray<UserDayValue>): Steps<Map<string, Series>> {
  const byUser = new Map<string, Array<[number, number]>>();
  let n = 0;
  for (const r of rows) {
    if (++n % ROWS_PER_STEP === 0) yield;
    if (!(r.bytes > 0)) continue;
    let list = byUser.get(r.user);
    if (!list) byUser.set(r.user, (list = []));
    list.push([r.day, r.bytes]);
  }
  const out = new Map<string, Series>();
  for (const [user, list] of byUser) {
    yield;
    list.sort((a, b) => a[0] - b[0]);
    out.set(user, { days: list.map((x) => x[0]), logs: list.map((x) => Math.log(x[1])), weekday: list.map((x) => !isWeekend(x[0])), summaries: new Map() });
  }
  return out;
}

/** Index of the first element >= x in a sorted array. */
function lowerBound(a: ReadonlyArray<number>, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Robust summary of the working days in [day - window, day - 1] (all active days when fewer than 3 are working days). */
function ownSummary(s: Series | undefined, day: number, window: number): { summary: RobustSummary | null; active: number } {
  if (!s) return { summary: null, active: 0 };
  const from = lowerBound(s.days, day - window);
  const to = lowerBound(s.days, day);
  const key = from * (s.days.length + 1) + to;
  if (s.summaries.has(key)) return { summary: s.summaries.get(key)!, active: to - from };
  const working: number[] = [];
  const all: number[] = [];
  for (let i = from; i < to; i++) {
    all.push(s.logs[i]);
    if (s.weekday[i]) working.push(s.logs[i]);
  }
  const summary = robustSummary(working.length >= 3 ? working : all);
  s.summaries.set(key, summary);
  return { summary, active: to - from };
}

function valueOn(s: Series | undefined, day: number): number | null {
  if (!s) return null;
  const i = lowerBound(s.days, day);
  return i < s.days.length && s.days[i] === day ? s.logs[i] : null;
}

/**
 * The build as steps: a generator that yields after each person (and every few thousand rows), so that a
 * caller can give the event loop a turn between slices of it. 10,000 people take seconds, and a detector
 * that held its thread that long would miss its Kafka heartbeats and stall the days it is judging.
 */
type Steps<T> = Generator<void, T, void>;
/** Rows read between two steps of grouping them. */
const ROWS_PER_STEP = 4096;
/** The longest run of steps between two turns of the event loop (ms). */
const SLICE_MS = 10;

/** Builds the history in one go: for hand-built histories in tests and tools that have the thread to themselves. */
export function buildDayHistory(day: number, rows: HistoryRows, detection: DetectionConfig, people: ReadonlyMap<string, Person>): DayHistory {
  return runSteps(historySteps(day, rows, detection, people));
}

/**
 * Builds the history in slices of at most about SLICE_MS, with a turn of the event loop (setImmediate:
 * timers and I/O first) between them: heartbeats, other batches' judgement and the API go on meanwhile.
 * The history is handed over whole when done (the engine keeps one promise per day: nothing sees half of it).
 */
export async function buildDayHistoryInSlices(day: number, rows: HistoryRows, detection: DetectionConfig, people: ReadonlyMap<string, Person>, sliceMs = SLICE_MS): Promise<DayHistory> {
  const steps = historySteps(day, rows, detection, people);
  for (;;) {
    const end = performance.now() + sliceMs;
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
      if (performance.now() >= end) break;
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

function* historySteps(day: number, rows: HistoryRows, detection: DetectionConfig, people: ReadonlyMap<string, Person>): Steps<DayHistory> {
  const B = detection.baselineDays;
  const volumes = yield* seriesOf(rows.daily);
  const hours = yield* seriesOf(rows.busiestHour);
  const sensitives = yield* seriesOf(rows.sensitive);
  const nights = new Map<string, Map<number, number>>();
  let n = 0;
  for (const r of rows.night) {
    if (++n % ROWS_PER_STEP === 0) yield;
    if (!(r.bytes > 0)) continue;
    if (!nights.has(r.user)) nights.set(r.user, new Map());
    nights.get(r.user)!.set(r.day, (nights.get(r.user)!.get(r.day) ?? 0) + r.bytes);
  }
  const users = [...new Set([...volumes.keys(), ...hours.keys()])].sort();
  const personOf = (u: string) => people.get(u) ?? unknownPerson(u);
  const settingsCache = new Map<string, DetectorSettings>();
  const settingsOf = (u: string) => {
    let s = settingsCache.get(u);
    if (!s) settingsCache.set(u, (s = settingsFor(detection, personOf(u))));
    return s;
  };
  const params = (u: string) => ({ sigmaFloor: detection.sigmaFloor, priorDays: detection.priorDays, mixture: settingsOf(u).volumePeers.enabled ? settingsOf(u).volumePeers.mixture : 0 });
  const groupKeys = (u: string): string[] => {
    const p = people.get(u);
    return p && settingsOf(u).volumePeers.enabled ? [peerGroupKey(p), peerGroupKey(p, true)] : [];
  };

  /** Expectations of every user on day d (volume without uplift, and hour), memoised. */
  type Stat = 'volume' | 'hour' | 'sensitive';
  const STATS: ReadonlyArray<Stat> = ['volume', 'hour', 'sensitive'];
  type Expectations = Record<Stat, Map<string, Expectation>> & {
    active: Map<string, number>;
    priors: Map<string, PeerPrior | null>;
    /** The expectation of someone with no rows in the window (a new hire's first day, a return from leave): the prior alone. */
    without(u: string, stat: Stat): Expectation | null;
    prior(u: string, stat: Stat): PeerPrior | null;
  };
  const memo = new Map<number, Expectations>();
  function* expectationsOn(d: number) {
    const hit = memo.get(d);
    if (hit) return hit;
    const own = new Map<string, Record<Stat, RobustSummary | null> & { active: number }>();
    for (const u of users) {
      yield;
      const v = ownSummary(volumes.get(u), d, B);
      own.set(u, { volume: v.summary, hour: ownSummary(hours.get(u), d, B).summary, sensitive: ownSummary(sensitives.get(u), d, B).summary, active: v.active });
    }
    // Peer priors per group, for each statistic.
    const members = new Map<string, Record<Stat, RobustSummary[]>>();
    for (const u of users) {
      const o = own.get(u)!;
      for (const key of groupKeys(u)) {
        let m = members.get(key);
        if (!m) members.set(key, (m = { volume: [], hour: [], sensitive: [] }));
        for (const stat of STATS) if (o[stat]) m[stat].push(o[stat]!);
      }
    }
    const opts = { minMembers: detection.minPeers, minDays: MIN_OWN_DAYS_FOR_PEERS, sigmaFloor: detection.sigmaFloor, maxPriorDays: detection.priorDays };
    const priors = new Map<string, Record<Stat, PeerPrior | null>>();
    for (const [key, m] of members) priors.set(key, { volume: peerPrior(key, m.volume, opts), hour: peerPrior(key, m.hour, opts), sensitive: peerPrior(key, m.sensitive, opts) });
    // Without a peer group (too small, none, or peers disabled), the organisation is the prior of the daily
    // volume and the busiest hour of a person with fewer than MIN_OWN_DAYS_FOR_PEERS days of their own: a
    // new hire or an account first seen today is never judged on nothing. Not beyond that: the organisation
    // is no peer group (its typical member is not a heavy role's), and a few weeks of one's own say more.
    // (Not of the sensitive volume: most people have none, and the organisation's would be the heaviest roles'.)
    const organisation: Record<Stat, PeerPrior | null> = {
      volume: peerPrior(ORGANISATION, users.map((u) => own.get(u)!.volume).filter((x): x is RobustSummary => x !== null), opts),
      hour: peerPrior(ORGANISATION, users.map((u) => own.get(u)!.hour).filter((x): x is RobustSummary => x !== null), opts),
      sensitive: null,
    };
    const pick = (u: string, stat: Stat) => {
      for (const key of groupKeys(u)) {
        const prior = priors.get(key)?.[stat];
        if (prior) return prior;
      }
      return (own.get(u)?.[stat]?.n ?? 0) < MIN_OWN_DAYS_FOR_PEERS ? organisation[stat] : null;
    };
    // The organisation is a prior, not a peer group whose judgement a history that does not fit it should share.
    const paramsFor = (u: string, prior: PeerPrior | null) => (prior && prior.group === ORGANISATION ? { ...params(u), mixture: 0 } : params(u));
    const typical = (stat: Stat) => {
      const spreads = users.map((u) => own.get(u)![stat]).filter((s): s is RobustSummary => s !== null && s.n >= MIN_OWN_DAYS_FOR_PEERS).map((s) => s.spread).sort((a, b) => a - b);
      return spreads.length > 0 ? Math.max(detection.sigmaFloor, spreads[Math.floor(spreads.length / 2)]) : 1;
    };
    const fallbacks = { volume: typical('volume'), hour: typical('hour'), sensitive: typical('sensitive') };
    const out: Expectations = {
      volume: new Map<string, Expectation>(),
      hour: new Map<string, Expectation>(),
      sensitive: new Map<string, Expectation>(),
      active: new Map<string, number>(),
      priors: new Map<string, PeerPrior | null>(),
      without: (u, stat) => {
        const prior = pick(u, stat);
        return expectationOf(null, prior, paramsFor(u, prior), fallbacks[stat]);
      },
      prior: pick,
    };
    for (const stat of STATS) {
      for (const u of users) {
        yield;
        const prior = pick(u, stat);
        const e = expectationOf(own.get(u)![stat], prior, paramsFor(u, prior), fallbacks[stat]);
        if (e) out[stat].set(u, e);
      }
    }
    for (const u of users) {
      out.active.set(u, own.get(u)!.active);
      out.priors.set(u, pick(u, 'volume'));
    }
    memo.set(d, out);
    return out;
  }

  /** Month-end uplift of each group on day d (log units), from its members' excess on the month-end days before d. */
  const upliftMemo = new Map<number, Map<string, number>>();
  function* upliftsOn(d: number): Steps<Map<string, number>> {
    const hit = upliftMemo.get(d);
    if (hit) return hit;
    const out = new Map<string, number>();
    if (isMonthEnd(d)) {
      const residuals = new Map<string, number[]>();
      for (let e = d - MONTH_END_LOOKBACK; e < d; e++) {
        if (!isMonthEnd(e) || e < day - historyDaysNeeded(detection) + B) continue;
        const ex = (yield* expectationsOn(e)).volume;
        for (const u of users) {
          const x = valueOn(volumes.get(u), e);
          const exp = ex.get(u);
          if (x === null || !exp) continue;
          const key = groupKeys(u)[0];
          if (key === undefined) continue;
          if (!residuals.has(key)) residuals.set(key, []);
          residuals.get(key)!.push(x - exp.location);
        }
      }
      for (const [key, r] of residuals) {
        const sorted = r.sort((a, b) => a - b);
        const med = sorted[Math.floor(sorted.length / 2)];
        if (sorted.length >= MIN_OWN_DAYS_FOR_PEERS && med > 0) out.set(key, (med * sorted.length) / (sorted.length + MONTH_END_PRIOR));
      }
    }
    upliftMemo.set(d, out);
    return out;
  }
  /** Uplifts are computed in steps before they are read (the pool's days, today); a day that was not is computed here. */
  const upliftOf = (u: string, d: number) => {
    const key = groupKeys(u)[0];
    return key === undefined ? 0 : ((upliftMemo.get(d) ?? runSteps(upliftsOn(d))).get(key) ?? 0);
  };

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

  const today = yield* expectationsOn(day);
  yield* upliftsOn(day);
  const profiles = new Map<string, Profile>();
  const known = new Map<string, Known>();
  for (const t of rows.tables) {
    const recent = new Set(t.recent.filter((x) => !t.before.includes(x)));
    known.set(t.user, { tables: new Set([...t.before, ...t.recent]), recent, activeDays: t.days });
  }
  const peerTableCache = new Map<string, ReadonlySet<string>>();
  const routineCache = new Map<string, Routine>();
  const sensitiveByUser = new Map<string, UserDayValue[]>();
  for (const r of rows.sensitive) {
    let list = sensitiveByUser.get(r.user);
    if (!list) sensitiveByUser.set(r.user, (list = []));
    list.push(r);
  }
  const groupOf = (p: Person) => peerGroupKey(p);
  const EMPTY: ReadonlySet<string> = new Set();

  return {
    day,
    calibration,
    profile(user) {
      let p = profiles.get(user);
      if (!p) {
        // Someone with no rows at all in the window (first day seen, back from a long absence) is judged by the prior alone.
        const ev = today.volume.get(user) ?? today.without(user, 'volume');
        const uplift = ev ? upliftOf(user, day) : 0;
        const volume = ev && uplift > 0 ? { ...ev, location: ev.location + uplift } : ev;
        p = {
          volume,
          hour: today.hour.get(user) ?? today.without(user, 'hour'),
          sensitive: today.sensitive.get(user) ?? null,
          usualDay: volume ? Math.exp(volume.location) : null,
          uplift,
          drip: drip.get(user) ?? CUSUM_START,
          sensitiveDrip: sensitiveDrip.get(user) ?? CUSUM_START,
          activeDays: today.active.get(user) ?? 0,
        };
        profiles.set(user, p);
      }
      return p;
    },
    known: (user) => known.get(user) ?? { tables: EMPTY, recent: EMPTY, activeDays: 0 },
    peers: (person) => (today.priors.has(person.id) ? today.priors.get(person.id)! : today.prior(person.id, 'volume')),
    peerTables(person, share) {
      const key = `${groupOf(person)}|${share}`;
      let out = peerTableCache.get(key);
      if (!out) {
        const counts = new Map<string, number>();
        let members = 0;
        for (const [u, k] of known) {
          const q = people.get(u);
          if (!q || groupOf(q) !== groupOf(person) || u === person.id) continue;
          members++;
          for (const t of k.tables) counts.set(t, (counts.get(t) ?? 0) + 1);
        }
        out = new Set([...counts].filter(([, c]) => members > 0 && c / members >= share).map(([t]) => t));
        peerTableCache.set(key, out);
      }
      return out;
    },
    routine(person, kind, limit) {
      const dayOk = (d: number) => d >= day - B && d < day;
      const activeOf = (u: string) => (volumes.get(u)?.days ?? []).filter(dayOk).length;
      const valuesOf = (u: string): number[] =>
        kind === 'daily'
          ? (volumes.get(u)?.days ?? []).flatMap((d, i) => (dayOk(d) ? [Math.exp(volumes.get(u)!.logs[i])] : []))
          : (sensitiveByUser.get(u) ?? []).filter((v) => dayOk(v.day) && v.bytes > 0).map((v) => v.bytes);
      const shareOf = (u: string) => {
        const active = activeOf(u);
        return active > 0 ? valuesOf(u).filter((v) => v >= limit).length / active : 0;
      };
      const maxOf = (u: string) => valuesOf(u).reduce((m, v) => Math.max(m, v), 0);
      const key = `${groupOf(person)}|${kind}|${limit}`;
      let group = routineCache.get(key);
      if (!group) {
        // Routine for the role when its typical member exceeds the limit routinely (the median member's share
        // of days), and at least ROUTINE_MIN_MEMBERS members do: one or two heavy members of a small group do
        // not make it routine for the others. The range it covers follows the typical routine member's
        // largest day (median, not maximum: one extreme member does not stretch it).
        const members = users.filter((u) => {
          const q = people.get(u);
          return q !== undefined && groupOf(q) === groupOf(person) && activeOf(u) >= MIN_OWN_DAYS_FOR_PEERS;
        });
        const shares = members.map(shareOf);
        const routineMembers = members.filter((_, i) => shares[i] >= detection.routineShare);
        const enough = routineMembers.length >= ROUTINE_MIN_MEMBERS;
        group = {
          group: groupOf(person),
          share: enough ? median(shares) : 0,
          own: 0,
          probability: 0,
          cap: enough ? ROUTINE_HEADROOM * median(routineMembers.map(maxOf)) : 0,
        };
        routineCache.set(key, group);
      }
      let expected: Expectation | null = null;
      if (kind === 'daily') expected = today.volume.get(person.id) ?? null;
      else {
        const logs = valuesOf(person.id).map((v) => Math.log(v));
        expected = logs.length >= 3 ? expectationOf(robustSummary(logs), null, { sigmaFloor: detection.sigmaFloor, priorDays: detection.priorDays, mixture: 0 }, 1) : null;
      }
      const own = shareOf(person.id);
      const probability = expected ? upperOf(expected, Math.log(limit)) : 0;
      // The person's own routine covers up to their own largest day, with the same headroom.
      const ownCap = own >= detection.routineShare || probability >= detection.routineRate ? ROUTINE_HEADROOM * maxOf(person.id) : 0;
      return { ...group, own, probability, cap: Math.max(group.share >= detection.routineShare ? group.cap : 0, ownCap) };
    },
  };
}

/** For logs and tests: the day and what each tail rests on. */
export function describeCalibration(h: DayHistory): string {
  const c = h.calibration;
  const one = (name: string, t: TailModel) => `${name} ${t.summary.source} n=${t.summary.samples} u=${t.summary.u.toFixed(2)} shape=${t.summary.shape.toFixed(2)} scale=${t.summary.scale.toFixed(2)}`;
  return `${dateString(h.day)}: ${[one('volume', c.volume), one('hour', c.hour), one('sensitive', c.sensitive), one('night', c.night), one('drip', c.drip), one('sensitive drip', c.sensitiveDrip), one('combined', c.combined)].join('; ')}`;
}

/**
 * One history per day for several engines (tuning candidates that differ only in scoring share it: the
 * history is the expensive part), the last `keep` days kept.
 */
export function sharedHistory<T>(load: (day: number) => Promise<T>, keep = 3): (day: number) => Promise<T> {
  const cache = new Map<number, Promise<T>>();
  return (day) => {
    let h = cache.get(day);
    if (!h) {
      h = load(day);
      // A failed load is not kept: the next engine asks again.
      h.catch(() => cache.delete(day));
      cache.set(day, h);
      for (const d of cache.keys()) if (d < day - keep) cache.delete(d);
    }
    return h;
  };
}
