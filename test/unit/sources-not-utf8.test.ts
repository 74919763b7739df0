// Bytes that are not UTF-8 in a statement do not hide the read it made. MariaDB writes a statement into
// its slow and audit logs as the client sent it, and PostgreSQL in a SQL_ASCII or LATIN1 database the
// same: with client charset latin1, `SELECT * FROM customers /* <FF><FE> */` put those two bytes in both
// logs, the shipper sent them on, and the sources layer dead-lettered both records as invalid_utf8: a
// 3.4 MB read of customers never counted, while `sources parse` (which read stdin as UTF-8) counted it.
// Captured from the real servers: test/fixtures/mariadb/not-utf8/ (MariaDB 10.11, and the Kafka messages
// the project's rsyslog shipper made of them), test/fixtures/postgres/not-utf8/ (PostgreSQL 15 + pgaudit).
import fs from 'node:fs';
import path from 'node:path';
import { toCanonical } from '../../src/event';
import { createSources, decodeMessage, invalidUtf8Sequences, splitRecords, unwrap, type MessageOutcome } from '../../src/sources';
import { canonicalFormat } from '../../src/sources/canonical';
import { RECORD_START } from '../../src/sources/mariadb';

const LIMITS = { maxMessageBytes: 1 << 20, maxFutureSkewMs: 1e12 };
const NOW = Date.UTC(2030, 0, 1);
const fixture = (...p: string[]) => path.join(__dirname, '..', 'fixtures', ...p);

/** A file's records as the shipper frames them, each the bytes the server wrote (latin1: one character a byte). */
function recordsOf(file: string, start: RegExp | boolean, csv = false): Buffer[] {
  return splitRecords(fs.readFileSync(file, 'latin1'), start, csv).map((r) => Buffer.from(r, 'latin1'));
}

async function decode(format: string, options: Record<string, string>, values: readonly Buffer[]) {
  const sources = createSources({ settings: { sources: { t: { format, options } } } as never, role: 'reader' });
  const outcomes = await sources.decodeBatch('t', values.map((value, i) => ({ value, topic: 't', partition: 0, offset: String(i) })), LIMITS, NOW);
  const dead = outcomes.flatMap((o: MessageOutcome) => (o.ok ? [] : [`${o.code}: ${o.reason}`]));
  return { events: outcomes.flatMap((o) => (o.ok ? o.events.map(toCanonical) : [])), dead };
}

