// Privacy by default: an employee appears as a stable pseudonym ("emp-3fa9c2d1e0") derived with HMAC-SHA256
// from their id and a secret key (INSIDER_PSEUDONYM_KEY), so the same person has the same pseudonym in every
// alert and report, and nobody can compute it without the key. Revealing one is an audited action.
import crypto from 'node:crypto';
import { ConfigError } from '../errors';

export interface Pseudonyms {
  enabled: boolean;
  /** A fingerprint of the key (HMAC of a fixed text): the stored mapping is per key (pseudonym-map.ts); '' when off. */
  keyId: string;
  /** The pseudonym of a user id (the id itself when pseudonymisation is off). */
  of(user: string): string;
  /** The user id behind a pseudonym, among `candidates` (ids the caller knows of), or null. */
  reveal(pseudonym: string, candidates: Iterable<string>): string | null;
}

export const PSEUDONYM = /^emp-[0-9a-f]{10}$/;

export function createPseudonyms(opts: { enabled: boolean; key: string | undefined }): Pseudonyms {
  if (!opts.enabled) return { enabled: false, keyId: '', of: (u) => u, reveal: (p, candidates) => ([...candidates].includes(p) ? p : null) };
  if (!opts.key || opts.key.length < 16) {
    throw new ConfigError('api.pseudonymize is on: set INSIDER_PSEUDONYM_KEY to a secret of at least 16 characters (or turn pseudonymisation off with INSIDER_PSEUDONYMIZE=false)');
  }
  const key = opts.key;
  const cache = new Map<string, string>();
  const of = (user: string) => {
    let p = cache.get(user);
    if (!p) {
      p = `emp-${crypto.createHmac('sha256', key).update(user, 'utf8').digest('hex').slice(0, 10)}`;
      if (cache.size > 100_000) cache.clear();
      cache.set(user, p);
    }
    return p;
  };
  return {
    enabled: true,
    keyId: crypto.createHmac('sha256', key).update('insider-detector pseudonym key id', 'utf8').digest('hex').slice(0, 16),
    of,
    reveal(pseudonym, candidates) {
      for (const u of candidates) if (of(u) === pseudonym) return u;
      return null;
    },
  };
}
