// Managing API users and tokens, as the HTTP API and the CLI both do it: create a user, change a role,
// disable and enable, issue, list and revoke tokens, and end the token a caller signs out with. Every
// change is audited (user.create, user.role_change, user.disable, user.enable, token.issue, token.revoke).
//
// Changes are serialised within the process, and a creation reads the user back after writing it: of
// concurrent creations of one name (whatever its case), exactly one answers "created", the others a
// conflict, and every reader folds the rows to the same user (see users.ts).
import { MS_PER_DAY } from '../calendar';
import { TriageError } from '../errors';
import { audit, entryOf, type Actor } from './audit';
import { endSessions, listSessions, startSession } from './sessions';
import type { TriageDeps } from './service';
import {
  BOOTSTRAP_ADMIN,
  findUser,
  issueToken,
  listTokens,
  listUsers,
  nameKey,
  recordUserChange,
  revokeTokens,
  tokenState,
  userChanges,
  userRefusal,
  type ApiUser,
  type Principal,
  type Role,
  type TokenInfo,
} from './users';

/** How long a creation waits before reading back whether it won (see createUser). */
export const CREATE_SETTLE_MS = 500;

let last: Promise<unknown> = Promise.resolve();

/** Runs account changes one at a time (a check and its write are not interleaved with another's). */
function serially<T>(fn: () => Promise<T>): Promise<T> {
  const run = last.then(fn, fn);
  last = run.catch(() => undefined);
  return run;
}

const clock = (deps: TriageDeps) => (deps.now ?? Date.now)();

/** The user of `name` (any case), or a not-found error. The bootstrap admin is not a stored user. */
async function existing(deps: TriageDeps, name: string): Promise<ApiUser> {
  if (nameKey(name) === BOOTSTRAP_ADMIN) throw new TriageError('TRIAGE_INVALID', `"${BOOTSTRAP_ADMIN}" is the bootstrap admin (INSIDER_ADMIN_TOKEN): it is not managed here`);
  const user = await findUser(deps.ch, name);
  if (!user) throw new TriageError('TRIAGE_NOT_FOUND', `no user ${name}`);
  return user;
}

function notYourself(actor: Actor, user: ApiUser, what: string): void {
  if (nameKey(actor.name) === nameKey(user.name)) throw new TriageError('TRIAGE_CONFLICT', `you cannot ${what} yourself; ask another admin`);
}

export async function createUser(deps: TriageDeps, actor: Actor, name: string, role: Role): Promise<ApiUser> {
  return serially(async () => {
    const now = clock(deps);
    const bad = userRefusal(name, await listUsers(deps.ch));
    if (bad) throw new TriageError(bad.includes('exists') ? 'TRIAGE_CONFLICT' : 'TRIAGE_INVALID', bad);
    const mine = await recordUserChange(deps.ch, { name, event: 'created', role, at: now, actor: actor.name, reason: '' });
    // Another process (an API replica, the CLI) may be creating the same name: the first creation in
    // (at, at_ms, change_id) order wins. Reading back only after CREATE_SETTLE_MS means a creation
    // stamped before ours is seen as long as its insert took less than that.
    await new Promise((resolve) => setTimeout(resolve, CREATE_SETTLE_MS));
    const first = (await userChanges(deps.ch, name)).find((c) => c.event === 'created');
    if (first && first.changeId !== mine.changeId) throw new TriageError('TRIAGE_CONFLICT', `user "${first.name}" was created at the same time by ${first.actor}`);
    await audit(deps.ch, entryOf(actor, now, 'user.create', name, { role }));
    return (await findUser(deps.ch, name))!;
  });
}

