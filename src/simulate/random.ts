// Seeded randomness for the simulator. Every independent part of the simulation (one person's day,
// one scenario, the organisation) draws from its own stream, derived from the seed and a label, so
// adding a scenario or an employee never shifts anybody else's numbers: same seed, same output.
import crypto from 'node:crypto';
import { xoroshiro128plus, type RandomGenerator } from 'pure-rand';
import { SimulationError } from '../errors';

export interface Random {
  /** Uniform in [0, 1), 53 bits. */
  float(): number;
  /** Uniform integer in [min, max], both included. */
  int(min: number, max: number): number;
  chance(p: number): boolean;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** Log-normal with the given median and sigma (of the underlying normal): heavy right tail. */
  logNormal(median: number, sigma: number): number;
  /** Poisson-like count with the given mean (normal approximation above 30), never negative. */
  count(mean: number): number;
  pick<T>(items: ReadonlyArray<T>): T;
  /** One item, with probability proportional to its weight. */
  weighted<T>(items: ReadonlyArray<T>, weight: (item: T) => number): T;
  shuffle<T>(items: ReadonlyArray<T>): T[];
  /** Lower-case hex digits, e.g. for query ids. */
  hex(digits: number): string;
  /** An id shaped like a random UUID (version 4). */
  uuid(): string;
}

/** An independent stream for `label` under `seed`: sha256(seed, label) is the 128-bit generator state. */
export function stream(seed: number, label: string): Random {
  const digest = crypto.createHash('sha256').update(`${seed}\u0000${label}`).digest();
  const state: number[] = [digest.readInt32BE(0), digest.readInt32BE(4), digest.readInt32BE(8), digest.readInt32BE(12)];
  // An all-zero state would emit zeros forever; sha256 practically never yields it, but be exact.
  if (!state.some((s) => s !== 0)) state[3] = 1;
  return fromGenerator(xoroshiro128plus.fromState(state));
}

const TWO_POW_26 = 67108864;
const TWO_POW_53 = 9007199254740992;

function fromGenerator(g: RandomGenerator): Random {
  const u32 = () => g.unsafeNext() >>> 0;
  const float = () => ((u32() >>> 5) * TWO_POW_26 + (u32() >>> 6)) / TWO_POW_53;
  let spare: number | undefined;
  const normal = () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    // 1 - float() is in (0, 1]: log() never sees 0.
    const r = Math.sqrt(-2 * Math.log(1 - float()));
    const theta = 2 * Math.PI * float();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
  const hex = (digits: number) => {
    let out = '';
    while (out.length < digits) out += u32().toString(16).padStart(8, '0');
    return out.slice(0, digits);
  };
  const self: Random = {
    float,
    int: (min, max) => min + Math.floor(float() * (max - min + 1)),
    chance: (p) => float() < p,
    normal,
    logNormal: (median, sigma) => median * Math.exp(sigma * normal()),
    count: (mean) => {
      if (mean <= 0) return 0;
      if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal()));
      // Knuth's method: exact Poisson for small means.
      const limit = Math.exp(-mean);
      let k = 0;
      let p = float();
      while (p > limit) {
        k++;
        p *= float();
      }
      return k;
    },
    pick: (items) => {
      if (items.length === 0) throw new SimulationError('cannot pick from an empty list');
      return items[Math.floor(float() * items.length)];
    },
    weighted: (items, weight) => {
      if (items.length === 0) throw new SimulationError('cannot pick from an empty list');
      const total = items.reduce((s, it) => s + weight(it), 0);
      let x = float() * total;
      for (const it of items) {
        x -= weight(it);
        if (x < 0) return it;
      }
      return items[items.length - 1];
    },
    shuffle: (items) => {
      const out = [...items];
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(float() * (i + 1));
        [out[i], out[j]] = [out[j], out[i]];
      }
      return out;
    },
    hex,
    uuid: () => {
      const h = hex(32);
      const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
    },
  };
  return self;
}
