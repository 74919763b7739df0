// The sources layer: which log format each topic carries (`ingest.sources`), and the one step that
// turns a batch of raw Kafka messages into canonical events or dead-letter reasons (docs/sources/).
//   formats   canonical (the default), postgres; one folder each, a pure decoder per message;
//   envelope  shipper JSON unwrapped before any decoder (envelope.ts);
//   join      who authenticated a session, remembered across messages and restarts (session-join.ts);
//   stats     table statistics for estimated bytes, loaded from ClickHouse and refreshed (postgres/table-stats.ts).
import type { Config } from '../config';
import { ConfigError } from '../errors';
import { guardDecode, type AccessEvent, type ValidateLimits } from '../event';
import type { Logger } from '../log';
import type { ClickHouse } from '../store';
import { canonicalFormat } from './canonical';
import { mariadbFormat } from './mariadb';
import { clickhouseQueryLogFormat } from './clickhouse';
import { awsDasPostgresFormat } from './aws-das';
import { snowflakeFormat } from './snowflake';
import { jsonMappingFormat } from './json-mapping';
import { parseOptions, postgresFormat } from './postgres';
import { collectTableStats, readRoutines, TableStatsIndex, type TableStatsRow } from './postgres/table-stats';
import { catalogFacts, type RoutineRow } from './postgres/routines';
import { createSessionJoin, type SessionJoin } from './session-join';
import { invalidUtf8Sequences } from './envelope';
import type { DecodeContext, DecodeResult, RawMessage, SessionFact, SourceDecoder, SourceFormat } from './types';

export type { DecodeContext, DecodeResult, RawMessage, SessionFact, SourceDecoder, SourceFormat, TableWidth } from './types';
export { DEFAULT_PREFIX } from './postgres';
export { unwrap, maxEnvelopeBytes, ENVELOPE_FIELDS, invalidUtf8Sequences } from './envelope';
export { createSessionJoin, type SessionJoin } from './session-join';
export { recordFramer, splitRecords, type Framer } from './framing';
export { TableStatsIndex, readTableStats, readRoutines, storeTableStats, collectTableStats, widthOf, type TableStatsRow } from './postgres/table-stats';
export type { RoutineRow } from './postgres/routines';

export const FORMATS: readonly SourceFormat[] = [canonicalFormat, postgresFormat, mariadbFormat, clickhouseQueryLogFormat, awsDasPostgresFormat, snowflakeFormat, jsonMappingFormat];
export { createQueryLogPoller, type QueryLogPoller, type Cursor } from './clickhouse/poller';
export { parseClickhouseOptions } from './clickhouse';

export function formatNamed(name: string): SourceFormat {
  const f = FORMATS.find((x) => x.name === name);
  if (!f) throw new ConfigError(`unknown log format ${JSON.stringify(name)}; the formats are ${FORMATS.map((x) => x.name).join(', ')} (insider sources list)`);
  return f;
}

/** Every topic given a format must be one the consumer reads: a typo would otherwise read nothing. */
export function checkSourceTopics(settings: Readonly<Config['ingest']>, consumed: readonly string[]): void {
  for (const topic of Object.keys(settings.sources)) {
    if (!consumed.includes(topic)) {
      throw new ConfigError(`ingest.sources.${topic}: topic ${JSON.stringify(topic)} is not consumed (ingest.topics is [${consumed.join(', ')}]); add it to ingest.topics`, { topic });
    }
  }
}

/**
 * One message through its format's decoder: what the ingester (decodeBatch) and `sources parse` both do.
 * A decoder's throw dead-letters the message (guardDecode). A message of a log format holding bytes that
 * are not UTF-8 was read with each such sequence as U+FFFD (envelope.ts): its events say so in
 * `invalid_utf8_replaced` (how many), and a dead letter's reason says so. The canonical format keeps the
 * contract: its producers write UTF-8 JSON, and a message that is not is `invalid_utf8`.
 */
