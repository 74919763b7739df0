// Dashboard sessions (single sign-on's credential) as an attacker would probe them, on the real
// ClickHouse, through the HTTP API: a session cookie lets its user in with their current role; a POST on it
// without the session's CSRF token is refused (and audited) whatever else it carries; a forged, expired or
// signed-out session is refused with the reason; disabling the user ends every session at once; a bearer
// token wins over a cookie. And the sign-in routes refuse what does not come from a sign-in started here.
import { writeAlerts } from '../../src/alerts';
import { buildApi, type ApiApp } from '../../src/api';
import { MS_PER_DAY } from '../../src/calendar';
import { createLogger } from '../../src/log';
import { type ClickHouse } from '../../src/store';
import { createRegistry } from '../../src/telemetry';
import { createPseudonyms, csrfTokenOf, listSessions, readAudit, signInWithIdentity, startSession, type TriageDeps } from '../../src/triage';
import { ADMIN_TOKEN, apiTestConfig, PEOPLE, PSEUDONYM_KEY, syntheticAlert } from '../helpers/api-fixture';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';

const log = createLogger({ level: 'silent' });
const COOKIE = '__Host-insider_session';
const ALERT = 'al_20260101_00000000b1';
const from = { sourceIp: '127.0.0.1', requestId: 'test' };

