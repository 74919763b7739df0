// Getting a simulation into a workspace the way production data arrives: the directory through
// src/directory, the events replayed to Kafka (src/replay) and consumed by the real ingester
// (src/ingest), in this process, until ClickHouse holds every event.
import fs from 'node:fs';
import type { Kafka } from 'kafkajs';
import type { Config } from '../config';
import { loadDirectoryFile, storeDirectory } from '../directory';
import { EvaluationError } from '../errors';
import { createIngester } from '../ingest';
import type { Logger } from '../log';
import { replayLines } from '../replay';
import { sql, type ClickHouse } from '../store';
import { createRegistry } from '../telemetry';
import type { Workspace } from './workspace';

type Progress = (line: string) => void;

const rate = (n: number, ms: number) => `${Math.round(n / Math.max(ms / 1000, 0.001))}/s`;

export async function loadDirectory(ch: ClickHouse, file: string): Promise<number> {
  const parsed = loadDirectoryFile(file);
  if (parsed.errors.length > 0) throw new EvaluationError(`${file}: ${parsed.errors.length} problem(s), first: ${parsed.errors[0]}`, { file });
  await storeDirectory(ch, parsed.entries, { source: file, checksum: parsed.checksum });
  return parsed.entries.length;
}

export async function replayFile(kafka: Kafka, topic: string, file: string, progress: Progress): Promise<{ sent: number; elapsedMs: number }> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const input = fs.createReadStream(file);
    const result = await replayLines(input, {
      producer,
      topic,
      batchSize: 5000,
      progressEveryMs: 2000,
      onProgress: (p) => progress(`replay: ${p.sent} events sent (${rate(p.sent, p.elapsedMs)})`),
    });
    return { sent: result.sent, elapsedMs: result.elapsedMs };
  } finally {
    await producer.disconnect();
  }
}

export interface IngestOutcome {
  stored: number;
  deadLettered: number;
  /** From the ingester's start until ClickHouse held every event. */
  elapsedMs: number;
}

export interface RunningIngest {
  /**
   * Resolves once access_events plus dead_letters account for `expected` events. Fails when the ingester
   * stops on its own or when nothing moves for `stallMs` (a stuck broker or server): never hangs silently.
   */
  waitFor(expected: number): Promise<IngestOutcome>;
  /** Stops the ingester (it commits the batch in hand first). */
  stop(): Promise<void>;
}

/** Starts the real ingester on the workspace's topic and group, in this process. */
export async function startIngest(opts: {
  config: Readonly<Config>;
  kafka: Kafka;
  ws: Workspace;
  log: Logger;
  progress: Progress;
  pollMs?: number;
  stallMs?: number;
}): Promise<RunningIngest> {
  const { config, ws } = opts;
  const pollMs = opts.pollMs ?? 500;
  const stallMs = opts.stallMs ?? 5 * 60_000;
  const ingester = createIngester({
    settings: { ...config.ingest, groupId: ws.groupId, topics: [], deadLetterTopic: ws.deadLetterTopic, fromBeginning: true },
    topic: ws.topic,
    kafka: opts.kafka,
    ch: ws.ch,
    log: opts.log,
    registry: createRegistry({ defaultMetrics: false }),
  });
  const started = Date.now();
  let fatal: unknown;
  ingester.done.catch((err: unknown) => (fatal = err));
  await ingester.start();

  const waitFor = async (expected: number): Promise<IngestOutcome> => {
    let last = -1;
    let lastMove = Date.now();
    let lastReport = 0;
    for (;;) {
      if (fatal !== undefined) throw new EvaluationError(`the ingester stopped: ${(fatal as Error).message ?? fatal}`, {}, fatal);
      const [row] = await ws.ch.query<{ stored: string; dead: string }>(sql`
        SELECT (SELECT count() FROM access_events) AS stored, (SELECT count() FROM dead_letters) AS dead`);
      const stored = Number(row.stored);
      const dead = Number(row.dead);
      const now = Date.now();
      if (stored + dead !== last) {
        last = stored + dead;
        lastMove = now;
      }
      if (stored + dead >= expected) {
        opts.progress(`ingest: ${stored}/${expected} events stored${dead ? `, ${dead} dead-lettered` : ''} ${((now - started) / 1000).toFixed(1)} s after the ingester started`);
        return { stored, deadLettered: dead, elapsedMs: now - started };
      }
      if (now - lastMove > stallMs) {
        throw new EvaluationError(`ingestion made no progress for ${Math.round(stallMs / 1000)} s: ${stored} of ${expected} events stored, ${dead} dead-lettered`);
      }
      if (now - lastReport >= 2000) {
        lastReport = now;
        opts.progress(`ingest: ${stored}/${expected} events stored (${rate(stored, now - started)})`);
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  };
  return { waitFor, stop: () => ingester.stop() };
}
