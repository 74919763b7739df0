// The routes Kubernetes probes (deploy/helm), on the real processes: `insider detect` and `insider notify`
// serve /healthz, /readyz and /metrics on health.port, the ingester on ingest.metrics.port; ready
// while ClickHouse answers; SIGTERM still stops each one cleanly. Each stage's own metrics move with
// its work (the detector's with the events it judges, the scheduler's with the reports it writes).
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createKafka } from '../../src/kafka';
import { createLogger } from '../../src/log';
import { createClickHouse } from '../../src/store';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';
import { BIN, waitUntil } from '../helpers/ingest-run';

jest.setTimeout(180000);

describe('health routes of the long-running stages', () => {
  const base = testConfig();
  const database = uniqueName('it_health');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'health-'));
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    const { admin, ch } = await freshDatabase(database, base.clickhouse);
    await Promise.all([admin.close(), ch.close()]);
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await dropDatabase(database, { admin: createClickHouse(base.clickhouse, { database: 'default' }) });
    const kafka = createKafka(base.kafka, createLogger({ level: 'silent' })).admin();
    await kafka.connect();
    await kafka.deleteTopics({ topics: [database] }).catch(() => {});
    await kafka.disconnect();
  });

  const start = (args: string[], port: number, more: string[] = []) => {
    const file = path.join(dir, `${args.join('-')}-${port}.yaml`);
    fs.writeFileSync(
      file,
      [
        `kafka: { topic: "${database}" }`,
        `clickhouse: { database: "${database}", url: "${base.clickhouse.url}" }`,
        `health: { port: ${port} }`,
        `ingest: { groupId: "${database}", metrics: { port: ${port} } }`,
        `detection: { groupId: "${database}-detect-${port}" }`,
        ...more,
      ].join('\n'),
    );
    const out = fs.openSync(path.join(dir, `${args.join('-')}-${port}.log`), 'a');
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

  /** The value of one sample in a /metrics text ("name{labels} value"), or undefined. */
  const sample = (text: string, name: string, labels = ''): number | undefined => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  };
  const ready = (port: number) => waitUntil(`ready on ${port}`, async () => ((await get(port, '/readyz')).status === 200 ? true : undefined), 120000, 250);

  it('detect: its metrics count the events it judges, the messages that do not decode, and its lag', async () => {
    const port = 25990;
    const child = start(['detect'], port);
    await ready(port);
    const before = (await get(port, '/metrics')).body;
    for (const family of ['insider_detect_events_judged_total', 'insider_detect_messages_invalid_total', 'insider_detect_batch_duration_seconds', 'insider_detect_consumer_lag', 'insider_detect_event_delay_seconds', 'insider_detect_alert_revisions_written_total', 'insider_detect_errors_total']) {
      expect(before).toContain(`# TYPE ${family} `);
    }
    expect(sample(before, 'insider_detect_events_judged_total')).toBe(0);
    const kafka = createKafka(base.kafka, createLogger({ level: 'silent' }));
    const producer = kafka.producer();
    await producer.connect();
    const now = Date.now();
    const events = Array.from({ length: 40 }, (_, i) => ({
      event_id: crypto.randomUUID(), ts: new Date(now - 60_000 + i * 1000).toISOString(), user: `metrics-${i % 4}@corp.example`, action: 'SELECT', bytes: 1_000_000, rows: 2500,
      source: 'pg-1', database: 'crm', table: 'customers', client_ip: '10.0.0.1', client_app: 'psql', session_id: `s${i % 4}`, query_id: `q${i}`, status: 'ok',
    }));
    await producer.send({ topic: database, acks: -1, messages: [...events.map((e) => ({ key: e.user, value: JSON.stringify(e) })), { key: 'x', value: '{"not an event' }] });
    await producer.disconnect();
    const after = await waitUntil('the detector judged the events', async () => {
      const text = (await get(port, '/metrics')).body;
      return (sample(text, 'insider_detect_events_judged_total') ?? 0) >= events.length && (sample(text, 'insider_detect_messages_invalid_total') ?? 0) >= 1 ? text : undefined;
    }, 60000, 250);
    expect(sample(after, 'insider_detect_events_judged_total')).toBe(events.length);
    expect(sample(after, 'insider_detect_messages_invalid_total')).toBe(1);
    expect(sample(after, 'insider_detect_consumer_lag', `{topic="${database}",partition="0"}`)).toBe(0);
    expect(sample(after, 'insider_detect_event_delay_seconds')).toBeGreaterThan(0);
    expect(sample(after, 'insider_detect_batch_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  });

  it('notify and report schedule: their metrics are served, and a scheduled report counts as written', async () => {
    const notify = start(['notify'], 25991);
    const reportsDir = path.join(dir, 'reports');
    const scheduler = start(['report', 'schedule'], 25992, [
      `reports: { outputDir: "${reportsDir}", formats: [json], pollIntervalMs: 1000, schedules: [{ name: metrics-daily, cron: "0 5 * * *", period: day, formats: [json] }] }`,
    ]);
    await Promise.all([ready(25991), ready(25992)]);
    const n = (await get(25991, '/metrics')).body;
    for (const family of ['insider_notify_revisions_routed_total', 'insider_notify_deliveries_total', 'insider_notify_delivery_duration_seconds', 'insider_notify_pending_deliveries', 'insider_notify_errors_total']) {
      expect(n).toContain(`# TYPE ${family} `);
    }
    expect(sample(n, 'insider_notify_pending_deliveries')).toBe(0);
    // A schedule whose last period has no report yet is made up at start.
    const r = await waitUntil('the scheduled report was written', async () => {
      const text = (await get(25992, '/metrics')).body;
      return sample(text, 'insider_report_runs_total', '{schedule="metrics-daily",result="written"}') === 1 ? text : undefined;
    }, 120000, 500);
    expect(sample(r, 'insider_report_last_written_timestamp_seconds', '{schedule="metrics-daily"}')).toBeGreaterThan(Date.now() / 1000 - 300);
    expect(sample(r, 'insider_report_duration_seconds_count', '{schedule="metrics-daily"}')).toBe(1);
    expect(r).toContain('# TYPE insider_report_deliveries_total counter');
    for (const c of [notify, scheduler]) c.kill('SIGTERM');
    await Promise.all([notify, scheduler].map((c) => (c.exitCode !== null ? undefined : new Promise((resolve) => c.once('exit', resolve)))));
  });
});
