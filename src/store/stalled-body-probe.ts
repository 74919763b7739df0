// How long a ClickHouse server (or a proxy in front of it) waits for a request body that stops arriving,
// measured rather than read: the server takes http_receive_timeout from its default profile when it
// starts (a change needs a restart; the product's user may have another profile; 0 means never), and a
// proxy that buffers bodies answers with its own timeout. A request announces a longer body than it sends
// and waits for the answer: no table is touched, the server fails the unfinished query.
import http from 'node:http';
import https from 'node:https';

export interface ProbeTarget {
  url: string;
  username: string;
  password?: string;
}

/** Milliseconds until the server gave up on the stalled body; undefined when it still waited after `capMs`. */
export function stalledBodyDroppedAfter(target: ProbeTarget, capMs: number): Promise<number | undefined> {
  const url = new URL(target.url);
  const client = url.protocol === 'https:' ? https : http;
  const started = Date.now();
  const sent = 'SELECT 1';
  return new Promise((resolve) => {
    let done = false;
    const finish = (ms: number | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(cap);
      // A reset: nothing the server could take for the end of the body.
      req.destroy();
      resolve(ms);
    };
    const req = client.request(
      {
        hostname: url.hostname,
        port: url.port,
        path: '/',
        method: 'POST',
        auth: `${target.username}:${target.password ?? ''}`,
        headers: { 'Content-Length': String(sent.length + 64), Connection: 'close' },
        agent: false,
      },
      (res) => {
        res.resume();
        finish(Date.now() - started);
      },
    );
    // It never keeps a process from exiting.
    req.on('socket', (socket) => socket.unref());
    // Refused, reset or closed: it did not wait any longer.
    req.on('error', () => finish(Date.now() - started));
    req.on('close', () => finish(Date.now() - started));
    const cap = setTimeout(() => finish(undefined), capMs);
    cap.unref();
    req.write(sent);
  });
}
