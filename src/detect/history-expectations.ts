// Expectations of every person on a given day: their own robust history shrunk toward their peer group's
// prior (the organisation's for newcomers), and the month-end uplift of each group. Memoised by day: the
// pool's days, and today, each read them several times; a backfill's next history takes most of the
// memo over (history-carry.ts).
import { isMonthEnd } from '../calendar';
import type { DetectionConfig, DetectorSettings } from '../config';
import type { Person } from './people';
import { getExpectation, NUMBERS, peerPlaces, putExpectation, type PeerNumbers } from './expectation-columns';
import { lowerBound, ownSummary, runSteps, USERS_PER_STEP, valueOn, type Series, type Steps } from './history-series';
import { expectationOf, peerPrior, type Expectation, type PeerPrior, type RobustSummary } from './statistics/expectation';

/** Days back for month-end residuals: one month end before and the current close. */
export const MONTH_END_LOOKBACK = 40;
/** Pseudo-days of "no uplift" in the month-end estimate. */
const MONTH_END_PRIOR = 5;
export const MIN_OWN_DAYS_FOR_PEERS = 5;
/** The prior's name when there is no peer group: the whole organisation. */
export const ORGANISATION = 'organisation';

export function historyDaysNeeded(detection: Pick<DetectionConfig, 'baselineDays' | 'poolDays'>): number {
  return detection.baselineDays + detection.poolDays + MONTH_END_LOOKBACK;
}

/**
 * Days of busiest-hour rows a day's history reads: the busiest hour is judged on the pool's days and on
 * the day itself, each against the baseline days before it; the month-end uplift, which looks further
 * back, rests on the daily volume alone. (The hourly rollup is the costly read: 27 of the 32 s of
 * ClickHouse's share of a 100,000-employee build over 96 days.)
 */
export function hourDaysNeeded(detection: Pick<DetectionConfig, 'baselineDays' | 'poolDays'>): number {
  return detection.baselineDays + detection.poolDays;
}

/** What the parts of one day's build share: the day, the settings, the people and their series. */
export interface HistoryContext {
  day: number;
  detection: DetectionConfig;
  people: ReadonlyMap<string, Person>;
  /** Everyone with a daily volume or a busiest hour in the window, sorted (looked up by bisection: expectationsFor). */
  users: string[];
  volumes: Map<string, Series>;
  hours: Map<string, Series>;
  sensitives: Map<string, Series>;
  settingsOf(u: string): DetectorSettings;
  /** The person's peer group keys, most specific first ([] when they have none or peers are off). */
  groupKeys(u: string): string[];
}

export type Stat = 'volume' | 'hour' | 'sensitive';
const STATS: ReadonlyArray<Stat> = ['volume', 'hour', 'sensitive'];
export type Expectations = Record<Stat, ReadonlyMap<string, Expectation>> & {
  active: ReadonlyMap<string, number>;
  priors: ReadonlyMap<string, PeerPrior | null>;
  /** The expectation of someone with no rows in the window (a new hire's first day, a return from leave): the prior alone. */
  without(u: string, stat: Stat): Expectation | null;
  prior(u: string, stat: Stat): PeerPrior | null;
};

/** The expectations a history worked out, by day, and the month-end uplifts. */
export interface ExpectationMemo {
  expectations: Map<number, Expectations>;
  uplifts: Map<number, Map<string, number>>;
}

export interface ExpectationModel {
  /** Expectations of every user on day d (volume without uplift, and hour), memoised. */
  expectationsOn(d: number): Steps<Expectations>;
  upliftsOn(d: number): Steps<Map<string, number>>;
  upliftOf(u: string, d: number): number;
  /**
   * Day d's expectations will not be asked for again by this build (a pool day, once judged): dropped,
   * unless d is a month end (a later day's uplift reads them). Each pool day's are a Map per statistic of
   * everyone: kept, they were most of a first build's peak memory (about 16 MB a day at 20,000 people).
   */
  done(d: number): void;
  /** Every day worked out (or taken over) so far, but those done. */
  memo: ExpectationMemo;
}

/** The month-end uplift of the person's group (most specific key) in one day's uplifts. */
export function upliftIn(uplifts: ReadonlyMap<string, number>, groupKeys: ReadonlyArray<string>): number {
  const key = groupKeys[0];
  return key === undefined ? 0 : (uplifts.get(key) ?? 0);
}

/**
 * Expectations of every user on day d. Outside the model on purpose: the closures of what it returns
 * (without, prior) hold this call's scope only, so a history that keeps its day's expectations does not
 * keep the model's memo of every other day with them (hundreds of megabytes at 10,000 people).
 */
