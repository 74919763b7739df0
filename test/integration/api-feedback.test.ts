// Feedback that changes detection, end to end on the real ClickHouse and the real engine: yesterday ana
// read 800 MB (8x her usual day) and the engine alerted; an analyst resolves it through the API as a false
// positive with "project work until <the day after tomorrow>": a stored adjustment and an audit entry,
// shown on the alert and the employee page. The engine, with its inputs loaded from ClickHouse as
// `insider detect --once` loads them, then no longer alerts on the same 800 MB today (a colleague with the
// same day still alerts), alerts again on the day the adjustment ends, and again today once it is revoked.
// A viewer can neither resolve with an adjustment nor revoke one.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { listAlerts, writeAlerts, type AlertRecord } from '../../src/alerts';
import { buildApi, type ApiApp } from '../../src/api';
import { dateString, dayOf, MS_PER_DAY } from '../../src/calendar';
import type { Config } from '../../src/config';
import { backfill } from '../../src/detect/backfill';
import { engineFor } from '../../src/detect/setup';
import { loadEngineInputs } from '../../src/triage/detector-inputs';
import { storeDirectory } from '../../src/directory';
import { createLogger } from '../../src/log';
import { sql, type ClickHouse } from '../../src/store';
import { createRegistry } from '../../src/telemetry';
import { createPseudonyms, readAudit } from '../../src/triage';
import { ADMIN_TOKEN, apiTestConfig, directory, HOUR, PEOPLE, PSEUDONYM_KEY, row } from '../helpers/api-fixture';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';

const log = createLogger({ level: process.env.API_TEST_LOG ?? 'silent' });
const TODAY = dayOf(Date.now());
/** The alerted day. */
const DAY = TODAY - 1;
const [ANA, BEN] = PEOPLE;
const MB = 1e6;
const bin = path.join(__dirname, '..', '..', 'bin', 'insider.js');

/** 28 ordinary days (~100 MB each, spread over the day) before the alerted day, for everyone. */
function history() {
  const rows = [];
  for (let d = DAY - 28; d < DAY; d++) {
    for (const [i, user] of PEOPLE.entries()) {
      const day = 80 * MB + ((d * 7 + i * 13) % 10) * 5 * MB;
      for (let q = 0; q < 10; q++) rows.push(row(user, d * MS_PER_DAY + (9 + q * 0.7) * HOUR, Math.floor(day / 10), 'analytics.kpi_daily'));
    }
  }
  return rows;
}

/** 800 MB in eight queries an hour apart (8x the usual day; no busy hour), and the others' usual morning. */
function bigDay(day: number, who: string[]) {
  const rows = [];
  for (const user of PEOPLE) {
    if (who.includes(user)) for (let q = 0; q < 8; q++) rows.push(row(user, day * MS_PER_DAY + (9 + q) * HOUR, 100 * MB, 'analytics.kpi_daily'));
    else rows.push(row(user, day * MS_PER_DAY + 10 * HOUR, 90 * MB, 'analytics.kpi_daily'));
  }
  return rows;
}

