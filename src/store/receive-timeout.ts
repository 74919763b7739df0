// A writer paused in the middle of sending an insert's body (SIGSTOP, a long GC pause, a frozen VM)
// holds a request that a new owner's wait cannot see: ClickHouse lists a query in system.processes only
// once it has read the first buffer of the body (1 MiB on 18.16, measured), so the takeover's wait for
// the partition's statements passes it over, reads the ledger and inserts the batch. Resumed, the paused
// writer would finish its body and store the batch a second time. What ends such a request is the
// server's http_receive_timeout: a body that sends nothing for that long is dropped, and nothing of it is
// stored (test/integration/ingest-insert-outcome.test.ts). The server reads it from its default profile
// when it accepts a connection (a query's own setting comes too late: measured on 18.16), so the product
// can only check it: shorter than the group's session timeout less one heartbeat interval, a paused
// writer's body is dropped before the group can give its partitions to another member.
import type { Logger } from '../log';
import type { ClickHouse } from './clickhouse';
import { sql } from './sql';

export interface ReceiveTimeoutCheck {
  /** The server's http_receive_timeout, as the product's user reads it in system.settings. */
  seconds: number;
  /** It must be shorter than this: the session timeout less one heartbeat interval. */
  limitMs: number;
  ok: boolean;
}

/**
 * Reads the server's http_receive_timeout and warns when a paused writer's body would outlive its
 * membership of the group. Only a warning: a stock server (1800 s on 18.16) still ingests, and the
 * risk is a batch stored twice after a pause, never one lost.
 */
export async function checkReceiveTimeout(
  ch: ClickHouse,
  group: { sessionTimeoutMs: number; heartbeatIntervalMs: number },
  log: Logger,
): Promise<ReceiveTimeoutCheck> {
  const [row] = await ch.query<{ value: string }>(sql`SELECT value FROM system.settings WHERE name = 'http_receive_timeout'`);
  const seconds = Number(row?.value);
  const limitMs = group.sessionTimeoutMs - group.heartbeatIntervalMs;
  const ok = Number.isFinite(seconds) && seconds * 1000 < limitMs;
  if (!ok) {
    log.warn(
      { httpReceiveTimeoutSeconds: row?.value, limitSeconds: limitMs / 1000 },
      "ClickHouse's http_receive_timeout is not shorter than the session timeout less one heartbeat interval: a writer paused in the middle " +
        'of sending an insert could store it again after its partition moved to another member. Set it in the server\'s default profile (docs/deploy.md, "ClickHouse server settings")',
    );
  }
  return { seconds, limitMs, ok };
}
