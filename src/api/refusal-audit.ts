// Refused requests in the audit trail: every 401 (auth.failed, with the reason: missing, malformed,
// unknown, expired, revoked, disabled) and every 429 (rate.limited). Never the presented token, nor its
// hash (a guessed password's hash can be reversed); for a real token that was refused (expired, revoked,
// of a disabled user) its owner and token id, which are not secrets.
//
// Guessing tokens must not flood the trail, so entries are rate-limited per fixed window: at most
// `perAddress` entries per client address and `perWindow` in all are written one by one; beyond that the
// refusals are counted, and when the window ends one summary entry per address (target "*", details
// {count, reasons, from, to}) says how many were not written one by one, and at most one more for
// addresses beyond `maxAddresses`. Writes happen after the answer is sent; a failed write is logged,
// never turned into an error for the caller.
import type { Logger } from '../log';
import type { ClickHouse } from '../store';
import { auditAll, type AuditEntry } from '../triage';

export interface RefusalAuditOptions {
  ch: ClickHouse;
  log: Logger;
  now: () => number;
  /** Length of a window (the rate limit's window). */
  windowMs: number;
  /** Entries written one by one per client address per window. */
  perAddress?: number;
  /** Entries written one by one per window, all addresses together. */
  perWindow?: number;
  /** Addresses counted apart per window; beyond, refusals are only counted in one overflow summary. */
  maxAddresses?: number;
}

export interface Refused {
  action: 'auth.failed' | 'rate.limited';
  /** The token's owner, when the token was a real one; else "". */
  actor: string;
  /** "METHOD /route" */
  target: string;
  sourceIp: string;
  requestId: string;
  clientRequestId?: string;
  details: Record<string, unknown>;
}

export interface RefusalAudit {
  record(r: Refused): void;
  /** Writes the summaries of the current window now and waits for every write in flight. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

interface Counted {
  count: number;
  reasons: Record<string, number>;
  first: number;
  last: number;
}

const reasonOf = (r: Refused) => String(r.details.reason ?? r.action);

export function createRefusalAudit(opts: RefusalAuditOptions): RefusalAudit {
  const { ch, log, now, windowMs, perAddress = 10, perWindow = 200, maxAddresses = 1000 } = opts;
  let window = -1;
  let written = 0;
  const byAddress = new Map<string, { written: number; held: Map<string, Counted> }>();
  const overflow = new Map<string, Counted & { addresses: Set<string> }>();
  const inFlight = new Set<Promise<void>>();

  const write = (entries: AuditEntry[]) => {
    const p = auditAll(ch, entries)
      .catch((err: unknown) => log.error({ err, entries: entries.length }, 'could not write refused requests to the audit trail'))
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };

  const count = (c: Counted | undefined, r: Refused, t: number): Counted => {
    const out = c ?? { count: 0, reasons: {}, first: t, last: t };
    out.count += 1;
    out.reasons[reasonOf(r)] = (out.reasons[reasonOf(r)] ?? 0) + 1;
    out.last = t;
    return out;
  };

  // Stamped when written, not at the last refusal it counts (kept in details.to): the trail is chained,
  // and an entry stamped minutes before it is written lands behind a chain already sealed past it.
  const summary = (action: string, sourceIp: string, c: Counted, more: Record<string, unknown> = {}): AuditEntry => ({
    at: now(),
    actor: '',
    role: '',
    action,
    target: '*',
    sourceIp,
    requestId: '',
    details: { summary: true, count: c.count, reasons: c.reasons, from: new Date(c.first).toISOString(), to: new Date(c.last).toISOString(), ...more },
  });

  /** Ends the current window: its summaries are written, the counts start again. */
  const roll = () => {
    const entries: AuditEntry[] = [];
    for (const [ip, a] of byAddress) for (const [action, c] of a.held) entries.push(summary(action, ip, c));
    for (const [action, c] of overflow) entries.push(summary(action, '*', c, { addresses: c.addresses.size }));
    byAddress.clear();
    overflow.clear();
    written = 0;
    if (entries.length > 0) write(entries);
  };

  const timer = setInterval(() => {
    if (window !== -1 && Math.floor(now() / windowMs) !== window) {
      roll();
      window = -1;
    }
  }, Math.min(windowMs, 60_000));
  timer.unref();

  return {
    record(r) {
      const t = now();
      const w = Math.floor(t / windowMs);
      if (w !== window) {
        roll();
        window = w;
      }
      let a = byAddress.get(r.sourceIp);
      if (!a && byAddress.size < maxAddresses) byAddress.set(r.sourceIp, (a = { written: 0, held: new Map() }));
      if (a && a.written < perAddress && written < perWindow) {
        a.written += 1;
        written += 1;
        write([{ at: t, actor: r.actor, role: '', action: r.action, target: r.target, sourceIp: r.sourceIp, requestId: r.requestId, clientRequestId: r.clientRequestId, details: r.details }]);
      } else if (a) {
        a.held.set(r.action, count(a.held.get(r.action), r, t));
      } else {
        const o = overflow.get(r.action);
        const c = count(o, r, t) as Counted & { addresses: Set<string> };
        c.addresses = o?.addresses ?? new Set();
        if (c.addresses.size < 100_000) c.addresses.add(r.sourceIp);
        overflow.set(r.action, c);
      }
    },
    async flush() {
      roll();
      window = -1;
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    async close() {
      clearInterval(timer);
      await this.flush();
    },
  };
}
