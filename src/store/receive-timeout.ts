// A writer paused in the middle of sending an insert's body (SIGSTOP, a long GC pause, a frozen VM)
// holds a request that a new owner's wait cannot see: ClickHouse lists a query in system.processes only
// once it has read the first 1 MiB of the body (18.16, measured), so the takeover's wait for the
// partition's statements passes it over, reads the ledger and inserts the batch. Resumed, the paused
// writer would finish its body and store the batch a second time. What ends such a request is the
// server's http_receive_timeout: a body that sends nothing for that long is dropped, and nothing of it is
// stored (test/integration/ingest-stalled-body.test.ts). It is a server setting the product cannot send
// (a query's own comes too late), so each writer measures it at start on every server it writes to.
import type { Logger } from '../log';
import type { ClickHouse } from './clickhouse';
import type { StalledBodyProbe } from './stalled-body-probe';

/** A consumer group's timing: how long after its last heartbeat a paused member can lose its partitions. */
export interface GroupTimeouts {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** None: kafkajs's default (60 s). */
  rebalanceTimeoutMs?: number;
}

const KAFKAJS_REBALANCE_TIMEOUT_MS = 60_000;

/**
 * How long a stalled body may live: shorter, and a paused writer's body is dropped before its partitions
 * can move. kafkajs sends a heartbeat at most once an interval counted from the last answer, so the
 * consumer loop's ticker at that interval sends one every other tick: the last one before a pause can be
 * two intervals old (measured). A member that does not rejoin a rebalance in time is removed whatever
 * its heartbeats.
 */
export function stalledBodyLimitMs(group: GroupTimeouts): number {
  return Math.min(group.sessionTimeoutMs - 2 * group.heartbeatIntervalMs, group.rebalanceTimeoutMs ?? KAFKAJS_REBALANCE_TIMEOUT_MS);
}

export interface ReceiveTimeoutCheck {
  limitMs: number;
  servers: Array<StalledBodyProbe & { url: string }>;
  /** Every server measured, and each gave up on a stalled body within the limit. */
  ok: boolean;
}

/**
 * Measures how long every server waits for a stalled body, and warns where it outlives the limit or could
 * not be measured. Only a warning: a stock server (1800 s) still ingests, and the risk is a batch stored
 * twice after such a pause, never one lost. It takes as long as the servers' timeout: start-up does not
 * wait for it.
 */
export async function checkReceiveTimeout(ch: ClickHouse, group: GroupTimeouts, log: Logger): Promise<ReceiveTimeoutCheck> {
  const limitMs = stalledBodyLimitMs(group);
  const servers = await ch.stalledBodyTimeouts(Math.max(limitMs, 0) + 1000);
  const seconds = (ms: number | undefined) => (ms === undefined ? 'still waiting' : Math.round(ms / 100) / 10);
  const unmeasured = servers.filter((s) => s.unmeasured !== undefined);
  const late = servers.filter((s) => s.unmeasured === undefined && (s.droppedAfterMs === undefined || s.droppedAfterMs >= limitMs));
  if (late.length > 0) {
    log.warn(
      { limitSeconds: limitMs / 1000, servers: late.map((s) => ({ url: s.url, droppedAfterSeconds: seconds(s.droppedAfterMs) })) },
      'ClickHouse waits too long for a request body that stops arriving (http_receive_timeout): a writer paused in the middle of sending ' +
        "an insert could store it again after its partition moved to another member. Set it in the server's default profile and restart the server " +
        '(docs/deploy.md, "ClickHouse server settings")',
    );
  }
  if (unmeasured.length > 0) {
    log.warn({ servers: unmeasured.map((s) => ({ url: s.url, reason: s.unmeasured })) }, 'could not measure how long ClickHouse waits for a request body that stops arriving');
  }
  const ok = late.length === 0 && unmeasured.length === 0;
  if (ok) log.info({ limitSeconds: limitMs / 1000, droppedAfterSeconds: servers.map((s) => seconds(s.droppedAfterMs)) }, 'ClickHouse drops a stalled request body in time');
  return { limitMs, servers, ok };
}
