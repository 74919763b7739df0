// Who is signed in: the token (token.ts) and the caller's name and role from GET /api/me. A tiny store
// with subscribers, so the nav and the pages follow sign-in, sign-out and an expired token alike.
import { useEffect, useState } from 'preact/hooks';
import { api, get, setUnauthorizedHandler } from './api';
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

/** On load with a stored token: who is it? (A 401 goes through the handler below.) */
export async function loadMe(): Promise<void> {
  if (!state.token) return;
  set({ me: await get<Me>('/api/me') });
}

setUnauthorizedHandler((message) => {
  if (state.token !== null) signOut(`Signed out: ${message}`, true);
});
