// The product's ClickHouse connection. Queries are accepted only as SqlFragment (built by sql``),
// so a plain string with concatenated input cannot reach the server by accident. Every failure is
// turned into a ClickHouseError that says whether retrying can help. In cluster mode the connection
// also knows the topology and opens connections to single nodes (src/store/cluster.ts).
import { Readable } from 'node:stream';
import { createClient, ClickHouseError as ServerError, ClickHouseLogLevel, type ClickHouseClient } from '@clickhouse/client';
import { ClickHouseError, ConfigError } from '../errors';
import type { Config } from '../config';
import type { SqlFragment } from './sql';
import { stalledBodyDroppedAfter, type StalledBodyProbe } from './stalled-body-probe';
import { statementRecording, type RecordedStatement } from './statement-recording';
import { RETRIABLE_SERVER_CODES } from './server-codes';
import type { EncodedRows } from './tab-separated';

export interface ClickHouse {
  readonly database: string;
  /** How long a request may take before it fails (clickhouse.requestTimeoutMs, or withRequestTimeout's). */
  readonly requestTimeoutMs: number;
  /**
   * Rows of a SELECT as objects (JSONEachRow; 64-bit integers arrive as strings, on every server version).
   * A limit the query reaches fails it (never the rows so far as the answer, whatever the user profile says),
   * and an error met after the first rows is the server's failure with its code, not text after the rows.
   */
  query<T = Record<string, unknown>>(q: SqlFragment, opts?: { settings?: Record<string, string | number> }): Promise<T[]>;
  /**
   * Each row of a SELECT as one line of TabSeparated (escaped values, no header), passed on as the answer
   * arrives: for a reader of many rows that parses them itself (tab-separated.ts: tsvUnescape), far
   * cheaper than JSONEachRow's objects, and never the whole answer in one string (V8 caps a string at
   * about 512 M characters). The server holds the answer back until the query has finished
   * (wait_end_of_query), so an error met while it runs fails the request instead of arriving as text
   * after the last row; a reader still checks every line's shape (a cut answer, a proxy's page).
   */
  queryTabSeparated(q: SqlFragment, onRow: (line: string) => void, opts?: { settings?: Record<string, string | number> }): Promise<void>;
  /** DDL and other statements without a result. */
  exec(q: SqlFragment, opts?: { session?: HttpSession; queryId?: string }): Promise<void>;
  /**
   * Inserts rows as JSONEachRow, or as the given encoding of the same rows (TabSeparated,
   * tab-separated.ts); the server acknowledges only after the block is written.
   */
  insert<T extends object>(table: string, rows: ReadonlyArray<T>, opts?: InsertOptions): Promise<void>;
  ping(): Promise<boolean>;
  serverVersion(): Promise<string>;
  /**
   * The same connection settings with another request timeout (a client of its own, closed with this
   * one): work that must finish, such as settling an insert whose answer was lost, is not held to a
   * timeout chosen for inserts.
   */
  withRequestTimeout(ms: number): ClickHouse;
  close(): Promise<void>;
  /**
   * How long the server (every replica, on a cluster) waits for a request body that stops arriving, in ms,
   * each with its address; undefined where it still waited after `capMs` (stalled-body-probe.ts).
   */
  stalledBodyTimeouts(capMs: number): Promise<Array<StalledBodyProbe & { url: string }>>;
  /** Cluster mode only (clickhouse.cluster): the topology and connections to its nodes. */
  readonly cluster?: ClusterNodes;
}

export interface InsertOptions {
  settings?: Record<string, string | number>;
  queryId?: string;
  session?: HttpSession;
  /** The same rows already encoded (tab-separated.ts), sent instead of JSONEachRow. */
  encoded?: EncodedRows;
}

export type ClickHouseSettings = Pick<Config['clickhouse'], 'url' | 'database' | 'username' | 'password' | 'requestTimeoutMs'> & {
  cluster?: Config['clickhouse']['cluster'];
};

