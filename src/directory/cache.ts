// The current directory, read once per version: a request asks only which version is current (nothing at
// all when a fresh change feed already says, src/api/change-feed.ts) and reads the entries again only when
// a load made a new one. Indexed by id and by department for the pages that need a person or their peers.
import type { ClickHouse } from '../store';
import { sql } from '../store';
import type { DirectoryEntry } from './parse';
import { currentDirectory } from './store';

export interface DirectoryIndex {
  /** The version in force (null: no directory loaded). */
  version: number | null;
  entries: ReadonlyArray<DirectoryEntry>;
  byId: ReadonlyMap<string, DirectoryEntry>;
  byDepartment: ReadonlyMap<string, ReadonlyArray<DirectoryEntry>>;
}

export interface DirectoryCache {
  current(): Promise<DirectoryIndex>;
  /** Drops what is held: the next call reads the version again. */
  invalidate(): void;
}

export function indexDirectory(version: number | null, entries: ReadonlyArray<DirectoryEntry>): DirectoryIndex {
  const byDepartment = new Map<string, DirectoryEntry[]>();
  for (const e of entries) {
    const list = byDepartment.get(e.department);
    if (list) list.push(e);
    else byDepartment.set(e.department, [e]);
  }
  return { version, entries, byId: new Map(entries.map((e) => [e.id, e])), byDepartment };
}

/** The version now in force, as the latest row of directory_versions says (null: none). */
export async function latestDirectoryVersion(ch: ClickHouse): Promise<number | null> {
  const [row] = await ch.query<{ v: string; n: string }>(sql`SELECT max(version) AS v, count() AS n FROM directory_versions`);
  return row && Number(row.n) > 0 ? Number(row.v) : null;
}

/**
 * `knownVersion`: the version in force as someone who watches it says (undefined: not known now, ask
 * ClickHouse). The entries are read when that version differs from the one held, once for concurrent callers.
 */
export function createDirectoryCache(ch: ClickHouse, opts: { knownVersion?: () => number | null | undefined } = {}): DirectoryCache {
  let held: DirectoryIndex | null = null;
  let loading: Promise<DirectoryIndex> | null = null;
  const load = () => {
    loading ??= currentDirectory(ch)
      .then((d) => (held = indexDirectory(d.version?.version ?? null, d.entries)))
      .finally(() => (loading = null));
    return loading;
  };
  return {
    async current() {
      const known = opts.knownVersion?.();
      const version = known === undefined ? await latestDirectoryVersion(ch) : known;
      // Versions only grow: one newer than the watcher last saw is as good.
      if (held && (held.version === version || (held.version !== null && version !== null && held.version > version))) return held;
      return load();
    },
    invalidate() {
      held = null;
    },
  };
}
