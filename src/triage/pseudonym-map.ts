// Pseudonym -> employee in constant time: a stored, indexed mapping (table `pseudonyms`, migration 0015),
// written once per employee under the current key, so that a filter by pseudonym or a reveal is one
// indexed read rather than the keyed hash of everyone known.
//
//   sync      maps every employee of the current directory and every employee with an alert who is not
//             mapped yet under this key (an anti-join in ClickHouse, then HMACs for the new ones only);
//             the API runs it at start and when the change feed sees a new directory or new alerts.
//   usersOf   one indexed read; a miss syncs once (an alert or a directory load newer than the last
//             sync) and reads again, so a lookup is never wrong for want of a sync. "Newer" is what the
//             change feed reported, or a cheap watermark (the listing's employees, the directory's
//             version) that moved since the last sync began: the feed may not have polled yet. Otherwise
//             misses sync at most once per `missSyncMs`, so guessed pseudonyms cannot make it work.
import { sql, toDateTime, type ClickHouse } from '../store';
import type { Pseudonyms } from './pseudonyms';

export interface PseudonymMap {
  /** The employee ids behind a pseudonym (more than one only on a collision of the 40-bit pseudonyms). */
  usersOf(pseudonym: string): Promise<string[]>;
  /** Maps the employees not mapped yet; returns how many were added. */
  sync(): Promise<number>;
  /** Something new may need mapping (a directory load, new alerts): the next miss syncs. */
  changed(): void;
}

const BATCH = 10_000;

export function createPseudonymMap(ch: ClickHouse, pseudonyms: Pseudonyms, opts: { now?: () => number; missSyncMs?: number } = {}): PseudonymMap {
  const now = opts.now ?? Date.now;
  const missSyncMs = opts.missSyncMs ?? 5_000;
  const key = pseudonyms.keyId;
  let syncing: Promise<number> | null = null;
  let lastSync = -Infinity;
  let dirty = true;
  /** The watermark read as the last sync began: anything stored since moves it. */
  let synced = '';

  // Cheap (one column of the listing, the directory's versions): an employee's first alert adds a user,
  // a directory load adds a version. Not a row count, which the listing's merges lower by themselves.
  // Retention dropping one person's alerts as another's first arrives leaves it unmoved: the feed or
  // missSyncMs catches that.
  const watermark = async () => {
    const [row] = await ch.query<Record<string, string>>(sql`
      SELECT (SELECT uniqExact(user) FROM alert_listing) AS users, (SELECT max(version) FROM directory_versions) AS directory`);
    return JSON.stringify(row);
  };

  // GROUP BY, not DISTINCT, over the UNION ALL: 18.16 applies an outer DISTINCT to each branch's stream
  // separately and returns an employee in both the directory and an alert twice.
  const sync = () => {
    syncing ??= (async () => {
      dirty = false;
      lastSync = now();
      synced = await watermark();
      const rows = await ch.query<{ user: string }>(sql`
        SELECT user FROM (
          SELECT id AS user FROM directory_entries WHERE version = (SELECT max(version) FROM directory_versions)
          UNION ALL
          SELECT DISTINCT user FROM alert_listing
        )
        WHERE user NOT IN (SELECT user FROM pseudonyms WHERE key_id = ${key})
        GROUP BY user`);
      for (let i = 0; i < rows.length; i += BATCH) {
        const at = toDateTime(now());
        await ch.insert('pseudonyms', rows.slice(i, i + BATCH).map((r) => ({ key_id: key, pseudonym: pseudonyms.of(r.user), user: r.user, at })));
      }
      return rows.length;
    })().finally(() => (syncing = null));
    return syncing;
  };

  const read = async (pseudonym: string) =>
    (await ch.query<{ user: string }>(sql`SELECT DISTINCT user FROM pseudonyms WHERE key_id = ${key} AND pseudonym = ${pseudonym} ORDER BY user`)).map((r) => r.user);

  return {
    async usersOf(pseudonym) {
      if (!pseudonyms.enabled) return [pseudonym];
      const found = await read(pseudonym);
      if (found.length > 0) return found;
      // A sync under way may be mapping this very employee: wait for it rather than answer "unknown".
      if (syncing) await syncing;
      // That sync, or the last one, may have read the employees before this one's alert was stored.
      if (dirty || now() - lastSync >= missSyncMs || (await watermark()) !== synced) await sync();
      // A sync begun while this lookup decided (its watermark, dirty and lastSync already set, its rows not
      // yet stored) made the decision "no sync needed": wait for its rows too.
      else if (syncing) await syncing;
      // Read again in every case: a sync may also have finished between the first read and here.
      return read(pseudonym);
    },
    sync: () => (pseudonyms.enabled ? sync() : Promise.resolve(0)),
    changed() {
      dirty = true;
    },
  };
}
