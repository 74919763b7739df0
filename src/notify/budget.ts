// Storm control: at most `maxPages` pages per channel in any window of `windowMs` (a sliding window,
// not fixed buckets). Individual pages may use all but one of them, so that a digest can always go out
// soon; alerts beyond that join the channel's open digest, or a new one placed at the earliest time the
// budget allows. Pure and deterministic: the notifier rebuilds it from the outbox after a restart.

export class PageBudget {
  /** Times (ms) of pages placed: past ones within the window, and digests scheduled in the future. */
  private slots: number[] = [];

  constructor(readonly maxPages: number, readonly windowMs: number) {}

  /** How many individual pages a window may hold: one is kept for a digest. */
  get individualLimit(): number {
    return this.maxPages > 1 ? this.maxPages - 1 : 1;
  }

  /** Whether a page at `t` keeps every window [s, s + windowMs) that contains t within `limit`. */
  fits(t: number, limit = this.maxPages): boolean {
    // The count over windows containing t only rises when a later page enters the window's right end.
    const starts = [t - this.windowMs + 1, ...this.slots.filter((r) => r > t && r < t + this.windowMs).map((r) => r - this.windowMs + 1)];
    return starts.every((s) => this.count(s, s + this.windowMs) + 1 <= limit);
  }

  /** The earliest time >= `from` where a page fits within `limit`. */
  earliest(from: number, limit = this.maxPages): number {
    const candidates = [from, ...this.slots.map((s) => s + this.windowMs).filter((t) => t > from)].sort((a, b) => a - b);
    for (const t of candidates) if (this.fits(t, limit)) return t;
    // Unreachable while limit >= 1: after the last slot leaves the window everything fits.
    return Math.max(from, ...this.slots) + this.windowMs;
  }

  add(t: number): void {
    this.slots.push(t);
    this.slots.sort((a, b) => a - b);
  }

  /** Forgets pages that no window from `now` on can contain. */
  prune(now: number): void {
    this.slots = this.slots.filter((s) => s > now - this.windowMs);
  }

  /** Pages in [from, to). */
  count(from: number, to: number): number {
    let n = 0;
    for (const s of this.slots) if (s >= from && s < to) n++;
    return n;
  }

  get size(): number {
    return this.slots.length;
  }
}

/** The largest number of pages in any window of `windowMs` among `times` (for tests and checks). */
export function maxInAnyWindow(times: ReadonlyArray<number>, windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let j = 0;
  for (let i = 0; i < sorted.length; i++) {
    while (sorted[i] - sorted[j] >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

/** Full-jitter exponential backoff: a random delay in [0, min(max, initial * 2^(attempt-1))], at least `floorMs`. */
export function backoffMs(attempt: number, p: { initialDelayMs: number; maxDelayMs: number }, random: () => number = Math.random, floorMs = 0): number {
  const cap = Math.min(p.maxDelayMs, p.initialDelayMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.max(floorMs, Math.round(random() * cap), Math.min(p.initialDelayMs, cap) / 2);
}
