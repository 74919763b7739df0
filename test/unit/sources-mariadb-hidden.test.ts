// Reads an ordinary MariaDB account made without its bytes being counted, on the lines the real server
// wrote (test/fixtures/mariadb/hidden-reads/, README.md there): h94_mallory copies the 2000-row customers
// table (336 KB) out through a compound statement, SET STATEMENT ... FOR, user variables (whole and in
// pieces), statements that fail after sending their rows, and after SET timestamp=1000000000. Before,
// the decoder made 4 events of them, one dated 2001 and one of 0 bytes.
import fs from 'node:fs';
import path from 'node:path';
import { decodeRecords, FIXTURE_DIR, type FixtureEvent } from '../fixtures/mariadb/decode';
import { splitRecords } from '../../src/sources/framing';
import { RECORD_START } from '../../src/sources/mariadb';
import { UNSEEN_FLOOR } from '../../src/sources/mariadb/hidden-reads';

const DIR = path.join(FIXTURE_DIR, 'hidden-reads');
const slow = splitRecords(fs.readFileSync(path.join(DIR, 'slow.log'), 'utf8'), RECORD_START);
const audit = fs.readFileSync(path.join(DIR, 'audit.log'), 'utf8').split('\n').filter((l) => l !== '');
/** Bytes_sent of the entries whose statement starts so, as the server wrote them (a reading apart from the decoder's). */
const sentBy = (start: string) =>
  slow.filter((r) => r.split('\n').some((l) => l.startsWith(start))).map((r) => Number(/Bytes_sent: (\d+)/.exec(r)![1]));
const TABLE = sentBy("SELECT * FROM customers WHERE 'baseline'")[0];

describe('mariadb: reads that sent a table from no table, or as a session-only statement, are counted', () => {
  let events: FixtureEvent[];
  const of = (start: string) => events.filter((e) => String(e.statement).startsWith(start));
  beforeAll(async () => {
    const d = await decodeRecords([...slow, ...audit]);
    expect(d.outcomes.filter((o) => !o.ok)).toEqual([]);
    events = d.events;
  });

  it('the server sent the whole table each time (about 336 KB)', () => {
    expect(TABLE).toBeGreaterThan(300_000);
    for (const s of ['BEGIN NOT ATOMIC', 'SET STATEMENT max_statement_time=100', 'SELECT @x', 'SELECT @y', 'SELECT @z']) expect(sentBy(s)[0]).toBeGreaterThan(300_000);
  });

  it.each([
    // The audit log names the table on the inner statement's query id, not the block's: from its text.
    ['a compound statement', 'BEGIN NOT ATOMIC SELECT', 'BEGIN', 'statement text'],
    ['SET STATEMENT ... FOR SELECT', 'SET STATEMENT max_statement_time=100 FOR', 'SET', 'server_audit'],
  ])('%s (a session-only first keyword) counts the rows it sent, on its table', (_what, start, action, from) => {
    expect(of(start).map((e) => [e.action, e.table, e.bytes, e.rows, e.status, e.tables_from])).toEqual([[action, 'customers', sentBy(start)[0], 2000, 'ok', from]]);
  });

  it.each([
    ['SET @x := (SELECT ...)', 'SELECT @x'],
    ['SELECT (SELECT ...) INTO @y', 'SELECT @y'],
    ['DO @z := (SELECT ...)', 'SELECT @z'],
  ])('a table read into a variable (%s) counts when the variable is sent (%s): an event of no table', (_into, send) => {
    const [e] = of(send);
    expect(e).toMatchObject({ user: 'h94_mallory', action: 'SELECT', database: 'h94_db', table: '', rows: 1, status: 'ok', bytes_sent: sentBy(send)[0] });
    // With the OK packets of the statements before it that sent nothing else (11 bytes each).
    expect(e.bytes).toBe(sentBy(send)[0] + ((e.bytes_unseen_before as number | undefined) ?? 0));
    expect(e.bytes_unseen_before ?? 0).toBeLessThan(100);
  });

  it('the variable sent in pieces under the floor adds up: all but less than the floor counted, on few events', () => {
    const pieces = sentBy('SELECT SUBSTRING(@x,');
    expect(pieces).toHaveLength(41);
    expect(Math.max(...pieces)).toBeLessThan(UNSEEN_FLOOR / 8);
    const got = of('SELECT SUBSTRING(@x,');
    const counted = got.reduce((n, e) => n + Number(e.bytes), 0);
    const total = pieces.reduce((n, b) => n + b, 0);
    expect(counted).toBeGreaterThan(total - UNSEEN_FLOOR);
    expect(counted).toBeLessThanOrEqual(total + 100);
    expect(got.length).toBe(Math.floor(counted / UNSEEN_FLOOR));
  });

  it('pings and small table-less statements give no event of their own (SELECT 1 x20, SHOW TABLES)', () => {
    expect(sentBy('SELECT 1;')).toHaveLength(20);
    expect(of('SELECT 1').concat(of('SHOW TABLES'))).toEqual([]);
  });

  it.each([
    ['a subquery of two rows at the last row', 'SELECT c.*, (SELECT c2.id', 1242],
    ['max_statement_time at the last row', 'SET STATEMENT max_statement_time=1 FOR', 1969],
  ])('a statement that failed after sending its rows (%s) counts them: ok, with its error code', (_what, start, code) => {
    const [e] = of(start);
    expect(e).toMatchObject({ table: 'customers', rows: 1999, status: 'ok', error_code: code, bytes_sent: sentBy(start)[0] });
    expect(e.bytes).toBeGreaterThanOrEqual(sentBy(start)[0]);
  });

  it('SET timestamp=1000000000 does not date the next read to 2001: the time of its audit line', () => {
    const [e] = of("SELECT * FROM customers WHERE 'after set timestamp'");
    const line = audit.find((l) => l.includes("QUERY,h94_db,'SELECT * FROM customers WHERE \\'after set timestamp"))!;
    const written = Date.parse(line.slice(0, 17).replace(/^(\d{4})(\d\d)(\d\d) /, '$1-$2-$3T') + 'Z');
    expect(e).toMatchObject({ bytes: TABLE, ts_from: 'server_audit', session_timestamp: '2001-09-09T01:46:40.000Z' });
    expect(Math.abs(Date.parse(String(e.ts)) - written)).toBeLessThan(1000);
    // Every other entry is dated by the server's clock, as before.
    expect(events.filter((x) => x.ts_from !== undefined)).toHaveLength(1);
  });

  it('the audit log first, or the records in batches of 7, give the same events', async () => {
    const byId = (xs: FixtureEvent[]) => [...xs].sort((a, b) => String(a.event_id).localeCompare(String(b.event_id)));
    expect(byId((await decodeRecords([...audit, ...slow])).events)).toEqual(byId(events));
    // In batches the audit lines come after their entries: joined through the kept state, or not at all.
    const batched = (await decodeRecords([...slow, ...audit], 7)).events;
    expect(batched.reduce((n, e) => n + Number(e.bytes), 0)).toBeGreaterThanOrEqual(events.reduce((n, e) => n + Number(e.bytes), 0) - UNSEEN_FLOOR);
  });
});

