// PostgreSQL 15 + pgaudit 1.7 end to end on the real services: the server writes its jsonlog, Debian's
// rsyslog (imfile -> omkafka) ships it to Kafka, `insider ingest` decodes and stores it, `insider detect`
// alerts on it. Each case of the audit scenario is checked on the stored events; a pg_dump of the
// largest table must alert before the dump ends; bad records are dead-lettered while the ingester runs.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { localServices, postgresLayout, servicesUp, startRsyslogShipper, stateDirOf, type PostgresLayout, type RsyslogShipper } from '../../src/local-services';
import { sql } from '../../src/store';
import { uniqueName } from '../helpers/env';
import { BIN, ingestFixture, killIngesters, produce, startIngester, waitUntil, type IngestFixture, type RunningIngester } from '../helpers/ingest-run';
import { FIXTURE_DIR, FIXTURE_FILES, fixtureRecords } from '../fixtures/postgres/decode';
import { splitRecords } from '../../src/sources/framing';
import { admin, copyBytes, psql, runCases, setUp, tearDown, type CaseResult, type ScenarioNames } from '../fixtures/postgres/scenario';

jest.setTimeout(600000);

/** The documented errors of estimated bytes (docs/sources/postgres.md "How far the estimate is off"). */
const EVENT_ESTIMATE_ERROR = 0.25;
const TABLE_ESTIMATE_ERROR = 0.05;
/** The dump's table: large enough that a throttled reader takes seconds over it. */
const BIG_ROWS = 1_000_000;

interface StoredRow {
  event_id: string;
  user: string;
  identity: string;
  action: string;
  table_name: string;
  rows: string;
  bytes: string;
  status: string;
  bytes_estimated: number;
  client_app: string;
  kafka_offset: string;
}

