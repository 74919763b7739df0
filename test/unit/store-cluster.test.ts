// The cluster form of the migrations (src/store/cluster-schema.ts) and the shard of an employee
// (src/store/cluster.ts), without a server: every shipped migration must have a cluster form, so a new
// migration that cannot be applied to a cluster fails here, not on a customer's cluster.
import { MigrationError } from '../../src/errors';
import { loadMigrations, shardOfUser } from '../../src/store';
import { planStatement, type Catalog, type ClusterStep } from '../../src/store/cluster-schema';

const names = { cluster: 'prod', database: 'insider', localDatabase: 'insider_local' };

function planAll(): Array<{ file: string; steps: ClusterStep[] }> {
  const catalog: Catalog = new Map();
  return loadMigrations().flatMap((m) => m.statements.map((s) => ({ file: m.file, steps: planStatement(s, m.version, catalog, names) })));
}

function plan(statements: string[], version = 9): ClusterStep[][] {
  const catalog: Catalog = new Map();
  planStatement('CREATE TABLE events (user String, n UInt64) ENGINE = MergeTree ORDER BY user', 1, catalog, names);
  return statements.map((s) => planStatement(s, version, catalog, names));
}

describe('the cluster form of the shipped migrations', () => {
  const all = planAll();
  const steps = all.flatMap((p) => p.steps);

  it('gives every statement of every migration file a cluster form', () => {
    expect(all.length).toBeGreaterThan(20);
    expect(all.every((p) => p.steps.length > 0)).toBe(true);
  });

  it('creates each table replicated in the shard database and a Distributed table over it', () => {
    const local = steps.filter((s) => s.target === 'local-every-node' && s.sql.startsWith('CREATE TABLE') && !/ENGINE = Null$/.test(s.sql));
    const distributed = steps.filter((s) => s.target === 'main-every-node' && /ENGINE = Distributed/.test(s.sql));
    expect(local.length).toBeGreaterThanOrEqual(15);
    for (const s of local) expect(s.sql).toMatch(/ENGINE = Replicated(Replacing|Summing|Aggregating)?MergeTree\('\/clickhouse\/tables\/\{shard\}\/insider_local\/[a-z_]+-v\d{4}', '\{replica\}'/);
    expect(distributed.map((s) => /^CREATE TABLE IF NOT EXISTS `([a-z_]+)`/.exec(s.sql)?.[1])).toEqual(
      expect.arrayContaining(['access_events', 'ingest_batches', 'dead_letters', 'user_hourly', 'user_daily', 'user_table_daily', 'alerts', 'directory_entries', 'notify_outbox']),
    );
    // Each replicated table has a ZooKeeper path of its own.
    const paths = local.map((s) => /'(\/clickhouse\/tables\/[^']+)'/.exec(s.sql)?.[1]);
    expect(new Set(paths).size).toBe(paths.length);
  });

  it('shards employee tables by halfMD5(user) and puts every other table on the first shard', () => {
    const key = (table: string) => steps.find((s) => s.sql.startsWith(`CREATE TABLE IF NOT EXISTS \`${table}\` AS`))?.sql.match(/, ([^,]+)\)$/)?.[1];
    for (const t of ['access_events', 'user_hourly', 'user_daily', 'user_table_daily', 'alerts', 'suppressions']) expect(key(t)).toBe('halfMD5(user)');
    for (const t of ['ingest_batches', 'dead_letters', 'directory_entries', 'audit_log', 'notify_outbox', 'report_runs']) expect(key(t)).toBe('0');
  });

  it('keeps the engine arguments and the rest of the table definition', () => {
    const summing = steps.find((s) => s.sql.includes('`user_table_daily` (')) as ClusterStep;
    expect(summing.sql).toMatch(/ENGINE = ReplicatedSummingMergeTree\('[^']+', '\{replica\}', \(sum_bytes, sum_rows, event_count\)\)\nPARTITION BY toYYYYMM\(day\)\nORDER BY \(user, day, db_name, table_name\)$/);
  });

  it('creates materialized views unchanged in the shard database, so each node rolls up its own inserts', () => {
    const views = steps.filter((s) => s.sql.startsWith('CREATE MATERIALIZED VIEW'));
    // Four rollups' views, and the three replay views of migration 0013.
    expect(views.map((v) => v.target)).toEqual(Array(7).fill('local-every-node'));
    expect(views[0].sql).toMatch(/^CREATE MATERIALIZED VIEW IF NOT EXISTS `ingest_batches_mv` TO ingest_batches AS\nSELECT[\s\S]+FROM access_events\nGROUP BY/);
  });

  it('turns a rename into a rename on every node and a new Distributed table (migration 0007)', () => {
    const last = all.filter((p) => p.file.startsWith('0007')).flatMap((p) => p.steps);
    expect(last.map((s) => [s.target, s.sql.replace(/\s+/g, ' ').split(' ').slice(0, 8).join(' ')])).toEqual([
      ['local-every-node', 'CREATE TABLE IF NOT EXISTS `alerts_revisions` AS alerts'],
      ['main-every-node', 'CREATE TABLE IF NOT EXISTS `alerts_revisions` AS `insider_local`.`alerts_revisions`'],
      ['main-once', 'INSERT INTO alerts_revisions SELECT * FROM alerts'],
      ['main-every-node', 'DROP TABLE IF EXISTS `alerts`'],
      ['local-every-node', 'DROP TABLE IF EXISTS `alerts`'],
      ['local-every-node', 'RENAME TABLE `alerts_revisions` TO `alerts`'],
      ['main-every-node', 'DROP TABLE IF EXISTS `alerts_revisions`'],
      ['main-every-node', 'CREATE TABLE IF NOT EXISTS `alerts` AS `insider_local`.`alerts`'],
    ]);
    expect(last[5].guard).toEqual({ kind: 'rename', from: 'alerts_revisions', to: 'alerts' });
    // alerts_revisions copied alerts' columns, so it is still sharded by employee after the rename.
    expect(last[7].sql).toMatch(/Distributed\('prod', 'insider_local', 'alerts', halfMD5\(user\)\)$/);
  });
});

