// Token -> principal, remembered for a short while so that a request does not cost two ClickHouse reads
// before its own work. Only tokens that were let in are kept (by their SHA-256, never the token), each
// until the earliest of: tokenCacheMs after the check, the token's expiry, or any change to users or
// tokens. A change is seen at once in this process (routes that change access call changed() before they
// answer) and within one change-feed poll in every other process (the feed sees the account tables grow).
// While the feed is not fresh (ClickHouse unreachable, the poll failing), nothing is taken from the cache.
import { LRUCache } from 'lru-cache';
import { checkToken, hashToken, type Principal, type TokenCheck } from '../triage';
import type { ClickHouse } from '../store';

export interface PrincipalCache {
  check(token: string): Promise<TokenCheck>;
  /** Users or tokens changed: nothing cached is trusted any more. */
  changed(): void;
  size(): number;
}

interface Held {
  principal: Principal;
  expiresAt: number;
  checkedAt: number;
  generation: number;
}

export function createPrincipalCache(opts: {
  ch: ClickHouse;
  bootstrapToken?: string;
  now: () => number;
  ttlMs: number;
  trusted: () => boolean;
  max?: number;
  /** Counts hits and misses. */
  counted?: (result: 'hit' | 'miss') => void;
}): PrincipalCache {
  const held = new LRUCache<string, Held>({ max: opts.max ?? 10_000 });
  // A check that started before a change must not put its (possibly outdated) answer in the cache after it.
  let generation = 0;
  return {
    async check(token) {
      const now = opts.now();
      const key = hashToken(token);
      const h = opts.ttlMs > 0 ? held.get(key) : undefined;
      if (h && h.generation === generation && opts.trusted() && now - h.checkedAt < opts.ttlMs && h.expiresAt > now) {
        opts.counted?.('hit');
        return { ok: true, principal: h.principal, expiresAt: h.expiresAt };
      }
      opts.counted?.('miss');
      const started = generation;
      const checked = await checkToken(opts.ch, token, opts.bootstrapToken, now);
      // Nothing is kept while the feed cannot say when to drop it.
      if (checked.ok && opts.ttlMs > 0 && started === generation && opts.trusted()) held.set(key, { principal: checked.principal, expiresAt: checked.expiresAt, checkedAt: now, generation });
      else held.delete(key);
      return checked;
    },
    changed() {
      generation++;
      held.clear();
    },
    size: () => held.size,
  };
}
