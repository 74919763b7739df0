// The triage API end to end, against the real ClickHouse and the real detection engine: four weeks of
// ordinary history and yesterday's 10 GB export of crm.customers, judged by the engine (backfill), give an
// alert; an analyst sees it under a pseudonym, views its evidence, acknowledges, assigns, notes and
// resolves it as a false positive with a suppression; a replay of the same events then raises nothing
// (the same replay without the suppression does); the audit trail has every step with who and from
// where; a restarted API still shows the verdict; revealing the pseudonym is an audited analyst action.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listAlerts, writeAlerts, type AlertRecord } from '../../src/alerts';
import { buildApi, type ApiApp } from '../../src/api';
import { MS_PER_DAY } from '../../src/calendar';
import type { Config } from '../../src/config';
import { allowlistFrom } from '../../src/detect/allowlist';
import { backfill } from '../../src/detect/backfill';
import { engineFor, type EngineInputs } from '../../src/detect/setup';
import { loadEngineInputs } from '../../src/triage/detector-inputs';
import { storeDirectory } from '../../src/directory';
import { createLogger } from '../../src/log';
import { createClickHouse, sql, type ClickHouse } from '../../src/store';
import { createRegistry } from '../../src/telemetry';
import { createPseudonyms, hashToken } from '../../src/triage';
import { ACTOR, ADMIN_TOKEN, ANALYST_IP, apiTestConfig, CHUNK, CHUNKS, DAY, directory, events, PEOPLE, PSEUDONYM_KEY } from '../helpers/api-fixture';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';

const log = createLogger({ level: process.env.API_TEST_LOG ?? 'silent' });
interface Page {
  items: Array<{ alertId: string; user: string; severity: string; triage: { status: string } }>;
  total: number;
}

