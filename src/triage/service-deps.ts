// What every part of the triage service shares: its dependencies (with the caches made once per deps
// object), the directory, how an id or a pseudonym names an employee, and how an action is audited.
import { createDirectoryCache, type DirectoryCache, type DirectoryIndex } from '../directory';
import { sql, type ClickHouse } from '../store';
import { audit, entryOf, type Actor } from './audit';
import { createPseudonymMap, type PseudonymMap } from './pseudonym-map';
import { createReadCache, type ReadCache } from './read-cache';
import type { Pseudonyms } from './pseudonyms';
import { createPeerBytesCache, type PeerBytesCache } from './volume';

export interface TriageDeps {
  ch: ClickHouse;
  pseudonyms: Pseudonyms;
  now?: () => number;
  /** The directory by version (default: one per deps object, asking ClickHouse for the version on each use). */
  directory?: DirectoryCache;
  /** Pseudonym -> employee ids (default: one per deps object). */
  pseudonymMap?: PseudonymMap;
  /** Peer groups' daily volume, shared briefly by their members' charts (default: one per deps object). */
  peerBytes?: PeerBytesCache;
  /**
   * What the alert page and the queue read, held between changes (read-cache.ts). Default: one per deps
   * object that holds nothing (nobody tells it of changes made elsewhere) and only shares reads in flight.
   */
  reads?: ReadCache;
}


// Defaults made once per deps object, so that callers that build `{ ch, pseudonyms }` get the caches too.
type Parts = { directory: DirectoryCache; pseudonymMap: PseudonymMap; peerBytes: PeerBytesCache; reads: ReadCache };
const defaults = new WeakMap<TriageDeps, Parts>();
export function parts(deps: TriageDeps): Parts {
  if (deps.directory && deps.pseudonymMap && deps.peerBytes && deps.reads) return { directory: deps.directory, pseudonymMap: deps.pseudonymMap, peerBytes: deps.peerBytes, reads: deps.reads };
  let d = defaults.get(deps);
  if (!d) {
    d = {
      directory: createDirectoryCache(deps.ch),
      pseudonymMap: createPseudonymMap(deps.ch, deps.pseudonyms, { now: deps.now }),
      peerBytes: createPeerBytesCache(),
      reads: createReadCache({ trusted: () => false }),
    };
    defaults.set(deps, d);
  }
  return { directory: deps.directory ?? d.directory, pseudonymMap: deps.pseudonymMap ?? d.pseudonymMap, peerBytes: deps.peerBytes ?? d.peerBytes, reads: deps.reads ?? d.reads };
}

/** The current directory, indexed (read again only when a load made a new version). */
export function directoryOf(deps: TriageDeps): Promise<DirectoryIndex> {
  return parts(deps).directory.current();
}

/** The employee ids behind `user` (an id, or a pseudonym when pseudonymisation is on); [] when unknown. */
export async function resolveUsers(deps: TriageDeps, user: string): Promise<string[]> {
  return parts(deps).pseudonymMap.usersOf(user);
}

/** One id, for what names one employee (a reveal, a suppression, an employee page), or null. */
export async function resolveUser(deps: TriageDeps, user: string): Promise<string | null> {
  if (!deps.pseudonyms.enabled) {
    // Without pseudonyms the id is typed as it is: known when the directory or an alert has it.
    if ((await directoryOf(deps)).byId.has(user)) return user;
    const [row] = await deps.ch.query<{ n: string }>(sql`SELECT count() AS n FROM alert_listing WHERE user = ${user}`);
    return Number(row?.n ?? 0) > 0 ? user : null;
  }
  return (await resolveUsers(deps, user))[0] ?? null;
}

/** Writes `actor`'s action to the audit trail; resolves once it is stored (nothing is answered that is not in the trail). */
export function auditAs(deps: TriageDeps, actor: Actor, now: number, action: string, target: string, details: Record<string, unknown> = {}): Promise<void> {
  return audit(deps.ch, entryOf(actor, now, action, target, details));
}
