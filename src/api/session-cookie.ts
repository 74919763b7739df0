// The cookies of single sign-on: the session (its secret; HttpOnly, SameSite=Lax, Secure with the
// __Host- prefix, so no script reads it and no sibling host can set it) and the short-lived sign-in state
// (state, nonce, PKCE verifier) between /auth/login and /auth/callback. Lax, not Strict: the identity
// provider's redirect back is a cross-site navigation, which must carry the sign-in state.
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface CookieSettings {
  secure: boolean;
}

export const sessionCookieName = (c: CookieSettings) => (c.secure ? '__Host-insider_session' : 'insider_session');
export const signInCookieName = (c: CookieSettings) => (c.secure ? '__Host-insider_signin' : 'insider_signin');

const base = (c: CookieSettings) => ({ path: '/', httpOnly: true, sameSite: 'lax' as const, secure: c.secure });

export function sessionSecretOf(request: FastifyRequest, c: CookieSettings): string | undefined {
  const v = request.cookies?.[sessionCookieName(c)];
  return typeof v === 'string' && /^ses_[A-Za-z0-9_-]{43}$/.test(v) ? v : v === undefined ? undefined : '';
}

export function setSessionCookie(reply: FastifyReply, c: CookieSettings, secret: string, maxAgeSeconds: number): void {
  void reply.setCookie(sessionCookieName(c), secret, { ...base(c), maxAge: maxAgeSeconds });
}

export function clearSessionCookie(reply: FastifyReply, c: CookieSettings): void {
  void reply.clearCookie(sessionCookieName(c), base(c));
}

export interface SignInState {
  state: string;
  nonce: string;
  verifier: string;
  /** The dashboard route to return to (#/...). */
  next: string;
}

export function setSignInCookie(reply: FastifyReply, c: CookieSettings, s: SignInState): void {
  void reply.setCookie(signInCookieName(c), Buffer.from(JSON.stringify(s)).toString('base64url'), { ...base(c), maxAge: 600 });
}

export function takeSignInCookie(request: FastifyRequest, reply: FastifyReply, c: CookieSettings): SignInState | null {
  const raw = request.cookies?.[signInCookieName(c)];
  void reply.clearCookie(signInCookieName(c), base(c));
  if (typeof raw !== 'string' || raw.length > 2048) return null;
  try {
    const s = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<SignInState>;
    if (typeof s.state !== 'string' || typeof s.nonce !== 'string' || typeof s.verifier !== 'string' || typeof s.next !== 'string') return null;
    return s as SignInState;
  } catch {
    return null;
  }
}
