// The background load: ordinary events re-stamped "now" at a steady rate, produced in a worker thread.
// The worker runs the benchmark's entry script (scripts/bench-detect-latency.ts), which hands the worker's
// side to backgroundWorker here.
import crypto from 'node:crypto';
import { parentPort, Worker } from 'node:worker_threads';
import type { Producer } from 'kafkajs';
import { loadConfig } from '../../src/config';
import { restamp } from '../../src/demo/traffic';
import { createKafka } from '../../src/kafka';
import { createLogger } from '../../src/log';
import type { CanonicalEvent } from '../../src/simulate';
import { MAX_IN_FLIGHT, MAX_SEND_EVENTS, say, sleep, TICK_MS } from './settings';

export interface BackgroundStats {
  target: number;
  produced: number;
  acked: number;
  failed: number;
  /** Events the schedule asked for while more than a second behind: never sent. */
  shortfall: number;
  lastError?: string;
  /** Acknowledged events per wall-clock second since the start. */
  perSecond: number[];
  startedAt: number;
}


/**
 * Re-stamping like src/demo/traffic.ts's restamp() (a new event_id and query_id, ts = now, everything else
 * as in the template), but by splicing into each template event's JSON, serialised once: kafkajs already
 * spends ~35 µs of CPU per message here, and randomUUID + randomBytes + JSON.stringify would add ~12 µs more
 * on a machine whose two cores also run Kafka, ClickHouse, the ingester and the detector.
 */
function restamper(template: readonly CanonicalEvent[]) {
  const parts = template.map((e) => {
    const { event_id: _id, ts: _ts, query_id: _q, ...rest } = e;
    return { key: e.user, body: JSON.stringify(rest).slice(1, -1) };
  });
  const prefix = `bg-${crypto.randomBytes(4).toString('hex')}-`;
  let seq = 0;
  const make = (i: number, ts: string) => {
    const p = parts[i % parts.length];
    const id = (seq++).toString(36);
    return { key: p.key, value: `{"event_id":"${prefix}${id}","ts":"${ts}",${p.body},"query_id":"${id}"}` };
  };
  // The same document restamp() would give, bar the ids.
  const probe = JSON.parse(make(0, new Date(0).toISOString()).value) as CanonicalEvent;
  const expected = restamp(template[0], 0);
  for (const k of Object.keys(expected) as Array<keyof CanonicalEvent>) {
    if (k !== 'event_id' && k !== 'query_id' && probe[k] !== expected[k]) throw new Error(`background event field ${k} differs from restamp()'s`);
  }
  return make;
}

/** Runs in the background worker thread: produces until told to stop. */
function produceBackground(producer: Producer, topic: string, template: readonly CanonicalEvent[], rate: number) {
  const stats: BackgroundStats = { target: rate, produced: 0, acked: 0, failed: 0, shortfall: 0, perSecond: [], startedAt: Date.now() };
  const make = restamper(template);
  let stopped = false;
  let inFlight = 0;
  let next = 0;
  const loop = (async () => {
    while (!stopped) {
      const now = Date.now();
      let due = Math.floor((rate * (now - stats.startedAt)) / 1000) - stats.produced - stats.shortfall;
      if (due > rate) {
        stats.shortfall += due - rate;
        due = rate;
      }
      while (due > 0 && inFlight < MAX_IN_FLIGHT && !stopped) {
        const n = Math.min(due, MAX_SEND_EVENTS);
        const ts = new Date(now).toISOString();
        const messages = new Array<{ key: string; value: string }>(n);
        for (let k = 0; k < n; k++) messages[k] = make(next++, ts);
        due -= n;
        stats.produced += n;
        inFlight++;
        // Keyed by user with acks from all in-sync replicas, as send() in src/demo/traffic.ts does.
        producer.send({ topic, acks: -1, messages }).then(
          () => {
            stats.acked += n;
            const second = Math.floor((Date.now() - stats.startedAt) / 1000);
            while (stats.perSecond.length <= second) stats.perSecond.push(0);
            stats.perSecond[second] += n;
          },
          (err: unknown) => {
            stats.failed += n;
            stats.lastError = (err as Error).message;
          },
        ).finally(() => inFlight--);
        // Let acknowledgements and the stop message in between batches.
        await new Promise((resolve) => setImmediate(resolve));
      }
      await sleep(TICK_MS - (Date.now() - now));
    }
    const drainUntil = Date.now() + 15_000;
    while (inFlight > 0 && Date.now() < drainUntil) await sleep(20);
  })();
  return {
    stats,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

export interface BackgroundJob {
  topic: string;
  rate: number;
  template: CanonicalEvent[];
}

export type BackgroundMessage = { type: 'stats'; stats: BackgroundStats } | { type: 'stopped'; stats: BackgroundStats } | { type: 'failed'; error: string };

/** The worker thread's side: its own Kafka client and producer, stats to the main thread every 200 ms. */
export async function backgroundWorker(job: BackgroundJob): Promise<void> {
  const port = parentPort!;
  const { config } = loadConfig();
  const kafka = createKafka(config.kafka, createLogger({ level: 'warn', name: 'bench-background' }));
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const bg = produceBackground(producer, job.topic, job.template, job.rate);
  const post = (m: BackgroundMessage) => port.postMessage(m);
  const report = setInterval(() => post({ type: 'stats', stats: bg.stats }), 200);
  port.once('message', () => {
    void (async () => {
      clearInterval(report);
      await bg.stop();
      await producer.disconnect().catch(() => {});
      post({ type: 'stopped', stats: bg.stats });
      port.close();
    })();
  });
}

/**
 * The background load, produced in a worker thread so that building and encoding 20,000 events a second
 * does not delay this thread's export sends and ClickHouse polls (their timestamps are the measurement).
 * The worker runs `entry`, the benchmark's script, which calls backgroundWorker when not on the main thread.
 */
export function startBackground(entry: string, topic: string, template: readonly CanonicalEvent[], rate: number) {
  const stats: BackgroundStats = { target: rate, produced: 0, acked: 0, failed: 0, shortfall: 0, perSecond: [], startedAt: Date.now() };
  const tsx = require.resolve('tsx/cjs');
  const job: BackgroundJob = { topic, rate, template: [...template] };
  const worker = new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(entry)});`, { eval: true, workerData: job });
  let exited = false;
  let stoppedStats: (() => void) | undefined;
  worker.on('message', (m: BackgroundMessage) => {
    if (m.type === 'failed') stats.lastError = m.error;
    else Object.assign(stats, m.stats);
    if (m.type === 'stopped') stoppedStats?.();
  });
  worker.on('error', (err) => {
    stats.lastError = `background worker: ${err.message}`;
    say(`  ${stats.lastError}`);
  });
  const exit = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  return {
    stats,
    async stop() {
      if (exited) return;
      const stopped = new Promise<void>((resolve) => (stoppedStats = resolve));
      worker.postMessage('stop');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([stopped.then(() => exit), new Promise((resolve) => (timer = setTimeout(resolve, 30_000)))]);
      clearTimeout(timer);
      if (!exited) await worker.terminate();
    },
  };
}
