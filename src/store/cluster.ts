// Cluster mode (clickhouse.cluster): every table lives on each shard as a replicated table in the
// database `<database>_local`, and a Distributed table of the same name in `<database>` reads all shards;
// the product queries only the latter. Employee tables (those with a `user` column: raw events, rollups,
// alerts) are sharded by halfMD5(user), which shardOfUser() computes the same way, so the ingester can
// write each shard's rows straight to one of its replicas. Every other table sits whole on the first
// shard (sharding key 0): each of its inserts is one block on one shard, atomic as on a single server.
import crypto from 'node:crypto';
import { ConfigError } from '../errors';
import type { ClickHouse } from './clickhouse';
import { sql } from './sql';

/** The Distributed tables' sharding key of employee tables; shardOfUser() is its TypeScript twin. */
export const USER_SHARDING_KEY = 'halfMD5(user)';
/** The sharding key of every other table: everything on the first shard. */
export const FIRST_SHARD_KEY = '0';

/**
 * The shard of an employee: halfMD5(user) modulo the number of shards, as the Distributed engine picks
 * it with equal shard weights. halfMD5 is the first 8 bytes of the MD5 of the UTF-8 string, big-endian.
 */
export function shardOfUser(user: string, shards: number): number {
  if (shards === 1) return 0;
  const digest = crypto.createHash('md5').update(user, 'utf8').digest();
  return Number(digest.readBigUInt64BE(0) % BigInt(shards));
}

const HASH_PROBE = 'insider-detector shard check: ü 雪 🙂';

/**
 * Checks that the node at clickhouse.cluster.shards[shard][replica] is that shard of the configured
 * cluster in its own <remote_servers> (same shard count, one replica per listed address, equal weights)
 * and computes halfMD5 as shardOfUser() does. A wrong list would put an employee's rows on two shards.
 */
export async function verifyClusterNode(node: ClickHouse, cluster: { name: string; shards: ReadonlyArray<ReadonlyArray<string>> }, shard: number, replica: number): Promise<void> {
  const where = `clickhouse.cluster.shards[${shard}][${replica}] (${cluster.shards[shard][replica]})`;
  const rows = await node.query<{ shard_num: number; shard_weight: number; replicas: string; local: number }>(sql`
    SELECT shard_num, any(shard_weight) AS shard_weight, count() AS replicas, max(is_local) AS local
    FROM system.clusters WHERE cluster = ${cluster.name} GROUP BY shard_num ORDER BY shard_num`);
  if (rows.length === 0) {
    throw new ConfigError(`${where}: has no cluster named "${cluster.name}" in <remote_servers> (clickhouse.cluster.name)`, { key: 'clickhouse.cluster.name' });
  }
  if (rows.length !== cluster.shards.length) {
    throw new ConfigError(`${where}: cluster "${cluster.name}" has ${rows.length} shard(s) in <remote_servers>, clickhouse.cluster.shards lists ${cluster.shards.length}`, { key: 'clickhouse.cluster.shards' });
  }
  rows.forEach((r, i) => {
    if (Number(r.shard_weight) !== 1) {
      throw new ConfigError(`${where}: shard ${r.shard_num} of "${cluster.name}" has weight ${r.shard_weight}; the product needs equal weights of 1 (shardOfUser)`, { key: 'clickhouse.cluster' });
    }
    if (Number(r.replicas) !== cluster.shards[i].length) {
      throw new ConfigError(`${where}: shard ${r.shard_num} of "${cluster.name}" has ${r.replicas} replica(s) in <remote_servers>, clickhouse.cluster.shards[${i}] lists ${cluster.shards[i].length}`, { key: 'clickhouse.cluster.shards' });
    }
  });
  const own = rows.filter((r) => Number(r.local) === 1).map((r) => Number(r.shard_num));
  if (own.length !== 1 || own[0] !== shard + 1) {
    const is = own.length === 0 ? 'is not a member of it' : `is shard ${own.join(', ')} of it`;
    throw new ConfigError(`${where}: this node ${is} in its own <remote_servers>, not shard ${shard + 1}: list shards and replicas in <remote_servers> order`, { key: 'clickhouse.cluster.shards' });
  }
  const [hash] = await node.query<{ h: string }>(sql`SELECT toString(halfMD5(${HASH_PROBE})) AS h`);
  const expected = crypto.createHash('md5').update(HASH_PROBE, 'utf8').digest().readBigUInt64BE(0).toString();
  if (hash.h !== expected) {
    throw new ConfigError(`${where}: the server's halfMD5 differs from the product's (${hash.h} instead of ${expected}); employees would be sharded inconsistently`, { key: 'clickhouse.cluster' });
  }
}
