// The alert page's and the queue's held reads: nothing is held while the holder does not know of changes;
// a change drops what was read from the changed alerts and every queue page; a read that raced a change is
// neither kept nor shared after it; reads of one key at the same moment share one answer.
import { createReadCache } from '../../src/triage/read-cache';

describe('read cache', () => {
  const counter = () => {
    let n = 0;
    return { load: async () => ++n, runs: () => n };
  };

  it('holds an answer while trusted, until its alert changes; queue pages go with any change', async () => {
    const cache = createReadCache({ trusted: () => true });
    const page = counter();
    const queue = counter();
    const other = counter();
    expect(await cache.get('alert:a', ['a'], 60_000, page.load)).toBe(1);
    expect(await cache.get('alert:a', ['a'], 60_000, page.load)).toBe(1);
    expect(await cache.get('queue', 'any', 60_000, queue.load)).toBe(1);
    expect(await cache.get('alert:b', ['b'], 60_000, other.load)).toBe(1);
    cache.changed(['a']);
    expect(await cache.get('alert:a', ['a'], 60_000, page.load)).toBe(2);
    expect(await cache.get('queue', 'any', 60_000, queue.load)).toBe(2);
    // Another alert's entry stays.
    expect(await cache.get('alert:b', ['b'], 60_000, other.load)).toBe(1);
    cache.changed('all');
    expect(await cache.get('alert:b', ['b'], 60_000, other.load)).toBe(2);
  });

  it('holds nothing while not trusted (a stale change feed), and nothing `keep` refuses', async () => {
    let trusted = false;
    const cache = createReadCache({ trusted: () => trusted });
    const c = counter();
    await cache.get('k', ['a'], 60_000, c.load);
    await cache.get('k', ['a'], 60_000, c.load);
    expect(c.runs()).toBe(2);
    trusted = true;
    await cache.get('k', ['a'], 60_000, c.load);
    // Held while trusted; once the holder no longer knows, asked again.
    await cache.get('k', ['a'], 60_000, c.load);
    expect(c.runs()).toBe(3);
    trusted = false;
    expect(await cache.get('k', ['a'], 60_000, c.load)).toBe(4);
    trusted = true;
    const unsettled = counter();
    await cache.get('u', ['a'], 60_000, unsettled.load, () => false);
    await cache.get('u', ['a'], 60_000, unsettled.load, () => false);
    expect(unsettled.runs()).toBe(2);
  });

  it('ends entries after their ttl', async () => {
    const cache = createReadCache({ trusted: () => true });
    const c = counter();
    await cache.get('k', 'any', 30, c.load);
    await cache.get('k', 'any', 30, c.load);
    expect(c.runs()).toBe(1);
    await new Promise((r) => setTimeout(r, 80));
    await cache.get('k', 'any', 30, c.load);
    expect(c.runs()).toBe(2);
  });

  it('answers a page past its time (within staleMs) while one read replaces it; a change ends that at once', async () => {
    let t = 0;
    const cache = createReadCache({ trusted: () => true, now: () => t });
    const c = counter();
    const get = () => cache.get('queue', 'any', 1000, c.load, undefined, { staleMs: 4000 });
    expect(await get()).toBe(1);
    t = 1500;
    // Past its second: the held page is answered, and one read (not two) replaces it.
    expect(await Promise.all([get(), get()])).toEqual([1, 1]);
    await new Promise((r) => setImmediate(r));
    expect(c.runs()).toBe(2);
    expect(await get()).toBe(2);
    // After a change nothing held is answered, however fresh.
    cache.changed(['x']);
    expect(await get()).toBe(3);
  });

  it('shares a read in flight, but neither keeps nor shares one that a change overtook', async () => {
    const cache = createReadCache({ trusted: () => true });
    let release!: () => void;
    let runs = 0;
    const slow = async () => {
      runs++;
      const mine = runs;
      await new Promise<void>((r) => (release = r));
      return `read ${mine}`;
    };
    const first = cache.get('k', ['a'], 60_000, slow);
    const second = cache.get('k', ['a'], 60_000, slow);
    expect(runs).toBe(1);
    // The alert changes while the read is out: a caller from now on gets a read of its own.
    cache.changed(['a']);
    const third = cache.get('k', ['a'], 60_000, async () => 'after the change');
    release();
    expect(await Promise.all([first, second, third])).toEqual(['read 1', 'read 1', 'after the change']);
    // What the overtaken read brought was not kept; the read that began after the change was.
    expect(await cache.get('k', ['a'], 60_000, async () => 'again')).toBe('after the change');
  });

  it('passes a failure to every caller without keeping it', async () => {
    const cache = createReadCache({ trusted: () => true });
    const failing = () => cache.get('f', ['a'], 60_000, async () => Promise.reject(new Error('ClickHouse away')));
    await expect(Promise.all([failing(), failing()])).rejects.toThrow('ClickHouse away');
    expect(await cache.get('f', ['a'], 60_000, async () => 'back')).toBe('back');
  });
});
