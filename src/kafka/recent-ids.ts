// The last event_ids stored from one partition. Producers key by user, so a producer's retry of the
// same event lands on the same partition shortly after the original: this catches it without a lookup.
// Two generations of half the capacity each: adding and forgetting are O(1). (Deleting the oldest
// entry of one big Set one at a time makes V8 skip ever more holes: it slowed ingestion by half.)
/** The generation before the first: shared, never written (a detector keeps one RecentIds per employee and day). */
const NO_IDS: ReadonlySet<string> = new Set<string>();

export class RecentIds {
  private current = new Set<string>();
  private previous = NO_IDS;
  private readonly generationSize: number;

  constructor(capacity: number) {
    this.generationSize = Math.ceil(capacity / 2);
  }

  has(id: string): boolean {
    return this.current.has(id) || this.previous.has(id);
  }

  /** Remembers an id that is now stored; the oldest generation is forgotten when the newest is full. */
  add(id: string): void {
    if (this.generationSize === 0) return;
    this.current.add(id);
    if (this.current.size >= this.generationSize) {
      this.previous = this.current;
      this.current = new Set();
    }
  }
}
