// What the dashboard reads beyond the triage routes, on real ClickHouse: the alert's hours and the usual
// volume by hour, the peers' daily range, the employee page, the reports (written on request, listed,
// downloaded only as their manifest names them, audited), and the static shell served without a token
// under a strict Content-Security-Policy.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listAlerts, writeAlerts, type AlertRecord } from '../../src/alerts';
import { buildApi, type ApiApp } from '../../src/api';
import { DASHBOARD_DIR } from '../../src/api/dashboard';
import { dateString, isWeekend, MS_PER_DAY } from '../../src/calendar';
import { backfill } from '../../src/detect/backfill';
import { engineFor } from '../../src/detect/setup';
import { loadEngineInputs } from '../../src/triage/detector-inputs';
import { storeDirectory } from '../../src/directory';
import { createLogger } from '../../src/log';
import { type ClickHouse } from '../../src/store';
import { createRegistry } from '../../src/telemetry';
import { createPseudonyms, createToken, createUser, readAudit } from '../../src/triage';
import { ACTOR, apiTestConfig, CHUNK, CHUNKS, DAY, directory, events, PSEUDONYM_KEY } from '../helpers/api-fixture';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';

const log = createLogger({ level: 'silent' });

interface Series {
  alertDay: string;
  days: Array<{ day: string; bytes: number }>;
  peers: { group: string; n: number; days: Array<{ day: string; low: number | null; median: number | null; high: number | null }> } | null;
  hours: Array<{ hour: string; bytes: number }>;
  band: { median: number; low: number; high: number; kind: string } | null;
  hourBand: Array<{ hourOfDay: number; median: number; high: number }> | null;
  window: { start: string; end: string };
}

