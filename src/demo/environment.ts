// A live environment with history, for the demo and the latency benchmark: local Kafka and ClickHouse
// up, a fresh database and topic, a simulated organisation whose last `days` days of ordinary activity
// (no labelled scenarios) are replayed through the real ingester, so that baselines exist; then the
// live traffic starts "now".
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Kafka } from 'kafkajs';
import { dayOf, MS_PER_DAY } from '../calendar';
import type { Config } from '../config';
import { loadDirectory, replayFile, startIngest, createWorkspace, type Workspace } from '../evaluate';
import { localServices, servicesUp } from '../local-services';
import type { Logger } from '../log';
import { createClickHouse, ident, sql } from '../store';
import { createSimulation, OUTPUT_FILES, writeSimulation, type DirectoryRow } from '../simulate';

export interface LiveEnvironment {
  ws: Workspace;
  /** Where the simulated organisation's files are (events.jsonl, directory.csv, tables.csv...). */
  dir: string;
  directory: DirectoryRow[];
  historyEvents: number;
  catalogFile: string;
  eventsFile: string;
}

export interface EnvironmentOptions {
  config: Readonly<Config>;
  kafka: Kafka;
  log: Logger;
  prefix: string;
  seed: number;
  employees: number;
  days: number;
  /** Directory for the simulation files (created; emptied first). */
  dir: string;
  /** Drop the databases and topics of earlier runs with this prefix first. */
  replaceEarlier?: boolean;
  progress: (line: string) => void;
}

/** The configuration of the live part: the environment's topic, database, consumer groups and catalog. */
export function liveConfig(config: Readonly<Config>, env: LiveEnvironment): Config {
  return {
    ...config,
    kafka: { ...config.kafka, topic: env.ws.topic },
    clickhouse: { ...config.clickhouse, database: env.ws.database },
    ingest: { ...config.ingest, groupId: env.ws.groupId, topics: [], deadLetterTopic: env.ws.deadLetterTopic },
    detection: { ...config.detection, groupId: `${env.ws.groupId}-detect`, catalogFile: env.catalogFile },
    // Pseudonyms need a key: one for this run when none is configured.
    api: { ...config.api, pseudonymKey: config.api.pseudonymKey ?? crypto.randomBytes(24).toString('hex') },
  };
}

export async function prepareEnvironment(opts: EnvironmentOptions): Promise<LiveEnvironment> {
  const { config, kafka, progress } = opts;
  await servicesUp(localServices(config), (line) => progress(`services: ${line}`));
  if (opts.replaceEarlier) await dropEarlier(config, kafka, opts.prefix, progress);
  // History ends at the start of today (UTC): today's activity is the live part.
  const end = dayOf(Date.now()) * MS_PER_DAY;
  fs.rmSync(opts.dir, { recursive: true, force: true });
  fs.mkdirSync(opts.dir, { recursive: true });
  const sim = createSimulation({ seed: opts.seed, employees: opts.employees, days: opts.days, end, scenarios: false });
  progress(`history: simulating ${opts.employees} employees over the ${opts.days} days before today (seed ${opts.seed})`);
  const written = await writeSimulation(sim, { outDir: opts.dir });
  const ws = await createWorkspace({ config, kafka, seed: opts.seed, now: Date.now(), prefix: opts.prefix, progress: (l) => progress(`migrate: ${l}`) });
  try {
    progress(`database ${ws.database}, topic ${ws.topic}`);
    const entries = await loadDirectory(ws.ch, path.join(opts.dir, OUTPUT_FILES.directory));
    progress(`directory: ${entries} people and service accounts loaded`);
    const ingest = await startIngest({ config, kafka, ws, log: opts.log, progress });
    try {
      const replayed = await replayFile(kafka, ws.topic, path.join(opts.dir, OUTPUT_FILES.events), progress);
      await ingest.waitFor(replayed.sent);
    } finally {
      await ingest.stop();
    }
    return {
      ws,
      dir: opts.dir,
      directory: sim.directory,
      historyEvents: written.labels.events,
      catalogFile: path.join(opts.dir, OUTPUT_FILES.tables),
      eventsFile: path.join(opts.dir, OUTPUT_FILES.events),
    };
  } catch (err) {
    await ws.dispose();
    throw err;
  }
}

/** Removes the databases and topics of earlier runs with the same prefix: one run's data at a time. */
async function dropEarlier(config: Readonly<Config>, kafka: Kafka, prefix: string, progress: (line: string) => void): Promise<void> {
  const ch = createClickHouse(config.clickhouse, { database: 'default' });
  const admin = kafka.admin();
  try {
    const dbs = await ch.query<{ name: string }>(sql`SELECT name FROM system.databases WHERE startsWith(name, ${`${prefix}_`})`).catch(() => []);
    for (const { name } of dbs) await ch.exec(sql`DROP DATABASE IF EXISTS ${ident(name)}`);
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`insider-${prefix}-`));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    if (dbs.length + topics.length > 0) progress(`removed the data of the previous run (${dbs.length} database(s), ${topics.length} topic(s))`);
  } catch {
    // Nothing to remove, or not removable now: the new run uses names of its own anyway.
  } finally {
    await admin.disconnect().catch(() => {});
    await ch.close();
  }
}
