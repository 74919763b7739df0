// The detection engine: events in (in order per user, as Kafka delivers them and as a backfill reads
// them), alert revisions out. Everything is keyed on event time: an event counts toward its own UTC day,
// and the baselines of that day come from the days before it. So replaying history gives the alerts
// live traffic gave, each stamped with the event that crossed the threshold.
import { dayOf, MS_PER_DAY } from '../calendar';
import type { DetectionConfig, DetectorName } from '../config';
import { alertIdOf, severityRank, type AlertRecord } from '../alerts';
import { adjustedProfile, adjustmentClause, NO_ADJUSTMENTS, type Adjustments, type ExpectationAdjustment } from './adjustments';
import type { Allowlist } from './allowlist';
import type { Catalog } from './catalog';
import { createDayHistories } from './day-histories';
import { addEvent, newDayState, type DayState, type EventFacts } from './day-state';
import { RULES, usualDaily, watchOf, type Check, type Finding, type RuleContext, type Watch } from './detectors';
import { createDripRuns } from './drip-runs';
import type { DetectEvent } from './event';
import { evidenceOf, explanationOf } from './evidence';
import type { DayHistory } from './history';
import { learnLate, withYesterday } from './late-tables';
import { unknownPerson, type Person } from './people';
import { raisesAlert, scoreOf, scoringFor, severityOf, type Scoring } from './scoring';
import { settingsFor } from './settings';
import { carryRun, lateBefore } from './day-run';
import { carriesRun, judgedAcrossMidnight, judgedOn, statisticOf } from './span';

export interface EngineOptions {
  detection: DetectionConfig;
  people: ReadonlyMap<string, Person>;
  catalog: Catalog;
  allowlist: Allowlist;
  /** Expectations raised by analysts' verdicts (adjustments.ts); none by default. */
  adjustments?: Adjustments;
  /** What is known about the days before `day` (ClickHouse); called once per day. */
  history(day: number): Promise<DayHistory>;
  /** Wall clock: the alert's creation and update times, whether a day's history was built before the day began, and with `live` the days kept. */
  now?: () => number;
  /**
   * Live detection: the newest day, which decides what is too late to judge, also waits for the clock's.
   * An event dated ahead (allowed up to ingest.maxFutureSkewMs) is judged on its day, but one such message
   * must not make every event of yesterday still arriving (a source a few minutes behind) too late to
   * judge. Off for replays and backfills, whose clock is not their events'.
   */
  live?: boolean;
  /** Keys alert ids (the pseudonym key): see alertIdOf. */
  alertIdKey?: string;
}

export interface EngineStats {
  events: number;
  duplicates: number;
  /** Events of a day older than the state kept (KEEP_DAYS), not judged. */
  late: number;
  /**
   * Events with a time that is not a number (skipped), or bytes or rows that are not a finite number >= 0
   * (counted with 0 of them). Ingest refuses both; a faulty source or backfill must still not page anyone.
   */
  unscored: number;
  alerts: number;
  revisions: number;
}

