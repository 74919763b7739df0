// Receivers that are down, slow, throttling or refusing: pages wait in the outbox and are retried with
// backoff (no sooner than Retry-After after a 429), a slow receiver's timed-out request is sent again
// under the same dedup key (one incident), a refused request is abandoned and listed by
// `insider notify outbox`, and `insider notify test CHANNEL` sends a signed test page.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeAlerts } from '../../src/alerts';
import type { Config } from '../../src/config';
import { createLogger } from '../../src/log';
import { createNotifier, listDeliveries, type Notifier } from '../../src/notify';
import { type ClickHouse } from '../../src/store';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';
import { NOTIFY_SECRETS, notifyTestConfig } from '../helpers/notify-config';
import { insider, insiderSync } from '../helpers/cli';
import { waitUntil } from '../helpers/wait';
import { freePort, makeAlert, startReceiver, type Receiver } from './notify-receivers';

const log = createLogger({ level: 'silent' });
const SECRETS = { ...NOTIFY_SECRETS, TEST_BAD_KEY: 'badkey-000000000000' };

describe('notifier delivery failures (real ClickHouse, misbehaving receivers)', () => {
  const base = testConfig();
  const database = uniqueName('it_notify_fail');
  let admin: ClickHouse;
  let ch: ClickHouse;
  let pd: Receiver, og: Receiver, hook: Receiver | undefined, bad: Receiver;
  let hookPort: number;
  let notifier: Notifier;
  let config: Readonly<Config>;
  let dir: string;

  beforeAll(async () => {
    ({ admin, ch } = await freshDatabase(database, base.clickhouse));
    pd = await startReceiver('pagerduty', { secret: SECRETS.TEST_PD_KEY });
    og = await startReceiver('opsgenie', { secret: SECRETS.TEST_OG_KEY });
    bad = await startReceiver('pagerduty', { secret: 'the-right-key-is-another-one' });
    hookPort = await freePort();
    config = notifyTestConfig(database, {
      identity: 'none',
      delivery: { timeoutMs: 1000, initialDelayMs: 300, maxDelayMs: 1500, giveUpAfterMs: 120_000 },
      channels: {
        pd: { type: 'pagerduty', url: `${pd.url}/v2/enqueue`, routingKeyEnv: 'TEST_PD_KEY' },
        og: { type: 'opsgenie', url: og.url, apiKeyEnv: 'TEST_OG_KEY' },
        hook: { type: 'webhook', url: `http://127.0.0.1:${hookPort}/insider`, secretEnv: 'TEST_HOOK_SECRET' },
        bad: { type: 'pagerduty', url: `${bad.url}/v2/enqueue`, routingKeyEnv: 'TEST_BAD_KEY' },
      },
      routes: [{ name: 'all', minSeverity: 'low', channels: ['pd', 'og', 'hook', 'bad'] }],
    });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notify-'));
    notifier = createNotifier({ config, ch, log, env: SECRETS });
    await notifier.start();
  });

  afterAll(async () => {
    await notifier?.stop();
    await Promise.all([pd, og, hook, bad].map((r) => r?.close()));
    await dropDatabase(database, { admin, ch });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('waits at least Retry-After after a 429, retries a receiver that is down until it is up, and keeps one incident per dedup key after a timeout', async () => {
    pd.script.push({ status: 429, headers: { 'Retry-After': '2' } });
    og.script.push({ status: 0, delayMs: 2500 }); // slower than the 1 s timeout: answered after the notifier gave up on it
    const alert = makeAlert(1);
    await writeAlerts(ch, [alert]);

    await pd.waitFor((x) => x.incidents.has(alert.alertId), 20_000, 'the page after the 429');
    const [throttled, accepted] = pd.requests.filter((q) => q.body.dedup_key === alert.alertId);
    expect(throttled.status).toBe(429);
    expect(accepted.status).toBe(202);
    // Arrival of the retry minus the answer time of the 429 (recorded when answered).
    expect(accepted.at - throttled.at).toBeGreaterThanOrEqual(2000);

    await og.waitFor((x) => x.requests.filter((q) => q.body.alias === alert.alertId).length >= 2, 20_000, 'the retry after the timeout');
    const ogRequests = og.requests.filter((q) => q.body.alias === alert.alertId);
    expect(ogRequests.length).toBeGreaterThanOrEqual(2);
    expect(og.incidents.get(alert.alertId)).toMatchObject({ state: 'triggered', triggers: 1 });

    // The webhook receiver is down (connection refused): the delivery is retrying in the outbox.
    await waitUntil('the hook delivery retrying after ECONNREFUSED', async () => (await listDeliveries(ch)).some((d) => d.channel === 'hook' && d.state === 'retrying' && /ECONNREFUSED/.test(d.lastReason)), 20_000, 200);
    hook = await startReceiver('webhook', { secret: SECRETS.TEST_HOOK_SECRET, port: hookPort });
    await hook.waitFor((x) => x.incidents.has(alert.alertId), 20_000, 'the page once the receiver is up');
    expect(hook.requests.flatMap((q) => q.problems)).toEqual([]);
    for (const r of [pd, og]) expect(r.requests.flatMap((q) => q.problems)).toEqual([]);

    const rows = await listDeliveries(ch, { all: true });
    const og1 = rows.find((d) => d.channel === 'og' && d.dedupKey === alert.alertId)!;
    expect(og1.state).toBe('delivered');
    expect(og1.attempts).toBeGreaterThanOrEqual(2);
  });

  it('abandons a request the channel refuses (400) and lists it with `insider notify outbox`', async () => {
    await waitUntil('the bad delivery abandoned', async () => (await listDeliveries(ch)).some((d) => d.channel === 'bad' && d.state === 'abandoned'), 20_000, 200);
    const r = insiderSync(['notify', 'outbox'], { INSIDER_CLICKHOUSE_DATABASE: database, INSIDER_LOG_LEVEL: 'warn' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^STATE\s+CHANNEL\s+KIND\s+DEDUP_KEY/);
    expect(r.stdout).toMatch(/abandoned\s+bad\s+trigger\s+al_test_00001_\w+\s+1\s+1\s.*HTTP 400/);
    expect(r.stderr).toMatch(/\d+ pending, 1 abandoned/);
    expect(r.stdout).not.toContain(SECRETS.TEST_BAD_KEY);
    const json = insiderSync(['notify', 'outbox', '--all', '--json'], { INSIDER_CLICKHOUSE_DATABASE: database, INSIDER_LOG_LEVEL: 'warn' });
    const parsed = JSON.parse(json.stdout) as Array<{ channel: string; state: string }>;
    expect(parsed.filter((d) => d.state === 'delivered').map((d) => d.channel).sort()).toEqual(['hook', 'og', 'pd']);
  });

  it('`insider notify test CHANNEL` sends a signed test page and says how it was answered', async () => {
    const receiver = await startReceiver('webhook', { secret: SECRETS.TEST_HOOK_SECRET });
    try {
      const file = path.join(dir, 'notify.yaml');
      fs.writeFileSync(file, `notify:\n  channels:\n    siem: { type: webhook, url: "${receiver.url}/hook", secretEnv: TEST_HOOK_SECRET }\n    nothere: { type: webhook, url: "http://127.0.0.1:${await freePort()}/", secretEnv: TEST_HOOK_SECRET }\n`);
      const env = { ...process.env, ...SECRETS, INSIDER_CLICKHOUSE_DATABASE: database, INSIDER_LOG_LEVEL: 'warn' };
      const ok = await insider(['--config', file, 'notify', 'test', 'siem'], env);
      expect(ok.stdout).toMatch(/test page sent through siem \(webhook\): accepted with status 200/);
      expect(ok.code).toBe(0);
      expect(receiver.requests).toHaveLength(1);
      expect(receiver.requests[0].problems).toEqual([]);
      expect(receiver.requests[0].body).toMatchObject({ event: 'test', test: true });

      const down = await insider(['--config', file, 'notify', 'test', 'nothere'], env);
      expect(down.code).toBe(1);
      expect(down.stderr).toMatch(/test page through nothere \(webhook\) failed after \d+ ms: ECONNREFUSED/);

      const unknown = await insider(['--config', file, 'notify', 'test', 'pager'], env);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('no channel named "pager" (configured: siem, nothere)');

      const noSecret = await insider(['--config', file, 'notify', 'test', 'siem'], { ...env, TEST_HOOK_SECRET: '' });
      expect(noSecret.code).toBe(1);
      expect(noSecret.stderr).toContain('the environment variable TEST_HOOK_SECRET is not set');
    } finally {
      await receiver.close();
    }
  });
});
