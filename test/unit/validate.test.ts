import { parseEvent, type RejectCode } from '../../src/ingest';
import { parseTimestamp } from '../../src/event';

const limits = { maxMessageBytes: 1024 * 1024, maxFutureSkewMs: 24 * 3600 * 1000 };
const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
const valid = { event_id: 'e-1', ts: '2026-11-28T10:15:30.250Z', user: 'alice@corp.example', action: 'export', bytes: 1024, rows: 10 };
const parse = (v: unknown, raw = false) => parseEvent(raw ? (v as Buffer) : Buffer.from(JSON.stringify(v)), limits, NOW);

describe('parseEvent', () => {
  it('accepts a canonical event, normalising time to UTC seconds + ms and the action to upper case', () => {
    const r = parse({ ...valid, table: 'customers', database: 'crm', status: 'ok', client_ip: '10.1.2.3', session_id: 's', query_id: 'q', source: 'pg-1', client_app: 'psql' });
    expect(r).toEqual({
      ok: true,
      event: {
        event_id: 'e-1',
        ts: Date.UTC(2026, 10, 28, 10, 15, 30) / 1000,
        ts_ms: 250,
        user: 'alice@corp.example',
        action: 'EXPORT',
        bytes: 1024,
        rows: 10,
        source: 'pg-1',
        db_name: 'crm',
        table_name: 'customers',
        client_ip: '10.1.2.3',
        client_app: 'psql',
        session_id: 's',
        query_id: 'q',
        status: 'ok',
        bytes_estimated: 0,
        identity: '',
        extra: '',
      },
    });
  });

  it('carries bytes_estimated and identity (the person behind a shared role)', () => {
    const r = parse({ ...valid, bytes_estimated: true, identity: 'bob@corp.example' });
    expect(r.ok && [r.event.bytes_estimated, r.event.identity, r.event.extra]).toEqual([1, 'bob@corp.example', '']);
    const measured = parse({ ...valid, bytes_estimated: false });
    expect(measured.ok && measured.event.bytes_estimated).toBe(0);
  });

  it.each([
    ['a string', 'yes'],
    ['a number', 1],
  ])('rejects bytes_estimated given as %s (bad_flag)', (_what, value) => {
    const r = parse({ ...valid, bytes_estimated: value });
    expect(r.ok ? 'accepted' : r.code).toBe('bad_flag');
  });

  it('rejects an identity that is not a string', () => {
    const r = parse({ ...valid, identity: 42 });
    expect(r.ok ? 'accepted' : r.code).toBe('wrong_type');
  });

  it('keeps unknown fields instead of rejecting', () => {
    const r = parse({ ...valid, schema_version: 3, tags: ['a'] });
    expect(r.ok && r.event.extra).toBe('{"schema_version":3,"tags":["a"]}');
  });

  it('defaults optional fields: rows 0, status ok, strings empty', () => {
    const { rows: _rows, ...noRows } = valid;
    const r = parse(noRows);
    expect(r.ok && [r.event.rows, r.event.status, r.event.table_name]).toEqual([0, 'ok', '']);
  });

  it.each([
    ['2026-11-28T10:15:30Z', Date.UTC(2026, 10, 28, 10, 15, 30)],
    ['2026-11-28T10:15:30', Date.UTC(2026, 10, 28, 10, 15, 30)],
    ['2026-11-28 10:15:30.5', Date.UTC(2026, 10, 28, 10, 15, 30, 500)],
    ['2026-11-28T12:15:30+02:00', Date.UTC(2026, 10, 28, 10, 15, 30)],
    ['2026-11-28T05:15:30-0500', Date.UTC(2026, 10, 28, 10, 15, 30)],
    ['2026-11-28T10:15:30.123456789Z', Date.UTC(2026, 10, 28, 10, 15, 30, 123)],
    ['2026-11-28', Date.UTC(2026, 10, 28)],
    [Date.UTC(2026, 10, 28, 10, 15, 30, 7), Date.UTC(2026, 10, 28, 10, 15, 30, 7)],
  ])('reads the timestamp %j as UTC', (ts, expected) => {
    expect(parseTimestamp(ts)).toBe(expected);
  });

  it('reads the common form (toISOString, with or without the fraction) as the full reading does, and hands it anything unusual', () => {
    // Random instants from 1970 to 2200, each as toISOString writes it and without its fraction.
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2000; i++) {
      const t = Math.floor(next() * Date.UTC(2200, 0, 1));
      const iso = new Date(t).toISOString();
      expect([iso, parseTimestamp(iso)]).toEqual([iso, t]);
      expect([iso, parseTimestamp(`${iso.slice(0, 19)}Z`)]).toEqual([iso, t - (t % 1000)]);
    }
    // Leap days, month ends, a leap second (kept as :59.999), the last millisecond of a year.
    expect(parseTimestamp('2024-02-29T12:00:00.000Z')).toBe(Date.UTC(2024, 1, 29, 12));
    expect(parseTimestamp('2000-02-29T00:00:00Z')).toBe(Date.UTC(2000, 1, 29));
    expect(parseTimestamp('2026-06-30T23:59:60Z')).toBe(Date.UTC(2026, 5, 30, 23, 59, 59, 999));
    expect(parseTimestamp('2026-12-31T23:59:59.999Z')).toBe(Date.UTC(2027, 0, 1) - 1);
    expect(parseTimestamp('2026-11-28t10:15:30z')).toBe(Date.UTC(2026, 10, 28, 10, 15, 30));
    expect(parseTimestamp(' 2026-11-28T10:15:30Z')).toBe(Date.UTC(2026, 10, 28, 10, 15, 30));
    // Not real dates or times in the common form's shape: refused as before.
    for (const bad of [
      '2025-02-29T00:00:00Z', '1900-02-29T00:00:00.000Z', '2026-04-31T00:00:00Z', '2026-13-01T00:00:00Z', '2026-00-10T00:00:00Z',
      '2026-01-00T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T23:60:00Z', '2026-01-01T23:59:61Z', '0050-01-01T00:00:00Z',
      '2026-01-01T00:00:00.00aZ', '2026-1a-01T00:00:00Z', '2026-01-01T00:00:00.000X', '2026-01-01X00:00:00Z', '+2026-01-01T00:00:00Z',
    ]) {
      const r = parseTimestamp(bad);
      expect([bad, typeof r === 'number' ? r : r.ok === false && r.code]).toEqual([bad, 'bad_timestamp']);
    }
  });

  // Every row has all four fields: jest passes a done-callback to a test whose row is shorter than its arity.
  const rejects: Array<[string, unknown, RejectCode, boolean]> = [
    ['an empty message', Buffer.alloc(0), 'empty_message', true],
    ['a message over the size limit', Buffer.alloc(limits.maxMessageBytes + 1, 0x20), 'too_large', true],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'invalid_utf8', true],
    ['invalid JSON', Buffer.from('{"event_id": '), 'invalid_json', true],
    ['a JSON array', [valid], 'not_an_object', false],
    ['JSON null', null, 'not_an_object', false],
    ['a JSON string', 'event', 'not_an_object', false],
    ['a missing event_id', { ...valid, event_id: undefined }, 'missing_field', false],
    ['a missing user', { ...valid, user: undefined }, 'missing_field', false],
    ['a missing ts', { ...valid, ts: undefined }, 'missing_field', false],
    ['a missing action', { ...valid, action: undefined }, 'missing_field', false],
    ['missing bytes', { ...valid, bytes: undefined }, 'missing_field', false],
    ['a user that is an object', { ...valid, user: { id: 1 } }, 'wrong_type', false],
    ['an empty user', { ...valid, user: '   ' }, 'empty_string', false],
    ['an event_id over 128 characters', { ...valid, event_id: 'x'.repeat(129) }, 'too_long', false],
    ['a table over 1024 characters', { ...valid, table: 't'.repeat(1025) }, 'too_long', false],
    ['a table that is a number', { ...valid, table: 7 }, 'wrong_type', false],
    ['negative bytes', { ...valid, bytes: -1 }, 'negative_number', false],
    ['fractional bytes', { ...valid, bytes: 1.5 }, 'not_an_integer', false],
    ['bytes as a string', { ...valid, bytes: '100' }, 'wrong_type', false],
    ['bytes beyond 2^53', { ...valid, bytes: 2 ** 60 }, 'number_too_large', false],
    ['negative rows', { ...valid, rows: -3 }, 'negative_number', false],
    ['an unparseable ts', { ...valid, ts: 'yesterday' }, 'bad_timestamp', false],
    ['a ts that is not a real date', { ...valid, ts: '2026-02-30T10:00:00Z' }, 'bad_timestamp', false],
    ['a fractional epoch ts', { ...valid, ts: 1700000000000.5 }, 'bad_timestamp', false],
    ['a ts far in the future', { ...valid, ts: '2200-01-01T00:00:00Z' }, 'timestamp_out_of_range', false],
    ['a ts before 1970', { ...valid, ts: -5000 }, 'timestamp_out_of_range', false],
    ['an unknown status', { ...valid, status: 'maybe' }, 'bad_status', false],
  ];
  it.each(rejects)('rejects %s with a reason', (_what, input, code, raw) => {
    const r = parse(input, raw);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.code).toBe(code);
      expect(r.reason.length).toBeGreaterThan(5);
    }
  });

  it('keeps an oversized set of unknown fields out, but keeps the event', () => {
    const r = parse({ ...valid, blob: 'x'.repeat(20000) });
    expect(r.ok && JSON.parse(r.event.extra)).toEqual({ _dropped: expect.stringContaining('too large') });
  });
});
