// ClickHouse as a cluster of 2 shards x 2 replicas with ZooKeeper, started here on its own ports and
// state dir (never the shared server): the local services, migrations in their cluster form, employees
// placed on the shard the product computes, replicated block deduplication (what the ingester's retries
// rely on), a shard's ledger read while a replica is down, the ingester storing a topic exactly once
// while one replica is killed and restarted, and three ingesters and two detectors sharing a topic
// through the cluster while one of each is killed, an ingester is paused and a replica is killed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config';
import { ClickHouseError, ConfigError } from '../../src/errors';
import { localServices, managedServices, servicesDown, servicesStatus, servicesUp, type LocalService } from '../../src/local-services';
import { readPidState } from '../../src/local-services/managed-process';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import type { KafkaMessage } from 'kafkajs';
import { FENCE_EXPIRY_MS } from '../../src/store/write-fence';
import { insertQueryId } from '../../src/ingest/insert-outcome';
import { Abandoned } from '../../src/kafka';
import { createClickHouse, ident, localDatabaseOf, migrate, migrationStatus, noServerAt, shardOfUser, shardsOf, sql, type ClickHouse } from '../../src/store';
import { dayOf, MS_PER_DAY } from '../../src/calendar';
import { storeDirectory } from '../../src/directory';
import { directory, history, PEOPLE, syntheticAlert } from '../helpers/api-fixture';
import { testBatchProcessor } from '../helpers/batch-processor';
import { uniqueName } from '../helpers/env';
import { exitedWithin, ingestFixture, killIngesters, produce, stableMembers, startDetector, startIngester, stopAndExpectExactlyOnce, traffic, waitForGroupAtEnd, waitForGroupUnderWay, waitUntil, type IngestFixture } from '../helpers/ingest-run';
import { exportMessage, oneEngineRevisions, storedRevisions } from '../helpers/one-engine';
import { heldRevisions, insertAlerts, type AlertRecord } from '../../src/alerts';
import { ALERT_WRITE_PREFIX, waitForAlertWrites } from '../../src/live-detect/alert-writes';
import { createLogger } from '../../src/log';

jest.setTimeout(600000);
// Not part of the compatibility check's recording (docs/clickhouse-compatibility.md): its replay runs one
// ClickHouse 26.x without ZooKeeper, and four servers' statements cannot be replayed on one. Jest gives each
// test file its own copy of process.env; the ingesters spawned here inherit it.
delete process.env.INSIDER_CLICKHOUSE_RECORD_DIR;

const SHARDS = [
  ['http://127.0.0.1:25511', 'http://127.0.0.1:25512'],
  ['http://127.0.0.1:25521', 'http://127.0.0.1:25522'],
];
const CLUSTER = { name: 'insider', shards: SHARDS };

