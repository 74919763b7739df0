// Rows of a chained table as the chain sees them: key, stamp, partition and the SHA-256 of their
// canonical content. Canonical content is the chain's columns in order, each value as text (numbers in
// JavaScript's shortest form, whatever width ClickHouse gave them), so the same row hashes the same on
// 18.16 and on a modern server.
import crypto from 'node:crypto';
import { ident, inList, join, sql, type ClickHouse, type SqlFragment } from '../store';
import type { ChainedTable } from './tables';

export interface ChainRecord {
  key: string;
  /** Seconds since the epoch (UTC) and milliseconds: when the row was written. */
  stamp: number;
  ms: number;
  partition: string;
  contentHash: string;
}

export function sha256(text: string): string {
  return crypto.createHash('sha256').update(text, 'utf8').digest('hex');
}

function canonical(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(canonical);
  const text = String(value);
  // 18.16 prints the zero DateTime (and Date) as 0000-00-00..., modern servers as 1970-01-01...
  return text.startsWith('0000-00-00') ? `1970-01-01${text.slice(10)}` : text;
}

/** The content hash of a row read with the chain's columns. */
export function contentHash(t: ChainedTable, row: Record<string, unknown>): string {
  return sha256(JSON.stringify([t.chain, ...t.columns.map((c) => [c, canonical(row[c])])]));
}

/** (stamp, ms, key, contentHash): the order links are sealed in. */
export function compareRecords(a: Pick<ChainRecord, 'stamp' | 'ms' | 'key' | 'contentHash'>, b: Pick<ChainRecord, 'stamp' | 'ms' | 'key' | 'contentHash'>): number {
  return a.stamp - b.stamp || a.ms - b.ms || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) || (a.contentHash < b.contentHash ? -1 : a.contentHash > b.contentHash ? 1 : 0);
}

/**
 * The table's rows written in [fromSec, toSec] (seconds, both ends included; either may be absent), one
 * per distinct (key, content): identical duplicates (a writer's retried insert) are one record.
 */
export async function readRecords(ch: ClickHouse, t: ChainedTable, range: { fromSec?: number; toSec?: number; keys?: ReadonlyArray<string> } = {}): Promise<ChainRecord[]> {
  const where = stampedBetween(t, range);
  if (range.keys) where.push(sql`${t.key} IN ${inList(range.keys)}`);
  const rows = await ch.query<Record<string, unknown>>(sql`
    SELECT ${t.key} AS chain_record_key, toUInt32(${t.stamp}) AS chain_record_stamp, ${t.ms} AS chain_record_ms,
           ${t.partition} AS chain_record_partition, ${join(t.columns.map((c) => ident(c)))}
    FROM ${ident(t.table)}
    WHERE ${join(where, ' AND ')}`);
  const seen = new Map<string, ChainRecord>();
  for (const row of rows) {
    const r: ChainRecord = {
      key: String(row.chain_record_key),
      stamp: Number(row.chain_record_stamp),
      ms: Number(row.chain_record_ms),
      partition: String(row.chain_record_partition),
      contentHash: contentHash(t, row),
    };
    seen.set(`${r.key}\n${r.contentHash}`, r);
  }
  return [...seen.values()].sort(compareRecords);
}

/** SQL conditions: the table's rows written in [fromSec, toSec] (seconds, both ends included; either may be absent). */
export function stampedBetween(t: ChainedTable, range: { fromSec?: number; toSec?: number }): SqlFragment[] {
  const where: SqlFragment[] = [sql`1 = 1`];
  if (range.fromSec !== undefined) where.push(sql`${t.stamp} >= ${new Date(range.fromSec * 1000)}`);
  if (range.toSec !== undefined) where.push(sql`${t.stamp} <= ${new Date(range.toSec * 1000)}`);
  return where;
}