describe('mariadb: a prepared statement logs only the bytes it had flushed (whole 16 KB buffers)', () => {
  const pslow = splitRecords(fs.readFileSync(path.join(DIR, 'prepared-slow.log'), 'utf8'), RECORD_START);
  const paudit = fs.readFileSync(path.join(DIR, 'prepared-audit.log'), 'utf8').split('\n').filter((l) => l !== '');
  const header = (r: string) => ({ rows: Number(/Rows_sent: (\d+)/.exec(r)![1]), bytes: Number(/Bytes_sent: (\d+)/.exec(r)![1]) });
  const entries = (marker: string) => pslow.filter((r) => r.includes(marker) && r.includes('\nSELECT ')).map(header);
  let events: FixtureEvent[];
  beforeAll(async () => {
    const d = await decodeRecords([...pslow, ...paudit]);
    expect(d.outcomes.filter((o) => !o.ok)).toEqual([]);
    events = d.events;
  });

  it.each([
    ['SQL PREPARE / EXECUTE ... USING', 'sql chunk'],
    ['the binary protocol (COM_STMT_EXECUTE)', 'binary chunk'],
  ])('%s in chunks of 90 rows: the server logged Bytes_sent 0 for each; each counts its rows at 100 bytes, estimated', (_how, marker) => {
    expect(entries(marker)).toHaveLength(23);
    expect(entries(marker).every((x) => x.bytes === 0 && x.rows > 0)).toBe(true);
    const got = events.filter((e) => String(e.statement).includes(marker));
    expect(got.map((e) => [e.table, e.bytes, e.rows, e.bytes_estimated, e.bytes_unflushed_estimated])).toEqual(entries(marker).map((x) => ['customers', x.rows * 100, x.rows, true, x.rows * 100]));
    expect(got.reduce((n, e) => n + Number(e.bytes), 0)).toBe(2000 * 100);
  });

  it('a result of whole buffers and more keeps what it logged, when 100 bytes a row is less (EXECUTE IMMEDIATE of the whole table: 327,680 flushed)', () => {
    const [inner] = events.filter((e) => String(e.statement).startsWith("SELECT * FROM customers WHERE 'immediate whole'"));
    expect(inner).toMatchObject({ bytes: 327680, bytes_sent: 327680, rows: 2000, bytes_estimated: false });
  });

  it('left: a binary-protocol cursor (COM_STMT_EXECUTE with a read-only cursor, COM_STMT_FETCH) writes no slow-log entry at all; its audit line names the read', () => {
    expect(paudit.some((l) => l.includes("QUERY,h94_db,'SELECT * FROM customers WHERE \\'binary cursor\\'"))).toBe(true);
    expect(pslow.some((r) => r.includes('binary cursor'))).toBe(false);
    expect(events.some((e) => String(e.statement).includes('binary cursor'))).toBe(false);
  });
});

