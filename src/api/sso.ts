// Single sign-on for the dashboard: OpenID Connect's authorization code flow with PKCE, through
// openid-client (discovery, state, nonce, ID token validation, userinfo).
//
//   GET /auth/login     state, nonce and a PKCE verifier in a short-lived HttpOnly cookie -> 302 to the IdP
//   GET /auth/callback  code + state checked against that cookie -> tokens -> claims (ID token, userinfo)
//                       -> user name (api.sso.usernameClaim) and role (groups in api.sso.groupsClaim mapped
//                       by api.sso.roles) -> the user created or its role set (triage/accounts.ts) -> a
//                       server-side session (triage/sessions.ts) in an HttpOnly cookie -> 302 to the dashboard
//   GET /auth/sso       whether single sign-on is on (the sign-in page shows its button), and whether the
//                       request carries a live session (the dashboard asks before GET /api/me)
// Failures go back to the sign-in page with a reason code, never with the IdP's raw text, and are audited.
import type { FastifyReply, FastifyRequest } from 'fastify';
import * as client from 'openid-client';
import { z } from 'zod';
import { TriageError } from '../errors';
import { audit, checkSession, ROLES, signInWithIdentity, type Role } from '../triage';
import type { ApiApp, ApiContext } from './context';
import { clearSessionCookie, sessionSecretOf, setSessionCookie, setSignInCookie, takeSignInCookie, type CookieSettings } from './session-cookie';

type SsoConfig = ApiContext['config']['api']['sso'];

/** The highest role whose groups include one of `groups`, or null. */
export function roleOfGroups(groups: ReadonlyArray<string>, roles: SsoConfig['roles']): Role | null {
  for (const role of [...ROLES].reverse()) if (roles[role].some((g) => groups.includes(g))) return role;
  return null;
}

/** A claim as a list of strings: an array of strings, or one string. */
export function claimList(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Where the dashboard may be sent back to: one of its own hash routes. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/[A-Za-z0-9/_.?=&%:@-]{0,300}$/.test(next) && !next.startsWith('//') && !next.startsWith('/signin') ? next : '/cases';
}

/** Why a sign-in failed, as the sign-in page explains it (#/signin?sso=<code>). */
export type SsoFailure = 'denied' | 'state' | 'exchange' | 'no_name' | 'no_role' | 'refused' | 'unavailable';

export function ssoEnabled(c: SsoConfig): boolean {
  return c.issuer !== '' && c.clientId !== '';
}

