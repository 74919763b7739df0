// The join state of the sources layer: who authenticated each database session. A connection line
// teaches it (a fact); later statement lines of the session are named after it. Facts are kept in
// memory (two generations, bounded) and, by the ingester, in ClickHouse (`source_sessions`), written
// before the events of the same batch: so after a restart or a rebalance a session that began in an
// earlier, committed batch is found there, and the result does not depend on where a consumer started.
//
// Order matters and is the shipper's to keep: one server's lines on one partition (or keyed by
// session), as PostgreSQL writes a session's connection lines before its statements.
import { inList, sql, type ClickHouse } from '../store';
import type { DecodedEvent, SessionFact, SessionView } from './types';

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

interface Entry {
  view: SessionView | null;
  /** For a negative entry: when it stops being believed. */
  until: number;
}

const key = (server: string, sessionId: string) => `${server}\u0000${sessionId}`;

export interface SessionJoin {
  view(server: string, sessionId: string): SessionView | undefined;
  /** Applies facts in message order (later messages of the same batch see them at once). */
  apply(facts: readonly SessionFact[]): void;
  /** Fills the identity of events whose session was unknown when decoded, looking in ClickHouse. */
  resolve(events: DecodedEvent[]): Promise<void>;
  /** Stores facts in ClickHouse (ingester only), before the batch's events are inserted. */
  persist(facts: readonly SessionFact[]): Promise<void>;
}

export function createSessionJoin(opts: SessionJoinOptions): SessionJoin {
  const generation = Math.ceil((opts.capacity ?? 200_000) / 2);
  const negativeTtlMs = opts.negativeTtlMs ?? Infinity;
  let current = new Map<string, Entry>();
  let previous = new Map<string, Entry>();

  const get = (k: string): Entry | undefined => current.get(k) ?? previous.get(k);
  const set = (k: string, e: Entry) => {
    current.set(k, e);
    if (current.size >= generation) {
      previous = current;
      current = new Map();
    }
  };

  return {
    view(server, sessionId) {
      const e = get(key(server, sessionId));
      if (!e) return undefined;
      if (e.view) return e.view;
      // Known to have no identity (a trust or peer session without "connection authenticated").
      return Date.now() < e.until ? { identity: '', method: '' } : undefined;
    },

    apply(facts) {
      for (const f of facts) set(key(f.server, f.sessionId), { view: { identity: f.identity, method: f.method }, until: Infinity });
    },

    async resolve(events) {
      const pending = events.filter((e) => e.joinSession);
      if (pending.length === 0) return;
      const wanted = new Map<string, { server: string; sessionId: string }>();
      for (const e of pending) {
        const s = e.joinSession!;
        const k = key(s.server, s.sessionId);
        const known = get(k);
        if (!known || (!known.view && Date.now() >= known.until)) wanted.set(k, s);
      }
      if (wanted.size > 0 && opts.ch) {
        const sessions = [...new Set([...wanted.values()].map((w) => w.sessionId))];
        const servers = [...new Set([...wanted.values()].map((w) => w.server))];
        const rows = await opts.ch.query<{ server: string; session_id: string; identity: string; method: string }>(sql`
          SELECT server, session_id, any(identity) AS identity, any(method) AS method FROM source_sessions
          WHERE server IN ${inList(servers)} AND session_id IN ${inList(sessions)}
          GROUP BY server, session_id`);
        for (const r of rows) set(key(r.server, r.session_id), { view: { identity: r.identity, method: r.method }, until: Infinity });
      }
      const now = Date.now();
      for (const [k] of wanted) if (!get(k)?.view) set(k, { view: null, until: now + negativeTtlMs });
      for (const e of pending) {
        const s = e.joinSession!;
        const found = get(key(s.server, s.sessionId))?.view;
        if (found?.identity) e.event.identity = found.identity;
        delete e.joinSession;
      }
    },

    async persist(facts) {
      if (!opts.persist || !opts.ch || facts.length === 0) return;
      const recordedAt = Math.floor(Date.now() / 1000);
      await opts.ch.insert(
        'source_sessions',
        facts.map((f) => ({ server: f.server, session_id: f.sessionId, identity: f.identity, method: f.method, ts: Math.floor(f.ts / 1000), recorded_at: recordedAt })),
      );
    },
  };
}
