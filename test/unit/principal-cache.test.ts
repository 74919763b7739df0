// The token cache: a token let in is answered without ClickHouse while the change feed is fresh and
// nothing changed; a change, a stale feed, the token's expiry or the time to live send the next check to
// ClickHouse; a check that was under way when something changed does not put its answer in the cache.
import { createPrincipalCache } from '../../src/api/principal-cache';
import type { ClickHouse } from '../../src/store';
import { hashToken } from '../../src/triage';

const DAY = 86_400_000;

/** ClickHouse as checkToken reads it: one token of one user; revocation and disabling are switches. */
function fakeClickHouse(state: { revoked: boolean; disabled: boolean; expiresAt: number; gate?: Promise<void> }) {
  let queries = 0;
  const dt = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
  const ch = {
    database: 'fake',
    async query(q: { text: string }) {
      queries++;
      if (state.gate) await state.gate;
      if (q.text.includes('FROM api_tokens')) {
        return q.text.includes(hashToken('ins_good')) ? [{ token_id: 'tok_00000001', name: 'ana', revoked: state.revoked ? 1 : 0, expires_at: dt(state.expiresAt) }] : [];
      }
      const changes = [{ name: 'ana', event: 'created', role: 'analyst', at: dt(0), at_ms: 0, actor: 'admin', reason: '', change_id: 'a' }];
      if (state.disabled) changes.push({ name: 'ana', event: 'disabled', role: 'analyst', at: dt(1000), at_ms: 0, actor: 'admin', reason: '', change_id: 'b' });
      return changes;
    },
  } as unknown as ClickHouse;
  return { ch, queries: () => queries };
}

describe('token cache', () => {
  const t0 = Date.UTC(2026, 10, 1);

  it('answers a good token from the cache while the feed is fresh, and asks ClickHouse again after a change', async () => {
    const state = { revoked: false, disabled: false, expiresAt: t0 + 30 * DAY };
    const { ch, queries } = fakeClickHouse(state);
    const counted: string[] = [];
    const cache = createPrincipalCache({ ch, now: () => t0, ttlMs: 30_000, trusted: () => true, counted: (r) => counted.push(r) });
    expect(await cache.check('ins_good')).toMatchObject({ ok: true, principal: { name: 'ana', role: 'analyst' } });
    const asked = queries();
    expect(await cache.check('ins_good')).toMatchObject({ ok: true });
    expect(queries()).toBe(asked);
    expect(counted).toEqual(['miss', 'hit']);
    state.revoked = true;
    cache.changed();
    expect(await cache.check('ins_good')).toMatchObject({ ok: false, reason: 'revoked' });
    state.revoked = false;
    state.disabled = true;
    expect(await cache.check('ins_good')).toMatchObject({ ok: false, reason: 'disabled' });
  });

  it('does not trust or keep anything while the feed is stale, and never keeps a refusal', async () => {
    const state = { revoked: false, disabled: false, expiresAt: t0 + 30 * DAY };
    const { ch, queries } = fakeClickHouse(state);
    let fresh = false;
    const cache = createPrincipalCache({ ch, now: () => t0, ttlMs: 30_000, trusted: () => fresh });
    await cache.check('ins_good');
    await cache.check('ins_good');
    expect(cache.size()).toBe(0);
    expect(queries()).toBe(4);
    fresh = true;
    expect(await cache.check('ins_unknown')).toMatchObject({ ok: false, reason: 'unknown' });
    expect(cache.size()).toBe(0);
  });

  it('drops an entry at the time to live and at the token expiry', async () => {
    let now = t0;
    const state = { revoked: false, disabled: false, expiresAt: t0 + 45_000 };
    const { ch, queries } = fakeClickHouse(state);
    const cache = createPrincipalCache({ ch, now: () => now, ttlMs: 30_000, trusted: () => true });
    await cache.check('ins_good');
    now += 29_000;
    await cache.check('ins_good');
    expect(queries()).toBe(2);
    now += 2_000;
    await cache.check('ins_good');
    expect(queries()).toBe(4);
    now = t0 + 45_000;
    expect(await cache.check('ins_good')).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('does not cache the answer of a check that was under way when access changed', async () => {
    let open!: () => void;
    const state: { revoked: boolean; disabled: boolean; expiresAt: number; gate?: Promise<void> } = { revoked: false, disabled: false, expiresAt: t0 + DAY, gate: new Promise<void>((r) => (open = r)) };
    const { ch } = fakeClickHouse(state);
    const cache = createPrincipalCache({ ch, now: () => t0, ttlMs: 30_000, trusted: () => true });
    const pending = cache.check('ins_good');
    cache.changed();
    open();
    expect(await pending).toMatchObject({ ok: true });
    expect(cache.size()).toBe(0);
  });
});
