// A local HTTP receiver for pages: records every request exactly as it arrived (method, path, headers,
// raw body) and, given the webhook secret, checks its signature. The demo starts one, points a webhook
// channel at it, and prints what the on-call responder's system would have received:
//
//   const r = await startLocalReceiver({ secret: 'demo-secret' });
//   // channel: { type: webhook, url: r.url, secretEnv: ... }  (or pagerduty/opsgenie/slack with url: r.url)
//   r.onRequest((req) => process.stdout.write(formatReceived(req)));
//   ...
//   await r.close();
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature, type Verification } from './signature';

export interface ReceivedRequest {
  /** Wall time it arrived (ms). */
  at: number;
  method: string;
  /** Path and query, as sent. */
  path: string;
  /** Header names in lower case, as Node reports them. */
  headers: Record<string, string>;
  /** The raw body, as received (UTF-8). */
  body: string;
  /** The body parsed, when it is JSON. */
  json: unknown;
  /** The webhook signature check, when the receiver knows the secret. */
  signature?: Verification;
}

export interface LocalReceiver {
  /** http://127.0.0.1:<port> (append a path for a channel if you like: it is recorded). */
  url: string;
  port: number;
  received: ReceivedRequest[];
  /** Called for every request, after it is recorded. */
  onRequest(listener: (req: ReceivedRequest) => void): void;
  /** Resolves once `count` requests have arrived (or rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export async function startLocalReceiver(opts: { port?: number; host?: string; secret?: string; status?: number; responseBody?: string } = {}): Promise<LocalReceiver> {
  const received: ReceivedRequest[] = [];
  const listeners: Array<(req: ReceivedRequest) => void> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = raw.toString('utf8');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      let json: unknown = undefined;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const r: ReceivedRequest = { at: Date.now(), method: req.method ?? '', path: req.url ?? '', headers, body, json };
      if (opts.secret !== undefined) r.signature = verifySignature({ secret: opts.secret, timestamp: headers[TIMESTAMP_HEADER], signature: headers[SIGNATURE_HEADER], body: raw });
      received.push(r);
      for (const l of listeners) l(r);
      const status = r.signature && !r.signature.ok ? 401 : (opts.status ?? 202);
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(opts.responseBody ?? JSON.stringify(status < 300 ? { status: 'success', message: 'Event processed' } : { status: 'rejected', message: r.signature?.ok === false ? r.signature.reason : 'rejected' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    received,
    onRequest: (l) => listeners.push(l),
    waitFor: (count, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        if (received.length >= count) return resolve(received.slice());
        const timer = setTimeout(() => reject(new Error(`receiver: ${received.length} of ${count} requests within ${timeoutMs} ms`)), timeoutMs);
        listeners.push(() => {
          if (received.length >= count) {
            clearTimeout(timer);
            resolve(received.slice());
          }
        });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A received request as text, exactly as it arrived: request line, headers, blank line, body (JSON pretty-printed below it). */
export function formatReceived(r: ReceivedRequest): string {
  const lines = [`${r.method} ${r.path}`, ...Object.entries(r.headers).map(([k, v]) => `${k}: ${v}`), '', r.body];
  if (r.json !== undefined) lines.push('', '-- body, pretty-printed --', JSON.stringify(r.json, null, 2));
  if (r.signature) lines.push('', `-- signature: ${r.signature.ok ? 'valid' : `INVALID (${r.signature.reason})`} --`);
  return `${lines.join('\n')}\n`;
}
