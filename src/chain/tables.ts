// What each chain covers: its table, the key that names a row in messages, the stamp that orders it
// (wall time at which its writer wrote it), the partition retention drops it with, and the columns whose
// values are hashed. Columns are listed here, never SELECT *: a column added later does not change the
// hashes of rows already sealed. Only code constants reach SQL from this file.
import { sql, type SqlFragment } from '../store';
import { InternalError } from '../errors';

export interface ChainedTable {
  /** The chain's name: the table's name. */
  chain: string;
  table: string;
  /** What the row is, for people: "alert al_... revision 3". */
  describe(key: string): string;
  /** SQL: a string naming the row (not necessarily unique: identical duplicates are one record). */
  key: SqlFragment;
  /** SQL: the DateTime the row was written (wall time), and its milliseconds (0 when not kept). */
  stamp: SqlFragment;
  ms: SqlFragment;
  /** SQL: the partition id retention drops the row with (system.parts.partition_id). */
  partition: SqlFragment;
  /** The columns hashed, in this order. */
  columns: ReadonlyArray<string>;
}

const monthOf = (column: SqlFragment) => sql`toString(toYYYYMM(${column}))`;

export const CHAINED_TABLES: ReadonlyArray<ChainedTable> = [
  {
    chain: 'alerts',
    table: 'alerts',
    describe: (key) => `alert ${key.replace('#', ' revision ')}`,
    key: sql`concat(alert_id, '#', toString(revision))`,
    stamp: sql`updated_at_wall`,
    ms: sql`toUInt16(0)`,
    partition: monthOf(sql`window_start`),
    columns: [
      'alert_id', 'revision', 'user', 'window_start', 'window_end', 'detectors', 'severity', 'score', 'fired_at', 'fired_at_ms',
      'trigger_event_id', 'last_event_at', 'observed_bytes', 'observed_rows', 'event_count', 'baseline_bytes', 'peer_bytes',
      'peer_group', 'ratio', 'explanation', 'findings', 'evidence', 'created_at_wall', 'updated_at_wall',
    ],
  },
  {
    chain: 'alert_actions',
    table: 'alert_actions',
    describe: (key) => `triage action ${key}`,
    key: sql`action_id`,
    stamp: sql`at`,
    ms: sql`at_ms`,
    partition: monthOf(sql`at`),
    columns: ['action_id', 'alert_id', 'at', 'at_ms', 'actor', 'action', 'assignee', 'disposition', 'note', 'snooze_until', 'suppression_id'],
  },
  {
    chain: 'audit_log',
    table: 'audit_log',
    // The trail has no id column: its entries are named by when, which request and what.
    describe: (key) => `audit entry ${key}`,
    key: sql`concat(toString(at), '.', toString(at_ms), ' ', action, ' request ', request_id)`,
    stamp: sql`at`,
    ms: sql`at_ms`,
    partition: monthOf(sql`at`),
    columns: ['at', 'at_ms', 'actor', 'role', 'action', 'target', 'source_ip', 'request_id', 'details'],
  },
  {
    chain: 'report_manifests',
    table: 'report_manifests',
    describe: (key) => `report ${key}`,
    key: sql`report_id`,
    stamp: sql`at`,
    ms: sql`at_ms`,
    partition: monthOf(sql`at`),
    columns: ['report_id', 'at', 'at_ms', 'title', 'period_kind', 'period_from', 'period_to', 'out_dir', 'manifest_sha256', 'chain_heads'],
  },
  {
    chain: 'retention_log',
    table: 'retention_log',
    describe: (key) => `retention record ${key}`,
    key: sql`concat(run_id, ' ', table_name, ' ', partition_id)`,
    stamp: sql`at`,
    ms: sql`at_ms`,
    partition: sql`'all'`,
    columns: ['run_id', 'at', 'at_ms', 'table_name', 'partition_id', 'action', 'rows', 'detail'],
  },
];

export const CHAIN_NAMES = CHAINED_TABLES.map((t) => t.chain);

export function chainedTable(chain: string): ChainedTable {
  const t = CHAINED_TABLES.find((c) => c.chain === chain);
  if (!t) throw new InternalError(`no chain ${chain}`, { chain });
  return t;
}
