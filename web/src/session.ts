// Who is signed in: the token (token.ts) and the caller's name and role from GET /api/me. A tiny store
// with subscribers, so the nav and the pages follow sign-in, sign-out and an expired token alike.
// Signing out ends the token on the server (POST /api/me/sign-out), not only in this tab: a copy of it
// (another tab, a proxy's log) is refused from then on.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, get, setCsrfToken, setUnauthorizedHandler } from './api';
import { readToken, writeToken } from './token';
import { go } from './router';
import type { Me } from './types';

export interface SessionState {
  token: string | null;
  /** Signed in through single sign-on: the server-side session's cookie is HttpOnly, so only this says so. */
  sso: boolean;
  /** Looking for a single sign-on session on load (the page waits rather than show sign-in). */
  probing: boolean;
  me: Me | null;
  /** Why the analyst is on the sign-in page (an expired token...), shown there once. */
  notice: string | null;
}

let state: SessionState = { token: readToken(), sso: false, probing: readToken() === null, me: null, notice: null };
const listeners = new Set<() => void>();

function set(next: Partial<SessionState>): void {
  state = { ...state, ...next };
  listeners.forEach((l) => l());
}

export function session(): SessionState {
  return state;
}

export function useSession(): SessionState {
  const [, tick] = useState(0);
  useEffect(() => {
    const l = () => tick((n) => n + 1);
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  return state;
}

export const canAct = (me: Me | null) => me !== null && me.role !== 'viewer';

/** Checks the token against the API before keeping it, so a typo is reported on the form. */
export async function signIn(token: string): Promise<void> {
  const me = await api<Me>('/api/me', { token });
  writeToken(token);
  set({ token, sso: false, me, notice: null });
}

/** `keepPlace`: an expired session returns to the same page after signing in again. */
export function signOut(notice: string | null = null, keepPlace = false): void {
  const here = location.hash.slice(1);
  writeToken(null);
  setCsrfToken(null);
  set({ token: null, sso: false, probing: false, me: null, notice });
  go(keepPlace && here && !here.startsWith('/signin') ? `/signin?next=${encodeURIComponent(here)}` : '/signin');
}

/** The "Sign out" button: the server revokes the token, then the tab forgets it. */
export async function endSession(): Promise<void> {
  const token = state.token;
  let notice: string | null = 'Signed out: the token was ended and cannot be used again.';
  if (state.sso) {
    notice = 'Signed out: the session was ended and cannot be used again.';
    try {
      await api('/api/me/sign-out', { method: 'POST', probe: true });
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) notice = `Signed out of this tab, but the server could not end the session (${e instanceof Error ? e.message : String(e)}).`;
    }
  } else if (token) {
    try {
      await api('/api/me/sign-out', { method: 'POST', token });
    } catch (e) {
      // 409: the bootstrap admin token (INSIDER_ADMIN_TOKEN) cannot be ended here; 401: it had already ended.
      if (e instanceof ApiError && e.status === 409) notice = `Signed out of this tab only: ${e.message}.`;
      else if (!(e instanceof ApiError && e.status === 401)) notice = `Signed out of this tab, but the server could not end the token (${e instanceof Error ? e.message : String(e)}): ask an admin to revoke it.`;
    }
  }
  signOut(notice);
}

export const isAdmin = (me: Me | null) => me !== null && me.role === 'admin';

/** On load with a stored token: who is it? (A 401 goes through the handler below.) */
export async function loadMe(): Promise<void> {
  if (!state.token) return;
  set({ me: await get<Me>('/api/me') });
}

/** On load without a token: is there a single sign-on session (its cookie is sent by the browser)? */
export async function probeSession(): Promise<void> {
  try {
    // Asked first, so that a visitor without a session meets no refused request.
    const sso = await api<{ session: boolean }>('/auth/sso', { probe: true });
    const me = sso.session ? await api<Me>('/api/me', { probe: true }) : null;
    if (me?.credential === 'session') {
      setCsrfToken(me.csrfToken ?? null);
      set({ sso: true, probing: false, me });
      return;
    }
  } catch {
    // No session (401), or the API is away: the sign-in page says what it can.
  }
  set({ probing: false });
}

setUnauthorizedHandler((message) => {
  if (state.token !== null || state.sso) signOut(`Signed out: ${message}`, true);
});
