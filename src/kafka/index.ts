// The Kafka connection shared by every stage that produces or consumes (ingest, replay, simulate), and
// what every consumer needs: its group lifecycle (consumer-loop.ts), retrying while it owns a partition,
// the ids it stored last.
// kafkajs logs go through pino so that they share redaction and format with ours.
import { Kafka, logLevel, type LogEntry, type SASLOptions } from 'kafkajs';
import type { Config } from '../config';
import type { Logger } from '../log';
import { registerCodecs } from './codecs';

export { registerCodecs, CodecError } from './codecs';
export { unreadBatch, guardRecordBatches } from './batch-guard';
export { withRetry, isRetriable, asRestartable, Abandoned, type RetryPolicy } from './retry';
export { RecentIds } from './recent-ids';
export { chunkMessages, messageBytes, RECORD_OVERHEAD, type ChunkLimits, type Sized } from './chunks';
export { createConsumerLoop, consumerConfig, type ConsumerLoop, type ConsumerLoopOptions, type ConsumerSettings, type BatchSession } from './consumer-loop';

// kafkajs 2's default partitioner (murmur2 on the key, like the Java client) is the one we want: a
// user's events share a partition. Its warning about the change from kafkajs 1 is noise here.
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

export function createKafka(settings: Config['kafka'], log: Logger): Kafka {
  // Every consumer must read snappy, lz4 and zstd batches, whoever produced them, and none past the limits.
  registerCodecs({ maxBytes: settings.maxBatchBytes, maxRecords: settings.maxBatchRecords });
  return new Kafka({
    clientId: settings.clientId,
    brokers: [...settings.brokers],
    ssl: settings.ssl,
    sasl: saslOptions(settings.sasl),
    connectionTimeout: settings.connectionTimeoutMs,
    requestTimeout: settings.requestTimeoutMs,
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      const { message, ...extra } = entry.log;
      const child = { namespace: entry.namespace, ...extra };
      // kafkajs logs every failed request at ERROR, including those it retries (leader moved,
      // coordinator loading). What it cannot recover from surfaces as a crash or a thrown error.
      if (entry.namespace === 'Connection') log.debug(child, message);
      else if (entry.level <= logLevel.ERROR) log.error(child, message);
      else if (entry.level === logLevel.WARN) log.warn(child, message);
      else log.debug(child, message);
    },
  });
}

function saslOptions(sasl: Config['kafka']['sasl']): SASLOptions | undefined {
  if (!sasl) return undefined;
  return { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password ?? '' } as SASLOptions;
}
