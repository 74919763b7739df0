// The mariadb format on logs a real MariaDB 10.11 wrote (test/fixtures/mariadb/, captured by
// scripts/capture-mariadb-fixtures.ts): each scenario case's events with the exact Bytes_sent the
// server logged, in any order of the two files, and every malformed record dead-lettered with a reason.
import fs from 'node:fs';
import path from 'node:path';
import { mariadbFormat, RECORD_START } from '../../src/sources/mariadb';
import { splitRecords } from '../../src/sources/framing';
import { parseAuditLine } from '../../src/sources/mariadb/audit-log';
import { parseSlowEntry } from '../../src/sources/mariadb/slow-log';
import { createSessionJoin, type MessageOutcome } from '../../src/sources';
import { auditRecords, decodeFixture, decodeRecords, FIXTURE_DIR, slowRecords, type FixtureEvent } from '../fixtures/mariadb/decode';
import type { MariadbCase } from '../fixtures/mariadb/scenario';

type Case = MariadbCase & { expected: Array<MariadbCase['expected'][number] & { bytesSent: number[] }> };
const { cases } = JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR, 'cases.json'), 'utf8')) as { cases: Case[] };
const LIMITS = { maxMessageBytes: 1 << 20, maxFutureSkewMs: 1e12 };

function eventsOf(events: FixtureEvent[], c: Case): FixtureEvent[] {
  const starts = c.expected.map((e) => e.statementStart);
  return events.filter((e) => e.user === c.user && starts.some((s) => String(e.statement).startsWith(s)));
}

