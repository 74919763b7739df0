// The head of each chain: what a report prints and a webhook carries. An auditor who kept a head can later
// check that the chain still passes through it (`insider audit verify --head chain:seq:hash`), so history
// before it cannot have been rewritten since.
import type { ClickHouse } from '../store';
import { headLink } from './links';
import { CHAINED_TABLES } from './tables';

export interface ChainHead {
  chain: string;
  /** 0 for a chain with no link yet. */
  seq: number;
  /** The head link's hash ("" when none). */
  linkHash: string;
  /** When the head's record was written (ISO), or null. */
  stamp: string | null;
}

export async function chainHeads(ch: ClickHouse): Promise<ChainHead[]> {
  const out: ChainHead[] = [];
  for (const t of CHAINED_TABLES) {
    const h = await headLink(ch, t.chain);
    out.push({ chain: t.chain, seq: h?.seq ?? 0, linkHash: h?.linkHash ?? '', stamp: h ? new Date(h.recordStamp * 1000 + h.recordMs).toISOString() : null });
  }
  return out;
}

/** "alerts:42:3fa9c2..." */
export function formatHead(h: ChainHead): string {
  return `${h.chain}:${h.seq}:${h.linkHash}`;
}

export function parseHead(text: string): { chain: string; seq: number; linkHash: string } | null {
  const m = /^([a-z_]+):(\d+):([0-9a-f]{64})$/.exec(text.trim());
  return m ? { chain: m[1], seq: Number(m[2]), linkHash: m[3] } : null;
}
