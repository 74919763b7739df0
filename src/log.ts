// pino, with every path that may carry a secret or a credential redacted before it is written.
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export const REDACTED_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'config.clickhouse.password',
  'config.kafka.sasl.password',
  'sasl.password',
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'routingKey',
  '*.routingKey',
  'routing_key',
  '*.routing_key',
  'secret',
  '*.secret',
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'headers["x-api-key"]',
  'adminToken',
  '*.adminToken',
  '*.*.adminToken',
  'pseudonymKey',
  '*.pseudonymKey',
  '*.*.pseudonymKey',
];

export function createLogger(opts: { level: string; name?: string; destination?: DestinationStream }): Logger {
  const options = {
    level: opts.level,
    name: opts.name ?? 'insider',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  // Logs go to stderr so that commands printing data (JSON, tables) keep stdout clean.
  return opts.destination ? pino(options, opts.destination) : pino(options, pino.destination(2));
}
