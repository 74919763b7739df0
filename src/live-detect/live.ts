// The live detector: its own Kafka consumer group on the access-event topics, next to the ingester's.
// Events are judged the moment they arrive (not after they are stored), so an export in progress
// alerts within seconds of crossing a threshold. Alert revisions are written to ClickHouse before the
// offsets are committed.
//
// Restart, and several detectors in one group: each partition the group assigns is taken over at its
// first batch (partitions.ts): its employees' running totals of today and yesterday are rebuilt from the
// stored events below the offset it starts at, and their stored alerts are continued, not repeated.
// A new group starts after what ClickHouse already holds (history is for baselines, not for alerting).
import type { Admin, Batch, Kafka } from 'kafkajs';
import { dayOf } from '../calendar';
import type { Config } from '../config';
import { checkSourceTopics, createSources } from '../sources';
import { Abandoned, createConsumerLoop, unreadBatch, withRetry, type BatchSession } from '../kafka';
import type { Logger } from '../log';
import { checkReceiveTimeout, sql, type ClickHouse } from '../store';
import { refreshListing, type AlertRecord } from '../alerts';
import { engineFor, fromAccessEvent, type DetectEvent } from '../detect';
import { createRegistry, type Registry } from '../telemetry';
import { loadAdjustments, loadEngineInputs, loadExemptions } from '../triage';
import { effectiveDetection, loadTuning } from '../tune';
import { detectMetrics, type DetectMetrics } from './metrics';
import { scheduleDayAhead } from './day-ahead';
import { openSpillDir } from './spill-dir';
import { alertWrites } from './alert-writes';
import { partitionsOf } from './partitions';
import { clickhouseReads } from './takeover-reads';
import { revisionStore } from './store-revisions';

/** How often the live detector re-reads the allowlist file, the suppressions and the expectation adjustments. */
const EXEMPTIONS_REFRESH_MS = 30_000;
/** How often it re-reads the settings chosen by admins (the alert floor: `insider tune --apply`, the Tuning page). */
export const SETTINGS_REFRESH_MS = 30_000;

export interface LiveDetectorDeps {
  config: Readonly<Config>;
  kafka: Kafka;
  ch: ClickHouse;
  log: Logger;
  /** Called for every alert revision once it is stored. */
  onAlert?: (alert: AlertRecord) => void;
  /** True once a stop was asked for while starting (e.g. SIGTERM while ClickHouse is awaited): start-up then throws Abandoned. */
  stopRequested?: () => boolean;
  /** Where its Prometheus metrics go (health.port serves it); none: kept in a registry of its own. */
  registry?: Registry;
  /** How often the chosen settings are re-read (default SETTINGS_REFRESH_MS; tests use less). */
  settingsRefreshMs?: number;
}

export interface LiveStats {
  events: number;
  invalid: number;
  duplicates: number;
  late: number;
  /** Events with a time or figures the engine could not score (see EngineStats). */
  unscored: number;
  alerts: number;
  revisions: number;
  warmedUp: number;
}

export interface LiveDetector {
  stop(): Promise<void>;
  /** Resolves when stopped, rejects with the error that stopped it. */
  done: Promise<void>;
  stats(): LiveStats;
}

