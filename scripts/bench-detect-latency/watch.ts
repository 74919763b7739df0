// What the benchmark watches while it runs: ClickHouse polled for the exporters' alerts and for their
// events' rows in access_events (the reference), and both consumer groups' lag, sampled every second.
import type { Admin } from 'kafkajs';
import { inList, sql, type ClickHouse } from '../../src/store';
import { groupLag } from './processes';
import { POLL_MS, say, sleepUntil } from './settings';

export interface SentEvent {
  user: string;
  at: number;
  chunk: number;
  ackedAt?: number;
}

export interface SeenAlert {
  alertId: string;
  triggerEventId: string;
  detectors: string[];
  /** The poll that first showed the alert: when it was sent, and when its answer arrived. */
  pollIssuedAt: number;
  seenAt: number;
}

export interface Polls {
  /** Every export event sent, by event id. */
  sent: Map<string, SentEvent>;
  /** Export events not yet seen in access_events, by event id. */
  pendingVisible: Map<string, SentEvent>;
  /** Send -> row seen in access_events, of each export event seen. */
  visibleMs: number[];
  /** The first new alert of each exporter, by user. */
  seen: Map<string, SeenAlert>;
  /** How long each poll took (ms). */
  pollTimes: { alerts: number[]; visible: number[] };
  errors: number;
  lastError: string;
  /** Ends the polling (at once: no poll is started after the call) and resolves when the last one is over. */
  stop(): Promise<void>;
}

/** Polls ClickHouse every POLL_MS: alerts of the exporters that were not there before, and visibility of their events. */
export function startPolls(ch: ClickHouse, exportUsers: string[], todayStart: Date, preexisting: ReadonlySet<string>): Polls {
  let pollerStop = false;
  const polls: Polls = {
    sent: new Map(),
    pendingVisible: new Map(),
    visibleMs: [],
    seen: new Map(),
    pollTimes: { alerts: [], visible: [] },
    errors: 0,
    lastError: '',
    stop: async () => {
      pollerStop = true;
      await poller;
    },
  };
  const { pendingVisible, visibleMs, seen, pollTimes } = polls;
  // Any revision, not only revision = 1: alerts is a ReplacingMergeTree(revision) ordered by alert_id, so a
  // background merge keeps only the highest revision and revision 1 can vanish before a poll sees it.
  // trigger_event_id is carried over unchanged from revision 1 to every later one.
  const pollAlerts = async (issuedAt: number) => {
    const rows = await ch.query<{ user: string; alert_id: string; trigger_event_id: string; detectors: string[] }>(sql`
      SELECT user, alert_id, argMin(trigger_event_id, revision) AS trigger_event_id, argMin(detectors, revision) AS detectors
      FROM alerts
      WHERE user IN ${inList(exportUsers)} AND window_end > ${todayStart}
      GROUP BY user, alert_id`);
    const answeredAt = Date.now();
    pollTimes.alerts.push(answeredAt - issuedAt);
    for (const r of rows) {
      if (preexisting.has(r.alert_id) || seen.has(r.user)) continue;
      seen.set(r.user, { alertId: r.alert_id, triggerEventId: r.trigger_event_id, detectors: r.detectors, pollIssuedAt: issuedAt, seenAt: answeredAt });
    }
  };
  const pollVisible = async (issuedAt: number) => {
    if (pendingVisible.size === 0) return;
    const ids = [...pendingVisible.keys()];
    const pendingUsers = [...new Set([...pendingVisible.values()].map((s) => s.user))];
    const since = new Date(Math.min(...[...pendingVisible.values()].map((s) => s.at)) - 5_000);
    const rows = await ch.query<{ event_id: string }>(sql`
      SELECT event_id FROM access_events WHERE user IN ${inList(pendingUsers)} AND ts >= ${since} AND event_id IN ${inList(ids)}`);
    const answeredAt = Date.now();
    pollTimes.visible.push(answeredAt - issuedAt);
    for (const r of rows) {
      const s = pendingVisible.get(r.event_id);
      if (!s) continue;
      pendingVisible.delete(r.event_id);
      visibleMs.push(answeredAt - s.at);
    }
  };
  const poller = (async () => {
    while (!pollerStop) {
      const issuedAt = Date.now();
      try {
        await Promise.all([pollAlerts(issuedAt), pollVisible(issuedAt)]);
      } catch (err) {
        polls.errors++;
        polls.lastError = (err as Error).message;
        if (polls.errors % 20 === 1) say(`  ClickHouse poll failed (${polls.errors} so far): ${polls.lastError}`);
      }
      await sleepUntil(issuedAt + POLL_MS);
    }
  })();
  return polls;
}

export interface LagSampler {
  /** Consumer lag (events) of each group, one sample a second. */
  lag: { detector: number[]; ingester: number[] };
  /** Ends the sampling (at once) and resolves when the last sample is over. */
  stop(): Promise<void>;
}

/** Samples the lag of the detector's and the ingester's consumer groups on `topic` every second. */
export function startLagSampler(admin: Admin, topic: string, groups: { detector: string; ingester: string }): LagSampler {
  const lag = { detector: [] as number[], ingester: [] as number[] };
  let lagStop = false;
  const lagSampler = (async () => {
    while (!lagStop) {
      const t = Date.now();
      try {
        const offsets = await admin.fetchTopicOffsets(topic);
        const high = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
        lag.detector.push(await groupLag(admin, topic, groups.detector, high));
        lag.ingester.push(await groupLag(admin, topic, groups.ingester, high));
      } catch {
        // a sample less
      }
      await sleepUntil(t + 1000);
    }
  })();
  return {
    lag,
    stop: async () => {
      lagStop = true;
      await lagSampler;
    },
  };
}
