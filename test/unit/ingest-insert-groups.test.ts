// The partitions of a fetch sharing one insert (src/ingest/insert-groups.ts): who waits for whom, who
// goes together, and that each batch hears its own outcome.
import { createInsertGroups, GROUP_LIMITS } from '../../src/ingest/insert-groups';

type Part = { name: string; users: Set<string>; events: number; bytes: number };
const part = (name: string, ...users: string[]): Part => ({ name, users: new Set(users), events: 100, bytes: 30_000 });

/** A store that records each group it was given and answers every part with its name. */
function recordingStore() {
  const calls: string[][] = [];
  const store = async (parts: Part[]): Promise<Array<PromiseSettledResult<string>>> => {
    calls.push(parts.map((p) => p.name));
    return parts.map((p) => ({ status: 'fulfilled', value: `stored ${p.name}` }));
  };
  return { calls, store };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('insert groups', () => {
  it('holds ready batches until every batch that began is ready, then stores them in one insert', async () => {
    const { calls, store } = recordingStore();
    const groups = createInsertGroups<Part, string>(store);
    const [a, b, c] = [groups.begin(), groups.begin(), groups.begin()];
    const pa = a.insert(part('p0', 'ana'));
    const pb = b.insert(part('p1', 'ben'));
    await settle();
    expect(calls).toEqual([]);
    const pc = c.insert(part('p2', 'cho'));
    expect(await Promise.all([pa, pb, pc])).toEqual(['stored p0', 'stored p1', 'stored p2']);
    expect(calls).toEqual([['p0', 'p1', 'p2']]);
  });

  it('stores batches that share an employee in separate inserts, the others together', async () => {
    const { calls, store } = recordingStore();
    const groups = createInsertGroups<Part, string>(store);
    const tickets = [groups.begin(), groups.begin(), groups.begin(), groups.begin()];
    await Promise.all([
      tickets[0].insert(part('p0', 'ana', 'ben')),
      tickets[1].insert(part('p1', 'cho')),
      tickets[2].insert(part('p2', 'ben')),
      tickets[3].insert(part('p3', 'dev', 'ana')),
    ]);
    expect(calls).toEqual([['p0', 'p1'], ['p2', 'p3']]);
  });

  it('keeps a shared insert within one ClickHouse block and a short query id: rows, bytes and partitions are bounded', async () => {
    for (const [limit, expected] of [
      [{ events: 250 }, [['p0', 'p1'], ['p2']]],
      [{ bytes: 60_000 }, [['p0', 'p1'], ['p2']]],
      [{ parts: 1 }, [['p0'], ['p1'], ['p2']]],
    ] as const) {
      const { calls, store } = recordingStore();
      const groups = createInsertGroups<Part, string>(store, { ...GROUP_LIMITS, ...limit });
      const tickets = [groups.begin(), groups.begin(), groups.begin()];
      await Promise.all(tickets.map((t, i) => t.insert(part(`p${i}`, `user${i}`))));
      expect({ limit, calls }).toEqual({ limit, calls: expected });
    }
  });

  it('goes without a batch still preparing after the longest wait, and takes it in the next insert', async () => {
    const { calls, store } = recordingStore();
    const groups = createInsertGroups<Part, string>(store, { ...GROUP_LIMITS, maxWaitMs: 50 });
    const [a, slow] = [groups.begin(), groups.begin()];
    const started = Date.now();
    expect(await a.insert(part('p0', 'ana'))).toBe('stored p0');
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(calls).toEqual([['p0']]);
    expect(await slow.insert(part('p1', 'ben'))).toBe('stored p1');
    expect(calls).toEqual([['p0'], ['p1']]);
  });

  it('stops waiting for a batch that leaves without inserting (no rows, or a failure)', async () => {
    const { calls, store } = recordingStore();
    const groups = createInsertGroups<Part, string>(store);
    const [a, b] = [groups.begin(), groups.begin()];
    const pa = a.insert(part('p0', 'ana'));
    await settle();
    expect(calls).toEqual([]);
    b.leave();
    expect(await pa).toBe('stored p0');
    expect(calls).toEqual([['p0']]);
    // Leaving again, or after inserting, changes nothing: the next fetch's batches group as before.
    b.leave();
    a.leave();
    const c = groups.begin();
    await c.insert(part('p1', 'ben'));
    expect(calls).toEqual([['p0'], ['p1']]);
  });

  it('answers each batch with its own outcome, and every batch of a group whose store failed', async () => {
    const groups = createInsertGroups<Part, string>(async (parts) =>
      parts.map((p) => (p.name === 'lost' ? { status: 'rejected', reason: new Error('partition taken away') } : { status: 'fulfilled', value: p.name })),
    );
    const [a, b] = [groups.begin(), groups.begin()];
    const kept = a.insert(part('kept', 'ana'));
    const lost = b.insert(part('lost', 'ben'));
    await expect(kept).resolves.toBe('kept');
    await expect(lost).rejects.toThrow('partition taken away');

    const failing = createInsertGroups<Part, string>(async () => {
      throw new Error('ClickHouse down');
    });
    const [c, d] = [failing.begin(), failing.begin()];
    const results = await Promise.allSettled([c.insert(part('p0', 'ana')), d.insert(part('p1', 'ben'))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });

  it('refuses a second insert from one batch', async () => {
    const { store } = recordingStore();
    const groups = createInsertGroups<Part, string>(store);
    const a = groups.begin();
    await a.insert(part('p0', 'ana'));
    await expect(a.insert(part('p0', 'ana'))).rejects.toThrow('inserted twice');
  });
});