export async function changeRole(deps: TriageDeps, actor: Actor, name: string, role: Role): Promise<ApiUser> {
  return serially(async () => {
    const now = clock(deps);
    const user = await existing(deps, name);
    notYourself(actor, user, 'change the role of');
    if (user.role === role) throw new TriageError('TRIAGE_CONFLICT', `${user.name} is already ${role}`);
    await recordUserChange(deps.ch, { name: user.name, event: 'role_changed', role, at: now, actor: actor.name, reason: '' });
    await audit(deps.ch, entryOf(actor, now, 'user.role_change', user.name, { from: user.role, to: role }));
    return (await findUser(deps.ch, user.name))!;
  });
}

/** Disables a user and revokes every token they hold: they are refused at once, everywhere. */
export async function disableUser(deps: TriageDeps, actor: Actor, name: string, reason = ''): Promise<ApiUser & { revokedTokens: string[] }> {
  return serially(async () => {
    const now = clock(deps);
    const user = await existing(deps, name);
    notYourself(actor, user, 'disable');
    if (user.disabled) throw new TriageError('TRIAGE_CONFLICT', `${user.name} is already disabled`);
    await recordUserChange(deps.ch, { name: user.name, event: 'disabled', role: user.role, at: now, actor: actor.name, reason });
    const revoked = (await listTokens(deps.ch, user.name)).filter((t) => tokenState(t, now) === 'active').map((t) => t.tokenId);
    await revokeTokens(deps.ch, user.name, revoked, actor.name, now);
    const ended = (await listSessions(deps.ch, user.name)).filter((x) => x.revokedAt === null && x.expiresAt > now).map((x) => x.sessionId);
    await endSessions(deps.ch, user.name, ended, actor.name, now);
    await audit(deps.ch, entryOf(actor, now, 'user.disable', user.name, { reason, revokedTokens: revoked, ...(ended.length > 0 ? { endedSessions: ended } : {}) }));
    return { ...(await findUser(deps.ch, user.name))!, revokedTokens: revoked };
  });
}

/** Enables a disabled user again; their old tokens stay revoked (issue a new one). */
export async function enableUser(deps: TriageDeps, actor: Actor, name: string): Promise<ApiUser> {
  return serially(async () => {
    const now = clock(deps);
    const user = await existing(deps, name);
    if (!user.disabled) throw new TriageError('TRIAGE_CONFLICT', `${user.name} is not disabled`);
    await recordUserChange(deps.ch, { name: user.name, event: 'enabled', role: user.role, at: now, actor: actor.name, reason: '' });
    await audit(deps.ch, entryOf(actor, now, 'user.enable', user.name, {}));
    return (await findUser(deps.ch, user.name))!;
  });
}

/** A new token for an active user; the secret is returned once and never stored. */
export async function createToken(deps: TriageDeps, actor: Actor, name: string, validDays = 90): Promise<{ name: string; token: string; tokenId: string; expiresAt: string }> {
  // Serialised with disabling: a token issued while its user is being disabled is not left out of the revocation.
  return serially(async () => {
    const now = clock(deps);
    const user = await existing(deps, name);
    if (user.disabled) throw new TriageError('TRIAGE_CONFLICT', `${user.name} is disabled: enable the user before issuing a token`);
    const t = await issueToken(deps.ch, user.name, actor.name, now, now + validDays * MS_PER_DAY);
    await audit(deps.ch, entryOf(actor, now, 'token.issue', user.name, { tokenId: t.tokenId, validDays }));
    return { name: user.name, token: t.token, tokenId: t.tokenId, expiresAt: new Date(t.expiresAt).toISOString() };
  });
}

/** A user's tokens (ids and dates, never a secret or a hash), newest first. */
export async function tokensOf(deps: TriageDeps, name: string): Promise<{ user: ApiUser; tokens: TokenInfo[] }> {
  const user = await existing(deps, name);
  return { user, tokens: await listTokens(deps.ch, user.name) };
}

