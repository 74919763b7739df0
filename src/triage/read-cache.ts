// What the alert page and the queue read, held in the API process between the writes that change it, so
// that twenty dashboards opening alerts and refreshing the queue cost ClickHouse a read per change, not
// one per request. Whoever holds the cache says what changed (the API's change feed, src/api/live.ts:
// the alerts whose listing version grew, a new directory; this process's own writes) and whether it
// still knows (`trusted`: while the feed is fresh); while it does not, nothing is taken from the cache.
//
// An entry names the alerts it was read from (`about`); a change to one of them drops it, and `'any'`
// entries (a queue page: any alert may enter or leave it) go with every change. A read that began before
// a change is not kept after it (it may hold what the change replaced). Entries also end after their
// ttl; an entry may be answered up to `staleMs` past it while one read replaces it (a queue page: only
// the passing of time, such as a snooze ending, is then seen that much later). Reads of the same key at the same moment share one answer, cached or not. Nothing of this is a
// view: the audit entries are written by the callers, per request, as before.
import { LRUCache } from 'lru-cache';

export interface ReadCache {
  /**
   * The value held for `key` if still valid, else `load()`'s (kept for `ttlMs` unless a change came
   * while it ran, or `keep` says no).
   */
  get<V>(key: string, about: ReadonlyArray<string> | 'any', ttlMs: number, load: () => Promise<V>, keep?: (v: V) => boolean, opts?: { staleMs?: number }): Promise<V>;
  /** These alerts changed (or, with 'all', anything may have): their entries and every 'any' entry go. */
  changed(alertIds: ReadonlyArray<string> | 'all'): void;
  size(): number;
}

interface Held {
  value: unknown;
  about: ReadonlyArray<string> | 'any';
  /** Until when it is answered as it is; after that (up to staleMs more) while a read replaces it. */
  freshUntil: number;
}

export function createReadCache(opts: { trusted: () => boolean; max?: number; now?: () => number }): ReadCache {
  const now = opts.now ?? Date.now;
  // Keys of the entries about each alert, and of the 'any' entries, to drop them on a change.
  const byAlert = new Map<string, Set<string>>();
  const anyKeys = new Set<string>();
  const held = new LRUCache<string, Held>({
    max: opts.max ?? 2000,
    // Expired entries go on time, not only when the cache is full.
    ttlAutopurge: true,
    // However an entry goes (dropped, replaced, evicted, expired), its key leaves the indexes.
    dispose: (h, key) => {
      if (h.about === 'any') anyKeys.delete(key);
      else
        for (const id of h.about) {
          const keys = byAlert.get(id);
          keys?.delete(key);
          if (keys?.size === 0) byAlert.delete(id);
        }
    },
  });
  const inFlight = new Map<string, Promise<unknown>>();
  // Grows with every change: a read that began before one is neither kept nor shared after it.
  let generation = 0;

  /** One read of `key`, shared by the callers of the same generation; kept when nothing changed meanwhile. */
  const read = <V>(key: string, about: ReadonlyArray<string> | 'any', ttlMs: number, staleMs: number, load: () => Promise<V>, keep: (v: V) => boolean, trusted: boolean): Promise<V> => {
    const startedAt = generation;
    const flight = `${startedAt}|${key}`;
    const running = inFlight.get(flight);
    if (running) return running as Promise<V>;
    const p = load()
      .then((value) => {
        if (trusted && opts.trusted() && generation === startedAt && keep(value)) {
          held.set(key, { value, about, freshUntil: now() + ttlMs }, { ttl: ttlMs + staleMs });
          if (about === 'any') anyKeys.add(key);
          else
            for (const id of about) {
              if (!byAlert.has(id)) byAlert.set(id, new Set());
              byAlert.get(id)!.add(key);
            }
        }
        return value;
      })
      .finally(() => inFlight.delete(flight));
    inFlight.set(flight, p);
    return p;
  };

  return {
    get<V>(key: string, about: ReadonlyArray<string> | 'any', ttlMs: number, load: () => Promise<V>, keep: (v: V) => boolean = () => true, o: { staleMs?: number } = {}): Promise<V> {
      const trusted = opts.trusted();
      const staleMs = o.staleMs ?? 0;
      const h = trusted ? held.get(key) : undefined;
      if (!h) return read(key, about, ttlMs, staleMs, load, keep, trusted);
      // Past its time but within staleMs, with no change heard of since it was read: answered while one
      // read (shared) replaces it.
      if (now() >= h.freshUntil) void read(key, about, ttlMs, staleMs, load, keep, trusted).catch(() => undefined);
      return Promise.resolve(h.value as V);
    },
    changed(alertIds) {
      generation++;
      if (alertIds === 'all') {
        held.clear();
        return;
      }
      for (const key of [...anyKeys]) held.delete(key);
      for (const id of alertIds) for (const key of [...(byAlert.get(id) ?? [])]) held.delete(key);
    },
    size: () => held.size,
  };
}
