// What leaves the API, and to whom, on the real ClickHouse, tried as a viewer who wants more than their
// role gives: lists carry no evidence (it is reached one alert at a time, audited); the audit trail is
// for admins in every form, the report files that hold it included; a report file is read only inside
// its folder whatever its manifest says, and `report verify` rejects links and extra files; text from
// the logs comes without bidirectional controls; HSTS when configured; and a page's link opens the
// alert in the dashboard.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { writeAlerts } from '../../src/alerts';
import { buildApi, startApi, type ApiApp } from '../../src/api';
import { MS_PER_DAY } from '../../src/calendar';
import type { Config } from '../../src/config';
import { storeDirectory } from '../../src/directory';
import { CHROMIUM_PATH } from '../../src/local-services';
import { createLogger } from '../../src/log';
import { pageOf } from '../../src/notify';
import { sha256 } from '../../src/report';
import { sql, type ClickHouse } from '../../src/store';
import { createRegistry } from '../../src/telemetry';
import { audit, createPseudonyms, createToken, createUser, readAudit, type Role } from '../../src/triage';
import { apiTestConfig, directory, PEOPLE, PSEUDONYM_KEY, syntheticAlert } from '../helpers/api-fixture';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';

const log = createLogger({ level: 'silent' });
const bin = path.join(__dirname, '..', '..', 'bin', 'insider.js');
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

