// The directory in ClickHouse, versioned (migration 0002-directory.sql). A load writes all entries under
// a new version, then the version row: a load that fails halfway leaves rows that no version points to,
// never a half-current directory. Reloading replaces "current" and keeps every earlier version.
import { ClickHouseError, InternalError } from '../errors';
import { sql, type ClickHouse } from '../store';
import type { DirectoryEntry } from './parse';

export interface DirectoryVersion {
  /** Load time in ms since the epoch; unique and increasing. */
  version: number;
  loadedAt: Date;
  source: string;
  entries: number;
  checksum: string;
}

export interface DirectorySnapshot {
  /** null when no directory had been loaded (at that time). */
  version: DirectoryVersion | null;
  entries: DirectoryEntry[];
}

export interface StoreResult {
  version: DirectoryVersion;
  /** false when the entries were identical to the current version's (same checksum) and nothing was written. */
  stored: boolean;
}

const ENTRY_COLUMNS = sql`id, name, department, role, manager, location, timezone, hire_date, notice_date, end_date, toString(account_type) AS account_type`;

/**
 * Stores `entries` as a new version. Unless `force`, a directory identical to the current one (same
 * checksum) is not stored again: the current version is returned with stored = false.
 */
export async function storeDirectory(
  ch: ClickHouse,
  entries: ReadonlyArray<DirectoryEntry>,
  meta: { source: string; checksum: string; force?: boolean; now?: number },
): Promise<StoreResult> {
  return withSchemaHint(async () => {
    const [latest] = await versions(ch, sql`ORDER BY version DESC LIMIT 1`);
    if (latest && !meta.force && latest.checksum === meta.checksum) return { version: latest, stored: false };
    // Versions must increase even if two loads land in the same millisecond or the clock steps back.
    const version = Math.max(meta.now ?? Date.now(), latest ? latest.version + 1 : 0);
    await ch.insert('directory_entries', entries.map((e) => ({ version, ...e })));
    const row: DirectoryVersion = { version, loadedAt: new Date(Math.floor(version / 1000) * 1000), source: meta.source, entries: entries.length, checksum: meta.checksum };
    await ch.insert('directory_versions', [
      { version, loaded_at: Math.floor(version / 1000), source: row.source, entries: row.entries, checksum: row.checksum },
    ]);
    return { version: row, stored: true };
  });
}

/** The latest version and its entries (sorted by id). */
export function currentDirectory(ch: ClickHouse): Promise<DirectorySnapshot> {
  return withSchemaHint(async () => snapshot(ch, (await versions(ch, sql`ORDER BY version DESC LIMIT 1`))[0]));
}

/** The directory as it was at `time`: the latest version loaded at or before it. */
export function directoryAsOf(ch: ClickHouse, time: Date | number): Promise<DirectorySnapshot> {
  const ms = typeof time === 'number' ? time : time.getTime();
  if (!Number.isFinite(ms)) throw new InternalError('directoryAsOf needs a valid time');
  return withSchemaHint(async () => snapshot(ch, (await versions(ch, sql`WHERE version <= ${ms} ORDER BY version DESC LIMIT 1`))[0]));
}

/** Every version, oldest first. */
export function directoryVersions(ch: ClickHouse): Promise<DirectoryVersion[]> {
  return withSchemaHint(() => versions(ch, sql`ORDER BY version`));
}

/** One person across versions, oldest first: which department, role and manager they had, from when. */
export function directoryHistory(ch: ClickHouse, id: string): Promise<Array<{ version: DirectoryVersion; entry: DirectoryEntry }>> {
  return withSchemaHint(async () => {
    const all = new Map((await versions(ch, sql`ORDER BY version`)).map((v) => [v.version, v]));
    const rows = await ch.query<DirectoryEntry & { version: string }>(
      sql`SELECT version, ${ENTRY_COLUMNS} FROM directory_entries WHERE id = ${id} ORDER BY version`,
    );
    return rows.flatMap(({ version, ...entry }) => {
      const v = all.get(Number(version));
      // Rows without a version row belong to a load that did not finish: not part of any directory.
      return v ? [{ version: v, entry }] : [];
    });
  });
}

async function versions(ch: ClickHouse, tail: ReturnType<typeof sql>): Promise<DirectoryVersion[]> {
  const rows = await ch.query<{ version: string; loaded_at: string; source: string; entries: number; checksum: string }>(
    sql`SELECT version, toUnixTimestamp(loaded_at) AS loaded_at, source, entries, checksum FROM directory_versions ${tail}`,
  );
  return rows.map((r) => ({
    version: Number(r.version),
    loadedAt: new Date(Number(r.loaded_at) * 1000),
    source: r.source,
    entries: Number(r.entries),
    checksum: r.checksum,
  }));
}

async function snapshot(ch: ClickHouse, version: DirectoryVersion | undefined): Promise<DirectorySnapshot> {
  if (!version) return { version: null, entries: [] };
  const entries = await ch.query<DirectoryEntry>(sql`SELECT ${ENTRY_COLUMNS} FROM directory_entries WHERE version = ${version.version} ORDER BY id`);
  return { version, entries };
}

/** A missing table means the schema is older than this code: say how to fix it. */
async function withSchemaHint<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ClickHouseError && err.context.serverCode === 60) {
      throw new ClickHouseError(`${err.message} (the directory tables are created by \`insider migrate\`)`, { retriable: false, serverCode: 60, cause: err });
    }
    throw err;
  }
}
