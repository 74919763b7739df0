// Live updates and the caches of one API process, driven by its change feed (change-feed.ts):
//
//   change feed --alerts--> summaries of the changed alerts (as lists show them, no evidence) -> every open
//               stream (GET /api/stream; one alert's stream gets that alert only)
//               --accounts--> token cache dropped; every open stream's token checked again: a revoked or
//               expired token, or a disabled user, ends the stream with an `end` event saying why
//               --directory / alerts--> the directory cache sees the new version; the pseudonym mapping
//               learns new employees
//   a route that changes access (revoke, disable, role, sign-out) calls accessChanged() before it answers,
//   so this process acts at once; the others within one poll.
//   repair: alerts whose listing row fell behind are looked for at start and every repairSeconds.
import type { Config } from '../config';
import { repairListing } from '../alerts';
import { createDirectoryCache } from '../directory';
import type { Logger } from '../log';
import type { ClickHouse } from '../store';
import { createPseudonymMap, createReadCache, summariesOf, type Pseudonyms, type TriageDeps } from '../triage';
import { createChangeFeed, type AlertChange, type ChangeFeed } from './change-feed';
import { createPrincipalCache, type PrincipalCache } from './principal-cache';
import { streamsGauge, tokenCacheCounter } from './metrics';
import { presentAlertSummary } from './present';
import type { Registry } from '../telemetry';

export interface LiveStream {
  /** Names the credential (its hash or session id): streams of one credential are checked once. */
  credential: string;
  /** Checks the credential the stream was opened with again (a token, or a dashboard session). */
  recheck(): Promise<{ ok: boolean; reason?: string }>;
  expiresAt: number;
  /** Only this alert's changes (the alert page), or every change (the queue). */
  alertId?: string;
  send(event: string, data: unknown): void;
  /** Sends `end` with the reason, then closes; the client should not reconnect with the same token. */
  end(reason: string, message: string): void;
  /** Bytes waiting to be written to the client (a reader that stopped reading is ended). */
  backlog(): number;
  comment(text: string): void;
}

export interface Live {
  feed: ChangeFeed;
  principals: PrincipalCache;
  triage: TriageDeps;
  /** Registers an open stream; the returned function unregisters it. */
  add(stream: LiveStream): () => void;
  streams(): number;
  /** Users or tokens changed: drop cached principals and end the streams whose token is no longer good. */
  accessChanged(): Promise<void>;
  close(): Promise<void>;
}

/** A stream whose client has this much unread is ended (it reconnects and reloads when it reads again). */
const MAX_BACKLOG = 1 << 20;

