// The contract against hostile and odd input (issue 14, items 1 and 6): each case fails on the
// validator before the fix (a stack overflow, a dropped key, a shifted time, a stored lone surrogate).
import { guardDecode, nestingDepth, parseEvent, type Parsed } from '../../src/event';

const limits = { maxMessageBytes: 1024 * 1024, maxFutureSkewMs: 24 * 3600 * 1000 };
const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
const base = { event_id: 'e-1', ts: '2026-11-28T10:15:30.250Z', user: 'alice@corp.example', action: 'select', bytes: 1024 };
const text = (s: string) => parseEvent(Buffer.from(s), limits, NOW);
const obj = (o: object) => text(JSON.stringify(o));
const code = (r: Parsed) => (r.ok ? 'ok' : r.code);
const tsOf = (r: Parsed) => (r.ok ? r.event.ts * 1000 + r.event.ts_ms : undefined);

describe('hostile input', () => {
  it('keeps an event whose unknown field is nested 10,000 and 400,000 levels deep, noting the field instead of overflowing the stack', () => {
    for (const depth of [10_000, 400_000]) {
      const r = text(`{"event_id":"deep","ts":"2026-11-28T10:00:00Z","user":"u","action":"SELECT","bytes":1,"meta":${'['.repeat(depth)}${']'.repeat(depth)}}`);
      expect(r.ok).toBe(true);
      if (r.ok) expect(JSON.parse(r.event.extra)).toEqual({ _dropped: 'unknown fields nested deeper than 64 levels' });
    }
    // Nesting within the bound is kept as it came.
    const kept = obj({ ...base, meta: { a: [[{ b: 1 }]] } });
    expect(kept.ok && JSON.parse(kept.event.extra)).toEqual({ meta: { a: [[{ b: 1 }]] } });
  });

  it('measures depth without recursion', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(nestingDepth(deep, 65)).toBe(65);
    expect(nestingDepth({ a: { b: [1, { c: 2 }] } }, 100)).toBe(4);
  });

  it('keeps a "__proto__" key in extra as an ordinary field, without touching any prototype', () => {
    const r = text('{"event_id":"p","ts":"2026-11-28T10:00:00Z","user":"u","action":"SELECT","bytes":1,"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}');
    expect(r.ok && JSON.parse(r.event.extra)).toEqual({ ['__proto__']: { polluted: true }, constructor: { prototype: { x: 1 } } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects zone offsets that do not exist (+99:99, +19:00, minutes over 59) and accepts real ones', () => {
    for (const z of ['+99:99', '+19:00', '-18:30', '+05:60', '+2400']) expect(code(obj({ ...base, ts: `2026-11-28T10:00:00${z}` }))).toBe('bad_timestamp');
    expect(tsOf(obj({ ...base, ts: '2026-11-28T10:00:00+14:00' }))).toBe(Date.UTC(2026, 10, 27, 20, 0, 0));
    expect(tsOf(obj({ ...base, ts: '2026-11-28T10:00:00-0930' }))).toBe(Date.UTC(2026, 10, 28, 19, 30, 0));
    expect(tsOf(obj({ ...base, ts: '2026-11-28T10:00:00+18:00' }))).toBe(Date.UTC(2026, 10, 27, 16, 0, 0));
  });

  it('reads a number below 1e11 as epoch seconds (fractions allowed) and larger ones as milliseconds', () => {
    expect(tsOf(obj({ ...base, ts: 1764590400 }))).toBe(1764590400000);
    expect(tsOf(obj({ ...base, ts: 1764590400.25 }))).toBe(1764590400250);
    expect(tsOf(obj({ ...base, ts: 1764590400123 }))).toBe(1764590400123);
    expect(code(obj({ ...base, ts: 1764590400123.5 }))).toBe('bad_timestamp');
    expect(code(obj({ ...base, ts: -5 }))).toBe('timestamp_out_of_range');
  });

  it('rejects a lone surrogate with one reason, whatever the field', () => {
    for (const field of ['event_id', 'user', 'action', 'table', 'database', 'source', 'client_ip', 'client_app', 'session_id', 'query_id']) {
      // JSON.stringify writes the lone surrogate as the escape "\ud800", as a hostile producer would.
      const r = text(JSON.stringify({ ...base, [field]: 'x\ud800y' }));
      expect({ field, code: code(r) }).toEqual({ field, code: 'unpaired_surrogate' });
    }
    // A proper pair (an emoji) is text.
    expect(code(obj({ ...base, table: 'sales_\u{1F600}' }))).toBe('ok');
  });

  it('strips a UTF-8 byte-order mark', () => {
    const r = parseEvent(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(base))]), limits, NOW);
    expect(code(r)).toBe('ok');
  });

  it('accepts the leap second 23:59:60 as 23:59:59.999 and rejects :60 elsewhere', () => {
    expect(tsOf(obj({ ...base, ts: '2016-12-31T23:59:60Z' }))).toBe(Date.UTC(2016, 11, 31, 23, 59, 59, 999));
    expect(tsOf(obj({ ...base, ts: '2017-01-01T00:59:60+01:00' }))).toBe(Date.UTC(2016, 11, 31, 23, 59, 59, 999));
    expect(code(obj({ ...base, ts: '2016-12-31T23:58:60Z' }))).toBe('bad_timestamp');
  });
});

describe('guardDecode', () => {
  it('turns whatever a decoder throws into the message\'s rejection', () => {
    const overflow = () => {
      const f = (n: number): number => f(n + 1) + 1;
      return f(0);
    };
    const r = guardDecode(overflow);
    expect(r).toMatchObject({ ok: false, code: 'decoder_error' });
    expect((r as { reason: string }).reason).toMatch(/RangeError: Maximum call stack size exceeded/);
    expect(guardDecode(() => ({ ok: true, n: 1 }))).toEqual({ ok: true, n: 1 });
  });
});
