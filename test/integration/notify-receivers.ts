// Local receivers for the notifier's integration tests, one per provider. Each checks every request
// against the provider's documented format (path, headers, fields, limits, signature) the way the real
// service would, answers like it (PagerDuty 202, Opsgenie 202, Slack 200 "ok", 400/422 for a bad
// request), records it, and keeps the provider-side view: one incident per dedup key / alias.
// Behaviour can be scripted: down (nothing listening), slow, 429 with Retry-After, 5xx.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '../../src/notify';

export interface Recorded {
  at: number;
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: Record<string, unknown>;
  /** Problems with the request; empty when it follows the provider's format. */
  problems: string[];
  /** The status the receiver answered. */
  status: number;
}

export type Provider = 'pagerduty' | 'opsgenie' | 'slack' | 'webhook';

export interface Receiver {
  provider: Provider;
  url: string;
  port: number;
  requests: Recorded[];
  /** Requests that were valid and accepted (2xx). */
  accepted(): Recorded[];
  /** Provider-side incidents: dedup key (PagerDuty) or alias (Opsgenie) -> state and how many events it got. */
  incidents: Map<string, { state: 'triggered' | 'acknowledged' | 'resolved'; events: number; triggers: number; notes: number }>;
  /** Responses to give before behaving normally, in order (e.g. one 429 with Retry-After). */
  script: Array<{ status: number; headers?: Record<string, string>; body?: string; delayMs?: number }>;
  /** Delay for every request (a slow receiver). */
  delayMs: number;
  /** Requests that arrived, answered or not yet (a slow receiver holds them). */
  arrivals: number;
  waitFor(pred: (r: Receiver) => boolean, timeoutMs?: number, what?: string): Promise<void>;
  close(): Promise<void>;
}

const isStr = (v: unknown): v is string => typeof v === 'string';

function checkPagerDuty(r: Recorded, routingKey: string): string[] {
  const p: string[] = [];
  const b = r.body;
  if (r.method !== 'POST' || r.path !== '/v2/enqueue') p.push(`expected POST /v2/enqueue, got ${r.method} ${r.path}`);
  if (!String(r.headers['content-type']).startsWith('application/json')) p.push('Content-Type must be application/json');
  const allowed = ['routing_key', 'event_action', 'dedup_key', 'payload', 'images', 'links', 'client', 'client_url'];
  for (const k of Object.keys(b)) if (!allowed.includes(k)) p.push(`unknown field ${k}`);
  if (b.routing_key !== routingKey) p.push('routing_key is not the integration key');
  if (!['trigger', 'acknowledge', 'resolve'].includes(String(b.event_action))) p.push(`event_action ${String(b.event_action)}`);
  if (!isStr(b.dedup_key) || b.dedup_key.length === 0 || b.dedup_key.length > 255) p.push('dedup_key must be 1..255 characters');
  if (b.event_action === 'trigger') {
    const pl = b.payload as Record<string, unknown> | undefined;
    if (!pl) p.push('trigger needs payload');
    else {
      if (!isStr(pl.summary) || pl.summary.length === 0 || pl.summary.length > 1024) p.push('payload.summary must be 1..1024 characters');
      if (!isStr(pl.source) || pl.source.length === 0) p.push('payload.source is required');
      if (!['critical', 'error', 'warning', 'info'].includes(String(pl.severity))) p.push(`payload.severity ${String(pl.severity)}`);
      if (pl.timestamp !== undefined && !(isStr(pl.timestamp) && Number.isFinite(Date.parse(pl.timestamp)))) p.push('payload.timestamp must be ISO 8601');
      for (const k of ['component', 'group', 'class']) if (pl[k] !== undefined && !isStr(pl[k])) p.push(`payload.${k} must be a string`);
      if (pl.custom_details !== undefined && (typeof pl.custom_details !== 'object' || pl.custom_details === null)) p.push('payload.custom_details must be an object');
      const known = ['summary', 'source', 'severity', 'timestamp', 'component', 'group', 'class', 'custom_details'];
      for (const k of Object.keys(pl)) if (!known.includes(k)) p.push(`unknown payload field ${k}`);
    }
    if (b.links !== undefined) {
      if (!Array.isArray(b.links) || b.links.some((l: { href?: unknown; text?: unknown }) => !isStr(l.href) || (l.text !== undefined && !isStr(l.text)))) p.push('links must be [{href, text}]');
    }
  } else if (b.payload !== undefined) {
    p.push(`${String(b.event_action)} takes no payload`);
  }
  return p;
}

