// Faults around the insert (issue 14), on a ClickHouse of this test's own (ports 20123/20900, its own
// state dir), never the shared one: ClickHouse down when the ingester starts; inserts that time out on
// the client while the server completes them; ClickHouse killed (-9) in the middle of inserts and
// restarted, again and again. Each: count = uniqExact(event_id) = valid events, and rollups equal raw
// sums (stopAndExpectExactlyOnce).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { localServices, servicesDown, servicesStatus, servicesUp } from '../../src/local-services';
import { createClickHouse, ident, sql } from '../../src/store';
import { uniqueName } from '../helpers/env';
import { ARTIFACTS, detectorStats, ingestFixture, killIngesters, produce, rowCount, startDetector, startIngester, stopAndExpectExactlyOnce, traffic, waitForGroupAtEnd, waitUntil, withDetectorGroup, type IngestFixture } from '../helpers/ingest-run';

// Not part of the compatibility check's recording (docs/clickhouse-compatibility.md): this file kills its
// own ClickHouse mid-insert on purpose, and the partial states that leaves (events without their rollups,
// which the ingester then repairs) are what it tests; a replay of whole statements cannot recreate them.
// Jest gives each test file its own copy of process.env; the processes spawned here inherit it.
delete process.env.INSIDER_CLICKHOUSE_RECORD_DIR;
jest.setTimeout(600000);
const URL = 'http://127.0.0.1:20123';

/** 50 MiB a fetch (the default before it was bounded to 8 MiB): large batches, long inserts. */
const LARGE_FETCH = 52_428_800;

