// The Kafka connection shared by every stage that produces or consumes (ingest, replay, simulate).
// kafkajs logs go through pino so that they share redaction and format with ours.
import { Kafka, logLevel, type LogEntry, type SASLOptions } from 'kafkajs';
import type { Config } from '../config';
import type { Logger } from '../log';

export function createKafka(settings: Config['kafka'], log: Logger): Kafka {
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
      if (entry.level <= logLevel.ERROR) log.error(child, message);
      else if (entry.level === logLevel.WARN) log.warn(child, message);
      else log.debug(child, message);
    },
  });
}

function saslOptions(sasl: Config['kafka']['sasl']): SASLOptions | undefined {
  if (!sasl) return undefined;
  return { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password ?? '' } as SASLOptions;
}
