// The timed bulk exports: staggered, each sending chunks until its alert is seen (or the time is up), and
// each alert checked to be triggered by one of its own export's events.
import type { Producer } from 'kafkajs';
import { exportChunk, send } from '../../src/demo/traffic';
import type { Exporter } from './exporters';
import { int, secs } from './figures';
import { CHUNK_EVERY_MS, EXPORT_TIMEOUT_MS, say, sleep, sleepUntil, STAGGER_MS } from './settings';
import type { Polls, SentEvent } from './watch';

export interface ExportResult {
  index: number;
  user: string;
  role: string;
  medianDailyMb: number;
  startedAt: number;
  chunksSent: number;
  sendErrors: number;
  outcome: 'alert' | 'missed' | 'error';
  alertId?: string;
  detectors?: string[];
  triggerEventId?: string;
  triggerChunk?: number;
  /** Trigger event's send() -> the answer of the first poll that showed the alert (an upper bound). */
  latencyMs?: number;
  /** Trigger event's send() -> the poll's request: a lower bound (the resolution is the poll's duration). */
  latencyLowerMs?: number;
  /** Trigger event's send() -> the detector's log line of the stored alert. */
  detectorLoggedMs?: number;
  /** Trigger event's send() -> the broker's acknowledgement. */
  triggerAckMs?: number;
  error?: string;
}

export interface ExportRun {
  exporters: Exporter[];
  /** The first export starts then, the others STAGGER_MS apart. */
  measureStart: number;
  producer: Producer;
  topic: string;
  polls: Polls;
  /** The detector's consumer lag samples (the latest is printed with each alert). */
  detectorLag: number[];
  interrupted(): boolean;
}

/** Runs every export to its end (alert, missed or error) and returns what each gave. */
export async function runExports(run: ExportRun): Promise<ExportResult[]> {
  const { exporters, measureStart, producer: exportProducer, topic, detectorLag } = run;
  const { sent, pendingVisible, seen } = run.polls;
  const results: ExportResult[] = exporters.map((e, i) => ({
    index: i + 1,
    user: e.user,
    role: e.role,
    medianDailyMb: Math.round(e.medianDailyBytes / 1e6),
    startedAt: 0,
    chunksSent: 0,
    sendErrors: 0,
    outcome: 'missed',
  }));
  const runExport = async (i: number) => {
    const r = results[i];
    const plan = exporters[i].plan;
    await sleepUntil(measureStart + i * STAGGER_MS);
    if (run.interrupted()) return;
    r.startedAt = Date.now();
    const deadline = r.startedAt + EXPORT_TIMEOUT_MS;
    for (let c = 0; c < plan.chunks && !seen.has(r.user) && Date.now() < deadline && !run.interrupted(); c++) {
      await sleepUntil(r.startedAt + c * CHUNK_EVERY_MS);
      if (seen.has(r.user)) break;
      const at = Date.now();
      const e = exportChunk(plan, at);
      const s: SentEvent = { user: r.user, at, chunk: c + 1 };
      sent.set(e.event_id, s);
      pendingVisible.set(e.event_id, s);
      try {
        await send(exportProducer, topic, [e]);
        s.ackedAt = Date.now();
        r.chunksSent++;
      } catch (err) {
        r.sendErrors++;
        pendingVisible.delete(e.event_id);
        say(`  export ${r.index}: send failed: ${(err as Error).message}`);
      }
    }
    while (!seen.has(r.user) && Date.now() < deadline && !run.interrupted()) await sleep(10);
    const a = seen.get(r.user);
    if (!a) {
      say(`  export ${r.index}/${results.length} ${r.user}: MISSED, no alert ${EXPORT_TIMEOUT_MS / 1000} s after the first chunk (${r.chunksSent} chunks sent)`);
      return;
    }
    r.alertId = a.alertId;
    r.detectors = a.detectors;
    r.triggerEventId = a.triggerEventId;
    const trigger = sent.get(a.triggerEventId);
    if (!trigger || trigger.user !== r.user) {
      r.outcome = 'error';
      r.error = `alert ${a.alertId}: trigger event ${a.triggerEventId} is not one of this export's events`;
      say(`  export ${r.index}/${results.length} ${r.user}: ERROR ${r.error}`);
      return;
    }
    r.outcome = 'alert';
    r.triggerChunk = trigger.chunk;
    r.latencyMs = a.seenAt - trigger.at;
    r.latencyLowerMs = Math.max(0, a.pollIssuedAt - trigger.at);
    if (trigger.ackedAt !== undefined) r.triggerAckMs = trigger.ackedAt - trigger.at;
    say(`  export ${r.index}/${results.length} ${r.user}: alert after chunk ${trigger.chunk} (${a.detectors.join(', ')}), seen ${secs(r.latencyMs)} s after the send; detector lag ${int(detectorLag.at(-1) ?? NaN)} events`);
  };
  await Promise.all(results.map((_, i) => runExport(i)));
  return results;
}