function* expectationsFor(ctx: HistoryContext, d: number): Steps<Expectations> {
  const { detection, users, volumes, hours, sensitives, settingsOf, groupKeys } = ctx;
  const B = detection.baselineDays;
  const params = (u: string) => ({ sigmaFloor: detection.sigmaFloor, priorDays: detection.priorDays, mixture: settingsOf(u).volumePeers.enabled ? settingsOf(u).volumePeers.mixture : 0 });
  // Let go once today's expectations are made (below): the closures returned (without, prior) keep this scope.
  let own: Map<string, Record<Stat, RobustSummary | null> & { active: number }> | null = new Map();
  const ownOf = (u: string) => own!.get(u)!;
  for (let i = 0; i < users.length; i++) {
    if (i % USERS_PER_STEP === 0) yield;
    const u = users[i];
    const v = ownSummary(volumes.get(u), d, B);
    own!.set(u, { volume: v.summary, hour: ownSummary(hours.get(u), d, B).summary, sensitive: ownSummary(sensitives.get(u), d, B).summary, active: v.active });
  }
  // Peer priors per group, for each statistic. Every loop over everyone below takes a step per
  // USERS_PER_STEP people, every sort and median a step of its own: at 20,000 people the loops between two
  // turns held the thread for 200 to 400 ms.
  const members = new Map<string, Record<Stat, RobustSummary[]>>();
  for (let i = 0; i < users.length; i++) {
    if (i % USERS_PER_STEP === 0) yield;
    const u = users[i];
    const o = ownOf(u);
    for (const key of groupKeys(u)) {
      let m = members.get(key);
      if (!m) members.set(key, (m = { volume: [], hour: [], sensitive: [] }));
      for (const stat of STATS) if (o[stat]) m[stat].push(o[stat]!);
    }
  }
  const opts = { minMembers: detection.minPeers, minDays: MIN_OWN_DAYS_FOR_PEERS, sigmaFloor: detection.sigmaFloor, maxPriorDays: detection.priorDays };
  const priors = new Map<string, Record<Stat, PeerPrior | null>>();
  for (const [key, m] of members) {
    // A group's medians cost about its members' summaries: a step of people's worth.
    yield;
    priors.set(key, { volume: peerPrior(key, m.volume, opts), hour: peerPrior(key, m.hour, opts), sensitive: peerPrior(key, m.sensitive, opts) });
  }
  // Without a peer group (too small, none, or peers disabled), the organisation is the prior of the daily
  // volume and the busiest hour of a person with fewer than MIN_OWN_DAYS_FOR_PEERS days of their own: a
  // new hire or an account first seen today is never judged on nothing. Not beyond that: the organisation
  // is no peer group (its typical member is not a heavy role's), and a few weeks of one's own say more.
  // (Not of the sensitive volume: most people have none, and the organisation's would be the heaviest roles'.)
  const everyone = (stat: Stat) => users.map((u) => ownOf(u)[stat]).filter((x): x is RobustSummary => x !== null);
  yield;
  const organisationVolume = peerPrior(ORGANISATION, everyone('volume'), opts);
  yield;
  const organisation: Record<Stat, PeerPrior | null> = { volume: organisationVolume, hour: peerPrior(ORGANISATION, everyone('hour'), opts), sensitive: null };
  /**
   * Per person (by their place in the sorted `users`), a bit per statistic: at least MIN_OWN_DAYS_FOR_PEERS
   * days of their own. What `pick` asks of the own summaries, kept when they are let go.
   */
  const enough = new Uint8Array(users.length);
  for (let i = 0; i < users.length; i++) {
    if (i % USERS_PER_STEP === 0) yield;
    const o = ownOf(users[i]);
    for (let k = 0; k < STATS.length; k++) if ((o[STATS[k]]?.n ?? 0) >= MIN_OWN_DAYS_FOR_PEERS) enough[i] |= 1 << k;
  }
  const ownDaysEnough = (u: string, stat: Stat) => {
    // While the build runs, from the summaries themselves (a Map lookup, not a bisection per person and statistic).
    if (own) return (own.get(u)?.[stat]?.n ?? 0) >= MIN_OWN_DAYS_FOR_PEERS;
    const i = lowerBound(users, u);
    return i < users.length && users[i] === u && (enough[i] & (1 << STATS.indexOf(stat))) !== 0;
  };
  const pick = (u: string, stat: Stat) => {
    for (const key of groupKeys(u)) {
      const prior = priors.get(key)?.[stat];
      if (prior) return prior;
    }
    return ownDaysEnough(u, stat) ? null : organisation[stat];
  };
  // The organisation is a prior, not a peer group whose judgement a history that does not fit it should share.
  const paramsFor = (u: string, prior: PeerPrior | null) => (prior && prior.group === ORGANISATION ? { ...params(u), mixture: 0 } : params(u));
  const typical = (stat: Stat) => {
    const spreads = users.map((u) => ownOf(u)[stat]).filter((s): s is RobustSummary => s !== null && s.n >= MIN_OWN_DAYS_FOR_PEERS).map((s) => s.spread).sort((a, b) => a - b);
    return spreads.length > 0 ? Math.max(detection.sigmaFloor, spreads[Math.floor(spreads.length / 2)]) : 1;
  };
  yield;
  const typicalVolume = typical('volume');
  yield;
  const typicalHour = typical('hour');
  yield;
  const fallbacks = { volume: typicalVolume, hour: typicalHour, sensitive: typical('sensitive') };
  const made = { volume: new Map<string, Expectation>(), hour: new Map<string, Expectation>(), sensitive: new Map<string, Expectation>() };
  const active = new Map<string, number>();
  const priorOf = new Map<string, PeerPrior | null>();
  const out: Expectations = {
    ...made,
    active,
    priors: priorOf,
    without: (u, stat) => {
      const prior = pick(u, stat);
      return expectationOf(null, prior, paramsFor(u, prior), fallbacks[stat]);
    },
    prior: pick,
  };
  for (const stat of STATS) {
    for (let i = 0; i < users.length; i++) {
      if (i % USERS_PER_STEP === 0) yield;
      const u = users[i];
      const prior = pick(u, stat);
      const e = expectationOf(ownOf(u)[stat], prior, paramsFor(u, prior), fallbacks[stat]);
      if (e) made[stat].set(u, e);
    }
  }
  for (let i = 0; i < users.length; i++) {
    if (i % USERS_PER_STEP === 0) yield;
    const u = users[i];
    active.set(u, ownOf(u).active);
    priorOf.set(u, pick(u, 'volume'));
  }
  own = null;
  return out;
}

