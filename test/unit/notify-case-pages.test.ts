// Paging per case, the pure parts: a case's page, what an incident has been sent, when a page tells it
// something new, and when the case's triage settles it. (The notifier doing it against ClickHouse and the
// providers' receivers: test/integration/notify-cases.test.ts.)
import { casesOf, caseOptions } from '../../src/cases';
import { MS_PER_DAY } from '../../src/calendar';
import { loadConfig } from '../../src/config';
import { createChannel, pageOf, summaryOf, type AlertRevision, type Message } from '../../src/notify';
import { casePageOf, grows, incidentsOf, planFor, settledAs, type Incident, type StatusAlert } from '../../src/notify/case-pages';

const OPTS = caseOptions(loadConfig({}).config);
const D0 = Date.UTC(2026, 8, 8);
const settings = { who: () => 'emp-3fa9c2d1e0', baseUrl: 'https://insider.example.com' };

function revision(id: string, day: number, over: Partial<AlertRevision> = {}): AlertRevision {
  const start = D0 + day * MS_PER_DAY;
  return { alertId: id, revision: 1, user: 'fin@corp.example', severity: 'medium', score: 45, detectors: ['volumeSelf'], observedBytes: 2_100_000_000, ratio: 6.5, windowStart: start, windowEnd: start + MS_PER_DAY, firedAt: start + 12 * 3_600_000, updatedAtWall: start + 12 * 3_600_000, ...over };
}
const stored = (r: AlertRevision): StatusAlert => ({ ...r, createdAtWall: r.updatedAtWall, resolvedAt: null, status: 'open', lastEventAt: r.firedAt, observedRows: 0, eventCount: 1, baselineBytes: 1, peerBytes: 0, peerGroup: '' });

describe('a case\'s page', () => {
  const a1 = revision('al_1', 0);
  const a2 = revision('al_2', 1, { observedBytes: 2_300_000_000, ratio: 7 });
  const [c] = casesOf([stored(a1), stored(a2)], a2.firedAt, OPTS);

  it('carries the case\'s risk and severity, its span and detectors, the newest alert\'s volume, and links the case', () => {
    const p = casePageOf(a2, c, settings);
    // Two medium days a day apart: 45 + 45·2^(-1/7)/2^1.5 = 59.4, high (floor 53).
    expect(p).toMatchObject({ alertId: 'al_2', severity: 'high', score: 59.4, observedBytes: 2_300_000_000, windowStart: a1.windowStart, windowEnd: a2.windowEnd });
    expect(p.case).toEqual({ id: 'al_1', alerts: 2, firstDay: '2026-09-08', lastDay: '2026-09-09', risk: 59.4 });
    expect(p.link).toBe('https://insider.example.com/#/cases/al_1');
    expect(summaryOf(p)).toBe('HIGH insider case: emp-3fa9c2d1e0 took 2.3 GB (7x usual), 2 alerts 2026-09-08 .. 2026-09-09, risk 59 [volumeSelf]');
    // A revision of the earlier alert read again pages the same: a case's page is about its newest alert.
    expect(casePageOf(a1, c, settings)).toEqual(p);
  });

  it('reads as the alert\'s own page while the case has one alert, and never below its alert\'s severity', () => {
    const [one] = casesOf([stored(a1)], a1.firedAt, OPTS);
    expect(summaryOf(casePageOf(a1, one, settings))).toBe(summaryOf(pageOf(a1, settings)));
    // An alert whose severity stayed critical while its score fell (a later revision) pages critical.
    const kept = revision('al_3', 0, { severity: 'critical', score: 50 });
    const [k] = casesOf([stored(kept)], kept.firedAt, OPTS);
    expect(casePageOf(kept, k, settings).severity).toBe('critical');
  });

  it('goes to Opsgenie as a note on the case\'s alert, to PagerDuty as an event under the case\'s key', () => {
    const env = { PD: 'routing-key-0123456789', OG: 'genie-key' };
    const n = { storm: { maxPages: 10, windowMs: 60000, digestDelayMs: 0, maxDigestAlerts: 500 }, delivery: { timeoutMs: 1000, initialDelayMs: 1, maxDelayMs: 1, giveUpAfterMs: 1 } };
    const update: Message = { kind: 'update', dedupKey: 'al_1', alert: casePageOf(a2, c, settings) };
    const og = createChannel('og', { type: 'opsgenie', apiKeyEnv: 'OG' }, n, env).render(update, 'id', 0)!;
    expect(og.url).toBe('https://api.opsgenie.com/v2/alerts/al_1/notes?identifierType=alias');
    expect(JSON.parse(og.body)).toEqual({ source: 'insider-detector', user: 'insider-detector', note: `Update: ${summaryOf(update.alert)}\nOpen: https://insider.example.com/#/cases/al_1` });
    const pd = JSON.parse(createChannel('pd', { type: 'pagerduty', routingKeyEnv: 'PD' }, n, env).render(update, 'id', 0)!.body) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(pd).toMatchObject({ event_action: 'trigger', dedup_key: 'al_1', links: [{ href: 'https://insider.example.com/#/cases/al_1', text: 'Case al_1' }] });
    expect(pd.payload.custom_details).toMatchObject({ case_id: 'al_1', case_alerts: 2, alert_id: 'al_2', update: true });
  });
});

