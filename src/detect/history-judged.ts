// A pool day's user-days as judged (history-calibration.ts), held in columns. The carry keeps the 28 pool
// days of everyone between two days' builds (history-carry.ts): as objects, each user-day with its two
// expectations cost about 600 bytes (V8 boxes every double field), half a detector's heap; in one
// Float64Array it was about 200, and is about 110 now that only what cannot be derived is kept (see
// NUMBERS and judgedDay). Reading a row gives back equal objects: doubles are stored exactly, an absent
// value (null) is NaN, which no judged value is (a surprise of no probability is 700, a log value
// finite), and whether each expectation is there is an index of its own.
import type { Expectation, PeerPrior } from './statistics/expectation';

/**
 * A user-day of the pool as the live detector judged it that day: each statistic's value against that
 * day's expectation (null: not judged), and what the slow-drip CUSUMs take from it. The same whichever
 * day's history judges it again, so the next day's history takes it over (history-carry.ts); the
 * CUSUMs are run through the pool again by each history (they start with its first day).
 */
export interface JudgedUserDay {
  user: string;
  /** The day's log volume and its expectation (month-end uplift included), null when it has none. */
  x: number;
  volume: Expectation | null;
  /** Surprise of the volume, and the night-time log share against it (-Infinity: no night bytes), when `volume`. */
  surprise: number;
  night: number;
  /** Surprise of the busiest hour, when the day has one and an expectation. */
  hour: number | null;
  /** The sensitive volume's expectation, the day's log value (null: none that day) and its surprise (0 without). */
  sensitiveExpectation: Expectation | null;
  sensitiveValue: number | null;
  sensitiveSurprise: number;
}

export interface JudgedDay {
  readonly length: number;
  /** The i-th user-day, as judged (a new object each time). */
  at(i: number): JudgedUserDay;
}

/**
 * An expectation's own numbers, in column order. Its peer prior is held apart (shared by the group's
 * members), and so are its peer spread and degrees of freedom when they are what expectationOf derives
 * from that prior (always, for the expectations a build makes): only a hand-made one keeps its own.
 */
const NUMBERS = ['location', 'spread', 'df', 'ownDays', 'ownWeight', 'mixture'] as const;
const EXPECTATION = NUMBERS.length;
/** A row: x, surprise, night, hour, sensitiveValue, sensitiveSurprise, then the volume expectation's numbers. */
const VOLUME = 6;
const ROW = VOLUME + EXPECTATION;

const orNaN = (v: number | null) => (v === null ? NaN : v);
const orNull = (v: number) => (Number.isNaN(v) ? null : v);

/** The peer numbers expectationOf gives an expectation with this prior and spread. */
const peerSpreadOf = (peers: PeerPrior | null, spread: number) => (peers ? Math.sqrt(peers.between ** 2 + peers.within ** 2) : spread);
const peerDfOf = (peers: PeerPrior | null) => (peers ? Math.max(3, peers.members - 1) : 3);

function put(cells: Float64Array, at: number, e: Expectation): void {
  for (let k = 0; k < EXPECTATION; k++) cells[at + k] = e[NUMBERS[k]];
}

/** Reads back the i-th of `list` from its numbers' cells: its prior, and its peer numbers unless derived. */
function readerOf(list: ReadonlyArray<Expectation>) {
  const peers = list.map((e) => e.peers);
  const own = new Map<number, { peerSpread: number; peerDf: number }>();
  list.forEach((e, i) => {
    if (!Object.is(e.peerSpread, peerSpreadOf(e.peers, e.spread)) || !Object.is(e.peerDf, peerDfOf(e.peers))) own.set(i, { peerSpread: e.peerSpread, peerDf: e.peerDf });
  });
  return (cells: Float64Array, at: number, i: number): Expectation => {
    const p = peers[i];
    const spread = cells[at + 1];
    const kept = own.get(i);
    return {
      location: cells[at],
      spread,
      df: cells[at + 2],
      ownDays: cells[at + 3],
      ownWeight: cells[at + 4],
      peers: p,
      mixture: cells[at + 5],
      peerSpread: kept ? kept.peerSpread : peerSpreadOf(p, spread),
      peerDf: kept ? kept.peerDf : peerDfOf(p),
    };
  };
}

/**
 * The user-days in columns, in their order. The sensitive volume's expectation is held apart, for the
 * user-days that have one (most people touch no sensitive table: its columns were half of each row).
 */
export function judgedDay(rows: ReadonlyArray<JudgedUserDay>): JudgedDay {
  const users = rows.map((r) => r.user);
  const volumes = rows.flatMap((r) => (r.volume ? [r.volume] : []));
  const sensitives = rows.flatMap((r) => (r.sensitiveExpectation ? [r.sensitiveExpectation] : []));
  const cols = new Float64Array(rows.length * ROW);
  const sensitiveCols = new Float64Array(sensitives.length * EXPECTATION);
  /** Per row: the index of its volume and of its sensitive expectation in their lists, -1 when it has none. */
  const volumeAt = new Int32Array(rows.length).fill(-1);
  const sensitiveAt = new Int32Array(rows.length).fill(-1);
  let v = 0;
  let s = 0;
  rows.forEach((r, i) => {
    const at = i * ROW;
    cols[at] = r.x;
    cols[at + 1] = r.surprise;
    cols[at + 2] = r.night;
    cols[at + 3] = orNaN(r.hour);
    cols[at + 4] = orNaN(r.sensitiveValue);
    cols[at + 5] = r.sensitiveSurprise;
    if (r.volume) {
      put(cols, at + VOLUME, r.volume);
      volumeAt[i] = v++;
    }
    if (r.sensitiveExpectation) {
      put(sensitiveCols, s * EXPECTATION, r.sensitiveExpectation);
      sensitiveAt[i] = s++;
    }
  });
  const volumeOf = readerOf(volumes);
  const sensitiveOf = readerOf(sensitives);
  return {
    length: rows.length,
    at(i) {
      const at = i * ROW;
      return {
        user: users[i],
        x: cols[at],
        volume: volumeAt[i] < 0 ? null : volumeOf(cols, at + VOLUME, volumeAt[i]),
        surprise: cols[at + 1],
        night: cols[at + 2],
        hour: orNull(cols[at + 3]),
        sensitiveExpectation: sensitiveAt[i] < 0 ? null : sensitiveOf(sensitiveCols, sensitiveAt[i] * EXPECTATION, sensitiveAt[i]),
        sensitiveValue: orNull(cols[at + 4]),
        sensitiveSurprise: cols[at + 5],
      };
    },
  };
}
