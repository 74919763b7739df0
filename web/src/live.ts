// Live updates: the API's event stream (GET /api/stream, Server-Sent Events) read with the `eventsource`
// package, a standard EventSource that lets the bearer token travel in the Authorization header as on
// every other request (the browser's own EventSource cannot send it; a single sign-on session's cookie goes
// as on any same-origin request). When the stream cannot be had (a
// proxy that buffers, a server at its stream limit, the network), the caller polls instead, and the
// stream is tried again later. An `end` event whose reason says the token is no longer good ends the
// session like a 401.
import { EventSource } from 'eventsource';
import { signOutExpired } from './api';
import { readToken } from './token';
import type { AlertSummary } from './types';

export type LiveMode = 'connecting' | 'push' | 'poll';

export interface LiveHandlers {
  /** The stream is open: reload what is shown if it was fetched before `since` (events may have been missed). */
  onOpen(since: number): void;
  /** Alerts changed (summaries, as lists show them). */
  onAlerts(items: AlertSummary[]): void;
  /** Push or poll: the caller polls while the mode is 'poll' (and 'connecting'). */
  onMode(mode: LiveMode, why?: string): void;
}

/** How long the stream may take to open before the caller polls meanwhile, and how long before a new try. */
export const OPEN_WITHIN_MS = 5_000;
export const RETRY_STREAM_MS = 30_000;
const ENDS_SESSION = new Set(['revoked', 'disabled', 'expired', 'unknown']);

/** Opens the stream; returns a function that closes it for good. */
export function subscribe(path: string, handlers: LiveHandlers): () => void {
  let es: EventSource | null = null;
  let stopped = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let slow: ReturnType<typeof setTimeout> | undefined;

  const fallBack = (why: string) => {
    es?.close();
    es = null;
    clearTimeout(slow);
    handlers.onMode('poll', why);
    clearTimeout(retry);
    if (!stopped) retry = setTimeout(connect, RETRY_STREAM_MS);
  };

  function connect() {
    if (stopped) return;
    // A token travels in the header; a single sign-on session in its cookie, which same-origin requests carry.
    const token = readToken();
    handlers.onMode('connecting');
    const since = Date.now();
    const source = new EventSource(path, {
      fetch: (input, init) =>
        fetch(input, { ...init, cache: 'no-store', credentials: 'same-origin', headers: { ...(init?.headers ?? {}), ...(token ? { authorization: `Bearer ${token}` } : {}) } }),
    });
    es = source;
    slow = setTimeout(() => handlers.onMode('poll', 'the stream is slow to open'), OPEN_WITHIN_MS);
    source.addEventListener('ready', () => {
      clearTimeout(slow);
      handlers.onMode('push');
      handlers.onOpen(since);
    });
    source.addEventListener('alerts', (e) => {
      try {
        handlers.onAlerts((JSON.parse(String((e as MessageEvent).data)) as { items: AlertSummary[] }).items);
      } catch {
        // A malformed event: a reload corrects what is shown.
        handlers.onOpen(Date.now());
      }
    });
    source.addEventListener('end', (e) => {
      let reason = 'unknown';
      let message = 'the stream ended';
      try {
        ({ reason, message } = JSON.parse(String((e as MessageEvent).data)) as { reason: string; message: string });
      } catch {
        // keep the defaults
      }
      source.close();
      if (ENDS_SESSION.has(reason)) {
        stopped = true;
        signOutExpired(`${message.replace(/^./, (c) => c.toUpperCase())}.`);
        return;
      }
      fallBack(message);
    });
    source.addEventListener('error', (e) => {
      const code = (e as unknown as { code?: number }).code;
      if (code === 401) {
        stopped = true;
        signOutExpired('the credential was refused.');
        return;
      }
      // CLOSED: the server said no (503 at its limit, 404 on an older server): poll and try later.
      // CONNECTING: the library reconnects by itself; poll meanwhile.
      if (source.readyState === EventSource.CLOSED) fallBack(code ? `the stream was refused (${code})` : 'the stream could not be opened');
      else handlers.onMode('poll', 'reconnecting');
    });
  }

  connect();
  return () => {
    stopped = true;
    clearTimeout(retry);
    clearTimeout(slow);
    es?.close();
  };
}
