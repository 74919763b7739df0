// A fence around each insert attempt, so that the fate of one whose answer never came (a client
// timeout while the server goes on, a reset connection, a server killed, a writer paused mid-way) is
// known before anything is sent again (docs/exactly-once.md, "An insert whose outcome is unknown").
//
// Not seeing an attempt in system.processes proves nothing: its request may still be on its way (in
// the socket buffers, the server's accept queue, a paused writer's hands) and start later. So every
// attempt runs in a ClickHouse HTTP session of its own, opened just before it, with a 1 s timeout, and
// the insert names it with session_check=1: the server refuses the insert (SESSION_NOT_FOUND) unless
// the session still exists, and a session expires only when no request holds it. Once the session is
// gone, the attempt has either run to its end or can never start: what ClickHouse holds is final.
// The ingester's inserts and repairs are fenced so (src/ingest), and the detector's alert inserts.
import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClickHouseError } from '../errors';
import type { Logger } from '../log';
import type { ClickHouse, HttpSession } from './clickhouse';
import { SERVER_CODES } from './server-codes';
import { sql, type SqlFragment } from './sql';
import { stallWatch, type RepairContext, type StallWatch } from './stall-watch';

/** How long a session outlives its last request; the server closes it within about a second more. */
export const FENCE_SESSION_SECONDS = 1;
/** The longest an unused session was seen to live on 18.16 (timeout + close cycle + scheduling), with margin. */
export const FENCE_EXPIRY_MS = 4000;

const { SESSION_NOT_FOUND, SESSION_IS_LOCKED } = SERVER_CODES;

export interface Attempt {
  queryId: string;
  session: HttpSession;
  /**
   * The wait for it (fenceAttempt), kept across retries: a wait tried again after a failed probe keeps its
   * kill clock, kills once, and goes on reporting a stall (a watch made anew each time reported nothing when
   * probes failed more often than its first report).
   */
  wait?: { since: number; stalled?: StallWatch };
}

export function serverCode(err: unknown): number | undefined {
  if (!(err instanceof ClickHouseError)) return undefined;
  const code = Number(err.context.serverCode);
  return Number.isFinite(code) ? code : undefined;
}

/**
 * Statements that change what ClickHouse holds of a partition while settling or repairing (deleting
 * orphans, completing rollups) are fenced like inserts: a member that lost the partition while
 * paused must not delete or add rows after the next owner looked. `ready()` resolves once no earlier
 * statement of this writer can still run or start, and ownership is proven: call it before reading the
 * state to decide on (another member's inserts on the same keys would make that state misleading).
 */
export interface FencedWriter {
  exec(q: SqlFragment): Promise<void>;
  ready(): Promise<void>;
}

export function fencedWriter(
  ch: ClickHouse,
  opts: RepairContext & { queryIdPrefix: string; confirm: () => Promise<void> },
): FencedWriter {
  let unknown: Attempt | undefined;
  const ready = async () => {
    if (unknown) await fenceAttempt(ch, unknown, opts);
    unknown = undefined;
    await opts.confirm();
  };
  return {
    ready,
    async exec(q) {
      await ready();
      const attempt = await openFence(ch, opts.queryIdPrefix, opts.confirm);
      try {
        await ch.exec(q, { session: attempt.session, queryId: attempt.queryId });
      } catch (err) {
        const code = serverCode(err);
        if (code === undefined) unknown = attempt;
        throw fenceClosed(err, 'a repair statement') ?? err;
      }
    },
  };
}

/**
 * A write refused for its fence did nothing: the fence had closed (the writer paused, or the server
 * restarted, after it opened) or was still held. A retriable error, whose next attempt opens a new fence
 * and proves ownership again. Undefined for any other failure.
 */
export function fenceClosed(err: unknown, what: string): ClickHouseError | undefined {
  const code = serverCode(err);
  if (code === SESSION_NOT_FOUND) {
    return new ClickHouseError(`${what} found its fence closed (the ingester paused, or ClickHouse restarted, in between); sending it again`, { retriable: true, serverCode: code, cause: err });
  }
  // The session still held by the request that opened it (the server lets it go just after answering).
  if (code === SESSION_IS_LOCKED) return new ClickHouseError(`${what} found its fence still held by its opening; sending it again`, { retriable: true, serverCode: code, cause: err });
  return undefined;
}

/** Opens the session an attempt will insert in; the attempt may be sent only after this resolved. */
export async function openAttempt(ch: ClickHouse, queryIdPrefix: string): Promise<Attempt> {
  const id = crypto.randomUUID();
  const attempt = { queryId: `${queryIdPrefix}${id}`, session: { id: `insider-fence-${id}`, check: true, timeoutSeconds: FENCE_SESSION_SECONDS } };
  await ch.exec(sql`SELECT 1`, { session: { id: attempt.session.id, timeoutSeconds: FENCE_SESSION_SECONDS } });
  return attempt;
}

