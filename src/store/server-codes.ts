// ClickHouse server error codes the product acts on, by the names of ClickHouse's ErrorCodes.cpp, so that a
// reader sees which error a branch is about (the numbers are stable across versions).
export const SERVER_CODES = {
  THERE_IS_NO_COLUMN: 8,
  NO_SUCH_COLUMN_IN_TABLE: 16,
  UNKNOWN_IDENTIFIER: 47,
  UNKNOWN_TABLE: 60,
  UNKNOWN_DATABASE: 81,
  UNEXPECTED_END_OF_FILE: 3,
  CANNOT_READ_FROM_ISTREAM: 23,
  TIMEOUT_EXCEEDED: 159,
  TOO_SLOW: 160,
  READONLY: 164,
  TOO_MANY_SIMULTANEOUS_QUERIES: 202,
  NO_FREE_CONNECTION: 203,
  SOCKET_TIMEOUT: 209,
  NETWORK_ERROR: 210,
  MEMORY_LIMIT_EXCEEDED: 241,
  TABLE_IS_READ_ONLY: 242,
  TOO_MANY_PARTS: 252,
  TOO_FEW_LIVE_REPLICAS: 285,
  UNKNOWN_STATUS_OF_INSERT: 319,
  SESSION_NOT_FOUND: 372,
  SESSION_IS_LOCKED: 373,
  ZLIB_INFLATE_FAILED: 354,
  CANNOT_KILL: 380,
  QUERY_WAS_CANCELLED: 394,
  SYSTEM_ERROR: 425,
  KEEPER_EXCEPTION: 999,
  POCO_EXCEPTION: 1000,
} as const;

const C = SERVER_CODES;

/** Errors of a server that is busy, starting, stopping or cut off: the same statement may succeed later. */
export const RETRIABLE_SERVER_CODES: ReadonlySet<number> = new Set([
  C.UNEXPECTED_END_OF_FILE,
  // 18.16's answer to a request body that stopped arriving (http_receive_timeout): the sender's pause, not its rows.
  C.CANNOT_READ_FROM_ISTREAM,
  // A gzipped request body that arrived cut short: the connection's fault, not the rows'.
  C.ZLIB_INFLATE_FAILED,
  C.TIMEOUT_EXCEEDED,
  C.TOO_SLOW,
  C.READONLY,
  C.TOO_MANY_SIMULTANEOUS_QUERIES,
  C.NO_FREE_CONNECTION,
  C.SOCKET_TIMEOUT,
  C.NETWORK_ERROR,
  C.MEMORY_LIMIT_EXCEEDED,
  C.TABLE_IS_READ_ONLY,
  C.TOO_MANY_PARTS,
  C.TOO_FEW_LIVE_REPLICAS,
  C.UNKNOWN_STATUS_OF_INSERT,
  C.QUERY_WAS_CANCELLED,
  C.SYSTEM_ERROR,
  C.KEEPER_EXCEPTION,
  C.POCO_EXCEPTION,
]);

/** A table, column or database the statement names does not exist: the schema is missing (run `insider migrate`). */
export const SCHEMA_MISSING_CODES: ReadonlySet<number> = new Set([C.UNKNOWN_TABLE, C.NO_SUCH_COLUMN_IN_TABLE, C.UNKNOWN_IDENTIFIER, C.UNKNOWN_DATABASE, C.THERE_IS_NO_COLUMN]);