describe('a local ClickHouse cluster, 2 shards x 2 replicas', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'insider-cluster-'));
  const file = path.join(stateDir, 'cluster.yaml');
  fs.writeFileSync(
    file,
    [
      `clickhouse: { url: "${SHARDS[0][0]}", database: cluster_test, cluster: ${JSON.stringify(CLUSTER)} }`,
      `localServices: { stateDir: "${stateDir}", zookeeper: { port: 25581 } }`,
    ].join('\n'),
  );
  const config: Readonly<Config> = loadConfig({ file, env: {} }).config;
  const services = () => localServices(config, ['clickhouse']);
  const node = (name: string): LocalService => services().find((s) => s.name === name) as LocalService;
  const open: ClickHouse[] = [];
  const connect = (database: string, cluster: Config['clickhouse']['cluster'] = CLUSTER) => {
    const ch = createClickHouse({ ...config.clickhouse, cluster }, { database });
    open.push(ch);
    return ch;
  };
  const local = (ch: ClickHouse, shard: number, replica: number) => ch.cluster!.node(shard, replica);
  const count = async (ch: ClickHouse, q = sql`SELECT count() AS n FROM access_events`) => Number((await ch.query<{ n: string }>(q))[0].n);
  let f: IngestFixture | undefined;
  let g: IngestFixture | undefined;

  beforeAll(async () => {
    await servicesUp(services(), (l) => process.stderr.write(`[cluster] ${l}\n`));
  });
  afterAll(async () => {
    killIngesters();
    await f?.cleanup();
    await g?.cleanup();
    await Promise.all(open.map((c) => c.close()));
    await servicesDown(managedServices(config, ['clickhouse']), () => {});
    // The servers' logs are kept with the test artifacts (for a failure's diagnosis); their data is not.
    fs.cpSync(path.join(stateDir, 'logs'), path.join(__dirname, '..', '..', 'artifacts', 'cluster', path.basename(stateDir)), { recursive: true });
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('runs ZooKeeper and four servers of their own; a second up changes nothing', async () => {
    const status = await servicesStatus(services());
    expect(status.map((s) => [s.name, s.state, s.ready])).toEqual([
      ['zookeeper', 'running', true],
      ['clickhouse-s1r1', 'running', true],
      ['clickhouse-s1r2', 'running', true],
      ['clickhouse-s2r1', 'running', true],
      ['clickhouse-s2r2', 'running', true],
    ]);
    expect(status[0].version).toMatch(/^Apache ZooKeeper 3\.8\./);
    expect(status.every((s) => s.logFile?.startsWith(stateDir))).toBe(true);
    const lines: string[] = [];
    const again = await servicesUp(services(), (l) => lines.push(l));
    expect(again.map((s) => s.pid)).toEqual(status.map((s) => s.pid));
    expect(lines.every((l) => /already running/.test(l))).toBe(true);
  });

  it('migrates into replicated tables on every node and Distributed tables over them; a second run does nothing', async () => {
    const database = uniqueName('it_cluster_migrate');
    const ch = connect(database);
    const first = await migrate(connect('default'), ch);
    expect(first.applied.length).toBeGreaterThan(5);
    // A cluster migrated by an earlier version: the Distributed alert_listing's k materialized, as in its
    // shard table (every write through it then fails on 18.16). The next migration repairs it.
    const nodes = SHARDS.flatMap((replicas, s) => replicas.map((_, r) => ch.cluster!.node(s, r, database)));
    for (const n of nodes) await n.exec(sql`ALTER TABLE alert_listing MODIFY COLUMN k UInt64 MATERIALIZED cityHash64(alert_id)`);
    const second = await migrate(connect('default'), ch);
    expect(second.applied).toEqual([]);
    for (const n of nodes) {
      const kind = async (db: string) =>
        (await n.query<{ kind: string }>(sql`SELECT default_kind AS kind FROM system.columns WHERE database = ${db} AND table = 'alert_listing' AND name = 'k'`))[0]?.kind;
      expect([await kind(database), await kind(localDatabaseOf(database))]).toEqual(['ALIAS', 'MATERIALIZED']);
    }
    expect((await migrationStatus(ch)).every((s) => s.state === 'applied')).toBe(true);

    for (const [s, replicas] of SHARDS.entries()) {
      for (const r of replicas.keys()) {
        const tables = await ch.cluster!.node(s, r, 'system').query<{ database: string; name: string; engine: string }>(sql`
          SELECT database, name, engine FROM system.tables WHERE database IN (${database}, ${localDatabaseOf(database)})`);
        const engine = (db: string, name: string) => tables.find((t) => t.database === db && t.name === name)?.engine;
        expect(engine(database, 'access_events')).toBe('Distributed');
        expect(engine(localDatabaseOf(database), 'access_events')).toBe('ReplicatedMergeTree');
        expect(engine(localDatabaseOf(database), 'user_daily')).toBe('ReplicatedAggregatingMergeTree');
        expect(engine(localDatabaseOf(database), 'user_table_daily')).toBe('ReplicatedSummingMergeTree');
        expect(engine(localDatabaseOf(database), 'ingest_batches_mv')).toBe('MaterializedView');
        expect(engine(database, 'ingest_batches_mv')).toBeUndefined();
        // Migrations 0007 and 0018 renamed alerts_revisions, then alerts_fine, to alerts: the Distributed
        // table follows the rename, and the tables swapped out are gone.
        expect(engine(database, 'alerts')).toBe('Distributed');
        for (const gone of ['alerts_revisions', 'alerts_fine', 'alerts_coarse', 'alert_actions_fine', 'alert_actions_coarse']) {
          expect(engine(database, gone)).toBeUndefined();
          expect(engine(localDatabaseOf(database), gone)).toBeUndefined();
        }
      }
    }
    const [ddl] = await local(ch, 1, 1).query<{ q: string }>(sql`
      SELECT create_table_query AS q FROM system.tables WHERE database = ${localDatabaseOf(database)} AND name = 'alerts'`);
    expect(ddl.q).toMatch(/ReplicatedMergeTree\('\/clickhouse\/tables\/\{shard\}\/[^']+\/alerts_fine-v0018', '\{replica\}'\)/);
    expect(ddl.q).toMatch(/index_granularity = 1024/);
  });

  it('refuses a configuration that lists the shards in another order than the servers do', async () => {
    const swapped = connect(uniqueName('it_cluster_swapped'), { name: 'insider', shards: [SHARDS[1], SHARDS[0]] });
    const err = await migrate(connect('default'), swapped).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/clickhouse\.cluster\.shards\[0\]\[0\] \(http:\/\/127\.0\.0\.1:25521\): this node is shard 2 of it in its own <remote_servers>, not shard 1/);
    const unknown = connect(uniqueName('it_cluster_unknown'), { name: 'nosuch', shards: SHARDS });
    await expect(migrate(connect('default'), unknown)).rejects.toThrow(/has no cluster named "nosuch"/);
  });

  describe('on a migrated database', () => {
    let ch: ClickHouse;
    beforeAll(async () => {
      ch = connect(uniqueName('it_cluster_data'));
      await migrate(connect('default'), ch);
    });

    const rows = (user: string, n: number, from = 0) =>
      Array.from({ length: n }, (_, i) => ({
        event_id: `${user}-${from + i}`,
        ts: 1790000000 + from + i,
        user,
        action: 'SELECT',
        bytes: 1000 + i,
        rows: 1,
        status: 'ok',
        kafka_topic: 't',
        kafka_partition: 0,
        kafka_offset: from + i,
        ingested_at: 1790000000,
      }));

    it('keeps each employee on the shard the product computes, raw events and rollups alike', async () => {
      const users = Array.from({ length: 60 }, (_, i) => `person${i}@corp.example`);
      // Through the Distributed table, as any writer but the ingester does.
      await ch.insert('access_events', users.flatMap((u) => rows(u, 3)));
      expect(await count(ch)).toBe(180);
      for (const shard of [0, 1]) {
        const expected = users.filter((u) => shardOfUser(u, 2) === shard).sort();
        expect(expected.length).toBeGreaterThan(10);
        for (const replica of [0, 1]) {
          const node = local(ch, shard, replica);
          const held = async (table: string) =>
            (await node.query<{ user: string }>(sql`SELECT DISTINCT user FROM ${ident(table)} ORDER BY user`)).map((r) => r.user);
          // Each replicated table fetches its own parts from the other replica: the rollups may arrive after
          // the raw events (CI once read user_table_daily empty right after access_events was complete).
          const tables = ['access_events', 'user_daily', 'user_table_daily'];
          await waitUntil(
            `shard ${shard + 1} replica ${replica + 1} has its employees in every table`,
            async () => (await Promise.all(tables.map(held))).every((t) => t.length === expected.length),
            30000,
          );
          expect(await held('access_events')).toEqual(expected);
          expect(await held('user_daily')).toEqual(expected);
          expect(await held('user_table_daily')).toEqual(expected);
        }
      }
    });

    it('stores an identical block once, inserted twice on a replica and once on the other; its rollups and ledger too', async () => {
      const shard = shardOfUser('dup@corp.example', 2);
      const block = rows('dup@corp.example', 50, 1000);
      const shards = shardsOf(ch);
      await shards.insert(shard, 'access_events', block);
      await local(ch, shard, 0).insert('access_events', block);
      await local(ch, shard, 1).insert('access_events', block);
      const onShard = (table: string, what = sql`count()`) => sql`SELECT ${what} AS n FROM ${ident(table)} WHERE user = 'dup@corp.example'`;
      for (const replica of [0, 1]) {
        const node = local(ch, shard, replica);
        await waitUntil('replicated', async () => (await count(node, onShard('access_events'))) > 0, 30000);
        expect(await count(node, onShard('access_events'))).toBe(50);
        expect(await count(node, onShard('user_daily', sql`countMerge(event_count)`))).toBe(50);
        expect(await count(node, onShard('user_daily', sql`sumMerge(sum_bytes)`))).toBe(block.reduce((s, r) => s + r.bytes, 0));
        expect(await count(node, sql`SELECT count() AS n FROM ingest_batches WHERE kafka_topic = 't' AND min_offset = 1000`)).toBe(1);
      }
      // A block is identified by its rows as stored (sorted): the same rows in another order are the same
      // block; one changed value makes another. A redelivered batch carries a new ingested_at, so it is
      // recognised by the ledger, never left to deduplication.
      await local(ch, shard, 0).insert('access_events', [...block].reverse());
      expect(await count(local(ch, shard, 0), onShard('access_events'))).toBe(50);
      await local(ch, shard, 0).insert('access_events', block.map((r) => ({ ...r, ingested_at: r.ingested_at + 1 })));
      expect(await count(local(ch, shard, 0), onShard('access_events'))).toBe(100);
    });

    describe("the ingester's fences on the shards' replicas (a paused writer)", () => {
      const TOPIC = 'fenced';
      const processor = (sessionTimeoutMs = 10000) => testBatchProcessor({ ch, sessionTimeoutMs });
      // Employees of both shards, one event each, at consecutive offsets.
      const users = Array.from({ length: 8 }, (_, i) => `fenced${i}@corp.example`);
      const batchOf = (partition: number) => ({
        topic: TOPIC,
        partition,
        highWatermark: String(users.length),
        messages: users.map(
          (user, offset) =>
            ({
              offset: String(offset),
              value: Buffer.from(JSON.stringify({ event_id: `${partition}-${offset}`, ts: '2026-11-28T10:00:00Z', user, action: 'SELECT', bytes: 100 })),
              key: null,
              timestamp: '1764400000000',
              headers: {},
              attributes: 0,
            }) as KafkaMessage,
        ),
      });
      const storedOf = async (partition: number) => {
        const counts: number[] = [];
        for (const shard of [0, 1]) {
          for (const replica of [0, 1]) {
            counts.push(await count(local(ch, shard, replica), sql`SELECT count() AS n FROM access_events WHERE kafka_topic = ${TOPIC} AND kafka_partition = ${partition}`));
          }
        }
        return counts;
      };
      const always = { owned: () => true, confirm: async () => {} };

      it('an ingester paused after proving it owns the partition, past its fences\' life, stores nothing on any replica when it resumes', async () => {
        expect(new Set(users.map((u) => shardOfUser(u, 2)))).toEqual(new Set([0, 1]));
        let owned = true;
        // The pause falls between each insert's ownership proof and its sending; meanwhile the partition
        // went to another member (the proof after it fails).
        const paused = {
          owned: () => owned,
          confirm: async () => {
            if (!owned) throw new Abandoned('write');
            await new Promise((r) => setTimeout(r, FENCE_EXPIRY_MS + 1000));
            owned = false;
          },
        };
        await expect(processor().process(batchOf(1), paused)).rejects.toBeInstanceOf(Abandoned);
        await new Promise((r) => setTimeout(r, 1000));
        expect(await storedOf(1)).toEqual([0, 0, 0, 0]);
        // The same batch from an owner that is not paused is stored, each shard's part on both replicas.
        await processor().process(batchOf(1), always);
        const expected = [0, 1].flatMap((shard) => {
          const n = users.filter((u) => shardOfUser(u, 2) === shard).length;
          return [n, n];
        });
        await waitUntil('replicated', async () => JSON.stringify(await storedOf(1)) === JSON.stringify(expected), 30000);
      });

      it("a new owner waits, before reading a shard's ledger, for the partition's insert still running on any replica, and kills it past the session timeout", async () => {
        const [url] = [SHARDS[1][1]];
        const id = `${insertQueryId([{ topic: TOPIC, partition: 2, first: 0, last: 7 }])}${Date.now()}`;
        const raw = createClient({ url, request_timeout: 120000, log: { level: ClickHouseLogLevel.OFF } });
        // Stands in for a paused writer's insert on the second replica of shard 2: about 9 s under its id.
        const long = raw.command({ query: 'SELECT sleep(3) FROM numbers(3)', query_id: id, clickhouse_settings: { max_block_size: '1' } as never }).then(
          () => 'finished',
          (err: Error) => err.message,
        );
        try {
          await waitUntil('the stand-in running', async () => (await count(local(ch, 1, 1), sql`SELECT count() AS n FROM system.processes WHERE query_id = ${id}`)) === 1, 10000, 50);
          // Another partition of the topic waits for nothing.
          let started = Date.now();
          await processor(3000).process(batchOf(3), always);
          // Less than the kill threshold, which waiting for the stand-in would take.
          expect(Date.now() - started).toBeLessThan(3000);
          started = Date.now();
          await processor(3000).process(batchOf(2), always);
          expect(Date.now() - started).toBeGreaterThan(3000);
          expect(await long).toMatch(/cancel|kill/i);
        } finally {
          await raw.close();
        }
      });
    });

    it("answers a shard's ledger only when complete: a replica that is down with parts nobody else has makes it wait", async () => {
      const shard = 1;
      const [first, second] = [node('clickhouse-s2r1'), node('clickhouse-s2r2')];
      const ledger = () =>
        shardsOf(ch).queryShard<{ max_offset: string }>(shard, sql`SELECT max_offset FROM ingest_batches WHERE kafka_topic = 'lag'`, { table: 'ingest_batches' });
      expect(await ledger()).toEqual([]);
      await servicesDown([second], () => {});
      const user = Array.from({ length: 100 }, (_, i) => `lag${i}`).find((u) => shardOfUser(u, 2) === shard) as string;
      await local(ch, shard, 0).insert('access_events', rows(user, 10).map((r) => ({ ...r, kafka_topic: 'lag' })));
      // The only replica holding the part dies before the other could fetch it; the other comes back.
      const state = readPidState(first.process);
      if (state.state !== 'running') throw new Error('s2r1 is not running');
      process.kill(state.pid, 'SIGKILL');
      await waitUntil('s2r1 gone', async () => readPidState(first.process).state !== 'running', 30000);
      await servicesUp([second], () => {});
      const err = await ledger().catch((e: unknown) => e);
      expect(err).toMatchObject({ retriable: true });
      expect((err as Error).message).toMatch(/shard 2: http:\/\/127\.0\.0\.1:25521 does not answer, and no replica that does has fetched every part of ingest_batches yet/);
      await servicesUp([first], () => {});
      await waitUntil('s2r2 fetched the part', async () => (await count(local(ch, shard, 1), sql`SELECT count() AS n FROM ingest_batches WHERE kafka_topic = 'lag'`)) === 1, 60000);
      expect((await ledger()).map((r) => Number(r.max_offset))).toEqual([9, 9]);
    });

    // A takeover's wait passes over a replica where no server listens (alert-writes.ts, noServerAt). One
    // stopping gracefully finishes its running queries first (shutdown_wait_unfinished): were it to refuse
    // connections meanwhile, an insert could land after the wait. 18.16 does not: new connections hang,
    // then are reset, and are refused only once its queries ended. This holds it to that.
    it('a takeover waits for an alert insert on a replica stopping gracefully: refused only once the insert is done', async () => {
      const shard = 1;
      const replica = node('clickhouse-s2r1');
      const user = Array.from({ length: 100 }, (_, i) => `graceful${i}@corp.example`).find((u) => shardOfUser(u, 2) === shard) as string;
      const by = { topic: 'events', partition: 4 };
      const alerts = [1, 2, 3].map((revision) => ({ ...syntheticAlert(user, 20_400, { id: 'al_graceful' }), revision, updatedAtWall: Date.now(), createdAtWall: Date.now() }) as AlertRecord);
      // About 3 s on s2r1 (the shard's first replica, where its inserts go): a block per row, each then sleeping 1 s.
      await local(ch, shard, 0).exec(sql`CREATE MATERIALIZED VIEW slow_alerts ENGINE = Null AS SELECT sleep(1) AS s FROM alerts`);
      const id = `${ALERT_WRITE_PREFIX}${by.topic}:${by.partition}:${Date.now()}`;
      let inserted: 'ok' | string | undefined;
      const insert = insertAlerts(connect(ch.database), alerts, async () => ({ queryId: id, settings: { max_insert_block_size: 1, min_insert_block_size_rows: 0, min_insert_block_size_bytes: 0 } })).then(
        () => (inserted = 'ok'),
        (err: Error) => (inserted = err.message),
      );
      let stopping: Promise<void> | undefined;
      try {
        await waitUntil('the insert running', async () => (await count(local(ch, shard, 0), sql`SELECT count() AS n FROM system.processes WHERE query_id = ${id}`)) === 1, 10000, 50);
        stopping = servicesDown([replica], () => {});
        // The new owner's wait (a connection of its own: new connections to s2r1 from now on), retried as a
        // takeover is while a replica does not answer.
        const owner = connect(ch.database);
        await new Promise((r) => setTimeout(r, 300));
        const deadline = Date.now() + 60_000;
        for (;;) {
          const done = await waitForAlertWrites(owner, { log: createLogger({ level: 'silent' }), killAfterMs: 60_000 }, [by]).then(
            () => true,
            (err: unknown) => {
              // A replica that stays away (refused, after its queries ended) is passed over: this must not go on.
              if (!(err instanceof ClickHouseError) || !err.retriable || Date.now() > deadline) throw err;
              return false;
            },
          );
          if (done) break;
          await new Promise((r) => setTimeout(r, 200));
        }
        const settledWhenDone = inserted;
        // The wait lasted into the shutdown: when it ended, s2r1 no longer took connections.
        const s2r1 = createClickHouse({ ...config.clickhouse, url: SHARDS[shard][0], cluster: null }, { database: 'system' });
        open.push(s2r1);
        const probe = await s2r1.query(sql`SELECT 1`).then(
          () => 'answered',
          (err: unknown) => (noServerAt(err) ? 'no server' : (err as Error).message),
        );
        await Promise.all([insert, stopping]);
        expect([settledWhenDone, inserted, probe]).toEqual(['ok', 'ok', 'no server']);
      } finally {
        // A failure midway: the stop ends first (or the replica would stay down for the tests after this one).
        await stopping?.catch(() => {});
        await servicesUp([replica], () => {});
        await local(ch, shard, 0).exec(sql`DROP TABLE IF EXISTS slow_alerts`);
      }
      // All three stored once, on both replicas once s2r1 is back.
      await waitUntil('replicated', async () => (await count(local(ch, shard, 1), sql`SELECT count() AS n FROM alerts WHERE alert_id = 'al_graceful'`)) === 3, 60000);
      expect(await heldRevisions(ch, ['al_graceful'])).toEqual(new Set(['al_graceful#1', 'al_graceful#2', 'al_graceful#3']));
    });
  });

  it('ingests a topic exactly once through the cluster while a replica it writes to is killed and restarted', async () => {
    f = await ingestFixture('it_cluster_ingest', { clickhouseUrl: SHARDS[0][0], cluster: CLUSTER, partitions: 6 });
    const t = traffic(60_000, { malformedEvery: 500 });
    const half = Math.floor(t.messages.length / 2);
    await produce(f.kafka, f.topic, t.messages.slice(0, half));
    const ingester = startIngester(f, 'cluster');
    await waitUntil('progress before the kill', async () => (await count(f!.ch)) > 5_000, 120000, 50);

    // Shard 2's first replica takes that shard's inserts; it dies in the middle of the run. It dies between
    // two of its inserts: the ingester is frozen for 3 s around the kill, so that no insert is being
    // committed at that moment (on 18.16 a server killed halfway through committing an insert leaves its
    // raw rows without their rollup rows: docs/exactly-once.md). An insert being sent is cut off.
    const victim = node('clickhouse-s2r1');
    const state = readPidState(victim.process);
    if (state.state !== 'running') throw new Error('s2r1 is not running');
    ingester.child.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 3000));
    process.kill(state.pid, 'SIGKILL');
    ingester.child.kill('SIGCONT');
    await produce(f.kafka, f.topic, t.messages.slice(half));
    await waitUntil('ingestion goes on without it', async () => (await count(f!.ch)) > half, 120000);
    await servicesUp([victim], () => {});

    const totals = await stopAndExpectExactlyOnce(f, ingester, t);
    expect(totals.rows).toBe(t.valid);
    // Every replica converges to its shard's content: the restarted one catches up, and on each the rollups
    // equal the raw events (replicas fetch each table's parts on their own, so this is waited for).
    const ch = f.ch;
    const onReplica = async (s: number, r: number) => {
      const n = local(ch, s, r);
      return Promise.all([
        count(n, sql`SELECT count() AS n FROM access_events`),
        count(n, sql`SELECT countMerge(event_count) AS n FROM user_hourly`),
        count(n, sql`SELECT countMerge(event_count) AS n FROM user_daily`),
        count(n, sql`SELECT sum(event_count) AS n FROM user_table_daily`),
      ]);
    };
    const perShard: number[] = [];
    for (const s of [0, 1]) {
      let last: number[][] = [];
      const converged = await waitUntil(
        `shard ${s + 1}'s replicas to converge`,
        async () => {
          last = [await onReplica(s, 0), await onReplica(s, 1)];
          return last.every((r) => r.every((v) => v === last[0][0])) ? last[0][0] : undefined;
        },
        300000,
        1000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}; raw, hourly, daily, per-table counts of its replicas: ${JSON.stringify(last)}`);
      });
      perShard.push(converged);
    }
    expect(perShard[0] + perShard[1]).toBe(t.valid);
    // The ingester noticed the dead replica and wrote shard 2 through the other one.
    const log = fs.readFileSync(ingester.logFile, 'utf8');
    expect(log).toMatch(/transient failure; retrying with backoff/);
    expect(log).toMatch(/shard 2, http:\/\/127\.0\.0\.1:25521: ClickHouse unreachable/);
    expect(log).not.toMatch(/ingestion stopped/);
  });

  it('three ingesters and two detectors share a 6-partition topic through the cluster while one of each is killed, an ingester is paused and a replica is killed: stored exactly once, rollups equal raw, the alerts one engine gives', async () => {
    g = await ingestFixture('it_cluster_all', { clickhouseUrl: SHARDS[0][0], cluster: CLUSTER, partitions: 6 });
    const detectGroup = `${g.name}-detect`;
    fs.appendFileSync(g.configFile, `\ndetection: { groupId: "${detectGroup}", consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 } }\n`);
    const today = dayOf(Date.now());
    // Six analysts with four weeks of history (rows straight into the cluster) export 2.4 GB each today, in
    // four parts between the traffic of 97 others (today, from midnight), so that everyone alerts.
    const before = history(today);
    await storeDirectory(g.ch, directory(), { source: 'test', checksum: 'test' });
    await g.ch.insert('access_events', before);
    const t = traffic(20_000, { malformedEvery: 500, duplicates: false, start: today * MS_PER_DAY });
    const part = (n: number) => PEOPLE.flatMap((u, i) => Array.from({ length: 4 }, (_, c) => exportMessage(u, today * MS_PER_DAY + (12 + n) * 3_600_000 + i * 10_000 + c * 1000, 100_000_000)));
    const quarter = Math.ceil(t.messages.length / 4);
    const batches = [0, 1, 2, 3].map((n) => [...t.messages.slice(n * quarter, (n + 1) * quarter), ...part(n)]);
    const exports = 4 * 4 * PEOPLE.length;
    const g0 = g;

    await produce(g0.kafka, g0.topic, batches[0]);
    const ingesters = [1, 2, 3].map((n) => startIngester(g0, `ingest-${n}`));
    const detectors = [1, 2].map((n) => startDetector(g0, `detect-${n}`));
    for (const p of [...ingesters, ...detectors]) await p.started();
    await waitUntil('both detectors in their group', async () => (await stableMembers(g0.kafka, detectGroup)) === 2 || undefined, 60000, 500);
    const stored = () => count(g0.ch, sql`SELECT count() AS n FROM access_events WHERE kafka_topic = ${g0.topic}`);
    await waitUntil('progress before the kills', async () => (await stored()) > 1_000, 120000, 50);
    // Each detector has judged and committed on its partitions: the survivor takes the killed one's over part-way.
    await waitForGroupUnderWay(g0.kafka, detectGroup, g0.topic);

    // One ingester and one detector killed while they work.
    await produce(g0.kafka, g0.topic, batches[1]);
    ingesters[0].child.kill('SIGKILL');
    detectors[0].child.kill('SIGKILL');
    // Another ingester paused past its session (6 s), then resumed: its partitions went to the third meanwhile.
    ingesters[1].child.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 10000));
    ingesters[1].child.kill('SIGCONT');
    await produce(g0.kafka, g0.topic, batches[2]);

    // A replica of shard 2 killed between two inserts (the ingesters frozen 3 s around it: a kill halfway
    // through committing an insert is the 18.16 limit docs/exactly-once.md names), restarted later.
    const victim = node('clickhouse-s2r1');
    const state = readPidState(victim.process);
    if (state.state !== 'running') throw new Error('s2r1 is not running');
    const alive = ingesters.slice(1);
    for (const i of alive) i.child.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 3000));
    process.kill(state.pid, 'SIGKILL');
    for (const i of alive) i.child.kill('SIGCONT');
    await produce(g0.kafka, g0.topic, batches[3]);
    await waitUntil('ingestion goes on without it', async () => (await stored()) > t.valid / 2, 120000);
    await servicesUp([victim], () => {});

    // Stored exactly once: count = uniqExact(event_id) = the valid events and the history rows; rollups equal raw.
    const totals = await stopAndExpectExactlyOnce(g0, alive, { ...t, valid: t.valid + exports + before.length });
    expect(totals.rows).toBe(t.valid + exports + before.length);
    // Judged: the surviving detector holds every partition and judged to the end of the topic.
    await waitForGroupAtEnd(g0.kafka, detectGroup, g0.topic, 180000);
    detectors[1].child.kill('SIGTERM');
    expect(await exitedWithin(detectors[1], 60000)).toBe(0);
    const live = await storedRevisions(g0.ch);
    const expected = await oneEngineRevisions(g0.ch, g0.config.detection, today);
    expect(new Set(expected.filter((e) => e.severity !== 'low').map((e) => e.alertId)).size).toBeGreaterThanOrEqual(PEOPLE.length);
    expect(live).toEqual(expected);
    process.stdout.write(`cluster: ${new Set(live.map((a) => a.alertId)).size} alerts, ${live.length} revisions stored by two detectors (one killed), equal to one engine's\n`);
    // The survivor took over the killed detector's partitions part-way (events below where it started).
    expect(fs.readFileSync(detectors[1].logFile, 'utf8')).toMatch(/"offset":"[1-9]\d*","events":[1-9]\d*,[^\n]*partition taken over/);
  });
});
