// The routes Kubernetes probes (deploy/helm), on the real processes: `insider detect` and `insider notify`
// serve /healthz, /readyz and /metrics on health.port, the ingester on ingest.metrics.port; ready
// while ClickHouse answers; SIGTERM still stops each one cleanly.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createKafka } from '../../src/kafka';
import { createLogger } from '../../src/log';
import { createClickHouse, ident, migrate, sql } from '../../src/store';
import { testConfig, uniqueName } from '../helpers/env';
import { BIN, waitUntil } from '../helpers/ingest-run';

jest.setTimeout(180000);

describe('health routes of the long-running stages', () => {
  const base = testConfig();
  const database = uniqueName('it_health');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'health-'));
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    const admin = createClickHouse(base.clickhouse, { database: 'default' });
    const ch = createClickHouse(base.clickhouse, { database });
    await migrate(admin, ch);
    await Promise.all([admin.close(), ch.close()]);
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    const admin = createClickHouse(base.clickhouse, { database: 'default' });
    await admin.exec(sql`DROP DATABASE IF EXISTS ${ident(database)}`);
    await admin.close();
    const kafka = createKafka(base.kafka, createLogger({ level: 'silent' })).admin();
    await kafka.connect();
    await kafka.deleteTopics({ topics: [database] }).catch(() => {});
    await kafka.disconnect();
  });

  const start = (args: string[], port: number) => {
    const file = path.join(dir, `${args[0]}.yaml`);
    fs.writeFileSync(
      file,
      [
        `kafka: { topic: "${database}" }`,
        `clickhouse: { database: "${database}", url: "${base.clickhouse.url}" }`,
        `health: { port: ${port} }`,
        `ingest: { groupId: "${database}", metrics: { port: ${port} } }`,
        `detection: { groupId: "${database}-detect" }`,
      ].join('\n'),
    );
    const out = fs.openSync(path.join(dir, `${args[0]}.log`), 'a');
    // The notifier names employees by pseudonym: it needs the key (a test value).
    const env = { ...process.env, INSIDER_PSEUDONYM_KEY: 'health-test-pseudonym-key' };
    const child = spawn(process.execPath, [BIN, '--config', file, ...args], { stdio: ['ignore', out, out], env });
    fs.closeSync(out);
    children.push(child);
    return child;
  };
  const get = async (port: number, route: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${route}`);
    return { status: res.status, body: await res.text() };
  };

  it.each([
    ['detect', ['detect'], 25995],
    ['notify', ['notify'], 25996],
    ['ingest', ['ingest'], 25997],
  ])('%s: alive, ready while ClickHouse answers, and stops on SIGTERM', async (_name, args, port) => {
    const child = start(args, port);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const ready = await waitUntil(`${args[0]} ready`, async () => {
      const r = await get(port, '/readyz');
      return r.status === 200 ? r : undefined;
    }, 120000, 250);
    expect(JSON.parse(ready.body)).toEqual({ status: 'ready', checks: { clickhouse: 'ok' } });
    expect(await get(port, '/healthz')).toEqual({ status: 200, body: 'ok\n' });
    expect((await get(port, '/metrics')).body).toMatch(/^insider_process_resident_memory_bytes \d+/m);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
