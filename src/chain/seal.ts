// The sealer: the one sequencer of every chain. Writers (the detector, API replicas, CLI runs, the report
// scheduler, retention) insert their rows without reading or writing a chain, so concurrent appends can
// neither fork nor break one. Sealing appends, per chain, one link per row written since the chain's head,
// in (stamp, ms, key, content hash) order, but only rows older than the grace period: an insert stamped
// earlier but still in flight is sealed by the next pass, in its place.
//
// Sealing is a pure function of the rows and the head: two sealers running at once (a scheduler and a
// manual report) that see the same rows write the same links, which readers collapse. A row that appears
// after the chain was sealed past its stamp (an insert slower than the grace period: ClickHouse 18.16
// cannot kill a stuck one, alerts/landing.ts) is sealed at the tip as a late link while its stamp is
// within LATE_WINDOW_MS of the seal; the verifier lists late links apart. Older, it is never sealed (a
// backdated insert): the verifier names it.
import { revisionLandingMs, type LandingTimeouts } from '../alerts';
import type { ClickHouse } from '../store';
import { frontierLink, headLink, linkOrder, linksSince, nextLink, writeLinks, type ChainLink } from './links';
import { compareRecords, readRecords, type ChainRecord } from './records';
import { CHAINED_TABLES, type ChainedTable } from './tables';

/** Rows younger than this are left for the next pass (inserts in flight). */
export const DEFAULT_GRACE_MS = 120_000;
/**
 * The grace period for the configured time-outs: at least DEFAULT_GRACE_MS, and as long as a detector's
 * alert revision can take to land after its stamp (alerts/landing.ts: 149 s with the defaults).
 */
export const sealGraceMs = (c: LandingTimeouts) => Math.max(DEFAULT_GRACE_MS, revisionLandingMs(c));
/**
 * How old a row that landed after its place was sealed may be and still be sealed (late): the notifier
 * pages revisions that late too (notify.catchUpMs). Past it, a row behind the head is a backdated insert.
 */
export const LATE_WINDOW_MS = 3_600_000;
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
  /** Of those, rows sealed after their place (late links). */
  late: number;
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
  // The newest record sealed: the head, unless the head is a late link.
  const frontier = head && (await frontierLink(ch, t.chain));
  const frontierSec = frontier ? frontier.recordStamp : 0;
  const lateFromSec = Math.max(0, Math.floor((now - LATE_WINDOW_MS) / 1000));
  const fromSec = frontier ? Math.min(frontierSec, lateFromSec) : 0;
  const toSec = Math.max(cutoffSec, frontierSec);
  const records = await readRecords(ch, t, { fromSec, toSec });
  const linked = new Set((head ? await linksSince(ch, t.chain, fromSec) : []).map((l) => `${l.recordKey}\n${l.contentHash}`));
  const unlinked = records.filter((r) => !linked.has(`${r.key}\n${r.contentHash}`));
  const behind = (r: ChainRecord) => frontier !== null && compareRecords(r, linkOrder(frontier)) <= 0;
  // Late rows first, in their order, then the rows after the frontier up to the grace period's cutoff.
  const late = unlinked.filter((r) => behind(r) && r.stamp >= lateFromSec);
  const fresh = unlinked.filter((r) => !behind(r) && r.stamp <= cutoffSec);
  const toSeal = [...late, ...fresh];
  let prev: Pick<ChainLink, 'seq' | 'linkHash'> | null = head;
  let last: ChainLink | null = head;
  for (let i = 0; i < toSeal.length; i += BATCH) {
    const links = toSeal.slice(i, i + BATCH).map((r) => {
      const l = nextLink(t.chain, prev, r);
      prev = l;
      return l;
    });
    await writeLinks(ch, links, sealer, now);
    last = links[links.length - 1];
  }
  return { chain: t.chain, sealed: toSeal.length, late: late.length, head: last };
}
