// How late a detector's revision can land after its stamp (src/alerts/landing.ts), and the readers that go
// by stamp: the notifier's overlap and the sealers' grace period must cover it for any configuration.
import { revisionLandingMs } from '../../src/alerts';
import { DEFAULT_GRACE_MS, sealGraceMs } from '../../src/chain';
import { FENCE_EXPIRY_MS } from '../../src/store';
import { revisionOverlapMs } from '../../src/notify/poll';

const timeouts = (requestTimeoutMs: number, sessionTimeoutMs: number, maxDelayMs: number) => ({
  clickhouse: { requestTimeoutMs },
  detection: { consumer: { sessionTimeoutMs, retry: { maxDelayMs } } },
});

describe('how late an alert revision can land', () => {
  it('with the default time-outs: about 2.5 min, inside the notifier overlap; the sealers wait that long too', () => {
    const c = timeouts(60_000, 30_000, 30_000);
    expect(revisionLandingMs(c)).toBe(149_000);
    expect(revisionOverlapMs(c)).toBe(180_000);
    expect(sealGraceMs(c)).toBe(149_000);
  });

  it('grows with each time-out, and the readers by stamp follow it', () => {
    const base = revisionLandingMs(timeouts(60_000, 30_000, 30_000));
    // A lost answer: the request time-out, then the retry's delay before the next attempt waits for it.
    expect(revisionLandingMs(timeouts(600_000, 30_000, 30_000))).toBe(base + 540_000);
    expect(revisionLandingMs(timeouts(60_000, 30_000, 120_000))).toBe(base + 90_000);
    // The session timeout: the wait before killing, and a dead detector missed only after it.
    expect(revisionLandingMs(timeouts(10_000, 300_000, 1_000))).toBe(10_000 + 300_000 + FENCE_EXPIRY_MS + 300_000 + 15_000);
    for (const c of [timeouts(600_000, 30_000, 30_000), timeouts(60_000, 300_000, 30_000)]) {
      expect(revisionOverlapMs(c)).toBe(revisionLandingMs(c));
      expect(sealGraceMs(c)).toBe(revisionLandingMs(c));
    }
    // Never below the least ones.
    expect(sealGraceMs(timeouts(1_000, 6_000, 1_000))).toBe(DEFAULT_GRACE_MS);
    expect(revisionOverlapMs(timeouts(1_000, 6_000, 1_000))).toBe(180_000);
  });
});
