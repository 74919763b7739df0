// Estimated bytes and the person behind a shared role, carried from events to an alert's evidence and
// explanation: "≈" where a figure was estimated (pgaudit logs rows, not bytes).
import { addEvent, newDayState, type EventFacts } from '../../src/detect/day-state';
import type { DetectEvent } from '../../src/detect/event';
import { evidenceOf, explanationOf } from '../../src/detect/evidence';

const MB = 1_000_000;
const facts: EventFacts = { sensitivity: 'pii', sensitive: true, knownTable: true, timezone: 'UTC', night: { startHour: 22, endHour: 6 }, allowlisted: undefined };
const ev = (id: string, bytes: number, over: Partial<DetectEvent> = {}): DetectEvent => ({
  eventId: id, ts: Date.UTC(2026, 11, 2, 10, 0, Number(id.replace(/\D/g, '')) || 0), user: 'fx_shared', action: 'COPY', bytes, rows: bytes / 100,
  table: 'shop.public.customers', clientIp: '127.0.0.1', clientApp: 'psql', sessionId: 's1', ok: true, ...over,
});

describe('estimated bytes and identities in the evidence', () => {
  it('an estimated volume is marked with ≈ and says how it was estimated; the people behind the role are named', () => {
    const s = newDayState('fx_shared', 20424);
    addEvent(s, ev('e1', 400 * MB, { estimated: true, identity: 'alice@corp.example' }), facts);
    addEvent(s, ev('e2', 100 * MB, { estimated: true, identity: 'bob@corp.example' }), facts);
    const evidence = evidenceOf(s);
    expect(evidence.estimatedBytes).toBe(500 * MB);
    expect(evidence.identities).toEqual([{ identity: 'alice@corp.example', bytes: 400 * MB }, { identity: 'bob@corp.example', bytes: 100 * MB }]);
    const text = explanationOf(s, [], evidence);
    expect(text).toMatch(/^≈500 MB in /);
    expect(text).toContain('bytes estimated as rows × average row width');
    expect(text).toContain('signed in as alice@corp.example, bob@corp.example');
  });

  it('measured bytes have no ≈; a mix says which part was estimated', () => {
    const measured = newDayState('u', 20424);
    addEvent(measured, ev('e1', 300 * MB), facts);
    expect(explanationOf(measured, [], evidenceOf(measured))).not.toContain('≈');
    addEvent(measured, ev('e2', 200 * MB, { estimated: true }), facts);
    const text = explanationOf(measured, [], evidenceOf(measured));
    expect(text).toMatch(/^≈500 MB in /);
    expect(text).toContain('200 MB of it estimated');
  });

  it('a failed statement (status error) adds neither bytes nor an estimate', () => {
    const s = newDayState('u', 20424);
    addEvent(s, ev('e1', 0, { ok: false, estimated: false, identity: 'alice@corp.example' }), facts);
    expect([s.estimatedBytes, s.failed, evidenceOf(s).identities]).toEqual([0, 1, []]);
  });
});
