// API users as rules: the role order, how tokens are kept (only a SHA-256 hash), which names are refused,
// and how a bearer token is recognised (against a stand-in for ClickHouse).
import crypto from 'node:crypto';
import type { ClickHouse, SqlFragment } from '../../src/store';
import { authenticate, BOOTSTRAP_ADMIN, hashToken, ROLES, roleAtLeast, userRefusal, type ApiUser, type Role } from '../../src/triage';

const user = (name: string, role: Role = 'analyst', disabled = false): ApiUser => ({ name, role, disabled, createdAt: 0, createdBy: 'cli:ops' });

describe('roleAtLeast', () => {
  const expected: Record<Role, Record<Role, boolean>> = {
    viewer: { viewer: true, analyst: false, admin: false },
    analyst: { viewer: true, analyst: true, admin: false },
    admin: { viewer: true, analyst: true, admin: true },
  };
  it.each(ROLES.flatMap((have) => ROLES.map((need) => [have, need] as const)))('%s has at least %s: as the order viewer < analyst < admin says', (have, need) => {
    expect(roleAtLeast(have, need)).toBe(expected[have][need]);
  });

  it('the roles are exactly viewer, analyst, admin, in that order', () => {
    expect(ROLES).toEqual(['viewer', 'analyst', 'admin']);
  });
});

describe('hashToken', () => {
  const token = 'ins_s3cr3t-token-value';
  it('is the SHA-256 of the token in hex, not the token', () => {
    const h = hashToken(token);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(h).toBe(crypto.createHash('sha256').update(token, 'utf8').digest('hex'));
    expect(h).not.toContain(token);
  });

  it('is the same for the same token and differs for another', () => {
    expect(hashToken(token)).toBe(hashToken(token));
    expect(hashToken(`${token}x`)).not.toBe(hashToken(token));
  });

  it('hashes text as UTF-8', () => {
    expect(hashToken('é')).toBe(crypto.createHash('sha256').update(Buffer.from([0xc3, 0xa9])).digest('hex'));
  });
});

describe('userRefusal', () => {
  it('accepts names of letters, digits and . _ @ - up to 128 characters', () => {
    for (const name of ['jane.doe', 'jane_doe@corp.example', 'soc-dashboard', 'A1', 'x', 'a'.repeat(128)]) expect(userRefusal(name, [])).toBeNull();
  });

  it('refuses other names', () => {
    for (const name of ['', ' ', 'jane doe', 'jane/doe', 'jane:doe', 'jöhn', 'a'.repeat(129), 'tab\tname', 'new\nline']) {
      expect(userRefusal(name, [])).toBe('a user name is 1-128 letters, digits, or . _ @ -');
    }
  });

  it('reserves the bootstrap admin name', () => {
    expect(BOOTSTRAP_ADMIN).toBe('admin');
    expect(userRefusal('admin', [])).toBe('"admin" is reserved for the bootstrap admin (INSIDER_ADMIN_TOKEN)');
    expect(userRefusal('Admin', [])).toBeNull();
  });

  it('refuses a name that exists, disabled or not', () => {
    expect(userRefusal('jane.doe', [user('omar'), user('jane.doe')])).toBe('user "jane.doe" exists');
    expect(userRefusal('jane.doe', [user('jane.doe', 'viewer', true)])).toBe('user "jane.doe" exists');
    expect(userRefusal('jane.doe2', [user('jane.doe')])).toBeNull();
  });
});

describe('authenticate', () => {
  const NOW = Date.parse('2026-10-01T12:00:00Z');
  const TOKEN = 'ins_abcdefghijklmnopqrstuvwxyz012345';

  /** A stand-in answering the two queries authenticate makes: tokens by hash, then users. */
  function fakeClickHouse(tokens: Array<{ hash: string; name: string; revoked: number; expires: string }>, users: Array<{ name: string; event: string; role: Role }>) {
    const seen: string[] = [];
    const ch = {
      query: async (q: SqlFragment) => {
        seen.push(q.text);
        if (q.text.includes('FROM api_tokens')) return tokens.filter((t) => q.text.includes(t.hash)).map((t) => ({ name: t.name, revoked: t.revoked, expires_at: t.expires }));
        if (q.text.includes('FROM api_users')) return users.map((u) => ({ ...u, at: '2026-09-01 00:00:00', actor: 'cli:ops' }));
        throw new Error(`unexpected query ${q.text}`);
      },
    } as unknown as ClickHouse;
    return { ch, seen };
  }

  it('recognises the bootstrap admin token without asking the database', async () => {
    const { ch, seen } = fakeClickHouse([], []);
    await expect(authenticate(ch, 'bootstrap-secret-123', 'bootstrap-secret-123', NOW)).resolves.toEqual({ name: 'admin', role: 'admin' });
    expect(seen).toEqual([]);
  });

  it('finds the user of a stored token by its hash', async () => {
    const { ch, seen } = fakeClickHouse([{ hash: hashToken(TOKEN), name: 'jane.doe', revoked: 0, expires: '2026-12-31 00:00:00' }], [{ name: 'jane.doe', event: 'created', role: 'analyst' }]);
    await expect(authenticate(ch, TOKEN, 'another-bootstrap', NOW)).resolves.toEqual({ name: 'jane.doe', role: 'analyst' });
    expect(seen.join('\n')).not.toContain(TOKEN);
  });

  it('refuses an empty, unknown, revoked or expired token, and a disabled user', async () => {
    const good = { hash: hashToken(TOKEN), name: 'jane.doe', revoked: 0, expires: '2026-12-31 00:00:00' };
    const jane = { name: 'jane.doe', event: 'created', role: 'analyst' as Role };
    expect(await authenticate(fakeClickHouse([good], [jane]).ch, '', undefined, NOW)).toBeNull();
    expect(await authenticate(fakeClickHouse([good], [jane]).ch, `${TOKEN}x`, undefined, NOW)).toBeNull();
    expect(await authenticate(fakeClickHouse([{ ...good, revoked: 1 }], [jane]).ch, TOKEN, undefined, NOW)).toBeNull();
    expect(await authenticate(fakeClickHouse([{ ...good, expires: '2026-10-01 12:00:00' }], [jane]).ch, TOKEN, undefined, NOW)).toBeNull();
    expect(await authenticate(fakeClickHouse([good], [jane, { name: 'jane.doe', event: 'disabled', role: 'analyst' }]).ch, TOKEN, undefined, NOW)).toBeNull();
    expect(await authenticate(fakeClickHouse([good], []).ch, TOKEN, undefined, NOW)).toBeNull();
  });
});
