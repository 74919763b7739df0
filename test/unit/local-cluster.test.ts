// The local cluster's layout and each node's config, without starting anything: the shipped
// config/local-cluster.yaml fits the 25000-25999 port block, and the generated config.d/cluster.xml says
// what the server must know (its shard and replica, the cluster's nodes by native port, ZooKeeper).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { clusterNodePorts, LOCAL_CLUSTER_CONFIG, localClusterLayout } from '../../src/local-services';
import { nodeConfig } from '../../src/local-services/clickhouse-cluster';
import { configErrorOf } from '../helpers/config-error';

describe('the local ClickHouse cluster', () => {
  const defaults = loadConfig({ env: {} }).config;

  it('is config/local-cluster.yaml when no cluster is configured: 2 shards x 2 replicas on 25xxx ports', () => {
    const layout = localClusterLayout(defaults);
    expect(layout.shards.map((r) => r.length)).toEqual([2, 2]);
    const ports = clusterNodePorts(layout);
    expect(ports.map((p) => [p.name, p.httpPort, p.tcpPort, p.interserverPort])).toEqual([
      ['clickhouse-s1r1', 25111, 25211, 25311],
      ['clickhouse-s1r2', 25112, 25212, 25312],
      ['clickhouse-s2r1', 25121, 25221, 25321],
      ['clickhouse-s2r2', 25122, 25222, 25322],
    ]);
    const all = [...ports.flatMap((p) => [p.httpPort, p.tcpPort, p.interserverPort]), defaults.localServices.zookeeper.port];
    expect(new Set(all).size).toBe(all.length);
    expect(all.every((p) => p >= 25000 && p <= 25999)).toBe(true);
    // The file the product is pointed at names a node of the cluster it starts.
    const product = loadConfig({ file: LOCAL_CLUSTER_CONFIG, env: {} }).config.clickhouse;
    expect(layout.shards.flat()).toContain(product.url);
  });

  it("writes each node's shard, replica, ZooKeeper and the cluster's nodes by native port", () => {
    const config = { ...defaults, clickhouse: { ...defaults.clickhouse, password: 'p<&>"w' } };
    const layout = localClusterLayout(config);
    const ports = clusterNodePorts(layout);
    const xml = nodeConfig(config, layout, ports, ports[3]);
    expect(xml).toMatch(/<interserver_http_port>25322<\/interserver_http_port>/);
    expect(xml).toMatch(/<shard>02<\/shard>\s*<replica>r2<\/replica>/);
    expect(xml).toMatch(/<port>25181<\/port>/);
    expect(xml.match(/<shard>\s*<internal_replication>true<\/internal_replication>/g)).toHaveLength(2);
    expect([...xml.matchAll(/<replica><host>127\.0\.0\.1<\/host><port>(\d+)<\/port>/g)].map((m) => Number(m[1]))).toEqual([25211, 25212, 25221, 25222]);
    expect(xml).toContain('<password>p&lt;&amp;&gt;&quot;w</password>');
    expect(xml).not.toMatch(/\$\{[A-Z_]+\}/);
  });
});

describe('clickhouse.cluster in a configuration file', () => {
  const file = (text: string) => {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cfg-')), 'c.yaml');
    fs.writeFileSync(f, text);
    return f;
  };

  it('is null by default: one server', () => {
    expect(loadConfig({ env: {} }).config.clickhouse.cluster).toBeNull();
  });

  it('names the key of a replica listed twice, and of a shard without replicas', () => {
    const twice = file('clickhouse: { cluster: { name: c, shards: [["http://a:8123", "http://b:8123"], ["http://a:8123/"]] } }');
    expect(configErrorOf(() => loadConfig({ file: twice, env: {} })).message).toMatch(/clickhouse\.cluster\.shards\.1\.0: http:\/\/a:8123\/ is listed twice \(also shards\[0\]\[0\]\)/);
    const empty = file('clickhouse: { cluster: { name: c, shards: [[]] } }');
    expect(configErrorOf(() => loadConfig({ file: empty, env: {} })).message).toMatch(/clickhouse\.cluster\.shards\.0: a shard needs at least one replica/);
  });
});
