// The sealer: the one sequencer of every chain. Writers (the detector, API replicas, CLI runs, the report
// scheduler, retention) insert their rows without reading or writing a chain, so concurrent appends can
// neither fork nor break one. Sealing appends, per chain, one link per row written since the chain's head,
// in (stamp, ms, key, content hash) order, but only rows older than the grace period: an insert stamped
// earlier but still in flight is sealed by the next pass, in its place.
//
// Sealing is a pure function of the rows and the head: two sealers running at once (a scheduler and a
// manual report) that see the same rows write the same links, which readers collapse. A row that appears
// after the chain was sealed past its stamp (a backdated insert, or an insert slower than the grace
// period) is never sealed: the verifier names it.
import { revisionLandingMs, type LandingTimeouts } from '../alerts';
import type { ClickHouse } from '../store';
import { headLink, linksSince, nextLink, writeLinks, type ChainLink } from './links';
import { compareRecords, readRecords } from './records';
import { CHAINED_TABLES, type ChainedTable } from './tables';

/** Rows younger than this are left for the next pass (inserts in flight). */
export const DEFAULT_GRACE_MS = 120_000;
/**
 * The grace period for the configured time-outs: at least DEFAULT_GRACE_MS, and as long as a detector's
 * alert revision can take to land after its stamp (alerts/landing.ts: 149 s with the defaults).
 */
export const sealGraceMs = (c: LandingTimeouts) => Math.max(DEFAULT_GRACE_MS, revisionLandingMs(c));
/** Links per insert. */
const BATCH = 5000;

export interface SealOptions {
  /** Wall clock, ms. */
  now?: number;
  graceMs?: number;
  /** Who seals (kept on the links, outside their hash). */
  sealer?: string;
  /** Only these chains (default: all). */
  chains?: ReadonlyArray<string>;
}

export interface SealResult {
  chain: string;
  sealed: number;
  head: Pick<ChainLink, 'seq' | 'linkHash' | 'recordStamp'> | null;
}

export async function sealChains(ch: ClickHouse, opts: SealOptions = {}): Promise<SealResult[]> {
  const now = opts.now ?? Date.now();
  const cutoffSec = Math.floor((now - (opts.graceMs ?? DEFAULT_GRACE_MS)) / 1000);
  const out: SealResult[] = [];
  for (const t of CHAINED_TABLES) {
    if (opts.chains && !opts.chains.includes(t.chain)) continue;
    out.push(await sealChain(ch, t, cutoffSec, opts.sealer ?? `pid ${process.pid}`, now));
  }
  return out;
}

async function sealChain(ch: ClickHouse, t: ChainedTable, cutoffSec: number, sealer: string, now: number): Promise<SealResult> {
  const head = await headLink(ch, t.chain);
  const sinceSec = head ? head.recordStamp : 0;
  if (sinceSec > cutoffSec) return { chain: t.chain, sealed: 0, head };
  const records = await readRecords(ch, t, { fromSec: sinceSec, toSec: cutoffSec });
  const linked = new Set((head ? await linksSince(ch, t.chain, sinceSec) : []).map((l) => `${l.recordKey}\n${l.contentHash}`));
  const headOrder = head ? { stamp: head.recordStamp, ms: head.recordMs, key: head.recordKey, contentHash: head.contentHash } : null;
  const fresh = records.filter((r) => !linked.has(`${r.key}\n${r.contentHash}`) && (headOrder === null || compareRecords(r, headOrder) > 0));
  let prev: Pick<ChainLink, 'seq' | 'linkHash'> | null = head;
  let last: ChainLink | null = head;
  for (let i = 0; i < fresh.length; i += BATCH) {
    const links = fresh.slice(i, i + BATCH).map((r) => {
      const l = nextLink(t.chain, prev, r);
      prev = l;
      return l;
    });
    await writeLinks(ch, links, sealer, now);
    last = links[links.length - 1];
  }
  return { chain: t.chain, sealed: fresh.length, head: last };
}