export function createLive(opts: { config: Readonly<Config>; ch: ClickHouse; log: Logger; now: () => number; pseudonyms: Pseudonyms; registry: Registry; start?: boolean }): Live {
  const { config, ch, log, now } = opts;
  const settings = config.api.live;
  const feed = createChangeFeed(ch, { pollMs: settings.pollMs, log, now, start: opts.start });
  const cacheCounter = tokenCacheCounter(opts.registry);
  const principals = createPrincipalCache({
    ch,
    bootstrapToken: config.api.adminToken || undefined,
    now,
    ttlMs: settings.tokenCacheMs,
    trusted: feed.fresh,
    counted: (result) => cacheCounter.inc({ result }),
  });
  const directory = createDirectoryCache(ch, { knownVersion: feed.directoryVersion });
  const pseudonymMap = createPseudonymMap(ch, opts.pseudonyms, { now });
  // The alert page's and the queue's reads, held while the feed is fresh and dropped by what it sees change.
  const reads = createReadCache({ trusted: feed.fresh });
  const triage: TriageDeps = { ch, pseudonyms: opts.pseudonyms, now, directory, pseudonymMap, reads };
  const open = new Set<LiveStream>();
  streamsGauge(opts.registry, () => open.size);
  const pending = new Set<Promise<unknown>>();
  let closed = false;

  const background = (what: string, p: Promise<unknown>) => {
    const tracked = p.then(
      (r) => r,
      (err: unknown) => {
        if (!closed) log.warn({ err: (err as Error).message }, `${what} failed`);
      },
    );
    pending.add(tracked);
    void tracked.finally(() => pending.delete(tracked));
  };

  // New employees (a directory load, a first alert) get their pseudonym mapping; at most one sync at a time.
  let syncQueued = false;
  const syncPseudonyms = () => {
    pseudonymMap.changed();
    if (!opts.pseudonyms.enabled || syncQueued) return;
    syncQueued = true;
    background(
      'pseudonym sync',
      pseudonymMap.sync().finally(() => (syncQueued = false)),
    );
  };

  const broadcast = async (changes: AlertChange[]) => {
    if (open.size === 0) return;
    const items = (await summariesOf(triage, changes.map((c) => c.alertId), now())).map(presentAlertSummary);
    if (items.length === 0) return;
    for (const s of open) {
      const mine = s.alertId === undefined ? items : items.filter((a) => a.alertId === s.alertId);
      if (mine.length > 0) s.send('alerts', { items: mine, at: new Date(now()).toISOString() });
    }
  };

  const accessChanged = async () => {
    principals.changed();
    const checks = new Map<string, Promise<{ ok: boolean; reason?: string }>>();
    await Promise.all(
      [...open].map(async (s) => {
        let c = checks.get(s.credential);
        if (!c) checks.set(s.credential, (c = s.recheck()));
        const r = await c.catch(() => null);
        // ClickHouse did not answer: the stream stays until the next change or heartbeat decides.
        if (r && !r.ok) s.end(r.reason ?? 'unknown', `the credential can no longer be used (${r.reason ?? 'unknown'})`);
      }),
    );
  };

  feed.onAccounts(() => background('checking open streams', accessChanged()));
  feed.onDirectory(() => {
    reads.changed('all');
    syncPseudonyms();
  });
  // Changes made while the feed could not look are past its look-back: nothing held before may be answered.
  feed.onGap(() => reads.changed('all'));
  feed.onAlerts((changes) => {
    // Before the push goes out: a dashboard that reloads on it reads the change, not what was held.
    reads.changed(changes.map((c) => c.alertId));
    syncPseudonyms();
    background('pushing alert changes', broadcast(changes));
  });

  // Heartbeats keep proxies from closing quiet streams; a token that expired ends its stream.
  const heartbeat = setInterval(() => {
    const t = now();
    for (const s of open) {
      if (s.expiresAt <= t) s.end('expired', 'the token expired');
      else if (s.backlog() > MAX_BACKLOG) s.end('slow', 'the client is not reading');
      else s.comment('heartbeat');
    }
  }, settings.heartbeatMs);
  heartbeat.unref();

  // What this process can do before the first request: a first look, the mapping, the listing's repair.
  if (opts.start !== false) {
    background('change feed', feed.poll());
    syncPseudonyms();
    background(
      'listing repair',
      repairListing(ch).then((n) => n > 0 && log.info({ alerts: n }, 'listing rows rewritten for alerts that were behind')),
    );
  }
  const repair =
    opts.start === false || settings.repairSeconds === 0
      ? null
      : setInterval(() => background('listing repair', repairListing(ch, { recentSeconds: 2 * settings.repairSeconds + 60 })), settings.repairSeconds * 1000);
  repair?.unref();

  return {
    feed,
    principals,
    triage,
    add(stream) {
      open.add(stream);
      return () => void open.delete(stream);
    },
    streams: () => open.size,
    accessChanged,
    async close() {
      closed = true;
      clearInterval(heartbeat);
      if (repair) clearInterval(repair);
      feed.close();
      for (const s of open) s.end('shutdown', 'the server is stopping; reconnect in a moment');
      open.clear();
      await Promise.allSettled([...pending]);
    },
  };
}
