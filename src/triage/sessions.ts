// Dashboard sessions (single sign-on): a credential kind of the API's user model (users.ts), like a token
// but held in an HttpOnly cookie and started by the identity provider instead of an admin. Table
// api_sessions (migration 0012): a row when started (the secret's SHA-256 only), another with revoked = 1
// when ended. A session is refused when it is unknown, expired, revoked, or its user is disabled or no
// longer the user it was started for. Its CSRF token is derived from its secret, so nothing more is stored.
import crypto from 'node:crypto';
import { fromDateTime, inList, sql, toDateTime, type ClickHouse } from '../store';
import { findUser, hashToken, type Principal, type Refusal } from './users';

export interface SessionInfo {
  sessionId: string;
  name: string;
  startedAt: number;
  expiresAt: number;
  revokedAt: number | null;
  issuer: string;
  subject: string;
  groups: string[];
}

/** Starts a session for a user; the returned secret goes into the cookie and is never stored. */
export async function startSession(
  ch: ClickHouse,
  s: { name: string; now: number; expiresAt: number; issuer: string; subject: string; groups: ReadonlyArray<string> },
): Promise<{ secret: string; sessionId: string; expiresAt: number }> {
  const secret = `ses_${crypto.randomBytes(32).toString('base64url')}`;
  const sessionId = `ses_${crypto.randomBytes(8).toString('hex')}`;
  await ch.insert('api_sessions', [
    { session_id: sessionId, name: s.name, session_hash: hashToken(secret), at: toDateTime(s.now), actor: s.name, expires_at: toDateTime(s.expiresAt), revoked: 0, issuer: s.issuer, subject: s.subject, groups: JSON.stringify(s.groups) },
  ]);
  return { secret, sessionId, expiresAt: s.expiresAt };
}

/** The CSRF token of a session: an HMAC of its secret (the dashboard reads it from GET /api/me). */
export function csrfTokenOf(secret: string): string {
  return crypto.createHmac('sha256', secret).update('insider csrf').digest('base64url');
}

export function sameCsrfToken(secret: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(csrfTokenOf(secret));
  const b = Buffer.from(given);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

export type SessionCheck =
  | { ok: true; principal: Principal; /** when the session ends by itself (ms) */ expiresAt: number }
  | { ok: false; reason: Refusal; user?: string; sessionId?: string; expiresAt?: number };

export async function checkSession(ch: ClickHouse, secret: string, now: number): Promise<SessionCheck> {
  if (secret === '') return { ok: false, reason: 'unknown' };
  const rows = await ch.query<{ session_id: string; name: string; revoked: number; expires: string }>(sql`
    SELECT session_id, name, max(revoked) AS revoked, toString(max(expires_at)) AS expires
    FROM api_sessions WHERE session_hash = ${hashToken(secret)} GROUP BY session_id, name`);
  const s = rows[0];
  if (!s) return { ok: false, reason: 'unknown' };
  const seen = { user: s.name, sessionId: s.session_id };
  const user = await findUser(ch, s.name);
  if (!user || user.name !== s.name) return { ok: false, reason: 'unknown' };
  if (user.disabled) return { ok: false, reason: 'disabled', ...seen };
  if (Number(s.revoked) === 1) return { ok: false, reason: 'revoked', ...seen };
  const expiresAt = fromDateTime(s.expires);
  if (expiresAt <= now) return { ok: false, reason: 'expired', ...seen, expiresAt };
  return { ok: true, principal: { name: user.name, role: user.role, credential: { kind: 'session', sessionId: s.session_id } }, expiresAt };
}

/** Every session of a user, newest first. */
export async function listSessions(ch: ClickHouse, name: string): Promise<SessionInfo[]> {
  const rows = await ch.query<{ session_id: string; started: string; expires: string; is_revoked: number; revoked_at: string; iss: string; sub: string; grp: string }>(sql`
    SELECT session_id, toString(minIf(at, revoked = 0)) AS started, toString(max(expires_at)) AS expires, max(revoked) AS is_revoked,
      toString(minIf(at, revoked = 1)) AS revoked_at, anyIf(issuer, revoked = 0) AS iss, anyIf(subject, revoked = 0) AS sub, anyIf(groups, revoked = 0) AS grp
    FROM api_sessions WHERE name = ${name} GROUP BY session_id ORDER BY started DESC, session_id`);
  return rows.map((r) => ({
    sessionId: r.session_id,
    name,
    startedAt: fromDateTime(r.started),
    expiresAt: fromDateTime(r.expires),
    revokedAt: Number(r.is_revoked) === 1 ? fromDateTime(r.revoked_at) : null,
    issuer: r.iss,
    subject: r.sub,
    groups: r.grp ? (JSON.parse(r.grp) as string[]) : [],
  }));
}

/** Ends sessions of a user: a row with revoked = 1 for each (the hash copied, so checkSession sees it). */
export async function endSessions(ch: ClickHouse, name: string, sessionIds: ReadonlyArray<string>, actor: string, now: number): Promise<void> {
  if (sessionIds.length === 0) return;
  const started = await ch.query<{ session_id: string; session_hash: string; expires: string }>(sql`
    SELECT session_id, any(session_hash) AS session_hash, toString(max(expires_at)) AS expires
    FROM api_sessions WHERE name = ${name} AND session_id IN ${inList(sessionIds)} GROUP BY session_id`);
  await ch.insert(
    'api_sessions',
    started.map((s) => ({ session_id: s.session_id, name, session_hash: s.session_hash, at: toDateTime(now), actor, expires_at: s.expires, revoked: 1, issuer: '', subject: '', groups: '' })),
  );
}
