// API users, roles and tokens: the model the API's authentication reads (see docs/api.md, "Access").
//
//   user    api_user_changes (migration 0008): one row per change (created, role_changed, disabled,
//           enabled), folded in (at, at_ms, change_id) order. Names are unique case-insensitively
//           (name_key = lower(name)); the first `created` row of a key is the user, a later one (a lost
//           race) is ignored. A disabled user's tokens are all revoked; enabling does not bring them back.
//   token   api_tokens (0004): a row when issued (only the SHA-256 of the secret is stored), another with
//           revoked = 1 when revoked (by an admin, by sign-out, or by disabling the user). Tokens expire.
//   bootstrap  INSIDER_ADMIN_TOKEN is the token of the built-in admin "admin"; nothing can revoke it
//           but unsetting it, and no user may take the name.
//
// A request's credential is kept on its principal (`credential`), so that sign-out ends exactly the token
// or single sign-on session (sessions.ts, table api_sessions) the caller holds.
import crypto from 'node:crypto';
import { fromDateTime, inList, sql, toDateTime, type ClickHouse } from '../store';

export const ROLES = ['viewer', 'analyst', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const BOOTSTRAP_ADMIN = 'admin';

/** API user names: letters, digits, . _ @ - (the API's path parameters use the same rule). */
export const USER_NAME = /^[A-Za-z0-9._@-]{1,128}$/;

export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/** The key names are unique by: "Ana" and "ana" are one user. */
export function nameKey(name: string): string {
  return name.toLowerCase();
}

export interface ApiUser {
  /** As created (its case kept). */
  name: string;
  role: Role;
  disabled: boolean;
  /** Why it was disabled, when it is ("" when no reason was given). */
  disabledReason: string | null;
  createdAt: number;
  createdBy: string;
  /** The last change (creation included). */
  updatedAt: number;
  updatedBy: string;
}

/** How the caller proved who they are: an issued token, a single sign-on session (sessions.ts), or the bootstrap admin token. */
export type Credential = { kind: 'token'; tokenId: string } | { kind: 'session'; sessionId: string } | { kind: 'bootstrap' };

export interface Principal {
  name: string;
  role: Role;
  credential: Credential;
}

export type UserEvent = 'created' | 'role_changed' | 'disabled' | 'enabled';

export interface UserChange {
  name: string;
  event: UserEvent;
  role: Role;
  at: number;
  actor: string;
  reason: string;
  changeId: string;
}

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Every change, in the order every reader folds them. */
export async function userChanges(ch: ClickHouse, name?: string): Promise<UserChange[]> {
  const rows = await ch.query<{ name: string; event: UserEvent; role: Role; at: string; at_ms: number; actor: string; reason: string; change_id: string }>(sql`
    SELECT name, toString(event) AS event, toString(role) AS role, toString(at) AS at, at_ms, actor, reason, change_id
    FROM api_user_changes
    ${name === undefined ? sql`` : sql`WHERE name_key = ${nameKey(name)}`}
    ORDER BY name_key, at, at_ms, change_id`);
  return rows.map((r) => ({ name: r.name, event: r.event, role: r.role, at: fromDateTime(r.at) + Number(r.at_ms), actor: r.actor, reason: r.reason, changeId: r.change_id }));
}

/**
 * Users from their changes (in order). The first `created` of a name key is the user; a `created` after
 * it is a creation that lost a race and is ignored; other changes apply in order.
 */
export function foldUsers(changes: ReadonlyArray<UserChange>): ApiUser[] {
  const users = new Map<string, ApiUser>();
  for (const c of changes) {
    const key = nameKey(c.name);
    const u = users.get(key);
    if (c.event === 'created') {
      if (!u) users.set(key, { name: c.name, role: c.role, disabled: false, disabledReason: null, createdAt: c.at, createdBy: c.actor, updatedAt: c.at, updatedBy: c.actor });
      continue;
    }
    if (!u) continue; // a change before any creation cannot be made through the service
    if (c.event === 'role_changed') u.role = c.role;
    else if (c.event === 'disabled') Object.assign(u, { disabled: true, disabledReason: c.reason });
    else if (c.event === 'enabled') Object.assign(u, { disabled: false, disabledReason: null });
    Object.assign(u, { updatedAt: c.at, updatedBy: c.actor });
  }
  return [...users.values()].sort((a, b) => (nameKey(a.name) < nameKey(b.name) ? -1 : 1));
}

export async function listUsers(ch: ClickHouse): Promise<ApiUser[]> {
  return foldUsers(await userChanges(ch));
}

/** The user of a name, whatever its case, or null. */
export async function findUser(ch: ClickHouse, name: string): Promise<ApiUser | null> {
  return foldUsers(await userChanges(ch, name))[0] ?? null;
}

/** Why a user cannot be created, or null. */
export function userRefusal(name: string, existing: ReadonlyArray<ApiUser>): string | null {
  if (!USER_NAME.test(name)) return 'a user name is 1-128 letters, digits, or . _ @ -';
  if (nameKey(name) === BOOTSTRAP_ADMIN) return `"${name}" is reserved for the bootstrap admin (INSIDER_ADMIN_TOKEN)`;
  const same = existing.find((u) => nameKey(u.name) === nameKey(name));
  if (same) return same.name === name ? `user "${name}" exists` : `user "${same.name}" exists (names are unique whatever their case)`;
  return null;
}

/** Appends one change; returns it. */
export async function recordUserChange(ch: ClickHouse, c: Omit<UserChange, 'changeId'>): Promise<UserChange> {
  const changeId = crypto.randomBytes(8).toString('hex');
  await ch.insert('api_user_changes', [
    { name: c.name, name_key: nameKey(c.name), change_id: changeId, event: c.event, role: c.role, at: toDateTime(c.at), at_ms: c.at % 1000, actor: c.actor, reason: c.reason },
  ]);
  return { ...c, changeId };
}

// ---- tokens ----

export interface TokenInfo {
  tokenId: string;
  name: string;
  issuedAt: number;
  issuedBy: string;
  expiresAt: number;
  revokedAt: number | null;
  revokedBy: string | null;
}

export type TokenState = 'active' | 'expired' | 'revoked';

export function tokenState(t: TokenInfo, now: number): TokenState {
  if (t.revokedAt !== null) return 'revoked';
  return t.expiresAt <= now ? 'expired' : 'active';
}

/** Issues a new token for a user; the returned secret is never stored. */
export async function issueToken(ch: ClickHouse, name: string, actor: string, now: number, expiresAt: number): Promise<{ token: string; tokenId: string; expiresAt: number }> {
  const token = `ins_${crypto.randomBytes(24).toString('base64url')}`;
  const tokenId = `tok_${crypto.randomBytes(4).toString('hex')}`;
  await ch.insert('api_tokens', [{ token_id: tokenId, name, token_hash: hashToken(token), at: toDateTime(now), actor, expires_at: toDateTime(expiresAt), revoked: 0 }]);
  return { token, tokenId, expiresAt };
}

/** Every token of a user (by the exact name tokens were issued to), newest first. */
export async function listTokens(ch: ClickHouse, name: string): Promise<TokenInfo[]> {
  // Aliases differ from the columns: 18.16 resolves a column name to an alias of the same name.
  const rows = await ch.query<{ token_id: string; issued_at: string; issued_by: string; expires: string; is_revoked: number; revoked_at: string; revoked_by: string }>(sql`
    SELECT token_id,
      toString(minIf(at, revoked = 0)) AS issued_at, anyIf(actor, revoked = 0) AS issued_by, toString(max(expires_at)) AS expires,
      max(revoked) AS is_revoked, toString(minIf(at, revoked = 1)) AS revoked_at, argMinIf(actor, at, revoked = 1) AS revoked_by
    FROM api_tokens
    WHERE name = ${name}
    GROUP BY token_id
    ORDER BY issued_at DESC, token_id`);
  return rows.map((r) => ({
    tokenId: r.token_id,
    name,
    issuedAt: fromDateTime(r.issued_at),
    issuedBy: r.issued_by,
    expiresAt: fromDateTime(r.expires),
    revokedAt: Number(r.is_revoked) === 1 ? fromDateTime(r.revoked_at) : null,
    revokedBy: Number(r.is_revoked) === 1 ? r.revoked_by : null,
  }));
}

/** Revokes tokens of a user: a row with revoked = 1 for each (the hash copied, so authentication sees it). */
export async function revokeTokens(ch: ClickHouse, name: string, tokenIds: ReadonlyArray<string>, actor: string, now: number): Promise<void> {
  if (tokenIds.length === 0) return;
  const issued = await ch.query<{ token_id: string; token_hash: string; expires_at: string }>(sql`
    SELECT token_id, any(token_hash) AS token_hash, toString(max(expires_at)) AS expires_at
    FROM api_tokens WHERE name = ${name} AND token_id IN ${inList(tokenIds)} GROUP BY token_id`);
  await ch.insert(
    'api_tokens',
    issued.map((t) => ({ token_id: t.token_id, name, token_hash: t.token_hash, at: toDateTime(now), actor, expires_at: t.expires_at, revoked: 1 })),
  );
}

/** Why a bearer token is refused; what docs/api.md lists as the 401 reasons. */
export type Refusal = 'unknown' | 'expired' | 'revoked' | 'disabled';

export type TokenCheck =
  | { ok: true; principal: Principal; /** when the token expires (ms; Infinity for the bootstrap token) */ expiresAt: number }
  | { ok: false; reason: Refusal; /** whose token it was, when it was a real one */ user?: string; tokenId?: string; expiresAt?: number };

/**
 * Who a bearer token belongs to, or why not: unknown (never issued, or issued to a user that does not
 * exist under that exact name), expired, revoked, or its user disabled. The bootstrap admin token is
 * compared in constant time.
 */
export async function checkToken(ch: ClickHouse, token: string, bootstrapToken: string | undefined, now: number): Promise<TokenCheck> {
  if (token === '') return { ok: false, reason: 'unknown' };
  if (bootstrapToken) {
    const a = Buffer.from(hashToken(token), 'hex');
    const b = Buffer.from(hashToken(bootstrapToken), 'hex');
    if (crypto.timingSafeEqual(a, b)) return { ok: true, principal: { name: BOOTSTRAP_ADMIN, role: 'admin', credential: { kind: 'bootstrap' } }, expiresAt: Infinity };
  }
  const rows = await ch.query<{ token_id: string; name: string; revoked: number; expires_at: string }>(sql`
    SELECT token_id, name, max(revoked) AS revoked, toString(max(expires_at)) AS expires_at
    FROM api_tokens WHERE token_hash = ${hashToken(token)} GROUP BY token_id, name`);
  const t = rows[0];
  if (!t) return { ok: false, reason: 'unknown' };
  const seen = { user: t.name, tokenId: t.token_id };
  const user = await findUser(ch, t.name);
  // A token of a name that is not the user's exact name (a creation that lost a race) is nobody's.
  if (!user || user.name !== t.name) return { ok: false, reason: 'unknown' };
  // Disabling revokes the user's tokens: say "disabled", the cause, before "revoked".
  if (user.disabled) return { ok: false, reason: 'disabled', ...seen };
  if (Number(t.revoked) === 1) return { ok: false, reason: 'revoked', ...seen };
  const expiresAt = fromDateTime(t.expires_at);
  if (expiresAt <= now) return { ok: false, reason: 'expired', ...seen, expiresAt };
  return { ok: true, principal: { name: user.name, role: user.role, credential: { kind: 'token', tokenId: t.token_id } }, expiresAt };
}

/** The principal of a bearer token, or null (unknown, revoked, expired, or its user disabled). */
export async function authenticate(ch: ClickHouse, token: string, bootstrapToken: string | undefined, now: number): Promise<Principal | null> {
  const c = await checkToken(ch, token, bootstrapToken, now);
  return c.ok ? c.principal : null;
}
