// API users as rules: the role order, how tokens are kept (only a SHA-256 hash), which names are refused,
// and how a bearer token is recognised (against a stand-in for ClickHouse).
import crypto from 'node:crypto';
import type { ClickHouse, SqlFragment } from '../../src/store';
import { authenticate, BOOTSTRAP_ADMIN, checkToken, foldUsers, hashToken, ROLES, roleAtLeast, userRefusal, type ApiUser, type Role, type UserChange } from '../../src/triage';

const user = (name: string, role: Role = 'analyst', disabled = false): ApiUser => ({ name, role, disabled, disabledReason: null, createdAt: 0, createdBy: 'cli:ops', updatedAt: 0, updatedBy: 'cli:ops' });

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

  it('reserves the bootstrap admin name, whatever its case', () => {
    expect(BOOTSTRAP_ADMIN).toBe('admin');
    expect(userRefusal('admin', [])).toBe('"admin" is reserved for the bootstrap admin (INSIDER_ADMIN_TOKEN)');
    for (const name of ['Admin', 'ADMIN', 'aDmIn']) expect(userRefusal(name, [])).toBe(`"${name}" is reserved for the bootstrap admin (INSIDER_ADMIN_TOKEN)`);
    expect(userRefusal('admin2', [])).toBeNull();
  });

  it('refuses a name that exists, disabled or not, in any case', () => {
    expect(userRefusal('jane.doe', [user('omar'), user('jane.doe')])).toBe('user "jane.doe" exists');
    expect(userRefusal('jane.doe', [user('jane.doe', 'viewer', true)])).toBe('user "jane.doe" exists');
    expect(userRefusal('Jane.Doe', [user('jane.doe')])).toBe('user "jane.doe" exists (names are unique whatever their case)');
    expect(userRefusal('jane.doe2', [user('jane.doe')])).toBeNull();
  });
});

describe('foldUsers', () => {
  let n = 0;
  const change = (name: string, event: UserChange['event'], role: Role, at: number, reason = ''): UserChange => ({ name, event, role, at, actor: 'root', reason, changeId: String(n++).padStart(4, '0') });

  it('takes the first creation of a name (any case) and ignores later ones', () => {
    const users = foldUsers([change('Ana', 'created', 'viewer', 1), change('ana', 'created', 'admin', 2), change('ANA', 'created', 'analyst', 3), change('bob', 'created', 'analyst', 1)]);
    expect(users.map((u) => [u.name, u.role])).toEqual([
      ['Ana', 'viewer'],
      ['bob', 'analyst'],
    ]);
  });

  it('applies role changes, disabling and enabling in order', () => {
    const rows = [change('ana', 'created', 'viewer', 1), change('ana', 'role_changed', 'admin', 2), change('ana', 'disabled', 'admin', 3, 'left'), change('ana', 'role_changed', 'analyst', 4)];
    expect(foldUsers(rows)[0]).toMatchObject({ role: 'analyst', disabled: true, disabledReason: 'left', createdAt: 1, updatedAt: 4 });
    expect(foldUsers([...rows, change('ana', 'enabled', 'analyst', 5)])[0]).toMatchObject({ disabled: false, disabledReason: null, updatedAt: 5 });
  });

  it('ignores changes of a name never created', () => {
    expect(foldUsers([change('ghost', 'role_changed', 'admin', 1)])).toEqual([]);
  });
});

describe('checkToken and authenticate', () => {
  const NOW = Date.parse('2026-10-01T12:00:00Z');
  const TOKEN = 'ins_abcdefghijklmnopqrstuvwxyz012345';

  /** A stand-in answering the two queries checkToken makes: tokens by hash, then the user's changes. */
  function fakeClickHouse(tokens: Array<{ hash: string; name: string; revoked: number; expires: string }>, users: Array<{ name: string; event: string; role: Role }>) {
    const seen: string[] = [];
    const ch = {
      query: async (q: SqlFragment) => {
        seen.push(q.text);
        if (q.text.includes('FROM api_tokens')) return tokens.filter((t) => q.text.includes(t.hash)).map((t) => ({ token_id: 'tok_0123abcd', name: t.name, revoked: t.revoked, expires_at: t.expires }));
        if (q.text.includes('FROM api_user_changes')) return users.map((u, i) => ({ ...u, at: '2026-09-01 00:00:00', at_ms: i, actor: 'cli:ops', reason: '', change_id: String(i) }));
        throw new Error(`unexpected query ${q.text}`);
      },
    } as unknown as ClickHouse;
    return { ch, seen };
  }

  it('recognises the bootstrap admin token without asking the database', async () => {
    const { ch, seen } = fakeClickHouse([], []);
    await expect(authenticate(ch, 'bootstrap-secret-123', 'bootstrap-secret-123', NOW)).resolves.toEqual({ name: 'admin', role: 'admin', credential: { kind: 'bootstrap' } });
    expect(seen).toEqual([]);
  });

  it('finds the user of a stored token by its hash, with the token as the credential', async () => {
    const { ch, seen } = fakeClickHouse([{ hash: hashToken(TOKEN), name: 'jane.doe', revoked: 0, expires: '2026-12-31 00:00:00' }], [{ name: 'jane.doe', event: 'created', role: 'analyst' }]);
    await expect(authenticate(ch, TOKEN, 'another-bootstrap', NOW)).resolves.toEqual({ name: 'jane.doe', role: 'analyst', credential: { kind: 'token', tokenId: 'tok_0123abcd' } });
    expect(seen.join('\n')).not.toContain(TOKEN);
  });

  it('says why it refuses: empty or unknown, revoked, expired, a disabled user, a user that does not exist', async () => {
    const good = { hash: hashToken(TOKEN), name: 'jane.doe', revoked: 0, expires: '2026-12-31 00:00:00' };
    const jane = { name: 'jane.doe', event: 'created', role: 'analyst' as Role };
    const reason = async (tokens: typeof good[], users: typeof jane[], token = TOKEN) => {
      const c = await checkToken(fakeClickHouse(tokens, users).ch, token, undefined, NOW);
      expect(await authenticate(fakeClickHouse(tokens, users).ch, token, undefined, NOW)).toBeNull();
      return c.ok ? 'ok' : [c.reason, c.user ?? null];
    };
    expect(await reason([good], [jane], '')).toEqual(['unknown', null]);
    expect(await reason([good], [jane], `${TOKEN}x`)).toEqual(['unknown', null]);
    expect(await reason([{ ...good, revoked: 1 }], [jane])).toEqual(['revoked', 'jane.doe']);
    expect(await reason([{ ...good, expires: '2026-10-01 12:00:00' }], [jane])).toEqual(['expired', 'jane.doe']);
    expect(await reason([good], [jane, { name: 'jane.doe', event: 'disabled', role: 'analyst' }])).toEqual(['disabled', 'jane.doe']);
    expect(await reason([{ ...good, revoked: 1 }], [jane, { name: 'jane.doe', event: 'disabled', role: 'analyst' }])).toEqual(['disabled', 'jane.doe']);
    expect(await reason([good], [])).toEqual(['unknown', null]);
    // A token issued to "Jane.Doe" is not jane.doe's (the creation of another case lost).
    expect(await reason([{ ...good, name: 'Jane.Doe' }], [jane])).toEqual(['unknown', null]);
  });
});
