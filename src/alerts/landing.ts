// How long after its stamp (updated_at_wall) a detector's revision can still land in the alerts table.
// The readers that go by stamp must look at least this far back: the notifier (what it pages) and the
// chain's sealer (rows younger than its grace period wait; one landing behind a sealed head is named by the
// verifier as written after sealing). The bound follows the detector's writes (src/live-detect):
//   - a revision sent within RESTAMP_AFTER_MS of its judgement keeps that stamp (later ones are stamped when sent);
//   - an insert whose answer was lost runs on in ClickHouse: the client gives up after the request
//     time-out, the next attempt comes after the retry's delay (at most its maxDelayMs), waits for the
//     insert once its fence (FENCE_EXPIRY_MS) closed, and kills it past the session timeout;
//   - a detector that dies mid-insert is missed after its session timeout, and the partition's new owner
//     waits for the insert the same way (kills it past the session timeout) before it reads the alerts.
// So the bound grows with clickhouse.requestTimeoutMs and detection.consumer's sessionTimeoutMs and retry.
// It is the usual worst case, not a proof; a revision can land later (the chain's verifier then names it,
// the notifier pages it only if it lands within its overlap) when:
//   - a dead detector's takeover is held up: by a rebalance waiting for other members' batches in hand (up
//     to rebalanceTimeoutMs), by the wait for the ingester's offsets (30 s), or with no other detector
//     until one starts; all while ClickHouse is slow enough to keep its insert running;
//   - ClickHouse cannot kill the insert (18.16 refuses to kill an INSERT that sends data: the waits then
//     go on until it ends by itself, however long a stuck server takes);
//   - the stamp precedes the send by more than RESTAMP_AFTER_MS (a fence slow to open; a cluster's shards
//     written one after another, the first slow to answer);
//   - `detect --once` (unfenced: its insert runs on after the CLI gave up) or a process configured with
//     other time-outs than the detectors' (the readers use their own configuration: give them the same).
import { FENCE_EXPIRY_MS } from '../store';

/** A revision stored this long after it was judged is stamped again when sent. */
export const RESTAMP_AFTER_MS = 10_000;
/** A kill taking effect, a rebalance, clocks of detectors and ClickHouse apart. */
const MARGIN_MS = 15_000;

export interface LandingTimeouts {
  clickhouse: { requestTimeoutMs: number };
  detection: { consumer: { sessionTimeoutMs: number; retry: { maxDelayMs: number } } };
}

/** The latest a revision lands after its stamp, with these time-outs (149 s with the defaults: 60 s, 30 s, 30 s). */
export function revisionLandingMs(c: LandingTimeouts): number {
  const { sessionTimeoutMs: session, retry } = c.detection.consumer;
  // Whichever comes later: the lost answer's next attempt, or a dead detector's partition taken over.
  const waitBegins = Math.max(c.clickhouse.requestTimeoutMs + retry.maxDelayMs, session);
  return RESTAMP_AFTER_MS + waitBegins + FENCE_EXPIRY_MS + session + MARGIN_MS;
}
