// Migrations on a cluster (clickhouse.cluster): every node is checked to be the shard the configuration
// says, both databases are created on every node, and each statement's cluster steps
// (cluster-schema.ts) run where they belong: on every node (DDL is per node in ClickHouse), once per
// shard (ALTERs of replicated tables), or once through the Distributed tables (INSERT ... SELECT). Every
// step is re-runnable on a node where it already ran, so a migration that stopped halfway (a node down)
// is applied again as a whole. The ledger `schema_migrations` is itself a replicated table.
import { ClickHouseError, MigrationError } from '../errors';
import type { ClickHouse, ClusterNodes } from './clickhouse';
import { verifyClusterNode } from './cluster';
import { aliasSteps, planStatement, type Catalog, type ClusterNames, type ClusterStep } from './cluster-schema';
import { ident, sql, SqlFragment } from './sql';
import type { Migration } from './migrate';

type Progress = (line: string) => void;

export interface ClusterMigrationRun {
  /**
   * Plans every migration (applied ones only to know the tables); returns the pending ones' steps, and
   * the re-runnable steps that bring every table's Distributed table in line (aliasSteps).
   */
  plan(migrations: Migration[], applied: Set<number>): { pending: Map<number, ClusterStep[]>; always: ClusterStep[] };
  run(steps: ClusterStep[], where: string): Promise<void>;
}

/** Checks the topology and creates both databases on every node; returns what applies the steps. */
export async function prepareCluster(ch: ClickHouse, ledgerStatement: string, progress: Progress): Promise<ClusterMigrationRun> {
  const cluster = ch.cluster as ClusterNodes;
  const names: ClusterNames = { cluster: cluster.name, database: ch.database, localDatabase: cluster.localDatabase };
  const nodes = cluster.shards.flatMap((replicas, shard) => replicas.map((url, replica) => ({ shard, replica, url })));
  for (const n of nodes) {
    await onNode(n.url, () => verifyClusterNode(cluster.node(n.shard, n.replica, 'system'), cluster, n.shard, n.replica));
  }
  progress(`cluster ${cluster.name}: ${cluster.shards.length} shard(s), ${nodes.length} node(s); tables in ${names.localDatabase} on every shard, Distributed tables in ${names.database}`);
  for (const n of nodes) {
    const admin = cluster.node(n.shard, n.replica, 'default');
    await onNode(n.url, async () => {
      await admin.exec(sql`CREATE DATABASE IF NOT EXISTS ${ident(names.database)}`);
      await admin.exec(sql`CREATE DATABASE IF NOT EXISTS ${ident(names.localDatabase)}`);
    });
  }

  const run = async (steps: ClusterStep[], where: string) => {
    for (const step of steps) {
      try {
        await apply(ch, cluster, step, nodes);
      } catch (err) {
        if (err instanceof MigrationError) throw new MigrationError(`${where}: ${err.message}`, err.context, err);
        throw new MigrationError(`${where}: ${(err as Error).message}`, {}, err);
      }
    }
  };
  const ledgerCatalog: Catalog = new Map();
  await run(planStatement(ledgerStatement, 0, ledgerCatalog, names), 'schema_migrations');

  return {
    plan(migrations, applied) {
      const catalog: Catalog = new Map(ledgerCatalog);
      const pending = new Map<number, ClusterStep[]>();
      for (const m of migrations) {
        const steps = m.statements.flatMap((statement, i) => {
          try {
            return planStatement(statement, m.version, catalog, names);
          } catch (err) {
            throw new MigrationError(`${m.file}, statement ${i + 1}: ${(err as Error).message}`, { file: m.file }, err);
          }
        });
        if (!applied.has(m.version)) pending.set(m.version, steps);
      }
      const always = [...catalog.entries()].flatMap(([name, entry]) => (entry.kind === 'table' ? aliasSteps(name, entry) : []));
      return { pending, always };
    },
    run,
  };
}

async function apply(ch: ClickHouse, cluster: ClusterNodes, step: ClusterStep, nodes: Array<{ shard: number; replica: number; url: string }>): Promise<void> {
  // Migration files are code shipped with the product; cluster-schema.ts only adds escaped names to them.
  const statement = new SqlFragment(step.sql);
  switch (step.target) {
    case 'main-once':
      await ch.exec(statement);
      return;
    case 'local-every-node':
    case 'main-every-node': {
      const database = step.target === 'local-every-node' ? cluster.localDatabase : ch.database;
      for (const n of nodes) {
        const node = cluster.node(n.shard, n.replica, database);
        await onNode(n.url, async () => {
          if (await alreadyDone(node, database, step)) return;
          await node.exec(statement);
        });
      }
      return;
    }
    case 'local-each-shard':
      for (const [shard, replicas] of cluster.shards.entries()) {
        // One replica per shard: the replicated table carries the change to the others.
        let lastError: unknown;
        let done = false;
        for (let replica = 0; replica < replicas.length && !done; replica++) {
          const node = cluster.node(shard, replica, cluster.localDatabase);
          try {
            if (!(await alreadyDone(node, cluster.localDatabase, step))) await node.exec(statement);
            done = true;
          } catch (err) {
            if (!(err as { retriable?: boolean }).retriable) throw new MigrationError(`on ${replicas[replica]}: ${(err as Error).message}`, {}, err);
            lastError = err;
          }
        }
        if (!done) throw new MigrationError(`no replica of shard ${shard + 1} answers (${replicas.join(', ')}): ${(lastError as Error).message}`, {}, lastError);
      }
      return;
  }
}

/** Whether a step that is not idempotent by itself has already been applied on this node. */
async function alreadyDone(node: ClickHouse, database: string, step: ClusterStep): Promise<boolean> {
  const guard = step.guard;
  if (!guard) return false;
  if (guard.kind === 'rename') {
    const rows = await node.query<{ name: string }>(sql`SELECT name FROM system.tables WHERE database = ${database} AND name IN (${guard.from}, ${guard.to})`);
    const names = new Set(rows.map((r) => r.name));
    return !names.has(guard.from) && names.has(guard.to);
  }
  const [r] = await node.query<{ n: string }>(sql`
    SELECT count() AS n FROM system.columns WHERE database = ${database} AND table = ${guard.table} AND name = ${guard.column}`);
  const present = Number(r.n) > 0;
  return guard.kind === 'add-column' ? present : !present;
}

/** Names the node in ClickHouse's errors; a wrong configuration (ConfigError) is passed on as it is. */
async function onNode<T>(url: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof ClickHouseError)) throw err;
    throw new MigrationError(`on ${url}: ${err.message}`, {}, err);
  }
}
