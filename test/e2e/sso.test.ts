// Single sign-on end to end, in Debian's Chromium against a real OpenID provider (zitadel/oidc's example
// provider, built here from the Go module proxy, with a groups claim): an analyst signs in through the
// provider's login page (authorization code flow with PKCE), gets the analyst role from the "secops" group,
// acts on an alert (a POST with the session's CSRF token), signs out, and the session's cookie is refused
// afterwards. Someone in the auditors group is a viewer; someone in no mapped group is refused with a
// reason; a cross-site POST carrying the cookie without the CSRF token is refused. Screenshots of the
// sign-in go to artifacts/e2e/ (docs/ has copies).
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { writeAlerts } from '../../src/alerts';
import { startApi, type RunningApi } from '../../src/api';
import { loadConfig, type Config } from '../../src/config';
import { CHROMIUM_PATH } from '../../src/local-services';
import { createLogger } from '../../src/log';
import { createClickHouse, ident, migrate, sql, type ClickHouse } from '../../src/store';
import { listSessions, readAudit } from '../../src/triage';
import { ADMIN_TOKEN, DAY, PSEUDONYM_KEY, syntheticAlert } from '../helpers/api-fixture';
import { uniqueName } from '../helpers/env';
import { startProvider, type OidcProvider } from '../helpers/oidc-provider';

const log = createLogger({ level: process.env.E2E_LOG ?? 'silent' });
const SHOTS = path.resolve(__dirname, '..', '..', 'artifacts', 'e2e');
const PROVIDER_PORT = 27101;
const API_PORT = 27102;
const API = `http://127.0.0.1:${API_PORT}`;
const SAM = { id: 'u-sam', username: 'sam.secops', password: 'sam-password-1', email: 'sam@corp.example', groups: ['staff', 'secops'] };
const AUD = { id: 'u-aud', username: 'ada.auditor', password: 'ada-password-1', email: 'ada@corp.example', groups: ['auditors'] };
const NOBODY = { id: 'u-nob', username: 'nico.nobody', password: 'nico-password-1', email: 'nico@corp.example', groups: ['staff'] };
const COOKIE = '__Host-insider_session';

