// Where the ingester writes raw events and reads its ledger, shard by shard. One server is one shard
// holding everything. In cluster mode each shard is written to, and read from, directly on its
// replicas (database <database>_local), not through the Distributed tables: one INSERT into one replica
// is one block stored with its materialized views (rollups, ingest_batches) when it is acknowledged,
// whereas a Distributed insert spanning shards can fail halfway. An insert that fails without an answer
// is sent again, identical, to the next replica: if the first had stored it, ZooKeeper holds the block's
// id and the replicated table drops the copy (and its materialized views skip it) — docs/exactly-once.md.
import { ClickHouseError } from '../errors';
import type { ClickHouse, InsertOptions } from './clickhouse';
import { shardOfUser, verifyClusterNode } from './cluster';
import { sql, type SqlFragment } from './sql';

/**
 * Options of a shard insert. `open` is called with the replica chosen, just before the insert is sent
 * there, and gives the insert's session and query id: the ingester opens its fence on that replica and
 * proves it still owns the partition (src/store/write-fence.ts). A failure of it counts as the replica's.
 */
export type ShardInsertOptions = InsertOptions & { open?: (replica: ClickHouse) => Promise<Pick<InsertOptions, 'session' | 'queryId'>> };

/** What an opened fence gives the insert: its session and query id, nothing else the caller keeps on it. */
const fenceOf = (o: Pick<InsertOptions, 'session' | 'queryId'> | undefined) => (o ? { session: o.session, queryId: o.queryId } : {});

export interface Shards {
  readonly count: number;
  /** The shard that holds an employee's rows. */
  of(user: string): number;
  /**
   * Inserts into one shard's own table on one of its replicas. After a failure that retrying may cure,
   * the next call for that shard goes to its next replica.
   */
  insert<T extends object>(shard: number, table: string, rows: ReadonlyArray<T>, opts?: ShardInsertOptions): Promise<void>;
  /**
   * Runs `fn` on every node that may run one of our writes: the server, or every replica of every shard.
   * A replica where no server listens (connection refused, its name or host gone) is passed over: it
   * runs nothing that could still be written. One that is slow or times out is not: the call fails
   * (retriable), and the caller tries again.
   */
  onEveryReplica(fn: (replica: ClickHouse) => Promise<void>): Promise<void>;
  /**
   * The rows of a SELECT over one shard's own tables, as complete as the shard is: the union of what
   * every answering replica holds. When a replica does not answer, the answer counts only if one that
   * does has fetched every part of `table` the cluster knows of; otherwise a retriable error (the missing
   * replica may hold parts nobody else has yet).
   */
  queryShard<T>(shard: number, q: SqlFragment, opts: { table: string }): Promise<T[]>;
  /** The same, with the reading of each replica given (e.g. TabSeparated text parsed by the caller). */
  readShard<T>(shard: number, read: (replica: ClickHouse) => Promise<T[]>, opts: { table: string }): Promise<T[]>;
}

const single = new WeakMap<ClickHouse, Shards>();
const clustered = new WeakMap<ClickHouse, Shards>();

/** The shards behind a connection: one (the server itself) unless clickhouse.cluster is set. */
export function shardsOf(ch: ClickHouse): Shards {
  const cache = ch.cluster ? clustered : single;
  let shards = cache.get(ch);
  if (!shards) cache.set(ch, (shards = ch.cluster ? clusterShards(ch) : singleShard(ch)));
  return shards;
}

function singleShard(ch: ClickHouse): Shards {
  return {
    count: 1,
    of: () => 0,
    async insert(_shard, table, rows, { open, ...opts } = {}) {
      await ch.insert(table, rows, { ...opts, ...fenceOf(await open?.(ch)) });
    },
    onEveryReplica: (fn) => fn(ch),
    queryShard: <T>(_shard: number, q: SqlFragment) => ch.query<T>(q),
    readShard: <T>(_shard: number, read: (replica: ClickHouse) => Promise<T[]>) => read(ch),
  };
}

