// The query-log poller (`insider sources poll --topic T`): reads the finished queries of an audited
// ClickHouse from its system.query_log and produces each row to the topic as a JSON object, keyed by
// user; the topic's decoder (index.ts) makes the events. A cursor in the product's ClickHouse
// (`source_cursors`) says where it got to: the newest event_time sent and the rows sent at that second
// (their execution keys, `<query_id>/<key>`: not their query ids, which clients choose and may reuse
// within a second). Each poll: read rows from the cursor's second on (older than `lagS`: query_log is
// written in flushes), leave out those of its second already sent, produce the rest (acks from all
// replicas), then store the new cursor. A restart goes on from the stored cursor, so each finished
// query is sent once; a crash between the produce and the cursor's write sends that poll's rows again,
// with the same event ids (server/query_id/key), which the ingester recognises (docs/exactly-once.md).
import type { Producer } from 'kafkajs';
import type { Logger } from '../../log';
import { createClickHouse, ident, join, sql, type ClickHouse, type SqlFragment } from '../../store';
import crypto from 'node:crypto';
import { executionKey, ROW_KEY_COLUMNS, tablesOf, type ClickhouseSourceOptions } from './index';
import { isProcessesRow, queryLogOffBy, settingsOf, unloggedKey } from './unlogged';
import { ConfigError } from '../../errors';
import { chunkMessages } from '../../kafka';

/** Messages and bytes (UTF-8, keys and about 64 per record) per produce request: the batch per partition it makes stays under the brokers' and the consumers' limits. */
const SEND_CHUNK = 2000;
const SEND_BYTES = 900 * 1024;

export interface PollerDeps {
  /** The topic's source: its name keys the cursor. */
  topic: string;
  server: string;
  options: ClickhouseSourceOptions;
  /** The product's ClickHouse (the cursor). */
  store: ClickHouse;
  producer: Producer;
  log: Logger;
  env?: NodeJS.ProcessEnv;
  /** The audited ClickHouse; default: a client from options.url and the credentials' variables. */
  audited?: ClickHouse;
}

export interface Cursor {
  time: number;
  /** The rows sent at `time`: their execution keys (`<query_id>/<key>`, the event id after `<server>/`). */
  ids: string[];
  rowsSent: number;
}

export interface QueryLogPoller {
  /** One poll; returns the rows sent. */
  pollOnce(): Promise<number>;
  /** Polls every intervalMs until stop(). */
  run(): Promise<void>;
  stop(): void;
  cursor(): Promise<Cursor>;
  close(): Promise<void>;
}

export type QueryLogRow = Record<string, unknown> & { event_time: string; query_id: string; user: string; t: string };

/** The columns of system.query_log on this server (name -> type). */
export async function queryLogColumns(audited: ClickHouse): Promise<Map<string, string>> {
  const rows = await audited.query<{ name: string; type: string }>(sql`SELECT name, type FROM system.columns WHERE database = 'system' AND table = 'query_log'`);
  return new Map(rows.map((r) => [r.name, r.type]));
}

/**
 * Finished queries (QueryFinish, exceptions) matching `where`, oldest first, as the decoder reads them:
 * event_time as UTC text, the address as text, and `t` (event_time in seconds) for the cursor.
 * Executions the decoder's key cannot tell apart (the same query id, second, statement, sizes, ...: a
 * client ran one statement again under the id it chose) are numbered, `repeat` 1, 2, ... after the
 * first (which has none), so that each has its own event id. The order is total, so the same rows
 * are numbered the same when read again; `where` must take a second's rows of a query id all or none
 * (the poller reads whole seconds: a LIMIT cuts only the last second read, which it reads again).
 */