describe('mariadb: a statement with bytes that are not UTF-8, as the real server wrote it', () => {
  const slow = recordsOf(fixture('mariadb', 'not-utf8', 'slow.log'), RECORD_START);
  const audit = recordsOf(fixture('mariadb', 'not-utf8', 'audit.log'), RECORD_START);
  const read = { user: 'spoof_mallory', action: 'SELECT', bytes: 3437993, rows: 20000, database: 'spoof_db', table: 'customers', client_ip: '127.0.0.1', session_id: '17', query_id: '37', status: 'ok', tables_from: 'server_audit', invalid_utf8_replaced: 2 };

  it('the server wrote the bytes as they were sent, in both logs', () => {
    for (const file of ['slow.log', 'audit.log']) expect(fs.readFileSync(fixture('mariadb', 'not-utf8', file)).includes(Buffer.from(' /* \xff\xfe */', 'latin1'))).toBe(true);
  });

  it.each([
    ['slow log first', () => [...slow, ...audit]],
    ['audit log first', () => [...audit, ...slow]],
  ])('counts the read, joined to its audit line, marked (%s); nothing dead-lettered', async (_order, records) => {
    const { events, dead } = await decode('mariadb', { server: 'mdb1' }, records());
    expect(dead).toEqual([]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ ...read, statement: 'SELECT * FROM customers /* \uFFFD\uFFFD */' });
  });

  it('the Kafka messages the rsyslog shipper made of those lines (raw bytes inside its JSON envelope) give the same event', async () => {
    const messages = fs
      .readFileSync(fixture('mariadb', 'not-utf8', 'rsyslog-messages.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => Buffer.from((JSON.parse(l) as { value_b64: string }).value_b64, 'base64'));
    expect(messages.filter((m) => m.includes(Buffer.from([0xff, 0xfe])))).toHaveLength(2);
    const shipped = await decode('mariadb', { server: 'mdb1' }, messages);
    const bare = await decode('mariadb', { server: 'mdb1' }, [...slow, ...audit]);
    expect(shipped.dead).toEqual([]);
    expect(shipped.events).toEqual(bare.events);
  });

  it('the event id is the same however often the entry is read, and differs from the same statement without the bytes', async () => {
    const a = await decode('mariadb', { server: 'mdb1' }, slow);
    const b = await decode('mariadb', { server: 'mdb1' }, slow);
    expect(a.events.map((e) => e.event_id)).toEqual(b.events.map((e) => e.event_id));
    const clean = slow.map((r) => Buffer.from(r.toString('latin1').replace(' /* \xff\xfe */', ''), 'latin1'));
    const c = await decode('mariadb', { server: 'mdb1' }, clean);
    expect(c.events[0]).not.toHaveProperty('invalid_utf8_replaced');
    expect(c.events[0].event_id).not.toBe(a.events[0].event_id);
  });

  it('an entry a statement forges is still recognised when its statement holds such bytes (the same bytes read the same in both logs)', async () => {
    // The real forged entry (test/fixtures/mariadb/forged/), its forged statement given 0xFF 0xFE and a cut
    // 2-byte sequence (0xC3) before its ";" in both logs, as the server would have written them.
    // (the audit log escapes the statement's newlines as \n).
    const bytes = (file: string, nl: string) => Buffer.from(fs.readFileSync(fixture('mariadb', 'forged', file), 'latin1').replace(`${nl}SELECT * FROM customers;${nl}`, `${nl}SELECT * FROM customers \xff\xfe\xc3;${nl}`), 'latin1');
    const [s, a] = [bytes('entry-slow.log', '\n'), bytes('entry-audit.log', '\\n')];
    expect([invalidUtf8Sequences(s), invalidUtf8Sequences(a)]).toEqual([3, 3]);
    const records = [...splitRecords(s.toString('latin1'), RECORD_START), ...a.toString('latin1').split('\n').filter((l) => l !== '')].map((r) => Buffer.from(r, 'latin1'));
    const { events, dead } = await decode('mariadb', { server: 'mdb1' }, records);
    expect(events.map((e) => [e.user, e.bytes, e.rows, e.statement_cut !== undefined])).toEqual([['spoof_mallory', 3437993, 20000, true]]);
    expect(dead).toEqual([expect.stringMatching(/^forged_record: .*spoof_mallory \(connection 15, query 33\).*read as U\+FFFD/)]);
  });

  it('an audit line the server cut inside a character (server_audit_query_log_limit counts bytes) is read, and its entry joined to it', async () => {
    // A 1,049-byte statement whose "é" straddles byte 1,024 of the audit copy: the line ends in C3. It was
    // dead-lettered as invalid_utf8, and its entry went unjoined (tables from the text: mysql.user, not
    // the global_priv the server read; a failed statement would have been counted as ok).
    const cutSlow = recordsOf(fixture('mariadb', 'not-utf8', 'cut-slow.log'), RECORD_START);
    const cutAudit = recordsOf(fixture('mariadb', 'not-utf8', 'cut-audit.log'), RECORD_START);
    expect(cutAudit.filter((r) => invalidUtf8Sequences(r) > 0)).toHaveLength(1);
    const { events, dead } = await decode('mariadb', { server: 'mdb1' }, [...cutSlow, ...cutAudit]);
    expect(dead).toEqual([]);
    expect(events.map((e) => [e.user, e.database, e.table, e.query_id, e.tables_from, e.audit_statement_truncated, e.audit])).toEqual([['root', 'mysql', 'global_priv', '336', 'server_audit', true, undefined]]);
  });
});

describe('postgres: a statement with bytes that are not UTF-8 in a SQL_ASCII and a LATIN1 database, as the real server wrote it', () => {
  it.each([
    ['stderr', 'stderr.log'],
    ['csvlog', 'csvlog.csv'],
    ['jsonlog', 'jsonlog.json'],
  ])('%s: each read counted and marked; nothing dead-lettered', async (destination, file) => {
    const records = recordsOf(fixture('postgres', 'not-utf8', file), destination !== 'jsonlog', destination === 'csvlog');
    expect(records.filter((r) => invalidUtf8Sequences(r) > 0).length).toBeGreaterThanOrEqual(4);
    const { events, dead } = await decode('postgres', { server: 'pg1', destination, defaultRowBytes: '100' }, records);
    expect(dead).toEqual([]);
    expect(events.map((e) => [e.database, e.action, e.table, e.rows, e.invalid_utf8_replaced])).toEqual([
      ['h89_sqlascii', 'SELECT', 'public.h89_customers', 5000, 2],
      ['h89_sqlascii', 'COPY', 'public.h89_customers', 0, 2],
      ['h89_latin1', 'SELECT', 'public.h89_customers', 5000, 2],
      ['h89_latin1', 'COPY', 'public.h89_customers', 0, 2],
    ]);
    expect(events[0].bytes).toBe(500000);
  });
});

describe('bytes that are not UTF-8, in the layer', () => {
  it('are read as U+FFFD, one per maximal invalid sequence, ASCII always itself', () => {
    const u = unwrap(Buffer.from('{"msg":"a\xff\xfeb\xc3"}', 'latin1'), { maxMessageBytes: 100 });
    expect(u).toMatchObject({ ok: true, envelope: 'msg', text: 'a\uFFFD\uFFFDb\uFFFD' });
    expect(invalidUtf8Sequences(Buffer.from('a\xff\xfeb\xc3', 'latin1'))).toBe(3);
    expect(invalidUtf8Sequences(Buffer.from('a \uFFFD written by the client, é'))).toBe(0);
    expect(invalidUtf8Sequences(Buffer.from([0x41, 0xef, 0xbf, 0xbd, 0xed, 0xa0, 0x80]))).toBe(3);
    expect(invalidUtf8Sequences(null)).toBe(0);
  });

  it('a record that still cannot be read is dead-lettered with its own reason, saying its bytes were not UTF-8', async () => {
    const { dead } = await decode('mariadb', { server: 'mdb1' }, [Buffer.from('# Thread_id: 3  Schema: s\xff  QC_hit: No', 'latin1')]);
    expect(dead).toEqual([expect.stringMatching(/^truncated_record: .*not UTF-8: 1 byte sequence read as U\+FFFD/)]);
  });

  it('the canonical format keeps the contract: a message that is not UTF-8 is invalid_utf8', () => {
    const decoder = canonicalFormat.create({}, 't');
    const value = Buffer.from(`{"event_id":"e1","ts":1796606965,"user":"u","action":"SELECT","bytes":5,"statement":"x \xff"}`, 'latin1');
    const r = decodeMessage(decoder, { value, topic: 't', partition: 0, offset: '0' }, { limits: LIMITS, now: NOW, session: () => undefined, tableStats: () => undefined });
    expect(r.ok ? 'read' : r.code).toBe('invalid_utf8');
  });
});
