// Which tables retention drops from, by class, how their partitions are named, and how held data is kept:
//   copy   bulk data (raw events, rollups): a held employee's or alert's rows are copied into <table>_held
//          before the partition is dropped, so retention goes on for everyone else; raw events also
//          when the held employee is the person behind a shared role (identity)
//   keep   chained tables (alerts, triage actions, the audit trail): a partition that holds held data is
//          not dropped at all (moving chained rows would take them out of their chain); they are small
// Only code constants reach SQL from this file.
import { sql, type SqlFragment } from '../store';

export const RETENTION_CLASSES = ['events', 'rollups', 'alerts', 'audit'] as const;
export type RetentionClass = (typeof RETENTION_CLASSES)[number];

export interface RetainedTable {
  table: string;
  class: RetentionClass;
  /** day: partition ids YYYYMMDD; month: YYYYMM. */
  partitionBy: 'day' | 'month';
  /** SQL: the row's partition id, to select a partition's rows. (copy mode's key: the columns that name a
   * row, or a rollup's row, so that a copy already made is not made twice.) */
  partitionId: SqlFragment;
  hold:
    | { mode: 'copy'; heldTable: string; user: SqlFragment; time: SqlFragment; identity?: SqlFragment; key: SqlFragment }
    | { mode: 'keep'; alertId: SqlFragment | null; user: SqlFragment | null };
}

const day = (c: SqlFragment) => sql`toString(toYYYYMMDD(${c}))`;
const month = (c: SqlFragment) => sql`toString(toYYYYMM(${c}))`;

export const RETAINED_TABLES: ReadonlyArray<RetainedTable> = [
  { table: 'access_events', class: 'events', partitionBy: 'day', partitionId: day(sql`ts`), hold: { mode: 'copy', heldTable: 'access_events_held', user: sql`user`, time: sql`ts`, identity: sql`identity`, key: sql`event_id` } },
  { table: 'user_hourly', class: 'rollups', partitionBy: 'month', partitionId: month(sql`hour`), hold: { mode: 'copy', heldTable: 'user_hourly_held', user: sql`user`, time: sql`hour`, key: sql`user, hour` } },
  { table: 'user_daily', class: 'rollups', partitionBy: 'month', partitionId: month(sql`day`), hold: { mode: 'copy', heldTable: 'user_daily_held', user: sql`user`, time: sql`toDateTime(day, 'UTC')`, key: sql`user, day` } },
  { table: 'user_table_daily', class: 'rollups', partitionBy: 'month', partitionId: month(sql`day`), hold: { mode: 'copy', heldTable: 'user_table_daily_held', user: sql`user`, time: sql`toDateTime(day, 'UTC')`, key: sql`user, day, db_name, table_name` } },
  { table: 'alerts', class: 'alerts', partitionBy: 'month', partitionId: month(sql`window_start`), hold: { mode: 'keep', alertId: sql`alert_id`, user: sql`user` } },
  { table: 'alert_actions', class: 'alerts', partitionBy: 'month', partitionId: month(sql`at`), hold: { mode: 'keep', alertId: sql`alert_id`, user: null } },
  // The queue's listing (src/alerts/listing.ts), by the month of the alert's day: it goes with its alerts.
  { table: 'alert_listing', class: 'alerts', partitionBy: 'month', partitionId: month(sql`window_end - 1`), hold: { mode: 'keep', alertId: sql`alert_id`, user: sql`user` } },
  { table: 'audit_log', class: 'audit', partitionBy: 'month', partitionId: month(sql`at`), hold: { mode: 'keep', alertId: sql`target`, user: null } },
];

/** When the data of a partition ends (ms, exclusive), from its id; null for an id of another form. */
export function partitionEnd(t: Pick<RetainedTable, 'partitionBy'>, id: string): number | null {
  const m = t.partitionBy === 'day' ? /^(\d{4})(\d{2})(\d{2})$/.exec(id) : /^(\d{4})(\d{2})$/.exec(id);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]) - 1, m[3] === undefined ? 1 : Number(m[3])];
  return t.partitionBy === 'day' ? Date.UTC(y, mo, d + 1) : Date.UTC(y, mo + 1, 1);
}
