// The API's held alert pages trust the change feed, which looks back LOOKBACK (30 s) of listing rows on
// each poll. When the feed cannot poll for longer than that (ClickHouse slow or unreachable from this
// process while the detector and other API processes still write), the changes made during the gap are
// outside the first successful poll's look-back: nothing held from before the gap may be answered after it.
import type { Config } from '../../src/config';
import { createLive } from '../../src/api/live';
import { createLogger } from '../../src/log';
import type { ClickHouse } from '../../src/store';
import { createRegistry } from '../../src/telemetry';
import { createPseudonyms } from '../../src/triage';

describe('live read cache after a change-feed gap', () => {
  it('answers nothing held from before a gap longer than the look-back, though the feed saw no change', async () => {
    let t = 1_000_000;
    let down = false;
    // What ClickHouse's alert_listing holds in the feed's look-back window (alert id -> version).
    let recent: Array<{ alert_id: string; v: string }> = [];
    const ch = {
      async query(q: { text: string }) {
        if (down) throw new Error('connect ECONNREFUSED');
        if (q.text.includes('FROM alert_listing')) return recent;
        return [{ tokens: '1', users: '1', dir: '0', dirs: '0' }];
      },
    } as unknown as ClickHouse;
    const config = { api: { adminToken: '', live: { pollMs: 1000, heartbeatMs: 15_000, tokenCacheMs: 30_000, repairSeconds: 0, maxStreams: 10 } } } as unknown as Config;
    const live = createLive({ config, ch, log: createLogger({ level: 'silent' }), now: () => t, pseudonyms: createPseudonyms({ enabled: false, key: undefined }), registry: createRegistry(), start: false });
    try {
      await live.feed.poll();
      const reads = live.triage.reads!;
      let stored = 'revision 1';
      const load = async () => stored;
      expect(await reads.get('alert:a', ['a'], 60_000, load)).toBe('revision 1');

      // The feed cannot poll for 40 s; meanwhile the detector writes revision 2 of alert a at t+5 s.
      down = true;
      for (let i = 0; i < 40; i++) {
        t += 1000;
        await live.feed.poll();
        if (i === 5) {
          stored = 'revision 2';
          recent = [{ alert_id: 'a', v: '2' }];
        }
      }
      // ClickHouse answers again; that listing row is now older than the look-back window.
      recent = [];
      down = false;
      t += 1000;
      await live.feed.poll();
      expect(live.feed.fresh()).toBe(true);
      // 41 s after it was read (within its 60 s), the held revision 1 must not be answered.
      expect(await reads.get('alert:a', ['a'], 60_000, load)).toBe('revision 2');
    } finally {
      await live.close();
    }
  });
});
