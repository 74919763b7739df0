// The write lease: a member writes only while its last successful heartbeat was sent less than half a
// session timeout ago; a heartbeat read late (after a pause) proves nothing about the pause.
import { createLease, leaseSpan } from '../../src/ingest/lease';
import { Abandoned } from '../../src/kafka/retry';

describe('write lease', () => {
  let t = 0;
  const lease = () => createLease({ sessionTimeoutMs: 10_000, now: () => t });

  it('holds for half a session timeout after a heartbeat was sent, counted from the send', () => {
    t = 1000;
    const l = lease();
    expect(l.valid()).toBe(false);
    l.onRequest({ apiName: 'Heartbeat', duration: 200 });
    l.onHeartbeat();
    t = 1000 + 4700;
    expect(l.valid()).toBe(true);
    t = 1000 + 4900;
    expect(l.valid()).toBe(false);
  });

  it('does not count a heartbeat whose answer was read after a 12 s pause', () => {
    t = 50_000;
    const l = lease();
    l.onRequest({ apiName: 'Heartbeat', duration: 12_000 });
    l.onHeartbeat();
    expect(l.valid()).toBe(false);
    l.onRequest({ apiName: 'Fetch', duration: 1 });
    l.onHeartbeat();
    expect(l.valid()).toBe(false);
  });

  it("gives a batch's ownership up when the group moves to a new generation, even where the member keeps the partition and proves the lease again", async () => {
    t = 0;
    const l = lease();
    l.onRequest({ apiName: 'Heartbeat', duration: 1 });
    l.onHeartbeat();
    const batch = { heartbeat: async () => {}, isStale: () => false };
    const before = l.ownership(batch, () => true);
    expect(before.owned()).toBe(true);
    await expect(before.confirm()).resolves.toBeUndefined();
    l.onJoin();
    l.onRequest({ apiName: 'Heartbeat', duration: 1 });
    l.onHeartbeat();
    expect(l.valid()).toBe(true);
    expect(before.owned()).toBe(false);
    await expect(before.confirm()).rejects.toBeInstanceOf(Abandoned);
    // A batch fetched in the new generation owns its partition; a stale one or a stopping process does not.
    expect(l.ownership(batch, () => true).owned()).toBe(true);
    expect(l.ownership({ ...batch, isStale: () => true }, () => true).owned()).toBe(false);
    expect(l.ownership(batch, () => false).owned()).toBe(false);
  });

  it('is void after a rejoin', () => {
    t = 0;
    const l = lease();
    l.onRequest({ apiName: 'Heartbeat', duration: 1 });
    l.onHeartbeat();
    l.onJoin();
    expect(l.valid()).toBe(false);
  });

  it('confirm() heartbeats to renew, and abandons when the heartbeat fails (the partition moved)', async () => {
    t = 0;
    const l = lease();
    await l.confirm(async () => {
      l.onRequest({ apiName: 'Heartbeat', duration: 5 });
      l.onHeartbeat();
    }, () => true);
    expect(l.valid()).toBe(true);
    t = 100_000;
    await expect(l.confirm(async () => Promise.reject(new Error('The coordinator is not aware of this member')), () => true)).rejects.toBeInstanceOf(Abandoned);
    await expect(l.confirm(async () => {}, () => false)).rejects.toBeInstanceOf(Abandoned);
  });

  it('leaves room within the session timeout for the insert fence to close', () => {
    // The insert's session is opened before the lease check and lives at most the fence's time after:
    // span + fence must stay within the session timeout, or a paused writer could insert late.
    expect(leaseSpan(30_000, 4_000)).toBe(15_000);
    expect(leaseSpan(10_000, 4_000)).toBe(5_000);
    expect(leaseSpan(6_000, 4_000)).toBe(2_000);
    for (const timeout of [8_000, 10_000, 30_000, 60_000]) expect(leaseSpan(timeout, 4_000) + 4_000).toBeLessThanOrEqual(timeout);
    t = 0;
    const l = createLease({ sessionTimeoutMs: 6_000, spanMs: leaseSpan(6_000, 4_000), now: () => t });
    l.onRequest({ apiName: 'Heartbeat', duration: 0 });
    l.onHeartbeat();
    t = 1_999;
    expect(l.valid()).toBe(true);
    t = 2_001;
    expect(l.valid()).toBe(false);
  });
});
