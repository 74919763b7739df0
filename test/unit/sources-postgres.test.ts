// The postgres format on lines a real PostgreSQL 15 + pgaudit 1.7 wrote (test/fixtures/postgres/, captured
// by scripts/capture-postgres-fixtures.ts): each scenario case's events, in all three destinations, with
// the bytes estimated from the statistics read at the time against the true COPY bytes.
import fs from 'node:fs';
import path from 'node:path';
import { createSources, LIMITS, postgresLayoutFreeDecoder } from './sources-helpers';
import { decodeFixture, FIXTURE_DIR, fixtureRecords, fixtureStats, type Destination, type FixtureEvent } from '../fixtures/postgres/decode';
import type { CaseResult } from '../fixtures/postgres/scenario';

/** The documented error of one event's estimated bytes against the true COPY text (docs/sources/postgres.md). */
export const EVENT_ESTIMATE_ERROR = 0.25;
/** ... and of a whole table (COPY t TO, pg_dump -t). */
export const TABLE_ESTIMATE_ERROR = 0.05;

const { cases, names } = JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR, 'cases.json'), 'utf8')) as { cases: CaseResult[]; names: { database: string } };
const DESTINATIONS: Destination[] = ['jsonlog', 'csvlog', 'stderr'];

function eventsOf(events: FixtureEvent[], c: CaseResult): FixtureEvent[] {
  return events.filter((e) => e.client_app === c.app && e.database === names.database && (c.app !== 'pg_dump' || e.table !== ''));
}

describe.each(DESTINATIONS)('postgres %s, captured from the real server', (destination) => {
  let events: FixtureEvent[];
  let rejected: string[];
  beforeAll(async () => {
    const decoded = await decodeFixture(destination);
    events = decoded.events;
    rejected = decoded.outcomes.flatMap((o, i) => (o.ok ? [] : [`${o.code}: ${o.reason} <- ${decoded.records[i].slice(0, 80)}`]));
  });

  it('reads every record the server wrote (nothing dead-lettered)', () => {
    expect(rejected).toEqual([]);
    expect(events.length).toBeGreaterThan(cases.length);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s: exact user, identity, action, tables, rows, status; bytes within the documented error', (_name, c) => {
    const got = eventsOf(events, c);
    expect(got.map((e) => ({ user: e.user, identity: e.identity, action: e.action, table: e.table, rows: e.rows, status: e.status }))).toEqual(
      c.expected.map((x) => ({ user: x.user, identity: x.identity, action: x.action, table: x.table, rows: x.rows, status: x.status })),
    );
    got.forEach((e, i) => {
      const truth = c.expected[i].trueBytes;
      if (truth === undefined) {
        expect([e.bytes, e.bytes_estimated]).toEqual([0, false]);
        return;
      }
      const bound = c.expected[i].rows >= 1000 ? TABLE_ESTIMATE_ERROR : EVENT_ESTIMATE_ERROR;
      expect(e.bytes_estimated).toBe(true);
      expect(Math.abs(e.bytes - truth) / truth).toBeLessThanOrEqual(bound);
      expect(e.session_id).toMatch(/^[0-9a-f]+\.[0-9a-f]+$/);
      expect(e.client_ip).toBe('127.0.0.1');
      expect(e.source).toBe('fixture-pg');
    });
  });

  it('keeps the statement, its newlines, commas, quotes and non-ASCII text intact', () => {
    const [e] = eventsOf(events, cases.find((c) => c.name === 'quoting')!);
    expect(e.statement).toBe(`SELECT *, 'a, "quoted" value' AS label\nFROM customers\nWHERE name LIKE 'Zoë Ünal-%'\n  AND id <= 200`);
  });

  it('a prepared statement: the text with its placeholder, parameters not logged', () => {
    const [e] = eventsOf(events, cases.find((c) => c.name === 'prepared')!);
    expect([e.statement, e.parameter]).toEqual(['SELECT * FROM customers WHERE id <= $1', '<not logged>']);
  });

  it('COPY t TO (pgaudit 1.7 logs neither table nor rows): the rows are the table statistics, and say so', () => {
    const [e] = eventsOf(events, cases.find((c) => c.name === 'copy-table')!);
    expect([e.rows_from, e.width_from]).toEqual(['reltuples', 'pg_stats']);
  });

  it('COPY t TO is counted when it starts (log_statement), and pgaudit\'s line at its end not again', () => {
    const [e] = eventsOf(events, cases.find((c) => c.name === 'copy-table')!);
    expect(e.counted_at).toBe('start (log_statement)');
  });

  it('without log_statement lines, COPY t TO is counted once, from pgaudit\'s line at its end', async () => {
    const sources = createSources(destination);
    const records = fixtureRecords(destination).filter((r) => !/statement: COPY/.test(r));
    const outcomes = await sources.decodeBatch('fixture', records.map((r, i) => ({ value: Buffer.from(r), topic: 'fixture', partition: 0, offset: String(i) })), { maxMessageBytes: 1 << 20, maxFutureSkewMs: 1e12 }, Date.UTC(2030, 0, 1));
    const copies = outcomes.flatMap((o) => (o.ok ? o.events : [])).filter((e) => e.client_app === 'case-copy-table' && e.user === 'fx_analyst');
    expect(copies.map((e) => [e.action, e.table_name, e.rows, JSON.parse(e.extra).counted_at])).toEqual([['COPY', 'public.customers', 3000, undefined]]);
  });

  it('a failed query carries the error and moves nothing', () => {
    const [e] = eventsOf(events, cases.find((c) => c.name === 'denied')!);
    if (destination !== 'stderr') expect([e.error, e.sqlstate]).toEqual(['permission denied for table secrets', '42501']);
    expect([e.status, e.bytes, e.rows]).toEqual(['error', 0, 0]);
  });

  it('event ids are unique and derived from the log (server, session, line): a replay gives the same ids', async () => {
    const ids = events.map((e) => e.event_id);
    expect(new Set(ids).size).toBe(ids.length);
    const again = await decodeFixture(destination);
    expect(again.events.map((e) => e.event_id)).toEqual(ids);
  });
});

