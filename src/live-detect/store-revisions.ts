// A batch's alert revisions, stored before its offsets are committed, retried while ClickHouse is away.
// Each attempt first proves the partition is still this detector's: an outage can outlast a rebalance that
// gave the partition to another detector, whose takeover then reads the alerts before these are written
// (the same revision stored twice, possibly with another severity). A detector paused past its session,
// or a batch of a generation gone by, is caught the same way: committing the batch's start again checks
// the membership with the broker (consumer-loop.ts, fence).
import type { AlertRecord } from '../alerts';
import { Abandoned, withRetry, type RetryPolicy } from '../kafka';
import type { Logger } from '../log';

/** Whether the batch is still this detector's to store. */
export interface StillOurs {
  /** The group has not rebalanced since the batch was taken (partitions.current). */
  current(): boolean;
  /** Proves the membership with the broker; throws otherwise. */
  fence(): Promise<void>;
}

export interface RevisionStoreOptions {
  write(alerts: AlertRecord[]): Promise<void>;
  retry: RetryPolicy;
  stopping(): boolean;
  log: Logger;
  onRetry?(): void;
}

/** Stores the revisions, or throws Abandoned once the batch is no longer this detector's (judged again by its owner). */
export function revisionStore(o: RevisionStoreOptions): (alerts: AlertRecord[], ours: StillOurs) => Promise<void> {
  return (alerts, ours) =>
    withRetry(
      'storing alerts',
      async () => {
        if (!ours.current()) throw new Abandoned('a batch judged while the group was rebalanced');
        await ours.fence().catch((err: Error) => {
          o.log.warn({ err: err.message }, 'could not prove this detector still holds the partition; the batch is judged again');
          throw new Abandoned('storing alerts without a proven membership');
        });
        await o.write(alerts);
      },
      {
        policy: o.retry,
        shouldContinue: () => !o.stopping() && ours.current(),
        onRetry: (err, attempt) => {
          o.onRetry?.();
          o.log.warn({ err: (err as Error).message, attempt }, 'storing alerts failed; retrying');
        },
      },
    );
}
