// MariaDB 10.11 end to end on the real services: the server writes its slow log and server_audit log,
// Debian's rsyslog (imfile, multi-line slow-log entries -> omkafka) ships both to one topic, `insider
// ingest` decodes and joins them and stores the events, `insider detect` alerts on them. Real clients
// (`mariadb`, `mysqldump`) run each case; the bytes stored must be the Bytes_sent the server wrote in its
// own slow log, read here separately. A bulk mysqldump must raise an alert before it ends.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { localServices, mariadbFiles, mariadbLayout, mariadbRoot, servicesUp, startRsyslogShipper, stateDirOf, type MariadbLayout, type RsyslogShipper } from '../../src/local-services';
import { sql } from '../../src/store';
import { uniqueName } from '../helpers/env';
import { BIN, ingestFixture, killIngesters, produce, startIngester, waitUntil, type IngestFixture, type RunningIngester } from '../helpers/ingest-run';
import { auditRecords, slowRecords } from '../fixtures/mariadb/decode';
import { bytesSentInLog, client, PASSWORD, runCases, setUp, tearDown, type MariadbCase, type MariadbNames } from '../fixtures/mariadb/scenario';

jest.setTimeout(600000);

/** The bulk dump: tables of about 8 MB each, read at a slow link's pace. */
const BULK_TABLES = 4;
const BULK_ROWS = 60_000;
const READ_BYTES_PER_S = 6_000_000;

interface StoredRow {
  event_id: string;
  user: string;
  action: string;
  db_name: string;
  table_name: string;
  rows: string;
  bytes: string;
  status: string;
  client_ip: string;
  query_id: string;
  bytes_estimated: number;
  extra: string;
}

