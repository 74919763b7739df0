// Who is signed in: the token (token.ts) and the caller's name and role from GET /api/me. A tiny store
// with subscribers, so the nav and the pages follow sign-in, sign-out and an expired token alike.
// Signing out ends the token on the server (POST /api/me/sign-out), not only in this tab: a copy of it
// (another tab, a proxy's log) is refused from then on.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, get, setUnauthorizedHandler } from './api';
import { readToken, writeToken } from './token';
import { go } from './router';
import type { Me } from './types';

export interface SessionState {
  token: string | null;
  me: Me | null;
  /** Why the analyst is on the sign-in page (an expired token...), shown there once. */
  notice: string | null;
}

let state: SessionState = { token: readToken(), me: null, notice: null };
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
  set({ token, me, notice: null });
}

/** `keepPlace`: an expired session returns to the same page after signing in again. */
export function signOut(notice: string | null = null, keepPlace = false): void {
  const here = location.hash.slice(1);
  writeToken(null);
  set({ token: null, me: null, notice });
  go(keepPlace && here && !here.startsWith('/signin') ? `/signin?next=${encodeURIComponent(here)}` : '/signin');
}

/** The "Sign out" button: the server revokes the token, then the tab forgets it. */
export async function endSession(): Promise<void> {
  const token = state.token;
  let notice: string | null = 'Signed out: the token was ended and cannot be used again.';
  if (token) {
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

setUnauthorizedHandler((message) => {
  if (state.token !== null) signOut(`Signed out: ${message}`, true);
});
