// What changed in ClickHouse, looked for once per API process every `pollMs` (not once per open tab): the
// one place the process learns about writes made elsewhere (the detector, the CLI, other API processes).
//
//   accounts   api_tokens and api_user_changes only grow (a revocation, a disable, a role change is a
//              new row): a different row count means the token cache must be dropped and open streams
//              checked again
//   directory  the latest directory version
//   alerts     listing rows written in the last LOOKBACK seconds by the server's clock (every revision
//              write and every action writes one, src/alerts/listing.ts); an alert whose version grew is
//              a change. The look-back covers writes that took a while to land and polls that failed;
//              successful looks further apart than half of it emit `gap` (anything may have changed).
//
// `fresh()` says whether the last poll is recent enough to trust what it saw: caches use it to decide
// whether they may answer without asking ClickHouse (docs/api.md, "Caches").
import { EventEmitter } from 'node:events';
import type { Logger } from '../log';
import { sql, type ClickHouse } from '../store';

export interface AccountsSnapshot {
  tokens: number;
  userChanges: number;
}

export interface AlertChange {
  alertId: string;
  version: number;
}

export interface ChangeFeed {
  /** The latest directory version while the feed is fresh (null: none loaded); undefined when it is not. */
  directoryVersion(): number | null | undefined;
  /** True while the last successful poll is recent (within staleAfterMs). */
  fresh(): boolean;
  /** Counts of the account tables as last seen (for tests and metrics). */
  accounts(): AccountsSnapshot | null;
  onAccounts(fn: () => void): void;
  onDirectory(fn: (version: number | null) => void): void;
  onAlerts(fn: (changes: AlertChange[]) => void): void;
  /** The feed could not look for longer than its look-back: changes may have been missed, anything may have changed. */
  onGap(fn: () => void): void;
  /** Looks now, or right after the look under way (and waits for it): what was written before the call is seen. Also what the timer calls. */
  poll(): Promise<void>;
  close(): void;
}

/** Seconds of listing rows looked at on each poll. */
const LOOKBACK_SECONDS = 30;
/** Successful looks further apart than this may have missed listing rows (half the look-back: rows land late). */
const GAP_MS = (LOOKBACK_SECONDS / 2) * 1000;

export function createChangeFeed(ch: ClickHouse, opts: { pollMs: number; log: Logger; now?: () => number; start?: boolean }): ChangeFeed {
  const now = opts.now ?? Date.now;
  const events = new EventEmitter();
  events.setMaxListeners(0);
  let lastOk = -Infinity;
  // When the last successful look began: the start of the window it covered up to.
  let lastOkStart = -Infinity;
  let accounts: AccountsSnapshot | null = null;
  let directory: number | null | undefined;
  let first = true;
  // Versions of the alerts seen in the look-back window.
  let seen = new Map<string, number>();
  let running: Promise<void> | null = null;
  let failures = 0;

  const look = async () => {
    const startedAt = now();
    const [counts, recent] = await Promise.all([
      ch.query<{ tokens: string; users: string; dir: string; dirs: string }>(sql`
        SELECT (SELECT count() FROM api_tokens) AS tokens, (SELECT count() FROM api_user_changes) AS users,
               (SELECT max(version) FROM directory_versions) AS dir, (SELECT count() FROM directory_versions) AS dirs`),
      ch.query<{ alert_id: string; v: string }>(sql`
        SELECT alert_id, max(version) AS v FROM alert_listing WHERE written_at >= now() - ${LOOKBACK_SECONDS} GROUP BY alert_id`),
    ]);
    const c = counts[0];
    const nextAccounts = { tokens: Number(c.tokens), userChanges: Number(c.users) };
    const nextDirectory = Number(c.dirs) > 0 ? Number(c.dir) : null;
    const changed: AlertChange[] = [];
    const nextSeen = new Map<string, number>();
    for (const r of recent) {
      const v = Number(r.v);
      nextSeen.set(r.alert_id, Math.max(v, seen.get(r.alert_id) ?? 0));
      if (!first && v > (seen.get(r.alert_id) ?? 0)) changed.push({ alertId: r.alert_id, version: v });
    }
    const accountsChanged = !first && accounts !== null && (accounts.tokens !== nextAccounts.tokens || accounts.userChanges !== nextAccounts.userChanges);
    const directoryChanged = !first && directory !== nextDirectory;
    const gap = !first && startedAt - lastOkStart > GAP_MS;
    seen = nextSeen;
    accounts = nextAccounts;
    directory = nextDirectory;
    first = false;
    lastOk = now();
    lastOkStart = startedAt;
    // Before anything is answered from what was held: rows written during the gap are past the look-back.
    if (gap) events.emit('gap');
    if (accountsChanged) events.emit('accounts');
    if (directoryChanged) events.emit('directory', nextDirectory);
    if (changed.length > 0) events.emit('alerts', changed);
  };

  // A look already running when poll() is called may have read before the write the caller waits for:
  // the caller gets the next look, which begins after the running one ends (callers meanwhile share it).
  let queued: Promise<void> | null = null;
  const poll = (): Promise<void> => {
    if (running) {
      queued ??= running.then(() => {
        queued = null;
        return poll();
      });
      return queued;
    }
    running = look()
      .then(
        () => {
          if (failures > 0) opts.log.info({ failures }, 'change feed: ClickHouse answers again');
          failures = 0;
        },
        (err: unknown) => {
          // Caches stop trusting the feed once it is stale (fresh()); requests then ask ClickHouse.
          if (failures++ === 0) opts.log.warn({ err: (err as Error).message }, 'change feed: poll failed; retrying');
        },
      )
      .finally(() => (running = null));
    return running;
  };

  const timer = opts.start === false ? null : setInterval(() => void poll(), opts.pollMs);
  timer?.unref();
  const staleAfterMs = Math.max(3 * opts.pollMs, 2000);

  return {
    directoryVersion: () => (now() - lastOk <= staleAfterMs ? directory : undefined),
    fresh: () => now() - lastOk <= staleAfterMs,
    accounts: () => accounts,
    onAccounts: (fn) => void events.on('accounts', fn),
    onDirectory: (fn) => void events.on('directory', fn),
    onAlerts: (fn) => void events.on('alerts', fn),
    onGap: (fn) => void events.on('gap', fn),
    poll,
    close() {
      if (timer) clearInterval(timer);
      events.removeAllListeners();
    },
  };
}
