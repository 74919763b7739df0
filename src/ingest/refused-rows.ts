// Rows ClickHouse refuses as data (a value it cannot parse, out of range): the insert holds nothing of
// them, so the rows are sent again in halves until the refused ones are alone, and those are
// dead-lettered. Halves split between Kafka messages: a message's events (one log line may give several)
// are stored together or dead-lettered together, never in part. A missing schema is not the rows' fault:
// no halving can help, and it says so (SchemaMissingError).
import { ClickHouseError, InsiderError } from '../errors';
import { SCHEMA_MISSING_CODES } from '../store';
import type { StoredEvent } from './event-rows';

/** What an insert stored, and the rows ClickHouse refused with its reason. */
export interface Inserted {
  inserted: StoredEvent[];
  rejected: Array<{ row: StoredEvent; reason: string }>;
}

/** ClickHouse says the schema is not there: no retry or bisection can help; run `insider migrate`. */
export class SchemaMissingError extends InsiderError {
  constructor(message: string, cause: unknown) {
    super('INGEST_SCHEMA_MISSING', `${message} (run \`insider migrate\` against this database)`, { cause });
  }
}

/** ClickHouse refused the rows as data (parsing, a value out of range) and holds nothing of them. */
export class InsertRefused extends InsiderError {
  constructor(cause: ClickHouseError) {
    super('INGEST_INSERT_REFUSED', cause.message, { cause, retriable: false });
  }
}

/** A failure that says the schema is not there, as SchemaMissingError; undefined for any other. */
export function schemaMissing(err: unknown): SchemaMissingError | undefined {
  if (err instanceof ClickHouseError && !err.retriable && SCHEMA_MISSING_CODES.has(Number(err.context.serverCode))) return new SchemaMissingError(err.message, err);
  return undefined;
}

/** The index nearest the middle where the rows of one Kafka message end; undefined for one message's rows. */
export function messageBoundary(rows: ReadonlyArray<{ kafka_offset: number }>): number | undefined {
  const half = rows.length >> 1;
  for (let d = 0; d < rows.length; d++) {
    for (const i of [half + d, half - d]) if (i > 0 && i < rows.length && rows[i].kafka_offset !== rows[i - 1].kafka_offset) return i;
  }
  return undefined;
}

/**
 * Inserts rows with `insert`, which throws InsertRefused when ClickHouse refused them as data; the
 * refused rows are isolated by bisection. Any other failure is thrown (a missing schema as SchemaMissingError).
 */
export async function insertRefusedApart(rows: StoredEvent[], insert: (rows: StoredEvent[]) => Promise<void>): Promise<Inserted> {
  try {
    await insert(rows);
    return { inserted: rows, rejected: [] };
  } catch (err) {
    if (!(err instanceof InsertRefused)) throw schemaMissing(err) ?? err;
    const mid = messageBoundary(rows);
    if (mid === undefined) return { inserted: [], rejected: rows.map((row) => ({ row, reason: err.message })) };
    const a = await insertRefusedApart(rows.slice(0, mid), insert);
    const b = await insertRefusedApart(rows.slice(mid), insert);
    return { inserted: [...a.inserted, ...b.inserted], rejected: [...a.rejected, ...b.rejected] };
  }
}
