// What every log format of the sources layer implements: a pure function from one raw Kafka message
// to canonical events, or a dead-letter reason. Formats never do I/O; what a format needs from outside
// (table statistics, who authenticated a session) it reads from the context it is handed, and what it
// learns that later messages need (a session's identity) it returns as facts for the caller to keep.
import type { AccessEvent, ValidateLimits } from '../event';

/** The Kafka message as a format sees it. */
export interface RawMessage {
  value: Buffer | null;
  topic: string;
  partition: number;
  offset: string;
}

/**
 * Something a message taught about a session, for later messages: the join state. The caller applies
 * facts in message order, persists them (docs/sources/README.md "Join state"), and hands them back
 * through `DecodeContext.session`.
 *   identity  who authenticated the session (log_connections);
 *   copy      a `COPY t TO` already counted when it started (its log_statement line), so pgaudit's line
 *             when it ends is not counted again;
 *   attr      a named value of the session (MariaDB: the client address of a connection, a query's
 *             tables and return code from the audit log; PostgreSQL: the tables a cursor reads). `persist: false` keeps it in memory only:
 *             per-query facts that only bridge two logs written at the same moment.
 */
export type SessionFact = {
  /** The server (the format's `server` option): session ids are unique per server only. */
  server: string;
  sessionId: string;
  /** Event time of the line that told it, ms. */
  ts: number;
} & ({ kind: 'identity'; identity: string; method: string } | { kind: 'copy'; statement: string } | { kind: 'attr'; name: string; value: string; persist?: boolean });

/** The join state of one session as the caller knows it. */
export interface SessionView {
  identity: string;
  method: string;
  /** Statements of `COPY ... TO` counted when they started. */
  copies: ReadonlySet<string>;
  /** Named values (attr facts), oldest first; a session keeps its latest MAX_SESSION_ATTRS. */
  attrs: ReadonlyMap<string, string>;
}

export interface TableWidth {
  /** The table read, schema-qualified (a name without schema is looked up in every schema). */
  table: string;
  /** Estimated bytes of one row as `COPY ... TO` text: the sum of the columns' average widths plus separators. */
  rowBytes: number;
  /** The same for a subset of columns (COPY t (a, b) TO ...); undefined when a column is unknown. */
  columnsBytes(columns: string[]): number | undefined;
  /** pg_class.reltuples: the planner's row count. */
  rows: number;
  /** When the statistics were read from the server, ms. */
  readAt: number;
}

export interface DecodeContext {
  limits: ValidateLimits;
  now: number;
  /**
   * What is known of a session: undefined when nothing is known yet. The caller notes such sessions,
   * looks them up in the stored join state, and decodes the batch again (decoders are pure).
   */
  session(server: string, sessionId: string): SessionView | undefined;
  /** Table statistics in force at a time (the newest read at or before it), or undefined. */
  tableStats(server: string, database: string, table: string, at: number): TableWidth | undefined;
}

/**
 * How much of a statement an event keeps (its extra `statement`), in UTF-16 code units: the same for
 * every format (docs/sources/*.md: "first 1,024 characters"); the whole text is read for its tables.
 */
export const STATEMENT_KEEP = 1024;

export interface DecodedEvent {
  event: AccessEvent;
}

export type DecodeResult =
  | { ok: true; events: DecodedEvent[]; facts: SessionFact[]; note?: string }
  /** facts: what a refused record still tells later ones (a forged slow-log entry: what follows it is checked too). */
  | { ok: false; code: string; reason: string; facts?: SessionFact[] };

export interface SourceFormat {
  readonly name: string;
  readonly summary: string;
  /** `--option k=v` / `ingest.sources.<topic>.options`: name -> what it does, with its default. */
  readonly optionsHelp: Readonly<Record<string, string>>;
  /** Validates options once at start; throws ConfigError naming the option. */
  create(options: Readonly<Record<string, string | number | boolean>>, topic: string): SourceDecoder;
}

export interface SourceDecoder {
  readonly format: string;
  /** The servers whose tables this decoder estimates bytes for (postgres: one). */
  readonly servers: readonly string[];
  decode(message: RawMessage, ctx: DecodeContext): DecodeResult;
  /**
   * Facts a message holds, read before any message of its batch is decoded: for a format whose facts
   * come from another file than its events (MariaDB's audit log beside its slow log), so that the
   * order in which a shipper interleaved the two files within a batch does not matter.
   */
  prescan?(message: RawMessage, ctx: DecodeContext): SessionFact[];
  /** How a stream of lines is cut into records (`sources parse`, fixtures): true when a line starts one. */
  readonly recordStart?: RegExp;
}