function checkOpsgenie(r: Recorded, apiKey: string): string[] {
  const p: string[] = [];
  const b = r.body;
  if (r.headers.authorization !== `GenieKey ${apiKey}`) p.push('Authorization must be "GenieKey <key>"');
  if (!String(r.headers['content-type']).startsWith('application/json')) p.push('Content-Type must be application/json');
  if (r.method !== 'POST') p.push(`expected POST, got ${r.method}`);
  const action = /^\/v2\/alerts\/([^/?]+)\/(acknowledge|close|notes)\?identifierType=alias$/.exec(r.path);
  if (action) {
    for (const k of Object.keys(b)) if (!['user', 'source', 'note'].includes(k)) p.push(`unknown field ${k}`);
    if (b.note !== undefined && (!isStr(b.note) || b.note.length > 25000)) p.push('note must be a string up to 25,000 characters');
    if (action[2] === 'notes' && (!isStr(b.note) || b.note.length === 0)) p.push('a note needs its text');
    return p;
  }
  if (r.path !== '/v2/alerts') return [...p, `unexpected path ${r.path}`];
  const known = ['message', 'alias', 'description', 'responders', 'visibleTo', 'actions', 'tags', 'details', 'entity', 'source', 'priority', 'user', 'note'];
  for (const k of Object.keys(b)) if (!known.includes(k)) p.push(`unknown field ${k}`);
  if (!isStr(b.message) || b.message.length === 0 || b.message.length > 130) p.push('message must be 1..130 characters');
  if (b.alias !== undefined && (!isStr(b.alias) || b.alias.length > 512)) p.push('alias up to 512 characters');
  if (b.description !== undefined && (!isStr(b.description) || b.description.length > 15000)) p.push('description up to 15,000 characters');
  if (b.priority !== undefined && !['P1', 'P2', 'P3', 'P4', 'P5'].includes(String(b.priority))) p.push(`priority ${String(b.priority)}`);
  if (b.tags !== undefined && (!Array.isArray(b.tags) || b.tags.some((t) => !isStr(t)))) p.push('tags must be strings');
  if (b.details !== undefined && (typeof b.details !== 'object' || Object.values(b.details as object).some((v) => !isStr(v)))) p.push('details must map strings to strings');
  if (b.entity !== undefined && (!isStr(b.entity) || b.entity.length > 512)) p.push('entity up to 512 characters');
  return p;
}

function checkSlack(r: Recorded, path: string): string[] {
  const p: string[] = [];
  const b = r.body;
  if (r.method !== 'POST' || r.path !== path) p.push(`expected POST to the webhook path, got ${r.method} ${r.path}`);
  if (!String(r.headers['content-type']).startsWith('application/json')) p.push('Content-Type must be application/json');
  if (!isStr(b.text) || b.text.length === 0) p.push('text (the notification fallback) is required');
  if (b.blocks !== undefined) {
    if (!Array.isArray(b.blocks) || b.blocks.length > 50) p.push('blocks: at most 50');
    for (const blk of (b.blocks as Array<Record<string, unknown>>) ?? []) {
      const t = blk.type;
      if (!['header', 'section', 'context', 'divider', 'actions', 'image'].includes(String(t))) p.push(`block type ${String(t)}`);
      const text = blk.text as { type?: string; text?: string } | undefined;
      if (t === 'header' && (text?.type !== 'plain_text' || !isStr(text.text) || text.text.length > 150)) p.push('header text: plain_text up to 150');
      if (t === 'section') {
        if (!text && !blk.fields) p.push('section needs text or fields');
        if (text && (!['mrkdwn', 'plain_text'].includes(String(text.type)) || !isStr(text.text) || text.text.length === 0 || text.text.length > 3000)) p.push('section text: 1..3000 characters');
        const fields = blk.fields as Array<{ type?: string; text?: string }> | undefined;
        if (fields && (fields.length > 10 || fields.some((f) => !isStr(f.text) || f.text.length > 2000))) p.push('section fields: at most 10, 2000 characters each');
      }
      if (t === 'context' && (!Array.isArray(blk.elements) || blk.elements.length === 0 || blk.elements.length > 10)) p.push('context: 1..10 elements');
    }
  }
  return p;
}

