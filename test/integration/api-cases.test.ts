// Cases through the HTTP API (real ClickHouse): the list as pseudonyms without explanations, ranked by
// risk now; one case's timeline audited per alert; actions on a case applied to each alert under the
// alerts' rules (the insider refused on their own case, with 409 and nothing changed); resolved cases
// left out unless state=all; and what came from the logs shown without bidirectional controls.
import { writeAlerts } from '../../src/alerts';
import { buildApi, type ApiApp } from '../../src/api';
import { storeDirectory } from '../../src/directory';
import { createLogger } from '../../src/log';
import type { ClickHouse } from '../../src/store';
import { createRegistry } from '../../src/telemetry';
import { createPseudonyms, readAudit } from '../../src/triage';
import { ADMIN_TOKEN, apiTestConfig, DAY, directory, PEOPLE, PSEUDONYM_KEY, syntheticAlert } from '../helpers/api-fixture';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';

const log = createLogger({ level: 'silent' });
const [ANA, BEN] = PEOPLE;
const pseudo = createPseudonyms({ enabled: true, key: PSEUDONYM_KEY });

interface CaseOut {
  caseOf: string;
  user: string;
  department: string | null;
  open: boolean;
  risk: number;
  peakRisk: number;
  alerts: Array<{ alertId: string; explanation?: string; status: string; risk: number }>;
}

