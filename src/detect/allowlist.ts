// Approved jobs: an employee or service account may move data for a stated reason, between two times,
// optionally only from some tables. Every entry expires (`until` is required), so an allowlist never
// silently becomes a permanent blind spot. Allowlisted events are kept out of the volumes the detectors
// judge, and shown as such in the evidence.
import fs from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../errors';

const time = z.iso.datetime({ offset: true });
const entrySchema = z.strictObject({
  user: z.string().min(1),
  reason: z.string().min(1),
  from: time,
  until: time,
  /** "database.table"; absent: every table */
  tables: z.array(z.string().regex(/^[^.]+\.[^.]+$/, 'expected "database.table"')).optional(),
});
const fileSchema = z.strictObject({ entries: z.array(entrySchema) });

export interface AllowlistEntry {
  user: string;
  reason: string;
  from: number;
  until: number;
  tables: ReadonlySet<string> | null;
}

export interface Allowlist {
  entries: ReadonlyArray<AllowlistEntry>;
  /** The entry that covers this event, if any. */
  covering(user: string, table: string, ts: number): AllowlistEntry | undefined;
}

export function allowlistFrom(entries: ReadonlyArray<AllowlistEntry>): Allowlist {
  const byUser = new Map<string, AllowlistEntry[]>();
  for (const e of entries) byUser.set(e.user, [...(byUser.get(e.user) ?? []), e]);
  return {
    entries,
    covering: (user, table, ts) => byUser.get(user)?.find((e) => ts >= e.from && ts < e.until && (e.tables === null || e.tables.has(table))),
  };
}

/** Reads {"entries": [...]}; any problem names the file and the entry. An empty path: no allowlist. */
export function loadAllowlist(file: string): Allowlist {
  if (file === '') return allowlistFrom([]);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${file}: cannot read the allowlist: ${(err as Error).message}`, { file });
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`, { file });
  }
  return allowlistFrom(
    parsed.data.entries.map((e, i) => {
      const from = Date.parse(e.from);
      const until = Date.parse(e.until);
      if (!(until > from)) throw new ConfigError(`${file}: entries.${i}: "until" must be after "from"`, { file });
      return { user: e.user, reason: e.reason, from, until, tables: e.tables ? new Set(e.tables) : null };
    }),
  );
}