describe('what the API discloses, and to whom (real ClickHouse)', () => {
  const base = testConfig();
  const database = uniqueName('itapi_disclose');
  let admin: ClickHouse;
  let ch: ClickHouse;
  let config: Config;
  let app: ApiApp;
  let work: string;
  const day = Math.floor(Date.now() / MS_PER_DAY) - 1;
  const PLAIN = 'al_20260101_00000000b1';
  const TROJAN = 'al_20260101_00000000b2';
  const RLO_TABLE = 'crm.\u202esremotsuc\u202c';
  const pseudonym = createPseudonyms({ enabled: true, key: PSEUDONYM_KEY }).of(PEOPLE[0]);
  const tokens: Record<Role, string> = { viewer: '', analyst: '', admin: '' };

  const as = (who: Role, method: 'GET' | 'POST', url: string, payload?: object) =>
    app.inject({ method, url, headers: { authorization: `Bearer ${tokens[who]}` }, ...(payload !== undefined ? { payload } : {}) });

  beforeAll(async () => {
    ({ admin, ch } = await freshDatabase(database, base.clickhouse));
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'insider-api-disclose-'));
    fs.writeFileSync(path.join(work, 'tables.csv'), 'database,table,sensitivity\ncrm,customers,pii\n');
    config = apiTestConfig(database, {}, {
      detection: { ...base.detection, catalogFile: path.join(work, 'tables.csv'), allowlistFile: '' },
      reports: { ...base.reports, outputDir: path.join(work, 'reports'), formats: ['html', 'json', 'csv'] },
    });
    await storeDirectory(ch, directory(), { source: 'test', checksum: 'test' });
    await writeAlerts(ch, [
      syntheticAlert(PEOPLE[0], day, { id: PLAIN, session: 'export-session-7f3a', app: 'DBeaver 23.1' }),
      syntheticAlert(PEOPLE[1], day - 1, { id: TROJAN, tables: [RLO_TABLE], session: 'se\u2067ss\u2069ion', app: 'psql\u200f' }),
    ]);
    app = await buildApi({ config, ch, log, registry: createRegistry({ defaultMetrics: false }) });
    const deps = { ch, pseudonyms: createPseudonyms({ enabled: false, key: undefined }) };
    const root = { name: 'admin', role: 'admin' as const, sourceIp: '127.0.0.1', requestId: 'setup' };
    for (const [name, role] of [['val.viewer', 'viewer'], ['ann.analyst', 'analyst'], ['abe.admin', 'admin']] as const) {
      await createUser(deps, root, name, role);
      tokens[role] = (await createToken(deps, root, name, 1)).token;
    }
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await dropDatabase(database, { admin, ch });
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('lists alerts without explanation, findings or evidence; the evidence comes only from the audited view of one alert', async () => {
    const evidence = ['export-session-7f3a', 'DBeaver 23.1', '10.9.9.9', 'crm.customers', 'ev-trigger-1'];
    const list = await as('viewer', 'GET', '/api/alerts');
    expect(list.statusCode).toBe(200);
    const items = (list.json() as { items: Array<Record<string, unknown>> }).items;
    expect(items.map((a) => a.alertId)).toEqual([PLAIN, TROJAN]);
    for (const key of ['explanation', 'findings', 'evidence', 'triggerEventId']) expect(items[0]).not.toHaveProperty(key);
    for (const e of evidence) expect(list.body).not.toContain(e);
    // The employee page lists the same summaries.
    const employee = await as('viewer', 'GET', `/api/employees/${pseudonym}`);
    expect(employee.statusCode).toBe(200);
    for (const e of evidence) expect(employee.body).not.toContain(e);
    expect(await readAudit(ch, { action: 'alert.view' })).toEqual([]);

    const one = await as('viewer', 'GET', `/api/alerts/${PLAIN}`);
    for (const e of evidence) expect(one.body).toContain(e);
    expect(await readAudit(ch, { action: 'alert.view' })).toEqual([expect.objectContaining({ actor: 'val.viewer', target: PLAIN })]);
  });

  it('gives the audit trail to admins only in every form: /api/audit and the report files that hold it', async () => {
    expect((await as('viewer', 'GET', '/api/audit')).statusCode).toBe(403);
    // Yesterday's trail, which the report of the last complete day carries.
    await audit(ch, { at: day * MS_PER_DAY + 13 * 3_600_000, actor: 'ann.analyst', role: 'analyst', action: 'pseudonym.reveal', target: pseudonym, sourceIp: '10.20.30.40', requestId: 'r-1', details: { found: true } });
    const made = await as('analyst', 'POST', '/api/reports', { period: 'day' });
    expect(made.statusCode).toBe(200);
    const report = made.json() as { schedule: string; day: string };
    const url = (file: string) => `/api/reports/${report.schedule}/${report.day}/files/${file}`;
    const trailFiles = ['csv/audit.csv', 'report.json', 'report.html'];

    for (const file of trailFiles) {
      const res = await as('viewer', 'GET', url(file));
      expect(`${file}: ${res.statusCode}`).toBe(`${file}: 403`);
      expect(res.body).not.toContain('pseudonym.reveal');
      expect(res.body).not.toContain('10.20.30.40');
    }
    expect((await as('viewer', 'GET', url('csv/alerts.csv'))).statusCode).toBe(200);
    const listed = (await as('viewer', 'GET', '/api/reports')).json() as { items: Array<{ files: Array<{ path: string }> }> };
    const viewerFiles = listed.items[0].files.map((f) => f.path);
    expect(viewerFiles).toContain('csv/alerts.csv');
    for (const file of trailFiles) expect(viewerFiles).not.toContain(file);
    const denied = await readAudit(ch, { action: 'access.denied', actor: 'val.viewer' });
    expect(denied.map((d) => d.details.file)).toEqual(expect.arrayContaining(trailFiles.map((f) => `${report.schedule}/${report.day}/${f}`)));

    // Admins read it, and it is the trail: who revealed whom, from where.
    const auditCsv = await as('admin', 'GET', url('csv/audit.csv'));
    expect(auditCsv.statusCode).toBe(200);
    expect(auditCsv.body).toContain('pseudonym.reveal');
    expect(auditCsv.body).toContain('10.20.30.40');
    const adminFiles = ((await as('admin', 'GET', '/api/reports')).json() as { items: Array<{ files: Array<{ path: string }> }> }).items[0].files.map((f) => f.path);
    expect(adminFiles).toEqual(expect.arrayContaining(trailFiles));
  });

  it("reads a report file only inside the report's folder, whatever the manifest names; report verify rejects links and extra files", async () => {
    const [report] = ((await as('admin', 'GET', '/api/reports')).json() as { items: Array<{ schedule: string; day: string }> }).items;
    const dir = path.join(work, 'reports', report.schedule, report.day);
    const hostname = fs.readFileSync('/etc/hostname');
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { files: Array<{ path: string; bytes: number; sha256: string }> };
    const traversal = '../../../../../../../../../../../../etc/hostname';
    manifest.files.push({ path: traversal, bytes: hostname.length, sha256: sha256(hostname) });
    // A link inside the folder, named by the manifest with the right size and hash.
    fs.symlinkSync('/etc/hostname', path.join(dir, 'csv', 'hosts.csv'));
    manifest.files.push({ path: 'csv/hosts.csv', bytes: hostname.length, sha256: sha256(hostname) });
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));

    for (const file of [encodeURIComponent(traversal), traversal.replace(/\//g, '%2f'), 'csv/hosts.csv']) {
      for (const who of ['viewer', 'admin'] as const) {
        const res = await as(who, 'GET', `/api/reports/${report.schedule}/${report.day}/files/${file}`);
        expect(`${who} ${file}: ${res.statusCode}`).toMatch(/: (400|403|404)$/);
        expect(res.rawPayload.includes(hostname)).toBe(false);
      }
    }

    const verify = spawnSync(process.execPath, [bin, 'report', 'verify', dir], { encoding: 'utf8', env: { ...process.env, INSIDER_LOG_LEVEL: 'warn' }, timeout: 60_000 });
    expect(verify.status).not.toBe(0);
    const said = verify.stdout + verify.stderr;
    expect(said).toContain('csv/hosts.csv: a symbolic link');
    expect(said).toContain('"../../../../../../../../../../../../etc/hostname": not a plain relative path');

    // Without the links, an extra file is still refused.
    fs.rmSync(path.join(dir, 'csv', 'hosts.csv'));
    manifest.files = manifest.files.filter((f) => f.path !== traversal && f.path !== 'csv/hosts.csv');
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
    fs.writeFileSync(path.join(dir, 'csv', 'extra.csv'), 'x\n');
    const extra = spawnSync(process.execPath, [bin, 'report', 'verify', dir], { encoding: 'utf8', env: { ...process.env, INSIDER_LOG_LEVEL: 'warn' }, timeout: 60_000 });
    expect(extra.status).not.toBe(0);
    expect(extra.stdout + extra.stderr).toContain('csv/extra.csv: not in the manifest');
  });

  it('shows text from the logs without bidirectional controls, in the alert, its evidence and findings', async () => {
    const res = await as('viewer', 'GET', `/api/alerts/${TROJAN}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toMatch(BIDI);
    const a = res.json() as { explanation: string; evidence: { topTables: Array<{ table: string }>; sessions: { top: Array<{ id: string }> }; apps: Array<{ app: string }> } };
    expect(a.evidence.topTables[0].table).toBe('crm.sremotsuc');
    expect(a.evidence.sessions.top[0].id).toBe('session');
    expect(a.evidence.apps[0].app).toBe('psql');
    expect(a.explanation).toContain('crm.sremotsuc');
    // Stored as it came: only what is shown is cleaned.
    const stored = await ch.query<{ evidence: string }>(sql`SELECT evidence FROM alerts WHERE alert_id = ${TROJAN}`);
    expect(JSON.parse(stored[0].evidence).topTables[0].table).toBe(RLO_TABLE);
  });

  it('sends Strict-Transport-Security when configured for a deployment behind TLS, and not by default', async () => {
    expect((await as('viewer', 'GET', '/api/me')).headers['strict-transport-security']).toBeUndefined();
    const tls = await buildApi({ config: { ...config, api: { ...config.api, hsts: { maxAgeSeconds: 31_536_000, includeSubDomains: true } } }, ch, log, registry: createRegistry({ defaultMetrics: false }) });
    try {
      for (const url of ['/', '/healthz', '/api/me']) {
        const res = await tls.inject({ method: 'GET', url, headers: { authorization: `Bearer ${tokens.viewer}` } });
        expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
      }
    } finally {
      await tls.close();
    }
  });

  it("links every page to the dashboard's page of the alert: opened in Chromium, it shows the alert", async () => {
    const api = await startApi({ config: { ...config, api: { ...config.api, host: '127.0.0.1', port: 21311 } }, ch, log, registry: createRegistry({ defaultMetrics: false }) });
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    try {
      const revision = { alertId: PLAIN, revision: 1, user: PEOPLE[0], severity: 'high' as const, score: 80, detectors: ['volumeSelf'], observedBytes: 1, ratio: 1, windowStart: 0, windowEnd: 1, firedAt: 0, updatedAtWall: 0 };
      const { link } = pageOf(revision, { who: () => pseudonym, baseUrl: api.url });
      // The responder follows the page's link in a new tab: the dashboard's shell, its sign-in, then the alert.
      const page = await browser.newPage();
      const res = await page.goto(link);
      expect(res?.status()).toBe(200);
      await page.getByLabel('Access token').fill(tokens.viewer);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator(`[data-alert-id="${PLAIN}"]`).first().waitFor({ timeout: 20_000 });
      await page.getByRole('heading', { name: 'Evidence' }).waitFor();
      expect(await page.locator('main').innerText()).toContain(pseudonym);
    } finally {
      await browser.close();
      await api.close();
    }
  }, 60_000);
});
