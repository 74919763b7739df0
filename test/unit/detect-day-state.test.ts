// A fresh day's rarely written collections (identities, new sensitive tables, allowlisted reasons) are
// shared and empty until its first such event (memory per employee): a write must give that day its
// own, never fill the shared one, which every other employee's day would then read.
import type { AllowlistEntry } from '../../src/detect/allowlist';
import { addEvent, newDayState, type EventFacts } from '../../src/detect/day-state';
import type { DetectEvent } from '../../src/detect/event';

const DAY = 20424;
const facts = (over: Partial<EventFacts> = {}): EventFacts => ({ sensitivity: 'pii', sensitive: true, knownTable: true, timezone: 'UTC', night: { startHour: 22, endHour: 6 }, allowlisted: undefined, ...over });
const ev = (id: string, over: Partial<DetectEvent> = {}): DetectEvent => ({
  eventId: id, ts: Date.UTC(2025, 11, 2, 10), user: 'u1', action: 'SELECT', bytes: 1000, rows: 10,
  table: 'crm.customers', clientIp: '10.0.0.1', clientApp: 'psql', sessionId: 's1', ok: true, ...over,
});
const approved: AllowlistEntry = { user: 'u1', reason: 'quarterly export', from: 0, until: Infinity, tables: null };

describe('a day state written leaves the other days as they were', () => {
  it('identities: an event signed in as someone names them on its own day only', () => {
    const [a, b] = [newDayState('u1', DAY), newDayState('u2', DAY)];
    addEvent(a, ev('e1', { identity: 'alice@corp.example' }), facts());
    addEvent(a, ev('e2', { identity: 'alice@corp.example' }), facts());
    expect([...a.identities]).toEqual([['alice@corp.example', 2000]]);
    expect([b.identities.size, newDayState('u3', DAY).identities.size]).toEqual([0, 0]);
  });

  it('new sensitive tables: a first access counts on its own day only', () => {
    const [a, b] = [newDayState('u1', DAY), newDayState('u2', DAY)];
    addEvent(a, ev('e1'), facts({ knownTable: false }));
    addEvent(a, ev('e2', { table: 'crm.payments' }), facts({ knownTable: false }));
    expect([...a.newSensitive]).toEqual(['crm.customers', 'crm.payments']);
    expect([b.newSensitive.size, newDayState('u3', DAY).newSensitive.size]).toEqual([0, 0]);
  });

  it('allowlisted: the volume and reasons count on their own day only', () => {
    const [a, b] = [newDayState('u1', DAY), newDayState('u2', DAY)];
    addEvent(a, ev('e1'), facts({ allowlisted: approved }));
    addEvent(a, ev('e2'), facts({ allowlisted: approved }));
    expect({ ...a.allowlisted, reasons: [...a.allowlisted.reasons] }).toEqual({ bytes: 2000, rows: 20, events: 2, reasons: ['quarterly export'] });
    for (const other of [b, newDayState('u3', DAY)]) expect({ ...other.allowlisted, reasons: [...other.allowlisted.reasons] }).toEqual({ bytes: 0, rows: 0, events: 0, reasons: [] });
  });
});