function clusterShards(ch: ClickHouse): Shards {
  const cluster = ch.cluster!;
  const count = cluster.shards.length;
  /** The replica each shard is written to; it changes only when that replica fails. */
  const preferred = cluster.shards.map(() => 0);
  const verified = new Map<string, Promise<void>>();

  /** Each node is checked once, on first use, to be the shard the configuration says it is. */
  const node = async (shard: number, replica: number): Promise<ClickHouse> => {
    const key = `${shard}/${replica}`;
    let check = verified.get(key);
    if (!check) {
      check = verifyClusterNode(cluster.node(shard, replica, 'system'), cluster, shard, replica);
      verified.set(key, check);
      // A node that did not answer is checked again next time; a wrong one stays wrong.
      check.catch((err) => {
        if ((err as ClickHouseError).retriable) verified.delete(key);
      });
    }
    await check;
    return cluster.node(shard, replica);
  };

  async function readShard<T>(shard: number, read: (replica: ClickHouse) => Promise<T[]>, opts: { table: string }): Promise<T[]> {
    const replicas = cluster.shards[shard].map((_, r) => r);
    const answers = await Promise.allSettled(replicas.map(async (r) => read(await node(shard, r))));
    const answered = replicas.filter((r) => answers[r].status === 'fulfilled');
    const rows = (r: number) => (answers[r] as PromiseFulfilledResult<T[]>).value;
    if (answered.length === 0) throw (answers[0] as PromiseRejectedResult).reason;
    const failed = answers.find((a): a is PromiseRejectedResult => a.status === 'rejected');
    if (failed) {
      if (!(failed.reason instanceof ClickHouseError) || !failed.reason.retriable) throw failed.reason;
      const complete = await Promise.all(answered.map(async (r) => hasEveryPart(await node(shard, r), cluster.localDatabase, opts.table)));
      if (!complete.some(Boolean)) {
        const missing = replicas.filter((r) => !answered.includes(r)).map((r) => cluster.shards[shard][r]);
        throw new ClickHouseError(
          `shard ${shard + 1}: ${missing.join(', ')} does not answer, and no replica that does has fetched every part of ${opts.table} yet; waiting, so that nothing it holds is missed`,
          { retriable: true, cause: failed.reason },
        );
      }
    }
    return answered.flatMap(rows);
  }

  return {
    count,
    of: (user) => shardOfUser(user, count),

    async insert(shard, table, rows, { open, ...opts } = {}) {
      const replica = preferred[shard];
      try {
        const target = await node(shard, replica);
        await target.insert(table, rows, { ...opts, ...fenceOf(await open?.(target)) });
      } catch (err) {
        // Bad data is bad on every replica; unreachable or read-only (no ZooKeeper) may not be. The
        // caller's next attempt, the same block, goes to the next replica.
        if (!(err instanceof ClickHouseError) || !err.retriable) throw err;
        preferred[shard] = (replica + 1) % cluster.shards[shard].length;
        throw new ClickHouseError(`shard ${shard + 1}, ${cluster.shards[shard][replica]}: ${err.message}`, {
          retriable: true,
          serverCode: err.context.serverCode as number | undefined,
          cause: err,
        });
      }
    },

    async onEveryReplica(fn) {
      const all = cluster.shards.flatMap((replicas, shard) => replicas.map((_, replica) => cluster.node(shard, replica)));
      // Each replica's run ends before the call does, whatever another's failure.
      const settled = await Promise.allSettled(all.map((replica) => fn(replica)));
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !noServerAt(r.reason));
      if (failed) throw failed.reason;
    },

    queryShard: <T>(shard: number, q: SqlFragment, opts: { table: string }) => readShard(shard, (replica) => replica.query<T>(q), opts),
    readShard,
  };
}

/**
 * The connection found no server there: refused, or the host or its name gone (not a timeout, not a
 * reset). Causes are followed as objects, not as `instanceof Error`: the socket's error may come from
 * another realm (a jest test's sandbox, a worker), where that check is false.
 */
export function noServerAt(err: unknown): boolean {
  // A few causes deep at most: an error that is its own cause (a cycle) must not hang the caller.
  let e = err;
  for (let depth = 0; depth < 8 && typeof e === 'object' && e !== null; depth++, e = (e as { cause?: unknown }).cause) {
    const code = (e as Error & { code?: unknown }).code;
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH') return true;
  }
  return false;
}

/**
 * True when the replica has fetched every part in the table's replication log: it has pulled every log
 * entry there is in ZooKeeper (its log pointer is past the newest) and has no part left to get.
 */
async function hasEveryPart(node: ClickHouse, database: string, table: string): Promise<boolean> {
  const [replica] = await node.query<{ inserts: string; pointer: string; zk: string }>(sql`
    SELECT inserts_in_queue AS inserts, log_pointer AS pointer, zookeeper_path AS zk
    FROM system.replicas WHERE database = ${database} AND table = ${table}`);
  if (!replica || Number(replica.inserts) > 0) return false;
  const [log] = await node.query<{ entries: string; newest: string }>(sql`
    SELECT count() AS entries, max(toUInt64(substring(name, 5))) AS newest
    FROM system.zookeeper WHERE path = ${`${replica.zk}/log`}`);
  return Number(log.entries) === 0 || Number(log.newest) < Number(replica.pointer);
}