export interface Engine {
  /** Takes events (in order per user) and returns the alert revisions to store, in order. */
  process(events: ReadonlyArray<DetectEvent>): Promise<AlertRecord[]>;
  /** Continues alerts already stored (after a restart): their revisions go on from there. */
  restore(alerts: ReadonlyArray<AlertRecord>): void;
  /**
   * Forgets these employees' running totals (another detector judged them meanwhile, or their partition
   * went to another): their next event starts them afresh, continuing the alerts restored by then.
   * `again`: their days are judged again from what is stored (a takeover, a rebuild, a batch given up):
   * the drip runs they raised and that were not stored (settled) are raised again, not taken as reported.
   */
  release(users: Iterable<string>, o?: { again?: boolean }): void;
  /** These revisions are stored (the live detector, once written): the drip runs they report are reported. */
  settled(alerts: ReadonlyArray<AlertRecord>): void;
  /**
   * The stored events before a backfill's `from` (`detect --once --from`), from the day before its first
   * day: that day's are counted only, never judged (their runs of activity still going on at its end carry
   * into it, span.ts, as for a live detector that judged that day); its first day's before `from` (a
   * `from` after midnight) are judged as the live detector judged them but raise nothing (their revisions
   * are stored: restore them first), so that at `from` the day's totals, run and findings are the live
   * detector's. Forgotten with the days kept. Before the first `process`.
   */
  prime(events: ReadonlyArray<DetectEvent>, from: number): Promise<void>;
  /**
   * Starts building day `day`'s history now, in slices, while events of earlier days are judged (a
   * backfill's next day: its rows are all stored). Not for a day whose rows are still coming in: the
   * history would be built without them.
   */
  prepare(day: number): void;
  /**
   * Builds day `day`'s history now and waits for it: a live detector does so before it joins its group,
   * so that the first batch of a partition (its takeover) does not hold up the group's rebalances; and
   * for the next day, within `earlyMs` of its start (EARLY_ENOUGH_MS by default), so that midnight does
   * not stop judging while it builds (src/live-detect/day-ahead.ts), replacing a build of that day begun
   * earlier (kept, it would be built again once the day began). Earlier than that, it is built again once
   * the day began.
   */
  load(day: number, earlyMs?: number): Promise<void>;
  /** Replaces the allowlist (suppressions change while the live detector runs); events from now on. */
  setAllowlist(allowlist: Allowlist): void;
  /**
   * Changes the alert floor (an admin chose another: src/tune/settings.ts) for events from now on, today's
   * running totals kept: the days in hand are judged again against the new floor at their next event.
   */
  setAlertFloor(perThousand: number): void;
  /** Replaces the expectation adjustments: the days being judged take them up at once (their thresholds are worked out again). */
  setAdjustments(adjustments: Adjustments): void;
  stats(): EngineStats;
}

interface Tracked {
  state: DayState;
  person: Person;
  ctx: RuleContext;
  watch: Watch | null;
  checks: Check[];
  /** Reused for every event of the day (filled in per event): no allocation on the hot path. */
  facts: EventFacts;
  /** Shared by everyone judged with the same classes (see classSet). */
  sensitiveClasses: ReadonlySet<string>;
  /** The analysts' adjustment that raised this person's expectations today, if any. */
  adjustment: ExpectationAdjustment | null;
  alert: AlertRecord | null;
  /** The latest finding of every detector that fired today (a sliding window may fall back below); null until one fires (most never do). */
  findings: Map<DetectorName, Finding> | null;
  /** The tables of the day before the history did not know (its last minutes, or judged after this day was). */
  late?: Set<string>;
}

/** Days of per-user state kept behind the newest event (late events of yesterday still count). */
const KEEP_DAYS = 2;

/** Events judged between two turns of the event loop. */
const YIELD_EVERY = 2000;

