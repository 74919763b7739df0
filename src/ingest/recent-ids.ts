// The last N event_ids stored from one partition. Producers key by user, so a producer's retry of the
// same event lands on the same partition shortly after the original: this catches it without a lookup.
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity: number) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Remembers an id that is now stored, forgetting the oldest beyond capacity. */
  add(id: string): void {
    if (this.capacity === 0) return;
    this.ids.delete(id);
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      // A Set iterates in insertion order: the first entry is the oldest.
      this.ids.delete(this.ids.values().next().value as string);
    }
  }
}
