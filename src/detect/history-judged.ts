// A pool day's user-days as judged (history-calibration.ts), held in columns. The carry keeps the 28 pool
// days of everyone between two days' builds (history-carry.ts): as objects, each user-day with its two
// expectations cost about 600 bytes (V8 boxes every double field), half a detector's heap; in one
// Float64Array 168 bytes (21 doubles: what can be derived is not kept, expectation-columns.ts). Reading a
// row gives back equal objects: doubles are stored exactly, an absent value (null) is NaN, which no judged
// value is (a surprise of no probability is 700, a log value finite), and whether each expectation is
// there is a flag of its own.
//
// Between two builds of a live detector the columns and the users can wait on disk (spill): they are read
// once a day, by the next day's build, and were more than half of what a detector held (4.2 KB of 7.5 KB
// a person).
import fs from 'node:fs';
import { InsiderError } from '../errors';
import { getExpectation as get, NUMBERS, peerPlaces, putExpectation as put, type PeerNumbers } from './expectation-columns';
import { USERS_PER_STEP, type Steps } from './history-series';
import type { Expectation } from './statistics/expectation';

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

/** A row: x, surprise, night, hour, sensitiveValue, sensitiveSurprise, then the two expectations' numbers. */
const VOLUME = 6;
const SENSITIVE = VOLUME + NUMBERS.length;
/**
 * Then the expectations' peer priors (their places in the day's list of them, -1 for none) and which
 * expectations are there (bit 0 the volume's, bit 1 the sensitive volume's): in the columns, so that a
 * spilled day holds nothing a row in memory (an array of them per day was 16 bytes a row, 30 MB at 100,000).
 */
const PEERS = SENSITIVE + NUMBERS.length;
const THERE = PEERS + 2;
const ROW = THERE + 1;

const orNaN = (v: number | null) => (v === null ? NaN : v);
const orNull = (v: number) => (Number.isNaN(v) ? null : v);

/**
 * The rows' numbers in one Float64Array, a step per few rows. A function of its own: what it works with
 * stays out of the context judgedDay's closures keep (which would keep the rows after they are spilled).
 */
function* columnsOf(rows: ReadonlyArray<JudgedUserDay>, peers: ReturnType<typeof peerPlaces>, ownPeerNumbers: Map<number, PeerNumbers>): Steps<Float64Array> {
  const cols = new Float64Array(rows.length * ROW);
  const { placeOf } = peers;
  for (let i = 0; i < rows.length; i++) {
    if (i % USERS_PER_STEP === 0) yield;
    const r = rows[i];
    const at = i * ROW;
    cols[at] = r.x;
    cols[at + 1] = r.surprise;
    cols[at + 2] = r.night;
    cols[at + 3] = orNaN(r.hour);
    cols[at + 4] = orNaN(r.sensitiveValue);
    cols[at + 5] = r.sensitiveSurprise;
    put(cols, at + VOLUME, r.volume, ownPeerNumbers);
    put(cols, at + SENSITIVE, r.sensitiveExpectation, ownPeerNumbers);
    cols[at + PEERS] = placeOf(r.volume?.peers);
    cols[at + PEERS + 1] = placeOf(r.sensitiveExpectation?.peers);
    cols[at + THERE] = (r.volume ? 1 : 0) | (r.sensitiveExpectation ? 2 : 0);
  }
  return cols;
}

/** A spilled day's file: the columns' doubles as they are in memory, then the users in JSON. */
function spilledFile(cols: Float64Array, users: ReadonlyArray<string>): Buffer {
  return Buffer.concat([new Uint8Array(cols.buffer, cols.byteOffset, cols.byteLength), Buffer.from(JSON.stringify(users))]);
}

/** The columns and users of a spilled day's file, or null when it is not what was written (short, gone, garbled). */
function readSpilled(file: string, length: number): { cols: Float64Array; users: string[] } | null {
  try {
    const bytes = fs.readFileSync(file);
    const cols = new Float64Array(length * ROW);
    if (bytes.length < cols.byteLength) return null;
    new Uint8Array(cols.buffer).set(bytes.subarray(0, cols.byteLength));
    const users: unknown = JSON.parse(bytes.subarray(cols.byteLength).toString('utf8'));
    if (!Array.isArray(users) || users.length !== length || !users.every((u) => typeof u === 'string')) return null;
    return { cols, users };
  } catch {
    return null;
  }
}

/** The user-days in columns, in their order. */
export function* judgedDay(rows: ReadonlyArray<JudgedUserDay>): Steps<JudgedDay> {
  /** The day's peer priors (a few hundred groups), by their place in the columns. */
  const peers = peerPlaces();
  /** Peer numbers that are not the derived ones, by the column of their expectation. */
  const ownPeerNumbers = new Map<number, PeerNumbers>();
  /** Both null while spilled to `file`. */
  let cols: Float64Array | null = yield* columnsOf(rows, peers, ownPeerNumbers);
  let users: string[] | null = rows.map((r) => r.user);
  let file: string | null = null;
  const length = rows.length;
  const restore = (): boolean => {
    if (cols) return true;
    if (!file) return false;
    const back = readSpilled(file, length);
    if (!back) return false;
    ({ cols, users } = back);
    return true;
  };
  const columns = (): Float64Array => {
    // Only when another build let its file go meanwhile: this build fails and is tried again, without it.
    if (!restore()) throw new InsiderError('INTERNAL', 'a pool day spilled to disk could not be read back', { retriable: true });
    return cols!;
  };
  const peerAt = peers.at;
  return {
    length,
    at(i) {
      const c = columns();
      const at = i * ROW;
      const there = c[at + THERE];
      return {
        user: users![i],
        x: c[at],
        volume: get(c, at + VOLUME, there & 1, peerAt(c[at + PEERS]), ownPeerNumbers),
        surprise: c[at + 1],
        night: c[at + 2],
        hour: orNull(c[at + 3]),
        sensitiveExpectation: get(c, at + SENSITIVE, there & 2, peerAt(c[at + PEERS + 1]), ownPeerNumbers),
        sensitiveValue: orNull(c[at + 4]),
        sensitiveSurprise: c[at + 5],
      };
    },
    spill(to) {
      if (!cols) return;
      if (!file) {
        // Bit for bit: the doubles as they are in memory, and the users. Half a file is removed.
        try {
          fs.writeFileSync(to, spilledFile(cols, users!), { mode: 0o600 });
        } catch (err) {
          fs.rmSync(to, { force: true });
          throw err;
        }
        file = to;
      }
      cols = null;
      users = null;
    },
    restore,
    discard() {
      if (file) fs.rmSync(file, { force: true });
      file = null;
    },
  };
}