describe('mariadb: a session that turns its own slow log off', () => {
  const oslow = splitRecords(fs.readFileSync(path.join(DIR, 'slow-off-slow.log'), 'utf8'), RECORD_START);
  const oaudit = fs.readFileSync(path.join(DIR, 'slow-off-audit.log'), 'utf8').split('\n').filter((l) => l !== '');
  let events: FixtureEvent[];
  const of = (marker: string) => events.filter((e) => String(e.statement).includes(`'${marker}'`));
  beforeAll(async () => {
    const d = await decodeRecords([...oslow, ...oaudit]);
    expect(d.outcomes.filter((o) => !o.ok)).toEqual([]);
    events = d.events;
  });

  it('no privilege needed: after each of these the server wrote no slow-log entry for the read (the audit log has it)', () => {
    const logged = oslow.map((r) => r.split('\n').find((l) => l.startsWith('SELECT ')) ?? '').filter((l) => l !== '');
    expect(logged).toEqual(["SELECT * FROM customers WHERE 'before' <> '';", "SELECT * FROM customers WHERE 'back on' <> '';", "SELECT * FROM customers WHERE 'untouched' <> '';"]);
    expect(oaudit.filter((l) => /,READ,h94_db,customers,$/.test(l))).toHaveLength(14);
  });

  it.each([
    ['long_query_time', 'SET SESSION long_query_time = 1000'],
    ['log_slow_query', 'SET @@session.log_slow_query = OFF'],
    ['slow_query_log', 'SET slow_query_log = 0'],
    ['min_examined', 'SET SESSION log_slow_min_examined_row_limit = 1000000000'],
    ['log_slow_filter', "SET SESSION log_slow_filter = 'filesort_on_disk'"],
    ['rate_limit', 'SET SESSION log_slow_rate_limit = 1000'],
    ['set statement', "SET STATEMENT long_query_time = 1000 FOR SELECT * FROM customers WHERE 'set statement' <> ''"],
    ['execute immediate', 'SET long_query_time = 1000'],
    ['block', 'SET long_query_time = 1000'],
    ['executable comment', '/*!SET long_query_time = 1000*/'],
    // Padded past the audit log's limit: its copy is "/*!" and spaces.
    ['padded', '/*!'],
  ])('the read after it (%s) is an event from its audit line: its table, no bytes (bytes_unknown), naming the SET', (marker, set) => {
    expect(of(marker).map((e) => [e.user, e.table, e.bytes, e.status, e.tables_from, typeof e.bytes_unknown, String(e.slow_log_off_by).replace(/^query \d+,/, '').trim()])).toEqual([['h94_mallory', 'customers', 0, 'ok', 'server_audit', 'string', set]]);
  });

  it('a read before the SET, and a connection that changed nothing, are their slow-log events only; a read after setting it back is both', () => {
    expect(of('before').map((e) => [e.bytes, e.bytes_unknown])).toEqual([[335979, undefined]]);
    expect(of('untouched').map((e) => [e.bytes, e.bytes_unknown])).toEqual([[335979, undefined]]);
    expect(of('back on').map((e) => e.bytes).sort()).toEqual([0, 335979]);
  });
});

