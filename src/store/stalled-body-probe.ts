// How long a ClickHouse server (or a proxy in front of it) waits for a request body that stops arriving,
// measured rather than read: the server takes http_receive_timeout from its default profile when it
// starts (a change needs a restart; the product's user may have another profile; 0 on 18.16 drops
// connections at random rather than never), and a proxy that buffers bodies answers with its own timeout.
// A request announces a longer body than it sends and waits for the answer: no table is touched, the
// server fails the unfinished query.
import http from 'node:http';
import https from 'node:https';

export interface ProbeTarget {
  url: string;
  username: string;
  password?: string;
}

/**
 * What one server did with a body that stopped arriving: gave up on it after `droppedAfterMs`, or still
 * waited after the cap (neither field), or could not be asked (`unmeasured`: refused, or an answer that is
 * not about the body, such as a failed login: never taken for a timeout).
 */
export interface StalledBodyProbe {
  droppedAfterMs?: number;
  unmeasured?: string;
}

/**
 * What a server answers a body that stopped arriving: 18.16's 23 (measured), a later server's 209 or 210,
 * a proxy's 408. Nothing else counts: a connection closed without an answer proves nothing (18.16 with
 * http_receive_timeout 0 drops connections at random at once: measured by a review, stop 45).
 */
const GAVE_UP = /\bCode: (23|209|210)\b/;

export function stalledBodyDroppedAfter(target: ProbeTarget, capMs: number): Promise<StalledBodyProbe> {
  const url = new URL(target.url);
  const client = url.protocol === 'https:' ? https : http;
  const started = Date.now();
  const sent = 'SELECT 1';
  return new Promise((resolve) => {
    let done = false;
    const finish = (probe: StalledBodyProbe) => {
      if (done) return;
      done = true;
      clearTimeout(cap);
      // A reset: nothing the server could take for the end of the body.
      req.destroy();
      resolve(probe);
    };
    const req = client.request(
      {
        hostname: url.hostname,
        port: url.port,
        path: url.pathname || '/',
        method: 'POST',
        auth: `${target.username}:${target.password ?? ''}`,
        headers: { 'Content-Length': String(sent.length + 64), Connection: 'close' },
        agent: false,
      },
      (res) => {
        const ms = Date.now() - started;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < 2000) text += chunk;
        });
        const answered = () =>
          finish(res.statusCode === 408 || GAVE_UP.test(text) ? { droppedAfterMs: ms } : { unmeasured: `answered ${res.statusCode}: ${text.split('\n')[0].slice(0, 200)}` });
        res.on('end', answered);
        res.on('error', answered);
      },
    );
    // It never keeps a process from exiting.
    req.on('socket', (socket) => socket.unref());
    req.on('error', (err: Error) => finish({ unmeasured: `no answer (${err.message}) after ${((Date.now() - started) / 1000).toFixed(1)} s` }));
    const cap = setTimeout(() => finish({}), capMs);
    cap.unref();
    req.write(sent);
  });
}