export async function queryLogRows(audited: ClickHouse, cols: Map<string, string>, where: SqlFragment, limit: number): Promise<QueryLogRow[]> {
  // 18.16 has no `tables` nor `current_database`: the decoder reads tables from the query text.
  const optional = [cols.has('tables') ? sql`, tables` : sql``, cols.has('current_database') ? sql`, current_database` : sql``];
  const address = cols.get('address') === 'IPv6' ? sql`toString(address)` : sql`IPv6NumToString(address)`;
  // Rows alike in what the key hashes (numberRepeats) come next to each other, and in one order each time.
  const alike = join(ROW_KEY_COLUMNS.filter((k) => k !== 'event_time').map((k) => ident(k)));
  // Aliases are visible in the whole query: `event_time` must stay the column (WHERE, ORDER BY).
  const rows = await audited.query<QueryLogRow & { event_time_utc: string }>(
    sql`
    SELECT toInt8(type) AS type, toString(event_time, 'UTC') AS event_time_utc, toUInt32(event_time) AS t, query_duration_ms, read_rows, read_bytes,
           written_rows, result_rows, result_bytes, query, exception, user, query_id, ${address} AS address,
           client_name, http_user_agent, is_initial_query${optional[0]}${optional[1]}
    FROM system.query_log
    WHERE toInt8(type) IN (2, 3, 4) AND ${where}
    ORDER BY event_time, query_id, ${alike}, is_initial_query, exception, address, client_name, http_user_agent${optional[1]}
    LIMIT ${limit}`,
    // Reading the log is not an audited query.
    { settings: { log_queries: 0 } },
  );
  return numberRepeats(rows.map(({ event_time_utc, ...r }) => ({ ...r, event_time: event_time_utc }) as QueryLogRow));
}

/**
 * Numbers the executions the decoder's key cannot tell apart (`repeat` 1, 2, ... after the first), in
 * place, on rows in queryLogRows' order: alike rows are next to each other, as the ORDER BY starts
 * with the query id and what the key hashes.
 */
export function numberRepeats<R extends Record<string, unknown>>(rows: R[]): R[] {
  let previous: string | undefined;
  let repeat = 0;
  for (const r of rows) {
    const alike = JSON.stringify([String(r.query_id ?? ''), ...ROW_KEY_COLUMNS.map((k) => String(r[k] ?? ''))]);
    repeat = alike === previous ? repeat + 1 : 0;
    previous = alike;
    if (repeat > 0) (r as Record<string, unknown>).repeat = repeat;
  }
  return rows;
}

/** The query text a row is sent with at most (characters): the ingester's record limit is 1 MiB. */
export const QUERY_KEEP = 64 * 1024;

/**
 * The row with its query text cut to QUERY_KEEP, and the tables read from the whole text (18.16 has no
 * `tables` column) in `tables`. Any user may raise max_query_size and log_queries_cut_to_length: a 3 MB
 * query was logged whole (seen on 18.16) and its row, over the ingester's limit, was dead-lettered (its
 * bytes not counted); one over the broker's message.max.bytes failed every produce, and the poller sent
 * nothing more. The cut text ends with the whole text's length and hash: texts alike up to the cut stay
 * two executions (the key hashes the text).
 */
export function bounded<R extends Record<string, unknown>>(row: R, defaultDatabase: string): R {
  const query = typeof row.query === 'string' ? row.query : '';
  if (query.length <= QUERY_KEEP) return row;
  const db = typeof row.current_database === 'string' && row.current_database !== '' ? row.current_database : defaultDatabase;
  const tables = Array.isArray(row.tables) ? row.tables : tablesOf(query, db, undefined).tables;
  const hash = crypto.createHash('sha1').update(query).digest('hex').slice(0, 12);
  return { ...row, query: `${query.slice(0, QUERY_KEEP)}… [cut: ${query.length} characters, sha1 ${hash}]`, tables };
}

/** The columns of system.processes on this server (name -> type); aliases (newer servers' `Settings.Names`) included. */
export async function processesColumns(audited: ClickHouse): Promise<Map<string, string>> {
  const rows = await audited.query<{ name: string; type: string }>(sql`SELECT name, type FROM system.columns WHERE database = 'system' AND table = 'processes'`, { settings: { log_queries: 0 } });
  return new Map(rows.map((r) => [r.name, r.type]));
}

export type ProcessesRow = Record<string, unknown> & { query_id: string; user: string };

/**
 * The initial queries running now, as the decoder reads them: the address as text, the settings the
 * query changed as `Settings.Names`/`Settings.Values` (18.16's columns; newer servers have them as
 * aliases of the `Settings` map, which older 2x servers lack: the map's keys then), `seen_at` the
 * server's clock (UTC). `mark`, a string no one else knows, leaves out this read itself: a new one
 * for each read (anyone may read system.processes and see this read's text, marker included).
 */
