// A further guard where the server is modern (22.2+): each INSERT carries a deterministic
// insert_deduplication_token, so ClickHouse itself drops a repeated INSERT of the same Kafka range
// (for example, one retried after the server crashed mid-insert). 18.16 has neither the token nor
// deduplication on non-replicated tables, so it relies on the offset ledger alone (docs/exactly-once.md).
import { ident, sql, type ClickHouse } from '../store';

const DEDUPLICATED_TABLES = ['access_events', 'ingest_batches', 'user_hourly', 'user_daily', 'user_table_daily'];

export function supportsInsertDeduplicationToken(version: string): boolean {
  const [major, minor] = version.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 2);
}

export function insertDeduplicationToken(topic: string, partition: number, firstOffset: number, lastOffset: number, rows: number): string {
  return `${topic}:${partition}:${firstOffset}-${lastOffset}:${rows}`;
}

/** The settings that carry a Kafka range's token into its insert (only where enableInsertDeduplication said the server has the feature). */
export function deduplicationSettings(token: string): Record<string, string | number> {
  return { insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1 };
}

/** Capability check; on a modern server also turns on the deduplication window of our tables. */
export async function enableInsertDeduplication(ch: ClickHouse): Promise<{ enabled: boolean; version: string }> {
  const version = await ch.serverVersion();
  if (!supportsInsertDeduplicationToken(version)) return { enabled: false, version };
  // A cluster's tables are replicated: they deduplicate inserted blocks already (the ALTER is for single servers).
  if (ch.cluster) return { enabled: true, version };
  for (const table of DEDUPLICATED_TABLES) {
    await ch.exec(sql`ALTER TABLE ${ident(table)} MODIFY SETTING non_replicated_deduplication_window = 1000`);
  }
  return { enabled: true, version };
}
