// What every section of an audit report reads from (the ClickHouse client, the period, the directory,
// pseudonyms, settings) and the small helpers they share. Kept apart from the sections and from
// collectReport (data.ts) so that the section modules depend on it and not on each other.
import { dateString, dayOf } from '../calendar';
import type { TimelineOptions } from '../cases';
import type { Catalog } from '../detect';
import { currentDirectory, type DirectoryEntry } from '../directory';
import type { ClickHouse } from '../store';
import type { Pseudonyms } from '../triage';
import type { ReportPeriod } from './period';

export interface ReportSettings {
  topUsers: number;
  gapHours: number;
  /** From detection: the trailing days of a baseline, and the active days before it is trusted. */
  baselineDays: number;
  minHistoryDays: number;
  /** How alerts are grouped into cases and their risk (config cases, with the scoring floors). */
  cases: TimelineOptions;
}

export interface ReportContext {
  ch: ClickHouse;
  period: ReportPeriod;
  /** Triage state (status, open alerts) is taken as of this instant (ms). */
  asOf: number;
  pseudonyms: Pseudonyms;
  catalog: Catalog;
  /** The current directory, by employee id. */
  people: ReadonlyMap<string, DirectoryEntry>;
  settings: ReportSettings;
}

export const NOT_IN_DIRECTORY = '(not in directory)';

export const dayLit = (ms: number) => dateString(dayOf(ms));
export const iso = (ms: number) => new Date(ms).toISOString();

export async function loadPeople(ch: ClickHouse): Promise<Map<string, DirectoryEntry>> {
  const dir = await currentDirectory(ch);
  return new Map(dir.entries.map((e) => [e.id, e]));
}

export function departmentOf(ctx: ReportContext, user: string): string {
  return ctx.people.get(user)?.department || NOT_IN_DIRECTORY;
}
