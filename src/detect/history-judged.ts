// A pool day's user-days as judged (history-calibration.ts), held in columns. The carry keeps the 28 pool
// days of everyone between two days' builds (history-carry.ts): as objects, each user-day with its two
// expectations cost about 600 bytes (V8 boxes every double field), half a detector's heap; in one
// Float64Array it is about 200. Reading a row gives back equal objects: doubles are stored exactly, an
// absent value (null) is NaN, which no judged value is (a surprise of no probability is 700, a log value
// finite), and whether each expectation is there is a flag of its own.
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

/** An expectation's numbers, in column order (its peer prior is held apart: shared by the group's members). */
const NUMBERS = ['location', 'spread', 'df', 'ownDays', 'ownWeight', 'mixture', 'peerSpread', 'peerDf'] as const;
/** A row: x, surprise, night, hour, sensitiveValue, sensitiveSurprise, then the two expectations' numbers. */
const VOLUME = 6;
const SENSITIVE = VOLUME + NUMBERS.length;
const ROW = SENSITIVE + NUMBERS.length;

const orNaN = (v: number | null) => (v === null ? NaN : v);
const orNull = (v: number) => (Number.isNaN(v) ? null : v);

function put(cols: Float64Array, at: number, e: Expectation | null): void {
  if (e) for (let k = 0; k < NUMBERS.length; k++) cols[at + k] = e[NUMBERS[k]];
}

function get(cols: Float64Array, at: number, there: number, peers: PeerPrior | null): Expectation | null {
  if (!there) return null;
  return { location: cols[at], spread: cols[at + 1], df: cols[at + 2], ownDays: cols[at + 3], ownWeight: cols[at + 4], peers, mixture: cols[at + 5], peerSpread: cols[at + 6], peerDf: cols[at + 7] };
}

/** The user-days in columns, in their order. */
export function judgedDay(rows: ReadonlyArray<JudgedUserDay>): JudgedDay {
  const users = rows.map((r) => r.user);
  const peers = rows.flatMap((r) => [r.volume?.peers ?? null, r.sensitiveExpectation?.peers ?? null]);
  const cols = new Float64Array(rows.length * ROW);
  /** Per row: whether the volume's and the sensitive volume's expectations are there. */
  const there = new Uint8Array(rows.length * 2);
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
    put(cols, at + VOLUME, r.volume);
    put(cols, at + SENSITIVE, r.sensitiveExpectation);
  });
  return {
    length: rows.length,
    at(i) {
      const at = i * ROW;
      return {
        user: users[i],
        x: cols[at],
        volume: get(cols, at + VOLUME, there[2 * i], peers[2 * i]),
        surprise: cols[at + 1],
        night: cols[at + 2],
        hour: orNull(cols[at + 3]),
        sensitiveExpectation: get(cols, at + SENSITIVE, there[2 * i + 1], peers[2 * i + 1]),
        sensitiveValue: orNull(cols[at + 4]),
        sensitiveSurprise: cols[at + 5],
      };
    },
  };
}