/** `carried`: days worked out by another history on the same rows (history-carry.ts), taken as they are. */
export function expectationModel(ctx: HistoryContext, carried?: ExpectationMemo): ExpectationModel {
  const { day, detection, users, volumes, groupKeys } = ctx;
  const B = detection.baselineDays;
  const memo = new Map<number, Expectations>(carried?.expectations);
  function* expectationsOn(d: number) {
    const hit = memo.get(d);
    if (hit) return hit;
    const out = yield* expectationsFor(ctx, d);
    memo.set(d, out);
    return out;
  }

  /** Month-end uplift of each group on day d (log units), from its members' excess on the month-end days before d. */
  const upliftMemo = new Map<number, Map<string, number>>(carried?.uplifts);
  function* upliftsOn(d: number): Steps<Map<string, number>> {
    const hit = upliftMemo.get(d);
    if (hit) return hit;
    const out = new Map<string, number>();
    if (isMonthEnd(d)) {
      const residuals = new Map<string, number[]>();
      for (let e = d - MONTH_END_LOOKBACK; e < d; e++) {
        if (!isMonthEnd(e) || e < day - historyDaysNeeded(detection) + B) continue;
        const ex = (yield* expectationsOn(e)).volume;
        for (let i = 0; i < users.length; i++) {
          if (i % USERS_PER_STEP === 0) yield;
          const u = users[i];
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
        yield;
        const sorted = r.sort((a, b) => a - b);
        const med = sorted[Math.floor(sorted.length / 2)];
        if (sorted.length >= MIN_OWN_DAYS_FOR_PEERS && med > 0) out.set(key, (med * sorted.length) / (sorted.length + MONTH_END_PRIOR));
      }
    }
    upliftMemo.set(d, out);
    return out;
  }
  /** Uplifts are computed in steps before they are read (the pool's days, today); a day that was not is computed here. */
  const upliftOf = (u: string, d: number) => upliftIn(upliftMemo.get(d) ?? runSteps(upliftsOn(d)), groupKeys(u));
  const done = (d: number) => {
    if (!isMonthEnd(d)) memo.delete(d);
  };
  return { expectationsOn, upliftsOn, upliftOf, done, memo: { expectations: memo, uplifts: upliftMemo } };
}

/**
 * A built history's expectations of its day, of everyone (`users`, sorted: everyone they have), in
 * columns (expectation-columns.ts): it holds them all day, and so does the carry for the next day's
 * build; as objects in five Maps they were about 530 bytes a person, in columns 192. Read back equal.
 */
export function* packedExpectations(ex: Expectations, users: ReadonlyArray<string>): Steps<Expectations> {
  const peers = peerPlaces();
  const ownPeerNumbers = new Map<number, PeerNumbers>();
  const cols = yield* expectationColumns(ex, users, peers, ownPeerNumbers);
  const placeOf = (u: string) => {
    const i = lowerBound(users, u);
    return i < users.length && users[i] === u ? i : -1;
  };
  const column = <V>(has: (i: number) => boolean, read: (i: number) => V): ReadonlyMap<string, V> => new ColumnMap(users, placeOf, has, read);
  const expectations = (k: number) =>
    column(
      (i) => (cols[i * ROW + THERE] & (1 << k)) !== 0,
      (i) => getExpectation(cols, i * ROW + k * NUMBERS.length, 1, peers.at(cols[i * ROW + PEERS + k]), ownPeerNumbers)!,
    );
  return {
    without: ex.without,
    prior: ex.prior,
    volume: expectations(0),
    hour: expectations(1),
    sensitive: expectations(2),
    active: column((i) => !Number.isNaN(cols[i * ROW + ACTIVE]), (i) => cols[i * ROW + ACTIVE]),
    priors: column((i) => cols[i * ROW + PRIOR] !== -2, (i) => peers.at(cols[i * ROW + PRIOR])),
  };
}

// A row of packedExpectations: the three expectations' numbers, their peer priors' places, which are
// there (a bit each), the active days, the prior's place.
const PEERS = 3 * NUMBERS.length;
const THERE = PEERS + 3;
const ACTIVE = THERE + 1;
const PRIOR = ACTIVE + 1;
const ROW = PRIOR + 1;

/**
 * The columns of packedExpectations. A function of its own: a closure that read `ex` beside those the
 * packed Maps keep would put it in their shared context, and keep the Maps it replaces.
 */
function* expectationColumns(ex: Expectations, users: ReadonlyArray<string>, peers: ReturnType<typeof peerPlaces>, ownPeerNumbers: Map<number, PeerNumbers>): Steps<Float64Array> {
  const cols = new Float64Array(users.length * ROW);
  for (let i = 0; i < users.length; i++) {
    if (i % USERS_PER_STEP === 0) yield;
    const u = users[i];
    const at = i * ROW;
    let there = 0;
    for (let k = 0; k < STATS.length; k++) {
      const e = ex[STATS[k]].get(u) ?? null;
      putExpectation(cols, at + k * NUMBERS.length, e, ownPeerNumbers);
      cols[at + PEERS + k] = peers.placeOf(e?.peers);
      if (e) there |= 1 << k;
    }
    cols[at + THERE] = there;
    // Everyone has both (expectationsFor): NaN and -2 say "not there" all the same.
    cols[at + ACTIVE] = ex.active.get(u) ?? NaN;
    cols[at + PRIOR] = ex.priors.has(u) ? peers.placeOf(ex.priors.get(u)) : -2;
  }
  return cols;
}

/** A read-only Map over the rows of a sorted list of people: a person's value is read when asked. */
class ColumnMap<V> implements ReadonlyMap<string, V> {
  constructor(
    private readonly users: ReadonlyArray<string>,
    private readonly placeOf: (u: string) => number,
    private readonly there: (i: number) => boolean,
    private readonly read: (i: number) => V,
  ) {}

  get(u: string): V | undefined {
    const i = this.placeOf(u);
    return i >= 0 && this.there(i) ? this.read(i) : undefined;
  }

  has(u: string): boolean {
    const i = this.placeOf(u);
    return i >= 0 && this.there(i);
  }

  get size(): number {
    let n = 0;
    for (let i = 0; i < this.users.length; i++) if (this.there(i)) n++;
    return n;
  }

  *entries(): MapIterator<[string, V]> {
    for (let i = 0; i < this.users.length; i++) if (this.there(i)) yield [this.users[i], this.read(i)];
  }

  *keys(): MapIterator<string> {
    for (const [u] of this.entries()) yield u;
  }

  *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  forEach(f: (value: V, key: string, map: ReadonlyMap<string, V>) => void): void {
    for (const [u, v] of this.entries()) f(v, u, this);
  }
}
