// The join state of the sources layer: what earlier lines told about a database session (who
// authenticated it; which `COPY ... TO` were counted when they started). Facts are kept in memory
// (two generations, bounded) and, by the ingester, in ClickHouse (`source_sessions`), written before
// the events of the same batch: after a restart or a rebalance, a session that began in an earlier,
// committed batch is found there, so the result does not depend on where a consumer started.
//
// Order matters and is the shipper's to keep: one server's lines on one partition (or keyed by
// session), as PostgreSQL writes a session's lines in order.
import { inList, sql, type ClickHouse } from '../store';
import type { SessionFact, SessionView } from './types';

export interface SessionJoinOptions {
  /** The ingester writes facts; the live detector only reads them. */
  ch?: ClickHouse;
  persist: boolean;
  /** Sessions remembered in memory (at least half of them). */
  capacity?: number;
  /**
   * How long "ClickHouse knows nothing of this session" is believed. The ingester sees every line of a
   * partition in order, so for it the answer is final (Infinity); the detector may be ahead of the
   * ingester and asks again after this.
   */
  negativeTtlMs?: number;
}

/** Named values kept per session (the newest): enough for the queries still being joined. */
export const MAX_SESSION_ATTRS = 256;
/**
 * Names of values a defence rests on (a connection that turned its slow log off): never the ones evicted,
 * or a session's own cheap statements would push them out. Few per session by construction.
 */
export const PINNED_ATTR = '!';

interface Entry {
  identity: string;
  method: string;
  copies: Set<string>;
  attrs: Map<string, string>;
  /** Nothing was found: believed until then. */
  emptyUntil?: number;
}

const key = (server: string, sessionId: string) => `${server}\u0000${sessionId}`;

export interface SessionJoin {
  view(server: string, sessionId: string): SessionView | undefined;
  /** Applies facts in message order (later messages of the same batch see them at once). */
  apply(facts: readonly SessionFact[]): void;
  /**
   * A layer over the join for one decoding pass of a batch: its facts are seen by the pass's later
   * messages and by nothing else, so a pass decoded again (after loading sessions) starts from the
   * same state, not from one its own later lines changed (a cursor declared again further on).
   */
  scratch(): Pick<SessionJoin, 'view' | 'apply'>;
  /** Loads what ClickHouse holds of these sessions (a miss is remembered as such). */
  load(sessions: ReadonlyArray<{ server: string; sessionId: string }>): Promise<void>;
  /** Stores facts in ClickHouse (ingester only), before the batch's events are inserted. */
  persist(facts: readonly SessionFact[]): Promise<void>;
}

export function createSessionJoin(opts: SessionJoinOptions): SessionJoin {
  const generation = Math.ceil((opts.capacity ?? 200_000) / 2);
  const negativeTtlMs = opts.negativeTtlMs ?? Infinity;
  let current = new Map<string, Entry>();
  let previous = new Map<string, Entry>();

  const get = (k: string): Entry | undefined => {
    const e = current.get(k);
    if (e) return e;
    const old = previous.get(k);
    if (old) current.set(k, old);
    return old;
  };
  const set = (k: string, e: Entry) => {
    current.set(k, e);
    if (current.size >= generation) {
      previous = current;
      current = new Map();
    }
  };
  const entry = (k: string): Entry => {
    let e = get(k);
    if (!e || e.emptyUntil !== undefined) set(k, (e = { identity: '', method: '', copies: new Set(), attrs: new Map() }));
    return e;
  };
  const copyOf = (e: Entry | undefined): Entry => ({ identity: e?.identity ?? '', method: e?.method ?? '', copies: new Set(e?.copies), attrs: new Map(e?.attrs) });
  /** `bounded`: the kept state; a batch's own layer keeps every value until the batch is decoded. */
  const record = (e: Entry, fact: string, value: string, detail: string, bounded: boolean) => {
    if (fact === 'identity') {
      e.identity = value;
      e.method = detail;
    } else if (fact === 'copy') e.copies.add(value);
    else if (fact === 'attr') {
      e.attrs.delete(value);
      e.attrs.set(value, detail);
      if (bounded && e.attrs.size > MAX_SESSION_ATTRS) {
        for (const name of e.attrs.keys()) {
          if (name.startsWith(PINNED_ATTR)) continue;
          e.attrs.delete(name);
          break;
        }
      }
    }
  };

  const recordFact = (e: Entry, f: SessionFact, bounded = true) => {
    if (f.kind === 'identity') record(e, 'identity', f.identity, f.method, bounded);
    else if (f.kind === 'copy') record(e, 'copy', f.statement, '', bounded);
    else record(e, 'attr', f.name, f.value, bounded);
  };

  return {
    view(server, sessionId) {
      const e = get(key(server, sessionId));
      if (!e) return undefined;
      if (e.emptyUntil !== undefined && Date.now() >= e.emptyUntil) return undefined;
      return e;
    },

    apply(facts) {
      for (const f of facts) recordFact(entry(key(f.server, f.sessionId)), f);
    },

    scratch() {
      const layer = new Map<string, Entry>();
      const base = (server: string, sessionId: string) => this.view(server, sessionId) as Entry | undefined;
      return {
        view: (server, sessionId) => layer.get(key(server, sessionId)) ?? base(server, sessionId),
        apply(facts) {
          for (const f of facts) {
            const k = key(f.server, f.sessionId);
            let e = layer.get(k);
            if (!e) layer.set(k, (e = copyOf(base(f.server, f.sessionId))));
            // Not bounded here: a batch of a session's 300 statements after a read pushed out the read's
            // own facts (its tables) before it was decoded. The kept state is bounded when the batch is applied.
            recordFact(e, f, false);
          }
        },
      };
    },

    async load(sessions) {
      if (sessions.length === 0) return;
      if (opts.ch) {
        const ids = [...new Set(sessions.map((s) => s.sessionId))];
        const servers = [...new Set(sessions.map((s) => s.server))];
        // A value told again with another detail (a cursor name declared again over other tables): the newest.
        const rows = await opts.ch.query<{ server: string; session_id: string; fact: string; value: string; detail: string }>(sql`
          SELECT server, session_id, fact, value, argMax(detail, (ts, recorded_at)) AS detail FROM source_sessions
          WHERE server IN ${inList(servers)} AND session_id IN ${inList(ids)}
          GROUP BY server, session_id, fact, value`);
        for (const r of rows) record(entry(key(r.server, r.session_id)), r.fact, r.value, r.detail, true);
      }
      const until = Date.now() + negativeTtlMs;
      for (const s of sessions) {
        const k = key(s.server, s.sessionId);
        if (!get(k)) set(k, { identity: '', method: '', copies: new Set(), attrs: new Map(), emptyUntil: until });
      }
    },

    async persist(facts) {
      const kept = facts.filter((f) => f.kind !== 'attr' || f.persist !== false);
      if (!opts.persist || !opts.ch || kept.length === 0) return;
      const recordedAt = Math.floor(Date.now() / 1000);
      await opts.ch.insert(
        'source_sessions',
        kept.map((f) => ({
          server: f.server,
          session_id: f.sessionId,
          fact: f.kind,
          value: f.kind === 'identity' ? f.identity : f.kind === 'copy' ? f.statement : f.name,
          detail: f.kind === 'identity' ? f.method : f.kind === 'attr' ? f.value : '',
          ts: Math.floor(f.ts / 1000),
          recorded_at: recordedAt,
        })),
      );
    },
  };
}