export async function startLiveDetector(deps: LiveDetectorDeps): Promise<LiveDetector> {
  const { config, kafka, ch, log } = deps;
  const detection = config.detection;
  // It judges the events the ingester stores: ingest.topics (and ingest.sources, their formats) stay the
  // one list of the topics that carry events. Its consumer tuning is its own (detection.consumer).
  const topics = config.ingest.topics.length > 0 ? [...config.ingest.topics] : [config.kafka.topic];
  const { retry, ...consumerSettings } = detection.consumer;
  checkSourceTopics(config.ingest, topics);
  // The same formats as the ingester's (src/sources); the join state is read from what the ingester stored.
  const sources = createSources({ settings: config.ingest, ch, log, role: 'reader' });
  const counts = { invalid: 0, warmedUp: 0 };
  const metrics = detectMetrics(deps.registry ?? createRegistry({ defaultMetrics: false }));
  // The carry of each day's history to the next waits on disk: one process per share of a large organisation holds less.
  const spill = openSpillDir(log);
  // ClickHouse down at start-up is waited for like the ingester does, not a reason to exit. Each attempt
  // starts from scratch (a fresh engine), so a failure half-way leaves nothing behind.
  let buildMs = 0;
  const started = await withRetry(
    'detector start-up',
    async () => {
      await sources.refreshStats(false);
      // The alert floor an admin chose (detection_settings) over the configuration file's.
      const tuned = effectiveDetection(detection, await loadTuning(ch));
      const inputs = await loadEngineInputs(ch, tuned, { alertIdKey: config.api.pseudonymKey });
      const engine = engineFor(ch, tuned, inputs, undefined, { live: true, spill });
      // Kept for the takeovers (where the ingester's group stands).
      const admin = kafka.admin();
      await admin.connect();
      try {
        await startNewGroup(admin, ch, detection.groupId, topics, log);
        // The histories of yesterday and today, built before joining: a takeover then only reads events.
        const today = dayOf(Date.now());
        const began = Date.now();
        // Both ended before an attempt is given up: a build still running beside the next attempt's would
        // spill its pool days into the same folder and hold a second history meanwhile.
        const built = await Promise.allSettled([engine.load(today - 1), engine.load(today)]);
        for (const b of built) if (b.status === 'rejected') throw b.reason;
        // Two builds at once: about what one takes alone on a busy machine (the first night's lead rests on it).
        buildMs = Date.now() - began;
      } catch (err) {
        await admin.disconnect().catch(() => {});
        throw err;
      }
      return { inputs, engine, admin, alertFloor: tuned.scoring.alertFloor };
    },
    {
      policy: retry,
      shouldContinue: () => !deps.stopRequested?.(),
      onRetry: (err, attempt) => {
        const level = attempt <= 3 ? 'warn' : 'error';
        log[level]({ err: (err as Error).message, attempt, database: ch.database }, 'ClickHouse unreachable at start-up; waiting for it (retrying with backoff)');
      },
    },
  ).catch((err: unknown) => {
    spill?.remove();
    throw err;
  });
  const { inputs, engine, admin } = started;
  // Where the ingester's group stands: a takeover waits for what the previous owner judged to be stored.
  const ingestedBelow = async (topic: string) => {
    const [committed] = await admin.fetchOffsets({ groupId: config.ingest.groupId, topics: [topic] });
    return new Map((committed?.partitions ?? []).map((p) => [p.partition, p.offset === '-1' ? 0n : BigInt(p.offset)]));
  };
  // The fence of the alert inserts: a previous owner's still running past the session timeout is killed;
  // a wait that goes on is reported each minute, and counted.
  const fence = { log, killAfterMs: detection.consumer.sessionTimeoutMs, stall: { onStall: () => metrics.errors.inc({ kind: 'write_stalled' }) } };
  const partitions = partitionsOf(clickhouseReads(ch, ingestedBelow, fence), engine, log, { aheadMs: config.ingest.maxFutureSkewMs });
  let alertFloor = started.alertFloor;
  log.info({ alertFloor, people: inputs.people.size, directoryVersion: inputs.directoryVersion, catalogTables: inputs.catalog.size, allowlist: inputs.allowlist.entries.length }, 'detection inputs loaded');
  const stopStats = sources.startStatsSchedule(false);
  const timers: NodeJS.Timeout[] = [];
  let stopDayAhead = () => {};
  const loop = createConsumerLoop({
    kafka,
    log,
    name: 'detector',
    settings: { groupId: detection.groupId, ...consumerSettings },
    topics,
    // Where a new group starts was set by startingPositions.
    fromBeginning: true,
    // One batch at a time: the engine's running totals are shared by all partitions.
    concurrency: 1,
    eachBatch: (batch, session) => judge(batch, session),
    commitFailed: 'detector offset commit failed; the batch may be judged again (its partition is taken over: its alerts are continued, not raised again)',
    onCrash: () => metrics.errors.inc({ kind: 'crash' }),
    onLag: (topic, partition, lag) => metrics.lag.set({ topic, partition: String(partition) }, lag),
    onStopping() {
      for (const t of timers) clearInterval(t);
      stopDayAhead();
      stopStats();
    },
    async onStopped(failed) {
      spill?.remove();
      await admin.disconnect().catch(() => {});
      if (!failed) log.info({ ...engine.stats(), ...counts }, 'detector stopped');
    },
  });
  const store = revisionStore({
    writes: (alerts, by) => alertWrites(ch, alerts, by, fence),
    refresh: (alerts) => refreshListing(ch, alerts.map((a) => a.alertId)),
    retry,
    stopping: () => loop.stopping(),
    log,
    onRetry: () => metrics.errors.inc({ kind: 'store_retry' }),
  });
  const emit = (alerts: AlertRecord[]) => {
    for (const a of alerts) {
      metrics.alerts.inc({ severity: a.severity });
      log.info({ alert: a.alertId, user: a.user, severity: a.severity, revision: a.revision, detectors: a.detectors }, a.explanation);
      deps.onAlert?.(a);
    }
  };
  // Each partition the group gives this detector is taken over at its first batch (partitions.ts).
  loop.consumer.on(loop.consumer.events.GROUP_JOIN, (e) => partitions.assigned(e.payload.memberAssignment, e.payload.memberId));

  // The event limits are the ingester's: the detector judges what the ingester stores (and dead-letters the rest).
  const limits = { maxMessageBytes: config.ingest.maxMessageBytes, maxFutureSkewMs: config.ingest.maxFutureSkewMs };
  const judge = async (batch: Batch, session: BatchSession): Promise<string | undefined> => {
    const endTimer = metrics.batchSeconds.startTimer();
    const events: DetectEvent[] = [];
    /** What the batch's takeover or rebuild raised: its employees too, when the batch is not stored. */
    let rebuilt: AlertRecord[] = [];
    /** The query id of its alert insert whose answer was lost, when the batch is not stored. */
    let unanswered: string | undefined;
    try {
      const taken = await partitions.enter(batch);
      if (taken === null) {
        log.warn({ topic: batch.topic, partition: batch.partition }, 'a batch of a partition no longer assigned to this detector: not judged');
        return undefined;
      }
      counts.warmedUp += taken.events;
      rebuilt = taken.alerts;
      const read = batch.messages.filter((m) => {
        // A batch past the limits was not read (src/kafka/batch-guard.ts); the ingester dead-letters it.
        const unread = unreadBatch(m);
        if (unread === undefined) return true;
        counts.invalid++;
        metrics.invalid.inc();
        log.warn({ topic: batch.topic, partition: batch.partition, offset: m.offset }, unread);
        return false;
      });
      const decoded = await sources.decodeBatch(batch.topic, read.map((m) => ({ value: m.value, topic: batch.topic, partition: batch.partition, offset: m.offset })), limits);
      for (const outcome of decoded) {
        // The ingester dead-letters what does not decode, with the reason; here it is only counted.
        if (outcome.ok) for (const e of outcome.events) events.push(fromAccessEvent(e));
        else {
          counts.invalid++;
          metrics.invalid.inc();
        }
      }
      const alerts = [...taken.alerts, ...(await engine.process(events))];
      // Stored before the offsets are committed (the loop commits what this returns).
      if (alerts.length > 0) await store(alerts, { current: () => partitions.current(taken), fence: () => session.fence() }, { topic: batch.topic, partition: batch.partition }, (id) => (unanswered = id));
      engine.settled(alerts);
      emit(alerts);
      partitions.judged(batch, events);
      observeBatch(metrics, events);
    } catch (err) {
      partitions.abandon(batch, events, rebuilt, unanswered);
      // Not committed: delivered again, to whichever detector holds the partition by then.
      if (err instanceof Abandoned) return undefined;
      throw err;
    } finally {
      endTimer();
    }
    return String(BigInt(batch.messages[batch.messages.length - 1].offset) + 1n);
  };
  await loop.start();
  log.info({ topics, groupId: detection.groupId }, 'detecting');
  // Its alert inserts are fenced as the ingester's are, and rest on the same server setting (measured meanwhile).
  void checkReceiveTimeout(ch, consumerSettings, log).catch((err: unknown) => log.warn({ err: (err as Error).message }, 'could not measure how long ClickHouse waits for a stalled request body'));
  if (!loop.stopping()) stopDayAhead = scheduleDayAhead({ build: (day, earlyMs) => engine.load(day, earlyMs), log, lastBuildMs: buildMs });
  const refresh = setInterval(() => {
    loadExemptions(ch, detection)
      .then((a) => engine.setAllowlist(a))
      .catch((err: Error) => {
        metrics.errors.inc({ kind: 'refresh' });
        log.warn({ err: err.message }, 'could not refresh the allowlist and suppressions; keeping the previous ones');
      });
    loadAdjustments(ch)
      .then((a) => engine.setAdjustments(a))
      .catch((err: Error) => {
        metrics.errors.inc({ kind: 'refresh' });
        log.warn({ err: err.message }, 'could not refresh the expectation adjustments; keeping the previous ones');
      });
  }, EXEMPTIONS_REFRESH_MS);
  refresh.unref();
  timers.push(refresh);
  const settings = setInterval(() => {
    loadTuning(ch)
      .then((tuning) => {
        const floor = effectiveDetection(detection, tuning).scoring.alertFloor;
        if (floor === alertFloor) return;
        log.info({ from: alertFloor, to: floor, by: tuning.alertFloor?.actor ?? 'configuration file', reason: tuning.alertFloor?.reason, runId: tuning.alertFloor?.runId || undefined }, 'alert floor changed; judging from now on with the new one');
        engine.setAlertFloor(floor);
        alertFloor = floor;
      })
      .catch((err: Error) => {
        metrics.errors.inc({ kind: 'refresh' });
        log.warn({ err: err.message }, 'could not re-read the chosen detection settings; keeping the current alert floor');
      });
  }, deps.settingsRefreshMs ?? SETTINGS_REFRESH_MS);
  settings.unref();
  timers.push(settings);

  return {
    done: loop.done,
    stats: () => ({ ...engine.stats(), ...counts }),
    stop: () => loop.stop(),
  };
}

