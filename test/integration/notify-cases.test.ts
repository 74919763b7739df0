// Paging per case against the real ClickHouse and local PagerDuty, Opsgenie and Slack receivers: one
// employee's alerts over three days page once, under the case's dedup key, when the case's accumulated
// risk first reaches the route's severity; later alerts and a doubled volume update that incident (a
// PagerDuty event with the same dedup key, an Opsgenie note on the same alias), smaller revisions do not;
// the incident is acknowledged when no alert of the case is open and resolved when all are; an alert
// after the resolution is a new case and a new page. A route with pageBy: alert keeps one page per alert.
import { writeAlerts, type AlertRecord } from '../../src/alerts';
import { MS_PER_DAY } from '../../src/calendar';
import { createLogger } from '../../src/log';
import { createNotifier, type Notifier } from '../../src/notify';
import type { ClickHouse } from '../../src/store';
import { recordAction } from '../../src/triage';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';
import { NOTIFY_SECRETS, notifyTestConfig } from '../helpers/notify-config';
import { makeAlert, startReceiver, type Receiver } from './notify-receivers';

const log = createLogger({ level: (process.env.TEST_LOG as 'info') ?? 'silent' });
const SECRETS = { ...NOTIFY_SECRETS, TEST_SLACK_URL: '' };
const settle = (ms = 1500) => new Promise((r) => setTimeout(r, ms));