describe('single sign-on in Chromium against a real OpenID provider', () => {
  const database = uniqueName('e2e_sso');
  let admin: ClickHouse;
  let ch: ClickHouse;
  let provider: OidcProvider;
  let api: RunningApi;
  let browser: Browser;
  const problems: string[] = [];
  const alert = syntheticAlert('ana@corp.example', DAY, { id: 'al_20990101_5500000001' });

  const newPage = async (): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const page = await context.newPage();
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (m) => {
      // Refused requests are checked by their address below, not by Chromium's line about them.
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
    });
    page.on('response', (r) => {
      if (r.status() < 400) return;
      const url = r.url();
      // Expected: the provider's missing favicon.
      if (r.status() === 404 && url === `http://127.0.0.1:${PROVIDER_PORT}/favicon.ico`) return;
      problems.push(`${r.status()} ${url}`);
    });
    return { context, page };
  };
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`) });

  /** From the dashboard's sign-in page through the provider's login form, back to the dashboard. */
  const signIn = async (page: Page, who: { username: string; password: string }, screenshots = false) => {
    await page.goto(`${API}/#/signin`);
    const button = page.getByTestId('sso-signin');
    await button.waitFor();
    if (screenshots) await shot(page, 'sso-signin');
    await button.click();
    await page.waitForURL(new RegExp(`^http://127\\.0\\.0\\.1:${PROVIDER_PORT}/login/username`));
    await page.locator('#username').fill(who.username);
    await page.locator('#password').fill(who.password);
    if (screenshots) await shot(page, 'sso-provider-login');
    await page.getByRole('button', { name: 'Login' }).click();
  };

  beforeAll(async () => {
    const base = loadConfig().config;
    admin = createClickHouse(base.clickhouse, { database: 'default' });
    ch = createClickHouse(base.clickhouse, { database });
    await migrate(admin, ch);
    await writeAlerts(ch, [alert]);
    provider = await startProvider({ port: PROVIDER_PORT, redirectUri: `${API}/auth/callback`, users: [SAM, AUD, NOBODY] });
    const config: Config = {
      ...base,
      clickhouse: { ...base.clickhouse, database },
      api: {
        ...base.api,
        host: '127.0.0.1',
        port: API_PORT,
        publicUrl: API,
        pseudonymize: true,
        pseudonymKey: PSEUDONYM_KEY,
        adminToken: ADMIN_TOKEN,
        rateLimit: { max: 10_000, windowMs: 60_000 },
        sso: {
          issuer: provider.issuer,
          clientId: provider.clientId,
          clientSecret: provider.clientSecret,
          scopes: ['openid', 'profile', 'email'],
          usernameClaim: 'preferred_username',
          groupsClaim: 'groups',
          roles: { admin: ['insider-admins'], analyst: ['secops'], viewer: ['auditors'] },
          sessionMinutes: 60,
          secureCookies: true,
        },
      },
    };
    api = await startApi({ config, ch, log });
    fs.mkdirSync(SHOTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await provider?.stop();
    await admin?.exec(sql`DROP DATABASE IF EXISTS ${ident(database)}`);
    await ch?.close();
    await admin?.close();
  }, 120_000);

  it('signs in through the provider, takes the analyst role from the secops group, acts, signs out, and the session is refused afterwards', async () => {
    const { context, page } = await newPage();
    await signIn(page, SAM, true);
    // Back on the dashboard, signed in: the cases queue (the default page) with the alert's case, the name
    // and role in the navigation; the alert queue one click away.
    await page.waitForURL(new RegExp(`^${API}/#/cases`));
    await page.locator(`tr[data-case-id="${alert.alertId}"]`).waitFor();
    await page.locator('nav[aria-label="Main"] a', { hasText: /^Alerts$/ }).click();
    await page.getByRole('table', { name: 'Alerts' }).waitFor();
    await page.locator(`tr[data-alert-id="${alert.alertId}"]`).waitFor();
    await page.getByText('sam.secops').first().waitFor();
    await shot(page, 'sso-signed-in');

    // The session is a server-side session in an HttpOnly, Secure, SameSite=Lax __Host- cookie; no token in the page.
    const [cookie] = (await context.cookies(API)).filter((c) => c.name === COOKIE);
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
    expect(await page.evaluate('document.cookie')).toBe('');
    expect(await page.evaluate('Object.keys(sessionStorage)')).toEqual([]);
    const me = (await (await fetch(`${API}/api/me`, { headers: { cookie: `${COOKIE}=${cookie.value}` } })).json()) as { name: string; role: string; credential: string };
    expect(me).toMatchObject({ name: 'sam.secops', role: 'analyst', credential: 'session' });
    const [session] = await listSessions(ch, 'sam.secops');
    expect(session).toMatchObject({ issuer: provider.issuer, subject: SAM.id, groups: ['staff', 'secops'], revokedAt: null });

    // An analyst's action from the dashboard: a POST on the session, with its CSRF token.
    await page.locator(`tr[data-alert-id="${alert.alertId}"] a`).first().click();
    await page.getByRole('button', { name: /^Acknowledge/ }).click();
    await page.getByText(/acknowledged/i).first().waitFor();
    const acked = await readAudit(ch, { action: 'alert.acknowledge' });
    expect(acked.map((e) => [e.actor, e.role, e.target])).toEqual([['sam.secops', 'analyst', alert.alertId]]);
    // The same cookie from another site's form (no CSRF token): refused, and audited.
    const forged = await fetch(`${API}/api/alerts/${alert.alertId}/notes`, {
      method: 'POST',
      headers: { cookie: `${COOKIE}=${cookie.value}`, 'content-type': 'application/json', origin: 'https://evil.example' },
      body: JSON.stringify({ note: 'forged' }),
    });
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { error: { details: { reason: string } } }).error.details.reason).toBe('csrf');

    // Sign out: the server ends the session; the old cookie is refused from then on.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('Signed out: the session was ended').waitFor();
    await shot(page, 'sso-signed-out');
    expect((await context.cookies(API)).filter((c) => c.name === COOKIE)).toEqual([]);
    const after = await fetch(`${API}/api/me`, { headers: { cookie: `${COOKIE}=${cookie.value}` } });
    expect(after.status).toBe(401);
    expect(((await after.json()) as { error: { details: { reason: string } } }).error.details.reason).toBe('revoked');
    // Reloading the dashboard does not bring the session back.
    await page.goto(`${API}/#/alerts`);
    await page.waitForURL(/#\/signin/);
    const trail = (await readAudit(ch, { actor: 'sam.secops' })).map((e) => e.action).reverse();
    expect(trail).toEqual(expect.arrayContaining(['session.start', 'alert.acknowledge', 'access.denied', 'session.end']));
    expect((await readAudit(ch, { action: 'user.create' })).map((e) => [e.actor, e.target, e.details])).toEqual([['sso', 'sam.secops', { role: 'analyst' }]]);
    await context.close();
    expect(problems.splice(0)).toEqual([]);
  });

  it('maps the auditors group to viewer, and refuses someone in no mapped group with a reason', async () => {
    const { context, page } = await newPage();
    await signIn(page, AUD);
    await page.waitForURL(new RegExp(`^${API}/#/cases`));
    await page.getByText('ada.auditor').first().waitFor();
    const me = await page.evaluate(async () => (await (await fetch('/api/me')).json()) as { role: string });
    expect(me.role).toBe('viewer');
    // A viewer's POST is refused for the role, even with the CSRF token.
    await context.close();

    const other = await newPage();
    await signIn(other.page, NOBODY);
    await other.page.waitForURL(/#\/signin\?sso=no_role/);
    await other.page.getByTestId('sso-error').getByText('You are in none of the groups').waitFor();
    await shot(other.page, 'sso-no-role');
    expect((await other.context.cookies(API)).filter((c) => c.name === COOKIE)).toEqual([]);
    const failed = await readAudit(ch, { action: 'auth.failed' });
    expect(failed.map((e) => [e.actor, e.details.why])).toContainEqual(['nico.nobody', 'no_role']);
    await other.context.close();
    expect(problems.splice(0)).toEqual([]);
  });
});
