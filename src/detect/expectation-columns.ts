// Expectations held in Float64Arrays instead of objects: V8 boxes every double field of an object, so an
// expectation cost about 100 bytes and its Map entry 46 more; in columns, its six numbers. Read back,
// they are equal objects, bit for bit. Used by the pool's judged days (history-judged.ts) and by a built
// history's expectations of its day (history-expectations.ts: packedExpectations).
import { peerDfOf, peerSpreadOf, type Expectation, type PeerPrior } from './statistics/expectation';

/**
 * An expectation's own numbers, in column order. Its peer prior is held apart (shared by the group's
 * members), and so are its peer spread and degrees of freedom when they are what expectationOf derives
 * from that prior (always, for the expectations a build makes): only a hand-made one keeps its own.
 */
export const NUMBERS = ['location', 'spread', 'df', 'ownDays', 'ownWeight', 'mixture'] as const;

export type PeerNumbers = Pick<Expectation, 'peerSpread' | 'peerDf'>;

/** Puts an expectation's numbers at `at`; its peer numbers when they are not the derived ones. */
export function putExpectation(cols: Float64Array, at: number, e: Expectation | null, ownPeerNumbers: Map<number, PeerNumbers>): void {
  if (!e) return;
  for (let k = 0; k < NUMBERS.length; k++) cols[at + k] = e[NUMBERS[k]];
  if (!Object.is(e.peerSpread, peerSpreadOf(e.peers, e.spread)) || !Object.is(e.peerDf, peerDfOf(e.peers))) ownPeerNumbers.set(at, { peerSpread: e.peerSpread, peerDf: e.peerDf });
}

/** The expectation put at `at` (null when `there` is 0). */
export function getExpectation(cols: Float64Array, at: number, there: number, peers: PeerPrior | null, ownPeerNumbers: ReadonlyMap<number, PeerNumbers>): Expectation | null {
  if (!there) return null;
  const spread = cols[at + 1];
  const own = ownPeerNumbers.get(at);
  return {
    location: cols[at],
    spread,
    df: cols[at + 2],
    ownDays: cols[at + 3],
    ownWeight: cols[at + 4],
    peers,
    mixture: cols[at + 5],
    peerSpread: own ? own.peerSpread : peerSpreadOf(peers, spread),
    peerDf: own ? own.peerDf : peerDfOf(peers),
  };
}

/** Peer priors by their place in a list (a few hundred groups), -1 for none: what a column holds of them. */
export function peerPlaces(): { list: Array<PeerPrior | null>; placeOf(p: PeerPrior | null | undefined): number; at(place: number): PeerPrior | null } {
  const list: Array<PeerPrior | null> = [];
  const places = new Map<PeerPrior, number>();
  return {
    list,
    placeOf(p) {
      if (!p) return -1;
      let i = places.get(p);
      if (i === undefined) places.set(p, (i = list.push(p) - 1));
      return i;
    },
    at: (place) => (place < 0 ? null : list[place]),
  };
}