/**
 * Opens a write's fence, then proves ownership: in this order, so that a writer paused after its proof
 * finds the fence closed when it resumes, and writes nothing. Every fenced write begins here.
 */
export async function openFence(ch: ClickHouse, queryIdPrefix: string, confirm: () => Promise<void>): Promise<Attempt> {
  const attempt = await openAttempt(ch, queryIdPrefix);
  await confirm();
  return attempt;
}

/**
 * Resolves once the attempt can neither be running nor start any more: its session is gone. A probe
 * (session_check=1) that finds the session renews it, so probes are spaced by the session's life. An
 * attempt still running after `killAfterMs` (its writer paused mid-request) is killed.
 */
export async function fenceAttempt(ch: ClickHouse, attempt: Attempt, opts: RepairContext): Promise<void> {
  const wait = (attempt.wait ??= { since: Date.now() });
  for (;;) {
    await sleep(opts.expiryMs ?? FENCE_EXPIRY_MS);
    try {
      await ch.exec(sql`SELECT 1`, { session: attempt.session });
    } catch (err) {
      const code = serverCode(err);
      if (code === SESSION_NOT_FOUND) return;
      if (code !== SESSION_IS_LOCKED) throw err;
      // Locked: the attempt is running on the server.
      if (!wait.stalled && Date.now() - wait.since > opts.killAfterMs) {
        opts.log.warn({ queryId: attempt.queryId }, 'an insert whose answer was lost still runs after the session timeout; killing it');
        const what = (await killed(ch, sql`query_id = ${attempt.queryId}`, opts.log)) ? 'still holds its session after it was killed' : 'cannot be killed';
        wait.stalled = stallWatch(opts.log, `an insert whose answer was lost ${what}; waiting for it to end before anything is written`, opts.stall);
      } else {
        await wait.stalled?.(async () => ({ queryId: attempt.queryId }));
      }
    }
  }
}

/**
 * Waits until no query matching `where` (on system.processes) runs on the node: a previous owner's write
 * may still be running (its writer paused, or slow). One still running after `killAfterMs` of this wait
 * (a writer paused mid-request) is killed; one that stays after that, or that the server cannot kill, is
 * reported (stall watch). `what` names the writes in the log. (A wait tried again starts its clock over:
 * the server's `elapsed` would not, but it counts a slow commit too, which a kill may cut in half.)
 */
export async function waitForWrites(ch: ClickHouse, where: SqlFragment, opts: RepairContext & { what: string; details?: object }): Promise<void> {
  const started = Date.now();
  let stalled: StallWatch | undefined;
  for (;;) {
    const [r] = await ch.query<{ n: string }>(sql`SELECT count() AS n FROM system.processes WHERE ${where}`);
    if (Number(r?.n ?? 0) === 0) return;
    if (stalled) {
      await stalled(async () => ({
        ...opts.details,
        queries: await ch.query(sql`SELECT query_id, elapsed, substring(query, 1, 120) AS query FROM system.processes WHERE ${where}`),
      }));
    } else if (Date.now() - started > opts.killAfterMs) {
      opts.log.warn({ ...opts.details }, `${opts.what} is still running after the session timeout (a paused writer?); killing it`);
      // A killed query leaves at its next check; one that stays, or cannot be killed, is reported.
      const what = (await killed(ch, where, opts.log)) ? 'still runs on ClickHouse after it was killed' : 'cannot be killed and still runs on ClickHouse';
      stalled = stallWatch(opts.log, `${opts.what} ${what}; waiting for it to end before anything is written`, opts.stall);
    }
    await sleep(200);
  }
}

/**
 * Asks the server to kill the queries matching `where`. False when it cannot: ClickHouse 18.16 refuses to
 * kill an INSERT that sends data (CANNOT_KILL, "it consists of unkillable stages"); the caller waits for
 * it to end, as it must before anything is written (an error here stopped the writer instead). With
 * several matching, some may have been killed before the refusal; either way the caller waits for all.
 */
async function killed(ch: ClickHouse, where: SqlFragment, log: Logger): Promise<boolean> {
  try {
    await ch.exec(sql`KILL QUERY WHERE ${where} ASYNC`);
    return true;
  } catch (err) {
    if (serverCode(err) !== SERVER_CODES.CANNOT_KILL) throw err;
    log.warn({ err: (err as Error).message }, 'ClickHouse cannot kill it; waiting for it to end');
    return false;
  }
}