describe('MariaDB slow log + server_audit through rsyslog to the ingester and the detector', () => {
  let f: IngestFixture;
  let layout: MariadbLayout;
  let names: MariadbNames & { bulk: string };
  let shipper: RsyslogShipper | undefined;
  let ingester: RunningIngester;
  let cases: MariadbCase[];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'it-mdb-'));
  let slowStart = 0;

  const stored = async (where = sql`1`) =>
    f.ch.query<StoredRow>(sql`
      SELECT event_id, user, action, db_name, table_name, rows, bytes, status, client_ip, query_id, bytes_estimated, extra
      FROM access_events WHERE source = ${f.name} AND ${where} ORDER BY ts, event_id`);
  /** A whole slow-log entry naming `user` on `thread` with a 20 GB read, as a statement can write one into the log. */
  const forgedEntry = (user: string, thread: number) => [
    `# User@Host: ${user}[${user}] @  [10.1.2.3]`,
    `# Thread_id: ${thread}  Schema: ${names.database}  QC_hit: No`,
    '# Query_time: 41.0  Lock_time: 0.0  Rows_sent: 9000000  Rows_examined: 9000000',
    '# Rows_affected: 0  Bytes_sent: 21474836480',
    `SET timestamp=${Math.floor(Date.now() / 1000)};`,
    'SELECT * FROM customers;',
  ];
  const statementOf = (r: StoredRow) => String((JSON.parse(r.extra) as { statement?: string }).statement ?? '');

  beforeAll(async () => {
    f = await ingestFixture('it_mdb', { partitions: 1 });
    await servicesUp(localServices(f.config, ['mariadb']), () => {});
    layout = mariadbLayout(f.config, stateDirOf(f.config));
    const prefix = uniqueName('it_mdb').toLowerCase();
    names = { database: prefix, analyst: `${prefix}_an`, exporter: `${prefix}_ex`, dumper: `${prefix}_du`, bulk: `${prefix}_bk` };
    await setUp(layout, names);
    // The bulk dump's tables and its user.
    const tables = Array.from({ length: BULK_TABLES }, (_, i) => `bulk${i + 1}`);
    await mariadbRoot(
      layout,
      `USE ${names.database};
       ${tables.map((t) => `CREATE TABLE ${t} (id INT PRIMARY KEY, token CHAR(32), label VARCHAR(120)); INSERT INTO ${t} SELECT seq, MD5(seq), CONCAT('customer ', seq, ', "vip" ', REPEAT('x', 60)) FROM seq_1_to_${BULK_ROWS};`).join('\n')}
       CREATE USER '${names.bulk}'@'%' IDENTIFIED BY '${PASSWORD}';
       GRANT SELECT, LOCK TABLES, SHOW VIEW ON ${names.database}.* TO '${names.bulk}'@'%';`,
    );

    const base = fs.readFileSync(f.configFile, 'utf8').split('\n').filter((l) => l.startsWith('kafka:') || l.startsWith('clickhouse:') || l.startsWith('log:'));
    base.push(
      `ingest: { groupId: "${f.groupId}", topics: ["${f.topic}"], sources: { "${f.topic}": { format: mariadb, options: { server: "${f.name}" } } }, sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000, metrics: { port: 0 }, retry: { initialDelayMs: 100, maxDelayMs: 2000 } }`,
      `detection: { groupId: "${f.groupId}-detect", detectors: { ceiling: { dailyBytes: 5000000 } } }`,
    );
    fs.writeFileSync(f.configFile, `${base.join('\n')}\n`);

    shipper = await startRsyslogShipper({ dir: path.join(dir, 'rsyslog'), files: mariadbFiles(layout.logs.slow, layout.logs.audit), brokers: f.config.kafka.brokers, topic: f.topic });
    // rsyslog starts at the end of the files: wait until a statement made now reaches Kafka.
    await waitUntil('rsyslog shipping', async () => {
      await client(layout, names.analyst, names.database, 'SELECT id FROM orders WHERE id = 1');
      const a = f.kafka.admin();
      await a.connect();
      const [p] = await a.fetchTopicOffsets(f.topic);
      await a.disconnect();
      return Number(p.high) > 0;
    }, 60000, 1000);
    ingester = startIngester(f, 'mdb');
    await ingester.started();
    slowStart = fs.statSync(layout.logs.slow).size;
    cases = await runCases(layout, names, dir);
    await waitUntil('every case stored', async () => {
      const got = await stored();
      return cases.every((c) => c.expected.every((x) => got.some((r) => r.user === x.user && r.table_name === x.table && statementOf(r).startsWith(x.statementStart))));
    }, 120000, 500);
  });

  afterAll(async () => {
    await shipper?.stop();
    killIngesters();
    if (names) {
      await tearDown(layout, names).catch(() => {});
      await mariadbRoot(layout, `DROP USER IF EXISTS '${names.bulk}'@'%'`).catch(() => {});
    }
    await f?.cleanup();
  });

  it('stores every case with the exact user, client, action, tables, rows, status and the Bytes_sent the server logged', async () => {
    const rows = await stored();
    // slowStart is a size in bytes: cut the bytes, then decode (earlier tests' entries may hold multi-byte characters).
    const slowLog = fs.readFileSync(layout.logs.slow).subarray(slowStart).toString('utf8');
    const report: string[] = [];
    for (const c of cases) {
      const mine = rows.filter((r) => r.user === c.user && c.expected.some((x) => statementOf(r).startsWith(x.statementStart)));
      // In the case's order (events of one second sort by id).
      const got = [...mine].sort((a, b) => c.expected.findIndex((x) => x.table === a.table_name && statementOf(a).startsWith(x.statementStart)) - c.expected.findIndex((x) => x.table === b.table_name && statementOf(b).startsWith(x.statementStart)));
      expect({ case: c.name, events: got.map((r) => ({ user: r.user, client: r.client_ip, action: r.action, database: r.db_name, table: r.table_name, rows: Number(r.rows), status: r.status })) }).toEqual({
        case: c.name,
        events: c.expected.map((x) => ({ user: x.user, client: '127.0.0.1', action: x.action, database: x.database, table: x.table, rows: x.rows, status: x.status })),
      });
      got.forEach((r, i) => {
        const x = c.expected[i];
        const [logged] = bytesSentInLog(slowLog, x.user, x.statementStart);
        const extra = JSON.parse(r.extra) as { bytes_sent: number };
        expect({ case: c.name, bytes: Number(r.bytes), bytes_sent: extra.bytes_sent, estimated: r.bytes_estimated, joined: /^\d+$/.test(r.query_id) }).toEqual({
          case: c.name,
          bytes: x.status === 'error' || !x.carriesBytes ? 0 : logged,
          bytes_sent: logged,
          estimated: 0,
          joined: true,
        });
        report.push(`${c.name.padEnd(10)} ${r.action.padEnd(7)} ${`${r.db_name}.${r.table_name}`.padEnd(36)} ${String(r.rows).padStart(6)} rows ${String(r.bytes).padStart(8)} B  (slow log Bytes_sent ${logged}) ${r.status}`);
      });
      if (c.extra) expect(JSON.parse(got[0].extra)).toMatchObject(c.extra);
    }
    process.stdout.write(`\nMariaDB cases as stored (rsyslog -> Kafka -> ingester):\n${report.join('\n')}\n`);
  });

  it('a bulk mysqldump raises an alert before it ends, with measured bytes', async () => {
    const detectLog = path.join(dir, 'detect.log');
    const out = fs.openSync(detectLog, 'a');
    const detector = spawn(process.execPath, [BIN, '--config', f.configFile, 'detect'], { stdio: ['ignore', out, out], env: { ...process.env } });
    fs.closeSync(out);
    try {
      await waitUntil('detector started', async () => fs.readFileSync(detectLog, 'utf8').includes('"msg":"detecting"'), 120000, 200);
      const dump = spawn('mysqldump', ['--protocol=TCP', '-h', '127.0.0.1', '-P', String(layout.port), '-u', names.bulk, `-p${PASSWORD}`, names.database, ...Array.from({ length: BULK_TABLES }, (_, i) => `bulk${i + 1}`)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let dumped = 0;
      dump.stdout.on('data', (c: Buffer) => {
        dumped += c.length;
        dump.stdout.pause();
        setTimeout(() => dump.stdout.resume(), (c.length / READ_BYTES_PER_S) * 1000);
      });
      let endedAt = 0;
      const ended = new Promise<number>((resolve) => dump.once('exit', () => resolve((endedAt = Date.now()))));
      let alertAt = 0;
      const alert = await waitUntil(
        'an alert for the dump',
        async () => {
          const [a] = await f.ch.query<{ explanation: string; evidence: string }>(sql`SELECT explanation, evidence FROM alerts WHERE user = ${names.bulk} ORDER BY revision LIMIT 1`);
          if (a && !alertAt) alertAt = Date.now();
          return a;
        },
        120000,
        100,
      );
      const end = await ended;
      process.stdout.write(`\nmysqldump of ${BULK_TABLES} tables (${dumped} bytes): alert stored ${((end - alertAt) / 1000).toFixed(1)} s before the dump ended\n  ${alert.explanation}\n`);
      expect(endedAt === 0 || alertAt < endedAt).toBe(true);
      expect(alertAt).toBeLessThan(end);
      expect(alert.explanation).not.toMatch(/^≈/);
      const evidence = JSON.parse(alert.evidence) as { estimatedBytes?: number; topTables: Array<{ table: string }> };
      expect(evidence.estimatedBytes ?? 0).toBe(0);
      expect(evidence.topTables[0].table).toMatch(new RegExp(`^${names.database}\\.bulk\\d$`));
      // Every table's DUMP event stored, each with the Bytes_sent of its SELECT.
      const dumps = await waitUntil('the dump stored', async () => {
        const r = await stored(sql`user = ${names.bulk} AND action = 'DUMP'`);
        return r.length === BULK_TABLES ? r : undefined;
      }, 60000);
      const slowLog = fs.readFileSync(layout.logs.slow, 'utf8');
      for (const r of dumps) expect([Number(r.rows), Number(r.bytes)]).toEqual([BULK_ROWS, bytesSentInLog(slowLog, names.bulk, `SELECT /*!40001 SQL_NO_CACHE */ \`id\`, \`token\`, \`label\` FROM \`${r.table_name}\``)[0]]);
    } finally {
      detector.kill('SIGTERM');
    }
  });

  it('a statement that writes slow-log lines of its own frames no one and hides nothing: the entry it forges is refused, its author\'s read counted with the Bytes_sent the server logged', async () => {
    // Sent with comments kept (mariadb -c), as any client sends them. The first writes, inside a comment,
    // a whole entry for a colleague (20 GB); the second an alias whose newline puts forged numbers on an
    // explain line (log_slow_verbosity = explain).
    const colleague = names.exporter;
    const forge = [
      'SELECT * /*',
      ...forgedEntry(colleague, 7),
      '*/ FROM customers',
    ].join('\n');
    const shrink = 'SELECT * FROM customers AS `c\n# Rows_sent: 3  Rows_examined: 3  Rows_affected: 0  Bytes_sent: 412`';
    const before = await f.ch.query<{ n: string }>(sql`SELECT count() AS n FROM dead_letters WHERE reason_code = 'forged_record'`);
    for (const statement of [forge, shrink]) {
      const out = await new Promise<number>((resolve) => spawn('mariadb', ['--protocol=TCP', '-h', '127.0.0.1', '-P', String(layout.port), '-u', names.analyst, `-p${PASSWORD}`, names.database, '-c', '-e', statement], { stdio: 'ignore' }).on('close', (code) => resolve(code ?? 1)));
      expect(out).toBe(0);
    }
    const [cut, aliased] = await waitUntil('both reads stored', async () => {
      const a = await stored(sql`user = ${names.analyst} AND position(extra, 'SELECT * /*') > 0`);
      const b = await stored(sql`user = ${names.analyst} AND position(extra, 'AS \`c') > 0`);
      return a.length > 0 && b.length > 0 ? [a, b] : undefined;
    }, 120000, 500);
    const log = fs.readFileSync(layout.logs.slow, 'utf8').slice(slowStart);
    // Each counted once, for its author, with the header the server wrote (not 412 bytes; not nothing).
    expect(cut.map((r) => [r.user, Number(r.bytes), Number(r.rows)])).toEqual([[names.analyst, bytesSentInLog(log, names.analyst, 'SELECT * /*')[0], 2000]]);
    expect(JSON.parse(cut[0].extra).statement_cut).toMatch(/cut/);
    expect(aliased.map((r) => [r.user, r.table_name, Number(r.bytes), Number(r.rows)])).toEqual([[names.analyst, 'customers', bytesSentInLog(log, names.analyst, 'SELECT * FROM customers AS `c')[0], 2000]]);
    expect(Number(aliased[0].bytes)).toBeGreaterThan(100000);
    // The forged entry: a dead letter naming its author, no event for the colleague.
    const [dead] = await waitUntil('the forged entry dead-lettered', async () => {
      const d = await f.ch.query<{ n: string }>(sql`SELECT count() AS n FROM dead_letters WHERE reason_code = 'forged_record'`);
      return Number(d[0].n) > Number(before[0].n) ? d : undefined;
    }, 60000);
    expect(Number(dead.n) - Number(before[0].n)).toBe(1);
    const [reason] = await f.ch.query<{ reason: string }>(sql`SELECT reason FROM dead_letters WHERE reason_code = 'forged_record' ORDER BY kafka_offset DESC LIMIT 1`);
    expect(reason.reason).toContain(names.analyst);
    expect(await stored(sql`user = ${colleague} AND bytes = 21474836480`)).toEqual([]);
  });

  it('statements the shipper must cut (over 1 MiB; 170 KB of control characters JSON writes sixfold) are counted, and what rsyslog cuts off never becomes a record', async () => {
    // rsyslog cuts a record at maxMessageSize (1 MiB) and by default sends the rest as a record of its own,
    // starting where the statement's author chose: here a whole entry for a colleague, with no newline
    // before it (so the record-start rule never sees it, and the audit log keeps only 1,024 characters).
    // And omkafka dropped, without retry, any envelope over its producer's 1,000,000 bytes: both reads
    // were never counted.
    const colleague = names.exporter;
    const forged = forgedEntry(colleague, 7).join('\n');
    const send = (statement: string) =>
      new Promise<number>((resolve) => {
        const c = spawn('mariadb', ['--protocol=TCP', '-h', '127.0.0.1', '-P', String(layout.port), '-u', names.analyst, `-p${PASSWORD}`, names.database, '-c'], { stdio: ['pipe', 'ignore', 'inherit'] });
        c.on('close', (code) => resolve(code ?? 1));
        c.stdin.end(`${statement};\n`);
      });
    // Where the cut falls: the server's header before a statement of the same shape, measured on a probe.
    const from = fs.statSync(layout.logs.slow).size;
    const deadBefore = await f.ch.query<{ n: string }>(sql`SELECT count() AS n FROM dead_letters WHERE kafka_topic = ${f.topic}`);
    expect(await send('SELECT * FROM customers /* probe */')).toBe(0);
    const probe = await waitUntil('the probe in the slow log', async () => {
      const text = fs.readFileSync(layout.logs.slow).subarray(from).toString('utf8');
      const entry = text.split(/^(?=# User@Host: )/m).find((e) => e.startsWith(`# User@Host: ${names.analyst}[`) && e.includes('/* probe */'));
      return entry ? entry.indexOf('SELECT * FROM customers /* probe */') : undefined;
    }, 30000, 200);
    const starts: string[] = ['SELECT * FROM customers /* long', 'SELECT * FROM customers /* ctrl'];
    expect(await send(`${starts[0]} ${`${'y'.repeat(999)}\n`.repeat(1500)} */`)).toBe(0);
    expect(await send(`${starts[1]} ${'\x01'.repeat(170_000)} */`)).toBe(0);
    // The forged header at each place the cut may fall (1 MiB less 0-6 bytes: rsyslog counts a terminator).
    for (let back = 0; back <= 6; back++) {
      const start = `SELECT * FROM customers /* split${back}`;
      const pad = 1024 * 1024 - back - probe - start.length - 1;
      starts.push(start);
      expect(await send(`${start} ${'z'.repeat(pad)}${forged} */`)).toBe(0);
    }
    // Stored last (one partition, in order): whatever rsyslog made of the reads before it was decoded by then.
    starts.push('SELECT * FROM customers /* done');
    expect(await send(`${starts.at(-1)} */`)).toBe(0);
    const rows = await waitUntil('every read stored', async () => {
      const r = await stored(sql`user = ${names.analyst} AND position(extra, 'FROM customers /* ') > 0 AND position(extra, '/* probe') = 0`);
      return starts.every((s) => r.some((x) => statementOf(x).startsWith(s))) ? r : undefined;
    }, 120000, 500);
    const log = fs.readFileSync(layout.logs.slow).subarray(from).toString('utf8');
    for (const s of starts) {
      const mine = rows.filter((r) => statementOf(r).startsWith(s));
      expect({ s, counted: mine.map((r) => [r.table_name, Number(r.rows), Number(r.bytes)]) }).toEqual({ s, counted: [['customers', 2000, bytesSentInLog(log, names.analyst, s)[0]]] });
    }
    expect(await stored(sql`user = ${colleague} AND bytes = 21474836480`)).toEqual([]);
    // Nothing of this was refused (too large, or a stray piece of a record).
    const deadAfter = await f.ch.query<{ n: string }>(sql`SELECT count() AS n FROM dead_letters WHERE kafka_topic = ${f.topic}`);
    expect(Number(deadAfter[0].n)).toBe(Number(deadBefore[0].n));
  });

  it('a statement padded past server_audit_query_log_limit frames no one: the entry it writes for a colleague is refused, naming its author', async () => {
    // The audit log keeps the first 1,024 bytes of a statement: with 1,100 bytes of padding before the
    // forged header its copy never holds the entry. The first statement's own entry is cut (no final
    // ';'); the second's ends with ';' inside its comment, and names a thread that does not exist.
    const colleague = names.exporter;
    const header = (thread: number) => forgedEntry(colleague, thread);
    const pad = 'p'.repeat(1100);
    const statements = [
      [`SELECT * /* padded-cut ${pad}`, ...header(7), '*/ FROM customers'].join('\n'),
      [`/* padded-semicolon ${pad} */ SELECT * /*;`, ...header(99999), '*/ FROM customers'].join('\n'),
    ];
    const deadCount = async () => Number((await f.ch.query<{ n: string }>(sql`SELECT count() AS n FROM dead_letters WHERE reason_code = 'forged_record'`))[0].n);
    const before = await deadCount();
    for (const statement of statements) {
      const out = await new Promise<number>((resolve) => spawn('mariadb', ['--protocol=TCP', '-h', '127.0.0.1', '-P', String(layout.port), '-u', names.analyst, `-p${PASSWORD}`, names.database, '-c', '-e', statement], { stdio: 'ignore' }).on('close', (code) => resolve(code ?? 1)));
      expect(out).toBe(0);
    }
    // The slow log's events. A statement whose first keyword lies past the audit copy's 1,024 characters
    // may have been a SET that turned the connection's slow log off: its audit lines are then also events
    // of no bytes (bytes_unknown), depending on which batch they come in. Those are not these.
    const reads = await waitUntil('both reads stored', async () => {
      const r = await stored(sql`user = ${names.analyst} AND position(extra, 'padded-') > 0 AND position(extra, 'bytes_unknown') = 0`);
      return r.length >= 2 ? r : undefined;
    }, 120000, 500);
    const log = fs.readFileSync(layout.logs.slow, 'utf8').slice(slowStart);
    // Each counted once, for its author, with the Bytes_sent the server wrote for it.
    const label = (r: StoredRow) => (statementOf(r).startsWith('SELECT * /* padded-cut') ? 'cut' : 'semicolon');
    expect(reads.map((r) => [label(r), r.user, r.table_name, Number(r.bytes)]).sort()).toEqual([
      ['cut', names.analyst, 'customers', bytesSentInLog(log, names.analyst, 'SELECT * /* padded-cut')[0]],
      ['semicolon', names.analyst, 'customers', bytesSentInLog(log, names.analyst, '/* padded-semicolon')[0]],
    ]);
    // The first (its own entry cut: what follows it must be vouched for) is refused whenever its audit
    // line comes. The second ends with ";": refused when its audit line came before the forged entry was
    // decoded (rsyslog ships the two files apart; a batch may end between them), else stored marked
    // with its possible author (docs/sources/mariadb.md, the limit).
    const outcome = await waitUntil('both forged entries refused, or the second marked', async () => {
      const dead = (await deadCount()) - before;
      const marked = await stored(sql`user = ${colleague} AND bytes = 21474836480`);
      return dead >= 2 || (dead >= 1 && marked.length > 0) ? { dead, marked } : undefined;
    }, 60000);
    expect(outcome.dead + outcome.marked.length).toBe(2);
    for (const r of outcome.marked) expect(JSON.parse(r.extra)).toMatchObject({ audit: 'not joined', audit_follows: expect.stringContaining(`(${names.analyst}, connection `) });
    const reasons = await f.ch.query<{ reason: string }>(sql`SELECT reason FROM dead_letters WHERE reason_code = 'forged_record' ORDER BY kafka_offset DESC LIMIT ${outcome.dead}`);
    for (const r of reasons) expect(r.reason).toContain(`statement of ${names.analyst} (connection `);
    expect(outcome.dead).toBeGreaterThanOrEqual(1);
  });

  it('a statement holding bytes that are not UTF-8 (client charset latin1) hides nothing: its read is counted with the Bytes_sent the server logged, marked', async () => {
    // The server writes the statement's bytes as the client sent them into both logs, and rsyslog ships
    // them as they are: the two records were dead-lettered as invalid_utf8 and a read of the whole table
    // never counted. Sent on stdin, as bytes (an argument would be UTF-8).
    const statement = Buffer.from('SELECT * FROM customers /* \xff\xfe */;\n', 'latin1');
    const before = await f.ch.query<{ n: string }>(sql`SELECT count() AS n FROM dead_letters WHERE reason_code = 'invalid_utf8'`);
    const out = await new Promise<number>((resolve) => {
      const c = spawn('mariadb', ['--protocol=TCP', '-h', '127.0.0.1', '-P', String(layout.port), '-u', names.analyst, `-p${PASSWORD}`, names.database, '-c', '--default-character-set=latin1'], { stdio: ['pipe', 'ignore', 'inherit'] });
      c.on('close', (code) => resolve(code ?? 1));
      c.stdin.end(statement);
    });
    expect(out).toBe(0);
    // The server writes the slow-log entry after the result is sent: the client may have quit before.
    const raw = await waitUntil('the entry in the slow log', async () => {
      const log = fs.readFileSync(layout.logs.slow).subarray(slowStart);
      return log.includes(Buffer.from('/* \xff\xfe */;', 'latin1')) ? log : undefined;
    }, 10000, 100);
    const start = 'SELECT * FROM customers /* \uFFFD\uFFFD */';
    const rows = await waitUntil('the read stored', async () => {
      const r = await stored(sql`user = ${names.analyst} AND position(extra, 'invalid_utf8_replaced') > 0`);
      return r.length > 0 ? r : undefined;
    }, 120000, 500);
    const [logged] = bytesSentInLog(raw.toString('utf8'), names.analyst, start);
    expect(logged).toBeGreaterThan(100000);
    expect(rows.map((r) => [r.user, r.action, r.table_name, Number(r.rows), Number(r.bytes), r.status, /^\d+$/.test(r.query_id)])).toEqual([[names.analyst, 'SELECT', 'customers', 2000, logged, 'ok', true]]);
    expect(JSON.parse(rows[0].extra)).toMatchObject({ statement: start, invalid_utf8_replaced: 2, tables_from: 'server_audit' });
    const after = await f.ch.query<{ n: string }>(sql`SELECT count() AS n FROM dead_letters WHERE reason_code = 'invalid_utf8'`);
    expect(Number(after[0].n)).toBe(Number(before[0].n));
  });

  it('malformed, cut and wrongly formatted records are dead-lettered with reasons while the ingester keeps running', async () => {
    const entry = slowRecords().find((r) => r.includes('FROM customers WHERE id <= 25'))!;
    const auditLine = auditRecords().find((r) => r.includes(',QUERY,'))!;
    const bad: Array<{ value: string; code: string }> = [
      { value: entry.split('\n')[1], code: 'truncated_record' },
      { value: entry.replace(/SET timestamp=\d+;\n[\s\S]*$/, ''), code: 'truncated_record' },
      { value: entry.replace(/ {2}Bytes_sent: \d+/, ''), code: 'missing_field' },
      { value: auditLine.slice(0, auditLine.indexOf("'") + 10), code: 'bad_audit_line' },
      { value: '{"timestamp":"2026-12-02 04:01:26 UTC","error_severity":"LOG","message":"connection received"}', code: 'wrong_format' },
      { value: JSON.stringify({ log: 7 }), code: 'envelope_field_not_string' },
    ];
    const before = await f.ch.query<{ n: string }>(sql`SELECT count() AS n FROM dead_letters`);
    await produce(f.kafka, f.topic, bad.map((b) => ({ value: Buffer.from(b.value) })));
    await waitUntil('dead letters recorded', async () => {
      const [n] = await f.ch.query<{ n: string }>(sql`SELECT count() AS n FROM dead_letters`);
      return Number(n.n) - Number(before[0].n) >= bad.length;
    }, 60000);
    const dead = await f.ch.query<{ reason_code: string; reason: string }>(sql`SELECT reason_code, reason FROM dead_letters ORDER BY kafka_offset DESC LIMIT ${bad.length}`);
    expect(dead.map((d) => d.reason_code).reverse()).toEqual(bad.map((b) => b.code));
    for (const d of dead) expect(d.reason.length).toBeGreaterThan(10);
    // Still running: a statement made now is stored.
    await client(layout, names.analyst, names.database, 'SELECT * FROM orders WHERE id <= 9');
    const [after] = await waitUntil('a later statement stored', async () => {
      const r = await stored(sql`user = ${names.analyst} AND table_name = 'orders' AND rows = 9`);
      return r.length > 0 ? r : undefined;
    }, 60000);
    expect(after.status).toBe('ok');
    expect(ingester.child.exitCode).toBeNull();
  });
});