describe('incidents', () => {
  const page = (alertId: string, bytes: number, severity = 'high', alerts = 0) => JSON.stringify({ alertId, observedBytes: bytes, severity, ...(alerts > 0 ? { case: { id: 'al_1', alerts } } : {}) });
  const rows = [
    { channel: 'pd', dedupKey: 'al_1', kind: 'update' as const, alertId: 'al_3', content: page('al_3', 20e9, 'critical', 3) },
    { channel: 'pd', dedupKey: 'al_1', kind: 'trigger' as const, alertId: 'al_2', content: page('al_2', 2.3e9, 'high', 2) },
    { channel: 'pd', dedupKey: 'al_1', kind: 'acknowledge' as const, alertId: 'al_3', content: '{"alertId":"al_3","link":"x"}' },
    { channel: 'og', dedupKey: 'al_9', kind: 'trigger' as const, alertId: 'al_9', content: page('al_9', 1e9, 'medium') },
    // An update whose page was never read back (its trigger is another alert's) opens nothing.
    { channel: 'og', dedupKey: 'al_7', kind: 'resolve' as const, alertId: 'al_7', content: '' },
  ];

  it('gathers what each was sent, in whatever order the rows come', () => {
    const [pd, og] = incidentsOf(rows);
    expect(pd).toMatchObject({ channel: 'pd', dedupKey: 'al_1', opened: 'trigger', perCase: true, caseAlerts: 3, acknowledged: true, resolved: false });
    expect([...pd.sent]).toEqual([['al_2', { bytes: 2.3e9, severity: 'high' }], ['al_3', { bytes: 20e9, severity: 'critical' }]]);
    expect(og).toMatchObject({ dedupKey: 'al_9', perCase: false, caseAlerts: 1 });
    expect(incidentsOf(rows)).toHaveLength(2);
  });

  it('grow with a case of more alerts, a worse severity or a doubled volume, and only then', () => {
    const [pd] = incidentsOf(rows);
    const p = (alertId: string, observedBytes: number, severity: 'medium' | 'high' | 'critical', alerts: number) => ({ ...pageOf(revision(alertId, 2), settings), observedBytes, severity, case: { id: 'al_1', alerts, firstDay: '', lastDay: '', risk: 0 } });
    expect(grows(pd, p('al_4', 1e6, 'high', 4))).toBe(true);
    // An alert the incident has not heard of, in a case no larger than it was told: nothing new.
    expect(grows(pd, p('al_1', 1e6, 'high', 3))).toBe(false);
    expect(grows(pd, p('al_3', 39.9e9, 'critical', 3))).toBe(false);
    expect(grows(pd, p('al_3', 40e9, 'critical', 3))).toBe(true);
    expect(grows(pd, p('al_2', 2.3e9, 'high', 3))).toBe(false);
    // An alert's page of before (no case): its case of one alert says nothing new; a worse severity does.
    const [og] = incidentsOf(rows.slice(3));
    expect(grows(og, p('al_9', 1e9, 'medium', 1))).toBe(false);
    expect(grows(og, p('al_9', 1e9, 'high', 1))).toBe(true);
    expect(grows(og, p('al_8', 1e9, 'medium', 2))).toBe(true);
  });

  it('are resolved when every alert is, acknowledged when none is open', () => {
    expect(settledAs(['resolved', 'resolved'])).toBe('resolve');
    expect(settledAs(['resolved', 'acknowledged', 'snoozed'])).toBe('acknowledge');
    expect(settledAs(['resolved', 'open'])).toBeNull();
    expect(settledAs([])).toBeNull();
  });
});

