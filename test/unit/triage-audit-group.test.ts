// The audit trail's group commit (src/triage/audit.ts): concurrent entries share inserts, every caller
// waits for the insert that holds its entry, and an insert's failure fails each of its callers.
import { audit, type AuditEntry } from '../../src/triage/audit';
import type { ClickHouse } from '../../src/store';

const entry = (n: number): AuditEntry => ({ at: 1_790_000_000_000 + n, actor: 'ana', role: 'analyst', action: 'alert.view', target: `al_${n}`, sourceIp: '10.0.0.1', requestId: `req-${n}`, details: {} });

/** A ClickHouse whose inserts take a turn of the event loop; `fail` makes the next insert throw. */
function fakeCh() {
  const inserts: Array<Array<{ target: string }>> = [];
  let fail = false;
  const ch = {
    insert: async (table: string, rows: ReadonlyArray<{ target: string }>) => {
      expect(table).toBe('audit_log');
      await new Promise((r) => setTimeout(r, 5));
      if (fail) {
        fail = false;
        throw new Error('ClickHouse unreachable');
      }
      // As 18.16 does: one row it cannot take refuses the whole insert.
      const loneSurrogate = (v: unknown) => typeof v === 'string' && /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(v);
      if (rows.some((r) => r.target === 'refused' || Object.values(r).some(loneSurrogate))) throw new Error('Cannot parse input');
      inserts.push([...rows]);
    },
  } as unknown as ClickHouse;
  return { ch, inserts, failNext: () => (fail = true) };
}

describe('audit group commit', () => {
  it('writes twenty concurrent entries in two inserts, the first at once, and resolves each only once stored', async () => {
    const { ch, inserts } = fakeCh();
    const stored: string[] = [];
    const done = Array.from({ length: 20 }, (_, i) =>
      audit(ch, entry(i)).then(() => {
        // Resolved only when its entry is in an insert that completed.
        expect(inserts.flat().map((r) => r.target)).toContain(`al_${i}`);
        stored.push(`al_${i}`);
      }),
    );
    await Promise.all(done);
    expect(inserts.map((b) => b.length)).toEqual([1, 19]);
    expect(new Set(inserts.flat().map((r) => r.target)).size).toBe(20);
    expect(stored).toHaveLength(20);
  });

  it("fails every caller of a failed insert, and the entries queued behind it are still written", async () => {
    const { ch, inserts, failNext } = fakeCh();
    failNext();
    const first = audit(ch, entry(1));
    const second = audit(ch, entry(2));
    const third = audit(ch, entry(3));
    await expect(first).rejects.toThrow('unreachable');
    await expect(Promise.all([second, third])).resolves.toBeDefined();
    expect(inserts.flat().map((r) => r.target).sort()).toEqual(['al_2', 'al_3']);
    // A later entry starts a new insert at once.
    await audit(ch, entry(4));
    expect(inserts.at(-1)!.map((r) => r.target)).toEqual(['al_4']);
  });

  it("fails only the entry ClickHouse refuses, not the others that shared its insert", async () => {
    const { ch, inserts } = fakeCh();
    const first = audit(ch, entry(1)); // goes at once, alone
    const queued = [audit(ch, entry(2)), audit(ch, { ...entry(3), target: 'refused' }), audit(ch, entry(4))];
    await first;
    const outcomes = await Promise.allSettled(queued);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(inserts.flat().map((r) => r.target).sort()).toEqual(['al_1', 'al_2', 'al_4']);
  });

  it('stores a name holding a lone surrogate (a sign-in name from an identity provider) with U+FFFD in its place', async () => {
    const { ch, inserts } = fakeCh();
    await audit(ch, { ...entry(5), actor: 'eve\ud800' });
    expect((inserts[0][0] as unknown as { actor: string }).actor).toBe('eve\ufffd');
  });
});

