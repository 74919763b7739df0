// The Tuning routes of the API on the real ClickHouse (and Kafka, for a running detector): every tuning
// route refuses viewers and analysts (403, audited); a run started through the API replays stored history
// in the background and is stored and readable, with the confirmed alert it still catches; a floor
// applied from a run is audited and becomes the effective floor, which `insider detect --once` (engine
// inputs) and a running live detector pick up; bad input is refused with a message that says what is wrong.
import { Writable } from 'node:stream';
import { alertsOfDays, writeAlerts } from '../../src/alerts';
import { buildApi, type ApiApp } from '../../src/api';
import { MS_PER_DAY } from '../../src/calendar';
import type { Config } from '../../src/config';
import { backfill } from '../../src/detect/backfill';
import { startLiveDetector, type LiveDetector } from '../../src/live-detect';
import { engineFor } from '../../src/detect/setup';
import { loadEngineInputs } from '../../src/triage/detector-inputs';
import { storeDirectory } from '../../src/directory';
import { createKafka } from '../../src/kafka';
import { createLogger } from '../../src/log';
import { type ClickHouse } from '../../src/store';
import { createRegistry } from '../../src/telemetry';
import { createUser, createToken, readAudit, recordAction, type Actor } from '../../src/triage';
import { effectiveDetection, loadTuning } from '../../src/tune';
import { ACTOR, ADMIN_TOKEN, apiTestConfig, DAY, directory, events, PSEUDONYM_KEY } from '../helpers/api-fixture';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';
import { waitUntil } from '../helpers/ingest-run';

const log = createLogger({ level: 'silent' });

interface Answer {
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string } };
}

