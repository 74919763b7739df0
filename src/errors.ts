// One error tree for the whole product. Every error carries a stable code (never reused for another
// meaning), whether retrying can help, and the context a reader needs (file, key, service, table...).
// Callers decide retry vs dead-letter vs exit from `retriable`, never from message text.

export type ErrorContext = Record<string, string | number | boolean | undefined>;

export class InsiderError extends Error {
  readonly code: string;
  readonly retriable: boolean;
  readonly context: ErrorContext;

  constructor(
    code: string,
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
