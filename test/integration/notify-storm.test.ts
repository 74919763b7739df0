// Storm control: 1,000 alert revisions within 10 s. Each channel sends at most storm.maxPages pages in
// any window of storm.windowMs (measured where they arrive), the excess grouped into digests, and every
// one of the 1,000 alerts is in exactly one page or digest per channel.
import { writeAlerts, type Severity } from '../../src/alerts';
import { createLogger } from '../../src/log';
import { createNotifier, maxInAnyWindow, type Notifier } from '../../src/notify';
import { type ClickHouse } from '../../src/store';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';
import { NOTIFY_SECRETS, notifyTestConfig } from '../helpers/notify-config';
import { makeAlert, startReceiver, type Receiver } from './notify-receivers';

const log = createLogger({ level: 'silent' });
const MAX_PAGES = 5;
const WINDOW_MS = 10_000;
const ALERTS = 1000;

/** The alert ids a request pages: its own, or every one a digest lists. */
function alertIdsOf(r: Receiver['requests'][number]): string[] {
  const b = r.body as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (r.headers['x-insider-event'] === 'digest') return b.digest.alert_ids as string[];
  if (r.headers['x-insider-event'] === 'trigger') return [b.alert.alertId as string];
  if (b.payload?.class === 'digest') return b.payload.custom_details.alert_ids as string[];
  if (b.event_action === 'trigger') return [b.dedup_key as string];
  return [];
}

describe('storm control (real ClickHouse)', () => {
  const base = testConfig();
  const database = uniqueName('it_notify_storm');
  let admin: ClickHouse;
  let ch: ClickHouse;
  let pd: Receiver, hook: Receiver;
  let notifier: Notifier;

  beforeAll(async () => {
    ({ admin, ch } = await freshDatabase(database, base.clickhouse));
    pd = await startReceiver('pagerduty', { secret: NOTIFY_SECRETS.TEST_PD_KEY });
    hook = await startReceiver('webhook', { secret: NOTIFY_SECRETS.TEST_HOOK_SECRET });
    const config = notifyTestConfig(database, {
      pollIntervalMs: 500,
      identity: 'user',
      storm: { maxPages: MAX_PAGES, windowMs: WINDOW_MS, digestDelayMs: 1000, maxDigestAlerts: 500 },
      channels: {
        pd: { type: 'pagerduty', url: `${pd.url}/v2/enqueue`, routingKeyEnv: 'TEST_PD_KEY' },
        hook: { type: 'webhook', url: `${hook.url}/insider`, secretEnv: 'TEST_HOOK_SECRET' },
      },
      routes: [{ name: 'all', minSeverity: 'low', channels: ['pd', 'hook'] }],
    });
    notifier = createNotifier({ config, ch, log, env: NOTIFY_SECRETS });
    await notifier.start();
  });

  afterAll(async () => {
    await notifier?.stop();
    await Promise.all([pd, hook].map((r) => r?.close()));
    await dropDatabase(database, { admin, ch });
  });

  it(`1,000 alerts within 10 s: at most ${MAX_PAGES} pages per ${WINDOW_MS / 1000} s per channel, every alert in exactly one page or digest`, async () => {
    const severities: Severity[] = ['low', 'medium', 'high', 'critical'];
    const alerts = Array.from({ length: ALERTS }, (_, i) => makeAlert(i, { severity: severities[i % 4] }));
    const started = Date.now();
    for (let batch = 0; batch < 10; batch++) {
      const wall = Date.now();
      await writeAlerts(ch, alerts.slice(batch * 100, batch * 100 + 100).map((a) => ({ ...a, createdAtWall: wall, updatedAtWall: wall })));
      // 0.9 s apart: the last batch written by 8.1 s leaves its insert time to spare on a busy machine.
      if (batch < 9) await new Promise((r) => setTimeout(r, Math.max(0, started + (batch + 1) * 900 - Date.now())));
    }
    expect(Date.now() - started).toBeLessThan(10_000);
    const all = new Set(alerts.map((a) => a.alertId));
    const covered = (r: Receiver) => new Set(r.accepted().flatMap(alertIdsOf)).size;
    for (const r of [pd, hook]) await r.waitFor((x) => covered(x) >= ALERTS, 90_000, 'every alert in a page or digest');

    for (const r of [pd, hook]) {
      expect(r.requests.flatMap((q) => q.problems)).toEqual([]);
      const pages = r.accepted().filter((q) => alertIdsOf(q).length > 0);
      const ids = pages.flatMap(alertIdsOf);
      // Every alert present, none twice.
      expect(new Set(ids)).toEqual(all);
      expect(ids).toHaveLength(ALERTS);
      // Within the rate over every window, digests included.
      expect(maxInAnyWindow(pages.map((q) => q.at), WINDOW_MS)).toBeLessThanOrEqual(MAX_PAGES);
      const digests = pages.filter((q) => alertIdsOf(q).length > 1 || q.headers['x-insider-event'] === 'digest' || (q.body.payload as { class?: string } | undefined)?.class === 'digest');
      expect(digests.length).toBeGreaterThanOrEqual(1);
      // The individual pages went to the worst alerts.
      const individual = pages.filter((q) => !digests.includes(q));
      for (const q of individual) expect(all.has(alertIdsOf(q)[0])).toBe(true);
      expect(individual.map((q) => alerts.find((a) => a.alertId === alertIdsOf(q)[0])!.severity)).toEqual(individual.map(() => 'critical'));
      process.stderr.write(`storm ${r.provider}: ${pages.length} pages (${individual.length} individual, ${digests.length} digests of ${digests.map((d) => alertIdsOf(d).length).join(', ')}) in ${((pages[pages.length - 1].at - started) / 1000).toFixed(1)} s\n`);
    }
  });
});
