// The HTTP client: every call carries the bearer token (or, signed in through single sign-on, the
// browser sends the HttpOnly session cookie and POSTs carry the session's CSRF token), and every failure becomes an ApiError with the
// server's message, so pages can show what went wrong in the API's own words. A 401 anywhere ends the
// session (the handler registered by session.ts sends the analyst back to sign-in).
import { readToken } from './token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId = '',
  ) {
    super(message);
  }
}

let onUnauthorized: (message: string) => void = () => {};

/** A single sign-on session's CSRF token (from GET /api/me): the session cookie alone does not let a POST through. */
let csrfToken: string | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function setUnauthorizedHandler(fn: (message: string) => void): void {
  onUnauthorized = fn;
}

/** The token is no longer good (the event stream said so): the session ends as on a 401. */
export function signOutExpired(message: string): void {
  onUnauthorized(message);
}

interface Options {
  method?: 'GET' | 'POST';
  body?: unknown;
  signal?: AbortSignal;
  /** Sign-in checks a candidate token: a 401 there is the form's error, not the end of a session. */
  token?: string;
  /** Looking for a single sign-on session: a 401 means there is none, not that one ended. */
  probe?: boolean;
}

async function errorOf(res: Response): Promise<ApiError> {
  try {
    const j = (await res.json()) as { error?: { code?: string; message?: string; requestId?: string } };
    if (j.error?.message) return new ApiError(res.status, j.error.code ?? 'ERROR', j.error.message, j.error.requestId);
  } catch {
    // Not JSON (a proxy's page): fall through to the status line.
  }
  return new ApiError(res.status, 'HTTP', `${res.status} ${res.statusText || 'error'}`.trim());
}

/** A raw authenticated fetch (JSON calls and file downloads both go through it). */
export async function send(path: string, opts: Options = {}): Promise<Response> {
  const token = opts.token ?? readToken();
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  else if (csrfToken && opts.method === 'POST') headers['x-insider-csrf'] = csrfToken;
  // Fastify refuses an empty body declared as JSON, so a POST always sends an object.
  if (opts.method === 'POST') headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method: opts.method ?? 'GET',
      headers,
      body: opts.method === 'POST' ? JSON.stringify(opts.body ?? {}) : undefined,
      signal: opts.signal,
      cache: 'no-store',
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'NETWORK', 'Cannot reach the API. Check the connection; the page retries on its own.');
  }
  if (res.ok) return res;
  const err = await errorOf(res);
  if (res.status === 401 && opts.token === undefined && !opts.probe) onUnauthorized(err.message);
  throw err;
}

export async function api<T>(path: string, opts: Options = {}): Promise<T> {
  const res = await send(path, opts);
  return (await res.json()) as T;
}

export const get = <T>(path: string, signal?: AbortSignal) => api<T>(path, { signal });
export const post = <T>(path: string, body?: unknown) => api<T>(path, { method: 'POST', body });

/** ?a=1&b=2 from the defined, non-empty values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const enc = encodeURIComponent;

/** What to tell the analyst: the server's message, with the role spelled out on a 403. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 403) return e.message.includes('role') ? `Not allowed: ${e.message}.` : `Not allowed: this needs the analyst role (${e.message}).`;
    // The request id lets an admin find the log lines; some messages already carry it.
    return e.requestId && !e.message.includes(e.requestId) ? `${e.message} (request ${e.requestId})` : e.message;
  }
  return e instanceof Error ? e.message : String(e);
}

export const isAbort = (e: unknown) => e instanceof DOMException && e.name === 'AbortError';