describe('mariadb, captured from the real server', () => {
  let events: FixtureEvent[];
  let rejected: string[];
  beforeAll(async () => {
    const d = await decodeFixture('slow-first');
    events = d.events;
    rejected = d.outcomes.flatMap((o, i) => (o.ok ? [] : [`${o.code}: ${o.reason} <- ${d.records[i].slice(0, 80)}`]));
  });

  it('reads every record the server wrote (nothing dead-lettered)', () => {
    expect(rejected).toEqual([]);
    expect(events.length).toBeGreaterThan(cases.length);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s: exact user, client, action, tables, rows, status and the Bytes_sent the server logged', (_name, c) => {
    const got = eventsOf(events, c);
    expect(got.map((e) => ({ user: e.user, action: e.action, database: e.database, table: e.table, rows: e.rows, status: e.status, client_ip: e.client_ip }))).toEqual(
      c.expected.map((x) => ({ user: x.user, action: x.action, database: x.database, table: x.table, rows: x.rows, status: x.status, client_ip: '127.0.0.1' })),
    );
    got.forEach((e, i) => {
      const x = c.expected[i];
      expect(x.bytesSent).toHaveLength(1);
      expect(e.bytes_estimated).toBe(false);
      expect(e.bytes_sent).toBe(x.bytesSent[0]);
      // A failed statement moves no data; a statement's bytes are on its first table's event.
      expect(e.bytes).toBe(x.status === 'error' || !x.carriesBytes ? 0 : x.bytesSent[0]);
    });
    if (c.extra) expect(got[0]).toMatchObject(c.extra);
  });

  it('joins each statement of the scenario to its audit line (query id, tables from server_audit where it logged them)', () => {
    for (const c of cases) for (const e of eventsOf(events, c)) expect(e.query_id).toMatch(/^\d+$/);
    const [select] = eventsOf(events, cases.find((c) => c.name === 'select')!);
    expect(select.tables_from).toBe('server_audit');
    // mysqldump locked its tables first: the audit log names them on LOCK TABLES, the SELECT's come from its text.
    const dump = eventsOf(events, cases.find((c) => c.name === 'mysqldump')!);
    expect(dump.map((e) => e.tables_from)).toEqual(['statement text', 'statement text']);
  });

  it('keeps the statement with its newlines, quotes and non-ASCII text', () => {
    const [e] = eventsOf(events, cases.find((c) => c.name === 'quoting')!);
    expect(e.statement).toBe(`SELECT *, 'a, "quoted" value' AS label\nFROM customers\nWHERE name LIKE 'Zoë Ünal-%'\n  AND id <= 200`);
  });

  it('the order of the two files within a batch does not matter', async () => {
    const other = await decodeFixture('audit-first');
    const project = (e: FixtureEvent) => [e.event_id, e.action, e.table, e.rows, e.bytes, e.status, e.query_id, e.tables_from].join('|');
    expect(other.events.map(project)).toEqual(events.map(project));
  });

  it('an entry whose audit lines are not known yet still counts its measured bytes, tables from its text, and says it was not joined', async () => {
    // The slow log in one batch, the audit log in a later one: the worst a shipper can do.
    const { events: apart } = await decodeRecords([...slowRecords(), ...auditRecords()], slowRecords().length);
    const [e] = apart.filter((x) => x.user === cases[0].user && String(x.statement).startsWith('SELECT * FROM customers WHERE id <= 25'));
    expect([e.bytes, e.rows, e.table, e.audit, e.tables_from, e.status]).toEqual([cases[0].expected[0].bytesSent[0], 25, 'customers', 'not joined', 'statement text', 'ok']);
    expect(apart.map((x) => x.event_id)).toEqual(events.map((x) => x.event_id));
  });

  it('the decoded fixture equals the reviewed expected events (test/fixtures/mariadb/expected.jsonl)', () => {
    const expected = fs.readFileSync(path.join(FIXTURE_DIR, 'expected.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown);
    expect(events).toEqual(expected);
  });

  it('event ids are unique and derived from the entry: the same entry read again gives the same id', async () => {
    const ids = events.map((e) => e.event_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect((await decodeFixture('slow-first')).events.map((e) => e.event_id)).toEqual(ids);
  });
});

describe('mariadb records that cannot be read are dead-lettered with a reason, never thrown', () => {
  const decoder = mariadbFormat.create({ server: 'fx' }, 'fixture');
  const join = createSessionJoin({ persist: false });
  const decode = (text: string) =>
    decoder.decode({ value: Buffer.from(text), topic: 't', partition: 0, offset: '0' }, { limits: LIMITS, now: Date.UTC(2030, 0, 1), session: (s, id) => join.view(s, id), tableStats: () => undefined });
  const entry = slowRecords().find((r) => r.includes('Bytes_sent') && r.includes('FROM customers WHERE id <= 25'))!;
  const audit = auditRecords().find((r) => r.includes(",QUERY,") && r.includes('Zoë'))!;

  it('every truncation of a real slow-log entry is read or rejected with a code', () => {
    const codes = new Set<string>();
    for (let cut = 1; cut < entry.length; cut++) {
      const r = decode(entry.slice(0, cut));
      if (!r.ok) {
        codes.add(r.code);
        expect(r.reason.length).toBeGreaterThan(10);
      }
    }
    // Cut inside "# User@Host:" it is no entry at all; cut later it lacks its SET timestamp or statement.
    expect([...codes].sort()).toEqual(['truncated_record', 'wrong_format']);
  });

  it('every truncation of a real audit line is read or rejected as bad_audit_line', () => {
    for (let cut = 20; cut < audit.length; cut++) {
      const r = decode(audit.slice(0, cut));
      if (!r.ok) expect(r.code).toBe('bad_audit_line');
    }
    expect(decode(audit).ok).toBe(true);
  });

  it.each([
    ['one line of an entry (the shipper did not join them)', '# Thread_id: 3  Schema: shop  QC_hit: No', 'truncated_record'],
    ['the SET timestamp line alone', 'SET timestamp=1796187947;', 'truncated_record'],
    ['a PostgreSQL jsonlog record', '{"timestamp":"2026-12-02 04:01:26.659 UTC","error_severity":"LOG","user":"x"}', 'envelope_unknown'],
    ['a canonical event', '{"event_id":"e1","ts":1,"user":"u","action":"SELECT","bytes":1,"message":"{\\"event_id\\": 1}"}', 'wrong_format'],
    ['a PostgreSQL csvlog record', '2026-12-02 04:01:26.659 UTC,"fx","db",1,"127.0.0.1:5",x', 'wrong_format'],
    ['an entry without Bytes_sent (MySQL without log_slow_extra)', '# User@Host: a[a] @  [127.0.0.1]\n# Thread_id: 3  Schema: s\n# Query_time: 0.1  Lock_time: 0.0  Rows_sent: 1  Rows_examined: 1\nSET timestamp=1796187947;\nSELECT * FROM t;', 'missing_field'],
    ['a broken envelope', '{"msg": 42}', 'envelope_field_not_string'],
    ['an audit line with an unterminated statement', "20261202 05:05:47,vm,ana,127.0.0.1,3,1,QUERY,shop,'SELECT * FROM t", 'bad_audit_line'],
  ])('%s', (_what, text, code) => {
    const r = decode(text);
    expect(r.ok ? 'decoded' : r.code).toBe(code);
  });

  it('a statement that forges an entry header inside its text does not split its own entry when framed by the shipper', () => {
    // The shipper starts a record at "# User@Host:" at the start of a line; a forged header must start a
    // line, which the slow log only writes for real entries or a statement's own newlines.
    const forged = parseSlowEntry(`${entry.replace(/;\s*$/, '')} /* a comment with # User@Host: root[root] inside */;`);
    expect(forged.ok && forged.entry?.user).toBe(cases[0].user);
  });

  // Written by the real server (MariaDB 10.11, log_slow_verbosity = explain) for statements of an
  // ordinary account, spoof_mallory (test/fixtures/mariadb/forged/): one whose comment holds a whole
  // entry for spoof_bob (20 GB), one whose alias holds a line of forged numbers.
  const forged = (name: string) => {
    const read = (file: string) => fs.readFileSync(path.join(FIXTURE_DIR, 'forged', `${name}-${file}.log`), 'utf8');
    return { slow: splitRecords(read('slow'), RECORD_START), audit: read('audit').split('\n').filter((l) => l !== '') };
  };

  it('an entry a statement forges (a record start in its text) is dead-lettered naming its author; the author\'s read counts with the header the server wrote', async () => {
    const { slow, audit } = forged('entry');
    for (const records of [[...slow, ...audit], [...audit, ...slow]]) {
      const { events, outcomes } = await decodeRecords(records);
      expect(events.map((e) => [e.user, e.bytes, e.rows, e.statement_cut !== undefined])).toEqual([['spoof_mallory', 3437993, 20000, true]]);
      const dead = outcomes.filter((o) => !o.ok) as Array<{ code: string; reason: string }>;
      expect(dead.map((d) => d.code)).toEqual(['forged_record']);
      expect(dead[0].reason).toContain('spoof_mallory (connection 15, query 33)');
    }
  });

  it('a statement that predicts a colleague\'s header (user, address, thread) does not get their real entry refused', async () => {
    // helper-87: keyed by the User@Host line alone, a harmless SELECT naming the colleague's thread made
    // their real read a dead letter. The key is the whole entry: its timings are not predictable.
    const real = slowRecords().find((r) => r.includes('FROM customers WHERE id <= 25'))!;
    const lines = real.split('\n').filter((l) => !l.startsWith('# Time:'));
    const guess = [...lines.slice(0, 2), '# Query_time: 0.001000  Lock_time: 0.000100  Rows_sent: 25  Rows_examined: 25', ...lines.slice(3)].join('\n').replace(/;\s*$/, '');
    const escaped = `SELECT 1 /*\n${guess}\n*/`.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n');
    const audit = `20261202 05:05:47,vm,mallory,127.0.0.1,99,500,QUERY,insider_fixtures,'${escaped}',0`;
    const { events, outcomes } = await decodeRecords([audit, real]);
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(events.map((e) => [e.user, e.table])).toEqual([[cases[0].user, 'customers']]);
  });

  it('numbers a statement writes on an explain line do not replace the header\'s', async () => {
    const { slow, audit } = forged('numbers');
    const { events } = await decodeRecords([...slow, ...audit]);
    expect(events.map((e) => [e.user, e.table, e.bytes, e.rows])).toEqual([['spoof_mallory', 'customers', 3438173, 20000]]);
  });

  it('a header whose schema holds the other lines\' words reads them from their own lines', () => {
    const text = entry.replace(/Schema: \S*/, 'Schema: x  Bytes_sent: 1  Rows_sent: 1');
    const r = parseSlowEntry(text);
    const real = parseSlowEntry(entry);
    expect(r.ok && real.ok && r.entry && real.entry && [r.entry.schema, r.entry.bytesSent, r.entry.rowsSent]).toEqual(['x  Bytes_sent: 1  Rows_sent: 1', real.ok && real.entry?.bytesSent, real.ok && real.entry?.rowsSent]);
  });

  it('parses the audit line fields, unescaping the statement', () => {
    const r = parseAuditLine("20261202 05:05:47,vm,ana,10.1.2.3,3,41,QUERY,shop,'SELECT \\'a\\\\b\\'\\nFROM t',1142");
    expect(r).toEqual({ ok: true, line: { time: '20261202 05:05:47', serverHost: 'vm', user: 'ana', host: '10.1.2.3', connectionId: '3', queryId: '41', operation: 'QUERY', database: 'shop', object: "SELECT 'a\\b'\nFROM t", objectBytes: 23, retcode: 1142 } });
  });

  it('the options are checked when the source is created', () => {
    expect(() => mariadbFormat.create({ server: 'bad name!' }, 'topic1')).toThrow(/ingest\.sources\.topic1\.options\.server: expected a server name/);
    expect(() => mariadbFormat.create({ destination: 'jsonlog' }, 'topic1')).toThrow(/options.*destination/);
  });
});

// Written by the real server for statements of h92_mallory that forge an entry for h92_bob (20 GB) past
// server_audit_query_log_limit (test/fixtures/mariadb/forged/padded/README.md): the audit copy of the
// statement never holds the whole forged entry, so it cannot be recognised by its text.
describe('entries a statement writes past server_audit_query_log_limit are refused, naming the author', () => {
  const padded = (name: string) => {
    const read = (file: string) => fs.readFileSync(path.join(FIXTURE_DIR, 'forged', 'padded', `${name}-${file}.log`), 'utf8');
    return { slow: splitRecords(read('slow'), RECORD_START), audit: read('audit').split('\n').filter((l) => l !== '') };
  };
  const summary = (events: FixtureEvent[]) => events.map((e) => [e.user, e.bytes, e.status]);
  const refused = (outcomes: MessageOutcome[]) => outcomes.flatMap((o) => (o.ok ? [] : [`${o.code}: ${o.reason}`]));

  // name, the author's entries (bytes the server logged), the author's connection and audit query named.
  const CASES: Array<[string, number[], string, string]> = [
    ['q1_padded', [335983], '7', '20'],
    ['q1_pad_after', [335979], '62', '970'],
    ['A_comment_semicolon_padded', [335979], '21', '62'],
    // BEGIN NOT ATOMIC ... END: a compound statement, not a transaction's BEGIN (it read 4,000 rows).
    ['B_compound_padded', [671969], '23', '69'],
    ['C_dashdash_padded', [335816], '25', '76'],
    ['D_exec_comment_padded', [554997], '38', '111'],
    ['E_no_backslash_escapes_padded', [548050], '29', '86'],
    ['F_syntax_error_padded', [0], '31', '90'],
    ['G_multi_then_error_padded', [335979, 0], '33', '96'],
    // The header is the second statement's leading comment: that statement's own entry (11 bytes) is cut
    // right after its SET timestamp line, and the third statement's entry follows the forged one.
    ['H_multi_valid_padded', [335979, 11, 335979], '35', '103'],
  ];

  it.each(CASES)('%s: no event for h92_bob; one forged_record naming h92_mallory; her entries counted', async (name, bytes, connection, query) => {
    const { slow, audit } = padded(name);
    for (const records of [[...slow, ...audit], [...audit, ...slow]]) {
      const { events: all, outcomes } = await decodeRecords(records);
      // A statement padded past the audit limit whose first keyword is not seen may have turned the
      // connection's slow log off (sources-mariadb-hidden): its later reads are also events from their
      // audit lines, with no bytes. Only the author's, never the colleague's.
      const audited = all.filter((e) => e.bytes_unknown !== undefined);
      expect(audited.every((e) => e.user === 'h92_mallory' && e.bytes === 0)).toBe(true);
      const events = all.filter((e) => e.bytes_unknown === undefined);
      expect(events.map((e) => [e.user, e.bytes])).toEqual(bytes.map((b) => ['h92_mallory', b]));
      const dead = refused(outcomes);
      expect(dead).toHaveLength(1);
      expect(dead[0]).toMatch(new RegExp(`^forged_record: a slow-log entry written by the statement of h92_mallory \\(connection ${connection}, query ${query}\\)`));
    }
  });

  it.each([
    ['setpw', '290', '2048'],
    ['alter', '291', '2050'],
  ])('%s: a password server_audit writes as ***** (in the author\'s part and in the forged entry) does not let the entry through', async (name, connection, query) => {
    const read = (file: string) => fs.readFileSync(path.join(FIXTURE_DIR, 'forged', 'masked', `${name}-${file}.log`), 'utf8');
    const slow = splitRecords(read('slow'), RECORD_START);
    const audit = read('audit').split('\n').filter((l) => l !== '');
    for (const records of [[...slow, ...audit], [...audit, ...slow]]) {
      const { events, outcomes } = await decodeRecords(records);
      expect(events.filter((e) => e.user === 'h93_bob')).toEqual([]);
      expect(refused(outcomes)).toEqual([expect.stringMatching(new RegExp(`^forged_record: a slow-log entry written by the statement of h93_mallory \\(connection ${connection}, query ${query}\\)`))]);
    }
  });

  it('COM_CHANGE_USER: the entries before and after it are each joined to their own audit line, under their own user', async () => {
    const { slow, audit } = padded('change_user');
    expect(audit.some((l) => l.includes(',,,48,0,CHANGEUSER,'))).toBe(true);
    const { events, outcomes } = await decodeRecords([...slow, ...audit]);
    expect(refused(outcomes)).toEqual([]);
    expect(events.map((e) => [e.user, e.query_id, e.bytes, e.audit])).toEqual([
      ['h92_mallory', '927', 95, undefined],
      ['h92_bob', '929', 107, undefined],
    ]);
  });

  it('entries after a forgery are kept when their audit lines vouch for them (another connection, later)', async () => {
    const forgery = padded('q1_padded');
    const after = padded('change_user');
    const { events, outcomes } = await decodeRecords([...forgery.slow, ...after.slow, ...forgery.audit, ...after.audit]);
    expect(refused(outcomes)).toEqual([expect.stringMatching(/^forged_record: .*h92_mallory \(connection 7, query 20\)/)]);
    expect(summary(events)).toEqual([
      ['h92_mallory', 335983, 'ok'],
      ['h92_mallory', 95, 'ok'],
      ['h92_bob', 107, 'ok'],
    ]);
  });

  it('a forged copy of a colleague\'s real entry cannot take its audit line: each line vouches for one entry', async () => {
    // h92_bob's real entry (thread 48, query 929) comes first and takes its line. A statement that writes
    // the same entry again with 20 GB (its text is the author's to choose) finds the line taken.
    const real = padded('change_user');
    const forgery = padded('q1_padded');
    const bobs = real.slow[1];
    const copy = bobs.replace('Bytes_sent: 107', 'Bytes_sent: 21474836480');
    const { events, outcomes } = await decodeRecords([...real.slow, forgery.slow[0], copy, ...real.audit, ...forgery.audit]);
    expect(summary(events)).toEqual([
      ['h92_mallory', 95, 'ok'],
      ['h92_bob', 107, 'ok'],
      ['h92_mallory', 335983, 'ok'],
    ]);
    expect(refused(outcomes)).toEqual([expect.stringMatching(/^forged_record: .*h92_mallory \(connection 7, query 20\).*already claimed/)]);
  });

  it('a forged entry whose statement only starts like a colleague\'s (64 characters) is not vouched for by their whole audit line', async () => {
    // Decoded before the colleague's real entry, it would take their line: only a copy cut at the limit
    // vouches for a longer statement that starts the same way.
    const real = padded('change_user');
    const forgery = padded('q1_padded');
    const copy = real.slow[1].replace('Bytes_sent: 107', 'Bytes_sent: 21474836480').replace(/;\n?$/, " /* and more */;\n");
    const { events, outcomes } = await decodeRecords([forgery.slow[0], copy, ...real.slow, ...real.audit, ...forgery.audit]);
    expect(refused(outcomes)).toEqual([expect.stringMatching(/^forged_record: .*h92_mallory \(connection 7, query 20\)/)]);
    expect(events.map((e) => [e.user, e.bytes, e.query_id])).toEqual([
      ['h92_mallory', 335983, '20'],
      ['h92_mallory', 95, '927'],
      ['h92_bob', 107, '929'],
    ]);
  });

  it('the same statement run again on one connection: each entry is joined to its own audit line', async () => {
    const { events } = await decodeFixture();
    const ids = (table: string) => events.filter((e) => e.session_id === '38' && String(e.statement).startsWith('SELECT engine, table_type') && String(e.statement).endsWith(`'${table}'`)).map((e) => e.query_id);
    expect(ids('customers')).toEqual(['200', '202', '203']);
    expect(ids('orders')).toEqual(['201', '215', '216']);
  });

  it('the audit log behind the slow log: the record after a cut statement is still refused', async () => {
    const { slow, audit } = padded('q1_padded');
    const { events, outcomes } = await decodeRecords([...slow, ...audit], slow.length);
    expect(summary(events)).toEqual([['h92_mallory', 335983, 'ok']]);
    expect(refused(outcomes)).toEqual([expect.stringMatching(/^forged_record: .*h92_mallory \(connection 7\).*goes on past it/)]);
  });

  it('the audit log behind the slow log, a statement whose entry ends with ";": the entry after it is kept, marked with its possible author (a limit)', async () => {
    const { slow, audit } = padded('A_comment_semicolon_padded');
    const { events, outcomes } = await decodeRecords([...slow, ...audit], slow.length);
    expect(refused(outcomes)).toEqual([]);
    expect(events.filter((e) => e.user === 'h92_bob').map((e) => [e.user, e.audit, e.audit_follows])).toEqual([['h92_bob', 'not joined', expect.stringContaining('(h92_mallory, connection 21)')]]);
    // The author's read (no table in its text: the `;` closed the comment) counted from its Bytes_sent.
    expect(events.filter((e) => e.user === 'h92_mallory' && e.bytes_unknown === undefined).map((e) => e.bytes)).toEqual([335979]);
  });
});