/** Revokes one token of a user. Refused when it is not theirs or already revoked. */
export async function revokeToken(deps: TriageDeps, actor: Actor, name: string, tokenId: string): Promise<TokenInfo> {
  return serially(async () => {
    const now = clock(deps);
    const user = await existing(deps, name);
    const token = (await listTokens(deps.ch, user.name)).find((t) => t.tokenId === tokenId);
    if (!token) throw new TriageError('TRIAGE_NOT_FOUND', `${user.name} has no token ${tokenId}`);
    if (token.revokedAt !== null) throw new TriageError('TRIAGE_CONFLICT', `token ${tokenId} was already revoked`);
    await revokeTokens(deps.ch, user.name, [tokenId], actor.name, now);
    await audit(deps.ch, entryOf(actor, now, 'token.revoke', user.name, { tokenId, by: 'admin' }));
    return { ...token, revokedAt: now, revokedBy: actor.name };
  });
}

/** Sign-out: ends the token or the session the caller authenticated with. The bootstrap token cannot be ended here. */
export async function signOut(deps: TriageDeps, actor: Actor, principal: Principal): Promise<{ tokenId: string } | { sessionId: string }> {
  if (principal.credential.kind === 'session') {
    const { sessionId } = principal.credential;
    return serially(async () => {
      const now = clock(deps);
      await endSessions(deps.ch, principal.name, [sessionId], principal.name, now);
      await audit(deps.ch, entryOf(actor, now, 'session.end', principal.name, { sessionId, by: 'sign-out' }));
      return { sessionId };
    });
  }
  if (principal.credential.kind !== 'token') {
    throw new TriageError('TRIAGE_CONFLICT', `the bootstrap admin token comes from INSIDER_ADMIN_TOKEN and ends only when it is unset or changed`);
  }
  const { tokenId } = principal.credential;
  return serially(async () => {
    const now = clock(deps);
    await revokeTokens(deps.ch, principal.name, [tokenId], principal.name, now);
    await audit(deps.ch, entryOf(actor, now, 'token.revoke', principal.name, { tokenId, by: 'sign-out' }));
    return { tokenId };
  });
}

/** What the identity provider said about who signed in, and the role its groups map to. */
export interface Identity {
  name: string;
  role: Role;
  issuer: string;
  subject: string;
  groups: ReadonlyArray<string>;
}

/**
 * Single sign-on: the user of the identity (created on first sign-in, its role set from the groups at each
 * sign-in: the identity provider is where SSO users' roles are managed), then a new session. Refused for
 * the bootstrap admin's name and for a disabled user. Audited: user.create / user.role_change (actor
 * "sso"), session.start.
 */
export async function signInWithIdentity(deps: TriageDeps, id: Identity, from: Pick<Actor, 'sourceIp' | 'requestId' | 'clientRequestId'>, sessionMs: number): Promise<{ user: ApiUser; secret: string; sessionId: string; expiresAt: number }> {
  const sso: Actor = { name: 'sso', role: 'admin', ...from };
  if (nameKey(id.name) === BOOTSTRAP_ADMIN) throw new TriageError('TRIAGE_CONFLICT', `"${id.name}" is the bootstrap admin's name: it cannot sign in through single sign-on`);
  let user = await findUser(deps.ch, id.name);
  if (!user) {
    try {
      user = await createUser(deps, sso, id.name, id.role);
    } catch (err) {
      // Two first sign-ins of one person at once: the other created the user.
      if (!(err instanceof TriageError && err.code === 'TRIAGE_CONFLICT')) throw err;
      user = await findUser(deps.ch, id.name);
      if (!user) throw err;
    }
  }
  if (user.disabled) throw new TriageError('TRIAGE_CONFLICT', `the user ${user.name} is disabled`);
  if (user.role !== id.role) user = await changeRole(deps, sso, user.name, id.role);
  const now = clock(deps);
  const s = await startSession(deps.ch, { name: user.name, now, expiresAt: now + sessionMs, issuer: id.issuer, subject: id.subject, groups: id.groups });
  await audit(deps.ch, entryOf({ ...sso, name: user.name, role: user.role }, now, 'session.start', user.name, { sessionId: s.sessionId, issuer: id.issuer, subject: id.subject, groups: id.groups }));
  return { user, ...s };
}