describe('dashboard sessions: a credential of the user model (real ClickHouse)', () => {
  const base = testConfig();
  const database = uniqueName('itapi_sessions');
  let admin: ClickHouse;
  let ch: ClickHouse;
  let app: ApiApp;
  let deps: TriageDeps;

  const call = async (method: 'GET' | 'POST', url: string, headers: Record<string, string> = {}, payload?: object) => {
    const res = await app.inject({ method, url, headers, ...(method === 'POST' ? { payload: payload ?? {} } : {}) });
    const body = (res.body ? res.json() : {}) as Record<string, unknown> & { error?: { details?: { reason?: string } } };
    return { status: res.statusCode, body, headers: res.headers };
  };
  const withCookie = (secret: string, more: Record<string, string> = {}) => ({ cookie: `${COOKIE}=${secret}`, ...more });
  const reason = async (secret: string) => {
    const r = await call('GET', '/api/me', withCookie(secret));
    return r.status === 200 ? null : `${r.status} ${r.body.error?.details?.reason}`;
  };
  const signIn = (name: string, role: 'viewer' | 'analyst' | 'admin', minutes = 60) =>
    signInWithIdentity(deps, { name, role, issuer: 'https://idp.example/', subject: `sub-${name}`, groups: [`g-${role}`] }, from, minutes * 60_000);

  beforeAll(async () => {
    ({ admin, ch } = await freshDatabase(database, base.clickhouse));
    const config = apiTestConfig(database, {
      // On, towards an issuer nothing answers at: the callback's checks come before any request to it.
      sso: { ...base.api.sso, issuer: 'http://127.0.0.1:27199/', clientId: 'insider', clientSecret: 'x'.repeat(20), roles: { admin: [], analyst: ['secops'], viewer: [] } },
    });
    deps = { ch, pseudonyms: createPseudonyms({ enabled: true, key: PSEUDONYM_KEY }) };
    await writeAlerts(ch, [syntheticAlert(PEOPLE[0], Math.floor(Date.now() / MS_PER_DAY) - 1, { id: ALERT })]);
    app = await buildApi({ config, ch, log, registry: createRegistry({ defaultMetrics: false }) });
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await dropDatabase(database, { admin, ch });
  });

  it('lets a session in with its current role; a POST needs the CSRF token; a bearer token wins over the cookie', async () => {
    const s = await signIn('sol.sso', 'analyst');
    const me = await call('GET', '/api/me', withCookie(s.secret));
    expect(me.body).toEqual({ name: 'sol.sso', role: 'analyst', credential: 'session', csrfToken: csrfTokenOf(s.secret) });
    // A POST with the cookie alone (what another site's form or fetch can make the browser send): refused.
    const url = `/api/alerts/${ALERT}/notes`;
    for (const csrf of [undefined, '', 'x', csrfTokenOf(`${s.secret}x`)]) {
      const r = await call('POST', url, withCookie(s.secret, csrf === undefined ? {} : { 'x-insider-csrf': csrf }), { note: 'forged' });
      expect([r.status, r.body.error?.details?.reason]).toEqual([403, 'csrf']);
    }
    const denied = await readAudit(ch, { action: 'access.denied', actor: 'sol.sso' });
    expect(denied).toHaveLength(4);
    expect(denied[0]).toMatchObject({ target: `POST ${url.replace(ALERT, ':id')}`, details: { reason: 'csrf' } });
    expect((await call('POST', url, withCookie(s.secret, { 'x-insider-csrf': csrfTokenOf(s.secret) }), { note: 'real' })).status).toBe(200);
    // Reading needs no CSRF token.
    expect((await call('GET', `/api/alerts/${ALERT}`, withCookie(s.secret))).status).toBe(200);
    // A bearer token in the request wins: the cookie is not looked at (a bad token is a 401 even with a good cookie).
    const both = await call('GET', '/api/me', withCookie(s.secret, { authorization: `Bearer ${ADMIN_TOKEN}` }));
    expect(both.body).toMatchObject({ name: 'admin', credential: 'bootstrap' });
    expect((await call('GET', '/api/me', withCookie(s.secret, { authorization: 'Bearer ins_nope' }))).status).toBe(401);
    // The role is read afresh: a later sign-in with other groups changes it for this session too.
    await signIn('sol.sso', 'viewer');
    expect((await call('GET', '/api/me', withCookie(s.secret))).body).toMatchObject({ role: 'viewer' });
    expect((await call('POST', url, withCookie(s.secret, { 'x-insider-csrf': csrfTokenOf(s.secret) }), { note: 'as viewer' })).status).toBe(403);
  });

  it('refuses forged, expired and signed-out sessions with the reason, and audits the refusals', async () => {
    expect(await reason('ses_forged')).toBe('401 unknown');
    expect(await reason(`ses_${'A'.repeat(43)}`)).toBe('401 unknown');
    expect(await reason("ses_'; DROP TABLE api_sessions; --")).toBe('401 unknown');
    const now = Date.now();
    const old = await startSession(ch, { name: 'sol.sso', now: now - 2 * 3_600_000, expiresAt: now - 3_600_000, issuer: 'i', subject: 's', groups: [] });
    expect(await reason(old.secret)).toBe('401 expired');
    const s = await signIn('sol.sso', 'analyst');
    const out = await call('POST', '/api/me/sign-out', withCookie(s.secret, { 'x-insider-csrf': csrfTokenOf(s.secret) }));
    expect(out.body).toEqual({ sessionId: s.sessionId });
    expect(String(out.headers['set-cookie'])).toMatch(new RegExp(`^${COOKIE}=;.*Max-Age=0|Expires=Thu, 01 Jan 1970`));
    expect(await reason(s.secret)).toBe('401 revoked');
    expect((await readAudit(ch, { action: 'session.end' }))[0]).toMatchObject({ actor: 'sol.sso', details: { sessionId: s.sessionId, by: 'sign-out' } });
    await app.refusalAudit.flush();
    const failed = await readAudit(ch, { action: 'auth.failed', actor: 'sol.sso' });
    expect(failed.map((e) => e.details)).toEqual(expect.arrayContaining([{ reason: 'revoked', sessionId: s.sessionId }, { reason: 'expired', sessionId: old.sessionId }]));
    // Never the secret, nor its hash, in the trail.
    expect(JSON.stringify(await readAudit(ch))).not.toContain(s.secret.slice(4));
  });

  it('ends every session of a user who is disabled, and they stay ended when the user is enabled again', async () => {
    const a = await signIn('dee.sso', 'analyst');
    const b = await signIn('dee.sso', 'analyst');
    expect([await reason(a.secret), await reason(b.secret)]).toEqual([null, null]);
    const disabled = await call('POST', '/api/users/dee.sso/disable', { authorization: `Bearer ${ADMIN_TOKEN}` }, { reason: 'left' });
    expect(disabled.status).toBe(200);
    expect([await reason(a.secret), await reason(b.secret)]).toEqual(['401 disabled', '401 disabled']);
    // A disabled user cannot start a new session either.
    await expect(signIn('dee.sso', 'analyst')).rejects.toThrow(/disabled/);
    expect((await call('POST', '/api/users/dee.sso/enable', { authorization: `Bearer ${ADMIN_TOKEN}` })).status).toBe(200);
    expect([await reason(a.secret), await reason(b.secret)]).toEqual(['401 revoked', '401 revoked']);
    expect((await listSessions(ch, 'dee.sso')).every((x) => x.revokedAt !== null)).toBe(true);
    // The bootstrap admin's name cannot come from the identity provider.
    await expect(signIn('Admin', 'admin')).rejects.toThrow(/bootstrap admin/);
  });

  it('refuses a callback that was not started in this browser, and the identity provider’s refusal, with a reason code', async () => {
    expect((await call('GET', '/auth/sso')).body).toEqual({ enabled: true, session: false });
    const live = await signIn('liv.sso', 'analyst');
    expect((await call('GET', '/auth/sso', withCookie(live.secret))).body).toEqual({ enabled: true, session: true });
    expect((await call('GET', '/auth/sso', withCookie(`${live.secret.slice(0, -1)}x`))).body).toEqual({ enabled: true, session: false });
    const noState = await call('GET', '/auth/callback?code=abc&state=xyz');
    expect([noState.status, noState.headers.location]).toEqual([302, '/#/signin?sso=state']);
    const pending = Buffer.from(JSON.stringify({ state: 'good', nonce: 'n', verifier: 'v', next: '/alerts' })).toString('base64url');
    const otherState = await call('GET', '/auth/callback?code=abc&state=evil', { cookie: `__Host-insider_signin=${pending}` });
    expect(otherState.headers.location).toBe('/#/signin?sso=state');
    const denied = await call('GET', '/auth/callback?error=access_denied&error_description=no', { cookie: `__Host-insider_signin=${pending}` });
    expect(denied.headers.location).toBe('/#/signin?sso=denied');
    // The provider is away: discovery fails and says so, without a stack or the provider's text.
    const away = await call('GET', '/auth/login?next=/alerts');
    expect(away.headers.location).toBe('/#/signin?sso=unavailable');
    const trail = await readAudit(ch, { action: 'auth.failed', target: 'GET /auth/callback' });
    expect(trail.map((e) => e.details.why).sort()).toEqual(['denied', 'state', 'state', 'unavailable']);
    // No session cookie was set by any of them.
    for (const r of [noState, otherState, denied, away]) expect(String(r.headers['set-cookie'] ?? '')).not.toContain(`${COOKIE}=ses_`);
  });
});