describe('statements a migration may contain', () => {
  it('alters replicated tables once per shard, and the Distributed tables on every node for column changes', () => {
    const [add, del] = plan(['ALTER TABLE events ADD COLUMN `region` String', "ALTER TABLE events DELETE WHERE user = 'x'"]);
    expect(add).toEqual([
      { target: 'local-each-shard', sql: 'ALTER TABLE events ADD COLUMN `region` String', guard: { kind: 'add-column', table: 'events', column: 'region' } },
      { target: 'main-every-node', sql: 'ALTER TABLE events ADD COLUMN `region` String', guard: { kind: 'add-column', table: 'events', column: 'region' } },
    ]);
    expect(del).toEqual([{ target: 'local-each-shard', sql: "ALTER TABLE events DELETE WHERE user = 'x'", guard: undefined }]);
  });

  it('copies a table with AS and a named engine, keeping the sharding of the original', () => {
    const [copy] = plan(["CREATE TABLE IF NOT EXISTS events2 AS events ENGINE = ReplacingMergeTree(n) ORDER BY (user, n) SETTINGS index_granularity = 1024"]);
    expect(copy[0].sql).toBe(
      "CREATE TABLE IF NOT EXISTS `events2` AS events ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/insider_local/events2-v0009', '{replica}', n) ORDER BY (user, n) SETTINGS index_granularity = 1024",
    );
    expect(copy[1].sql).toMatch(/halfMD5\(user\)\)$/);
  });

  it('gives a copy made with AS and no engine the engine of its original, with a ZooKeeper path of its own', () => {
    const [held] = plan(['CREATE TABLE IF NOT EXISTS events_held AS events']);
    expect(held).toEqual([
      { target: 'local-every-node', sql: "CREATE TABLE IF NOT EXISTS `events_held` AS events ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/insider_local/events_held-v0009', '{replica}') ORDER BY user" },
      { target: 'main-every-node', sql: "CREATE TABLE IF NOT EXISTS `events_held` AS `insider_local`.`events_held` ENGINE = Distributed('prod', 'insider_local', 'events_held', halfMD5(user))" },
    ]);
  });

  it("defines a table's MATERIALIZED columns as ALIAS in its Distributed table and its copies' (18.16 sends their values on, and the shard refuses them)", () => {
    const [table, copy, renamed] = plan([
      'CREATE TABLE listing (alert_id String, k UInt64 MATERIALIZED cityHash64(alert_id), user String, n UInt8 DEFAULT 1) ENGINE = MergeTree ORDER BY alert_id',
      'CREATE TABLE listing_copy AS listing',
      'RENAME TABLE listing_copy TO listing_new',
    ]);
    const modify = { target: 'main-every-node', sql: 'ALTER TABLE `listing` MODIFY COLUMN k UInt64 ALIAS cityHash64(alert_id)' };
    expect(table.slice(1)).toEqual([expect.objectContaining({ target: 'main-every-node', sql: expect.stringMatching(/^CREATE TABLE IF NOT EXISTS `listing` AS `insider_local`.`listing` ENGINE = Distributed/) }), modify]);
    expect(table[0].sql).toContain('k UInt64 MATERIALIZED cityHash64(alert_id)');
    expect(copy[copy.length - 1]).toEqual({ ...modify, sql: modify.sql.replace('`listing`', '`listing_copy`') });
    expect(renamed[renamed.length - 1]).toEqual({ ...modify, sql: modify.sql.replace('`listing`', '`listing_new`') });
    // A table without one keeps the single Distributed step.
    expect(plan(['CREATE TABLE plain (user String) ENGINE = MergeTree ORDER BY user'])[0]).toHaveLength(2);
  });

  it('creates a Null table (it stores nothing) as it is, on every node, with no Distributed table (migration 0013)', () => {
    const [replay, view] = plan(['CREATE TABLE IF NOT EXISTS replay_events AS events ENGINE = Null', 'CREATE MATERIALIZED VIEW IF NOT EXISTS replay_events_mv TO events AS SELECT user, n FROM replay_events']);
    expect(replay).toEqual([{ target: 'local-every-node', sql: 'CREATE TABLE IF NOT EXISTS `replay_events` AS events ENGINE = Null' }]);
    expect(view).toEqual([{ target: 'local-every-node', sql: 'CREATE MATERIALIZED VIEW IF NOT EXISTS `replay_events_mv` TO events AS SELECT user, n FROM replay_events' }]);
    expect(() => plan(['CREATE TABLE t AS events ENGINE = Null ORDER BY user'])).toThrow(MigrationError);
  });

  it('reads quoted names and drops whatever kind of object it was', () => {
    const [view, drop, dropView] = plan(['CREATE VIEW IF NOT EXISTS `daily totals` AS SELECT user, sum(n) AS n FROM events GROUP BY user', 'DROP TABLE `events`', 'DROP TABLE IF EXISTS `daily totals`']);
    expect(view).toEqual([{ target: 'main-every-node', sql: 'CREATE VIEW IF NOT EXISTS `daily totals` AS SELECT user, sum(n) AS n FROM events GROUP BY user' }]);
    expect(drop.map((s) => s.target)).toEqual(['main-every-node', 'local-every-node']);
    expect(dropView).toEqual([{ target: 'main-every-node', sql: 'DROP TABLE IF EXISTS `daily totals`' }]);
  });

  it.each([
    ['an engine that cannot be replicated', 'CREATE TABLE t (x UInt8) ENGINE = Memory', /only MergeTree family engines/],
    ['a table without an engine', 'CREATE TABLE t (x UInt8)', /name the ENGINE/],
    ['a table in another database', 'CREATE TABLE other.t (x UInt8) ENGINE = MergeTree ORDER BY x', /do not name another one/],
    ['a view with an inner table', 'CREATE MATERIALIZED VIEW v ENGINE = MergeTree ORDER BY user AS SELECT user FROM events', /writes TO a table/],
    ['POPULATE', 'CREATE MATERIALIZED VIEW v TO events POPULATE AS SELECT user, n FROM events', /POPULATE is not supported/],
    ['a view into a table nobody created', 'CREATE MATERIALIZED VIEW v TO nowhere AS SELECT user FROM events', /no earlier migration created/],
    ['an ALTER of an unknown table', 'ALTER TABLE nowhere ADD COLUMN x UInt8', /no earlier migration created/],
    ['a statement with no cluster form', 'OPTIMIZE TABLE events FINAL', /has no cluster form yet/],
  ])('refuses %s with the statement and what to do', (_what, statement, reason) => {
    const run = () => plan([statement]);
    expect(run).toThrow(MigrationError);
    expect(run).toThrow(reason);
  });
});

describe('the shard of an employee', () => {
  it('is halfMD5(user) modulo the shard count, as ClickHouse 18.16 computed it for these users', () => {
    // SELECT halfMD5(u) % 2, halfMD5(u) % 3 on the project's ClickHouse 18.16.1.
    const seen: Array<[string, number, number]> = [
      ['alice', 1, 0],
      ['bob', 0, 1],
      ['carol@corp.example', 0, 1],
      ['person42@corp.example', 0, 1],
      ['ünïcödé@corp.example', 0, 0],
      ['雪@corp.example', 1, 1],
      ['', 0, 2],
      ['user2@corp.example', 1, 2],
    ];
    for (const [user, of2, of3] of seen) expect([user, shardOfUser(user, 2), shardOfUser(user, 3)]).toEqual([user, of2, of3]);
  });

  it('is 0 with one shard and spreads employees evenly over several', () => {
    expect(shardOfUser('anyone', 1)).toBe(0);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 20000; i++) counts[shardOfUser(`employee${i}@corp.example`, 4)]++;
    for (const c of counts) expect(Math.abs(c - 5000)).toBeLessThan(300);
  });
});
