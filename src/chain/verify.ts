// `insider audit verify`: walks every chain and checks, link by link, that
//   - each link's hash matches what it says, and its prev_hash is the link before it (no gap, no fork);
//   - each link's record is in its table with the same content (else: changed, or deleted, unless a sealed
//     retention record says its partition was dropped: a retained prefix is sealed, not broken);
//   - each link sealed after its place (late, seal.ts) is at most LATE_WINDOW_MS behind the newest record
//     sealed before it (else: written into the past); late links are listed, not counted as breaks;
//   - each row of the table older than the newest record sealed has a link (else: inserted, or changed).
// Rows newer than that are pending: written after the last seal, not yet protected.
import type { ClickHouse } from '../store';
import { frontierLink, GENESIS, linkHash, linkOrder, linksBetween, readLinks, type ChainLink } from './links';
import { LATE_WINDOW_MS, lateWindowStartSec } from './seal';
import { compareRecords, readRecords, type ChainRecord } from './records';
import { monthPartitionEnd, readRetentionDrops } from './retention-drops';
import { CHAINED_TABLES, chainedTable, type ChainedTable } from './tables';

export type ProblemKind = 'head-not-found' | 'link-altered' | 'links-missing' | 'fork' | 'wrong-prev' | 'link-backdated' | 'record-changed' | 'record-deleted' | 'record-not-in-chain';

export interface Problem {
  chain: string;
  /** The link where the chain breaks (for a row not in the chain: the first link after its place). */
  seq: number;
  kind: ProblemKind;
  message: string;
}

export interface ChainVerification {
  chain: string;
  ok: boolean;
  links: number;
  /** Rows present and matching their link. */
  verified: number;
  /** Links whose rows were dropped by a recorded retention run. */
  retained: number;
  /** Rows newer than the newest record sealed, not sealed yet. */
  pending: number;
  /**
   * Rows sealed after their place (late links: an insert that landed after later rows were sealed, stamped
   * within LATE_WINDOW_MS of the newest sealed before it), described. Not a break: listed so an auditor
   * sees them (a late link further behind is a problem, link-backdated).
   */
  late: string[];
  head: { seq: number; linkHash: string; stamp: string } | null;
  /** Every problem, in chain order; the first is the first broken link. */
  problems: Problem[];
}

export interface VerifyOptions {
  /** Only records written in [from, to] (ms). The first link in range is taken as its own anchor. */
  from?: number;
  to?: number;
  chains?: ReadonlyArray<string>;
  /** Heads an auditor kept (from an earlier report): the chain must still pass through each. */
  heads?: ReadonlyArray<{ chain: string; seq: number; linkHash: string }>;
}

export async function verifyChains(ch: ClickHouse, opts: VerifyOptions = {}): Promise<ChainVerification[]> {
  const range = { fromSec: opts.from === undefined ? undefined : Math.floor(opts.from / 1000), toSec: opts.to === undefined ? undefined : Math.floor(opts.to / 1000) };
  // Retention first: which partitions of which tables were dropped, by sealed, intact retention records.
  const retention = await verifyChain(ch, chainedTable('retention_log'), {}, new Set());
  const dropped = await droppedPartitions(ch, retention.sealedKeys);
  const out: ChainVerification[] = [];
  for (const t of CHAINED_TABLES) {
    if (opts.chains && !opts.chains.includes(t.chain)) continue;
    const v = t.chain === 'retention_log' && range.fromSec === undefined && range.toSec === undefined ? retention : await verifyChain(ch, t, range, dropped.get(t.table) ?? new Set());
    for (const h of opts.heads ?? []) {
      if (h.chain !== t.chain) continue;
      const at = await readLinks(ch, t.chain, {}).then((ls) => ls.filter((l) => l.seq === h.seq));
      if (!at.some((l) => l.linkHash === h.linkHash)) {
        v.result.problems.unshift({ chain: t.chain, seq: h.seq, kind: 'head-not-found', message: `the kept head ${h.chain}:${h.seq}:${short(h.linkHash)} is not in the chain${at.length ? ` (link ${h.seq} is now ${short(at[0].linkHash)}): history up to it was rewritten` : `: link ${h.seq} is gone`}` });
        v.result.ok = false;
      }
    }
    out.push(v.result);
  }
  return out;
}

