// The partitions retention dropped, as retention_log says (keys as the retention_log chain names its rows).
import { sql, type ClickHouse } from '../store';

export interface RetentionDrop {
  key: string;
  table: string;
  partition: string;
  /** When the record was written, ms. */
  at: number;
}

export async function readRetentionDrops(ch: ClickHouse): Promise<RetentionDrop[]> {
  const rows = await ch.query<{ k: string; table_name: string; partition_id: string; at: string; at_ms: number }>(sql`
    SELECT concat(run_id, ' ', table_name, ' ', partition_id) AS k, table_name, partition_id, toUnixTimestamp(at) AS at, at_ms
    FROM retention_log WHERE action = 'dropped'`);
  return rows.map((r) => ({ key: r.k, table: r.table_name, partition: r.partition_id, at: Number(r.at) * 1000 + Number(r.at_ms) }));
}

/** The end (ms) of a chained table's monthly partition id (YYYYMM); null for any other id. */
export function monthPartitionEnd(id: string): number | null {
  const m = /^(\d{4})(\d{2})$/.exec(id);
  return m ? Date.UTC(Number(m[1]), Number(m[2]), 1) : null;
}