/**
 * For a partition the group has never committed: the first offset ClickHouse does not hold (the
 * ingester's ledger), set as the group's offset so the consumer starts there (history is for baselines,
 * not for alerting).
 */
async function startNewGroup(admin: Admin, ch: ClickHouse, groupId: string, topics: string[], log: Logger): Promise<void> {
  for (const topic of topics) {
    await admin.createTopics({ topics: [{ topic }], waitForLeaders: true }).catch(() => false);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const watermarks = await admin.fetchTopicOffsets(topic);
    const stored = await ch.query<{ p: number; next: string }>(sql`
      SELECT kafka_partition AS p, toString(max(max_offset) + 1) AS next FROM ingest_batches WHERE kafka_topic = ${topic} GROUP BY kafka_partition`);
    const storedNext = new Map(stored.map((r) => [Number(r.p), r.next]));
    const unset: Array<{ partition: number; offset: string }> = [];
    for (const w of watermarks) {
      const c = committed?.partitions.find((p) => p.partition === w.partition)?.offset ?? '-1';
      if (c !== '-1') continue;
      const start = storedNext.get(w.partition) ?? w.low;
      const clamped = BigInt(start) > BigInt(w.high) ? w.high : BigInt(start) < BigInt(w.low) ? w.low : start;
      unset.push({ partition: w.partition, offset: clamped });
    }
    if (unset.length === 0) continue;
    try {
      await admin.setOffsets({ groupId, topic, partitions: unset });
      log.info({ topic, partitions: unset }, 'new detector group: starting after the events ClickHouse already holds');
    } catch (err) {
      // Kafka sets a group's offsets only while it has no members: a detector started at the same time
      // has joined, after setting them the same way.
      const { groups } = await admin.describeGroups([groupId]);
      if ((groups[0]?.members.length ?? 0) === 0) throw err;
      log.info({ topic, groupId }, 'new detector group: another detector of the group set where it starts');
    }
  }
}

/** A judged batch's figures: events, how far behind wall-clock time its newest event is (the lag: the consumer loop's onLag). */
function observeBatch(metrics: DetectMetrics, events: ReadonlyArray<DetectEvent>): void {
  metrics.judged.inc(events.length);
  let newest = 0;
  for (const e of events) if (e.ts > newest) newest = e.ts;
  if (newest > 0) metrics.eventDelay.set(Math.max(0, (Date.now() - newest) / 1000));
  metrics.lastBatch.set(Date.now() / 1000);
}
