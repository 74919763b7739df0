// A repair wait that does not end on its own must not be silent. Settling an insert waits for things
// only ClickHouse can finish: a DELETE mutation, a query it was told to kill, a session it holds. When
// one of them never finishes (ClickHouse 18.x after a crash keeps retrying a merge into a temporary
// directory the crash left behind, and no merge or mutation of that table runs any more), ingestion
// stops with it: exactly once forbids sending the batch again before its orphans are gone. So the wait
// says what it waits for, repeatedly, and counts it (docs/exactly-once.md, "A repair that does not
// finish").
import type { Logger } from '../log';

export interface StallOptions {
  /** The first report after this long (default 30 s). */
  firstMs?: number;
  /** Then one every this long (default 60 s). */
  everyMs?: number;
  /** Called with each report: the ingester counts them (insider_ingest_errors_total{kind="repair_stalled"}). */
  onStall?: () => void;
}

/** Who hears of a repair wait that lasts: the log, and the ingester's counter. */
export interface Watched {
  log: Logger;
  stall?: StallOptions;
}

/** What settling, fencing and repairing share (built once per ingester, createBatchProcessor). */
export interface RepairContext extends Watched {
  /** A write of ours still running this long after its answer was lost is killed (the session timeout). */
  killAfterMs: number;
  /** How long a fence waits before it looks for the attempt (tests shorten it). */
  expiryMs?: number;
}

/** Call on each turn of a wait: reports it once it lasts, with the details it is given then. */
export type StallWatch = (details: () => Promise<object>) => Promise<void>;

export function stallWatch(log: Logger, message: string, opts: StallOptions = {}): StallWatch {
  const started = Date.now();
  let next = started + (opts.firstMs ?? 30_000);
  return async (details) => {
    const now = Date.now();
    if (now < next) return;
    next = now + (opts.everyMs ?? 60_000);
    opts.onStall?.();
    // The details are a diagnosis; failing to read them must not end the wait.
    const found = await details().catch((err: unknown) => ({ detailsUnavailable: err instanceof Error ? err.message : String(err) }));
    log.warn({ waitingSeconds: Math.round((now - started) / 1000), ...found }, message);
  };
}
