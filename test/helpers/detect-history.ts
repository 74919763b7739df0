// Hand-built histories for the detection unit tests: each person's working days as a function of the day,
// turned into the rows ClickHouse's rollups would give and through the same buildDayHistory the detector
// uses, so that the tests judge days exactly as the live engine would (own expectations, peer priors,
// calibration, routine shares).
import { isWeekend } from '../../src/calendar';
import type { DetectionConfig } from '../../src/config/detection-schema';
import type { DirectoryEntry } from '../../src/directory';
import { buildDayHistory, historyDaysNeeded, type DayHistory, type HistoryRows } from '../../src/detect/history';
import { normalQuantile } from '../../src/detect/statistics/distributions';

export interface PersonDays {
  /** Bytes on a working day (null or 0: inactive); weekends are inactive. */
  daily(day: number): number | null;
  /** Bytes from sensitive tables that day (default none). */
  sensitive?(day: number): number | null;
  /** Tables the person knows (touched before the recent days). */
  tables?: string[];
}

const GOLDEN = 0.6180339887498949;

/**
 * A log-normal-looking series with median `median` and log spread `sigma`, deterministic: day d takes the
 * normal quantile of the golden-ratio sequence at d (+ phase: people's good and bad days do not coincide),
 * so any few weeks cover the distribution evenly.
 */
export function spread(median: number, sigma: number, phase = 0): (day: number) => number {
  return (day) => median * Math.exp(sigma * normalQuantile((((day + phase) * GOLDEN) % 1) * 0.98 + 0.01));
}

export function directoryEntry(id: string, department: string, role: string, over: Partial<DirectoryEntry> = {}): DirectoryEntry {
  return { id, name: id, department, role, manager: '', location: 'HQ', timezone: 'UTC', hire_date: '2023-01-09', notice_date: null, end_date: null, account_type: 'human', ...over };
}

/** The rows of the days before `day` for `users`, as the rollups give them. */
export function rowsOf(day: number, users: Record<string, PersonDays>, detection: DetectionConfig): HistoryRows {
  const rows: HistoryRows = { daily: [], busiestHour: [], night: [], sensitive: [], tables: [] };
  const first = day - historyDaysNeeded(detection);
  for (const [user, p] of Object.entries(users)) {
    let days = 0;
    for (let d = first; d < day; d++) {
      if (isWeekend(d)) continue;
      const bytes = p.daily(d) ?? 0;
      if (!(bytes > 0)) continue;
      if (d >= day - detection.knownTablesDays) days++;
      rows.daily.push({ user, day: d, bytes });
      // A working day's busiest hour: a quarter of it.
      rows.busiestHour.push({ user, day: d, bytes: bytes / 4 });
      const s = p.sensitive?.(d) ?? 0;
      if (s > 0) rows.sensitive.push({ user, day: d, bytes: s });
    }
    rows.tables.push({ user, before: p.tables ?? [], recent: [], days });
  }
  return rows;
}

export function handHistory(day: number, users: Record<string, PersonDays>, detection: DetectionConfig, people: Parameters<typeof buildDayHistory>[3]): DayHistory {
  return buildDayHistory(day, rowsOf(day, users, detection), detection, people);
}
