// One HTTP delivery attempt and what its outcome means: delivered, retry later (network, timeout,
// 408, 429, 5xx; 429 and 503 may say when with Retry-After), or give up (other 4xx: the request itself
// is wrong and sending it again cannot help). Error texts never carry the URL (a Slack webhook URL is a
// secret) nor the request body.

export interface HttpRequest {
  method: 'POST';
  url: string;
  headers: Record<string, string>;
  body: string;
}

export type Outcome =
  | { ok: true; status: number }
  | { ok: false; retriable: boolean; status: number; reason: string; retryAfterMs?: number };

/** Retry-After as milliseconds from now: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.ceil(Number(v) * 1000);
  const at = Date.parse(v);
  if (!Number.isFinite(at)) return undefined;
  return Math.max(0, at - nowMs);
}

export function classifyStatus(status: number, body: string, retryAfter: string | null, nowMs: number): Outcome {
  if (status >= 200 && status < 300) return { ok: true, status };
  const excerpt = body.replace(/\s+/g, ' ').trim().slice(0, 200);
  const reason = `HTTP ${status}${excerpt ? `: ${excerpt}` : ''}`;
  const retryAfterMs = parseRetryAfter(retryAfter, nowMs);
  const retriable = status === 408 || status === 425 || status === 429 || status >= 500;
  return retryAfterMs === undefined ? { ok: false, retriable, status, reason } : { ok: false, retriable, status, reason, retryAfterMs };
}

export async function send(req: HttpRequest, opts: { timeoutMs: number; secrets?: ReadonlyArray<string> }): Promise<Outcome> {
  const started = Date.now();
  try {
    const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body, signal: AbortSignal.timeout(opts.timeoutMs), redirect: 'error' });
    const text = await readLimited(res, 4096);
    return scrub(classifyStatus(res.status, text, res.headers.get('retry-after'), Date.now()), opts.secrets);
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
    const reason = timedOut
      ? `no answer within ${opts.timeoutMs} ms`
      : `${e.cause?.code ?? e.name}: ${e.cause?.message ?? e.message}`.replace(/https?:\/\/\S+/g, '<url>');
    return scrub({ ok: false, retriable: true, status: 0, reason: `${reason} (after ${Date.now() - started} ms)` }, opts.secrets);
  }
}

async function readLimited(res: Response, max: number): Promise<string> {
  try {
    const text = await res.text();
    return text.length > max ? text.slice(0, max) : text;
  } catch {
    return '';
  }
}

/** Removes any secret value that a receiver may have echoed back. */
export function scrub<T extends Outcome>(o: T, secrets: ReadonlyArray<string> = []): T {
  if (o.ok) return o;
  let reason = o.reason;
  for (const s of secrets) if (s.length >= 4) reason = reason.split(s).join('[redacted]');
  return { ...o, reason };
}