export function createEngine(opts: EngineOptions): Engine {
  const { people, catalog } = opts;
  let detection = opts.detection;
  let allowlist = opts.allowlist;
  let adjustments = opts.adjustments ?? NO_ADJUSTMENTS;
  const now = opts.now ?? Date.now;
  // By day, then user: the engine looks one up per event (no key string built for it).
  const tracked = new Map<number, Map<string, Tracked>>();
  const allTracked = () => [...tracked.values()].flatMap((m) => [...m.values()]);
  const restored = new Map<string, AlertRecord>();
  /** The restored alert of a person's day, if any (its id is a keyed hash: not worked out when nothing was restored, as in most of a backfill). */
  const restoredOf = (user: string, day: number) => (restored.size === 0 ? undefined : restored.get(alertIdOf(user, day, opts.alertIdKey)));
  /** The drip runs reported (stored) and raised on the days still judged (drip-runs.ts). */
  const dripRuns = createDripRuns();
  // One function and one set for every employee, not one each (memory per employee tracked).
  const dripReported: RuleContext['dripReported'] = (user, detector, runStart) => dripRuns.reportedAt(user, detector, runStart);
  /** The sensitive classes as a set, by the settings' array (shared by every person whose overrides leave it). */
  const classSets = new WeakMap<ReadonlyArray<string>, ReadonlySet<string>>();
  const classSet = (classes: ReadonlyArray<string>) => {
    let set = classSets.get(classes);
    if (!set) classSets.set(classes, (set = new Set(classes)));
    return set;
  };
  const stats: EngineStats = { events: 0, duplicates: 0, late: 0, unscored: 0, alerts: 0, revisions: 0 };
  /** The statistics of the day's own findings at the event being judged (across midnight only), reused. */
  const own: string[] = [];
  let newestDay = -Infinity;

  /** Days counted by `prime` (a backfill's day before), by day, then user: their runs only are read. */
  const primed = new Map<number, Map<string, DayState>>();

  const histories = createDayHistories(opts.history, now);
  /** The history the employees tracked on each day were judged with: when it is built again, they are judged again. */
  const judgedWith = new Map<number, DayHistory>();
  const judgeWith = (day: number, history: DayHistory) => {
    if (judgedWith.get(day) === history) return;
    judgedWith.set(day, history);
    for (const t of tracked.get(day)?.values() ?? []) rejudge(t, history);
  };

  /** What a person's day is judged with: thresholds, from the history, the settings and any adjustment in force. */
  /** `late`: the tables of the day before it had (kept for when that day is no longer tracked). */
  function judgement(user: string, person: Person, day: number, history: DayHistory, late?: ReadonlySet<string>) {
    const settings = settingsFor(detection, person);
    const watch = watchOf(settings, person, day);
    const scoring: Scoring = scoringFor(detection.scoring, { combined: history.calibration.combined, watch: watch?.factor ?? 1 });
    const yesterday = tracked.get(day - 1)?.get(user)?.state;
    const { known, added } = withYesterday(history.known(user), yesterday ? yesterday.tables.keys() : (late ?? []), detection.detectors.sensitive.firstAccessDays > 1);
    const adjustment = adjustments.on(person, day);
    const profile = adjustedProfile(history.profile(user), adjustment?.factor ?? 1);
    const sensitiveClasses = classSet(settings.sensitive.classes);
    const peerTables = history.peerTables(person, settings.sensitive.peerKnownShare);
    const ctx: RuleContext = {
      user,
      day,
      person,
      settings,
      profile,
      dripReported,
      known,
      history,
      scoring,
      recentSensitive: [...known.recent].filter((t) => sensitiveClasses.has(catalog.sensitivity(t)) && !peerTables.has(t)),
      peerTables,
      minHistoryDays: detection.minHistoryDays,
      routineShare: detection.routineShare,
      routineRate: detection.routineRate,
    };
    const checks = RULES.map((r) => r.prepare(ctx)).filter((c): c is Check => c !== null);
    return { ctx, watch, checks, sensitiveClasses, adjustment, late: added };
  }

  /** A tracked day's thresholds worked out again (with another history, floor or adjustment); its state and alert stay. */
  function rejudge(t: Tracked, history = t.ctx.history) {
    Object.assign(t, judgement(t.state.user, t.person, t.state.day, history, t.late));
  }

  function track(user: string, day: number, history: DayHistory): Tracked {
    const person = people.get(user) ?? unknownPerson(user);
    const judged = judgement(user, person, day, history);
    const settings = judged.ctx.settings;
    const t: Tracked = {
      state: newDayState(user, day),
      person,
      ...judged,
      facts: { timezone: person.timezone, night: settings.offHours, sensitivity: 'internal', sensitive: false, knownTable: false, allowlisted: undefined },
      alert: restoredOf(user, day) ?? null,
      findings: null,
    };
    let ofDay = tracked.get(day);
    if (!ofDay) tracked.set(day, (ofDay = new Map()));
    ofDay.set(user, t);
    return t;
  }

  function forget() {
    const oldest = newestDay - KEEP_DAYS + 1;
    for (const byDay of [tracked, judgedWith, primed]) for (const day of byDay.keys()) if (day < oldest) byDay.delete(day);
    histories.forget(oldest);
    // Every takeover restores the alerts of two days: kept for the days judged only, or they pile up for the process's life.
    for (const [id, a] of restored) if (dayOf(a.windowEnd - 1) < oldest) restored.delete(id);
    dripRuns.forget(oldest);
  }

  function revise(t: Tracked, found: Finding[], e: DetectEvent): AlertRecord | null {
    const s = t.state;
    const { scoring } = t.ctx;
    const prev = t.alert;
    if (!prev && !raisesAlert(found, scoring)) return null;
    const findings = t.watch && found.some((f) => f.kind === 'anomaly') ? [...found, watchFinding(t.watch)] : found;
    const score = scoreOf(findings, scoring);
    const severity = severityOf(score, scoring);
    const detectors = findings.map((f) => f.detector);
    if (prev) {
      const newDetector = detectors.some((d) => !prev.detectors.includes(d));
      const worse = severityRank(severity) > severityRank(prev.severity);
      const grown = s.bytes >= prev.observedBytes * detection.updateGrowth;
      if (!newDetector && !worse && !grown) return null;
    }
    const evidence = evidenceOf(s);
    const usual = usualDaily(t.ctx);
    const peers = t.ctx.history.peers(t.person);
    const since = Math.min(s.day, ...findings.map((f) => f.sinceDay ?? s.day), prev ? dayOf(prev.windowStart) : s.day);
    const wall = now();
    const record: AlertRecord = {
      alertId: alertIdOf(s.user, s.day, opts.alertIdKey),
      revision: (prev?.revision ?? 0) + 1,
      user: s.user,
      windowStart: since * MS_PER_DAY,
      windowEnd: (s.day + 1) * MS_PER_DAY,
      detectors: [...new Set([...(prev?.detectors ?? []), ...detectors])],
      severity: prev && severityRank(prev.severity) > severityRank(severity) ? prev.severity : severity,
      score: Math.max(score, prev?.score ?? 0),
      firedAt: prev?.firedAt ?? e.ts,
      triggerEventId: prev?.triggerEventId ?? e.eventId,
      lastEventAt: s.lastTs,
      observedBytes: s.bytes,
      observedRows: s.rows,
      eventCount: s.events,
      baselineBytes: usual?.bytes ?? 0,
      peerBytes: peers ? Math.exp(peers.location) : 0,
      peerGroup: peers?.group ?? '',
      ratio: usual && usual.bytes > 0 ? s.bytes / usual.bytes : 0,
      explanation: t.adjustment && findings.some((f) => f.kind === 'anomaly') ? `${explanationOf(s, findings, evidence)}; despite ${adjustmentClause(t.adjustment)}` : explanationOf(s, findings, evidence),
      findings: findings.map(({ sinceDay: _, raises: __, ...f }) => f),
      evidence,
      createdAtWall: prev?.createdAtWall ?? wall,
      updatedAtWall: wall,
    };
    t.alert = record;
    dripRuns.raised(record, s.day);
    stats.revisions++;
    if (!prev) stats.alerts++;
    return record;
  }

  /**
   * Judges events (in order per user) and returns the alert revisions; `quiet`: only counts and judges
   * them, raising nothing (events before a backfill's `from`, whose revisions are stored).
   */
  async function judge(events: ReadonlyArray<DetectEvent>, quiet: boolean): Promise<AlertRecord[]> {
    // Only the days the batch can judge: an event already too late (an old timestamp, a replayed
    // export) is counted and skipped below, and must not cost a history built for its day (at 100,000
    // employees minutes and gigabytes each: a few such messages would stall or exhaust the detector).
    // The newest day only grows during the batch, so what is late now stays late.
    const days = [...new Set(events.filter((e) => Number.isFinite(e.ts)).map((e) => dayOf(e.ts)))].filter((d) => d >= newestDay - KEEP_DAYS + 1);
    const loaded = new Map(await Promise.all(days.map(async (d) => [d, await histories.of(d)] as const)));
    for (const [d, history] of loaded) judgeWith(d, history);
    const out: AlertRecord[] = [];
    let n = 0;
    for (const given of events) {
      // A turn of the event loop now and then: a live consumer's heartbeat timers must run during a large batch.
      if (++n % YIELD_EVERY === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      if (!Number.isFinite(given.ts)) {
        stats.unscored++;
        continue;
      }
      const e = validCounts(given) ? given : { ...given, bytes: countOr0(given.bytes), rows: countOr0(given.rows) };
      if (e !== given) stats.unscored++;
      const day = dayOf(e.ts);
      if (day < newestDay - KEEP_DAYS + 1) {
        // Older than the days kept: stored and in the rollups (baselines), too late to judge its day again.
        stats.late++;
        continue;
      }
      const t = tracked.get(day)?.get(e.user) ?? track(e.user, day, loaded.get(day)!);
      const f = t.facts;
      f.sensitivity = catalog.sensitivity(e.table);
      f.sensitive = t.sensitiveClasses.has(f.sensitivity);
      f.knownTable = t.ctx.known.tables.has(e.table) || (t.late?.has(e.table) ?? false);
      f.allowlisted = allowlist.covering(e.user, e.table, e.ts);
      // The day's first counted event: a run of the day before still going on carries into it (span.ts).
      if (t.state.runEnd === -Infinity) {
        const before = tracked.get(day - 1)?.get(e.user);
        if (carryRun(t.state, before?.state ?? primed.get(day - 1)?.get(e.user), e.ts)) {
          // What the day before's alert (tracked, or stored and restored) already raised on the run's bytes.
          const alert = before ? before.alert : restoredOf(e.user, day - 1);
          if (alert) judgedOn(t.state, alert.detectors);
        }
      }
      const hadTable = t.state.tables.has(e.table);
      const counted = t.state.events;
      const added = addEvent(t.state, e, f);
      // A table first touched on a day whose next day is judged already (a source a few minutes behind,
      // after midnight): the next day's known tables and recent first accesses include it too.
      if (!hadTable && t.state.tables.has(e.table)) {
        const next = tracked.get(day + 1)?.get(e.user);
        if (next) learnLate(next, e.table, f.sensitivity, detection.detectors.sensitive.firstAccessDays > 1);
      }
      stats.events++;
      if (!added) {
        stats.duplicates++;
        continue;
      }
      let fired = false;
      // The statistics the day's own totals gave at this event, only while a run is carried (span.ts).
      const carried = carriesRun(t.state);
      if (carried) own.length = 0;
      for (const check of t.checks) {
        const f = check(t.state);
        if (f) {
          (t.findings ??= new Map()).set(f.detector, f);
          fired = true;
          if (carried) own.push(statisticOf(f.detector));
        }
      }
      if (carried) {
        for (const f of judgedAcrossMidnight(t.state, t.checks, own)) {
          (t.findings ??= new Map()).set(f.detector, f);
          fired = true;
        }
      }
      if (fired && !quiet) {
        const r = revise(t, [...t.findings!.values()], e);
        if (r) out.push(r);
      }
      // An event of a day whose next day is judged already (a source behind): the run that day carried goes on with it (day-run.ts).
      const next = t.state.events > counted ? tracked.get(day + 1)?.get(e.user) : undefined;
      if (next) {
        lateBefore(next.state, t.state, (day + 1) * MS_PER_DAY, next.state.bytes, e.ts, e.bytes, f.sensitive);
        // What the day before raised, on this event too, is not raised again by the window of the run it carried.
        if (t.alert && carriesRun(next.state)) judgedOn(next.state, t.alert.detectors);
      }
      if (day > newestDay && (!opts.live || day <= dayOf(now()))) {
        newestDay = day;
        forget();
      }
    }
    return out;
  }

  /** Counts the events of days before a backfill's first (prime), never judged: only their runs are read. */
  function count(events: ReadonlyArray<DetectEvent>) {
    // Per employee: what an event's facts need of them (the facts object is filled in per event).
    const of = new Map<string, { facts: EventFacts; classes: ReadonlySet<string> }>();
    for (const given of events) {
      if (!Number.isFinite(given.ts)) continue;
      const e = validCounts(given) ? given : { ...given, bytes: countOr0(given.bytes), rows: countOr0(given.rows) };
      const day = dayOf(e.ts);
      let ofDay = primed.get(day);
      if (!ofDay) primed.set(day, (ofDay = new Map()));
      let s = ofDay.get(e.user);
      if (!s) ofDay.set(e.user, (s = newDayState(e.user, day)));
      let p = of.get(e.user);
      if (!p) {
        const person = people.get(e.user) ?? unknownPerson(e.user);
        const settings = settingsFor(detection, person);
        const facts: EventFacts = { timezone: person.timezone, night: settings.offHours, sensitivity: 'internal', sensitive: false, knownTable: true, allowlisted: undefined };
        of.set(e.user, (p = { facts, classes: classSet(settings.sensitive.classes) }));
      }
      p.facts.sensitivity = catalog.sensitivity(e.table);
      p.facts.sensitive = p.classes.has(p.facts.sensitivity);
      p.facts.allowlisted = allowlist.covering(e.user, e.table, e.ts);
      addEvent(s, e, p.facts);
    }
  }

  return {
    process: (events) => judge(events, false),
    async prime(events, from) {
      const first = dayOf(from);
      // The days before `from`'s: counted only (their runs carry into it), without their histories.
      count(events.filter((e) => !(dayOf(e.ts) >= first)));
      // Its own day up to `from` is judged as the live detector judged it, its revisions (stored) not raised
      // again: the day's totals, run and findings at `from` are the live detector's. Not in the stats.
      const before = { ...stats };
      await judge(events.filter((e) => dayOf(e.ts) === first && e.ts < from), true);
      Object.assign(stats, before);
    },
    prepare(day) {
      // Awaited by the day's first event; a failure is seen there (and not cached).
      histories.of(day).catch(() => {});
    },
    load: (day, earlyMs) => histories.load(day, earlyMs),
    restore(alerts) {
      for (const a of alerts) {
        const prev = restored.get(a.alertId);
        if (!prev || a.revision > prev.revision) restored.set(a.alertId, a);
        dripRuns.stored(a);
      }
    },
    release(users, o = {}) {
      const gone = new Set(users);
      for (const user of gone) for (const ofDay of tracked.values()) ofDay.delete(user);
      // What they raised and was not stored (stored: settled) is raised again when judged again.
      if (o.again) dripRuns.release(gone);
    },
    settled(alerts) {
      for (const a of alerts) dripRuns.stored(a);
    },
    setAllowlist(next) {
      allowlist = next;
    },
    setAlertFloor(perThousand) {
      if (perThousand === detection.scoring.alertFloor) return;
      detection = { ...detection, scoring: { ...detection.scoring, alertFloor: perThousand } };
      // The thresholds of the days in hand were prepared for the old floor: prepare them again.
      for (const t of allTracked()) rejudge(t);
    },
    setAdjustments(next) {
      adjustments = next;
      // The days being judged work out their thresholds again where the adjustment in force changed.
      for (const t of allTracked()) {
        const now = adjustments.on(t.person, t.state.day);
        if ((now?.id ?? null) !== (t.adjustment?.id ?? null)) rejudge(t);
      }
    },
    stats: () => ({ ...stats }),
  };
}

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0;
const countOr0 = (x: unknown) => (isCount(x) ? x : 0);
const validCounts = (e: DetectEvent) => isCount(e.bytes) && isCount(e.rows);

function watchFinding(w: Watch): Finding {
  return { detector: 'departing', kind: 'watchlist', observed: w.factor, threshold: 1, reference: null, multiple: null, raises: false, clause: w.clause };
}
