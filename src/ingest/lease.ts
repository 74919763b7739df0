// Proof of partition ownership at write time (docs/exactly-once.md, "A paused ingester"). The group
// coordinator moves a member's partitions once it has not heard a heartbeat for the session timeout. A
// member that was paused (SIGSTOP, a long GC, a frozen VM) does not know: it would write its batch in
// hand after another member took the partition over. So a write is allowed only while the last
// successful heartbeat was *sent* less than `spanMs` ago (monotonic clock); otherwise the member
// heartbeats first, and abandons the batch when that fails (rebalance, unknown member). The span
// leaves room, within the session timeout, for the insert's fence to close (src/store/write-fence.ts).
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Abandoned } from '../kafka';

/** Whether this consumer still owns the batch's partition; confirm() proves it (lease) before each write. */
export interface Ownership {
  owned(): boolean;
  /** Resolves when the group membership is proven fresh enough to write; throws Abandoned otherwise. */
  confirm(): Promise<void>;
}

export interface Lease {
  /** kafkajs consumer.events.REQUEST: notes when a heartbeat request was sent. */
  onRequest(payload: { apiName: string; duration: number }): void;
  /** kafkajs consumer.events.HEARTBEAT: the heartbeat sent last succeeded. */
  onHeartbeat(): void;
  /** kafkajs consumer.events.GROUP_JOIN: a new generation; nothing is proven yet. */
  onJoin(): void;
  valid(): boolean;
  /** Resolves while the lease holds (heartbeating to renew it); throws Abandoned when it cannot be renewed. */
  confirm(heartbeat: () => Promise<void>, owned: () => boolean): Promise<void>;
  /**
   * The ownership of a batch fetched now: it lasts while the group stays in this generation, the
   * partition stays assigned and `open()` holds (the process is not past its stop). A batch left over
   * from an earlier generation writes nothing, even where the new one gives this member the same
   * partition: its ledger is read anew, and only the new generation's batches go by it.
   */
  ownership(batch: { heartbeat(): Promise<void>; isStale(): boolean }, open: () => boolean): Ownership;
}

/** Half a session timeout, less if the fence needs it: span + fence < session timeout; at least a quarter. */
export function leaseSpan(sessionTimeoutMs: number, fenceMs: number): number {
  return Math.max(Math.min(sessionTimeoutMs / 2, sessionTimeoutMs - fenceMs), sessionTimeoutMs / 4);
}

export function createLease(opts: { sessionTimeoutMs: number; spanMs?: number; now?: () => number }): Lease {
  const now = opts.now ?? (() => performance.now());
  const span = opts.spanMs ?? opts.sessionTimeoutMs / 2;
  let provenAt = -Infinity;
  let lastSent = -Infinity;
  let generation = 0;
  const valid = () => now() - provenAt < span;
  const lease: Lease = {
    onRequest(payload) {
      // Emitted when the response arrives; the coordinator saw the request at about its send time, which
      // is what counts (a response read late, after a pause, proves nothing about the time in between).
      if (payload.apiName === 'Heartbeat') lastSent = now() - payload.duration;
    },
    onHeartbeat() {
      provenAt = Math.max(provenAt, lastSent);
    },
    onJoin() {
      provenAt = -Infinity;
      generation++;
    },
    valid,
    async confirm(heartbeat, owned) {
      const deadline = now() + opts.sessionTimeoutMs;
      if (!owned()) throw new Abandoned('write');
      while (!valid()) {
        if (!owned() || now() > deadline) throw new Abandoned('write');
        try {
          await heartbeat();
        } catch (err) {
          throw new Abandoned(`write (heartbeat failed: ${(err as Error).message})`);
        }
        // kafkajs sends at most one heartbeat per interval: wait for the next one if this was skipped.
        if (!valid()) await sleep(100);
      }
    },
    ownership(batch, open) {
      const fetchedIn = generation;
      const owned = () => fetchedIn === generation && !batch.isStale() && open();
      return { owned, confirm: () => lease.confirm(batch.heartbeat, owned) };
    },
  };
  return lease;
}
