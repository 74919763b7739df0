// The local service scripts on their own ports and state dir, so the services the other tests use
// are untouched: up (idempotent), status with versions, stale pid files, down leaving no process.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { localServices, servicesDown, servicesStatus, servicesUp, stateDirOf } from '../../src/local-services';
import { testConfig } from '../helpers/env';
import { processesMentioning } from '../helpers/processes';

describe('local services (own ports and state dir)', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'insider-services-'));
  const file = path.join(stateDir, 'config.yaml');
  fs.writeFileSync(
    file,
    [
      'kafka: { brokers: ["127.0.0.1:19092"] }',
      'clickhouse: { url: "http://127.0.0.1:18123" }',
      `localServices: { stateDir: "${stateDir}", kafka: { heapMb: 384 }, clickhouse: { tcpPort: 19000 } }`,
    ].join('\n'),
  );
  const config = loadConfig({ file, env: {} }).config;
  const lines: string[] = [];
  const progress = (l: string) => lines.push(l);

  beforeAll(() => {
    // Reuse the jars the main services were installed with instead of fetching them again.
    const mainLibs = path.join(stateDirOf(testConfig()), 'kafka', 'libs');
    fs.mkdirSync(path.join(stateDir, 'kafka'), { recursive: true });
    fs.symlinkSync(mainLibs, path.join(stateDir, 'kafka', 'libs'));
  });

  afterAll(async () => {
    await servicesDown(localServices(config), () => {});
  });

  it('starts both, reports their versions, and a second up changes nothing', async () => {
    const first = await servicesUp(localServices(config), progress);
    expect(first.map((s) => [s.name, s.state, s.ready])).toEqual([
      ['kafka', 'running', true],
      ['clickhouse', 'running', true],
    ]);
    const status = await servicesStatus(localServices(config));
    expect(status.find((s) => s.name === 'kafka')?.version).toMatch(/^Apache Kafka 3\.9\.\d+ \(KRaft\)$/);
    expect(status.find((s) => s.name === 'clickhouse')?.version).toMatch(/^ClickHouse \d+\.\d+/);
    expect(status.every((s) => s.logFile?.startsWith(stateDir))).toBe(true);

    lines.length = 0;
    const second = await servicesUp(localServices(config), progress);
    expect(second.map((s) => s.pid)).toEqual(first.map((s) => s.pid));
    expect(lines).toEqual([expect.stringMatching(/^kafka: already running/), expect.stringMatching(/^clickhouse: already running/)]);
  });

  it('stops both with down, leaving no process of theirs', async () => {
    await servicesDown(localServices(config), progress);
    const status = await servicesStatus(localServices(config));
    expect(status.map((s) => [s.name, s.state, s.ready])).toEqual([
      ['kafka', 'stopped', false],
      ['clickhouse', 'stopped', false],
    ]);
    expect(processesMentioning(stateDir)).toEqual([]);
  });

  it('replaces a stale pid file on up', async () => {
    fs.mkdirSync(path.join(stateDir, 'run'), { recursive: true });
    fs.writeFileSync(path.join(stateDir, 'run', 'clickhouse.pid'), '999999999\n');
    lines.length = 0;
    const [ch] = await servicesUp(localServices(config, ['clickhouse']), progress);
    expect(lines[0]).toBe('clickhouse: removing stale pid file (pid 999999999 is not running)');
    expect(ch.state).toBe('running');
    expect(Number(fs.readFileSync(path.join(stateDir, 'run', 'clickhouse.pid'), 'utf8'))).toBe(ch.pid);
    await servicesDown(localServices(config), progress);
    expect(processesMentioning(stateDir)).toEqual([]);
  });

  it('starts nothing for a service configured as not managed', async () => {
    const external = loadConfig({
      env: { INSIDER_KAFKA_BROKERS: '127.0.0.1:19999', INSIDER_CLICKHOUSE_URL: 'http://127.0.0.1:19998', INSIDER_STATE_DIR: stateDir },
      file,
    }).config;
    const unmanaged = { ...external, localServices: { ...external.localServices, kafka: { ...external.localServices.kafka, manage: 'never' as const }, clickhouse: { ...external.localServices.clickhouse, manage: 'never' as const } } };
    const statuses = await servicesUp(localServices(unmanaged), progress);
    expect(statuses.map((s) => [s.name, s.managed, s.state])).toEqual([
      ['kafka', false, 'unreachable'],
      ['clickhouse', false, 'unreachable'],
    ]);
    expect(processesMentioning(stateDir)).toEqual([]);
  });
});
