// Writes a simulation: events to events.jsonl (streamed, one UTC day at a time) or to a Kafka topic,
// then directory.csv, tables.csv, allowlist.json and, last, labels.json (which counts what was written).
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { Producer } from 'kafkajs';
import { toJsonLine, type SimEvent } from './event';
import type { Labels, Simulation } from './generate';

/** Where events go. `write` resolves when the events are safely handed over (file buffer drained, broker acked). */
export interface EventSink {
  readonly description: string;
  write(events: SimEvent[]): Promise<void>;
  close(): Promise<void>;
}

export const DIRECTORY_COLUMNS = ['id', 'name', 'department', 'role', 'manager', 'location', 'timezone', 'hire_date', 'notice_date', 'end_date', 'account_type'] as const;

export const OUTPUT_FILES = {
  events: 'events.jsonl',
  directory: 'directory.csv',
  tables: 'tables.csv',
  allowlist: 'allowlist.json',
  labels: 'labels.json',
} as const;

export function fileSink(file: string): EventSink {
  const out = fs.createWriteStream(file, { encoding: 'utf8' });
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  failed.catch(() => {});
  return {
    description: file,
    write: async (events) => {
      if (events.length === 0) return;
      let text = '';
      for (const e of events) text += `${toJsonLine(e)}\n`;
      if (!out.write(text)) await Promise.race([new Promise<void>((resolve) => out.once('drain', () => resolve())), failed]);
    },
    close: () => Promise.race([new Promise<void>((resolve) => out.end(resolve)), failed]),
  };
}

/** Produces to `topic`, keyed by user (one employee's events stay ordered), acks from all in-sync replicas. */
export function kafkaSink(producer: Producer, topic: string, batchSize = 2000): EventSink {
  return {
    description: `Kafka topic ${topic}`,
    write: async (events) => {
      for (let i = 0; i < events.length; i += batchSize) {
        const messages = events.slice(i, i + batchSize).map((e) => ({ key: e.user, value: toJsonLine(e) }));
        await producer.send({ topic, acks: -1, messages });
      }
    },
    close: async () => {},
  };
}

export interface WriteProgress {
  day: number;
  days: number;
  events: number;
  elapsedMs: number;
}

export interface WriteResult {
  labels: Labels;
  files: string[];
  elapsedMs: number;
}

export async function writeSimulation(
  sim: Simulation,
  opts: { outDir: string; sink?: EventSink; onProgress?: (p: WriteProgress) => void; progressEveryMs?: number },
): Promise<WriteResult> {
  const started = Date.now();
  fs.mkdirSync(opts.outDir, { recursive: true });
  const file = (name: string) => path.join(opts.outDir, name);
  const files: string[] = [];
  const writeFile = (name: string, text: string) => {
    fs.writeFileSync(file(name), text);
    files.push(file(name));
  };

  writeFile(OUTPUT_FILES.directory, stringify(sim.directory.map((r) => DIRECTORY_COLUMNS.map((c) => r[c])), { header: true, columns: [...DIRECTORY_COLUMNS] }));
  writeFile(OUTPUT_FILES.tables, stringify(sim.tables.map((t) => [t.database, t.table, t.sensitivity]), { header: true, columns: ['database', 'table', 'sensitivity'] }));
  writeFile(OUTPUT_FILES.allowlist, `${JSON.stringify({ entries: sim.allowlist }, null, 2)}\n`);

  const sink = opts.sink ?? fileSink(file(OUTPUT_FILES.events));
  if (!opts.sink) files.push(file(OUTPUT_FILES.events));
  let events = 0;
  let index = 0;
  let lastReport = started;
  try {
    for (const { events: list } of sim.days()) {
      await sink.write(list);
      events += list.length;
      index++;
      const now = Date.now();
      if (opts.onProgress && now - lastReport >= (opts.progressEveryMs ?? 2000)) {
        lastReport = now;
        opts.onProgress({ day: index, days: sim.options.days, events, elapsedMs: now - started });
      }
    }
  } finally {
    await sink.close();
  }
  const labels = sim.labels();
  writeFile(OUTPUT_FILES.labels, `${JSON.stringify(labels, null, 2)}\n`);
  return { labels, files, elapsedMs: Date.now() - started };
}