describe('postgres destinations agree', () => {
  it('jsonlog, csvlog and stderr make the same events of the same statements', async () => {
    const project = (e: FixtureEvent) => [e.ts, e.user, e.identity, e.action, e.table, e.rows, e.bytes, e.status, e.session_id, e.client_app].join('|');
    const [j, c, s] = await Promise.all(DESTINATIONS.map((d) => decodeFixture(d)));
    expect(c.events.map(project)).toEqual(j.events.map(project));
    expect(s.events.map(project)).toEqual(j.events.map(project));
  });

  it('the jsonlog decodes to the reviewed expected events (test/fixtures/postgres/expected.jsonl)', async () => {
    const expected = fs.readFileSync(path.join(FIXTURE_DIR, 'expected.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown);
    expect((await decodeFixture('jsonlog')).events).toEqual(expected);
  });
});

describe('postgres records that cannot be read are dead-lettered with a reason, never thrown', () => {
  const decode = (destination: Destination, text: string | Buffer) => postgresLayoutFreeDecoder(destination)(Buffer.isBuffer(text) ? text : Buffer.from(text));
  const auditRecord = (d: Destination) => fixtureRecords(d).find((r) => r.includes('AUDIT: SESSION') && r.includes('Zoë'))!;

  it.each(DESTINATIONS)('%s: every truncation of a real AUDIT record is either read or rejected with a code', (destination) => {
    const record = auditRecord(destination);
    const codes = new Set<string>();
    for (let cut = 1; cut < record.length; cut++) {
      const r = decode(destination, record.slice(0, cut));
      if (!r.ok) codes.add(r.code);
    }
    expect(codes.size).toBeGreaterThan(0);
    for (const code of codes) expect(['invalid_json', 'not_a_record', 'truncated_record', 'bad_timestamp', 'bad_audit_line', 'wrong_format', 'missing_field', 'empty_string', 'envelope_unknown', 'envelope_invalid_json']).toContain(code);
  });

  it('jsonlog cut short: invalid_json', () => {
    const r = decode('jsonlog', auditRecord('jsonlog').slice(0, 120));
    expect(r.ok ? 'read' : r.code).toBe('invalid_json');
  });

  it('csvlog cut inside a quoted statement: truncated_record', () => {
    const rec = auditRecord('csvlog');
    const r = decode('csvlog', rec.slice(0, rec.indexOf('Zoë')));
    expect(r.ok ? 'read' : r.code).toBe('truncated_record');
  });

  it('stderr: a continuation line alone (the shipper did not join lines): truncated_record, saying how to fix it', () => {
    const r = decode('stderr', '\tFROM customers');
    expect(r.ok ? 'read' : [r.code, r.reason]).toEqual(['truncated_record', expect.stringContaining('join lines in the shipper')]);
  });

  it('an AUDIT line without its fields: bad_audit_line', () => {
    const rec = JSON.parse(auditRecord('jsonlog')) as Record<string, unknown>;
    const r = decode('jsonlog', JSON.stringify({ ...rec, message: 'AUDIT: SESSION,1' }));
    expect(r.ok ? 'read' : r.code).toBe('bad_audit_line');
  });

  it('a log_timezone abbreviation that is ambiguous: bad_timestamp naming the setting', () => {
    const rec = JSON.parse(auditRecord('jsonlog')) as Record<string, unknown>;
    const r = decode('jsonlog', JSON.stringify({ ...rec, timestamp: '2026-12-02 04:16:03.903 CET' }));
    expect(r.ok ? 'read' : [r.code, r.reason]).toEqual(['bad_timestamp', expect.stringContaining("log_timezone = 'UTC'")]);
  });

  it.each<[string, Destination, () => string, string]>([
    ['a csvlog record on a jsonlog topic', 'jsonlog', () => auditRecord('csvlog'), 'a csvlog record'],
    ['a jsonlog record on a csvlog topic', 'csvlog', () => auditRecord('jsonlog'), 'a jsonlog record'],
    ['a stderr line on a csvlog topic', 'csvlog', () => auditRecord('stderr'), 'a stderr line'],
    ['a canonical event on a jsonlog topic', 'jsonlog', () => JSON.stringify({ msg: JSON.stringify({ event_id: 'e', user: 'u' }) }), 'JSON object that is not'],
    ['a MariaDB slow-log line on a stderr topic', 'stderr', () => '# Time: 2026-12-02T03:16:03.903Z', 'MySQL/MariaDB'],
  ])('the wrong format (%s): wrong_format, naming what it looks like', (_what, destination, line, says) => {
    const r = decode(destination, line());
    expect(r.ok ? 'read' : [r.code, r.reason]).toEqual(['wrong_format', expect.stringContaining(says)]);
  });

  it.each([
    ['empty', Buffer.alloc(0), 'empty_message'],
    ['not UTF-8 and no record (its bytes read as U+FFFD)', Buffer.from([0xff, 0xfe, 0x41]), 'wrong_format'],
    ['an envelope whose line is a number', '{"log": 5}', 'envelope_field_not_string'],
    ['an envelope without a line', '{"level": "info", "host": "db1"}', 'envelope_unknown'],
    ['a JSON array', '[1, 2]', 'wrong_format'],
  ] as const)('%s: %s', (_what, value, code) => {
    const r = decode('csvlog', value);
    expect(r.ok ? 'read' : r.code).toBe(code);
  });
});

describe('shipper envelopes around real records', () => {
  const decodeAll = (destination: Destination, wrap: (record: string) => string) => {
    const decoder = postgresLayoutFreeDecoder(destination);
    return fixtureRecords(destination).map((r) => decoder(Buffer.from(wrap(r))));
  };
  const project = (results: ReturnType<typeof decodeAll>) => results.map((r) => (r.ok ? r.events.map((e) => `${e.event.event_id}|${e.event.rows}|${e.event.table_name}`).join(',') : r.code));

  it.each([
    ['Fluent Bit (tail)', (r: string) => JSON.stringify({ date: 1764645363.903, log: `${r}\n` })],
    ['Vector (file)', (r: string) => JSON.stringify({ file: '/var/log/postgresql/postgresql.json', host: 'db1', message: r, source_type: 'file', timestamp: '2026-12-02T03:16:03.903Z' })],
    ['Filebeat (filestream)', (r: string) => JSON.stringify({ '@timestamp': '2026-12-02T03:16:03.903Z', log: { file: { path: '/var/log/postgresql/postgresql.csv' }, offset: 1234 }, message: r, input: { type: 'filestream' } })],
    ['rsyslog (JSON template)', (r: string) => JSON.stringify({ msg: r, host: 'db1', file: '/var/log/postgresql/postgresql' })],
  ])('%s: the same events as the bare lines, in every destination', (_shipper, wrap) => {
    for (const d of DESTINATIONS) expect(project(decodeAll(d, wrap))).toEqual(project(decodeAll(d, (r) => r)));
  });
});

describe('the shared join: who is behind a session', () => {
  it('a session seen before its statements names them; another session of the same role stays apart', async () => {
    const sources = createSources('jsonlog');
    const records = fixtureRecords('jsonlog');
    const outcomes = await sources.decodeBatch('fixture', records.map((r, i) => ({ value: Buffer.from(r), topic: 'fixture', partition: 0, offset: String(i) })), { maxMessageBytes: 1 << 20, maxFutureSkewMs: 1e12 }, Date.UTC(2030, 0, 1));
    const shared = outcomes.flatMap((o) => (o.ok ? o.events : [])).filter((e) => e.user === 'fx_shared');
    expect(new Set(shared.map((e) => `${e.session_id}=${e.identity}`)).size).toBe(2);
    expect(shared.map((e) => e.identity).sort()).toEqual(['alice@corp.example', 'bob@corp.example']);
  });

  it('statements whose connection line was not seen (and no store to ask) carry no identity rather than a guess', async () => {
    const sources = createSources('jsonlog');
    const records = fixtureRecords('jsonlog').filter((r) => !r.includes('connection authenticated'));
    const outcomes = await sources.decodeBatch('fixture', records.map((r, i) => ({ value: Buffer.from(r), topic: 'fixture', partition: 0, offset: String(i) })), { maxMessageBytes: 1 << 20, maxFutureSkewMs: 1e12 }, Date.UTC(2030, 0, 1));
    const shared = outcomes.flatMap((o) => (o.ok ? o.events : [])).filter((e) => e.user === 'fx_shared');
    expect(shared.length).toBe(2);
    expect(shared.map((e) => e.identity)).toEqual(['', '']);
  });
});

// rsyslog cuts a record over its maxMessageSize and drops the rest (discardTruncatedMsg, the shipper's
// config): a jsonlog line padded past 1 MiB arrives as a prefix, not JSON. It was dead-lettered
// invalid_json, the read not counted. The line the real server wrote for `SELECT * FROM customers WHERE
// id <= 25`, cut where a shipper would cut it (any place: the padding decides where).
describe('a jsonlog line the shipper cut at its maximum size', () => {
  const line = fixtureRecords('jsonlog').find((r) => r.includes('"application_name":"case-select"') && r.includes('AUDIT: SESSION'))!;
  const reltuples = (() => {
    const decoder = postgresLayoutFreeDecoder('jsonlog');
    const r = decoder(Buffer.from(line.slice(0, line.indexOf('WHERE id'))));
    return r.ok ? Number(r.events[0].event.rows) : -1;
  })();
  const cutAt = (marker: string, after = 0) => line.slice(0, line.indexOf(marker) + after);
  const read = (text: string, wrap: boolean) => postgresLayoutFreeDecoder('jsonlog')(Buffer.from(wrap ? JSON.stringify({ msg: text, host: 'db1', file: '/var/log/postgresql/postgresql.json' }) : text));

  it.each([true, false])('cut in the statement or in the row count: the read is counted at the table\'s size, marked (enveloped: %s)', (wrap) => {
    expect(reltuples).toBeGreaterThan(25);
    for (const cut of [cutAt('WHERE id'), cutAt('<not logged>'), cutAt('<not logged>,2', '<not logged>,2'.length)]) {
      const r = read(cut, wrap);
      expect(r.ok && r.events.map((e) => [e.event.user, e.event.table_name, Number(e.event.rows), Number(e.event.bytes) > 0])).toEqual([['fx_analyst', 'public.customers', reltuples, true]]);
      expect(r.ok && JSON.parse(String(r.events[0].event.extra))).toMatchObject({ record_cut: expect.stringContaining('cut'), rows_from: expect.stringContaining('upper bound') });
    }
  });

  it('cut after the message (in a client-set field): the message is whole, its row count used', () => {
    const r = read(cutAt('"application_name":"case-se', '"application_name":"case-se'.length), true);
    expect(r.ok && r.events.map((e) => [e.event.table_name, Number(e.event.rows), JSON.parse(String(e.event.extra)).rows_from])).toEqual([['public.customers', 25, 'pgaudit']]);
  });

  it('cut before it says what was read (an AUDIT line without a table): dead-lettered truncated_record, not an event of no bytes', () => {
    const tableless = fixtureRecords('jsonlog').find((r) => r.includes('AUDIT: SESSION') && r.includes('pg_is_in_recovery'))!;
    const r = read(tableless.slice(0, tableless.indexOf('pg_is_in_recovery')), true);
    expect(r.ok ? 'read' : r.code).toBe('truncated_record');
  });

  it('cut before the message: nothing to read, dead-lettered with the reason; a line that is not JSON at all too', () => {
    for (const text of [cutAt('"error_severity"'), `${line.slice(0, 40)}}}`]) {
      const r = read(text, true);
      expect(r.ok ? 'read' : [r.code, r.reason]).toEqual(['invalid_json', expect.stringMatching(/not valid JSON.*(cut short|not JSON)/)]);
    }
  });
});

// stderr does not quote its message: an AUDIT line cut by the shipper inside pgaudit's row count still
// parses (an unquoted statement: one without commas), its row count cut short: 25 read as 2, or as not
// logged. The real server's line, its statement padded to the shipper's maximum and past it.
describe('a stderr AUDIT line the shipper cut at its maximum size', () => {
  const line = fixtureRecords('stderr').find((r) => r.includes(' case-select: ') && r.includes('AUDIT: SESSION'))!;
  const reltuples = fixtureStats().find((t) => t.table_name === 'public.customers')!.reltuples;
  /** The line with its statement padded, `over` bytes longer than the maximum, cut there as rsyslog does. */
  const cutLine = (over: number) => {
    const at = line.indexOf(',<not logged>');
    const pad = `${'p'.repeat(LIMITS.maxMessageBytes + over - line.length - 16)}`;
    const full = `${line.slice(0, at)} AND 'pad' <> '${pad}'${line.slice(at)}`;
    expect(full.length).toBe(LIMITS.maxMessageBytes + over);
    return full.slice(0, LIMITS.maxMessageBytes);
  };
  const read = (text: string) => {
    const r = postgresLayoutFreeDecoder('stderr')(Buffer.from(text));
    return r.ok ? r.events.map((e) => [e.event.table_name, Number(e.event.rows), JSON.parse(String(e.event.extra)).record_cut !== undefined]) : r.code;
  };

  it('a line of the maximum size is read as cut: the table\'s size, never the row count left before the cut', () => {
    expect(reltuples).toBeGreaterThan(25);
    for (const over of [0, 1, 2, 3]) expect(read(cutLine(over))).toEqual([['public.customers', reltuples, true]]);
  });

  it('a shorter line is whole: its row count is pgaudit\'s', () => {
    expect(read(line)).toEqual([['public.customers', 25, false]]);
  });
});
