// An event-stream client as the dashboard is one: the `eventsource` package (WHATWG EventSource) with the
// bearer token added to each (re)connection, every event kept in order, and a way to wait for one.
import { EventSource } from 'eventsource';

export interface StreamEvent {
  type: string;
  data: unknown;
  at: number;
}

export interface TestStream {
  events: StreamEvent[];
  /** HTTP statuses and messages of failed (re)connections. */
  errors: Array<{ code?: number; message?: string }>;
  /** Resolves with the first event (kept or to come) that matches; rejects after timeoutMs. */
  waitFor(match: (e: StreamEvent) => boolean, timeoutMs?: number, what?: string): Promise<StreamEvent>;
  /** Resolves when the client has given up reconnecting (readyState CLOSED). */
  closed(timeoutMs?: number): Promise<void>;
  readyState(): number;
  close(): void;
}

export function openStream(url: string, token: string): TestStream {
  const events: StreamEvent[] = [];
  const errors: TestStream['errors'] = [];
  const waiters = new Set<() => void>();
  const es = new EventSource(url, {
    fetch: (input, init) => fetch(input, { ...init, headers: { ...(init?.headers ?? {}), authorization: `Bearer ${token}` } }),
  });
  const keep = (type: string) => (m: MessageEvent) => {
    events.push({ type, data: JSON.parse(String(m.data)) as unknown, at: Date.now() });
    waiters.forEach((w) => w());
  };
  for (const type of ['ready', 'alerts', 'end']) es.addEventListener(type, keep(type));
  es.addEventListener('error', (e) => {
    const err = e as unknown as { code?: number; message?: string };
    errors.push({ code: err.code, message: err.message });
    waiters.forEach((w) => w());
  });
  const until = <T>(check: () => T | undefined, timeoutMs: number, what: string) =>
    new Promise<T>((resolve, reject) => {
      const tick = () => {
        const found = check();
        if (found !== undefined) {
          clearTimeout(timer);
          waiters.delete(tick);
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(tick);
        reject(new Error(`no ${what} within ${timeoutMs} ms; events: ${JSON.stringify(events.map((e) => e.type))}, errors: ${JSON.stringify(errors)}`));
      }, timeoutMs);
      waiters.add(tick);
      tick();
    });
  const poll = setInterval(() => waiters.forEach((w) => w()), 100);
  poll.unref();
  return {
    events,
    errors,
    waitFor: (match, timeoutMs = 15_000, what = 'matching event') => until(() => events.find(match), timeoutMs, what),
    closed: (timeoutMs = 15_000) => until(() => (es.readyState === EventSource.CLOSED ? true : undefined), timeoutMs, 'closed stream').then(() => undefined),
    readyState: () => es.readyState,
    close() {
      clearInterval(poll);
      es.close();
    },
  };
}
