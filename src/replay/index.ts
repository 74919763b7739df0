// Produces JSON lines to the events topic, keyed by user, for backfills, tests and the demo. Lines are
// sent as they are (a malformed line is the ingester's to dead-letter, with its reason); blank lines
// are skipped and counted.
import readline from 'node:readline';
import type { Readable } from 'node:stream';
import type { Producer } from 'kafkajs';
import { chunkMessages, RECORD_OVERHEAD } from '../kafka';

/** Bytes of lines per produce request at most (the brokers take about 1 MB per batch by default). */
const SEND_BYTES = 900 * 1024;

export interface ReplayProgress {
  lines: number;
  sent: number;
  blank: number;
  elapsedMs: number;
}

export interface ReplayOptions {
  producer: Producer;
  topic: string;
  /** Messages per produce request. */
  batchSize?: number;
  onProgress?: (p: ReplayProgress) => void;
  progressEveryMs?: number;
}

export async function replayLines(input: Readable, opts: ReplayOptions): Promise<ReplayProgress> {
  const batchSize = opts.batchSize ?? 1000;
  const started = Date.now();
  const progress: ReplayProgress = { lines: 0, sent: 0, blank: 0, elapsedMs: 0 };
  let lastReport = started;

  const send = async (messages: Array<{ key: string | null; value: string }>) => {
    await opts.producer.send({ topic: opts.topic, acks: -1, messages });
    progress.sent += messages.length;
    const now = Date.now();
    if (opts.onProgress && now - lastReport >= (opts.progressEveryMs ?? 1000)) {
      lastReport = now;
      opts.onProgress({ ...progress, elapsedMs: now - started });
    }
  };

  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  async function* messages() {
    for await (const line of lines) {
      progress.lines++;
      if (line.trim() === '') {
        progress.blank++;
        continue;
      }
      yield { key: userKey(line), value: line };
    }
  }
  // A produce request also stays under a megabyte: one user's lines make one batch of a partition.
  // Bytes as sent (UTF-8; the key is part of the line), and about what each record adds.
  const size = (m: { value: string }) => 2 * Buffer.byteLength(m.value) + RECORD_OVERHEAD;
  for await (const chunk of chunkMessages(messages(), { maxMessages: batchSize, maxBytes: SEND_BYTES, size })) await send(chunk);
  progress.elapsedMs = Date.now() - started;
  return progress;
}

/** The `user` field when the line is a JSON object with one; otherwise no key (the ingester decides). */
export function userKey(line: string): string | null {
  try {
    const doc = JSON.parse(line) as { user?: unknown };
    return typeof doc?.user === 'string' ? doc.user : null;
  } catch {
    return null;
  }
}
