// API users and tokens as an admin manages them and as an attacker would probe them, on the real
// ClickHouse: a revoked token, a signed-out token and a disabled user's tokens are refused at once, each
// with the reason; a changed role holds from the next request; six concurrent creations of one name (in
// six spellings and roles, through the API and through six CLI processes) give one user whose role never
// changes between reads; alerts are assigned only to active users. Everything through the HTTP API (and
// the CLI), as a client sees it.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { writeAlerts } from '../../src/alerts';
import { buildApi, type ApiApp } from '../../src/api';
import { MS_PER_DAY } from '../../src/calendar';
import type { Config } from '../../src/config';
import { storeDirectory } from '../../src/directory';
import { createLogger } from '../../src/log';
import { type ClickHouse } from '../../src/store';
import { createRegistry } from '../../src/telemetry';
import { readAudit } from '../../src/triage';
import { ADMIN_TOKEN, apiTestConfig, directory, PEOPLE, syntheticAlert } from '../helpers/api-fixture';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';

const log = createLogger({ level: 'silent' });
const bin = path.join(__dirname, '..', '..', 'bin', 'insider.js');

interface Answer {
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string; details?: { reason?: string } } };
}

describe('API users and tokens: revoke, sign-out, disable, roles, concurrent creation (real ClickHouse)', () => {
  const base = testConfig();
  const database = uniqueName('itapi_users');
  let admin: ClickHouse;
  let ch: ClickHouse;
  let config: Config;
  let app: ApiApp;
  const day = Math.floor(Date.now() / MS_PER_DAY) - 1;
  const ALERT = 'al_20260101_00000000a1';

  const call = async (token: string | null, method: 'GET' | 'POST', url: string, payload?: object, on: ApiApp = app): Promise<Answer> => {
    const res = await on.inject({ method, url, headers: token === null ? {} : { authorization: `Bearer ${token}` }, ...(method === 'POST' ? { payload: payload ?? {} } : {}) });
    return { status: res.statusCode, body: res.json() };
  };
  const root = (method: 'GET' | 'POST', url: string, payload?: object) => call(ADMIN_TOKEN, method, url, payload);
  const newUser = async (name: string, role: string) => expect((await root('POST', '/api/users', { name, role })).status).toBe(201);
  const newToken = async (name: string) => {
    const r = await root('POST', `/api/users/${name}/tokens`, { validDays: 30 });
    expect(r.status).toBe(201);
    return r.body as { token: string; tokenId: string };
  };
  /** The 401 reason for a token on GET /api/me (null when it is let in). */
  const refusal = async (token: string | null, on: ApiApp = app) => {
    const r = await call(token, 'GET', '/api/me', undefined, on);
    return r.status === 200 ? null : `${r.status} ${r.body.error?.details?.reason ?? r.body.error?.code}`;
  };

  beforeAll(async () => {
    ({ admin, ch } = await freshDatabase(database, base.clickhouse));
    config = apiTestConfig(database);
    await storeDirectory(ch, directory(), { source: 'test', checksum: 'test' });
    await writeAlerts(ch, [syntheticAlert(PEOPLE[0], day, { id: ALERT })]);
    app = await buildApi({ config, ch, log, registry: createRegistry({ defaultMetrics: false }) });
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await dropDatabase(database, { admin, ch });
  });

  it('revokes a token: the next request with it is a 401 that says "revoked"; the user keeps their other tokens', async () => {
    await newUser('ana.analyst', 'analyst');
    const t1 = await newToken('ana.analyst');
    const t2 = await newToken('ana.analyst');
    expect(await refusal(t1.token)).toBeNull();

    const listed = await root('GET', '/api/users/ana.analyst/tokens');
    expect(listed.status).toBe(200);
    const items = listed.body.items as Array<{ tokenId: string; state: string }>;
    expect(items.map((t) => [t.tokenId, t.state]).sort()).toEqual([[t1.tokenId, 'active'], [t2.tokenId, 'active']].sort());
    // Never a secret or its hash in the listing.
    expect(JSON.stringify(listed.body)).not.toMatch(/ins_|[0-9a-f]{64}/);

    const revoked = await root('POST', `/api/users/ana.analyst/tokens/${t1.tokenId}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ tokenId: t1.tokenId, state: 'revoked', revokedBy: 'admin' });
    const after = await call(t1.token, 'GET', '/api/alerts');
    expect(after.status).toBe(401);
    expect(after.body.error).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringContaining('revoked'), details: { reason: 'revoked' } });
    expect(await refusal(t2.token)).toBeNull();

    expect((await root('POST', `/api/users/ana.analyst/tokens/${t1.tokenId}/revoke`)).status).toBe(409);
    expect((await root('POST', '/api/users/ana.analyst/tokens/tok_00000000/revoke')).status).toBe(404);
    const trail = await readAudit(ch, { action: 'token.revoke', target: 'ana.analyst' });
    expect(trail).toEqual([expect.objectContaining({ actor: 'admin', details: { tokenId: t1.tokenId, by: 'admin' } })]);
  });

  it('signs out: the token the caller holds ends, and only that one; the bootstrap token cannot be ended there', async () => {
    await newUser('sam.viewer', 'viewer');
    const held = await newToken('sam.viewer');
    const other = await newToken('sam.viewer');
    const out = await call(held.token, 'POST', '/api/me/sign-out');
    expect(out).toEqual({ status: 200, body: { tokenId: held.tokenId } });
    expect(await refusal(held.token)).toBe('401 revoked');
    expect(await refusal(other.token)).toBeNull();
    const tokens = (await root('GET', '/api/users/sam.viewer/tokens')).body.items as Array<{ tokenId: string; state: string; revokedBy: string | null }>;
    expect(tokens.find((t) => t.tokenId === held.tokenId)).toMatchObject({ state: 'revoked', revokedBy: 'sam.viewer' });

    const bootstrap = await root('POST', '/api/me/sign-out');
    expect(bootstrap.status).toBe(409);
    expect(bootstrap.body.error?.message).toContain('INSIDER_ADMIN_TOKEN');
    expect(await refusal(ADMIN_TOKEN)).toBeNull();
  });

  it('disables a user: every token refused at once as "disabled"; enabling does not bring the old tokens back', async () => {
    await newUser('ben.viewer', 'viewer');
    const b1 = await newToken('ben.viewer');
    const b2 = await newToken('ben.viewer');
    expect(await refusal(b1.token)).toBeNull();

    const disabled = await root('POST', '/api/users/ben.viewer/disable', { reason: 'left the company' });
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ name: 'ben.viewer', disabled: true, disabledReason: 'left the company' });
    expect((disabled.body.revokedTokens as string[]).sort()).toEqual([b1.tokenId, b2.tokenId].sort());
    expect(await refusal(b1.token)).toBe('401 disabled');
    expect(await refusal(b2.token)).toBe('401 disabled');
    const users = (await root('GET', '/api/users')).body.items as Array<{ name: string; disabled: boolean }>;
    expect(users.find((u) => u.name === 'ben.viewer')).toMatchObject({ disabled: true, disabledReason: 'left the company', updatedBy: 'admin' });
    expect((await root('POST', '/api/users/ben.viewer/tokens', {})).status).toBe(409);
    expect((await root('POST', '/api/users/ben.viewer/disable')).status).toBe(409);

    const enabled = await root('POST', '/api/users/ben.viewer/enable');
    expect(enabled.body).toMatchObject({ name: 'ben.viewer', disabled: false, disabledReason: null });
    expect(await refusal(b1.token)).toBe('401 revoked');
    expect(await refusal((await newToken('ben.viewer')).token)).toBeNull();
    expect((await root('POST', '/api/users/ben.viewer/enable')).status).toBe(409);

    // An admin cannot lock themselves out.
    await newUser('ada.admin', 'admin');
    const ada = (await newToken('ada.admin')).token;
    const self = await call(ada, 'POST', '/api/users/ada.admin/disable');
    expect(self.status).toBe(409);
    expect(self.body.error?.message).toContain('yourself');
    expect((await readAudit(ch, { action: 'user.disable', target: 'ben.viewer' }))[0]).toMatchObject({ actor: 'admin', details: { reason: 'left the company' } });
  });

  it("changes a role: it holds from the user's next request, audited", async () => {
    await newUser('cleo.c', 'viewer');
    const cleo = (await newToken('cleo.c')).token;
    const ack = () => call(cleo, 'POST', `/api/alerts/${ALERT}/acknowledge`, { note: 'looking' });
    expect((await ack()).status).toBe(403);
    const changed = await root('POST', '/api/users/cleo.c/role', { role: 'analyst' });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ name: 'cleo.c', role: 'analyst' });
    expect((await call(cleo, 'GET', '/api/me')).body).toEqual({ name: 'cleo.c', role: 'analyst', credential: 'token' });
    expect((await ack()).status).toBe(200);
    expect((await root('POST', '/api/users/cleo.c/role', { role: 'viewer' })).status).toBe(200);
    expect((await call(cleo, 'POST', `/api/alerts/${ALERT}/notes`, { note: 'again' })).status).toBe(403);

    expect((await root('POST', '/api/users/cleo.c/role', { role: 'viewer' })).status).toBe(409);
    expect((await root('POST', '/api/users/nobody.here/role', { role: 'viewer' })).status).toBe(404);
    expect((await root('POST', '/api/users/Admin/role', { role: 'viewer' })).status).toBe(400);
    expect((await root('POST', '/api/users/cleo.c/role', { role: 'root' })).status).toBe(400);
    const trail = await readAudit(ch, { action: 'user.role_change', target: 'cleo.c' });
    expect(trail.map((t) => t.details)).toEqual([{ from: 'analyst', to: 'viewer' }, { from: 'viewer', to: 'analyst' }]);
  });

  it('says why a token is refused: missing, malformed, unknown, expired, revoked, disabled', async () => {
    await newUser('dee.d', 'viewer');
    const dee = await newToken('dee.d');
    const later = await buildApi({ config, ch, log, registry: createRegistry({ defaultMetrics: false }), now: () => Date.now() + 31 * MS_PER_DAY });
    try {
      expect(await refusal(null)).toBe('401 missing');
      const malformed = await app.inject({ method: 'GET', url: '/api/me', headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } });
      expect((malformed.json() as Answer['body']).error?.details?.reason).toBe('malformed');
      expect(await refusal('ins_neverIssuedToAnybody000000000000')).toBe('401 unknown');
      expect(await refusal(dee.token, later)).toBe('401 expired');
      await root('POST', `/api/users/dee.d/tokens/${dee.tokenId}/revoke`);
      expect(await refusal(dee.token)).toBe('401 revoked');
      const dee2 = await newToken('dee.d');
      await root('POST', '/api/users/dee.d/disable');
      expect(await refusal(dee2.token)).toBe('401 disabled');
    } finally {
      await later.close();
    }
  });

  it('creates one user of six concurrent requests (six spellings, six roles) through the API, and of six CLI processes', async () => {
    const roles = ['viewer', 'analyst', 'admin', 'viewer', 'analyst', 'admin'];
    // The same name six times at once, as the issue reproduced it: one 201, and the role it was given stays.
    const same = await Promise.all(roles.map((role) => root('POST', '/api/users', { name: 'max.m', role })));
    expect(same.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    const given = roles[same.findIndex((a) => a.status === 201)];
    for (let i = 0; i < 3; i++) expect(((await root('GET', '/api/users')).body.items as Array<{ name: string; role: string }>).filter((u) => u.name === 'max.m')).toEqual([expect.objectContaining({ role: given })]);

    const spellings = ['Zoe.Kim', 'zoe.kim', 'ZOE.KIM', 'zoe.KIM', 'Zoe.kim', 'zOE.kIM'];
    const answers = await Promise.all(spellings.map((name, i) => root('POST', '/api/users', { name, role: roles[i] })));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);

    // Six processes, as two API replicas and operators at a shell would be: one wins.
    const cli = (name: string, role: string) =>
      new Promise<number>((resolve) => {
        const child = spawn(process.execPath, [bin, 'users', 'add', name, '--role', role], {
          env: { ...process.env, INSIDER_CLICKHOUSE_DATABASE: database, INSIDER_LOG_LEVEL: 'warn' },
          stdio: 'ignore',
        });
        child.on('exit', (code) => resolve(code ?? -1));
      });
    const codes = await Promise.all(spellings.map((name, i) => cli(name.replace(/zoe/i, 'Yan').replace(/kim/i, 'Li'), roles[i])));
    expect(codes.filter((c) => c === 0)).toHaveLength(1);

    // Every read gives the same one user per name, with the same role.
    const reads = [];
    for (let i = 0; i < 5; i++) {
      const items = (await root('GET', '/api/users')).body.items as Array<{ name: string; role: string }>;
      reads.push(items.filter((u) => /^(zoe\.kim|yan\.li)$/i.test(u.name)).map((u) => `${u.name}:${u.role}`));
    }
    expect(reads[0]).toHaveLength(2);
    for (const r of reads) expect(r).toEqual(reads[0]);
    const zoe = reads[0].find((u) => /^zoe/i.test(u))!;
    expect(zoe).toBe(`${spellings[answers.findIndex((a) => a.status === 201)]}:${roles[answers.findIndex((a) => a.status === 201)]}`);

    // Names are reserved whatever their case.
    for (const name of ['Admin', 'ADMIN']) expect((await root('POST', '/api/users', { name, role: 'admin' })).status).toBe(400);
    expect((await root('POST', '/api/users', { name: 'ANA.analyst', role: 'viewer' })).status).toBe(409);
  }, 120_000);

  it('assigns an alert only to an active user, by the name as stored', async () => {
    await newUser('eve.e', 'analyst');
    const eve = (await newToken('eve.e')).token;
    const assign = (assignee: string) => call(eve, 'POST', `/api/alerts/${ALERT}/assign`, { assignee });
    const unknown = await assign('nobody.here');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error?.message).toContain('nobody.here');
    expect((await assign('ben.viewer')).status).toBe(200);
    expect((await assign('dee.d')).status).toBe(400); // disabled above
    const ok = await assign('EVE.E');
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ triage: { assignee: 'eve.e' } });
  });
});