export async function processesRows(audited: ClickHouse, cols: Map<string, string>, mark: string): Promise<ProcessesRow[]> {
  const settings = cols.has('Settings.Names')
    ? sql`${ident('Settings.Names')}, ${ident('Settings.Values')}`
    : sql`mapKeys(Settings) AS ${ident('Settings.Names')}, mapValues(Settings) AS ${ident('Settings.Values')}`;
  return audited.query<ProcessesRow>(
    sql`
    SELECT query_id, user, toString(address) AS address, port, client_name, http_user_agent, is_initial_query, elapsed, read_rows, read_bytes,
           query, ${settings}, toString(now(), 'UTC') AS seen_at${cols.has('current_database') ? sql`, current_database` : sql``}
    FROM system.processes
    WHERE is_initial_query = 1 AND position(query, ${mark}) = 0
    ORDER BY query_id`,
    { settings: { log_queries: 0 } },
  );
}

/** The rows whose settings keep them out of query_log: those the poller sends. */
export function unloggedOf(rows: ProcessesRow[]): ProcessesRow[] {
  return rows.filter((r) => {
    const s = settingsOf(r);
    return isProcessesRow(r) && typeof s !== 'string' && queryLogOffBy(s, Number(r.elapsed)).length > 0;
  });
}

export function createQueryLogPoller(deps: PollerDeps): QueryLogPoller {
  const { options: o, store, producer, log, topic, server } = deps;
  const env = deps.env ?? process.env;
  const audited =
    deps.audited ??
    createClickHouse(
      { url: o.url, database: 'system', username: (o.usernameEnv ? env[o.usernameEnv] : undefined) ?? 'default', password: o.passwordEnv ? env[o.passwordEnv] : undefined, requestTimeoutMs: 30000 },
      { database: 'system' },
    );
  let columns: Map<string, string> | undefined;
  let processes: Map<string, string> | undefined;
  /** Unlogged queries sent and still running (their keys): stored as the cursor `<topic>/unlogged`. */
  let unloggedSent: Cursor | undefined;
  const unloggedSource = `${topic}/unlogged`;
  let stopped = false;
  let wake: (() => void) | undefined;

  async function readCursor(source = topic): Promise<Cursor> {
    const [c] = await store.query<{ t: string; ids: string[]; rows_sent: string }>(sql`
      SELECT toUInt32(cursor_time) AS t, cursor_ids AS ids, rows_sent FROM source_cursors FINAL WHERE source = ${source}`);
    return c ? { time: Number(c.t), ids: c.ids, rowsSent: Number(c.rows_sent) } : { time: 0, ids: [], rowsSent: 0 };
  }

  let seq = 0;
  async function saveCursor(c: Cursor, source = topic): Promise<void> {
    seq = Math.max(seq + 1, Date.now() * 1000);
    await store.insert('source_cursors', [{ source, cursor_time: c.time, cursor_ids: c.ids, rows_sent: c.rowsSent, seq, updated_at: Math.floor(Date.now() / 1000) }]);
  }

  /**
   * The running queries query_log will not record, each sent once: while it runs (several polls) and
   * after a restart (the keys sent of those still running are stored). A crash between the produce and
   * the store sends it again with the same event id, which the ingester recognises.
   */
  async function sendUnlogged(): Promise<number> {
    if (!processes) {
      processes = await processesColumns(audited);
      if (!processes.has('Settings.Names') && !processes.has('Settings')) log.warn({ source: topic, server }, 'system.processes has no Settings: reads run with log_queries = 0 cannot be seen');
    }
    if (!processes.has('Settings.Names') && !processes.has('Settings')) return 0;
    unloggedSent ??= await readCursor(unloggedSource);
    const sent = unloggedSent;
    // A new marker each read: the read itself is in system.processes, which every user may read, so a
    // marker kept for the poller's life could be copied into a query's text to hide it from every later poll.
    const mark = `insider-poll-${crypto.randomBytes(12).toString('hex')}`;
    const running = unloggedOf((await processesRows(audited, processes, mark)).map((r) => bounded(r, o.defaultDatabase)));
    const fresh = running.filter((r) => !sent.ids.includes(unloggedKey(r)));
    const keys = running.map((r) => unloggedKey(r));
    if (fresh.length === 0 && keys.length === sent.ids.length) return 0;
    // In chunks, as query_log's rows: many such queries at once (64 K characters each) made one produce
    // request over the broker's limit, which failed at every poll while they ran.
    const messages = fresh.map((r) => ({ key: r.user, value: JSON.stringify(r) }));
    for await (const chunk of chunkMessages(messages, { maxMessages: SEND_CHUNK, maxBytes: SEND_BYTES })) await producer.send({ topic, acks: -1, messages: chunk });
    const next: Cursor = { time: Math.floor(Date.now() / 1000), ids: keys, rowsSent: sent.rowsSent + fresh.length };
    await saveCursor(next, unloggedSource);
    unloggedSent = next;
    if (fresh.length > 0) log.warn({ source: topic, server, queries: fresh.map((r) => ({ user: r.user, query_id: r.query_id })) }, 'queries running with query logging off sent');
    return fresh.length;
  }

  async function capabilities(): Promise<Map<string, string>> {
    if (!columns) {
      columns = await queryLogColumns(audited);
      if (columns.size === 0) throw new ConfigError(`${o.url} has no system.query_log: enable <query_log> in its server config and log_queries = 1 for the users to audit`);
    }
    return columns;
  }

  async function pollOnce(): Promise<number> {
    const cols = await capabilities();
    // Its failure must not hold up query_log's rows: it is tried again at the next poll.
    const unlogged = await sendUnlogged().catch((err: Error) => {
      log.warn({ source: topic, err: err.message }, 'system.processes poll failed; trying again');
      return 0;
    });
    return unlogged + (await sendQueryLog(cols));
  }

  async function sendQueryLog(cols: Map<string, string>): Promise<number> {
    let cursor = await readCursor();
    if (cursor.time === 0 && o.from === 'now') {
      // First start: from now on (what the lag still hides is older than the first cursor).
      const [now] = await audited.query<{ t: string }>(sql`SELECT toUInt32(now() - ${o.lagS}) AS t`, { settings: { log_queries: 0 } });
      cursor = { time: Number(now.t), ids: [], rowsSent: 0 };
      await saveCursor(cursor);
      log.info({ source: topic, cursor: new Date(cursor.time * 1000).toISOString() }, 'query_log: first start, from now on');
    }
    // The cursor's second is read whole again (its repeats numbered over all its rows), and its rows
    // already sent are left out here: by their execution keys, not by query id (a reused id left the
    // rest of that second's executions under it unread), nor in the query (the key is ours).
    const sent = new Set(cursor.ids);
    const read = (await queryLogRows(audited, cols, sql`event_time >= toDateTime(${cursor.time}) AND event_time <= now() - ${o.lagS}`, o.batchRows + cursor.ids.length)).map((r) => bounded(r, o.defaultDatabase));
    const rows = read.filter((r) => !(Number(r.t) === cursor.time && sent.has(executionKey(r)))).slice(0, o.batchRows);
    if (rows.length === 0) return 0;
    const messages = rows.map(({ t: _t, ...row }) => ({ key: String(row.user), value: JSON.stringify(row) }));
    // kafkajs makes one record batch per partition of a send: kept well under the consumers' record
    // limit (kafka.maxBatchRecords, 20,000 by default), past which a batch is not read.
    for await (const chunk of chunkMessages(messages, { maxMessages: SEND_CHUNK, maxBytes: SEND_BYTES })) await producer.send({ topic, acks: -1, messages: chunk });
    const last = Number(rows[rows.length - 1].t);
    const ids = rows.filter((r) => Number(r.t) === last).map((r) => executionKey(r));
    const next: Cursor = { time: last, ids: last === cursor.time ? [...cursor.ids, ...ids] : ids, rowsSent: cursor.rowsSent + rows.length };
    await saveCursor(next);
    log.info({ source: topic, server, rows: rows.length, cursor: new Date(next.time * 1000).toISOString() }, 'query_log rows sent');
    return rows.length;
  }

  return {
    pollOnce,
    cursor: () => readCursor(),
    async run() {
      while (!stopped) {
        let sent = 0;
        try {
          sent = await pollOnce();
        } catch (err) {
          log.warn({ source: topic, err: (err as Error).message }, 'query_log poll failed; trying again');
        }
        // A full batch: more are waiting, poll again at once.
        if (sent >= o.batchRows || stopped) continue;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, o.intervalMs);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
    },
    stop() {
      stopped = true;
      wake?.();
    },
    async close() {
      if (!deps.audited) await audited.close();
    },
  };
}