export function decodeMessage(decoder: SourceDecoder, message: RawMessage, ctx: DecodeContext): DecodeResult {
  const r: DecodeResult = guardDecode(() => decoder.decode(message, ctx), `the ${decoder.format} decoder`);
  if (decoder.format === 'canonical' || (r.ok && r.events.length === 0)) return r;
  const replaced = invalidUtf8Sequences(message.value);
  if (replaced === 0) return r;
  if (!r.ok) return { ...r, reason: `${r.reason} (the message is not UTF-8: ${replaced} byte sequence${replaced === 1 ? '' : 's'} read as U+FFFD)` };
  return { ...r, events: r.events.map(({ event }) => ({ event: { ...event, extra: JSON.stringify({ ...(event.extra ? (JSON.parse(event.extra) as Record<string, unknown>) : {}), invalid_utf8_replaced: replaced }) } })) };
}

/** One message's outcome: its events (maybe none: a connection line, a checkpoint) or why it is dead-lettered. */
export type MessageOutcome = { ok: true; events: AccessEvent[] } | { ok: false; code: string; reason: string };

export interface Sources {
  decoderFor(topic: string): SourceDecoder;
  /**
   * Decodes a partition's messages in order: facts of earlier messages apply to later ones, unknown
   * sessions are looked up, and (ingester) the batch's facts are stored before its events are.
   */
  decodeBatch(topic: string, messages: readonly RawMessage[], limits: ValidateLimits, now?: number): Promise<MessageOutcome[]>;
  /** Table statistics: reload from ClickHouse now (and, for sources with statsUrlEnv, read the servers first). */
  refreshStats(collect: boolean): Promise<void>;
  /** Adds statistics read elsewhere (`sources parse`, tests) to those in force. */
  addStats(rows: readonly TableStatsRow[]): void;
  /** Adds a PostgreSQL server's routines read elsewhere (`sources parse`, tests): what its CALLs and functions run. */
  addRoutines(rows: readonly RoutineRow[]): Promise<void>;
  /** Starts the periodic refresh; returns a stop function. */
  startStatsSchedule(collect: boolean): () => void;
}

export interface SourcesDeps {
  settings: Readonly<Config['ingest']>;
  ch?: ClickHouse;
  log?: Logger;
  /** The ingester stores join facts; the detector and `sources parse` only read them. */
  role: 'ingester' | 'reader';
  env?: NodeJS.ProcessEnv;
}

const STATS_RELOAD_MS = 60_000;

