// A pool day's user-days as judged (history-calibration.ts), held in columns. The carry keeps the 28 pool
// days of everyone between two days' builds (history-carry.ts): as objects, each user-day with its two
// expectations cost about 600 bytes (V8 boxes every double field), half a detector's heap; in one
// Float64Array about 200, and 150 now that what can be derived is not kept (NUMBERS). Reading a row gives
// back equal objects: doubles are stored exactly, an absent value (null) is NaN, which no judged value is
// (a surprise of no probability is 700, a log value finite), and whether each expectation is there is a
// flag of its own.
//
// Between two builds of a live detector the columns can wait on disk (spill): they are read once a day, by
// the next day's build, and were more than half of what a detector held (4.2 KB of 7.5 KB a person).
import fs from 'node:fs';
import { InsiderError } from '../errors';
import { peerDfOf, peerSpreadOf, type Expectation, type PeerPrior } from './statistics/expectation';

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
  /** The i-th user-day, as judged (a new object each time); a spilled day is read back first. */
  at(i: number): JudgedUserDay;
  /**
   * Writes the columns to `file` (once: a day spilled before keeps its file) and lets them go. Throws when
   * the file cannot be written, the columns kept.
   */
  spill(file: string): void;
  /** Reads spilled columns back; false (and spilled still) when the file is gone, short or unreadable. */
  restore(): boolean;
  /** Removes the file, if any (the day is not kept any more). */
  discard(): void;
}

/**
 * An expectation's own numbers, in column order. Its peer prior is held apart (shared by the group's
 * members), and so are its peer spread and degrees of freedom when they are what expectationOf derives
 * from that prior (always, for the expectations a build makes): only a hand-made one keeps its own.
 */
const NUMBERS = ['location', 'spread', 'df', 'ownDays', 'ownWeight', 'mixture'] as const;
/** A row: x, surprise, night, hour, sensitiveValue, sensitiveSurprise, then the two expectations' numbers. */
const VOLUME = 6;
const SENSITIVE = VOLUME + NUMBERS.length;
const ROW = SENSITIVE + NUMBERS.length;

const orNaN = (v: number | null) => (v === null ? NaN : v);
const orNull = (v: number) => (Number.isNaN(v) ? null : v);

type PeerNumbers = Pick<Expectation, 'peerSpread' | 'peerDf'>;

/** Puts an expectation's numbers at `at`; its peer numbers when they are not the derived ones. */
function put(cols: Float64Array, at: number, e: Expectation | null, ownPeerNumbers: Map<number, PeerNumbers>): void {
  if (!e) return;
  for (let k = 0; k < NUMBERS.length; k++) cols[at + k] = e[NUMBERS[k]];
  if (!Object.is(e.peerSpread, peerSpreadOf(e.peers, e.spread)) || !Object.is(e.peerDf, peerDfOf(e.peers))) ownPeerNumbers.set(at, { peerSpread: e.peerSpread, peerDf: e.peerDf });
}

function get(cols: Float64Array, at: number, there: number, peers: PeerPrior | null, ownPeerNumbers: Map<number, PeerNumbers>): Expectation | null {
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

/**
 * The rows' numbers in one Float64Array, with the flags and peer numbers beside them. A function of its
 * own: a variable the row loop's closure captured would sit in the context of judgedDay's closures and
 * keep the columns after they are spilled.
 */
function columnsOf(rows: ReadonlyArray<JudgedUserDay>, there: Uint8Array, ownPeerNumbers: Map<number, PeerNumbers>): Float64Array {
  const cols = new Float64Array(rows.length * ROW);
  rows.forEach((r, i) => {
    there[2 * i] = r.volume ? 1 : 0;
    there[2 * i + 1] = r.sensitiveExpectation ? 1 : 0;
    const at = i * ROW;
    cols[at] = r.x;
    cols[at + 1] = r.surprise;
    cols[at + 2] = r.night;
    cols[at + 3] = orNaN(r.hour);
    cols[at + 4] = orNaN(r.sensitiveValue);
    cols[at + 5] = r.sensitiveSurprise;
    put(cols, at + VOLUME, r.volume, ownPeerNumbers);
    put(cols, at + SENSITIVE, r.sensitiveExpectation, ownPeerNumbers);
  });
  return cols;
}

/** The user-days in columns, in their order. */
export function judgedDay(rows: ReadonlyArray<JudgedUserDay>): JudgedDay {
  const users = rows.map((r) => r.user);
  const peers = rows.flatMap((r) => [r.volume?.peers ?? null, r.sensitiveExpectation?.peers ?? null]);
  /** Per row: whether the volume's and the sensitive volume's expectations are there. */
  const there = new Uint8Array(rows.length * 2);
  /** Peer numbers that are not the derived ones, by the column of their expectation. */
  const ownPeerNumbers = new Map<number, PeerNumbers>();
  /** Null while spilled to `file`. */
  let cols: Float64Array | null = columnsOf(rows, there, ownPeerNumbers);
  let file: string | null = null;
  const length = rows.length;
  const restore = (): boolean => {
    if (cols) return true;
    if (!file) return false;
    const back = new Float64Array(length * ROW);
    try {
      const fd = fs.openSync(file, 'r');
      try {
        if (fs.fstatSync(fd).size !== back.byteLength || fs.readSync(fd, new Uint8Array(back.buffer), 0, back.byteLength, 0) !== back.byteLength) return false;
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      return false;
    }
    cols = back;
    return true;
  };
  const columns = (): Float64Array => {
    // Only when another build let its file go meanwhile: this build fails and is tried again, without it.
    if (!restore()) throw new InsiderError('INTERNAL', 'a pool day spilled to disk could not be read back', { retriable: true });
    return cols!;
  };
  return {
    length,
    at(i) {
      const c = columns();
      const at = i * ROW;
      return {
        user: users[i],
        x: c[at],
        volume: get(c, at + VOLUME, there[2 * i], peers[2 * i], ownPeerNumbers),
        surprise: c[at + 1],
        night: c[at + 2],
        hour: orNull(c[at + 3]),
        sensitiveExpectation: get(c, at + SENSITIVE, there[2 * i + 1], peers[2 * i + 1], ownPeerNumbers),
        sensitiveValue: orNull(c[at + 4]),
        sensitiveSurprise: c[at + 5],
      };
    },
    spill(to) {
      if (!cols) return;
      if (!file) {
        // Bit for bit: the doubles as they are in memory (the flags, 2 bytes a row, stay). Half a file is removed.
        try {
          fs.writeFileSync(to, new Uint8Array(cols.buffer, cols.byteOffset, cols.byteLength), { mode: 0o600 });
        } catch (err) {
          fs.rmSync(to, { force: true });
          throw err;
        }
        file = to;
      }
      cols = null;
    },
    restore,
    discard() {
      if (file) fs.rmSync(file, { force: true });
      file = null;
    },
  };
}