export interface ClusterNodes {
  readonly name: string;
  /** HTTP address of each replica, [shard][replica], shards in <remote_servers> order. */
  readonly shards: ReadonlyArray<ReadonlyArray<string>>;
  /** The database of the shards' own replicated tables: `<database>_local`. */
  readonly localDatabase: string;
  /** A connection to one node (to the local database unless another is named); opened once, closed with this one. */
  node(shard: number, replica: number, database?: string): ClickHouse;
}

/**
 * Settings of a connection to a cluster through its Distributed tables: an INSERT returns once every
 * shard stored its rows (not when they were queued on the node that received them); each shard is read
 * from and written to its first healthy replica, so a process reads its own writes; a subquery over a
 * Distributed table inside a distributed query is run once, globally (correct answers instead of the
 * default refusal).
 */
export const DISTRIBUTED_SETTINGS: Readonly<Record<string, string | number>> = {
  insert_distributed_sync: 1,
  load_balancing: 'in_order',
  distributed_product_mode: 'global',
};

export function localDatabaseOf(database: string): string {
  return `${database}_local`;
}

/**
 * A ClickHouse HTTP session: `check` refuses the request (SESSION_NOT_FOUND, code 372) unless the
 * session exists; `timeoutSeconds` is how long it outlives its last request. The ingester uses one
 * per insert attempt as a fence (src/store/write-fence.ts).
 */
export interface HttpSession {
  id: string;
  check?: boolean;
  timeoutSeconds?: number;
}

/**
 * Settings for a read of one key (an alert, its actions, one employee's days): one thread. Such a read
 * touches a granule or two per part; the threads a parallel read starts cost more CPU than they save
 * (measured on the alert page: ClickHouse CPU per page down by about a quarter), and twenty dashboards
 * opening alerts at once are CPU-bound.
 */
export const POINT_READ = { max_threads: 1 } as const;

/** URL parameters of a session (the server reads them apart from settings). */
function sessionParams(s: HttpSession | undefined): Record<string, number> {
  if (!s) return {};
  return { ...(s.check ? { session_check: 1 } : {}), ...(s.timeoutSeconds !== undefined ? { session_timeout: s.timeoutSeconds } : {}) };
}



