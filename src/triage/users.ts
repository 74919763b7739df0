// API users, roles and tokens. Roles are ordered: viewer < analyst < admin. A token is shown once, when it
// is issued, and stored only as its SHA-256 hash. A bootstrap admin ("admin") may come from the
// environment (INSIDER_ADMIN_TOKEN) so that a fresh installation can create its first users.
import crypto from 'node:crypto';
import { fromDateTime, sql, toDateTime, type ClickHouse } from '../store';

export const ROLES = ['viewer', 'analyst', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const BOOTSTRAP_ADMIN = 'admin';

export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

export interface ApiUser {
  name: string;
  role: Role;
  disabled: boolean;
  createdAt: number;
  createdBy: string;
}

export interface Principal {
  name: string;
  role: Role;
}

const NAME = /^[A-Za-z0-9._@-]{1,128}$/;

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

export async function listUsers(ch: ClickHouse): Promise<ApiUser[]> {
  const rows = await ch.query<{ name: string; event: string; role: Role; at: string; actor: string }>(sql`
    SELECT name, toString(event) AS event, toString(role) AS role, toString(at) AS at, actor FROM api_users ORDER BY name, at, event`);
  const users = new Map<string, ApiUser>();
  for (const r of rows) {
    const u = users.get(r.name);
    if (r.event === 'created' || !u) users.set(r.name, { name: r.name, role: r.role, disabled: false, createdAt: fromDateTime(r.at), createdBy: r.actor });
    else if (r.event === 'role_changed') u.role = r.role;
    else if (r.event === 'disabled') u.disabled = true;
  }
  return [...users.values()];
}

/** Why a user cannot be created, or null. */
export function userRefusal(name: string, existing: ReadonlyArray<ApiUser>): string | null {
  if (!NAME.test(name)) return 'a user name is 1-128 letters, digits, or . _ @ -';
  if (name === BOOTSTRAP_ADMIN) return `"${BOOTSTRAP_ADMIN}" is reserved for the bootstrap admin (INSIDER_ADMIN_TOKEN)`;
  if (existing.some((u) => u.name === name)) return `user "${name}" exists`;
  return null;
}

export async function addUser(ch: ClickHouse, name: string, role: Role, actor: string, now: number): Promise<ApiUser> {
  await ch.insert('api_users', [{ name, event: 'created', role, at: toDateTime(now), actor }]);
  return { name, role, disabled: false, createdAt: now, createdBy: actor };
}

/** Issues a new token for a user; the returned secret is never stored. */
export async function issueToken(ch: ClickHouse, name: string, actor: string, now: number, expiresAt: number): Promise<{ token: string; tokenId: string; expiresAt: number }> {
  const token = `ins_${crypto.randomBytes(24).toString('base64url')}`;
  const tokenId = `tok_${crypto.randomBytes(4).toString('hex')}`;
  await ch.insert('api_tokens', [{ token_id: tokenId, name, token_hash: hashToken(token), at: toDateTime(now), actor, expires_at: toDateTime(expiresAt), revoked: 0 }]);
  return { token, tokenId, expiresAt };
}

/**
 * Who a bearer token belongs to, or null (unknown, revoked, expired, or its user disabled). The bootstrap
 * admin token is compared in constant time.
 */
export async function authenticate(ch: ClickHouse, token: string, bootstrapToken: string | undefined, now: number): Promise<Principal | null> {
  if (token === '') return null;
  if (bootstrapToken) {
    const a = Buffer.from(hashToken(token), 'hex');
    const b = Buffer.from(hashToken(bootstrapToken), 'hex');
    if (crypto.timingSafeEqual(a, b)) return { name: BOOTSTRAP_ADMIN, role: 'admin' };
  }
  const rows = await ch.query<{ name: string; revoked: number; expires_at: string }>(sql`
    SELECT name, max(revoked) AS revoked, toString(max(expires_at)) AS expires_at FROM api_tokens WHERE token_hash = ${hashToken(token)} GROUP BY name`);
  const t = rows[0];
  if (!t || Number(t.revoked) === 1 || fromDateTime(t.expires_at) <= now) return null;
  const user = (await listUsers(ch)).find((u) => u.name === t.name);
  return user && !user.disabled ? { name: user.name, role: user.role } : null;
}