describe('ingest faults on a ClickHouse of its own', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'insider-faults-'));
  const file = path.join(stateDir, 'services.yaml');
  fs.writeFileSync(file, `clickhouse: { url: "${URL}" }\nlocalServices: { stateDir: "${stateDir}", clickhouse: { tcpPort: 20900 } }\n`);
  const services = () => localServices(loadConfig({ file, env: {} }).config, ['clickhouse']);
  const fixtures: IngestFixture[] = [];

  beforeAll(async () => {
    await servicesUp(services(), () => {});
  });
  afterAll(async () => {
    killIngesters();
    await servicesUp(services(), () => {});
    for (const f of fixtures) await f.cleanup();
    await servicesDown(services(), () => {});
    // The server's own errors, kept with the ingesters' logs: what found the leftover-directory wedge.
    const errors = path.join(stateDir, 'logs', 'clickhouse-server.err.log');
    if (fs.existsSync(errors)) {
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      fs.copyFileSync(errors, path.join(ARTIFACTS, `faults-clickhouse-${Date.now()}.err.log`));
    }
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('waits for ClickHouse down at start-up, with a clear log line, then stores everything once', async () => {
    const f = await ingestFixture('it_faults_startup', { clickhouseUrl: URL });
    fixtures.push(f);
    const t = traffic(40_000, { malformedEvery: 500 });
    await produce(f.kafka, f.topic, t.messages);
    await servicesDown(services(), () => {});
    const ingester = startIngester(f, 'startup');
    await waitUntil('the start-up wait logged', async () => fs.readFileSync(ingester.logFile, 'utf8').includes('ClickHouse unreachable at start-up; waiting for it'), 60000, 200);
    await new Promise((r) => setTimeout(r, 10000));
    expect(ingester.child.exitCode).toBeNull();
    expect(await rowCount(f.ch).catch(() => -1)).toBe(-1);
    await servicesUp(services(), () => {});
    await stopAndExpectExactlyOnce(f, ingester, t);
  });

  it('the live detector waits for ClickHouse down at start-up, with a clear log line, then judges every event; SIGTERM while waiting stops it cleanly', async () => {
    const f = await ingestFixture('it_faults_detect', { clickhouseUrl: URL });
    fixtures.push(f);
    const group = withDetectorGroup(f);
    await servicesDown(services(), () => {});
    const waitLine = 'ClickHouse unreachable at start-up; waiting for it';

    // Stopped while it waits: a clean exit, not a crash.
    const early = startDetector(f, 'detect-early');
    await waitUntil('the start-up wait logged', async () => fs.readFileSync(early.logFile, 'utf8').includes(waitLine), 60000, 200);
    early.child.kill('SIGTERM');
    expect(await early.exited).toBe(0);
    expect(fs.readFileSync(early.logFile, 'utf8')).toMatch(/SIGTERM: stopping before start-up completed/);

    const detector = startDetector(f, 'detect');
    await waitUntil('the start-up wait logged', async () => fs.readFileSync(detector.logFile, 'utf8').includes(waitLine), 60000, 200);
    await new Promise((r) => setTimeout(r, 10000));
    expect(detector.child.exitCode).toBeNull();
    await servicesUp(services(), () => {});
    await detector.started();
    const t = traffic(5_000, { malformedEvery: 500 });
    await produce(f.kafka, f.topic, t.messages);
    await waitForGroupAtEnd(f.kafka, group, f.topic);
    detector.child.kill('SIGTERM');
    expect(await detector.exited).toBe(0);
    // Duplicated event ids of the traffic are judged once; every valid event was judged, the rest counted invalid.
    const stats = detectorStats(detector.logFile);
    expect(stats && { judged: stats.events - stats.duplicates, invalid: stats.invalid }).toEqual({ judged: t.valid, invalid: t.malformedTotal - (t.malformed.get('duplicate-event-id')?.count ?? 0) });
  });

  it('inserts that time out on the client while ClickHouse completes them are not stored twice', async () => {
    const f = await ingestFixture('it_faults_timeout', { clickhouseUrl: URL });
    fixtures.push(f);
    // Every insert into access_events lasts at least 0.6 s on the server (a view that sleeps once a block,
    // in this test's own database), against a 300 ms request timeout: the client gives up on each insert
    // and the server completes it, whatever the speed of the machine. (Large fetches on a fast CI
    // machine made inserts short enough that none timed out.)
    await f.ch.exec(sql`CREATE MATERIALIZED VIEW slow_inserts ENGINE = Null AS SELECT sleep(0.6) AS slept FROM access_events`);
    fs.writeFileSync(f.configFile, fs.readFileSync(f.configFile, 'utf8').replace('requestTimeoutMs: 10000', 'requestTimeoutMs: 300'));
    const t = traffic(60_000, { malformedEvery: 1000 });
    await produce(f.kafka, f.topic, t.messages);
    const ingester = startIngester(f, 'timeout');
    await stopAndExpectExactlyOnce(f, ingester, t);
    const log = fs.readFileSync(ingester.logFile, 'utf8');
    expect(log).toMatch(/transient failure; retrying with backoff/);
    expect(log).toMatch(/Timeout error|timed out|ETIMEDOUT|socket hang up/i);
    // The case under test happened: an insert timed out on the client and ClickHouse had stored it.
    expect(log).toMatch(/an insert whose outcome was unknown had been stored; not sending it again/);
  });

  it('ClickHouse killed (-9) with a merge under way starts again with its merges and mutations working (the leftover temporary part directories removed)', async () => {
    // Found by the kill test below: 18.16 keeps a killed merge's tmp_merge_* directory for a day and
    // meanwhile retries that merge, failing ("already exists"), so no merge and no mutation of the
    // table runs, and the ingester's DELETE of an interrupted insert's rows never finishes. A merge
    // under way cannot be struck reliably, so its leftovers are made: one directory for each merge the
    // server could select among the table's parts (kept apart until the kill).
    const database = uniqueName('it_faults_leftover');
    const settings = loadConfig({ file, env: {} }).config.clickhouse;
    const admin = createClickHouse(settings, { database: 'default' });
    await admin.exec(sql`CREATE DATABASE ${ident(database)}`);
    const ch = createClickHouse(settings, { database });
    await ch.exec(sql`CREATE TABLE t (d Date, x UInt64) ENGINE = MergeTree PARTITION BY d ORDER BY x`);
    await ch.exec(sql`SYSTEM STOP MERGES ${ident(database)}.t`);
    for (let x = 1; x <= 6; x++) await ch.exec(sql`INSERT INTO t VALUES ('2026-11-02', ${x})`);
    const parts = await ch.query<{ partition_id: string; min_block_number: string; max_block_number: string }>(sql`
      SELECT partition_id, min_block_number, max_block_number FROM system.parts WHERE database = ${database} AND table = 't' AND active ORDER BY min_block_number`);
    expect(parts).toHaveLength(6);
    const [status] = await servicesStatus(services());
    process.kill(-status.pid!, 'SIGKILL');
    await waitUntil('ClickHouse gone', async () => (await servicesStatus(services()))[0].state !== 'running', 30000, 50);
    const tableDir = path.join(stateDir, 'clickhouse', 'data', 'data', database, 't');
    const leftovers: string[] = [];
    for (let i = 0; i < parts.length; i++) {
      for (let j = i + 1; j < parts.length; j++) leftovers.push(`tmp_merge_${parts[i].partition_id}_${parts[i].min_block_number}_${parts[j].max_block_number}_1`);
    }
    for (const dir of leftovers) fs.mkdirSync(path.join(tableDir, dir));
    await servicesUp(services(), () => {});
    // Other tables of this server may have left some too: each of these is named as removed.
    const said = fs.readFileSync(path.join(stateDir, 'logs', 'clickhouse.log'), 'utf8').split('\n').find((l) => l.includes('temporary part directories a stopped server left'));
    for (const dir of leftovers) expect(said).toContain(`${database}.t/${dir}`);
    await ch.exec(sql`ALTER TABLE t DELETE WHERE x = 3`);
    await waitUntil('the DELETE carried out', async () => {
      const [m] = await ch.query<{ n: string }>(sql`SELECT count() AS n FROM system.mutations WHERE database = ${database} AND table = 't' AND is_done = 0`);
      return Number(m.n) === 0;
    }, 60000, 200);
    const [left] = await ch.query<{ n: string; xs: string }>(sql`SELECT count() AS n, toString(groupArray(x)) AS xs FROM (SELECT x FROM t ORDER BY x)`);
    expect(left).toEqual({ n: '5', xs: '[1,2,4,5,6]' });
    await admin.exec(sql`DROP DATABASE ${ident(database)}`);
    await Promise.all([ch.close(), admin.close()]);
  });

  it('ClickHouse killed (-9) in the middle of inserts and restarted ten times: nothing lost, nothing doubled, rollups whole', async () => {
    // Large fetches: inserts long enough for the kills to land in the middle of them; and traffic enough
    // for the ingestion to outlast ten kills (150,000 events were stored after 3 or 4 on an idle machine).
    const f = await ingestFixture('it_faults_kill', { clickhouseUrl: URL, fetchMaxBytes: LARGE_FETCH });
    fixtures.push(f);
    const t = traffic(600_000, { malformedEvery: 1000 });
    await produce(f.kafka, f.topic, t.messages);
    const ingester = startIngester(f, 'kill');
    const kills: string[] = [];
    for (let k = 0; k < 10; k++) {
      // Strike while an insert of the ingester runs on the server, a random moment into it.
      const running = await waitUntil(
        'an insert in progress',
        async () => {
          const [r] = await f.ch.query<{ n: string }>(sql`SELECT count() AS n FROM system.processes WHERE substring(query_id, 1, 15) = 'insider-ingest:' AND query LIKE 'INSERT%'`);
          return Number(r.n) > 0 ? true : (await rowCount(f.ch)) >= t.valid ? 'done' : false;
        },
        120000,
        20,
      );
      if (running === 'done') break;
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 300)));
      const [status] = await servicesStatus(services());
      if (status.pid === undefined) throw new Error('the test ClickHouse is not running');
      process.kill(-status.pid, 'SIGKILL');
      await waitUntil('ClickHouse gone', async () => (await servicesStatus(services()))[0].state !== 'running', 30000, 50);
      kills.push(new Date().toISOString());
      expect(ingester.child.exitCode).toBeNull();
      await servicesUp(services(), () => {});
    }
    await stopAndExpectExactlyOnce(f, ingester, t);
    // The server died under at least some inserts: their answers were lost and their outcome settled.
    expect(kills.length).toBeGreaterThanOrEqual(5);
    const log = fs.readFileSync(ingester.logFile, 'utf8');
    expect(log).toMatch(/transient failure; retrying with backoff/);
  });
});
