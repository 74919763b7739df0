// One error tree for the whole product. Every error carries a stable code from ERROR_CODES (never reused
// for another meaning; docs/errors.md lists them, a unit test keeps the two equal), whether retrying can
// help, and the context a reader needs (file, key, service, table...). Callers decide retry vs dead-letter
// vs exit from `retriable` or the error's class, never from message text.

/** Every code an error of this product carries (thrown, logged, or answered by the API), with its meaning. */
export const ERROR_CODES = {
  CONFIG_INVALID: 'a configuration file, key or environment variable is wrong; fix the configuration',
  SERVICE_INSTALL_FAILED: 'a local service (Kafka, ClickHouse, PostgreSQL, MariaDB) could not be installed',
  SERVICE_START_FAILED: 'a local service could not be started or did not become ready',
  SERVICE_STOP_FAILED: 'a local service could not be stopped',
  SQL_VALUE_INVALID: 'a value cannot be written as SQL (NaN, an unsupported type, an invalid identifier)',
  CLICKHOUSE_UNAVAILABLE: "ClickHouse could not be reached or timed out, or answered a read cut short or with a row not of the query's shape (an error written after rows it had sent); retrying can help",
  CLICKHOUSE_REJECTED: 'ClickHouse refused the statement; retrying cannot help',
  MIGRATION_FAILED: 'a schema migration failed, or an applied migration was edited afterwards',
  SIMULATION_INVALID: 'the simulator or the demo was asked for something it cannot produce',
  DIRECTORY_INVALID: 'a directory file has problems; nothing of it was loaded',
  EVALUATION_FAILED: 'the evaluation harness could not complete',
  TRIAGE_NOT_FOUND: 'no such alert, suppression, user, token, pseudonym or tuning run',
  TRIAGE_CONFLICT: 'the state forbids the action (already resolved, already revoked, exists)',
  TRIAGE_INVALID: 'the content of a triage or admin request is refused (a missing reason, a bad value)',
  REPORT_FAILED: 'a report could not be generated, written or verified',
  INGEST_SCHEMA_MISSING: 'the database lacks a table or column the ingester writes; run `insider migrate`',
  INGEST_INSERT_REFUSED: 'ClickHouse refused an insert for its content; the rows are dead-lettered',
  INGEST_GROUP_SPLIT: 'an insert shared by several partitions goes again as one per partition: found stored for some only (its outcome was unknown), or refused as too large for one insert',
  KAFKA_BATCH_ABANDONED: 'a batch was abandoned before commit (its partition moved to another consumer, the group rebalanced while it was handled, or the process is stopping); it is redelivered',
  KAFKA_CODEC_FAILED: 'a Kafka record batch could not be compressed or decompressed',
  KAFKA_BATCH_TOO_LARGE: 'a Kafka record batch would decompress past the limit or holds too many records or headers (a compression bomb?); it is skipped and dead-lettered, not read',
  KAFKA_BATCH_GUARD: 'the guard against compression bombs could not be installed in kafkajs',
  KAFKA_UNAVAILABLE: 'Kafka stayed unreachable through the client\'s own retries (a broker restart, a network cut); the consumer starts again and its batches are redelivered',
  SMTP_REFUSED: 'the SMTP server refused the message (4xx: retried, 5xx: not)',
  INTERNAL: 'a bug: a condition the code guarantees did not hold (the API answers 500 with the request id)',
  INVALID_REQUEST: 'API: the request does not validate (details.issues names each field)',
  INVALID_VALUE: 'API: a value in the request cannot be used in a query',
  UNAUTHENTICATED: 'API: no credential, or one that is not valid (details.reason says why)',
  FORBIDDEN: 'API: the role is too low, or a signed-in session lacks its CSRF header',
  NOT_FOUND: 'API: no such route, asset or report file',
  NOT_ACCEPTABLE: 'API: the route answers in a format the request does not accept',
  BUSY: 'API: the same work is already running; retry when it ends',
  RATE_LIMITED: 'API: too many requests from this address',
  BODY_TOO_LARGE: 'API: the request body is larger than allowed',
  UNSUPPORTED_MEDIA_TYPE: 'API: the request body is not JSON',
  DASHBOARD_NOT_BUILT: 'API: the dashboard assets are missing; run `npm run build`',
  SERVICE_UNAVAILABLE: 'API: ClickHouse is unreachable, or the server holds its most open streams; retry',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export type ErrorContext = Record<string, string | number | boolean | undefined>;

export class InsiderError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly context: ErrorContext;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { retriable?: boolean; context?: ErrorContext; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = opts.retriable ?? false;
    this.context = opts.context ?? {};
  }
}

