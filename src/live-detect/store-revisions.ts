// A batch's alert revisions, stored before its offsets are committed, retried while ClickHouse is away.
// Each attempt proves the partition is still this detector's (inside its inserts' fences: alert-writes.ts):
// an outage can outlast a rebalance that gave the partition to another detector, whose takeover then
// reads the alerts before these are written (the same revision stored twice, possibly with another
// severity). A detector paused past its session, or a batch of a generation gone by, is caught the same
// way: committing the batch's start again checks the membership with the broker (consumer-loop.ts, fence).
//
// A revision is stamped (updatedAtWall) when it is judged. One stored much later, by a retry through an
// outage, is stamped again when it is sent: the notifier reads revisions by stamp, some minutes behind the
// newest it saw (another detector's keep it moving), and the chain seals what is older than its grace
// period; an old stamp arriving late was passed over by both (never paged; named by the verifier as
// written after sealing). How late a stamp can still land: alerts/landing.ts. The listing is refreshed after the insert, on its own: a refresh failing does not send the
// revisions again.
import { RESTAMP_AFTER_MS, type AlertRecord } from '../alerts';
import type { AlertWrites, WrittenBy } from './alert-writes';
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
  /** The writes of one batch's revisions, fenced and settled (alert-writes.ts). */
  writes(alerts: AlertRecord[], by: WrittenBy): AlertWrites;
  /** After the insert: derives their rows of the listing (alerts/listing.ts refreshListing). */
  refresh?(alerts: AlertRecord[]): Promise<void>;
  /** The wall clock (ms); Date.now by default. */
  now?(): number;
  retry: RetryPolicy;
  stopping(): boolean;
  log: Logger;
  onRetry?(): void;
}

/**
 * Stores the revisions, or throws Abandoned once the batch is no longer this detector's (judged again by
 * its owner). Giving up with an insert whose answer never came (it may still land), tells `onUnanswered` its query id.
 */
export function revisionStore(o: RevisionStoreOptions): (alerts: AlertRecord[], ours: StillOurs, by: WrittenBy, onUnanswered?: (queryId: string) => void) => Promise<void> {
  const now = o.now ?? Date.now;
  return async (alerts, ours, by, onUnanswered) => {
    const options = (what: string) => ({
      policy: o.retry,
      shouldContinue: () => !o.stopping() && ours.current(),
      onRetry: (err: unknown, attempt: number) => {
        o.onRetry?.();
        o.log.warn({ err: (err as Error).message, attempt }, `${what} failed; retrying`);
      },
    });
    const writes = o.writes(alerts, by);
    const prove = async () => {
      await ours.fence().catch((err: Error) => {
        o.log.warn({ err: err.message }, 'could not prove this detector still holds the partition; the batch is judged again');
        throw new Abandoned('storing alerts without a proven membership');
      });
      // The broker accepts a commit from any member of its current generation, whatever it was assigned:
      // after a join since the batch was entered (the partition maybe another's now) the proof proves nothing.
      if (!ours.current()) throw new Abandoned('a batch judged while the group was rebalanced');
    };
    await withRetry(
      'storing alerts',
      async () => {
        if (!ours.current()) throw new Abandoned('a batch judged while the group was rebalanced');
        await writes.attempt(prove, (rest) => stampedWhenLate(rest, now()));
      },
      options('storing alerts'),
    ).catch((err: unknown) => {
      const id = writes.unanswered();
      if (id !== undefined) onUnanswered?.(id);
      throw err;
    });
    const refresh = o.refresh;
    if (!refresh) return;
    // Stored: a refresh that cannot be done now is left to the API's listing repair, not a reason to judge the batch again.
    await withRetry('refreshing the alert listing', () => refresh(alerts), options('refreshing the alert listing')).catch((err: Error) => {
      o.log.warn({ err: err.message }, "alerts stored, their listing rows not refreshed (the API's listing repair rewrites them)");
    });
  };
}

/** The revisions judged more than RESTAMP_AFTER_MS before `at`, stamped `at`; the others as they are. */
function stampedWhenLate(alerts: AlertRecord[], at: number): AlertRecord[] {
  return alerts.map((a) => (at - a.updatedAtWall > RESTAMP_AFTER_MS ? { ...a, updatedAtWall: at } : a));
}
