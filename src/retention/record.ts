// What a retention run did, one row per partition and action in retention_log (a chain of the record).
import { toDateTime, type ClickHouse } from '../store';

export type RetentionAction = 'dropped' | 'kept_held' | 'copied_held';

export interface RetentionRow {
  table: string;
  partition: string;
  action: RetentionAction;
  rows: number;
  detail: string;
}

export async function recordRetention(ch: ClickHouse, run: { runId: string; at: number; rows: ReadonlyArray<RetentionRow> }): Promise<void> {
  if (run.rows.length === 0) return;
  await ch.insert(
    'retention_log',
    run.rows.map((r) => ({ run_id: run.runId, at: toDateTime(run.at), at_ms: run.at % 1000, table_name: r.table, partition_id: r.partition, action: r.action, rows: r.rows, detail: r.detail })),
  );
}