describe('triage through the API (real ClickHouse, real detection engine)', () => {
  const base = testConfig();
  const database = uniqueName('itapi_triage');
  let admin: ClickHouse;
  let ch: ClickHouse;
  let config: Config;
  let app: ApiApp;
  let catalogDir: string;
  let alert: AlertRecord;
  let pseudonym: string;
  let suppressionId: string;
  const tokens: Record<'viewer' | 'analyst' | 'admin', string> = { viewer: '', analyst: '', admin: '' };

  const as = (who: keyof typeof tokens | 'bootstrap', method: 'GET' | 'POST', url: string, payload?: object, on: ApiApp = app) =>
    on.inject({
      method,
      url,
      headers: { authorization: `Bearer ${who === 'bootstrap' ? ADMIN_TOKEN : tokens[who]}` },
      remoteAddress: who === 'analyst' ? ANALYST_IP : '10.0.0.99',
      ...(payload !== undefined ? { payload } : {}),
    });

  /** The engine over the export day, as `insider detect --once` would run it; what it raises, not stored. */
  const replay = async (inputs: EngineInputs): Promise<AlertRecord[]> => {
    const raised: AlertRecord[] = [];
    await backfill(ch, engineFor(ch, config.detection, inputs), { from: DAY * MS_PER_DAY, to: (DAY + 1) * MS_PER_DAY }, async (a) => void raised.push(...a));
    return raised;
  };

  beforeAll(async () => {
    ({ admin, ch } = await freshDatabase(database, base.clickhouse));
    catalogDir = fs.mkdtempSync(path.join(os.tmpdir(), 'insider-api-catalog-'));
    fs.writeFileSync(path.join(catalogDir, 'tables.csv'), 'database,table,sensitivity\ncrm,customers,pii\nanalytics,kpi_daily,internal\n');
    config = apiTestConfig(database, { rateLimit: { max: 10_000, windowMs: 60_000 } }, { detection: { ...base.detection, catalogFile: path.join(catalogDir, 'tables.csv'), allowlistFile: '' } });
    await storeDirectory(ch, directory(), { source: 'test', checksum: 'test' });
    await ch.insert('access_events', events());

    // The detector judges the stored export day and stores what it raises.
    const engine = engineFor(ch, config.detection, await loadEngineInputs(ch, config.detection));
    await backfill(ch, engine, { from: DAY * MS_PER_DAY, to: (DAY + 1) * MS_PER_DAY }, (a) => writeAlerts(ch, a));
    const stored = await listAlerts(ch, {});
    expect(stored.map((a) => a.user)).toEqual([ACTOR]);
    alert = stored[0];
    expect(alert.detectors).toContain('volumeSelf');
    pseudonym = createPseudonyms({ enabled: true, key: PSEUDONYM_KEY }).of(ACTOR);

    app = await buildApi({ config, ch, log, registry: createRegistry({ defaultMetrics: false }) });
    // The bootstrap admin (INSIDER_ADMIN_TOKEN) creates the team and their tokens.
    for (const [name, role] of [['vic.viewer', 'viewer'], ['ana.analyst', 'analyst'], ['ada.admin', 'admin']] as const) {
      expect((await as('bootstrap', 'POST', '/api/users', { name, role })).statusCode).toBe(201);
      const issued = await as('bootstrap', 'POST', `/api/users/${name}/tokens`, { validDays: 7 });
      expect(issued.statusCode).toBe(201);
      tokens[role] = (issued.json() as { token: string }).token;
    }
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await dropDatabase(database, { admin, ch });
    if (catalogDir) fs.rmSync(catalogDir, { recursive: true, force: true });
  });

  it('stores tokens only as hashes', async () => {
    const rows = await ch.query<Record<string, unknown>>(sql`SELECT * FROM api_tokens`);
    expect(rows).toHaveLength(3);
    const all = JSON.stringify(rows);
    for (const token of Object.values(tokens)) {
      expect(all).not.toContain(token);
      expect(rows.map((r) => r.token_hash)).toContain(hashToken(token));
    }
  });

  it('lists the alert under a pseudonym, never the id, and filters by the pseudonym', async () => {
    const res = await as('viewer', 'GET', '/api/alerts');
    expect(res.statusCode).toBe(200);
    const page = res.json() as Page;
    expect(page.total).toBe(1);
    expect(page.items[0]).toMatchObject({ alertId: alert.alertId, user: pseudonym, triage: { status: 'open' } });
    expect(pseudonym).toMatch(/^emp-[0-9a-f]{10}$/);
    for (const id of PEOPLE) expect(res.body).not.toContain(id);

    const filtered = async (q: string) => ((await as('viewer', 'GET', `/api/alerts?${q}`)).json() as Page).items.map((a) => a.alertId);
    expect(await filtered(`user=${pseudonym}`)).toEqual([alert.alertId]);
    expect(await filtered('user=emp-0000000000')).toEqual([]);
    expect(await filtered(`department=Analytics&status=open&severity=${alert.severity}&detector=volumeSelf`)).toEqual([alert.alertId]);
    expect(await filtered('department=Finance')).toEqual([]);
    // With pseudonymisation on, an employee id is not a filter (it would tell who has alerts).
    const byId = await as('viewer', 'GET', `/api/alerts?user=${encodeURIComponent(ACTOR)}`);
    expect(byId.statusCode).toBe(400);
    expect(byId.json()).toMatchObject({ error: { code: 'INVALID_REQUEST', message: expect.stringContaining('querystring.user') } });
  });

  it('lets an analyst view the evidence and series, acknowledge, assign, note and resolve as a false positive with a suppression', async () => {
    const detail = await as('analyst', 'GET', `/api/alerts/${alert.alertId}`);
    expect(detail.statusCode).toBe(200);
    const shown = detail.json() as { user: string; explanation: string; evidence: { topTables: Array<{ table: string; sensitivity: string }>; clientIps: Array<{ ip: string }> }; department: string };
    expect(shown.user).toBe(pseudonym);
    expect(shown.department).toBe('Analytics');
    expect(shown.evidence.topTables[0]).toMatchObject({ table: 'crm.customers', sensitivity: 'pii' });
    expect(shown.evidence.clientIps.map((c) => c.ip)).toContain('10.9.9.9');
    expect(detail.body).not.toContain(ACTOR);
    // Each finding as the engine stored it: its kind, and the rarity of an anomaly or the severity a policy gave.
    const findings = (detail.json() as { findings: Array<Record<string, unknown>> }).findings;
    expect(findings.length).toBeGreaterThan(0);
    expect(findings).toEqual(alert.findings.map((f) => expect.objectContaining({ detector: f.detector, kind: f.kind, ...(f.rate === undefined ? {} : { rate: f.rate }), ...(f.severity === undefined ? {} : { severity: f.severity }) })));
    expect(findings.some((f) => f.kind === 'anomaly' && typeof f.rate === 'number')).toBe(true);

    const series = (await as('analyst', 'GET', `/api/alerts/${alert.alertId}/series?days=30`)).json() as { days: Array<{ day: string; bytes: number }>; band: { median: number; low: number; high: number } | null; alertDay: string };
    expect(series.days).toHaveLength(30);
    expect(series.days[29].bytes).toBe(CHUNKS * CHUNK + 9_000_000);
    expect(series.band).not.toBeNull();
    expect(series.band!.high).toBeLessThan(series.days[29].bytes / 10);

    // A viewer may look, not act.
    expect((await as('viewer', 'POST', `/api/alerts/${alert.alertId}/acknowledge`)).statusCode).toBe(403);

    const ack = await as('analyst', 'POST', `/api/alerts/${alert.alertId}/acknowledge`);
    expect(ack.statusCode).toBe(200);
    expect(ack.json()).toMatchObject({ triage: { status: 'acknowledged' } });
    // The answer carries the history, so a client need not view the alert again.
    expect((ack.json() as { history: Array<{ action: string; actor: string }> }).history.map((h) => [h.action, h.actor])).toEqual([['acknowledge', 'ana.analyst']]);
    expect((await as('analyst', 'POST', `/api/alerts/${alert.alertId}/acknowledge`)).statusCode).toBe(409);
    expect((await as('analyst', 'POST', `/api/alerts/${alert.alertId}/assign`, { assignee: 'ana.analyst' })).json()).toMatchObject({ triage: { assignee: 'ana.analyst' } });
    expect((await as('analyst', 'POST', `/api/alerts/${alert.alertId}/notes`, { note: 'Quarterly CRM migration, confirmed with the data owner.' })).statusCode).toBe(200);

    // Whole seconds: stored times have second precision.
    const until = new Date(Math.floor(Date.now() / 1000) * 1000 + 30 * MS_PER_DAY).toISOString();
    const resolved = await as('analyst', 'POST', `/api/alerts/${alert.alertId}/resolve`, {
      disposition: 'false_positive',
      note: 'Approved export; suppressing crm.customers for this person for 30 days.',
      suppress: { scope: 'user_table', table: 'crm.customers', until, reason: 'approved CRM migration (ticket CHG-1234)' },
    });
    expect(resolved.statusCode).toBe(200);
    expect(resolved.json()).toMatchObject({ triage: { status: 'resolved', disposition: 'false_positive', assignee: 'ana.analyst' } });
    expect((await as('analyst', 'POST', `/api/alerts/${alert.alertId}/resolve`, { disposition: 'true_positive' })).statusCode).toBe(409);

    const suppressions = (await as('viewer', 'GET', '/api/suppressions')).json() as { items: Array<Record<string, unknown>> };
    expect(suppressions.items).toHaveLength(1);
    expect(suppressions.items[0]).toMatchObject({ scope: 'user_table', user: pseudonym, table: 'crm.customers', alertId: alert.alertId, createdBy: 'ana.analyst', active: true, from: null, until });
    suppressionId = suppressions.items[0].id as string;
    expect(suppressionId).toMatch(/^sup_[0-9a-f]{12}$/);
  });

  it('keeps the detector quiet on a replay of the same events, which alerts without the suppression', async () => {
    const inputs = await loadEngineInputs(ch, config.detection);
    expect(inputs.allowlist.entries.map((e) => e.user)).toEqual([ACTOR]);
    const suppressed = await replay(inputs);
    expect(suppressed.filter((a) => a.user === ACTOR)).toEqual([]);
    const unsuppressed = await replay({ ...inputs, allowlist: allowlistFrom([]) });
    expect(unsuppressed.filter((a) => a.user === ACTOR).map((a) => a.alertId)).toContain(alert.alertId);
  });

  it('records every step in the audit trail with the analyst and the source address, readable by admins only', async () => {
    expect((await as('analyst', 'GET', '/api/audit')).statusCode).toBe(403);
    const res = await as('admin', 'GET', '/api/audit?actor=ana.analyst&limit=100');
    expect(res.statusCode).toBe(200);
    const entries = (res.json() as { items: Array<{ at: string; actor: string; role: string; action: string; target: string; sourceIp: string; requestId: string; details: Record<string, unknown> }> }).items;
    const actions = entries.map((e) => e.action);
    for (const a of ['alert.view', 'alert.series', 'alert.acknowledge', 'alert.assign', 'alert.note', 'alert.resolve', 'suppression.create']) expect(actions).toContain(a);
    // The analyst's refused read of the audit trail is itself in it.
    expect(entries[0]).toMatchObject({ action: 'access.denied', target: 'GET /api/audit', sourceIp: ANALYST_IP });
    for (const e of entries.slice(1)) {
      expect(e).toMatchObject({ actor: 'ana.analyst', role: 'analyst', sourceIp: ANALYST_IP });
      expect(e.target).toBe(e.action === 'suppression.create' ? suppressionId : alert.alertId);
      expect(Date.parse(e.at)).toBeGreaterThan(Date.now() - 10 * 60_000);
      expect(e.requestId).not.toBe('');
    }
    expect(entries.find((e) => e.action === 'alert.resolve')?.details).toMatchObject({ disposition: 'false_positive', suppression: suppressionId });
    // Newest first.
    expect(actions.indexOf('alert.resolve')).toBeLessThan(actions.indexOf('alert.acknowledge'));
    // Filters by action and time.
    const since = encodeURIComponent(new Date(Date.now() - 10 * 60_000).toISOString());
    const views = (await as('admin', 'GET', `/api/audit?action=alert.view&target=${alert.alertId}&from=${since}`)).json() as { items: unknown[] };
    expect(views.items).toHaveLength(1);
    // The bootstrap admin's user creation is there too.
    const created = (await as('admin', 'GET', '/api/audit?action=user.create')).json() as { items: Array<{ actor: string; target: string }> };
    expect(created.items.map((e) => `${e.actor}>${e.target}`).sort()).toEqual(['admin>ada.admin', 'admin>ana.analyst', 'admin>vic.viewer']);
  });

  it('shows the verdict after a restart: resolved, with disposition, assignee, notes and history', async () => {
    await app.close();
    const ch2 = createClickHouse(config.clickhouse);
    try {
      app = await buildApi({ config, ch: ch2, log, registry: createRegistry({ defaultMetrics: false }) });
      const res = await as('analyst', 'GET', `/api/alerts/${alert.alertId}`);
      expect(res.statusCode).toBe(200);
      const a = res.json() as { user: string; triage: { status: string; disposition: string; assignee: string; notes: Array<{ actor: string; note: string }>; resolvedAt: string | null; acknowledgedAt: string | null }; history: Array<{ action: string; actor: string }> };
      expect(a.user).toBe(pseudonym);
      expect(a.triage).toMatchObject({ status: 'resolved', disposition: 'false_positive', assignee: 'ana.analyst' });
      expect(a.triage.resolvedAt).not.toBeNull();
      expect(a.triage.acknowledgedAt).not.toBeNull();
      expect(a.triage.notes.map((n) => n.note)).toEqual(['Quarterly CRM migration, confirmed with the data owner.', 'Approved export; suppressing crm.customers for this person for 30 days.']);
      expect(a.history.map((h) => h.action)).toEqual(['acknowledge', 'assign', 'note', 'resolve']);
      expect(new Set(a.history.map((h) => h.actor))).toEqual(new Set(['ana.analyst']));
      const listed = (await as('viewer', 'GET', '/api/alerts?status=resolved')).json() as Page;
      expect(listed.items.map((i) => i.alertId)).toEqual([alert.alertId]);
      expect(((await as('viewer', 'GET', '/api/alerts?status=open')).json() as Page).total).toBe(0);
    } finally {
      await app.close();
      app = await buildApi({ config, ch, log, registry: createRegistry({ defaultMetrics: false }) });
      await ch2.close();
    }
  });

  it('reveals a pseudonym to an analyst (audited, found or not) and refuses a viewer', async () => {
    const refused = await as('viewer', 'POST', `/api/pseudonyms/${pseudonym}/reveal`);
    expect(refused.statusCode).toBe(403);
    const revealed = await as('analyst', 'POST', `/api/pseudonyms/${pseudonym}/reveal`);
    expect(revealed.statusCode).toBe(200);
    expect(revealed.json()).toEqual({ pseudonym, user: ACTOR });
    const unknown = await as('analyst', 'POST', '/api/pseudonyms/emp-0000000000/reveal');
    expect(unknown.statusCode).toBe(404);

    const trail = (await as('admin', 'GET', '/api/audit?action=pseudonym.reveal')).json() as { items: Array<{ actor: string; target: string; sourceIp: string; details: { found: boolean } }> };
    expect(trail.items.map((e) => [e.actor, e.target, e.sourceIp, e.details.found])).toEqual([
      ['ana.analyst', 'emp-0000000000', ANALYST_IP, false],
      ['ana.analyst', pseudonym, ANALYST_IP, true],
    ]);
    const denied = (await as('admin', 'GET', '/api/audit?action=access.denied&actor=vic.viewer')).json() as { items: Array<{ target: string }> };
    expect(denied.items.map((e) => e.target)).toContain('POST /api/pseudonyms/:pseudonym/reveal');
  });

  it('revokes the suppression (analyst, audited), after which the replay alerts again', async () => {
    const res = await as('analyst', 'POST', `/api/suppressions/${suppressionId}/revoke`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: suppressionId, active: false, revokedBy: 'ana.analyst' });
    expect((await as('analyst', 'POST', `/api/suppressions/${suppressionId}/revoke`)).statusCode).toBe(409);
    const again = await replay(await loadEngineInputs(ch, config.detection));
    expect(again.filter((a) => a.user === ACTOR).map((a) => a.alertId)).toContain(alert.alertId);
    const trail = (await as('admin', 'GET', `/api/audit?action=suppression.revoke&target=${suppressionId}`)).json() as { items: Array<{ actor: string }> };
    expect(trail.items.map((e) => e.actor)).toEqual(['ana.analyst']);
  });

  it('reopens, snoozes and suppresses by hand (analyst)', async () => {
    const url = `/api/alerts/${alert.alertId}`;
    expect((await as('analyst', 'POST', `${url}/snooze`, { until: new Date(Date.now() + MS_PER_DAY).toISOString() })).statusCode).toBe(409);
    expect((await as('analyst', 'POST', `${url}/reopen`, { note: 'the migration ticket was withdrawn' })).json()).toMatchObject({ triage: { status: 'open', disposition: null } });
    expect((await as('analyst', 'POST', `${url}/snooze`, { until: new Date(Date.now() - 1000).toISOString() })).statusCode).toBe(400);
    const until = new Date(Math.floor(Date.now() / 1000) * 1000 + MS_PER_DAY).toISOString();
    expect((await as('analyst', 'POST', `${url}/snooze`, { until })).json()).toMatchObject({ triage: { status: 'snoozed', snoozedUntil: until } });
    expect(((await as('viewer', 'GET', '/api/alerts?status=snoozed')).json() as Page).total).toBe(1);
    expect((await as('analyst', 'POST', `${url}/reopen`)).json()).toMatchObject({ triage: { status: 'open', snoozedUntil: null } });

    const body = { scope: 'user', until, reason: 'on a sanctioned data-quality project this week' };
    expect((await as('viewer', 'POST', '/api/suppressions', { ...body, user: pseudonym })).statusCode).toBe(403);
    expect((await as('analyst', 'POST', '/api/suppressions', { ...body, user: ACTOR })).statusCode).toBe(400);
    expect((await as('analyst', 'POST', '/api/suppressions', { ...body, user: 'emp-0000000000' })).json()).toMatchObject({ error: { code: 'TRIAGE_NOT_FOUND' } });
    expect((await as('analyst', 'POST', '/api/suppressions', { ...body, user: pseudonym, table: 'crm.customers' })).json()).toMatchObject({ error: { code: 'TRIAGE_INVALID' } });
    const created = await as('analyst', 'POST', '/api/suppressions', { ...body, user: pseudonym });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ scope: 'user', user: pseudonym, table: '', alertId: '', active: true, until, createdBy: 'ana.analyst' });
    const inputs = await loadEngineInputs(ch, config.detection);
    expect(inputs.allowlist.covering(ACTOR, 'analytics.kpi_daily', Date.now())).toBeDefined();
    const actions = ((await as('admin', 'GET', `/api/audit?actor=ana.analyst&target=${alert.alertId}`)).json() as { items: Array<{ action: string }> }).items.map((e) => e.action);
    expect(actions.slice(0, 3)).toEqual(['alert.reopen', 'alert.snooze', 'alert.reopen']);
  });
});
