// The local ClickHouse cluster of `insider services up --cluster`: ZooKeeper plus one clickhouse-server
// per replica of clickhouse.cluster (or of config/local-cluster.yaml when none is configured), each with
// its own config, ports, data and logs under the state dir. A node whose HTTP port is P takes the native
// protocol on P+100 and replication (interserver HTTP) on P+200; the cluster's <remote_servers> lists
// every node by its native port, shards in order, with internal replication (a write goes to one
// replica; ReplicatedMergeTree copies it to the others).
import path from 'node:path';
import fs from 'node:fs';
import { loadConfig, type Config } from '../config';
import { ConfigError, ServiceError } from '../errors';
import { PACKAGE_ROOT } from '../package-root';
import { CLICKHOUSE_DEPLOY_DIR, clickhouseNode } from './clickhouse-server';
import { fillTemplate } from './managed-process';
import { isLoopback, type LocalService } from './service';
import { ZOOKEEPER_HOST, zookeeperServer } from './zookeeper';

export const LOCAL_CLUSTER_CONFIG = path.join(PACKAGE_ROOT, 'config', 'local-cluster.yaml');
const NATIVE_PORT_OFFSET = 100;
const INTERSERVER_PORT_OFFSET = 200;

type Layout = NonNullable<Config['clickhouse']['cluster']>;

export interface ClusterNodePorts {
  name: string;
  shard: number;
  replica: number;
  host: string;
  httpPort: number;
  tcpPort: number;
  interserverPort: number;
}

/** The cluster to run here: the configured one, or config/local-cluster.yaml's. */
export function localClusterLayout(config: Readonly<Config>): Layout {
  if (config.clickhouse.cluster) return config.clickhouse.cluster;
  const cluster = loadConfig({ file: LOCAL_CLUSTER_CONFIG, env: {} }).config.clickhouse.cluster;
  if (!cluster) throw new ConfigError(`${LOCAL_CLUSTER_CONFIG} has no clickhouse.cluster`);
  return cluster;
}

export function clusterNodePorts(layout: Layout): ClusterNodePorts[] {
  return layout.shards.flatMap((replicas, shard) =>
    replicas.map((address, replica) => {
      const url = new URL(address);
      const httpPort = Number(url.port || 8123);
      const tcpPort = httpPort + NATIVE_PORT_OFFSET;
      const interserverPort = httpPort + INTERSERVER_PORT_OFFSET;
      if (interserverPort > 65535) throw new ServiceError('SERVICE_START_FAILED', `${address}: HTTP port too high for the local cluster's port scheme (P+100, P+200)`, { service: 'clickhouse' });
      return { name: `clickhouse-s${shard + 1}r${replica + 1}`, shard, replica, host: url.hostname.replace(/^\[|\]$/g, ''), httpPort, tcpPort, interserverPort };
    }),
  );
}

/** ZooKeeper first, then every node, in shard and replica order. */
export function localCluster(config: Readonly<Config>, stateDir: string): LocalService[] {
  const layout = localClusterLayout(config);
  const nodes = clusterNodePorts(layout);
  const manage = config.localServices.clickhouse.manage;
  const managed = manage === 'always' || (manage === 'auto' && layout.shards.flat().every((a) => new URL(a).protocol === 'http:' && isLoopback(new URL(a).hostname)));
  const zookeeper = zookeeperServer(config, stateDir, managed);
  return [
    zookeeper,
    ...nodes.map((n) =>
      clickhouseNode(config, stateDir, {
        name: n.name,
        url: new URL(layout.shards[n.shard][n.replica]),
        tcpPort: n.tcpPort,
        home: path.join(stateDir, 'cluster', `s${n.shard + 1}r${n.replica + 1}`),
        managed,
        extraConfig: nodeConfig(config, layout, nodes, n),
        readyCheck: async (query) => {
          const res = await query("SELECT count() FROM system.zookeeper WHERE path = '/'");
          return res.ok ? { ready: true, detail: `shard ${n.shard + 1}, replica ${n.replica + 1}` } : { ready: false, detail: `ZooKeeper not reachable from this node: ${(await res.text()).trim().slice(0, 200)}` };
        },
      }),
    ),
  ];
}

/** config.d/cluster.xml of one node. */
export function nodeConfig(config: Readonly<Config>, layout: Layout, nodes: ClusterNodePorts[], node: ClusterNodePorts): string {
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(layout.name)) {
    throw new ServiceError('SERVICE_START_FAILED', `clickhouse.cluster.name "${layout.name}" cannot name a cluster in <remote_servers> (an XML element name)`, { service: 'clickhouse' });
  }
  const credentials = [`<user>${xml(config.clickhouse.username)}</user>`, ...(config.clickhouse.password ? [`<password>${xml(config.clickhouse.password)}</password>`] : [])].join('');
  const shards = layout.shards
    .map((_replicas, s) => {
      const members = nodes
        .filter((n) => n.shard === s)
        .map((n) => `                <replica><host>${xml(n.host)}</host><port>${n.tcpPort}</port>${credentials}</replica>`);
      return ['            <shard>', '                <internal_replication>true</internal_replication>', ...members, '            </shard>'].join('\n');
    })
    .join('\n');
  const template = fs.readFileSync(path.join(CLICKHOUSE_DEPLOY_DIR, 'cluster.xml'), 'utf8');
  return fillTemplate(template, {
    HOST: node.host,
    INTERSERVER_PORT: node.interserverPort,
    ZOOKEEPER_HOST,
    ZOOKEEPER_PORT: config.localServices.zookeeper.port,
    SHARD: String(node.shard + 1).padStart(2, '0'),
    REPLICA: `r${node.replica + 1}`,
    CLUSTER: layout.name,
    SHARDS: shards,
  });
}

function xml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] as string);
}