function checkWebhook(r: Recorded, secret: string): string[] {
  const p: string[] = [];
  const v = verifySignature({ secret, timestamp: r.headers['x-insider-timestamp'] as string | undefined, signature: r.headers['x-insider-signature'] as string | undefined, body: r.raw });
  if (!v.ok) p.push(`signature: ${v.reason}`);
  if (!String(r.headers['content-type']).startsWith('application/json')) p.push('Content-Type must be application/json');
  if (r.body.version !== 1) p.push('version must be 1');
  if (r.body.delivery_id !== r.headers['x-insider-delivery']) p.push('delivery_id differs from X-Insider-Delivery');
  if (r.body.event !== r.headers['x-insider-event']) p.push('event differs from X-Insider-Event');
  if (!isStr(r.body.dedup_key)) p.push('dedup_key missing');
  return p;
}

/** A signed webhook whose body is not the product's own JSON (format: ocsf): the signature, then `check`. */
function checkSignedBody(r: Recorded, secret: string, check: (body: unknown) => string[]): string[] {
  const p: string[] = [];
  const v = verifySignature({ secret, timestamp: r.headers['x-insider-timestamp'] as string | undefined, signature: r.headers['x-insider-signature'] as string | undefined, body: r.raw });
  if (!v.ok) p.push(`signature: ${v.reason}`);
  if (!String(r.headers['content-type']).startsWith('application/json')) p.push('Content-Type must be application/json');
  return [...p, ...check(r.body)];
}

export async function startReceiver(provider: Provider, opts: { secret: string; port?: number; slackPath?: string; checkBody?: (body: unknown) => string[] }): Promise<Receiver> {
  const requests: Recorded[] = [];
  const incidents: Receiver['incidents'] = new Map();
  const waiters: Array<() => void> = [];
  const self: Receiver = {
    provider,
    url: '',
    port: 0,
    requests,
    accepted: () => requests.filter((r) => r.status >= 200 && r.status < 300),
    incidents,
    script: [],
    delayMs: 0,
    arrivals: 0,
    waitFor: (pred, timeoutMs = 30_000, what = 'condition') =>
      new Promise<void>((resolve, reject) => {
        if (pred(self)) return resolve();
        const timer = setTimeout(() => reject(new Error(`${provider} receiver: timed out waiting for ${what} (${requests.length} requests)`)), timeoutMs);
        const check = () => {
          if (pred(self)) {
            clearTimeout(timer);
            resolve();
          } else waiters.push(check);
        };
        waiters.push(check);
      }),
    close: async () => {},
  };
  const track = (key: string, action: 'trigger' | 'acknowledge' | 'resolve' | 'note') => {
    const inc = incidents.get(key);
    if (action === 'trigger') {
      if (!inc || inc.state === 'resolved') incidents.set(key, { state: 'triggered', events: (inc?.events ?? 0) + 1, triggers: (inc?.triggers ?? 0) + 1, notes: inc?.notes ?? 0 });
      else inc.events++;
    } else if (action === 'note') {
      // Opsgenie accepts a note for an alias it does not know or has closed (202) and then drops it: recorded as lost.
      if (inc && inc.state !== 'resolved') {
        inc.events++;
        inc.notes++;
      } else incidents.set(`lost note: ${key}`, { state: 'resolved', events: 1, triggers: 0, notes: 1 });
    } else if (inc) {
      inc.events++;
      if (action === 'resolve' || inc.state !== 'resolved') inc.state = action === 'resolve' ? 'resolved' : 'acknowledged';
    }
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, unknown> = {};
      const problems: string[] = [];
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        problems.push('body is not JSON');
      }
      const rec: Recorded = { at: Date.now(), method: req.method ?? '', path: req.url ?? '', headers: req.headers, raw, body, problems, status: 0 };
      if (problems.length === 0) {
        if (provider === 'pagerduty') problems.push(...checkPagerDuty(rec, opts.secret));
        if (provider === 'opsgenie') problems.push(...checkOpsgenie(rec, opts.secret));
        if (provider === 'slack') problems.push(...checkSlack(rec, opts.slackPath ?? '/services/T0/B0/secret'));
        if (provider === 'webhook') problems.push(...(opts.checkBody ? checkSignedBody(rec, opts.secret, opts.checkBody) : checkWebhook(rec, opts.secret)));
      }
      self.arrivals++;
      for (const w of waiters.splice(0)) w();
      const scripted = self.script.shift();
      const delay = scripted?.delayMs ?? self.delayMs;
      setTimeout(() => {
        let status: number;
        let out: string;
        const headers: Record<string, string> = { 'Content-Type': 'application/json', ...(scripted?.headers ?? {}) };
        if (scripted && scripted.status !== 0) {
          status = scripted.status;
          out = scripted.body ?? JSON.stringify({ status: 'throttled', message: 'Requests for this service are arriving too quickly.' });
        } else if (problems.length > 0) {
          status = provider === 'opsgenie' ? 422 : provider === 'webhook' ? 401 : 400;
          out = JSON.stringify({ status: 'invalid event', message: 'Event object is invalid', errors: problems });
        } else {
          status = provider === 'slack' || provider === 'webhook' ? 200 : 202;
          if (provider === 'pagerduty') {
            track(String(body.dedup_key), body.event_action as 'trigger');
            out = JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: body.dedup_key });
          } else if (provider === 'opsgenie') {
            const m = /^\/v2\/alerts\/([^/?]+)\/(acknowledge|close|notes)/.exec(rec.path);
            if (m) track(decodeURIComponent(m[1]), m[2] === 'close' ? 'resolve' : m[2] === 'notes' ? 'note' : 'acknowledge');
            else track(String(body.alias), 'trigger');
            out = JSON.stringify({ result: 'Request will be processed', took: 0.01, requestId: `req-${requests.length}` });
          } else if (provider === 'webhook') {
            const ev = String(body.event);
            if (ev === 'trigger' || ev === 'escalate' || ev === 'digest' || ev === 'update') track(String(body.dedup_key), 'trigger');
            else if (ev === 'acknowledge' || ev === 'resolve') track(String(body.dedup_key), ev);
            out = '{}';
          } else {
            headers['Content-Type'] = 'text/plain';
            out = 'ok';
          }
        }
        rec.status = status;
        requests.push(rec);
        res.writeHead(status, headers);
        res.end(out);
        for (const w of waiters.splice(0)) w();
      }, delay);
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  self.port = (server.address() as AddressInfo).port;
  self.url = `http://127.0.0.1:${self.port}`;
  self.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return self;
}