/** A configuration file, key or environment variable is wrong. Fix the config; retrying cannot help. */
export class ConfigError extends InsiderError {
  constructor(message: string, context: ErrorContext = {}) {
    super('CONFIG_INVALID', message, { context });
  }
}

/** A local service (Kafka, ClickHouse) could not be installed, started or stopped. */
export class ServiceError extends InsiderError {
  constructor(code: 'SERVICE_INSTALL_FAILED' | 'SERVICE_START_FAILED' | 'SERVICE_STOP_FAILED', message: string, context: ErrorContext = {}) {
    super(code, message, { context });
  }
}

/** A value cannot be written as SQL (NaN, an unsupported type, an invalid identifier). A bug or bad input. */
export class SqlValueError extends InsiderError {
  constructor(message: string, context: ErrorContext = {}) {
    super('SQL_VALUE_INVALID', message, { context });
  }
}

/** ClickHouse answered with an error or could not be reached. `retriable` says which. */
export class ClickHouseError extends InsiderError {
  constructor(message: string, opts: { retriable: boolean; serverCode?: number; cause?: unknown }) {
    super(opts.retriable ? 'CLICKHOUSE_UNAVAILABLE' : 'CLICKHOUSE_REJECTED', message, {
      retriable: opts.retriable,
      context: { serverCode: opts.serverCode },
      cause: opts.cause,
    });
  }
}

/** A schema migration failed or an applied migration was edited afterwards. */
export class MigrationError extends InsiderError {
  constructor(message: string, context: ErrorContext = {}, cause?: unknown) {
    super('MIGRATION_FAILED', message, { context, cause });
  }
}

/** Human-readable one-liner for the CLI: the message, plus the code for searching docs and logs. */
export function describeError(err: unknown): string {
  if (err instanceof InsiderError) return `${err.message} [${err.code}]`;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The simulator was asked for something it cannot produce (too few employees, an end time that is not a time). */
export class SimulationError extends InsiderError {
  constructor(message: string, context: ErrorContext = {}) {
    super('SIMULATION_INVALID', message, { context });
  }
}

/**
 * A directory file is not valid: `problems` has one line per bad line ("directory.csv:17: ..."). Nothing
 * is loaded from a file with problems; fix the file and load it again.
 */
export class DirectoryError extends InsiderError {
  readonly problems: string[];

  constructor(message: string, problems: string[], context: ErrorContext = {}) {
    super('DIRECTORY_INVALID', message, { context });
    this.problems = problems;
  }
}

/** The evaluation harness could not complete (a simulation to reuse is missing, ingestion stalled, ...). */
export class EvaluationError extends InsiderError {
  constructor(message: string, context: ErrorContext = {}, cause?: unknown) {
    super('EVALUATION_FAILED', message, { context, cause });
  }
}

/** A triage request cannot be done as asked: unknown alert (not found), a transition the state forbids (conflict), bad input. */
export class TriageError extends InsiderError {
  constructor(code: 'TRIAGE_NOT_FOUND' | 'TRIAGE_CONFLICT' | 'TRIAGE_INVALID', message: string, context: ErrorContext = {}) {
    super(code, message, { context });
  }
}

/** A bug: a condition the code guarantees did not hold (a route declared wrongly, an unknown chain name). */
export class InternalError extends InsiderError {
  constructor(message: string, context: ErrorContext = {}) {
    super('INTERNAL', message, { context });
  }
}