describe('the dashboard routes (real ClickHouse)', () => {
  const base = testConfig();
  const database = uniqueName('itapi_dash');
  let admin: ClickHouse;
  let ch: ClickHouse;
  let app: ApiApp;
  let work: string;
  let alert: AlertRecord;
  const pseudonym = createPseudonyms({ enabled: true, key: PSEUDONYM_KEY }).of(ACTOR);
  const tokens = { viewer: '', analyst: '' };
  const as = (who: keyof typeof tokens, method: 'GET' | 'POST', url: string, payload?: object) =>
    app.inject({ method, url, headers: { authorization: `Bearer ${tokens[who]}` }, ...(payload !== undefined ? { payload } : {}) });

  beforeAll(async () => {
    ({ admin, ch } = await freshDatabase(database, base.clickhouse));
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'insider-api-dash-'));
    fs.writeFileSync(path.join(work, 'tables.csv'), 'database,table,sensitivity\ncrm,customers,pii\nanalytics,kpi_daily,internal\n');
    const config = apiTestConfig(
      database,
      { rateLimit: { max: 10_000, windowMs: 60_000 } },
      {
        detection: { ...base.detection, catalogFile: path.join(work, 'tables.csv'), allowlistFile: '' },
        // PDF is tested with the reports; here the dashboard's listing and download matter.
        reports: { ...base.reports, outputDir: path.join(work, 'reports'), formats: ['html', 'json', 'csv'] },
      },
    );
    await storeDirectory(ch, directory(), { source: 'test', checksum: 'test' });
    await ch.insert('access_events', events());
    const engine = engineFor(ch, config.detection, await loadEngineInputs(ch, config.detection));
    await backfill(ch, engine, { from: DAY * MS_PER_DAY, to: (DAY + 1) * MS_PER_DAY }, (a) => writeAlerts(ch, a));
    [alert] = await listAlerts(ch, {});
    expect(alert.user).toBe(ACTOR);

    app = await buildApi({ config, ch, log, registry: createRegistry({ defaultMetrics: false }) });
    const deps = { ch, pseudonyms: createPseudonyms({ enabled: true, key: PSEUDONYM_KEY }) };
    const root = { name: 'test', role: 'admin' as const, sourceIp: '127.0.0.1', requestId: 'test' };
    for (const role of ['viewer', 'analyst'] as const) {
      await createUser(deps, root, `dash.${role}`, role);
      tokens[role] = (await createToken(deps, root, `dash.${role}`, 1)).token;
    }
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await dropDatabase(database, { admin, ch });
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it("gives the alert's 48 hours with the export in them, the usual volume by hour, and the peers' range", async () => {
    const res = await as('viewer', 'GET', `/api/alerts/${alert.alertId}/series?days=30`);
    expect(res.statusCode).toBe(200);
    const s = res.json() as Series;
    expect(s.alertDay).toBe(dateString(DAY));
    expect(s.window).toEqual({ start: new Date(alert.windowStart).toISOString(), end: new Date(alert.windowEnd).toISOString() });
    // The band is the one the detector judged the day against (every fixture day is active, weekends too).
    expect(s.band).toMatchObject({ kind: isWeekend(DAY) ? 'weekend' : 'weekday' });

    // 48 whole hours ending with the alert day; the export (noon, 30 s apart: 12:00-12:19:30) is in 12:00.
    expect(s.hours).toHaveLength(48);
    expect(s.hours[0].hour).toBe(new Date((DAY - 1) * MS_PER_DAY).toISOString());
    const byHour = new Map(s.hours.map((h) => [h.hour, h.bytes]));
    expect(byHour.get(new Date(DAY * MS_PER_DAY + 12 * 3_600_000).toISOString())).toBe(CHUNKS * CHUNK);
    expect(s.hours.reduce((t, h) => t + h.bytes, 0)).toBe(s.days[29].bytes + s.days[28].bytes);

    // Usual by hour: office hours (09:00-15:18, ten queries 0.7 h apart) are active, nights are quiet.
    expect(s.hourBand).toHaveLength(24);
    expect(s.hourBand![10].median).toBeGreaterThan(0);
    expect(s.hourBand![3]).toEqual({ hourOfDay: 3, median: 0, high: 0 });
    expect(s.hourBand![12].high).toBeLessThan(CHUNKS * CHUNK / 100);

    // Peers: the five other analysts, ~80-125 MB on each history day; nobody but ana exported.
    expect(s.peers).toMatchObject({ group: 'Analytics/data_analyst', n: 5 });
    const history = s.peers!.days.slice(1, 29); // the 28 history days (the first of the 30 has none)
    for (const d of history) {
      expect(d.low).toBeGreaterThanOrEqual(80_000_000);
      expect(d.high).toBeLessThanOrEqual(125_000_000);
      expect(d.low!).toBeLessThanOrEqual(d.median!);
    }
    expect(s.peers!.days[29].high).toBe(9_000_000);
  });

  it('shows an employee page by pseudonym: 90 days, the band, and their alerts; audited', async () => {
    const res = await as('viewer', 'GET', `/api/employees/${pseudonym}`);
    expect(res.statusCode).toBe(200);
    const e = res.json() as { user: string; department: string; days: Array<{ day: string; bytes: number }>; band: unknown; alerts: Array<{ alertId: string; user: string }> };
    expect(e).toMatchObject({ user: pseudonym, department: 'Analytics', role: 'data_analyst' });
    expect(e.days).toHaveLength(90);
    expect(e.days.find((d) => d.day === dateString(DAY))!.bytes).toBe(CHUNKS * CHUNK + 9_000_000);
    expect(e.band).not.toBeNull();
    expect(e.alerts.map((a) => a.alertId)).toEqual([alert.alertId]);
    expect(res.body).not.toContain(ACTOR);
    expect((await as('viewer', 'GET', '/api/employees/emp-0000000000')).statusCode).toBe(404);
    expect((await as('viewer', 'GET', `/api/employees/${encodeURIComponent(ACTOR)}`)).statusCode).toBe(400);
    const trail = await readAudit(ch, { action: 'employee.view', limit: 10 });
    expect(trail.map((t) => [t.actor, t.target])).toContainEqual(['dash.viewer', pseudonym]);
  });

  it('writes a report on request (analyst), lists it, and serves only the files its manifest names', async () => {
    expect((await as('viewer', 'POST', '/api/reports', { period: 'week' })).statusCode).toBe(403);
    const made = await as('analyst', 'POST', '/api/reports', { period: 'week' });
    expect(made.statusCode).toBe(200);
    const report = made.json() as { schedule: string; day: string; period: { kind: string }; files: Array<{ path: string; bytes: number; url: string }> };
    expect(report).toMatchObject({ schedule: 'on-demand-week', period: { kind: 'week' } });
    // The analyst is given the files their role may read: not those holding the audit trail (admin).
    expect(report.files.map((f) => f.path)).toEqual(expect.arrayContaining(['csv/alerts.csv', 'csv/top-users.csv', 'manifest.json']));
    for (const f of ['report.html', 'report.json', 'csv/audit.csv']) expect(report.files.map((x) => x.path)).not.toContain(f);

    const listed = (await as('viewer', 'GET', '/api/reports')).json() as { items: Array<{ schedule: string; day: string }> };
    expect(listed.items).toEqual([expect.objectContaining({ schedule: report.schedule, day: report.day })]);

    const csv = report.files.find((f) => f.path === 'csv/alerts.csv')!;
    const got = await as('viewer', 'GET', csv.url);
    expect(got.statusCode).toBe(200);
    expect(got.headers['content-type']).toMatch(/^text\/csv/);
    expect(got.headers['content-disposition']).toBe(`attachment; filename="${report.schedule}-${report.day}-alerts.csv"`);
    expect(got.rawPayload.length).toBe(csv.bytes);
    expect((await readAudit(ch, { action: 'report.download', limit: 10 })).map((t) => t.target)).toContain(`${report.schedule}/${report.day}/csv/alerts.csv`);

    // Anything the manifest does not name is refused, however it is spelled.
    fs.writeFileSync(path.join(work, 'reports', report.schedule, report.day, 'extra.txt'), 'not in the manifest');
    for (const file of ['extra.txt', '../../tables.csv', '..%2F..%2Ftables.csv']) {
      const res = await as('viewer', 'GET', `/api/reports/${report.schedule}/${report.day}/files/${file}`);
      expect(`${file}: ${res.statusCode}`).toMatch(/: (400|403|404)$/);
      expect(res.body).not.toContain('sensitivity');
    }
    expect((await as('viewer', 'GET', `/api/reports/..%2F..%2Fetc/${report.day}/files/report.html`)).statusCode).toBe(400);
  });

  it('serves the dashboard shell and its assets without a token, under a strict Content-Security-Policy', async () => {
    const index = fs.readFileSync(path.join(DASHBOARD_DIR, 'index.html'), 'utf8');
    const shell = await app.inject({ method: 'GET', url: '/' });
    expect(shell.statusCode).toBe(200);
    expect(shell.body).toBe(index);
    expect(shell.headers['content-security-policy']).toContain("script-src 'self'");
    expect(shell.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(shell.headers['cache-control']).toBe('no-store');

    const asset = /src="\.\/assets\/([^"]+\.js)"/.exec(index)![1];
    const js = await app.inject({ method: 'GET', url: `/assets/${asset}` });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.headers['cache-control']).toContain('immutable');
    expect((await app.inject({ method: 'GET', url: '/assets/..%2F..%2Fpackage.json' })).statusCode).toBe(404);
    // The data is not public: the API behind the shell still wants a token.
    expect((await app.inject({ method: 'GET', url: '/api/alerts' })).statusCode).toBe(401);
  });
});