export function ssoRoutes(app: ApiApp, ctx: ApiContext, cookies: CookieSettings): void {
  const sso = ctx.config.api.sso;
  const publicUrl = (ctx.config.api.publicUrl || `http://${ctx.config.api.host}:${ctx.config.api.port}`).replace(/\/+$/, '');
  const redirectUri = `${publicUrl}/auth/callback`;
  let discovered: Promise<client.Configuration> | null = null;
  // Discovered on first use (the IdP may be down when the API starts), again after a failure.
  const configuration = () => {
    discovered ??= (async () => {
      const issuer = new URL(sso.issuer);
      const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname);
      // Plain HTTP only to an identity provider on this machine (tests, development).
      const options = issuer.protocol === 'http:' && loopback ? { execute: [client.allowInsecureRequests] } : undefined;
      const auth = sso.clientSecret ? client.ClientSecretBasic(sso.clientSecret) : client.None();
      return client.discovery(issuer, sso.clientId, sso.clientSecret ? { client_secret: sso.clientSecret } : undefined, auth, options);
    })().catch((err: unknown) => {
      discovered = null;
      throw err;
    });
    return discovered;
  };

  const fail = async (request: FastifyRequest, reply: FastifyReply, why: SsoFailure, detail: string, actor = '') => {
    request.log.warn({ why, detail }, 'single sign-on failed');
    await audit(ctx.ch, {
      at: ctx.now(), actor, role: '', action: 'auth.failed', target: 'GET /auth/callback', sourceIp: request.ip, requestId: request.id, clientRequestId: request.clientRequestId,
      details: { reason: 'sso', why, detail: detail.slice(0, 300) },
    });
    return reply.redirect(`/#/signin?sso=${why}`, 302);
  };

  app.get(
    '/auth/sso',
    {
      config: { public: true },
      schema: {
        tags: ['sso'],
        summary: 'Whether single sign-on is on (the dashboard shows its button), and whether this request carries a live session (its cookie is HttpOnly: the page cannot tell)',
        security: [],
        response: { 200: z.object({ enabled: z.boolean(), session: z.boolean() }) },
      },
    },
    async (request) => {
      const secret = sessionSecretOf(request, cookies);
      const live = secret ? (await checkSession(ctx.ch, secret, ctx.now())).ok : false;
      return { enabled: ssoEnabled(sso), session: live };
    },
  );

  app.get(
    '/auth/login',
    {
      config: { public: true },
      schema: { tags: ['sso'], summary: 'Starts single sign-on: redirects to the identity provider', security: [], querystring: z.strictObject({ next: z.string().max(400).optional() }) },
    },
    async (request, reply) => {
      if (!ssoEnabled(sso)) return reply.redirect('/#/signin?sso=unavailable', 302);
      let config: client.Configuration;
      try {
        config = await configuration();
      } catch (err) {
        return fail(request, reply, 'unavailable', `discovery of ${sso.issuer}: ${(err as Error).message}`);
      }
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      setSignInCookie(reply, cookies, { state, nonce, verifier, next: safeNext(request.query.next) });
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: sso.scopes.join(' '),
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      return reply.redirect(url.href, 302);
    },
  );

  app.get(
    '/auth/callback',
    {
      config: { public: true },
      schema: {
        tags: ['sso'],
        summary: "The identity provider's redirect back: starts a session (HttpOnly cookie) and returns to the dashboard",
        security: [],
        // What a provider sends back (RFC 6749 4.1.2, RFC 9207's iss, OIDC session management's
        // session_state), named for the API document; any other key is passed on to the token exchange too.
        querystring: z
          .object({
            code: z.string().max(4096).optional().describe('the authorization code'),
            state: z.string().max(4096).optional().describe('the state the sign-in sent, echoed'),
            error: z.string().max(4096).optional().describe("the provider's refusal (e.g. access_denied)"),
            error_description: z.string().max(4096).optional(),
            iss: z.string().max(4096).optional().describe("the provider's issuer (RFC 9207)"),
            session_state: z.string().max(4096).optional(),
          })
          .catchall(z.string().max(4096)),
      },
    },
    async (request, reply) => {
      const pending = takeSignInCookie(request, reply, cookies);
      const q = request.query;
      if (!ssoEnabled(sso)) return reply.redirect('/#/signin?sso=unavailable', 302);
      if (q.error) return fail(request, reply, 'denied', `the identity provider answered ${q.error}: ${q.error_description ?? ''}`);
      if (!pending || q.state !== pending.state) return fail(request, reply, 'state', pending ? 'the state does not match the sign-in started here' : 'no sign-in was started in this browser (or it took over 10 minutes)');
      let claims: Record<string, unknown>;
      let subject: string;
      try {
        const config = await configuration();
        const current = new URL(redirectUri);
        for (const [k, v] of Object.entries(q)) current.searchParams.set(k, v);
        const tokens = await client.authorizationCodeGrant(config, current, { pkceCodeVerifier: pending.verifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true });
        const idClaims = tokens.claims()!;
        subject = idClaims.sub;
        const info = await client.fetchUserInfo(config, tokens.access_token, subject);
        claims = { ...info, ...idClaims };
      } catch (err) {
        return fail(request, reply, 'exchange', (err as Error).message);
      }
      const name = claims[sso.usernameClaim];
      if (typeof name !== 'string' || name === '') return fail(request, reply, 'no_name', `no ${sso.usernameClaim} claim for ${subject}`);
      const groups = claimList(claims[sso.groupsClaim]);
      const role = roleOfGroups(groups, sso.roles);
      if (role === null) return fail(request, reply, 'no_role', `${name} is in none of the groups api.sso.roles maps (groups: ${groups.join(', ') || 'none'})`, name);
      try {
        const s = await signInWithIdentity(ctx.triage, { name, role, issuer: sso.issuer, subject, groups }, { sourceIp: request.ip, requestId: request.id, clientRequestId: request.clientRequestId }, sso.sessionMinutes * 60_000);
        setSessionCookie(reply, cookies, s.secret, sso.sessionMinutes * 60);
        return reply.redirect(`/#${pending.next}`, 302);
      } catch (err) {
        if (err instanceof TriageError) {
          clearSessionCookie(reply, cookies);
          return fail(request, reply, 'refused', err.message, name);
        }
        throw err;
      }
    },
  );
}