export function createClickHouse(settings: ClickHouseSettings, opts: { database?: string } = {}): ClickHouse {
  const database = opts.database ?? settings.database;
  const topology = settings.cluster ?? null;
  const others = new Map<number, ClickHouse>();
  const client: ClickHouseClient = createClient({
    url: settings.url,
    username: settings.username,
    password: settings.password ?? '',
    database,
    request_timeout: settings.requestTimeoutMs,
    application: 'insider-detector',
    // 64-bit integers as JSON strings on every server: 18.16's default, no longer 25.8+'s (docs/clickhouse-compatibility.md).
    clickhouse_settings: { output_format_json_quote_64bit_integers: 1, ...(topology ? (DISTRIBUTED_SETTINGS as object) : {}) },
    // Failures are classified and logged by us, once, without the query text's values.
    log: { level: ClickHouseLogLevel.OFF },
  });
  const nodes = new Map<string, ClickHouse>();
  const cluster: ClusterNodes | undefined = topology
    ? {
        name: topology.name,
        shards: topology.shards,
        localDatabase: localDatabaseOf(database),
        node(shard, replica, db = localDatabaseOf(database)) {
          const url = topology.shards[shard]?.[replica];
          if (url === undefined) throw new ConfigError(`no replica ${replica} of shard ${shard} in clickhouse.cluster`);
          const key = `${shard}/${replica}/${db}`;
          let node = nodes.get(key);
          if (!node) nodes.set(key, (node = createClickHouse({ ...settings, url, cluster: null }, { database: db })));
          return node;
        },
      }
    : undefined;

  // Off unless INSIDER_CLICKHOUSE_RECORD_DIR is set: the compatibility check's recording (statement-recording.ts).
  const recording = statementRecording(new URL(settings.url).origin, database);

  const run = async <T>(what: string, fn: () => Promise<T>, statement?: RecordedStatement): Promise<T> => {
    const recorded = statement && recording?.start(statement);
    try {
      const result = await fn();
      recorded?.({ result });
      return result;
    } catch (err) {
      const failure = classify(err, what);
      recorded?.({ error: { message: failure.message, serverCode: failure.context.serverCode as number | undefined, retriable: failure.retriable } });
      throw failure;
    }
  };

  return {
    database,
    requestTimeoutMs: settings.requestTimeoutMs,
    query: <T>(q: SqlFragment, o: { settings?: Record<string, string | number> } = {}) =>
      run('query', () =>
        onceMoreOnStaleSocket(async () => {
          const rs = await client.query({ query: q.text, format: 'JSONEachRow', clickhouse_settings: { ...o.settings, ...WHOLE_ANSWER } as never });
          return rs.json<T>();
        }), { kind: 'query', sql: q.text, settings: o.settings }),
    async queryTabSeparated(q: SqlFragment, onRow: (line: string) => void, o: { settings?: Record<string, string | number> } = {}) {
      // The compatibility check's recording keeps the answer as text, as the rows' lines.
      const lines: string[] | undefined = recording ? [] : undefined;
      // What the reader throws is its own failure, not ClickHouse's: passed on as it is.
      let readerFailure: { err: unknown } | undefined;
      try {
        await run('query', async () => {
          // Only the request is tried again on a stale socket: no row has been passed on before it is answered.
          const { stream } = await onceMoreOnStaleSocket(() =>
            client.exec({ query: `${q.text.replace(/[\s;]+$/, '')}\nFORMAT TabSeparated`, clickhouse_settings: { ...o.settings, ...WHOLE_ANSWER } as never }),
          );
          await forEachLine(stream, (line) => {
            lines?.push(line);
            try {
              onRow(line);
            } catch (err) {
              readerFailure = { err };
              throw err;
            }
          });
          return lines && lines.map((l) => `${l}\n`).join('');
        }, { kind: 'query', sql: q.text, settings: o.settings, format: 'TabSeparated' });
      } catch (err) {
        throw readerFailure ? readerFailure.err : err;
      }
    },
    exec: (q: SqlFragment, o: { session?: HttpSession; queryId?: string } = {}) =>
      run('statement', async () => {
        await client.command({ query: q.text, session_id: o.session?.id, query_id: o.queryId, clickhouse_settings: sessionParams(o.session) as never });
      }, { kind: 'exec', sql: q.text }),
    insert: <T extends object>(table: string, rows: ReadonlyArray<T>, o: InsertOptions = {}) =>
      run(`insert into ${table}`, async () => {
        if (rows.length === 0) return;
        // A known query_id lets the ingester find (and kill) the insert in system.processes.
        const settings = { ...o.settings, ...sessionParams(o.session) };
        const common = { table, clickhouse_settings: settings as never, query_id: o.queryId, session_id: o.session?.id };
        if (o.encoded) {
          // Gzipped, so that a body cut short is refused whole: a writer killed mid-insert closes its
          // connection cleanly (FIN), and 18.16 took that for the end of the body, storing the rows it had
          // with the last value cut (TabSeparated's last column, the Kafka offset, parses cut). A gzip
          // stream without its end fails (ZLIB_INFLATE_FAILED) and stores nothing. Compressed in one call,
          // by encodeRows, before the fence opened: the client's streaming compressor cost the ingester a
          // third of its speed, and compressing here took part of the fence's second on every attempt.
          const body = Readable.from([o.encoded.gzipped], { objectMode: false });
          await client.insert({
            ...common,
            values: body,
            format: o.encoded.format,
            columns: [...o.encoded.columns] as [string, ...string[]],
            http_headers: { 'Content-Encoding': 'gzip' },
          });
        } else {
          await client.insert({ ...common, values: rows as T[], format: 'JSONEachRow' });
        }
      }, { kind: 'insert', table, rows, settings: o.settings }),
    ping: async () => {
      const r = await client.ping();
      return r.success;
    },
    serverVersion: () =>
      run('version', async () => {
        const rs = await client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' });
        const [row] = await rs.json<{ v: string }>();
        return row.v;
      }, { kind: 'version' }),
    withRequestTimeout(ms: number) {
      if (ms === settings.requestTimeoutMs) return this;
      let other = others.get(ms);
      if (!other) others.set(ms, (other = createClickHouse({ ...settings, requestTimeoutMs: ms }, { database })));
      return other;
    },
    stalledBodyTimeouts: (capMs) =>
      Promise.all(
        (topology ? topology.shards.flat() : [settings.url]).map(async (url) => ({
          url,
          ...(await stalledBodyDroppedAfter({ url, username: settings.username, password: settings.password }, capMs)),
        })),
      ),
    close: async () => {
      await Promise.all([...nodes.values(), ...others.values()].map((n) => n.close()));
      await client.close();
    },
    cluster,
  };
}

