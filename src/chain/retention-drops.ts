// The partitions retention dropped, as retention_log says (keys as the retention_log chain names its rows).
import { sql, type ClickHouse } from '../store';

export interface RetentionDrop {
  key: string;
  table: string;
  partition: string;
}

export async function readRetentionDrops(ch: ClickHouse): Promise<RetentionDrop[]> {
  const rows = await ch.query<{ k: string; table_name: string; partition_id: string }>(sql`
    SELECT concat(run_id, ' ', table_name, ' ', partition_id) AS k, table_name, partition_id
    FROM retention_log WHERE action = 'dropped'`);
  return rows.map((r) => ({ key: r.k, table: r.table_name, partition: r.partition_id }));
}
