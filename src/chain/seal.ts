// The sealer: the one sequencer of every chain. Writers (the detector, API replicas, CLI runs, the report
// scheduler, retention) insert their rows without reading or writing a chain, so concurrent appends can
// neither fork nor break one. Sealing appends, per chain, one link per row written since the chain's head,
// in (stamp, ms, key, content hash) order, but only rows older than the grace period: an insert stamped
// earlier but still in flight is sealed by the next pass, in its place.
//
// Sealing is a function of the rows and the head: two sealers running at once (a scheduler and a manual
// report) that see the same rows write the same links, which readers collapse; every link read stops at
// the head read first. (Two that see different rows, one reading before an insert landed and the other
// after, write different links at one seq: a fork, which the verifier names. The grace period makes that
// unlikely for rows in their place.)
//
// A row that lands after the chain was sealed past its stamp (an insert slower than the grace period:
// ClickHouse 18.16 cannot kill a stuck one, alerts/landing.ts) is sealed at the tip as a late link, first
// in the pass, when its stamp is within LATE_WINDOW_MS of the newest record sealed (the frontier) and no
// link names its key (a row whose key is linked already was changed, not late). The verifier checks the
// same rule and lists late links apart. Further behind (a backdated insert), it is never sealed: the
// verifier names it.
import { revisionLandingMs, type LandingTimeouts } from '../alerts';
import { ident, join, sql, type ClickHouse } from '../store';
import { frontierLink, headLink, linkOrder, linksSince, nextLink, writeLinks, type ChainLink } from './links';
import { compareRecords, readRecords, stampedBetween, type ChainRecord } from './records';
import { CHAINED_TABLES, type ChainedTable } from './tables';

/** Rows younger than this are left for the next pass (inserts in flight). */
export const DEFAULT_GRACE_MS = 120_000;
/**
 * The grace period for the configured time-outs: at least DEFAULT_GRACE_MS, and as long as a detector's
 * alert revision can take to land after its stamp (alerts/landing.ts: 149 s with the defaults).
 */
export const sealGraceMs = (c: LandingTimeouts) => Math.max(DEFAULT_GRACE_MS, revisionLandingMs(c));
/**
 * How far behind the newest record sealed a row that landed after its place may be and still be sealed
 * (late): the notifier pages revisions that late too (notify.catchUpMs' default). Further behind, a row
 * is a backdated insert. Measured from the sealed records, not the clock: every sealer (and the
 * verifier) draws the same line, however late it runs.
 */
export const LATE_WINDOW_MS = 3_600_000;
/** The oldest stamp (s) a row may have and be sealed late after `newestSec`: the sealer's and the verifier's one line. */
export const lateWindowStartSec = (newestSec: number) => Math.max(0, newestSec - LATE_WINDOW_MS / 1000);
/** Late rows sealed per pass at most (the rest go next time): their keys are listed in one query. */
const LATE_PER_PASS = 1000;
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

/** What one pass sealed per chain, and the chains that could not be sealed (their error as thrown). */
export interface SealOutcome {
  sealed: SealResult[];
  failed: Array<{ chain: string; error: unknown }>;
}

/** Seals every chain (or opts.chains): a chain that cannot be sealed does not keep the others from it. */
export async function sealEachChain(ch: ClickHouse, opts: SealOptions = {}): Promise<SealOutcome> {
  const now = opts.now ?? Date.now();
  const cutoffSec = Math.floor((now - (opts.graceMs ?? DEFAULT_GRACE_MS)) / 1000);
  const out: SealOutcome = { sealed: [], failed: [] };
  for (const t of CHAINED_TABLES) {
    if (opts.chains && !opts.chains.includes(t.chain)) continue;
    try {
      out.sealed.push(await sealChain(ch, t, cutoffSec, opts.sealer ?? `pid ${process.pid}`, now));
    } catch (error) {
      out.failed.push({ chain: t.chain, error });
    }
  }
  return out;
}

/** Seals every chain (or opts.chains), the others too when one fails; then throws the first failure as it was thrown. */
export async function sealChains(ch: ClickHouse, opts: SealOptions = {}): Promise<SealResult[]> {
  const { sealed, failed } = await sealEachChain(ch, opts);
  if (failed.length > 0) throw failed[0].error;
  return sealed;
}

async function sealChain(ch: ClickHouse, t: ChainedTable, cutoffSec: number, sealer: string, now: number): Promise<SealResult> {
  const head = await headLink(ch, t.chain);
  // Every link read stops at that head: a sealer whose head another passed meanwhile computes, from it,
  // what the other wrote (the same links, which readers collapse), not a different next link (a fork).
  const maxSeq = head?.seq ?? 0;
  // The newest record sealed: the head, unless the head is a late link.
  const frontier = head && (await frontierLink(ch, t.chain, maxSeq + 1));
  const late = frontier ? await lateRecords(ch, t, frontier, maxSeq) : { records: [], more: false };
  // Late rows left for the next pass keep the frontier where it is: moved, it could leave them behind the window.
  const fresh = late.more ? [] : await freshRecords(ch, t, frontier, cutoffSec, maxSeq);
  const toSeal = [...late.records, ...fresh];
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
  return { chain: t.chain, sealed: toSeal.length, late: late.records.length, head: last };
}

/** Rows after the frontier up to the grace period's cutoff that no link names yet, in order. */
async function freshRecords(ch: ClickHouse, t: ChainedTable, frontier: ChainLink | null, cutoffSec: number, maxSeq: number): Promise<ChainRecord[]> {
  const sinceSec = frontier ? frontier.recordStamp : 0;
  if (sinceSec > cutoffSec) return [];
  const records = await readRecords(ch, t, { fromSec: sinceSec, toSec: cutoffSec });
  const linked = new Set((frontier ? await linksSince(ch, t.chain, sinceSec, maxSeq) : []).map((l) => `${l.recordKey}\n${l.contentHash}`));
  return records.filter((r) => !linked.has(`${r.key}\n${r.contentHash}`) && (frontier === null || compareRecords(r, linkOrder(frontier)) > 0));
}

/**
 * Rows behind the frontier, within LATE_WINDOW_MS of it, whose key no link names: rows that landed after
 * their place was sealed (a key linked already is a changed row: the verifier names it). The keys are
 * found by ClickHouse (a pass with none reads no whole rows), LATE_PER_PASS at most; `more` when others wait.
 */
async function lateRecords(ch: ClickHouse, t: ChainedTable, frontier: ChainLink, maxSeq: number): Promise<{ records: ChainRecord[]; more: boolean }> {
  const range = { fromSec: lateWindowStartSec(frontier.recordStamp), toSec: frontier.recordStamp };
  const found = await ch.query<{ k: string }>(sql`
    SELECT DISTINCT ${t.key} AS k FROM ${ident(t.table)}
    WHERE ${join(stampedBetween(t, range), ' AND ')}
      AND ${t.key} NOT IN (SELECT record_key FROM chain_links WHERE chain = ${t.chain} AND seq <= ${maxSeq})
    ORDER BY k
    LIMIT ${LATE_PER_PASS + 1}`);
  if (found.length === 0) return { records: [], more: false };
  const keys = found.slice(0, LATE_PER_PASS).map((r) => r.k);
  const order = linkOrder(frontier);
  const records = (await readRecords(ch, t, { ...range, keys })).filter((r) => compareRecords(r, order) <= 0);
  return { records, more: found.length > LATE_PER_PASS };
}