describe('feedback: a false-positive verdict that raises expectations (real ClickHouse, real engine)', () => {
  const base = testConfig();
  const database = uniqueName('itapi_feedback');
  let admin: ClickHouse;
  let ch: ClickHouse;
  let config: Config;
  let app: ApiApp;
  let alert: AlertRecord;
  let adjustmentId = '';
  const pseudonym = createPseudonyms({ enabled: true, key: PSEUDONYM_KEY }).of(ANA);
  const tokens: Record<'viewer' | 'analyst', string> = { viewer: '', analyst: '' };

  const as = (who: keyof typeof tokens | 'bootstrap', method: 'GET' | 'POST', url: string, payload?: object) =>
    app.inject({ method, url, headers: { authorization: `Bearer ${who === 'bootstrap' ? ADMIN_TOKEN : tokens[who]}` }, ...(payload !== undefined ? { payload } : {}) });

  /** What the engine raises over `day`, with its inputs (adjustments included) loaded from ClickHouse now. */
  const judge = async (day: number): Promise<AlertRecord[]> => {
    const raised: AlertRecord[] = [];
    const engine = engineFor(ch, config.detection, await loadEngineInputs(ch, config.detection));
    await backfill(ch, engine, { from: day * MS_PER_DAY, to: (day + 1) * MS_PER_DAY }, async (a) => void raised.push(...a));
    return raised;
  };
  const users = (alerts: AlertRecord[]) => [...new Set(alerts.map((a) => a.user))].sort();

  beforeAll(async () => {
    ({ admin, ch } = await freshDatabase(database, base.clickhouse));
    config = apiTestConfig(database, { rateLimit: { max: 10_000, windowMs: 60_000 } }, { detection: { ...base.detection, catalogFile: '', allowlistFile: '' } });
    await storeDirectory(ch, directory(), { source: 'test', checksum: 'test' });
    // History, the alerted day (ana), and the repeat on each of the next two days (ana and ben).
    await ch.insert('access_events', [...history(), ...bigDay(DAY, [ANA]), ...bigDay(TODAY, [ANA, BEN]), ...bigDay(TODAY + 2, [ANA])]);

    const raised = await judge(DAY);
    await writeAlerts(ch, raised);
    const stored = await listAlerts(ch, {});
    expect(stored.map((a) => a.user)).toEqual([ANA]);
    alert = stored[0];
    expect(alert.detectors).toContain('volumeSelf');

    app = await buildApi({ config, ch, log, registry: createRegistry({ defaultMetrics: false }) });
    for (const [name, role] of [['vic.viewer', 'viewer'], ['ana.analyst', 'analyst']] as const) {
      expect((await as('bootstrap', 'POST', '/api/users', { name, role })).statusCode).toBe(201);
      tokens[role] = ((await as('bootstrap', 'POST', `/api/users/${name}/tokens`, { validDays: 7 })).json() as { token: string }).token;
    }
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    await dropDatabase(database, { admin, ch });
  });

  it('without feedback, the same 800 MB today alerts for ana and ben alike (the control)', async () => {
    expect(users(await judge(TODAY))).toEqual([ANA, BEN].sort());
  }, 120_000);

  it('refuses a viewer, a factor out of bounds and project work without an end, storing nothing', async () => {
    const body = { disposition: 'false_positive', adjust: { kind: 'project_work', until: dateString(TODAY + 2) } };
    expect((await as('viewer', 'POST', `/api/alerts/${alert.alertId}/resolve`, body)).statusCode).toBe(403);
    const tooMuch = await as('analyst', 'POST', `/api/alerts/${alert.alertId}/resolve`, { ...body, adjust: { ...body.adjust, factor: 50 } });
    expect(tooMuch.statusCode).toBe(400);
    expect(tooMuch.body).toContain('adjust.factor');
    const noEnd = await as('analyst', 'POST', `/api/alerts/${alert.alertId}/resolve`, { disposition: 'false_positive', adjust: { kind: 'project_work' } });
    expect(noEnd.statusCode).toBe(400);
    expect(noEnd.body).toContain('project work needs an end date');
    const asTruePositive = await as('analyst', 'POST', `/api/alerts/${alert.alertId}/resolve`, { ...body, disposition: 'true_positive' });
    expect(asTruePositive.statusCode).toBe(400);
    const [n] = await ch.query<{ n: string }>(sql`SELECT count() AS n FROM expectation_adjustments`);
    expect(Number(n.n)).toBe(0);
    expect(((await as('viewer', 'GET', `/api/alerts?alert=${alert.alertId}`)).json() as { items: Array<{ triage: { status: string } }> }).items[0].triage.status).toBe('open');
  });

  it('an analyst resolves with "project work until" the day after tomorrow: a stored row and an audit entry', async () => {
    const res = await as('analyst', 'POST', `/api/alerts/${alert.alertId}/resolve`, {
      disposition: 'false_positive',
      note: 'data migration, confirmed with the manager',
      adjust: { kind: 'project_work', until: dateString(TODAY + 2), reason: 'data migration project' },
    });
    expect(res.statusCode).toBe(200);
    const rows = await ch.query<{ adjustment_id: string; event: string; actor: string; scope: string; subject: string; factor: number; valid_from: string; until: string; reason: string; alert_id: string }>(
      sql`SELECT adjustment_id, toString(event) AS event, actor, toString(scope) AS scope, subject, factor, toString(valid_from) AS valid_from, toString(until) AS until, reason, alert_id FROM expectation_adjustments`,
    );
    expect(rows).toHaveLength(1);
    const r = rows[0];
    adjustmentId = r.adjustment_id;
    expect(r).toMatchObject({ event: 'created', actor: 'ana.analyst', scope: 'user', subject: ANA, reason: 'data migration project', alert_id: alert.alertId });
    expect(r.valid_from).toBe(`${dateString(DAY)} 00:00:00`);
    expect(r.until).toBe(`${dateString(TODAY + 2)} 00:00:00`);
    // The default factor covers the alerted 8x (with headroom), within the 10x bound.
    expect(Number(r.factor)).toBeGreaterThanOrEqual(8);
    expect(Number(r.factor)).toBeLessThanOrEqual(10);

    const [entry] = await readAudit(ch, { action: 'adjustment.create' });
    expect(entry).toMatchObject({ actor: 'ana.analyst', role: 'analyst', target: adjustmentId, details: { alertId: alert.alertId, kind: 'project_work', scope: 'user', reason: 'data migration project' } });
    const [resolved] = await readAudit(ch, { action: 'alert.resolve' });
    expect(resolved.details).toMatchObject({ disposition: 'false_positive', adjustment: adjustmentId });
  });

  it('shows it on the alert page (made by resolving it) and on the employee page, under the pseudonym', async () => {
    const page = (await as('viewer', 'GET', `/api/alerts/${alert.alertId}`)).json() as { adjustments: { made: Array<{ id: string; subject: string; active: boolean; kind: string }>; applied: unknown[] } };
    expect(page.adjustments.made).toEqual([expect.objectContaining({ id: adjustmentId, subject: pseudonym, active: true, kind: 'project_work' })]);
    expect(page.adjustments.applied).toEqual([]);
    const employee = await as('viewer', 'GET', `/api/employees/${pseudonym}`);
    expect(employee.statusCode).toBe(200);
    expect((employee.json() as { adjustments: Array<{ id: string }> }).adjustments.map((a) => a.id)).toEqual([adjustmentId]);
    expect(employee.body).not.toContain(ANA);
    const listed = (await as('viewer', 'GET', '/api/adjustments')).json() as { items: Array<{ id: string; factor: number }> };
    expect(listed.items.map((a) => a.id)).toEqual([adjustmentId]);
  });

  it('the engine no longer alerts on the same volume for ana today (ben still does), and alerts again on the day it ends', async () => {
    expect(users(await judge(TODAY))).toEqual([BEN]);
    const ended = await judge(TODAY + 2);
    expect(users(ended)).toEqual([ANA]);
    expect(ended[0].explanation).not.toContain(adjustmentId);
  }, 180_000);

  it('a viewer cannot revoke it; an analyst can (audited), and the engine alerts on ana again', async () => {
    expect((await as('viewer', 'POST', `/api/adjustments/${adjustmentId}/revoke`, {})).statusCode).toBe(403);
    const revoked = await as('analyst', 'POST', `/api/adjustments/${adjustmentId}/revoke`, { reason: 'the project was cancelled' });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json()).toMatchObject({ id: adjustmentId, active: false, revokedBy: 'ana.analyst' });
    expect((await as('analyst', 'POST', `/api/adjustments/${adjustmentId}/revoke`, {})).statusCode).toBe(409);
    // The pages held the adjustments they showed (viewed above): the revoke shows on them at once.
    const page = (await as('viewer', 'GET', `/api/alerts/${alert.alertId}`)).json() as { adjustments: { made: Array<{ id: string; active: boolean; revokedBy: string | null }> } };
    expect(page.adjustments.made).toEqual([expect.objectContaining({ id: adjustmentId, active: false, revokedBy: 'ana.analyst' })]);
    const employee = (await as('viewer', 'GET', `/api/employees/${pseudonym}`)).json() as { adjustments: Array<{ id: string; active: boolean }> };
    expect(employee.adjustments).toEqual([expect.objectContaining({ id: adjustmentId, active: false })]);
    const [entry] = await readAudit(ch, { action: 'adjustment.revoke' });
    expect(entry).toMatchObject({ actor: 'ana.analyst', target: adjustmentId, details: { reason: 'the project was cancelled' } });
    expect(users(await judge(TODAY))).toEqual([ANA, BEN].sort());
  }, 180_000);

  it('from the CLI, "expected for the role" covers everyone in the department and role; listed and revoked there too', async () => {
    const cli = (args: string[]) => {
      const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, INSIDER_CLICKHOUSE_DATABASE: database, INSIDER_PSEUDONYM_KEY: PSEUDONYM_KEY }, timeout: 60_000 });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    expect((await as('analyst', 'POST', `/api/alerts/${alert.alertId}/reopen`, { note: 'second look' })).statusCode).toBe(200);
    const bad = cli(['alerts', 'resolve', alert.alertId, '--disposition', 'false_positive', '--expect', 'role', '--factor', '40']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('between 1.1 and 10');
    const resolved = cli(['alerts', 'resolve', alert.alertId, '--disposition', 'false_positive', '--expect', 'role', '--until', dateString(TODAY + 2), '--reason', 'quarter-end analyses', '--as', 'carla.cli', '--json']);
    expect(resolved.code).toBe(0);
    const made = (JSON.parse(resolved.stdout) as { adjustment: { id: string; scope: string; subject: string; kind: string } }).adjustment;
    expect(made).toMatchObject({ scope: 'peer_group', subject: 'Analytics/data_analyst', kind: 'expected_for_role' });
    const [entry] = await readAudit(ch, { action: 'adjustment.create', target: made.id });
    expect(entry).toMatchObject({ actor: 'carla.cli', details: { scope: 'peer_group', subject: 'Analytics/data_analyst', reason: 'quarter-end analyses' } });

    // Everyone in Analytics/data_analyst: neither ana nor ben alerts on their 800 MB today.
    expect(users(await judge(TODAY))).toEqual([]);
    const listed = cli(['adjustments', 'list', '--json']);
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as Array<{ id: string }>).map((a) => a.id)).toEqual([made.id]);
    expect(cli(['adjustments', 'revoke', made.id, '--reason', 'done', '--as', 'carla.cli']).code).toBe(0);
    expect(cli(['adjustments', 'list']).stderr).toContain('no adjustments in force');
    expect(users(await judge(TODAY))).toEqual([ANA, BEN].sort());
  }, 240_000);
});
