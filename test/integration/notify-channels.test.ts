// The notifier against the real ClickHouse and local receivers that check every request against the
// provider's documented format: PagerDuty Events API v2, Opsgenie Alert API, Slack incoming webhooks
// and the signed webhook. An alert pages every channel once with the minimum (pseudonym, volume,
// severity, link); acknowledging and resolving it in triage updates the PagerDuty incident and the
// Opsgenie alert under the same dedup key; an alert left unacknowledged is re-paged.
import { writeAlerts } from '../../src/alerts';
import type { Config } from '../../src/config';
import { createLogger } from '../../src/log';
import { createNotifier, type Notifier } from '../../src/notify';
import { type ClickHouse } from '../../src/store';
import { createPseudonyms, recordAction } from '../../src/triage';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';
import { NOTIFY_SECRETS, notifyTestConfig } from '../helpers/notify-config';
import { makeAlert, PRIVATE_MARKERS, startReceiver, type Receiver } from './notify-receivers';

const log = createLogger({ level: 'silent' });
const PSEUDONYM_KEY = 'test-pseudonym-key-0123456789';
const SECRETS = { ...NOTIFY_SECRETS, TEST_SLACK_URL: '' };

describe('notifier channels (real ClickHouse, local provider receivers)', () => {
  const base = testConfig();
  const database = uniqueName('it_notify');
  let admin: ClickHouse;
  let ch: ClickHouse;
  let pd: Receiver, og: Receiver, slack: Receiver, hook: Receiver;
  let notifier: Notifier;
  let config: Readonly<Config>;

  beforeAll(async () => {
    ({ admin, ch } = await freshDatabase(database, base.clickhouse));
    pd = await startReceiver('pagerduty', { secret: SECRETS.TEST_PD_KEY });
    og = await startReceiver('opsgenie', { secret: SECRETS.TEST_OG_KEY });
    slack = await startReceiver('slack', { secret: '', slackPath: '/services/T0/B0/secret' });
    hook = await startReceiver('webhook', { secret: SECRETS.TEST_HOOK_SECRET });
    SECRETS.TEST_SLACK_URL = `${slack.url}/services/T0/B0/secret`;
    config = notifyTestConfig(
      database,
      {
        identity: 'pseudonym',
        channels: {
          pd: { type: 'pagerduty', url: `${pd.url}/v2/enqueue`, routingKeyEnv: 'TEST_PD_KEY' },
          og: { type: 'opsgenie', url: og.url, apiKeyEnv: 'TEST_OG_KEY' },
          slack: { type: 'slack', urlEnv: 'TEST_SLACK_URL' },
          hook: { type: 'webhook', url: `${hook.url}/insider`, secretEnv: 'TEST_HOOK_SECRET' },
        },
        routes: [
          { name: 'severe', minSeverity: 'high', channels: ['pd', 'og', 'slack', 'hook'], escalateAfterMs: 1500 },
          { name: 'low-by-day', minSeverity: 'low', channels: ['slack'], quietHours: { from: '00:00', to: '23:59', timezone: 'UTC', minSeverity: 'high' } },
        ],
      },
      { publicUrl: 'https://insider.example.com', pseudonymKey: PSEUDONYM_KEY },
    );
    // A deployment with a long ClickHouse request time-out: a revision whose insert answer was lost can land
    // minutes after its stamp (src/alerts/landing.ts: 6.5 min with this one).
    config = { ...config, clickhouse: { ...config.clickhouse, requestTimeoutMs: 300_000 } };
    notifier = createNotifier({ config, ch, log, env: SECRETS });
    await notifier.start();
  });

  afterAll(async () => {
    await notifier?.stop();
    await Promise.all([pd, og, slack, hook].map((r) => r?.close()));
    await dropDatabase(database, { admin, ch });
  });

  // The first page of an alert (an escalation re-page, due 1.5 s later when nobody acknowledged, is not one).
  const triggersFor = (r: Receiver, id: string) =>
    r.accepted().filter((q) => (r.provider === 'pagerduty' ? q.body.dedup_key === id && q.body.event_action === 'trigger' : r.provider === 'opsgenie' ? q.body.alias === id : r.provider === 'slack' ? q.raw.includes(id) && !q.raw.includes('STILL UNACKNOWLEDGED') : q.body.dedup_key === id && q.body.event === 'trigger'));

  it('pages each provider once, in its documented format, with the minimum and nothing private', async () => {
    const alert = makeAlert(1);
    await writeAlerts(ch, [alert]);
    for (const r of [pd, og, slack, hook]) await r.waitFor((x) => triggersFor(x, alert.alertId).length >= 1, 20_000, `the page of ${alert.alertId}`);
    const pseudonym = createPseudonyms({ enabled: true, key: PSEUDONYM_KEY }).of(alert.user);
    // The dashboard routes in the fragment: the page of the alert's case (named by the alert that opened
    // it, here this one) is <publicUrl>/#/cases/<id>.
    const link = `https://insider.example.com/#/cases/${alert.alertId}`;
    for (const r of [pd, og, slack, hook]) {
      expect(r.requests.flatMap((q) => q.problems)).toEqual([]);
      const [page] = triggersFor(r, alert.alertId);
      for (const marker of PRIVATE_MARKERS) expect(page.raw).not.toContain(marker);
      expect(page.raw).toContain(pseudonym);
      expect(page.raw).toContain('20.4 GB');
      expect(page.raw).toContain(link);
    }
    const pdPage = triggersFor(pd, alert.alertId)[0].body as { payload: { severity: string; summary: string }; links: Array<{ href: string }> };
    expect(pdPage.payload.severity).toBe('critical');
    expect(pdPage.links[0].href).toBe(link);
    const ogPage = triggersFor(og, alert.alertId)[0].body as { priority: string; message: string };
    expect(ogPage.priority).toBe('P1');
    expect(ogPage.message.length).toBeLessThanOrEqual(130);
    expect(triggersFor(slack, alert.alertId)[0].body.blocks).toBeDefined();

    // The same revision read again (and a new revision of the same alert) pages nobody twice.
    await writeAlerts(ch, [{ ...alert, revision: 2, observedBytes: 30_000_000_000, updatedAtWall: Date.now() }]);
    await new Promise((r) => setTimeout(r, 1500));
    for (const r of [pd, og, slack, hook]) expect(triggersFor(r, alert.alertId)).toHaveLength(1);
  });

  it('acknowledging and resolving in triage updates the PagerDuty incident and the Opsgenie alert', async () => {
    const alert = makeAlert(2);
    await writeAlerts(ch, [alert]);
    await pd.waitFor((x) => x.incidents.get(alert.alertId)?.state === 'triggered', 20_000, 'trigger');
    await og.waitFor((x) => x.incidents.get(alert.alertId)?.state === 'triggered', 20_000, 'create');
    await recordAction(ch, alert.alertId, 'analyst1', { action: 'acknowledge' }, Date.now());
    await pd.waitFor((x) => x.incidents.get(alert.alertId)?.state === 'acknowledged', 20_000, 'acknowledge');
    await og.waitFor((x) => x.incidents.get(alert.alertId)?.state === 'acknowledged', 20_000, 'acknowledge');
    await hook.waitFor((x) => x.incidents.get(alert.alertId)?.state === 'acknowledged', 20_000, 'acknowledge');
    await recordAction(ch, alert.alertId, 'analyst1', { action: 'resolve', disposition: 'true_positive' }, Date.now());
    await pd.waitFor((x) => x.incidents.get(alert.alertId)?.state === 'resolved', 20_000, 'resolve');
    await og.waitFor((x) => x.incidents.get(alert.alertId)?.state === 'resolved', 20_000, 'close');
    expect(og.accepted().map((q) => q.path)).toEqual(expect.arrayContaining([`/v2/alerts/${alert.alertId}/acknowledge?identifierType=alias`, `/v2/alerts/${alert.alertId}/close?identifierType=alias`]));
    const pdEvents = pd.accepted().filter((q) => q.body.dedup_key === alert.alertId).map((q) => q.body.event_action);
    expect(pdEvents).toEqual(['trigger', 'acknowledge', 'resolve']);
    // Slack takes no updates; nothing was ever refused.
    expect(slack.accepted().filter((q) => q.raw.includes(alert.alertId))).toHaveLength(1);
    for (const r of [pd, og, slack, hook]) expect(r.requests.flatMap((q) => q.problems)).toEqual([]);
    // Acknowledged in time: never escalated.
    await new Promise((r) => setTimeout(r, 2000));
    expect(pd.accepted().filter((q) => q.body.dedup_key === `${alert.alertId}/escalation`)).toHaveLength(0);
  });

  it('re-pages an alert still unacknowledged after escalateAfterMs, as a new incident', async () => {
    const alert = makeAlert(3);
    await writeAlerts(ch, [alert]);
    await pd.waitFor((x) => x.incidents.has(alert.alertId), 20_000, 'trigger');
    const paged = pd.accepted().find((q) => q.body.dedup_key === alert.alertId)!.at;
    await pd.waitFor((x) => x.incidents.has(`${alert.alertId}/escalation`), 20_000, 'escalation');
    const escalation = pd.accepted().find((q) => q.body.dedup_key === `${alert.alertId}/escalation`)!;
    expect(escalation.at - paged).toBeGreaterThanOrEqual(1500);
    expect((escalation.body.payload as { summary: string }).summary).toMatch(/^STILL UNACKNOWLEDGED: CRITICAL/);
    // Acknowledging now acknowledges both incidents.
    await recordAction(ch, alert.alertId, 'analyst1', { action: 'acknowledge' }, Date.now());
    await pd.waitFor((x) => x.incidents.get(alert.alertId)?.state === 'acknowledged' && x.incidents.get(`${alert.alertId}/escalation`)?.state === 'acknowledged', 20_000, 'both acknowledged');
  });

  it("pages a revision that landed five minutes after its stamp (a long request time-out), once another detector's newer revision had moved the notifier on", async () => {
    // Another detector's revision, stamped now: the notifier reads it and its cursor moves to now.
    const newer = makeAlert(6);
    await writeAlerts(ch, [newer]);
    await pd.waitFor((x) => triggersFor(x, newer.alertId).length >= 1, 20_000, `the page of ${newer.alertId}`);
    // A revision stamped when it was sent, 5 min ago, whose insert's answer was lost (the request time-out is
    // 5 min) and which landed only now: past the notifier's least overlap (3 min), inside the configured one.
    const late = makeAlert(7, { updatedAtWall: Date.now() - 300_000, createdAtWall: Date.now() - 300_000 });
    await writeAlerts(ch, [late]);
    await pd.waitFor((x) => triggersFor(x, late.alertId).length >= 1, 20_000, `the page of ${late.alertId}`);
    expect(triggersFor(pd, late.alertId)).toHaveLength(1);
  });

  it('pages a revision that landed ten minutes after its stamp, past any overlap, at the next sweep (a minute at most; 12 s here)', async () => {
    const newer = makeAlert(8);
    await writeAlerts(ch, [newer]);
    await pd.waitFor((x) => triggersFor(x, newer.alertId).length >= 1, 20_000, `the page of ${newer.alertId}`);
    // ClickHouse finished a stuck insert (it cannot kill one) ten minutes after its stamp.
    const late = makeAlert(9, { updatedAtWall: Date.now() - 600_000, createdAtWall: Date.now() - 600_000 });
    await writeAlerts(ch, [late]);
    await pd.waitFor((x) => triggersFor(x, late.alertId).length >= 1, 40_000, `the page of ${late.alertId}`);
    // The sweeps after it page nobody twice.
    await new Promise((r) => setTimeout(r, 13_000));
    expect(triggersFor(pd, late.alertId)).toHaveLength(1);
  });

  it('keeps low severities quiet during quiet hours, and pages nothing for an alert already acknowledged', async () => {
    const low = makeAlert(4, { severity: 'low', score: 20 });
    const acked = makeAlert(5);
    await recordAction(ch, acked.alertId, 'analyst1', { action: 'acknowledge' }, Date.now());
    await writeAlerts(ch, [low, acked]);
    await new Promise((r) => setTimeout(r, 2500));
    for (const r of [pd, og, slack, hook]) {
      expect(r.requests.filter((q) => q.raw.includes(low.alertId) || q.raw.includes(acked.alertId))).toHaveLength(0);
    }
  });
});
