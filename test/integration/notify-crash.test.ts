// The notifier killed with SIGKILL while a slow receiver holds a delivery: after a restart every page
// is delivered at least once (the one in flight again), and keyed by dedup key each alert is one
// incident at the provider. Alerts raised while the notifier was dead are paged after the restart.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeAlerts } from '../../src/alerts';
import { listDeliveries } from '../../src/notify';
import { type ClickHouse } from '../../src/store';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';
import { NOTIFY_SECRETS } from '../helpers/notify-config';
import { BIN } from '../helpers/ingest-run';
import { waitUntil } from '../helpers/wait';
import { makeAlert, startReceiver, type Receiver } from './notify-receivers';


describe('notifier crash (SIGKILL during delivery, real ClickHouse)', () => {
  const base = testConfig();
  const database = uniqueName('it_notify_crash');
  let admin: ClickHouse;
  let ch: ClickHouse;
  let pd: Receiver, hook: Receiver;
  let dir: string;
  let file: string;
  const children: ChildProcess[] = [];
  const logs: string[] = [];

  const startNotifier = (): ChildProcess => {
    const child = spawn(process.execPath, [BIN, '--config', file, 'notify'], {
      env: { ...process.env, ...NOTIFY_SECRETS, INSIDER_CLICKHOUSE_DATABASE: database, INSIDER_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => logs.push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => logs.push(d.toString()));
    children.push(child);
    return child;
  };
  const exited = (c: ChildProcess) => new Promise<number | null>((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve(c.exitCode) : c.once('exit', (code) => resolve(code))));

  beforeAll(async () => {
    ({ admin, ch } = await freshDatabase(database, base.clickhouse));
    pd = await startReceiver('pagerduty', { secret: NOTIFY_SECRETS.TEST_PD_KEY });
    hook = await startReceiver('webhook', { secret: NOTIFY_SECRETS.TEST_HOOK_SECRET });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notify-crash-'));
    file = path.join(dir, 'config.yaml');
    fs.writeFileSync(
      file,
      [
        // The ClickHouse the tests run with (--config replaces INSIDER_CONFIG, if one is set).
        'clickhouse:',
        `  url: "${base.clickhouse.url}"`,
        'notify:',
        '  pollIntervalMs: 200',
        '  identity: none',
        '  delivery: { timeoutMs: 10000, initialDelayMs: 200, maxDelayMs: 1000, giveUpAfterMs: 600000 }',
        '  storm: { maxPages: 100, windowMs: 60000, digestDelayMs: 500, maxDigestAlerts: 500 }',
        '  channels:',
        `    pd: { type: pagerduty, url: "${pd.url}/v2/enqueue", routingKeyEnv: TEST_PD_KEY }`,
        `    hook: { type: webhook, url: "${hook.url}/insider", secretEnv: TEST_HOOK_SECRET }`,
        '  routes:',
        '    - { name: all, minSeverity: low, channels: [pd, hook] }',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await Promise.all([pd, hook].map((r) => r?.close()));
    await dropDatabase(database, { admin, ch });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('delivers every page at least once and each alert appears once by dedup key', async () => {
    const before = Array.from({ length: 20 }, (_, i) => makeAlert(i));
    const during = Array.from({ length: 10 }, (_, i) => makeAlert(100 + i));
    // The webhook receiver answers its third request only after 5 s: the notifier is killed while it waits.
    hook.script.push({ status: 0 }, { status: 0 }, { status: 0, delayMs: 5000 });
    await writeAlerts(ch, before);
    const first = startNotifier();
    await hook.waitFor((x) => x.arrivals >= 3, 60_000, 'the third webhook request (held by the receiver)');
    await new Promise((r) => setTimeout(r, 300));
    first.kill('SIGKILL');
    await exited(first);
    const pendingAfterKill = (await listDeliveries(ch)).length;
    expect(pendingAfterKill).toBeGreaterThan(0);

    await writeAlerts(ch, during.map((a) => ({ ...a, updatedAtWall: Date.now() })));
    const second = startNotifier();
    const ids = [...before, ...during].map((a) => a.alertId);
    for (const r of [pd, hook]) await r.waitFor((x) => ids.every((id) => x.incidents.has(id)), 90_000, 'every alert after the restart');
    await waitUntil('an empty outbox', async () => (await listDeliveries(ch)).length === 0, 30_000, 200);
    second.kill('SIGTERM');
    expect(await exited(second)).toBe(0);

    // The held request is recorded when the receiver answers it (to a notifier that is gone).
    await hook.waitFor((x) => x.requests.length === x.arrivals, 10_000, 'the held request');
    for (const r of [pd, hook]) {
      expect(r.requests.flatMap((q) => q.problems)).toEqual([]);
      // Exactly the alerts, each one incident (a second trigger with the same key only adds to its log).
      expect([...r.incidents.keys()].sort()).toEqual([...ids].sort());
      for (const id of ids) expect(r.incidents.get(id)!.triggers).toBe(1);
    }
    // The request in flight at the kill was sent again after the restart: at least once, shown once.
    const hookKeys = hook.requests.map((q) => String(q.body.dedup_key));
    const twice = ids.filter((id) => hookKeys.filter((k) => k === id).length > 1);
    expect(twice.length).toBeGreaterThanOrEqual(1);
    expect(logs.join('')).toMatch(/outbox loaded/);
  });
});