describe('API tuning: runs, the chosen alert floor, roles, bad input (real ClickHouse)', () => {
  const base = testConfig();
  const database = uniqueName('itapi_tuning');
  const topic = uniqueName('insider-ittune').replace(/_/g, '-');
  let admin: ClickHouse;
  let ch: ClickHouse;
  let config: Config;
  let app: ApiApp;
  let exportAlert: string;
  const tokens: Record<string, string> = {};

  const call = async (who: string, method: 'GET' | 'POST', url: string, payload?: unknown): Promise<Answer> => {
    const res = await app.inject({ method, url, headers: { authorization: `Bearer ${tokens[who]}` }, ...(method === 'POST' ? { payload: (payload ?? {}) as object } : {}) });
    return { status: res.statusCode, body: res.json() };
  };
  const finished = () =>
    waitUntil('the tuning run to finish', async () => {
      const s = await call('admin', 'GET', '/api/tuning');
      const job = s.body.job as { state: string } | null;
      return job && job.state !== 'running' ? (job as { state: string; runId: string | null; error: string | null; progress: { hour: number; hours: number } }) : undefined;
    }, 240_000, 200);

  beforeAll(async () => {
    ({ admin, ch } = await freshDatabase(database, base.clickhouse));
    config = apiTestConfig(database, {}, { kafka: { ...base.kafka, topic }, ingest: { ...base.ingest, topics: [] }, detection: { ...base.detection, groupId: `${topic}-detect` } });
    await storeDirectory(ch, directory(), { source: 'test', checksum: 'test' });
    await ch.insert('access_events', events());
    // The stored alerts `insider detect --once` gives for the last week; the export is confirmed by an analyst.
    const engine = engineFor(ch, config.detection, await loadEngineInputs(ch, config.detection, { alertIdKey: PSEUDONYM_KEY }));
    await backfill(ch, engine, { from: (DAY - 6) * MS_PER_DAY, to: (DAY + 1) * MS_PER_DAY }, (alerts) => writeAlerts(ch, alerts));
    const stored = await alertsOfDays(ch, DAY, DAY);
    exportAlert = stored.find((a) => a.user === ACTOR)!.alertId;
    await recordAction(ch, exportAlert, 'ann.analyst', { action: 'resolve', disposition: 'true_positive' }, Date.now());

    app = await buildApi({ config, ch, log, registry: createRegistry({ defaultMetrics: false }) });
    tokens.admin = ADMIN_TOKEN;
    const bootstrap: Actor = { name: 'admin', role: 'admin', sourceIp: '127.0.0.1', requestId: 'test-setup' };
    for (const [name, role] of [['vera.viewer', 'viewer'], ['ann.analyst', 'analyst'], ['adam.admin', 'admin']] as const) {
      await createUser(app.live.triage, bootstrap, name, role);
      tokens[role === 'admin' ? 'adam' : role] = (await createToken(app.live.triage, bootstrap, name, 30)).token;
    }
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    const kafkaAdmin = createKafka(base.kafka, log).admin();
    await kafkaAdmin.connect().catch(() => {});
    await kafkaAdmin.deleteTopics({ topics: [topic] }).catch(() => {});
    await kafkaAdmin.deleteGroups([`${topic}-detect`]).catch(() => {});
    await kafkaAdmin.disconnect().catch(() => {});
    await dropDatabase(database, { admin, ch });
  });

  it('refuses viewers and analysts on every tuning route (403, audited), and changes nothing for them', async () => {
    const routes = app.apiRoutes().filter((r) => r.url.startsWith('/api/tuning'));
    expect(routes.map((r) => `${r.method} ${r.url}`).sort()).toEqual(['GET /api/tuning', 'GET /api/tuning/runs', 'GET /api/tuning/runs/:runId', 'POST /api/tuning/floor', 'POST /api/tuning/runs']);
    const bodies: Record<string, unknown> = { '/api/tuning/runs': { days: 7 }, '/api/tuning/floor': { value: 0.5, reason: 'sneaky' } };
    for (const role of ['viewer', 'analyst']) {
      for (const r of routes) {
        const res = await call(role, r.method as 'GET' | 'POST', r.url.replace(':runId', 'tr_20261001120000_1a2b3c4d'), bodies[r.url]);
        expect([`${role} ${r.method} ${r.url}`, res.status, res.body.error?.code]).toEqual([`${role} ${r.method} ${r.url}`, 403, 'FORBIDDEN']);
      }
    }
    expect((await loadTuning(ch)).alertFloor).toBeNull();
    expect((await call('admin', 'GET', '/api/tuning')).body.job).toBeNull();
    const denied = await readAudit(ch, { actor: 'ann.analyst', action: 'access.denied' });
    expect(denied.map((e) => e.target)).toEqual(expect.arrayContaining(['POST /api/tuning/floor', 'POST /api/tuning/runs']));
  });

  let runId = '';

  it('runs a replay in the background, stores it, and serves it: per candidate alerts a day by severity and department, the confirmed alert caught, the proposal', async () => {
    const started = await call('adam', 'POST', '/api/tuning/runs', { days: 7, budget: 5, floors: [3, 1, 0.5, 0.05] });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ state: 'running', actor: 'adam.admin' });
    const job = await finished();
    expect(job.error).toBeNull();
    expect(job).toMatchObject({ state: 'done', progress: { hour: 7 * 24, hours: 7 * 24 } });
    runId = job.runId!;
    expect(runId).toMatch(/^tr_\d{14}_[0-9a-f]{8}$/);

    const list = await call('adam', 'GET', '/api/tuning/runs');
    expect(list.body.items).toEqual([expect.objectContaining({ runId, actor: 'adam.admin', budget: 5, currentFloor: 3, candidates: 4 })]);
    const run = await call('adam', 'GET', `/api/tuning/runs/${runId}`);
    expect(run.status).toBe(200);
    const r = run.body as unknown as { days: number; confirmed: string[]; proposal: number | null; candidates: Array<{ alertFloor: number; perDay: number; alerts: number; perDaySeverity: Record<string, number>; perDepartment: Record<string, number>; byDay: Record<string, number>; catches: number; caught: string[] }> };
    expect(r.days).toBe(7);
    expect(r.confirmed).toEqual([exportAlert]);
    expect(r.candidates.map((c) => c.alertFloor)).toEqual([3, 1, 0.5, 0.05]);
    // The current floor replays exactly what detect --once stored for the period.
    const storedCount = (await alertsOfDays(ch, DAY - 6, DAY)).length;
    const current = r.candidates[0];
    expect(current.alerts).toBe(storedCount);
    expect(current.caught).toEqual([exportAlert]);
    expect(current.perDepartment).toEqual({ Analytics: storedCount });
    expect(Object.values(current.byDay).reduce((a, b) => a + b, 0)).toBe(storedCount);
    expect(Object.values(current.perDaySeverity).reduce((a, b) => a + b, 0)).toBeCloseTo(current.perDay, 9);
    // Stricter floors never raise more; the 10 GB export is caught by every candidate.
    for (let i = 1; i < r.candidates.length; i++) expect(r.candidates[i].alerts).toBeLessThanOrEqual(r.candidates[i - 1].alerts);
    expect(r.candidates.every((c) => c.catches === 1)).toBe(true);
    // Within 5 a day, catching the most: the most sensitive candidate within the budget.
    expect(r.proposal).toBe(r.candidates.find((c) => c.perDay <= 5)!.alertFloor);
    const audited = await readAudit(ch, { actor: 'adam.admin', action: 'tuning.run' });
    expect(audited).toHaveLength(1);
  }, 300_000);

  it('applies a floor chosen from the run: audited, it becomes the effective floor (API, engine inputs), with who and why', async () => {
    const before = await call('adam', 'GET', '/api/tuning');
    expect(before.body.floor).toEqual({ value: 3, configured: 3, source: 'configuration', at: null, actor: null, reason: null, runId: null });
    const applied = await call('adam', 'POST', '/api/tuning/floor', { value: 0.5, reason: 'five a day agreed with the SOC', runId });
    expect(applied.status).toBe(200);
    expect(applied.body).toMatchObject({ value: 0.5, configured: 3, source: 'chosen', actor: 'adam.admin', reason: 'five a day agreed with the SOC', runId });
    expect((await call('adam', 'GET', '/api/tuning')).body.floor).toMatchObject({ value: 0.5, source: 'chosen', actor: 'adam.admin' });
    const [entry] = await readAudit(ch, { action: 'tuning.apply' });
    expect(entry).toMatchObject({ actor: 'adam.admin', role: 'admin', target: 'scoring.alertFloor', details: { from: 3, to: 0.5, reason: 'five a day agreed with the SOC', runId } });
    // What `insider detect` starts from.
    expect(effectiveDetection(config.detection, await loadTuning(ch)).scoring.alertFloor).toBe(0.5);
  });

  it('a running live detector picks up a new floor without a restart, and logs the change', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => void (lines.push(chunk.toString()), done()) });
    const detectorLog = createLogger({ level: 'info', destination: sink });
    let detector: LiveDetector | undefined;
    try {
      detector = await startLiveDetector({ config, kafka: createKafka(config.kafka, log), ch, log: detectorLog, settingsRefreshMs: 200 });
      const loaded = lines.map((l) => JSON.parse(l) as { msg: string; alertFloor?: number }).find((l) => l.msg === 'detection inputs loaded');
      expect(loaded?.alertFloor).toBe(0.5);
      expect((await call('adam', 'POST', '/api/tuning/floor', { value: 1, reason: 'a little more sensitive' })).status).toBe(200);
      const changed = await waitUntil('the detector to log the new floor', async () =>
        lines.map((l) => JSON.parse(l) as { msg: string; from?: number; to?: number; by?: string; reason?: string }).find((l) => l.msg.startsWith('alert floor changed')),
      60_000, 100);
      expect(changed).toMatchObject({ from: 0.5, to: 1, by: 'adam.admin', reason: 'a little more sensitive' });
    } finally {
      await detector?.stop();
    }
  }, 120_000);

  it('refuses bad input with a message that says what is wrong, and changes nothing', async () => {
    const floor = async (payload: unknown) => {
      const r = await call('adam', 'POST', '/api/tuning/floor', payload);
      return `${r.status} ${r.body.error?.code}: ${r.body.error?.message}`;
    };
    expect(await floor({ value: 0, reason: 'x' })).toMatch(/^400 INVALID_REQUEST: body.value: an alert floor is above 0/);
    expect(await floor({ value: -1, reason: 'x' })).toMatch(/^400 INVALID_REQUEST: body.value: an alert floor is above 0/);
    expect(await floor({ value: 'NaN', reason: 'x' })).toMatch(/^400 INVALID_REQUEST: body.value: .*number/i);
    expect(await floor({ value: 5000, reason: 'x' })).toMatch(/^400 INVALID_REQUEST: body.value: at most 1,000/);
    expect(await floor({ value: 0.5 })).toMatch(/^400 INVALID_REQUEST: body.reason/);
    expect(await floor({ value: 0.5, reason: '   ' })).toBe('400 TRIAGE_INVALID: a reason is required');
    expect(await floor({ value: 0.0001, reason: 'x' })).toMatch(/^400 TRIAGE_INVALID: an alert floor rarer than the critical floor/);
    expect(await floor({ value: 0.5, reason: 'x', runId: 'tr_20200101000000_00000000' })).toBe('404 TRIAGE_NOT_FOUND: no tuning run tr_20200101000000_00000000');
    expect(await floor({ value: 0.5, reason: 'x', runId: "tr_1' OR 1=1" })).toMatch(/^400 INVALID_REQUEST: body.runId: expected a tuning run id/);
    expect((await loadTuning(ch)).alertFloor?.value).toBe(1);

    const run = async (payload: unknown) => {
      const r = await call('adam', 'POST', '/api/tuning/runs', payload);
      return `${r.status} ${r.body.error?.code}: ${r.body.error?.message}`;
    };
    expect(await run({ days: 0 })).toMatch(/^400 INVALID_REQUEST: body.days: at least 1/);
    expect(await run({ days: 91 })).toMatch(/^400 INVALID_REQUEST: body.days: at most 90/);
    expect(await run({ budget: -2 })).toMatch(/^400 INVALID_REQUEST: body.budget: a budget is above 0/);
    expect(await run({ floors: [1, 0] })).toMatch(/^400 INVALID_REQUEST: body.floors.1: an alert floor is above 0/);
    expect(await run({ from: '2026-10-01T00:00:00Z', to: '2026-09-01T00:00:00Z' })).toBe('400 TRIAGE_INVALID: the end of the period must be after its start');
    expect(await run({ from: '2026-01-01T00:00:00Z', to: '2026-06-01T00:00:00Z' })).toBe('400 TRIAGE_INVALID: a tuning run replays at most 90 days; this period is 151');
    expect(await run({ extra: 1 })).toMatch(/^400 INVALID_REQUEST/);
    const unknown = await call('adam', 'GET', '/api/tuning/runs/tr_20200101000000_00000000');
    expect([unknown.status, unknown.body.error?.message]).toEqual([404, 'no tuning run tr_20200101000000_00000000']);
    expect((await call('adam', 'GET', '/api/tuning/runs/nope')).status).toBe(400);
    // Only the one good run was ever started.
    expect((await readAudit(ch, { action: 'tuning.run' })).length).toBe(1);
  });
});
