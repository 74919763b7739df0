// The notifier's sweep (src/notify/poll.ts) reads alert revisions back as far as notify.catchUpMs, to
// page one that landed long after its stamp. After a restart it must not route again what the previous
// run routed or kept quiet: here the previous run's routes paged only high severities, the new run's
// page every severity, and a low alert the previous run saw (and kept quiet) stays quiet.
import { writeAlerts } from '../../src/alerts';
import type { Config } from '../../src/config';
import { createLogger } from '../../src/log';
import { createNotifier, type Notifier } from '../../src/notify';
import { type ClickHouse } from '../../src/store';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';
import { NOTIFY_SECRETS, notifyTestConfig } from '../helpers/notify-config';
import { makeAlert, startReceiver, type Receiver } from './notify-receivers';

const log = createLogger({ level: 'silent' });

describe("the notifier's sweep after a restart (real ClickHouse)", () => {
  const database = uniqueName('it_notify_sweep');
  let admin: ClickHouse;
  let ch: ClickHouse;
  let hook: Receiver;
  const running: Notifier[] = [];
  const configWith = (minSeverity: 'low' | 'high'): Readonly<Config> =>
    notifyTestConfig(database, {
      identity: 'user',
      channels: { hook: { type: 'webhook', url: `${hook.url}/insider`, secretEnv: 'TEST_HOOK_SECRET' } },
      routes: [{ name: 'pages', minSeverity, channels: ['hook'], pageBy: 'alert' }],
    });
  const start = async (config: Readonly<Config>) => {
    const notifier = createNotifier({ config, ch, log, env: NOTIFY_SECRETS });
    running.push(notifier);
    await notifier.start();
    return notifier;
  };
  const pagesOf = (id: string) => hook.accepted().filter((q) => q.body.dedup_key === id && q.body.event === 'trigger');

  beforeAll(async () => {
    ({ admin, ch } = await freshDatabase(database, testConfig().clickhouse));
    hook = await startReceiver('webhook', { secret: NOTIFY_SECRETS.TEST_HOOK_SECRET });
  });
  afterAll(async () => {
    for (const n of running) await n.stop();
    await hook?.close();
    await dropDatabase(database, { admin, ch });
  });

  it('does not route again what the previous run saw, and still pages what is new', async () => {
    // Stamped ten minutes ago: below where the next run's first regular read begins (3 min behind).
    const quiet = makeAlert(1, { severity: 'low', score: 20, updatedAtWall: Date.now() - 600_000, createdAtWall: Date.now() - 600_000 });
    await writeAlerts(ch, [quiet]);
    const first = await start(configWith('high'));
    // The first run sweeps at its first poll: it sees the low alert (and pages nothing), then a high one.
    const high = makeAlert(2);
    await writeAlerts(ch, [high]);
    await hook.waitFor(() => pagesOf(high.alertId).length >= 1, 20_000, `the page of ${high.alertId}`);
    await first.stop();
    running.pop();

    const second = await start(configWith('low'));
    // The new run pages low alerts: a new one is paged ...
    const fresh = makeAlert(3, { severity: 'low', score: 20 });
    await writeAlerts(ch, [fresh]);
    await hook.waitFor(() => pagesOf(fresh.alertId).length >= 1, 20_000, `the page of ${fresh.alertId}`);
    // ... the one the previous run saw is not, over a whole sweep (60 polls of 200 ms) and more.
    await new Promise((r) => setTimeout(r, 13_000));
    expect(pagesOf(quiet.alertId)).toHaveLength(0);
    expect(pagesOf(high.alertId)).toHaveLength(1);
    await second.stop();
    running.pop();
  });
});