describe('mariadb: EXECUTE IMMEDIATE logs the statement it ran, then itself with the bytes of both: counted once', () => {
  const islow = splitRecords(fs.readFileSync(path.join(DIR, 'execute-immediate-slow.log'), 'utf8'), RECORD_START);
  const iaudit = fs.readFileSync(path.join(DIR, 'execute-immediate-audit.log'), 'utf8').split('\n').filter((l) => l !== '');
  const stmt = (r: string) => r.split('\n').filter((l) => !l.startsWith('#') && !l.startsWith('SET timestamp=')).join('\n');
  const header = (r: string) => ({ rows: Number(/Rows_sent: (\d+)/.exec(r)![1]), bytes: Number(/Bytes_sent: (\d+)/.exec(r)![1]) });
  /** The server's entries: each EXECUTE IMMEDIATE with the entry before it, the statement it ran. */
  const pairs = islow.flatMap((r, k) => (stmt(r).startsWith('EXECUTE IMMEDIATE') ? [{ outer: header(r), inner: header(islow[k - 1]), text: stmt(islow[k - 1]), outerText: stmt(r) }] : []));
  /** The events of both entries of a pair, found by their statements (an event not joined has no query id). */
  const eventsOf = (events: FixtureEvent[], p: (typeof pairs)[number]) => events.filter((e) => [p.text, p.outerText].map((t) => t.replace(/;$/, '')).includes(String(e.statement)));
  const queryIdOf = (text: string) => iaudit.find((l) => l.includes(`,QUERY,h98_db,'${text.replace(/;$/, '').replace(/'/g, "\\'")}'`))!.split(',')[5];

  it('the server wrote two entries and two audit QUERY lines of one query id for each', () => {
    expect(pairs).toHaveLength(4);
    for (const p of pairs) {
      expect(p.inner.rows).toBe(p.outer.rows);
      expect(p.inner.bytes).toBeLessThan(p.outer.bytes);
      expect(iaudit.filter((l) => l.split(',')[5] === queryIdOf(p.text) && l.split(',')[6] === 'QUERY')).toHaveLength(2);
    }
  });

  it("each read's rows once, and its bytes once: the statement it ran counts what it flushed (or its estimate), the EXECUTE IMMEDIATE the rest", async () => {
    const d = await decodeRecords([...islow, ...iaudit]);
    expect(d.outcomes.filter((o) => !o.ok)).toEqual([]);
    for (const p of pairs) {
      const got = eventsOf(d.events, p);
      const counted = got.reduce((n, e) => n + Number(e.bytes), 0);
      expect(got.reduce((n, e) => n + Number(e.rows), 0)).toBe(p.outer.rows);
      expect(counted).toBe(Math.max(p.outer.bytes, Number(got.find((e) => e.statement === p.text.replace(/;$/, ''))!.bytes)));
      expect(got.every((e) => e.table === 'customers' && e.query_id === queryIdOf(p.text) && e.audit_disputed === undefined)).toBe(true);
    }
    // The whole table: flushed 114,688, estimated up to 131,071; the EXECUTE IMMEDIATE's 130,878 adds nothing.
    expect(pairs[0].outer.bytes).toBe(130878);
  });

  it('the prepared-statement capture: two EXECUTE IMMEDIATE count what the server sent for them, 15,025 and 335,979 bytes', async () => {
    const pslow = splitRecords(fs.readFileSync(path.join(DIR, 'prepared-slow.log'), 'utf8'), RECORD_START);
    const paudit = fs.readFileSync(path.join(DIR, 'prepared-audit.log'), 'utf8').split('\n').filter((l) => l !== '');
    const d = await decodeRecords([...pslow, ...paudit]);
    const immediate = d.events.filter((e) => /immediate (small|whole)/.test(String(e.statement)));
    expect(immediate.map((e) => [e.table, e.bytes, e.rows])).toEqual([
      ['customers', 9000, 90],
      ['customers', 15025 - 9000, 0],
      ['customers', 327680, 2000],
      ['customers', 335979 - 327680, 0],
    ]);
  });

  it('when the audit lines come after the entries (audit log behind), both are counted: over, not under', async () => {
    const d = await decodeRecords([...islow, ...iaudit], 1);
    for (const p of pairs) expect(eventsOf(d.events, p).reduce((n, e) => n + Number(e.bytes), 0)).toBeGreaterThanOrEqual(p.outer.bytes);
  });
});