async function droppedPartitions(ch: ClickHouse, sealedKeys: ReadonlySet<string>): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  for (const d of await readRetentionDrops(ch)) {
    if (!sealedKeys.has(d.key)) continue; // an unsealed retention record proves nothing
    // Retention drops only partitions wholly in the past: a record of dropping a month that had not ended
    // when it was written (forged, to make a fresh month's deletion look retained) proves nothing either.
    const end = monthPartitionEnd(d.partition);
    if (end === null || end > d.at) continue;
    if (!out.has(d.table)) out.set(d.table, new Set());
    out.get(d.table)!.add(d.partition);
  }
  return out;
}

const short = (hash: string) => hash.slice(0, 16);
const when = (r: Pick<ChainRecord, 'stamp' | 'ms'>) => new Date(r.stamp * 1000 + r.ms).toISOString();

async function verifyChain(
  ch: ClickHouse,
  t: ChainedTable,
  range: { fromSec?: number; toSec?: number },
  dropped: ReadonlySet<string>,
): Promise<{ result: ChainVerification; sealedKeys: Set<string> }> {
  const inRange = await readLinks(ch, t.chain, range);
  // A period's links by their records' stamps skip late links' neighbours (a late link's seq is after
  // rows newer than it): the walk takes every link from the period's first to its last.
  const ranged = range.fromSec !== undefined || range.toSec !== undefined;
  const links = ranged && inRange.length > 0 ? await linksBetween(ch, t.chain, inRange[0].seq, inRange[inRange.length - 1].seq) : inRange;
  const period = new Set(inRange.map((l) => `${l.seq}\n${l.linkHash}`));
  const records = await readRecords(ch, t, range);
  const problems: Problem[] = [];
  const add = (seq: number, kind: ProblemKind, message: string) => problems.push({ chain: t.chain, seq, kind, message });

  // The links themselves: hashes, order, forks.
  const bySeq = new Map<number, ChainLink[]>();
  for (const l of links) bySeq.set(l.seq, [...(bySeq.get(l.seq) ?? []), l]);
  const walk: ChainLink[] = [];
  for (const [seq, same] of bySeq) {
    if (same.length > 1) add(seq, 'fork', `${same.length} different links at seq ${seq} (${same.map((l) => short(l.linkHash)).join(', ')}): the chain forks`);
    walk.push(same[0]);
  }
  let prev: ChainLink | null = null;
  // A link sealed after its place (seal.ts): its record is not newer than the newest sealed before it,
  // and within LATE_WINDOW_MS of it, or it is a row written into the past.
  let newest = ranged && walk.length > 0 ? await frontierLink(ch, t.chain, walk[0].seq) : null;
  const late: string[] = [];
  for (const l of walk) {
    if (newest && compareRecords(linkOrder(l), linkOrder(newest)) <= 0) {
      const what = `${t.describe(l.recordKey)} (link ${l.seq}), written ${when({ stamp: l.recordStamp, ms: l.recordMs })}`;
      if (l.recordStamp < lateWindowStartSec(newest.recordStamp)) {
        add(l.seq, 'link-backdated', `${what}, was sealed after rows more than ${LATE_WINDOW_MS / 3_600_000} h newer (${when({ stamp: newest.recordStamp, ms: newest.recordMs })}): a row written into the past, or a link added by hand`);
      } else if (period.has(`${l.seq}\n${l.linkHash}`)) late.push(what);
    } else newest = l;
    if (linkHash(l) !== l.linkHash) add(l.seq, 'link-altered', `link ${l.seq} (${t.describe(l.recordKey)}) was altered: its hash does not match what it says`);
    if (prev === null) {
      if (range.fromSec === undefined && (l.seq !== 1 || l.prevHash !== GENESIS)) {
        if (l.seq !== 1) add(1, 'links-missing', `${l.seq === 2 ? 'link 1 is' : `links 1..${l.seq - 1} are`} missing (deleted) before ${t.describe(l.recordKey)}`);
        else add(1, 'wrong-prev', 'link 1 does not start the chain (its prev_hash is not the genesis)');
      }
    } else if (l.seq !== prev.seq + 1) {
      const gap = l.seq === prev.seq + 2 ? `link ${prev.seq + 1} is` : `links ${prev.seq + 1}..${l.seq - 1} are`;
      add(prev.seq + 1, 'links-missing', `${gap} missing (deleted) between ${t.describe(prev.recordKey)} and ${t.describe(l.recordKey)}`);
    } else if (l.prevHash !== prev.linkHash) {
      add(l.seq, 'wrong-prev', `link ${l.seq} (${t.describe(l.recordKey)}) does not follow link ${prev.seq}: its prev_hash ${short(l.prevHash)} is not ${short(prev.linkHash)}`);
    }
    prev = l;
  }

  // The records against their links.
  const byKey = new Map<string, ChainRecord[]>();
  for (const r of records) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
  const matched = new Set<string>();
  const changedKeys = new Set<string>();
  const sealedKeys = new Set<string>();
  let verified = 0;
  let retained = 0;
  for (const l of walk) {
    if (!period.has(`${l.seq}\n${l.linkHash}`)) continue; // outside the period: its row was not read
    const same = byKey.get(l.recordKey) ?? [];
    const hit = same.find((r) => r.contentHash === l.contentHash);
    if (hit) {
      matched.add(`${hit.key}\n${hit.contentHash}`);
      sealedKeys.add(l.recordKey);
      verified++;
    } else if (same.length > 0) {
      changedKeys.add(l.recordKey);
      add(l.seq, 'record-changed', `${t.describe(l.recordKey)} (link ${l.seq}) was changed: its content hash is no longer ${short(l.contentHash)}`);
    } else if (dropped.has(l.recordPartition)) {
      retained++;
    } else {
      add(l.seq, 'record-deleted', `${t.describe(l.recordKey)} (link ${l.seq}, written ${when({ stamp: l.recordStamp, ms: l.recordMs })}) was deleted`);
    }
  }
  const head = walk[walk.length - 1] ?? null;
  // Rows newer than the newest record sealed (in the whole chain, for a period too) are pending; older
  // ones should have a link.
  const top = ranged ? await frontierLink(ch, t.chain) : newest;
  const headOrder = top ? linkOrder(top) : null;
  let pending = 0;
  for (const r of records) {
    if (matched.has(`${r.key}\n${r.contentHash}`)) continue;
    if (headOrder !== null && compareRecords(r, headOrder) <= 0) {
      if (changedKeys.has(r.key)) continue; // already named as changed
      const after = walk.find((l) => compareRecords(r, linkOrder(l)) < 0);
      add(after?.seq ?? (head ?? top)!.seq, 'record-not-in-chain', `${t.describe(r.key)}, written ${when(r)}, is not in the chain though older than its head: inserted (or changed) after sealing`);
    } else {
      pending++;
    }
  }
  problems.sort((a, b) => a.seq - b.seq);
  return {
    sealedKeys,
    result: {
      chain: t.chain,
      ok: problems.length === 0,
      links: walk.filter((l) => period.has(`${l.seq}\n${l.linkHash}`)).length,
      verified,
      retained,
      pending,
      late,
      head: head ? { seq: head.seq, linkHash: head.linkHash, stamp: when({ stamp: head.recordStamp, ms: head.recordMs }) } : null,
      problems,
    },
  };
}
