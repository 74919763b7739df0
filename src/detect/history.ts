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
//
// Split by job, each part beside this file: history-series.ts (a person's series, the build's steps),
// history-expectations.ts (expectations and month-end uplift), history-calibration.ts (the pool and its
// tails, the CUSUMs), history-routine.ts (routine limits), history-carry.ts (what a backfill's history
// hands to the next day's). This file is the entry: it puts them together.
import { dateString } from '../calendar';
import type { DetectionConfig, DetectorSettings } from '../config';
import type { Catalog } from './catalog';
import { calibrate, type Calibration } from './history-calibration';
import { expectationModel, historyDaysNeeded, hourDaysNeeded, packedExpectations, upliftIn, type HistoryContext } from './history-expectations';
import { routineJudge, type Routine } from './history-routine';
import type { HistoryCarry, HistoryInputs } from './history-carry';
import { nightsOf, seriesOf, runSteps, USERS_PER_STEP, volumesFrom, type Series, type Steps } from './history-series';
import type { HistorySource, NightGroup, UserDayValue } from './history-source';
import { peerGroupKey, unknownPerson, type Person } from './people';
import { settingsFor } from './settings';
import { CUSUM_START, type CusumState } from './statistics/cusum';
import type { Expectation, PeerPrior } from './statistics/expectation';
import type { TailModel } from './statistics/tail';

export { NEVER, PRIOR_COMBINED, PRIOR_SURPRISE, type Calibration } from './history-calibration';
export { historyDaysNeeded, ORGANISATION } from './history-expectations';
export { ROUTINE_HEADROOM, type Routine } from './history-routine';

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
  /** The largest daily volume of their own in the baseline window of `window` days (bytes; weekends too), and how many days of theirs it has (0, 0: none). */
  largest: Largest;
}

export interface Largest {
  bytes: number;
  days: number;
  window: number;
}

