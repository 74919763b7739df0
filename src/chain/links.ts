// The links of a chain (table chain_links, migration 0011): each names one record by key and content
// hash and carries the hash of the link before it. A link's own hash covers everything it says, so a
// link cannot be edited without its hash, and the next link's prev_hash, giving it away.
import { fromDateTime, sql, toDateTime, type ClickHouse } from '../store';
import { compareRecords, sha256, type ChainRecord } from './records';

export const GENESIS = '0'.repeat(64);

export interface ChainLink {
  chain: string;
  seq: number;
  recordKey: string;
  recordStamp: number;
  recordMs: number;
  recordPartition: string;
  contentHash: string;
  prevHash: string;
  linkHash: string;
}

export function linkHash(l: Omit<ChainLink, 'linkHash'>): string {
  return sha256(JSON.stringify([l.chain, l.seq, l.prevHash, l.recordKey, l.contentHash, l.recordStamp, l.recordMs, l.recordPartition]));
}

/** The link for `record` after `prev` (null: the first link of the chain). */
export function nextLink(chain: string, prev: Pick<ChainLink, 'seq' | 'linkHash'> | null, record: ChainRecord): ChainLink {
  const l = {
    chain,
    seq: prev ? prev.seq + 1 : 1,
    recordKey: record.key,
    recordStamp: record.stamp,
    recordMs: record.ms,
    recordPartition: record.partition,
    contentHash: record.contentHash,
    prevHash: prev ? prev.linkHash : GENESIS,
  };
  return { ...l, linkHash: linkHash(l) };
}

interface LinkRow {
  chain: string;
  seq: string;
  record_key: string;
  record_stamp_text: string;
  record_ms: number;
  record_partition: string;
  content_hash: string;
  prev_hash: string;
  link_hash: string;
}

const fromRow = (r: LinkRow): ChainLink => ({
  chain: r.chain,
  seq: Number(r.seq),
  recordKey: r.record_key,
  recordStamp: fromDateTime(r.record_stamp_text) / 1000,
  recordMs: Number(r.record_ms),
  recordPartition: r.record_partition,
  contentHash: r.content_hash,
  prevHash: r.prev_hash,
  linkHash: r.link_hash,
});

// Aliases differ from the columns: 18.16 resolves a column name to an alias of the same name.
const COLUMNS = sql`chain, seq, record_key, toString(record_stamp) AS record_stamp_text, record_ms, record_partition, content_hash, prev_hash, link_hash`;

/**
 * Links of a chain in seq order, identical copies collapsed (two sealers that saw the same rows wrote the
 * same links). Two different links at one seq both stay: that is a fork, for the verifier to name.
 */
export async function readLinks(ch: ClickHouse, chain: string, range: { fromSec?: number; toSec?: number; maxSeq?: number } = {}): Promise<ChainLink[]> {
  const rows = await ch.query<LinkRow>(sql`
    SELECT DISTINCT ${COLUMNS}
    FROM chain_links
    WHERE chain = ${chain}
      ${range.fromSec === undefined ? sql`` : sql`AND record_stamp >= ${new Date(range.fromSec * 1000)}`}
      ${range.toSec === undefined ? sql`` : sql`AND record_stamp <= ${new Date(range.toSec * 1000)}`}
      ${range.maxSeq === undefined ? sql`` : sql`AND seq <= ${range.maxSeq}`}
    ORDER BY seq, link_hash`);
  return rows.map(fromRow);
}

/** The last link of a chain (the highest seq; of a fork, the smallest hash), or null. */
export async function headLink(ch: ClickHouse, chain: string): Promise<ChainLink | null> {
  const [row] = await ch.query<LinkRow>(sql`
    SELECT ${COLUMNS} FROM chain_links WHERE chain = ${chain} ORDER BY seq DESC, link_hash LIMIT 1`);
  return row ? fromRow(row) : null;
}

/**
 * The link of the newest record sealed (the highest (stamp, ms, key, hash)), or null; with `belowSeq`, of
 * the links before that seq. The head, unless the head is a late link (seal.ts), sealed after its place.
 */
export async function frontierLink(ch: ClickHouse, chain: string, belowSeq?: number): Promise<ChainLink | null> {
  const below = belowSeq === undefined ? sql`` : sql`AND seq < ${belowSeq}`;
  // The newest second's links, ordered here as the sealer orders records (JavaScript's string order).
  const rows = await ch.query<LinkRow>(sql`
    SELECT ${COLUMNS} FROM chain_links
    WHERE chain = ${chain} ${below} AND record_stamp = (SELECT max(record_stamp) FROM chain_links WHERE chain = ${chain} ${below})`);
  const links = rows.map(fromRow).sort((a, b) => compareRecords(linkOrder(a), linkOrder(b)));
  return links[links.length - 1] ?? null;
}

/** A link's place in the order records are sealed in. */
export const linkOrder = (l: ChainLink) => ({ stamp: l.recordStamp, ms: l.recordMs, key: l.recordKey, contentHash: l.contentHash });

/** Links from seq `from` to `to`, both included, as readLinks gives them. */
export async function linksBetween(ch: ClickHouse, chain: string, from: number, to: number): Promise<ChainLink[]> {
  const rows = await ch.query<LinkRow>(sql`
    SELECT DISTINCT ${COLUMNS} FROM chain_links WHERE chain = ${chain} AND seq BETWEEN ${from} AND ${to} ORDER BY seq, link_hash`);
  return rows.map(fromRow);
}

/** Links whose records were written at or after `sinceSec` (what a sealer must not seal twice), up to seq `maxSeq`. */
export async function linksSince(ch: ClickHouse, chain: string, sinceSec: number, maxSeq?: number): Promise<ChainLink[]> {
  return readLinks(ch, chain, { fromSec: sinceSec, maxSeq });
}

export async function writeLinks(ch: ClickHouse, links: ReadonlyArray<ChainLink>, sealer: string, now: number): Promise<void> {
  if (links.length === 0) return;
  await ch.insert(
    'chain_links',
    links.map((l) => ({
      chain: l.chain,
      seq: l.seq,
      record_key: l.recordKey,
      record_stamp: toDateTime(l.recordStamp * 1000),
      record_ms: l.recordMs,
      record_partition: l.recordPartition,
      content_hash: l.contentHash,
      prev_hash: l.prevHash,
      link_hash: l.linkHash,
      sealed_at: toDateTime(now),
      sealer,
    })),
  );
}