describe('paging per case (real ClickHouse, local PagerDuty, Opsgenie and Slack)', () => {
  const base = testConfig();
  const database = uniqueName('it_notify_cases');
  let admin: ClickHouse;
  let ch: ClickHouse;
  let pd: Receiver, og: Receiver, slack: Receiver, siem: Receiver;
  let notifier: Notifier;

  beforeAll(async () => {
    ({ admin, ch } = await freshDatabase(database, base.clickhouse));
    pd = await startReceiver('pagerduty', { secret: SECRETS.TEST_PD_KEY });
    og = await startReceiver('opsgenie', { secret: SECRETS.TEST_OG_KEY });
    slack = await startReceiver('slack', { secret: '', slackPath: '/services/T0/B0/secret' });
    siem = await startReceiver('webhook', { secret: SECRETS.TEST_HOOK_SECRET });
    SECRETS.TEST_SLACK_URL = `${slack.url}/services/T0/B0/secret`;
    const config = notifyTestConfig(
      database,
      {
        identity: 'pseudonym',
        channels: {
          pd: { type: 'pagerduty', url: `${pd.url}/v2/enqueue`, routingKeyEnv: 'TEST_PD_KEY' },
          og: { type: 'opsgenie', url: og.url, apiKeyEnv: 'TEST_OG_KEY' },
          slack: { type: 'slack', urlEnv: 'TEST_SLACK_URL' },
          siem: { type: 'webhook', url: `${siem.url}/insider`, secretEnv: 'TEST_HOOK_SECRET' },
        },
        routes: [
          { name: 'severe', minSeverity: 'high', channels: ['pd', 'og', 'slack'] },
          { name: 'siem', minSeverity: 'low', channels: ['siem'], pageBy: 'alert' },
        ],
      },
      { publicUrl: 'https://insider.example.com', pseudonymKey: 'test-pseudonym-key-0123456789' },
    );
    notifier = createNotifier({ config, ch, log, env: SECRETS });
    await notifier.start();
  });

  afterAll(async () => {
    await notifier?.stop();
    await Promise.all([pd, og, slack, siem].map((r) => r?.close()));
    await dropDatabase(database, { admin, ch });
  });

  const pdEvents = (key: string) => pd.accepted().filter((q) => q.body.dedup_key === key).map((q) => String(q.body.event_action));
  const ogCalls = (alias: string) =>
    og.accepted().filter((q) => q.body.alias === alias || q.path.startsWith(`/v2/alerts/${encodeURIComponent(alias)}/`)).map((q) => (q.path === '/v2/alerts' ? 'create' : /\/(\w+)\?/.exec(q.path)![1]));
  const mentioning = (r: Receiver, ids: string[]) => r.accepted().filter((q) => ids.some((id) => q.raw.includes(id)));

  it('pages a case once when its risk reaches the route, updates it as it grows, acknowledges and resolves it with its alerts', async () => {
    const today = Math.floor(Date.now() / MS_PER_DAY) * MS_PER_DAY;
    const user = 'drip.case@corp.example';
    const dayAlert = (i: number, daysAgo: number, over: Partial<AlertRecord>): AlertRecord => {
      const start = today - daysAgo * MS_PER_DAY;
      return makeAlert(i, { user, windowStart: start, windowEnd: start + MS_PER_DAY, firedAt: start + 12 * 3_600_000, detectors: ['volumeSelf'], ...over });
    };
    // Two medium days: the first alone is a medium case (the route wants high), the second makes it high.
    const first = dayAlert(101, 2, { severity: 'medium', score: 45, observedBytes: 2_100_000_000, ratio: 6.5 });
    const second = dayAlert(102, 1, { severity: 'medium', score: 45, observedBytes: 2_300_000_000, ratio: 7 });
    const caseId = first.alertId;
    await writeAlerts(ch, [first]);
    await siem.waitFor((r) => r.incidents.has(first.alertId), 20_000, 'the SIEM page of the first alert');
    await settle();
    expect(mentioning(pd, [first.alertId])).toHaveLength(0);

    await writeAlerts(ch, [second]);
    await pd.waitFor((r) => r.incidents.has(caseId), 20_000, 'the case page on PagerDuty');
    await og.waitFor((r) => r.incidents.has(caseId), 20_000, 'the case alert on Opsgenie');
    await slack.waitFor((r) => mentioning(r, [caseId]).length > 0, 20_000, 'the case on Slack');
    const page = pd.accepted().find((q) => q.body.dedup_key === caseId)!.body as { payload: { severity: string; summary: string; custom_details: Record<string, unknown> }; links: Array<{ href: string }> };
    expect(page.payload.severity).toBe('error');
    expect(page.payload.summary).toMatch(/^HIGH insider case: emp-[0-9a-f]+ took 2\.3 GB \(7x usual\), 2 alerts .* risk 5\d \[volumeSelf\]$/);
    expect(page.payload.custom_details).toMatchObject({ case_id: caseId, case_alerts: 2, alert_id: second.alertId });
    expect(page.links[0].href).toBe(`https://insider.example.com/#/cases/${caseId}`);

    // A critical export the next day joins the case: an update, not a page.
    const third = dayAlert(103, 0, { severity: 'critical', score: 90, observedBytes: 20_400_000_000, ratio: 425, detectors: ['exportRate', 'volumeSelf'] });
    await writeAlerts(ch, [third]);
    await pd.waitFor(() => pdEvents(caseId).length >= 2, 20_000, 'the PagerDuty update');
    await og.waitFor((r) => (r.incidents.get(caseId)?.notes ?? 0) >= 1, 20_000, 'the Opsgenie note');
    expect((pd.accepted().filter((q) => q.body.dedup_key === caseId)[1].body.payload as { summary: string }).summary).toMatch(/^CRITICAL insider case: .* took 20\.4 GB .* 3 alerts /);
    // A revision 1.5 times as large says nothing new; one that doubled the volume does.
    await writeAlerts(ch, [{ ...third, revision: 2, observedBytes: 30_000_000_000, updatedAtWall: Date.now() }]);
    await settle();
    expect(pdEvents(caseId)).toHaveLength(2);
    await writeAlerts(ch, [{ ...third, revision: 3, observedBytes: 51_000_000_000, updatedAtWall: Date.now() }]);
    await pd.waitFor(() => pdEvents(caseId).length >= 3, 20_000, 'the update of the doubled volume');
    expect(pd.incidents.get(caseId)).toMatchObject({ state: 'triggered', triggers: 1 });

    // Acknowledging one alert leaves the case open: nothing sent. The others acknowledged or snoozed: acknowledged.
    await recordAction(ch, third.alertId, 'analyst1', { action: 'acknowledge' }, Date.now());
    await settle();
    expect(pdEvents(caseId)).not.toContain('acknowledge');
    await recordAction(ch, first.alertId, 'analyst1', { action: 'acknowledge' }, Date.now());
    await recordAction(ch, second.alertId, 'analyst1', { action: 'snooze', snoozeUntil: Date.now() + 3_600_000 }, Date.now());
    await pd.waitFor((r) => r.incidents.get(caseId)?.state === 'acknowledged', 20_000, 'the case acknowledged on PagerDuty');
    await og.waitFor((r) => r.incidents.get(caseId)?.state === 'acknowledged', 20_000, 'the case acknowledged on Opsgenie');
    for (const a of [first, second, third]) await recordAction(ch, a.alertId, 'analyst1', { action: 'resolve', disposition: 'true_positive' }, Date.now());
    await pd.waitFor((r) => r.incidents.get(caseId)?.state === 'resolved', 20_000, 'the case resolved on PagerDuty');
    await og.waitFor((r) => r.incidents.get(caseId)?.state === 'resolved', 20_000, 'the case closed on Opsgenie');
    await settle();
    expect(pdEvents(caseId)).toEqual(['trigger', 'trigger', 'trigger', 'acknowledge', 'resolve']);
    expect(ogCalls(caseId)).toEqual(['create', 'notes', 'notes', 'acknowledge', 'close']);
    // Nothing under the other alerts' ids; Slack (no updates) had one message; every request well-formed.
    for (const id of [second.alertId, third.alertId]) expect([...pd.incidents.keys(), ...og.incidents.keys()]).not.toContain(id);
    expect(mentioning(slack, [caseId, second.alertId, third.alertId])).toHaveLength(1);
    for (const r of [pd, og, slack, siem]) expect(r.requests.flatMap((q) => q.problems)).toEqual([]);
    // The SIEM route pages per alert: each of the three its own incident.
    await siem.waitFor((r) => [first, second, third].every((a) => r.incidents.has(a.alertId)), 20_000, 'one SIEM incident per alert');

    // An alert stored after the case was resolved opens a new case: a new page under its own id.
    const after = dayAlert(104, 0, { severity: 'critical', score: 80, createdAtWall: Date.now(), updatedAtWall: Date.now() });
    await writeAlerts(ch, [after]);
    await pd.waitFor((r) => r.incidents.get(after.alertId)?.state === 'triggered', 20_000, 'the new case paged');
    expect(pd.incidents.get(caseId)?.state).toBe('resolved');
    expect([...og.incidents.keys()].filter((k) => k.startsWith('lost note'))).toEqual([]);
  });

  it('keeps an incident paged per alert before routes paged cases (an upgrade): the case\'s next alert updates it, no second page', async () => {
    const upgraded = uniqueName('it_notify_upgrade');
    const own = await freshDatabase(upgraded, base.clickhouse);
    const receiver = await startReceiver('pagerduty', { secret: SECRETS.TEST_PD_KEY });
    const configFor = (pageBy: 'alert' | 'case') =>
      notifyTestConfig(upgraded, { identity: 'none', channels: { pd: { type: 'pagerduty', url: `${receiver.url}/v2/enqueue`, routingKeyEnv: 'TEST_PD_KEY' } }, routes: [{ name: 'severe', minSeverity: 'high', channels: ['pd'], pageBy }] });
    const today = Math.floor(Date.now() / MS_PER_DAY) * MS_PER_DAY;
    const user = 'upgrade.case@corp.example';
    const before = makeAlert(201, { user, severity: 'high', windowStart: today - MS_PER_DAY, windowEnd: today, firedAt: today - 3_600_000 });
    const after = makeAlert(202, { user, severity: 'critical', observedBytes: 9_000_000_000 });
    let running: Notifier | undefined;
    try {
      // The previous release paged each alert: as pageBy: alert does.
      running = createNotifier({ config: configFor('alert'), ch: own.ch, log, env: SECRETS });
      await running.start();
      await writeAlerts(own.ch, [before]);
      await receiver.waitFor((r) => r.incidents.has(before.alertId), 20_000, 'the alert paged before the upgrade');
      await running.stop();
      running = createNotifier({ config: configFor('case'), ch: own.ch, log, env: SECRETS });
      await running.start();
      await writeAlerts(own.ch, [after]);
      await receiver.waitFor((r) => (r.incidents.get(before.alertId)?.events ?? 0) >= 2, 20_000, 'the update of the incident paged before');
      await settle();
      expect([...receiver.incidents.keys()]).toEqual([before.alertId]);
      expect(receiver.incidents.get(before.alertId)).toMatchObject({ state: 'triggered', triggers: 1, events: 2 });
      const update = receiver.accepted()[1].body as { payload: { summary: string } };
      expect(update.payload.summary).toMatch(/^CRITICAL insider case: case .* took 9 GB .* 2 alerts /);
      expect(receiver.requests.flatMap((q) => q.problems)).toEqual([]);
    } finally {
      await running?.stop();
      await receiver.close();
      await dropDatabase(upgraded, own);
    }
  });
});