describe('PostgreSQL + pgaudit through rsyslog to the ingester and the detector', () => {
  let f: IngestFixture;
  let layout: PostgresLayout;
  let names: ScenarioNames & { dumper: string; stats: string };
  let shipper: RsyslogShipper | undefined;
  let ingester: RunningIngester;
  let results: CaseResult[];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'it-pg-'));
  let base = '';
  /** The fixture's Kafka and ClickHouse settings; this topic read as PostgreSQL jsonlog from `server`. */
  const writeConfig = (file: string, topic: string, server: string, group: string) => {
    const kept = base.split('\n').filter((l) => l.startsWith('kafka:') || l.startsWith('clickhouse:') || l.startsWith('log:'));
    const source = `{ format: postgres, options: { destination: jsonlog, server: "${server}", statsUrlEnv: INSIDER_IT_PG_STATS_URL, statsIntervalS: 10 } }`;
    kept.push(
      `ingest: { groupId: "${group}", topics: ["${topic}"], sources: { "${topic}": ${source} }, sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000, metrics: { port: 0 }, retry: { initialDelayMs: 100, maxDelayMs: 2000 } }`,
      `detection: { groupId: "${group}-detect", detectors: { ceiling: { dailyBytes: 20000000 } } }`,
    );
    fs.writeFileSync(file, `${kept.join('\n')}\n`);
  };
  /** A topic of its own, read as another server's jsonlog by ingesters of their own group (restart tests). */
  const ownTopic = async (prefix: string) => {
    const server = uniqueName(prefix);
    const topic = uniqueName(`${prefix}_topic`);
    const a = await f.kafka.admin();
    await a.connect();
    await a.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await a.disconnect();
    const configFile = path.join(dir, `${prefix}.yaml`);
    writeConfig(configFile, topic, server, server);
    return { server, topic, fx: { ...f, configFile } };
  };
  const stored = async (where = sql`1`) =>
    f.ch.query<StoredRow>(sql`
      SELECT event_id, user, identity, action, table_name, rows, bytes, status, bytes_estimated, client_app, kafka_offset
      FROM access_events WHERE db_name = ${names.database} AND ${where} ORDER BY ts, event_id`);

  beforeAll(async () => {
    f = await ingestFixture('it_pg', { partitions: 1 });
    const config = f.config;
    await servicesUp(localServices(config, ['postgres']), () => {});
    layout = postgresLayout(config, stateDirOf(config));
    const prefix = uniqueName('it_pg').toLowerCase();
    names = { database: prefix, analyst: `${prefix}_analyst`, shared: `${prefix}_shared`, pii: `${prefix}_pii`, dumper: `${prefix}_dumper`, stats: `${prefix}_stats` };
    await setUp(layout, names);
    // The read-only role the ingester reads table statistics with, and a role for the bulk dump.
    const root = await admin(layout);
    await root.query(`CREATE ROLE ${names.stats} LOGIN IN ROLE pg_read_all_data`);
    await root.query(`CREATE ROLE ${names.dumper} LOGIN`);
    await root.end();
    const db = await admin(layout, names.database);
    await db.query(`CREATE TABLE big AS SELECT g AS id, md5(g::text) AS token, 'customer ' || g || ', "vip"' AS label, now() AS created_at FROM generate_series(1, ${BIG_ROWS}) g`);
    await db.query(`GRANT SELECT ON big TO ${names.dumper}; ANALYZE big`);
    await db.end();

    // The configuration: this topic carries PostgreSQL's jsonlog; a low ceiling so the dump alerts.
    base = fs.readFileSync(f.configFile, 'utf8');
    writeConfig(f.configFile, f.topic, f.name, f.groupId);
    process.env.INSIDER_IT_PG_STATS_URL = `postgres://${names.stats}@127.0.0.1:${layout.port}/postgres`;

    shipper = await startRsyslogShipper({ dir: path.join(dir, 'rsyslog'), file: layout.logs.jsonlog, destination: 'jsonlog', brokers: config.kafka.brokers, topic: f.topic });
    // rsyslog starts at the end of the file: wait until a line written now reaches Kafka.
    await waitUntil('rsyslog shipping', async () => {
      const c = await admin(layout, names.database);
      await c.query(`SET application_name = 'ship-check'; SELECT count(*) FROM orders WHERE id = 1`);
      await c.end();
      const offsets = await f.kafka.admin();
      await offsets.connect();
      const [p] = await offsets.fetchTopicOffsets(f.topic);
      await offsets.disconnect();
      return Number(p.high) > 0;
    }, 60000, 1000);
    ingester = startIngester(f, 'pg');
    await ingester.started();
    results = await runCases(layout, names);
    const apps = results.map((r) => r.app);
    await waitUntil('every case stored', async () => {
      const got = new Set((await stored()).map((r) => r.client_app));
      return apps.every((a) => got.has(a));
    }, 120000, 500);
  });

  afterAll(async () => {
    await shipper?.stop();
    killIngesters();
    if (names) await tearDown(layout, names).catch(() => {});
    const root = names ? await admin(layout).catch(() => undefined) : undefined;
    if (root) {
      await root.query(`DROP ROLE IF EXISTS ${names.stats}`).catch(() => {});
      await root.query(`DROP ROLE IF EXISTS ${names.dumper}`).catch(() => {});
      await root.end();
    }
    await f?.cleanup();
  });

  it('stores every case with the exact user, identity, action, tables, rows and status; bytes within the documented error', async () => {
    const rows = await stored();
    const table: string[] = [];
    for (const c of results) {
      const got = rows.filter((r) => r.client_app === c.app && r.user === c.expected[0].user && (c.app !== 'pg_dump' || r.table_name !== ''));
      expect({ case: c.name, events: got.map((r) => ({ user: r.user, identity: r.identity, action: r.action, table: r.table_name, rows: Number(r.rows), status: r.status })) }).toEqual({
        case: c.name,
        events: c.expected.map((x) => ({ user: x.user, identity: x.identity, action: x.action, table: x.table, rows: x.rows, status: x.status })),
      });
      got.forEach((r, i) => {
        const truth = c.expected[i].trueBytes;
        if (truth === undefined) {
          expect({ case: c.name, bytes: Number(r.bytes), estimated: r.bytes_estimated }).toEqual({ case: c.name, bytes: 0, estimated: 0 });
          return;
        }
        const error = (Number(r.bytes) - truth) / truth;
        table.push(`${c.name.padEnd(14)} ${r.table_name.padEnd(18)} ${String(r.rows).padStart(6)} rows  estimated ${String(r.bytes).padStart(8)} B  true ${String(truth).padStart(8)} B  ${(error * 100).toFixed(1).padStart(6)}%`);
        expect({ case: c.name, estimated: r.bytes_estimated, within: Math.abs(error) <= (c.expected[i].rows >= 1000 ? TABLE_ESTIMATE_ERROR : EVENT_ESTIMATE_ERROR) }).toEqual({ case: c.name, estimated: 1, within: true });
      });
    }
    process.stdout.write(`\nEstimated bytes against the true COPY text, per case (rsyslog -> Kafka -> ingester):\n${table.join('\n')}\n`);
  });

  it('the estimate per test table against its true COPY output', async () => {
    const rows = await stored();
    const lines = ['TABLE              ROWS   ESTIMATED BYTES  TRUE COPY BYTES   ERROR'];
    for (const c of results.filter((r) => r.name === 'copy-table' || r.name === 'copy-orders')) {
      const r = rows.find((x) => x.client_app === c.app)!;
      const truth = c.expected[0].trueBytes!;
      const error = (Number(r.bytes) - truth) / truth;
      lines.push(`${r.table_name.padEnd(16)} ${String(r.rows).padStart(6)}  ${String(r.bytes).padStart(15)}  ${String(truth).padStart(15)}  ${(error * 100).toFixed(2).padStart(6)}%`);
      expect(Math.abs(error)).toBeLessThanOrEqual(TABLE_ESTIMATE_ERROR);
    }
    process.stdout.write(`\n${lines.join('\n')}\n`);
  });

  it('the people behind the shared role are stored in the join state, and each session names its person', async () => {
    const sessions = await f.ch.query<{ identity: string; method: string }>(sql`SELECT value AS identity, detail AS method FROM source_sessions WHERE server = ${f.name} AND fact = 'identity' GROUP BY value, detail ORDER BY identity`);
    expect(sessions).toEqual([
      { identity: 'alice@corp.example', method: 'cert' },
      { identity: 'bob@corp.example', method: 'cert' },
    ]);
    const shared = (await stored(sql`user = ${names.shared}`)).map((r) => r.identity);
    expect(shared.sort()).toEqual(['alice@corp.example', 'bob@corp.example']);
  });

  it('a pg_dump -t of the largest table raises an alert before the dump ends, its bytes marked estimated', async () => {
    const detectLog = path.join(dir, 'detect.log');
    const out = fs.openSync(detectLog, 'a');
    const detector = spawn(process.execPath, [BIN, '--config', f.configFile, 'detect'], { stdio: ['ignore', out, out], env: { ...process.env } });
    fs.closeSync(out);
    try {
      await waitUntil('detector started', async () => fs.readFileSync(detectLog, 'utf8').includes('"msg":"detecting"'), 120000, 200);
      // A dump read at ~16 MB/s, as over a slow link: it takes seconds, as real dumps of real tables do.
      const env = { ...process.env };
      delete env.PGAPPNAME;
      const dump = spawn('pg_dump', ['-h', '127.0.0.1', '-p', String(layout.port), '-U', names.dumper, '-d', names.database, '-t', 'big'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
      let dumped = 0;
      const BYTES_PER_S = 16_000_000;
      dump.stdout.on('data', (c: Buffer) => {
        dumped += c.length;
        dump.stdout.pause();
        setTimeout(() => dump.stdout.resume(), (c.length / BYTES_PER_S) * 1000);
      });
      let alertAt = 0;
      let alert: { explanation: string; evidence: string } | undefined;
      const ended = new Promise<number>((resolve) => dump.once('exit', () => resolve(Date.now())));
      let endedAt = 0;
      void ended.then((t) => (endedAt = t));
      await waitUntil(
        'an alert for the dump',
        async () => {
          const [a] = await f.ch.query<{ explanation: string; evidence: string }>(sql`SELECT explanation, evidence FROM alerts WHERE user = ${names.dumper} ORDER BY revision LIMIT 1`);
          if (a && !alertAt) {
            alertAt = Date.now();
            alert = a;
          }
          return a;
        },
        120000,
        100,
      );
      const end = await ended;
      process.stdout.write(`\npg_dump -t big (${BIG_ROWS} rows, ${dumped} bytes): alert stored ${((end - alertAt) / 1000).toFixed(1)} s before the dump ended\n  ${alert?.explanation}\n`);
      expect(endedAt === 0 || alertAt < endedAt).toBe(true);
      expect(alertAt).toBeLessThan(end);
      expect(alert?.explanation).toMatch(/^≈/);
      const evidence = JSON.parse(alert!.evidence) as { estimatedBytes: number; topTables: Array<{ table: string }> };
      expect(evidence.estimatedBytes).toBeGreaterThan(20_000_000);
      expect(evidence.topTables[0].table).toBe(`${names.database}.public.big`);
    } finally {
      detector.kill('SIGTERM');
    }
  });

  it('malformed, truncated, wrongly formatted and badly enveloped records are dead-lettered with reasons while the ingester keeps running', async () => {
    const real = fixtureRecords('jsonlog').find((r) => r.includes('AUDIT: SESSION'))!;
    const bad: Array<{ value: string; code: string }> = [
      { value: real.slice(0, 90), code: 'invalid_json' },
      { value: JSON.stringify({ msg: real.slice(0, 150) }), code: 'invalid_json' },
      { value: fixtureRecords('csvlog')[0], code: 'wrong_format' },
      { value: fixtureRecords('stderr')[0], code: 'wrong_format' },
      { value: JSON.stringify({ log: 42 }), code: 'envelope_field_not_string' },
      { value: JSON.stringify({ level: 'info', text: 'no line here' }), code: 'envelope_unknown' },
      { value: JSON.stringify({ ...JSON.parse(real), message: 'AUDIT: SESSION,1' }), code: 'bad_audit_line' },
      { value: JSON.stringify({ ...JSON.parse(real), timestamp: 'yesterday' }), code: 'bad_timestamp' },
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
    const c = new Client({ host: '127.0.0.1', port: layout.port, user: names.analyst, database: names.database, application_name: 'after-bad-records' });
    await c.connect();
    await c.query('SELECT * FROM orders WHERE id <= 9');
    await c.end();
    const [after] = await waitUntil('a later statement stored', async () => {
      const r = await stored(sql`client_app = 'after-bad-records'`);
      return r.length > 0 ? r : undefined;
    }, 60000);
    expect([after.table_name, Number(after.rows)]).toEqual(['public.orders', 9]);
    expect(ingester.child.exitCode).toBeNull();
  });

  it('psql with FETCH_COUNT (a cursor pgaudit logs without tables or rows) is counted FETCH by FETCH as it reads', async () => {
    const app = 'case-fetch-count-big';
    const read = await psql(layout, names, { user: names.dumper, app, fetchCount: 10000 }, 'SELECT * FROM big WHERE id <= 200000');
    expect(read.stderr).toBe('');
    // 20 FETCHes of 10,000 rows, and a 21st that finds none (counted as asking for 10,000: an upper bound).
    const rows = await waitUntil('the FETCHes stored', async () => {
      const r = await stored(sql`client_app = ${app}`);
      return r.filter((x) => x.action === 'FETCH').length >= 21 ? r : undefined;
    }, 120000, 500);
    const fetches = rows.filter((r) => r.action === 'FETCH');
    expect(fetches.map((r) => [r.table_name, Number(r.rows), r.bytes_estimated])).toEqual(Array.from({ length: 21 }, () => ['public.big', 10000, 1]));
    // Each FETCH's bytes are its rows at the table's row width as COPY text: the whole read within the documented error.
    const truth = await copyBytes(layout, names.database, 'SELECT * FROM big WHERE id <= 200000');
    const counted = fetches.slice(0, 20).reduce((sum, r) => sum + Number(r.bytes), 0);
    expect(Math.abs(counted - truth) / truth).toBeLessThanOrEqual(TABLE_ESTIMATE_ERROR);
  });

  it('a statement padded past the shipper\'s maximum record size is counted at its table\'s size, not dead-lettered', async () => {
    // rsyslog cuts the jsonlog line at 1 MiB and drops the rest: the line is not JSON (it was dead-lettered
    // invalid_json, the read never counted; before the shipper's message.max.bytes, dropped by omkafka).
    const app = 'case-padded';
    const c = new Client({ host: '127.0.0.1', port: layout.port, user: names.analyst, database: names.database, application_name: app });
    await c.connect();
    const read = await c.query(`SELECT * FROM customers WHERE id <= 30 /* padded ${'z'.repeat(1_200_000)} */`);
    const [stats] = (await c.query(`SELECT reltuples::bigint AS n FROM pg_class WHERE oid = 'customers'::regclass`)).rows as Array<{ n: string }>;
    await c.end();
    expect(read.rowCount).toBe(30);
    const [row] = await waitUntil('the padded read stored', async () => {
      // Its application_name came after the cut: found by its statement.
      const r = await f.ch.query<{ table_name: string; rows: string; bytes: string; extra: string }>(sql`SELECT table_name, rows, bytes, extra FROM access_events WHERE db_name = ${names.database} AND user = ${names.analyst} AND position(extra, '/* padded zzz') > 0`);
      return r.length > 0 ? r : undefined;
    }, 120000, 500);
    // The row count was after the cut: the table's size, an upper bound only the statement's author can cause.
    expect([row.table_name, Number(row.rows)]).toEqual(['public.customers', Number(stats.n)]);
    expect(Number(row.bytes)).toBeGreaterThan(0);
    expect(JSON.parse(row.extra)).toMatchObject({ record_cut: expect.stringContaining('cut'), rows_from: expect.stringContaining('upper bound') });
  });

  it('after a restart, a FETCH finds the cursor its session declared before it (the join state is in ClickHouse)', async () => {
    // The real server's lines of psql with FETCH_COUNT (test/fixtures/postgres/hostile), cut after the DECLARE.
    const records = splitRecords(fs.readFileSync(path.join(FIXTURE_DIR, 'hostile', FIXTURE_FILES.jsonlog), 'utf8'), false, false).filter((r) => r.includes('"case-fetch-count"'));
    const cut = records.findIndex((r) => r.includes('statement: FETCH'));
    expect(cut).toBeGreaterThan(0);
    const { server, topic, fx } = await ownTopic('it_pg_cursor');
    const first = startIngester(fx, 'cursor-1');
    await first.started();
    await produce(f.kafka, topic, records.slice(0, cut).map((r) => ({ value: Buffer.from(r) })));
    await waitUntil('the cursor stored', async () => Number((await f.ch.query<{ n: string }>(sql`SELECT count() AS n FROM source_sessions WHERE server = ${server} AND value = 'cursor:_psql_cursor'`))[0].n) >= 1, 60000);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const second = startIngester(fx, 'cursor-2');
    await second.started();
    await produce(f.kafka, topic, records.slice(cut).map((r) => ({ value: Buffer.from(r) })));
    const rows = await waitUntil('the FETCHes stored', async () => {
      const r = await f.ch.query<{ table_name: string; rows: string }>(sql`SELECT table_name, rows FROM access_events WHERE kafka_topic = ${topic} AND action = 'FETCH' ORDER BY event_id`);
      return r.length >= 4 ? r : undefined;
    }, 60000);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(rows.map((r) => [r.table_name, Number(r.rows)])).toEqual([1, 2, 3, 4].map(() => ['public.customers', 1000]));
  });

  it('after a restart, a session that began before it still names its person (the join state is in ClickHouse)', async () => {
    // Captured lines of the shared role's sessions, cut between the connection lines and the statements.
    const records = fixtureRecords('jsonlog').filter((r) => r.includes('fx_shared'));
    const connections = records.filter((r) => r.includes('connection authenticated'));
    const statements = records.filter((r) => r.includes('AUDIT: SESSION'));
    const { server, topic, fx } = await ownTopic('it_pg_restart');
    const first = startIngester(fx, 'restart-1');
    await first.started();
    await produce(f.kafka, topic, connections.map((r) => ({ value: Buffer.from(r) })));
    await waitUntil('the sessions stored', async () => Number((await f.ch.query<{ n: string }>(sql`SELECT count() AS n FROM source_sessions WHERE server = ${server} AND fact = 'identity'`))[0].n) >= 2, 60000);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const second = startIngester(fx, 'restart-2');
    await second.started();
    await produce(f.kafka, topic, statements.map((r) => ({ value: Buffer.from(r) })));
    const rows = await waitUntil('the statements stored', async () => {
      const r = await f.ch.query<{ identity: string; kafka_topic: string }>(sql`SELECT identity FROM access_events WHERE kafka_topic = ${topic} ORDER BY identity`);
      return r.length >= 2 ? r : undefined;
    }, 60000);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(rows.map((r) => r.identity)).toEqual(['alice@corp.example', 'bob@corp.example']);
  });
});
