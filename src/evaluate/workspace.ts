// A fresh, uniquely named place for one evaluation run: a ClickHouse database (migrated), a Kafka topic
// and a consumer group. Nothing of the product's own database, topic or group is touched; dispose()
// drops all of it again (unless the run is kept for inspection).
import crypto from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Config } from '../config';
import { createClickHouse, ident, migrate, sql, type ClickHouse } from '../store';

export interface Workspace {
  database: string;
  topic: string;
  deadLetterTopic: string;
  groupId: string;
  /** Connected to `database`. */
  ch: ClickHouse;
  /** Drops the database, deletes the topics and the group. Best effort; returns what failed. */
  dispose(): Promise<string[]>;
  /** Closes connections only (for --keep). */
  close(): Promise<void>;
}

/** "20261129t065012": a name part from a time, sortable, valid in database and topic names. */
export function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '').toLowerCase();
}

export async function createWorkspace(opts: {
  config: Readonly<Config>;
  kafka: Kafka;
  seed: number;
  now: number;
  partitions?: number;
  /** Name prefix of the database and topic (default "eval"): the demo and the benchmarks use their own. */
  prefix?: string;
  progress?: (line: string) => void;
}): Promise<Workspace> {
  const suffix = `${opts.seed}_${stamp(opts.now)}_${crypto.randomBytes(2).toString('hex')}`;
  const prefix = opts.prefix ?? 'eval';
  const database = `${prefix}_${suffix}`;
  const topic = `insider-${prefix}-${suffix.replace(/_/g, '-')}`;
  const deadLetterTopic = `${topic}.dlq`;
  const groupId = topic;
  const admin = createClickHouse(opts.config.clickhouse, { database: 'default' });
  const ch = createClickHouse(opts.config.clickhouse, { database });
  const kafkaAdmin = opts.kafka.admin();
  let created = { database: false, topic: false };

  const dispose = async (): Promise<string[]> => {
    const failures: string[] = [];
    if (created.topic) {
      try {
        await kafkaAdmin.connect();
        // The dead-letter topic exists only when something was dead-lettered.
        const existing = new Set(await kafkaAdmin.listTopics());
        const topics = [topic, deadLetterTopic].filter((t) => existing.has(t));
        if (topics.length > 0) await kafkaAdmin.deleteTopics({ topics });
        await kafkaAdmin.deleteGroups([groupId]).catch(() => {});
      } catch (err) {
        failures.push(`Kafka topic ${topic}: ${(err as Error).message}`);
      } finally {
        await kafkaAdmin.disconnect().catch(() => {});
      }
    }
    if (created.database) {
      try {
        await admin.exec(sql`DROP DATABASE IF EXISTS ${ident(database)}`);
      } catch (err) {
        failures.push(`ClickHouse database ${database}: ${(err as Error).message}`);
      }
    }
    created = { database: false, topic: false };
    await Promise.all([admin.close(), ch.close()]);
    return failures;
  };

  try {
    created.database = true;
    await migrate(admin, ch, { progress: opts.progress });
    await kafkaAdmin.connect();
    created.topic = true;
    await kafkaAdmin.createTopics({ topics: [{ topic, numPartitions: opts.partitions ?? 4 }], waitForLeaders: true });
    await kafkaAdmin.disconnect();
  } catch (err) {
    await kafkaAdmin.disconnect().catch(() => {});
    await dispose();
    throw err;
  }
  return {
    database,
    topic,
    deadLetterTopic,
    groupId,
    ch,
    dispose,
    close: async () => {
      await Promise.all([admin.close(), ch.close()]);
    },
  };
}
