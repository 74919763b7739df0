// The change feed's poll() is how a caller (a cache test, the API after its own write elsewhere) waits
// until the feed has seen what was written before the call. A look the timer began earlier may have read
// before that write: poll() must then wait for a look that begins after it, not hand back the old one.
import { createChangeFeed } from '../../src/api/change-feed';
import { createLogger } from '../../src/log';
import type { ClickHouse } from '../../src/store';

describe('change feed poll', () => {
  it('sees a write made while an earlier look was still reading', async () => {
    let listing: Array<{ alert_id: string; v: string }> = [{ alert_id: 'a', v: '1' }];
    // The next listing read waits here until released (a slow ClickHouse under load).
    let hold: Promise<void> | null = null;
    let reads = 0;
    const ch = {
      async query(q: { text: string }) {
        if (!q.text.includes('FROM alert_listing')) return [{ tokens: '1', users: '1', dir: '0', dirs: '0' }];
        reads++;
        // What the look reads is what the table held when its query began.
        const snapshot = listing;
        if (hold) await hold;
        return snapshot;
      },
    } as unknown as ClickHouse;
    const feed = createChangeFeed(ch, { pollMs: 1000, log: createLogger({ level: 'silent' }), start: false });
    const changes: string[] = [];
    feed.onAlerts((c) => changes.push(...c.map((x) => `${x.alertId}@${x.version}`)));
    try {
      await feed.poll();
      let release!: () => void;
      hold = new Promise<void>((resolve) => (release = resolve));
      // The timer's look begins and reads the listing before the write...
      const earlier = feed.poll();
      await new Promise((resolve) => setImmediate(resolve));
      // ...the write lands, and a caller asks the feed to look.
      listing = [{ alert_id: 'a', v: '2' }];
      const mine = feed.poll();
      const alsoMine = feed.poll();
      hold = null;
      release();
      await Promise.all([earlier, mine, alsoMine]);
      expect(changes).toEqual(['a@2']);
      // One look for the two callers that came while the earlier one ran.
      expect(reads).toBe(3);
    } finally {
      feed.close();
    }
  });
});