export interface Known {
  /** Tables touched in the knownTablesDays before today. */
  tables: ReadonlySet<string>;
  /** Of those, the ones first touched in the recent days (the first-access window before today). */
  recent: ReadonlySet<string>;
  activeDays: number;
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

export interface HistoryRows {
  daily: UserDayValue[];
  busiestHour: UserDayValue[];
  night: UserDayValue[];
  sensitive: UserDayValue[];
  tables: Array<{ user: string; before: string[]; recent: string[]; days: number }>;
}

/** The largest daily volume of a series in [from, to) (bytes) and how many days it has there. */
export function largestOf(series: Pick<Series, 'days' | 'logs'> | undefined, from: number, to: number): Largest {
  let bytes = 0;
  let days = 0;
  if (series)
    for (let i = 0; i < series.days.length; i++) {
      const d = series.days[i];
      if (d < from || d >= to) continue;
      days++;
      bytes = Math.max(bytes, Math.exp(series.logs[i]));
    }
  return { bytes, days, window: to - from };
}

/** Reads what day `day` needs from `source` and builds its history. */
export async function loadDayHistory(
  source: HistorySource,
  day: number,
  detection: DetectionConfig,
  people: ReadonlyMap<string, Person>,
  catalog: Catalog,
  carry?: HistoryCarry,
): Promise<DayHistory> {
  const first = day - historyDaysNeeded(detection);
  const poolFirst = day - detection.poolDays;
  const defaults = detection.detectors;
  const sensitive = catalog.tablesOf(defaults.sensitive.classes);
  const firstAccessDays = defaults.sensitive.firstAccessDays;
  const [daily, busiestHour, night, sensitiveDaily, tables] = await Promise.all([
    source.daily(first, day - 1),
    source.busiestHour(day - hourDaysNeeded(detection), day - 1),
    source.night(poolFirst, day - 1, nightGroups(detection, people)),
    source.dailyFrom(first, day - 1, sensitive),
    source.tables(day - detection.knownTablesDays, day - firstAccessDays + 1, day - 1),
  ]);
  return buildDayHistoryInSlices(day, { daily, busiestHour, night, sensitive: sensitiveDaily, tables }, detection, people, { carry, ownsRows: true });
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
export async function buildDayHistoryInSlices(
  day: number,
  rows: HistoryRows,
  detection: DetectionConfig,
  people: ReadonlyMap<string, Person>,
  { sliceMs = SLICE_MS, ...build }: BuildOptions & { sliceMs?: number } = {},
): Promise<DayHistory> {
  const steps = historySteps(day, rows, detection, people, build);
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

/** The build: the series, the expectations, the pool's calibration, then what the engine asks of today. */
interface BuildOptions {
  /** What the previous day's build leaves for this one (backfills): see HistoryCarry. */
  carry?: HistoryCarry;
  /** The rows were read for this build alone: their daily, busiest-hour and night-time rows are emptied once their series are built. */
  ownsRows?: boolean;
}

function* historySteps(day: number, rows: HistoryRows, detection: DetectionConfig, people: ReadonlyMap<string, Person>, { carry, ownsRows = false }: BuildOptions = {}): Steps<DayHistory> {
  const volumes = yield* seriesOf(rows.daily);
  const hours = yield* seriesOf(rows.busiestHour);
  const sensitives = yield* seriesOf(rows.sensitive);
  const nights = yield* nightsOf(rows.night);
  // A row object each: at 20,000 employees about 140 MB that the rest of the build does not read (the
  // sensitive rows are: the routine's). Let go when they are the build's own.
  if (ownsRows) rows.daily = rows.busiestHour = rows.night = [];
  const users = [...new Set([...volumes.keys(), ...hours.keys()])].sort();
  const personOf = (u: string) => people.get(u) ?? unknownPerson(u);
  const settingsCache = new Map<string, DetectorSettings>();
  const settingsOf = (u: string) => {
    let s = settingsCache.get(u);
    if (!s) settingsCache.set(u, (s = settingsFor(detection, personOf(u))));
    return s;
  };
  const groupKeys = (u: string): string[] => {
    const p = people.get(u);
    return p && settingsOf(u).volumePeers.enabled ? [peerGroupKey(p), peerGroupKey(p, true)] : [];
  };
  const ctx: HistoryContext = { day, detection, people, users, volumes, hours, sensitives, settingsOf, groupKeys };
  const inputs: HistoryInputs = { day, first: day - historyDaysNeeded(detection), detection, people, series: { volumes, hours, sensitives, nights }, users };
  const carried = carry ? yield* carry.take(inputs) : undefined;
  const model = expectationModel(ctx, carried?.memo);
  const { calibration, drip, sensitiveDrip, days } = yield* calibrate(ctx, model, nights, carried?.judged);

  // Held all day by the history, and by the carry for the next day's build: in columns.
  const today = yield* packedExpectations(yield* model.expectationsOn(day), users);
  model.memo.expectations.set(day, today);
  const upliftsToday = yield* model.upliftsOn(day);
  if (carry) yield* carry.keep(inputs, { memo: model.memo, judged: days });
  // What the history reads of the series once built: the daily volumes of the baseline window (largest
  // day, routine limits). The rest, most of the days and the other statistics, goes with the build.
  const recent = yield* volumesFrom(volumes, day - detection.baselineDays);
  // A Map entry of everyone's settings, each the same object unless overrides apply: refilled for the people judged.
  settingsCache.clear();
  const profiles = new Map<string, Profile>();
  const known = new Map<string, Known>();
  const EMPTY: ReadonlySet<string> = new Set();
  for (let i = 0; i < rows.tables.length; i++) {
    if (i % USERS_PER_STEP === 0) yield;
    const t = rows.tables[i];
    const recent = t.recent.filter((x) => !t.before.includes(x));
    // Most people touched no table for the first time in the recent days: one shared empty set (read only).
    known.set(t.user, { tables: new Set([...t.before, ...t.recent]), recent: recent.length > 0 ? new Set(recent) : EMPTY, activeDays: t.days });
  }
  const routine = yield* routineJudge({ day, detection, people, users, volumes: recent }, today, rows.sensitive);
  const groupOf = (p: Person) => peerGroupKey(p);
  /**
   * Per peer group, its members with tables and how many of them know each table: counted once, in one
   * pass (each group going through everyone took minutes at 100,000 employees in 400 groups).
   */
  let peerGroups: Map<string, { members: number; counts: Map<string, number> }> | undefined;
  const groupsKnowing = () => {
    if (peerGroups) return peerGroups;
    peerGroups = new Map();
    for (const [u, k] of known) {
      const q = people.get(u);
      if (!q) continue;
      const key = groupOf(q);
      let g = peerGroups.get(key);
      if (!g) peerGroups.set(key, (g = { members: 0, counts: new Map() }));
      g.members++;
      for (const t of k.tables) g.counts.set(t, (g.counts.get(t) ?? 0) + 1);
    }
    return peerGroups;
  };

  return {
    day,
    calibration,
    profile(user) {
      let p = profiles.get(user);
      if (!p) {
        // Someone with no rows at all in the window (first day seen, back from a long absence) is judged by the prior alone.
        const ev = today.volume.get(user) ?? today.without(user, 'volume');
        const uplift = ev ? upliftIn(upliftsToday, groupKeys(user)) : 0;
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
          largest: largestOf(recent.get(user), day - detection.baselineDays, day),
        };
        profiles.set(user, p);
      }
      return p;
    },
    known: (user) => known.get(user) ?? { tables: EMPTY, recent: EMPTY, activeDays: 0 },
    peers: (person) => (today.priors.has(person.id) ? today.priors.get(person.id)! : today.prior(person.id, 'volume')),
    peerTables(person, share) {
      const g = groupsKnowing().get(groupOf(person));
      if (!g) return EMPTY;
      // The person's peers are the others: their own tables are taken out of the group's counts.
      const self = people.get(person.id);
      const own = self && groupOf(self) === groupOf(person) ? known.get(person.id) : undefined;
      const members = g.members - (own ? 1 : 0);
      if (members <= 0) return EMPTY;
      const out = new Set<string>();
      // At least one peer knows it, whatever the share (0 is allowed: "any peer").
      for (const [t, c] of g.counts) {
        const peers = c - (own?.tables.has(t) ? 1 : 0);
        if (peers > 0 && peers / members >= share) out.add(t);
      }
      return out;
    },
    routine,
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