/** A port on which nothing listens (connection refused), to start a receiver on later. */
export async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** An alert revision as the detector stores it, with tell-tale private details that pages must not carry. */
export function makeAlert(i: number, over: Partial<import('../../src/alerts').AlertRecord> = {}): import('../../src/alerts').AlertRecord {
  const now = Date.now();
  const day = Math.floor(now / 86_400_000) * 86_400_000;
  const user = `employee${i}@corp.example`;
  return {
    alertId: `al_test_${String(i).padStart(5, '0')}_${now.toString(36)}`,
    revision: 1,
    user,
    windowStart: day,
    windowEnd: day + 86_400_000,
    detectors: ['exportRate', 'volumeSelf'],
    severity: 'critical',
    // A score on the severity's side of the default floors (medium 40, high 53, critical 67), as the detector's.
    score: ({ critical: 90, high: 60, medium: 45, low: 30 } as const)[over.severity ?? 'critical'],
    firedAt: now - 1000,
    triggerEventId: 'evt-1',
    lastEventAt: now - 500,
    observedBytes: 20_400_000_000,
    observedRows: 51_000_000,
    eventCount: 80,
    baselineBytes: 48_000_000,
    peerBytes: 0,
    peerGroup: 'Analytics/data_analyst',
    ratio: 425,
    explanation: `${user} exported 20.4 GB from crm.customers (SELECT * FROM crm.customers WHERE 1=1) via 10.9.9.9`,
    findings: [],
    evidence: {
      events: 80, failedEvents: 0, firstEventAt: '', lastEventAt: '', sensitiveBytes: 20_000_000_000,
      topTables: [{ table: 'crm.customers', sensitivity: 'pii', bytes: 20_000_000_000, rows: 51_000_000, events: 80, share: 1 }],
      sessions: { count: 1, top: [{ id: 'export-session-77', bytes: 20_000_000_000 }] },
      clientIps: [{ ip: '10.9.9.9', bytes: 20_000_000_000 }], apps: [{ app: 'DBeaver', bytes: 20_000_000_000 }],
      allowlisted: { bytes: 0, events: 0, reasons: [] },
    },
    createdAtWall: now,
    updatedAtWall: now,
    ...over,
  };
}

/** Strings of an alert that must never appear in a page. */
export const PRIVATE_MARKERS = ['crm.customers', 'SELECT *', '10.9.9.9', 'export-session-77', 'DBeaver', '@corp.example'];
