// API users, their tokens, and the caller themselves (who am I, sign out).
import { z } from 'zod';
import { ROLES } from '../../triage';
import { pattern, text, time, timeOrNull, TOKEN_ID, userName } from './common';

export const userBody = z.strictObject({ name: userName, role: z.enum(ROLES) });
export const roleBody = z.strictObject({ role: z.enum(ROLES) });
export const disableBody = z.strictObject({ reason: text(1000).optional() }).nullish().describe('optional');
export const tokenBody = z.strictObject({ validDays: z.number().int().min(1).max(3650).optional() }).nullish().describe('optional');
export const nameParams = z.strictObject({ name: userName });
export const tokenParams = z.strictObject({ name: userName, tokenId: pattern(TOKEN_ID, 'a token id like tok_3fa9c2d1') });
export const userOut = z
  .object({
    name: z.string().describe('as created; unique whatever its case'),
    role: z.enum(ROLES),
    disabled: z.boolean(),
    disabledReason: z.string().nullable(),
    createdAt: time,
    createdBy: z.string(),
    updatedAt: time.describe('the last change (creation, role, disabled, enabled)'),
    updatedBy: z.string(),
  })
  .meta({ id: 'User' });
export const userListOut = z.object({ items: z.array(userOut) });
export const disabledOut = z.object({ ...userOut.shape, revokedTokens: z.array(z.string()).describe('the tokens ended with it') });
export const tokenOut = z.object({ name: z.string(), token: z.string().describe('shown once; only its hash is stored'), tokenId: z.string(), expiresAt: time });
export const tokenInfoOut = z
  .object({
    tokenId: z.string(),
    name: z.string(),
    state: z.enum(['active', 'expired', 'revoked']),
    issuedAt: time,
    issuedBy: z.string(),
    expiresAt: time,
    revokedAt: timeOrNull,
    revokedBy: z.string().nullable().describe('the user themselves when they signed out'),
  })
  .meta({ id: 'Token' });
export const tokenListOut = z.object({ items: z.array(tokenInfoOut) });
export const signOutOut = z.union([z.object({ tokenId: z.string().describe('the token that was ended') }), z.object({ sessionId: z.string().describe('the session that was ended') })]);
export const meOut = z.object({
  name: z.string(),
  role: z.enum(ROLES),
  credential: z.enum(['token', 'session', 'bootstrap']).describe('how the caller signed in'),
  csrfToken: z.string().optional().describe('on a session (single sign-on): send it as X-Insider-CSRF with every POST'),
});