/**
 * A limit reached fails the query rather than ending it early with the rows so far, answered as if
 * complete (a user profile may set the `break` modes: a report or a listing missing rows, unsaid).
 */
const NO_EARLY_END = {
  timeout_overflow_mode: 'throw',
  read_overflow_mode: 'throw',
  result_overflow_mode: 'throw',
  group_by_overflow_mode: 'throw',
} as const;

/**
 * Every read: the server also holds the answer back until the query has finished, so an error met after
 * the first rows is a failed request with the server's code (before 25.11 it came as text after the rows,
 * status 200: a TabSeparated reader would take it for rows, JSON's parser failed as if the server were
 * unreachable, retried without end).
 */
const WHOLE_ANSWER = { wait_end_of_query: 1, ...NO_EARLY_END } as const;

/**
 * Each line of a response body, as it arrives (split on the raw bytes: a newline byte never occurs inside
 * a UTF-8 character). Every row of TabSeparated ends with a newline, so an answer ending without one was
 * cut short and fails the read rather than losing its last row.
 */
async function forEachLine(body: Readable, onLine: (line: string) => void): Promise<void> {
  let carry: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer>) {
    let at = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, at)) {
      if (carry.length > 0) {
        carry.push(chunk.subarray(at, nl));
        onLine(Buffer.concat(carry).toString());
        carry = [];
      } else {
        onLine(chunk.toString('utf8', at, nl));
      }
      at = nl + 1;
    }
    if (at < chunk.length) carry.push(chunk.subarray(at));
  }
  if (carry.length > 0) throw new ClickHouseError('ClickHouse answered a read cut short: its last row has no end', { retriable: true });
}

/**
 * A read sent on a kept-alive socket that the server closed while this process's event loop was busy
 * (the client evicts idle sockets on a timer, which a blocked loop delays) fails at once with a reset.
 * Reads have no effect, so one immediate second attempt on a fresh socket is safe; writes are never
 * repeated here (their outcome is the caller's to settle).
 */
async function onceMoreOnStaleSocket<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const code = (err as { code?: string }).code;
    const stale = code === 'ECONNRESET' || code === 'EPIPE' || /socket hang up/i.test((err as Error)?.message ?? '');
    if (!stale) throw err;
    return fn();
  }
}

function classify(err: unknown, what: string): ClickHouseError {
  if (err instanceof ClickHouseError) return err;
  const message = err instanceof Error ? err.message : String(err);
  // Modern servers' errors are parsed by the client (ServerError); 18.16's older wording
  // ("Code: 60, e.displayText() = DB::Exception: ...") is not, so the code is read here.
  const serverCode = err instanceof ServerError ? Number(err.code) : Number(/^Code: (\d+)[.,]/.exec(message)?.[1] ?? NaN);
  if (Number.isFinite(serverCode)) {
    const retriable = RETRIABLE_SERVER_CODES.has(serverCode);
    return new ClickHouseError(`ClickHouse rejected the ${what}: ${serverMessage(message)}`, { retriable, serverCode, cause: err });
  }
  // No answer from the server (refused, reset, timed out): the classic case for retry with backoff.
  return new ClickHouseError(`ClickHouse unreachable during ${what}: ${firstLine(message)}`, { retriable: true, cause: err });
}

function serverMessage(message: string): string {
  const old = /e\.displayText\(\) = (?:DB::Exception: )?([\s\S]*?)(?:, e\.what\(\) = [\s\S]*)?$/.exec(message);
  return firstLine(old ? old[1] : message);
}

function firstLine(text: string): string {
  const line = text.split('\n')[0].trim();
  return line.length > 500 ? `${line.slice(0, 497)}...` : line;
}