describe('mariadb: after turning the slow log off, reads of what was staged before it (helper-101 captures)', () => {
  const read = (name: string) => [
    ...splitRecords(fs.readFileSync(path.join(DIR, `${name}-slow.log`), 'utf8'), RECORD_START),
    ...fs.readFileSync(path.join(DIR, `${name}-audit.log`), 'utf8').split('\n').filter((l) => l !== ''),
  ];

  it('SELECT @x (filled from the table before the SET) and a temporary table copied before it are unmeasured reads, with no table', async () => {
    const d = await decodeRecords(read('staged-off'));
    expect(d.outcomes.filter((o) => !o.ok)).toEqual([]);
    // The server wrote no slow-log entry for either (5.5 MB reached the client) and no TABLE line.
    const unknown = d.events.filter((e) => typeof e.bytes_unknown === 'string');
    expect(unknown.map((e) => [e.statement, e.table, e.bytes, String(e.slow_log_off_by).replace(/^query \d+,/, '')])).toEqual([
      ['SELECT @x', '', 0, 'SET SESSION long_query_time = 1000'],
      ['SELECT * FROM h101_tmp', '', 0, 'SET SESSION long_query_time = 1000'],
    ]);
    // The statements before it and the SET itself make no unmeasured read.
    expect(d.events.filter((e) => e.bytes_unknown === undefined).map((e) => e.statement)).toEqual(['CREATE TEMPORARY TABLE h101_tmp AS SELECT * FROM h101_big']);
  });

  it('a SET cut at the limit whose copy holds an escape (1,024 bytes, 1,023 characters) marks its connection: the 2.7 MB read is an unmeasured read', async () => {
    const d = await decodeRecords(read('padded-set'));
    expect(d.outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(d.events.filter((e) => e.table === 'h101_big').map((e) => [e.statement, e.bytes, typeof e.bytes_unknown, String(e.slow_log_off_by).slice(0, 24)])).toEqual([
      ['SELECT * FROM h101_big', 0, 'string', "query 1028,SET @pad = 'a"],
    ]);
  });

  it('a statement run by EXECUTE IMMEDIATE, cut inside its leading comment before the SET, marks its connection', async () => {
    const d = await decodeRecords(read('padded-comment'));
    expect(d.outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(d.events.map((e) => [e.statement, e.table, e.bytes, typeof e.bytes_unknown, String(e.slow_log_off_by).slice(0, 14)])).toEqual([
      ['SELECT * FROM h101_big', 'h101_big', 0, 'string', 'query 1036,/*x'],
    ]);
  });

  it.each([
    ['slow log first, one batch', (r: string[]) => r, 1000],
    ['audit log first, one batch', (r: string[]) => [...r.filter((x) => !x.startsWith('# ')), ...r.filter((x) => x.startsWith('# '))], 1000],
    ['batches of 5', (r: string[]) => r, 5],
  ])('a connection number MariaDB gives again after a restart is not turned off by the SET of the one before (%s)', async (_, order, batch) => {
    const d = await decodeRecords(order(read('reused-connection')), batch);
    expect(d.outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(d.events.filter((e) => typeof e.bytes_unknown === 'string').map((e) => [e.user, e.statement])).toEqual([['h101_a', 'SELECT COUNT(*) FROM t']]);
    expect(d.events.filter((e) => e.user === 'h101_b').map((e) => [e.session_id, e.bytes])).toEqual([
      ['5', 6386],
      ['5', 6386],
    ]);
  });

  it('another user on the connection (COM_CHANGE_USER, which resets the slow log) is not turned off by the SET of the one before', async () => {
    const d = await decodeRecords(read('change-user'));
    expect(d.outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(d.events.map((e) => [e.user, e.statement, e.bytes, e.bytes_unknown])).toEqual([['h101_ins2', 'SELECT name FROM h101_big WHERE id <= 100', 1172, undefined]]);
  });

  it('a parenthesised UNION of 1,090 characters does not mark its connection: the next reads are their slow-log events only', async () => {
    const d = await decodeRecords(read('long-union'));
    expect(d.outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(d.events.filter((e) => e.bytes_unknown !== undefined)).toEqual([]);
    expect(d.events.map((e) => [String(e.statement).slice(0, 8), e.bytes])).toEqual([
      ['(SELECT ', 4692],
      ['SELECT n', 92],
      ['SELECT n', 92],
    ]);
  });
});

describe('mariadb: the slow-log-off mark against the join state bound (300 statements before and after the reads)', () => {
  const records = [
    ...splitRecords(fs.readFileSync(path.join(DIR, 'padded-off-slow.log'), 'utf8'), RECORD_START),
    ...fs.readFileSync(path.join(DIR, 'padded-off-audit.log'), 'utf8').split('\n').filter((l) => l !== ''),
  ];

  it.each([
    ['one batch', records.length],
    ['batches of 100', 100],
    ['batches of 7', 7],
  ])('both reads are unmeasured reads (%s)', async (_, batch) => {
    const d = await decodeRecords(records, batch);
    expect(d.outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(d.events.filter((e) => e.table === 'customers').map((e) => [e.statement, e.bytes, typeof e.bytes_unknown])).toEqual([
      ["SELECT * FROM customers WHERE 'after padding' <> ''", 0, 'string'],
      ["SELECT * FROM customers WHERE 'padding after' <> ''", 0, 'string'],
    ]);
  });
});