describe('cases through the API (real ClickHouse)', () => {
  const database = uniqueName('itapi_cases');
  let admin: ClickHouse;
  let ch: ClickHouse;
  let app: ApiApp;
  const tokens: Record<string, string> = {};
  // Ana: two days of exports, one case. Ben: one day, its explanation carrying a right-to-left override.
  const ana = [syntheticAlert(ANA, DAY - 3, { id: 'al_20260101_00000000a1' }), syntheticAlert(ANA, DAY - 2, { id: 'al_20260101_00000000a2' })];
  const ben = syntheticAlert(BEN, DAY - 1, { id: 'al_20260101_00000000b1', explanation: 'ben: 10 GB from crm.\u202esremotsuc\u202c (pii)' });

  const as = (who: string, method: 'GET' | 'POST', url: string, payload?: object) =>
    app.inject({ method, url, headers: { authorization: `Bearer ${who === 'bootstrap' ? ADMIN_TOKEN : tokens[who]}` }, ...(payload !== undefined ? { payload } : {}) });

  beforeAll(async () => {
    ({ admin, ch } = await freshDatabase(database, testConfig().clickhouse));
    await storeDirectory(ch, directory(), { source: 'test', checksum: 'test' });
    await writeAlerts(ch, [...ana, ben]);
    app = await buildApi({ config: apiTestConfig(database), ch, log, registry: createRegistry({ defaultMetrics: false }) });
    // A viewer, an analyst, and an analyst who is Ben (an insider with an analyst's token).
    for (const [name, role] of [['vic.viewer', 'viewer'], ['ann.analyst', 'analyst'], [BEN, 'analyst']] as const) {
      expect((await as('bootstrap', 'POST', '/api/users', { name, role })).statusCode).toBe(201);
      tokens[name] = ((await as('bootstrap', 'POST', `/api/users/${encodeURIComponent(name)}/tokens`, { validDays: 7 })).json() as { token: string }).token;
    }
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await dropDatabase(database, { admin, ch });
  });

  it('lists one case per employee and episode, highest risk now first, as pseudonyms and without explanations', async () => {
    const res = await as('vic.viewer', 'GET', '/api/cases');
    expect(res.statusCode).toBe(200);
    const page = res.json() as { items: CaseOut[]; alerts: number };
    expect(page.alerts).toBe(3);
    expect(page.items.map((c) => [c.caseOf, c.user, c.alerts.length])).toEqual([
      [ana[0].alertId, pseudo.of(ANA), 2],
      [ben.alertId, pseudo.of(BEN), 1],
    ]);
    expect(page.items[0].risk).toBeGreaterThan(page.items[1].risk);
    expect(page.items[0].department).toBe('Analytics');
    for (const id of PEOPLE) expect(res.body).not.toContain(id);
    expect(res.body).not.toContain('explanation');
    // With pseudonymisation on, an employee id is not a filter.
    expect((await as('vic.viewer', 'GET', `/api/cases?user=${encodeURIComponent(ANA)}`)).statusCode).toBe(400);
    expect(((await as('vic.viewer', 'GET', `/api/cases?user=${pseudo.of(BEN)}`)).json() as { items: CaseOut[] }).items.map((c) => c.caseOf)).toEqual([ben.alertId]);
  });

  it("shows a case's timeline from any of its alerts, each alert's view audited, the logs' text without bidirectional controls", async () => {
    const res = await as('vic.viewer', 'GET', `/api/cases/${ana[1].alertId}`);
    expect(res.statusCode).toBe(200);
    const c = res.json() as CaseOut;
    expect(c.caseOf).toBe(ana[0].alertId);
    // The explanations as the alert page shows them: the employee under their pseudonym there too.
    expect(c.alerts.map((a) => [a.alertId, a.explanation])).toEqual(ana.map((a) => [a.alertId, a.explanation.replace(ANA, pseudo.of(ANA))]));
    for (const id of PEOPLE) expect(res.body).not.toContain(id);
    expect(c.alerts[1].risk).toBeGreaterThan(c.alerts[0].risk);
    const views = await readAudit(ch, { actor: 'vic.viewer', action: 'alert.view' });
    expect(views.map((v) => v.target).sort()).toEqual(ana.map((a) => a.alertId).sort());

    const shown = (await as('vic.viewer', 'GET', `/api/cases/${ben.alertId}`)).json() as CaseOut;
    expect(shown.alerts[0].explanation).toBe('ben: 10 GB from crm.sremotsuc (pii)');
    expect((await as('vic.viewer', 'GET', '/api/cases/al_20260101_0000000fff')).statusCode).toBe(404);
  });

  it('refuses the insider resolving their own case with 409, changing nothing', async () => {
    const res = await as(BEN, 'POST', `/api/cases/${ben.alertId}/resolve`, { disposition: 'false_positive' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ error: { code: 'TRIAGE_CONFLICT', message: expect.stringContaining('refused for every alert it applies to') } });
    const [still] = ((await as('vic.viewer', 'GET', `/api/cases?user=${pseudo.of(BEN)}`)).json() as { items: CaseOut[] }).items;
    expect(still.alerts.map((a) => a.status)).toEqual(['open']);
  });

  it('acknowledges and resolves a case on each of its alerts, then leaves it out unless state=all', async () => {
    const acked = await as('ann.analyst', 'POST', `/api/cases/${ana[0].alertId}/acknowledge`, { note: 'on it' });
    expect(acked.statusCode).toBe(200);
    expect(acked.json()).toEqual({ caseOf: ana[0].alertId, applied: ana.map((a) => a.alertId), skipped: [] });
    const resolved = await as('ann.analyst', 'POST', `/api/cases/${ana[1].alertId}/resolve`, { disposition: 'true_positive', note: 'confirmed' });
    expect(resolved.json()).toEqual({ caseOf: ana[0].alertId, applied: ana.map((a) => a.alertId), skipped: [] });
    const trail = await readAudit(ch, { actor: 'ann.analyst' });
    for (const a of ana) expect(trail.filter((t) => t.target === a.alertId).map((t) => t.action).sort()).toEqual(['alert.acknowledge', 'alert.resolve']);

    expect(((await as('vic.viewer', 'GET', '/api/cases')).json() as { items: CaseOut[] }).items.map((c) => c.caseOf)).toEqual([ben.alertId]);
    const all = ((await as('vic.viewer', 'GET', '/api/cases?state=all')).json() as { items: CaseOut[] }).items;
    expect(all.find((c) => c.caseOf === ana[0].alertId)).toMatchObject({ open: false });
    // Resolving it again applies to nothing and says why, per alert.
    const again = (await as('ann.analyst', 'POST', `/api/cases/${ana[0].alertId}/resolve`, { disposition: 'true_positive' })).json() as { applied: string[]; skipped: Array<{ reason: string }> };
    expect(again.applied).toEqual([]);
    expect(again.skipped).toEqual(ana.map((a) => ({ alertId: a.alertId, reason: 'already resolved', refused: false })));
  });

  it('acts only on the alerts named, leaving one stored since as it is, and refuses an alert of another case', async () => {
    const since = syntheticAlert(BEN, DAY, { id: 'al_20260101_00000000b2' });
    await writeAlerts(ch, [since]);
    const res = await as('ann.analyst', 'POST', `/api/cases/${ben.alertId}/resolve`, { disposition: 'false_positive', alerts: [ben.alertId] });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ caseOf: ben.alertId, applied: [ben.alertId], skipped: [{ alertId: since.alertId, reason: 'not among the alerts named (stored since?)', refused: false }] });
    const [open] = ((await as('vic.viewer', 'GET', `/api/cases?user=${pseudo.of(BEN)}`)).json() as { items: CaseOut[] }).items;
    expect(open.alerts.map((a) => [a.alertId, a.status])).toEqual([
      [ben.alertId, 'resolved'],
      [since.alertId, 'open'],
    ]);
    const other = await as('ann.analyst', 'POST', `/api/cases/${ben.alertId}/notes`, { note: 'x', alerts: [ana[0].alertId] });
    expect(other.statusCode).toBe(400);
    expect(other.json()).toMatchObject({ error: { code: 'TRIAGE_INVALID', message: expect.stringContaining(ana[0].alertId) } });
  });
});