describe('what a case\'s page does on a channel', () => {
  const incident = (over: Partial<Omit<Incident, 'sent'>> & { sent?: Array<[string, 'medium' | 'high' | 'critical', number]> }): Incident => ({
    channel: 'pd', dedupKey: 'al_1', opened: 'trigger', perCase: true, caseAlerts: 2, acknowledged: false, resolved: false,
    ...over,
    sent: new Map((over.sent ?? [['al_2', 'high', 2e9]]).map(([id, severity, bytes]) => [id, { severity, bytes }])),
  });
  const page = (severity: 'medium' | 'high' | 'critical', alerts: number, alertId = 'al_3', observedBytes = 1e9) => ({ ...pageOf(revision(alertId, 2), settings), severity, observedBytes, case: { id: 'al_1', alerts, firstDay: '', lastDay: '', risk: 0 } });
  const open = { open: true, updates: true };

  it('pages a case that has no incident while an alert is open, under its name; nothing when none is open', () => {
    expect(planFor([], page('high', 2), 'al_1', open)).toEqual({ kind: 'trigger', dedupKey: 'al_1' });
    expect(planFor([], page('high', 2), 'al_1', { open: false, updates: true })).toBeNull();
  });

  it('updates its incident when it grows, on channels that take updates; nothing when it did not grow', () => {
    expect(planFor([incident({})], page('high', 3), 'al_1', open)).toEqual({ kind: 'update', dedupKey: 'al_1' });
    expect(planFor([incident({})], page('high', 3), 'al_1', { open: true, updates: false })).toBeNull();
    expect(planFor([incident({})], page('high', 2), 'al_1', open)).toBeNull();
    // Also once every alert is acknowledged: the responder's incident learns of it, nobody is woken.
    expect(planFor([incident({ acknowledged: true })], page('high', 3), 'al_1', { open: false, updates: true })).toEqual({ kind: 'update', dedupKey: 'al_1' });
  });

  it('pages again when the case is worse than its acknowledged incident ever said and an alert is open', () => {
    expect(planFor([incident({ acknowledged: true })], page('critical', 3), 'al_1', open)).toEqual({ kind: 'trigger', dedupKey: 'al_1/1' });
    // While it is not acknowledged, the worse severity is an update of the incident still ringing.
    expect(planFor([incident({})], page('critical', 3), 'al_1', open)).toEqual({ kind: 'update', dedupKey: 'al_1' });
    // Once re-paged, updates go to the incident nobody has acknowledged.
    const repaged = incident({ dedupKey: 'al_1/1', caseAlerts: 3, sent: [['al_3', 'critical', 1e9]] });
    expect(planFor([incident({ acknowledged: true }), repaged], page('critical', 4, 'al_4'), 'al_1', open)).toEqual({ kind: 'update', dedupKey: 'al_1/1' });
  });

  it('pages a case reopened after its incident was resolved as a new incident, never an update', () => {
    expect(planFor([incident({ resolved: true })], page('high', 3), 'al_1', open)).toEqual({ kind: 'trigger', dedupKey: 'al_1/1' });
    expect(planFor([incident({ resolved: true })], page('high', 3), 'al_1', { open: false, updates: true })).toBeNull();
  });

  it('leaves a case a digest listed alone until it is worse than the digest said, then pages it on its own', () => {
    const digest = incident({ opened: 'digest', dedupKey: 'digest:pd:2026-09-09T02:00:00.000Z' });
    expect(planFor([digest], page('high', 3), 'al_1', open)).toBeNull();
    expect(planFor([digest], page('critical', 3), 'al_1', open)).toEqual({ kind: 'trigger', dedupKey: 'al_1' });
  });
});
