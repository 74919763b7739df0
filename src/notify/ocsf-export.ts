// Access events to a SIEM as OCSF Datastore Activity (class 6005), `insider sources export-ocsf`: a
// consumer group of its own reads the event topics through the sources layer (the same decoding the
// ingester does: every format, envelopes, the join state, read-only) and produces one OCSF record per
// event to the SIEM's topic, keyed by user; offsets are committed after Kafka acknowledged the
// records, so a restart sends a batch again rather than lose it (metadata.uid, the event id, lets the
// SIEM drop a repeat). Messages that do not decode are the ingester's to dead-letter; they are counted.
import type { Consumer, Kafka, Producer } from 'kafkajs';
import type { Config } from '../config';
import { toCanonical } from '../event';
import type { Logger } from '../log';
import type { ClickHouse } from '../store';
import { createSources } from '../sources';
import { datastoreActivityOf } from './ocsf';

export interface OcsfExportDeps {
  config: Readonly<Config>;
  kafka: Kafka;
  /** The join state of formats that need it (read-only). */
  ch?: ClickHouse;
  log: Logger;
  /** The SIEM's topic. */
  topic: string;
  groupId: string;
  /** Topics to read (default: kafka.topic and ingest.topics). */
  from?: string[];
}

export interface OcsfExport {
  start(): Promise<void>;
  stop(): Promise<void>;
  stats(): { messages: number; exported: number; undecodable: number };
}

export function createOcsfExport(deps: OcsfExportDeps): OcsfExport {
  const { config, kafka, log, topic } = deps;
  const topics = deps.from ?? [...new Set([config.kafka.topic, ...config.ingest.topics])];
  const sources = createSources({ settings: config.ingest, ch: deps.ch, log, role: 'reader' });
  const limits = { maxMessageBytes: config.ingest.maxMessageBytes, maxFutureSkewMs: config.ingest.maxFutureSkewMs };
  const stats = { messages: 0, exported: 0, undecodable: 0 };
  let consumer: Consumer | undefined;
  let producer: Producer | undefined;

  return {
    stats: () => ({ ...stats }),
    async start() {
      producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await producer.connect();
      consumer = kafka.consumer({ groupId: deps.groupId });
      await consumer.connect();
      for (const t of topics) await consumer.subscribe({ topic: t, fromBeginning: true });
      await consumer.run({
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
          const raw = batch.messages.map((m) => ({ value: m.value, topic: batch.topic, partition: batch.partition, offset: m.offset }));
          const outcomes = await sources.decodeBatch(batch.topic, raw, limits);
          const now = Date.now();
          const records = [];
          for (const o of outcomes) {
            if (!o.ok) {
              stats.undecodable++;
              continue;
            }
            for (const e of o.events) {
              const c = toCanonical(e);
              records.push({ key: c.user, value: JSON.stringify(datastoreActivityOf(c, now)) });
            }
          }
          if (records.length > 0) await producer!.send({ topic, acks: -1, messages: records });
          stats.messages += batch.messages.length;
          stats.exported += records.length;
          const last = batch.messages[batch.messages.length - 1];
          if (last) resolveOffset(last.offset);
          await heartbeat();
          log.debug({ topic: batch.topic, partition: batch.partition, exported: records.length }, 'ocsf export: batch sent');
        },
      });
    },
    async stop() {
      await consumer?.disconnect().catch(() => {});
      await producer?.disconnect().catch(() => {});
    },
  };
}