export function createSources(deps: SourcesDeps): Sources {
  const { settings, ch, log } = deps;
  const env = deps.env ?? process.env;
  const canonical = canonicalFormat.create({}, '');
  const decoders = new Map<string, SourceDecoder>();
  const collectors: Array<{ server: string; urlEnv: string; intervalS: number }> = [];
  for (const [topic, spec] of Object.entries(settings.sources)) {
    decoders.set(topic, formatNamed(spec.format).create(spec.options, topic));
    if (spec.format === 'postgres') {
      const o = parseOptions(spec.options, topic);
      if (o.statsUrlEnv) collectors.push({ server: o.server ?? topic, urlEnv: o.statsUrlEnv, intervalS: o.statsIntervalS });
    }
  }
  const servers = [...new Set([...decoders.values()].flatMap((d) => d.servers))];
  let stats = new TableStatsIndex();
  const join: SessionJoin = createSessionJoin({ ch, persist: deps.role === 'ingester', negativeTtlMs: deps.role === 'ingester' ? Infinity : 30_000 });

  const decoderFor = (topic: string) => decoders.get(topic) ?? canonical;

  /** A server's routines as facts of the join state: in memory now, and (ingester) in ClickHouse for the next owner. */
  async function addRoutines(rows: readonly RoutineRow[]): Promise<void> {
    const facts = [...new Set(rows.map((r) => r.server))].flatMap((server) => catalogFacts(server, rows, Date.now()));
    join.apply(facts);
    await join.persist(facts);
  }

  async function refreshStats(collect: boolean): Promise<void> {
    if (!ch || servers.length === 0) return;
    if (collect) {
      for (const c of collectors) {
        const url = env[c.urlEnv];
        if (!url) {
          log?.warn({ server: c.server, variable: c.urlEnv }, 'table statistics not read: the variable is not set');
          continue;
        }
        try {
          const n = await collectTableStats(ch, url, c.server);
          log?.info({ server: c.server, tables: n }, 'table statistics read');
          // The routines too: a CALL of one made before logging began is read from its body (postgres/routines.ts).
          const routines = await readRoutines(url, c.server);
          await addRoutines(routines);
          log?.info({ server: c.server, routines: routines.length }, 'routines read');
        } catch (err) {
          // The message of pg's errors never holds the password; the URL is not logged.
          log?.warn({ server: c.server, err: (err as Error).message }, 'table statistics could not be read; the previous ones stay in force');
        }
      }
    }
    stats = await TableStatsIndex.load(ch, servers);
  }

  return {
    decoderFor,

    async decodeBatch(topic, messages, limits, now = Date.now()) {
      const decoder = decoderFor(topic);
      // Pass 1 decodes with what is in memory and notes sessions it knew nothing of; when there are
      // any (a session that began before a restart or a rebalance), their stored facts are loaded and
      // the batch is decoded again. Decoders are pure and each pass's facts stay in its own layer until
      // the answer is known, so the second pass starts where the first did, with the loaded facts.
      const unknown = new Map<string, { server: string; sessionId: string }>();
      const pass = () => {
        const layer = join.scratch();
        const ctx: DecodeContext = {
          limits,
          now,
          session: (server, sessionId) => {
            const v = layer.view(server, sessionId);
            if (!v) unknown.set(`${server}\u0000${sessionId}`, { server, sessionId });
            return v;
          },
          tableStats: (server, database, table, at) => stats.at(server, database, table, at),
        };
        const outcomes: MessageOutcome[] = [];
        const facts: SessionFact[] = [];
        if (decoder.prescan) {
          for (const m of messages) {
            try {
              const found = decoder.prescan(m, ctx);
              if (found.length > 0) {
                layer.apply(found);
                facts.push(...found);
              }
            } catch {
              // decode() reports the same message's fault as its dead-letter reason.
            }
          }
        }
        for (const m of messages) {
          // A decoder bug on one message's content (or a stack overflow on its nesting) must not stop
          // the partition: it dead-letters that message.
          const r = decodeMessage(decoder, m, ctx);
          if (r.facts && r.facts.length > 0) {
            layer.apply(r.facts);
            facts.push(...r.facts);
          }
          if (!r.ok) {
            outcomes.push({ ok: false, code: r.code, reason: r.reason });
            continue;
          }
          outcomes.push({ ok: true, events: r.events.map((e) => e.event) });
        }
        return { outcomes, facts };
      };
      let result = pass();
      if (unknown.size > 0) {
        await join.load([...unknown.values()]);
        unknown.clear();
        result = pass();
      }
      join.apply(result.facts);
      // Facts first: if the events' insert is acknowledged, their sessions are known to the next owner.
      await join.persist(result.facts);
      return result.outcomes;
    },

    refreshStats,

    addStats(rows) {
      for (const r of rows) stats.add(r);
    },

    addRoutines,

    startStatsSchedule(collect) {
      if (!ch || servers.length === 0) return () => {};
      const timers: NodeJS.Timeout[] = [];
      const reload = () => refreshStats(false).catch((err: Error) => log?.warn({ err: err.message }, 'could not reload table statistics; keeping the previous ones'));
      timers.push(setInterval(reload, STATS_RELOAD_MS));
      if (collect && collectors.length > 0) {
        const every = Math.min(...collectors.map((c) => c.intervalS)) * 1000;
        timers.push(setInterval(() => refreshStats(true).catch((err: Error) => log?.warn({ err: err.message }, 'table statistics refresh failed')), every));
      }
      for (const t of timers) t.unref();
      return () => timers.forEach(clearInterval);
    },
  };
}
