// ClickHouse's `system.query_log` (docs/sources/clickhouse.md): one finished query -> its events.
// The poller (poller.ts) reads the rows of an audited ClickHouse and produces each as a JSON object to
// the topic; this decoder turns one such row into canonical events. Rows exported by hand
// (`SELECT ... FROM system.query_log FORMAT JSONEachRow`) read the same, so `insider sources parse`
// checks a server's real rows.
//   type 2 (QueryFinish)                        -> status ok, rows = result_rows, bytes = result_bytes;
//   type 3, 4 (exception before / while running) -> status error, no volume;
//   type 1 (QueryStart), non-initial queries (the shards' part of a distributed query) -> nothing.
// Tables: the `tables` column where the server has it (20.x+), else read from the query text (18.16).
// A system.processes row the poller sent (a query running with query logging off): unlogged.ts.
import crypto from 'node:crypto';
import { z } from 'zod';
import { ConfigError } from '../../errors';
import { validateEvent } from '../../event';
import { unwrap } from '../envelope';
import { firstKeyword, relationsOf } from '../postgres/statement';
import { clip, cut } from '../../text';
import { STATEMENT_KEEP, type DecodedEvent, type DecodeResult, type SourceDecoder, type SourceFormat } from '../types';
import { decodeUnlogged, isProcessesRow } from './unlogged';

export const POLL_OPTIONS = {
  url: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:8123'),
  usernameEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name').optional(),
  passwordEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name').optional(),
  intervalMs: z.coerce.number().int().min(100).default(2000),
  lagS: z.coerce.number().int().min(0).max(3600).default(15),
  batchRows: z.coerce.number().int().min(1).max(100_000).default(5000),
  from: z.enum(['now', 'beginning']).default('now'),
};

const optionsSchema = z.strictObject({
  server: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'expected a server name (letters, digits, . _ : -, at most 64)').optional(),
  defaultDatabase: z.string().min(1).default('default'),
  ...POLL_OPTIONS,
});

export type ClickhouseSourceOptions = z.infer<typeof optionsSchema>;

/**
 * Table functions that read stored data (here or on another server): `merge('db', '^t$')` and
 * `remote('host', db, t)` read a table the query log's tables and the query text do not name as one.
 */
const TABLE_FUNCTION = /(?:\bFROM|\bJOIN|,)\s*(merge|remote|remoteSecure|cluster|clusterAllReplicas|view|mysql|postgresql|jdbc|odbc|url|file|s3|s3Cluster|hdfs|azureBlobStorage|mongodb|redis|sqlite|iceberg|deltaLake|hudi)\s*\(/gi;

/** The table functions a query reads through, as `name()` (its database: the query's). */
export function tableFunctionsOf(query: string, logged: unknown[]): string[] {
  const named = logged.filter((t): t is string => typeof t === 'string' && t.startsWith('_table_function.')).map((t) => `${t.slice('_table_function.'.length)}()`);
  // Comments out first: `FROM/**/merge(...)` is a read too; strings blanked, so that one naming a function is not.
  const text = query.replace(/\/\*[\s\S]*?(\*\/|$)|--[^\n]*|#[^\n]*|'(?:\\.|''|[^'\\])*'/g, (m) => (m.startsWith("'") ? "''" : ' '));
  const found = [...text.matchAll(TABLE_FUNCTION)].map((m) => `${m[1]}()`);
  return [...new Set([...named, ...found])];
}

/** The row's values its key hashes (besides `repeat`): what one execution of a query logs. */
export const ROW_KEY_COLUMNS = ['type', 'event_time', 'query_duration_ms', 'read_rows', 'read_bytes', 'written_rows', 'result_rows', 'result_bytes', 'user', 'query'] as const;

/**
 * The row's own values: a client chooses its query ids, and one reused (a small query, then a whole
 * table under the same id) made the second a duplicate of the first, dead-lettered, its bytes not
 * counted. The same row read again gives the same key. Executions alike in all of these (the same
 * statement run again in the same second under the same id: 18.16 logs seconds, and its other
 * columns, memory_usage, port, thread_numbers, are alike too) are told apart by `repeat`, which the
 * poller numbers them with (queryLogRows): the first has none, so its key is the one it always had.
 */
function rowKey(row: Record<string, unknown>): string {
  const parts = ROW_KEY_COLUMNS.map((k) => String(row[k] ?? ''));
  const repeat = num(row.repeat);
  if (repeat !== undefined && Number.isSafeInteger(repeat) && repeat > 0) parts.push(`repeat ${repeat}`);
  return crypto.createHash('sha1').update(parts.join('\u0000')).digest('hex').slice(0, 12);
}

/** What follows `<server>/` in the row's event id: the execution it logs. The poller's cursor holds these. */
export function executionKey(row: Record<string, unknown>): string {
  return `${str(row.query_id)}/${rowKey(row)}`;
}
/**
 * The tables a query read, as `db.table`: the log's `tables` column where the server has one (20.x+),
 * else from the query text (18.16, and system.processes, which has no such column), else the table
 * functions it reads through. `tablesFrom` says which.
 */
export function tablesOf(query: string, dbDefault: string, logged: unknown): { tables: string[]; tablesFrom: string } {
  let tables: string[];
  let tablesFrom: string;
  if (Array.isArray(logged)) {
    tables = logged.filter((t): t is string => typeof t === 'string' && t !== '' && !t.startsWith('_table_function.'));
    tablesFrom = 'query_log.tables';
  } else {
    // Every token: FROM after the first 2,000 (`SELECT email, 1, 1, ...` a thousand times, 3 KB) gave no
    // table, and a QueryFinish with no table counts no bytes. The text is bounded by the message limit.
    tables = relationsOf(query, { dialect: 'clickhouse', defaultSchema: dbDefault }, Infinity);
    tablesFrom = 'query text';
  }
  if (tables.length === 0) {
    tables = tableFunctionsOf(query, Array.isArray(logged) ? logged : []);
    if (tables.length > 0) tablesFrom = 'table functions in the query';
  }
  return { tables, tablesFrom };
}

export const WRITES = new Set(['INSERT', 'CREATE', 'ALTER', 'DROP', 'RENAME', 'TRUNCATE', 'OPTIMIZE', 'ATTACH', 'DETACH']);

export function parseClickhouseOptions(raw: Readonly<Record<string, string | number | boolean>>, topic: string): ClickhouseSourceOptions {
  const parsed = optionsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : '');
    throw new ConfigError(`ingest.sources.${topic}.options${key ? `.${key}` : ''}: ${issue.message} (format clickhouse-query-log)`, { topic });
  }
  return parsed.data;
}

export const clickhouseQueryLogFormat: SourceFormat = {
  name: 'clickhouse-query-log',
  summary: "ClickHouse system.query_log rows (the `insider sources poll` poller, or JSONEachRow exports): result_rows and result_bytes per finished query",
  optionsHelp: {
    server: 'the server name events carry as `source` (default: the topic)',
    defaultDatabase: 'the database of unqualified table names when the row does not say (default "default")',
    url: 'poller: the audited ClickHouse HTTP address (default http://127.0.0.1:8123)',
    usernameEnv: 'poller: environment variable with the user name (default "default")',
    passwordEnv: 'poller: environment variable with the password',
    intervalMs: 'poller: how often system.query_log and system.processes are read (default 2000 ms)',
    lagS: 'poller: rows younger than this are left for the next poll (query_log is flushed every 7.5 s; default 15 s)',
    batchRows: 'poller: rows read per poll at most (default 5000)',
    from: 'poller, first start only: now (default; queries from then on) or beginning (all the query_log holds)',
  },
  create(raw, topic) {
    const o = parseClickhouseOptions(raw, topic);
    return clickhouseDecoder(o.server ?? topic, o.defaultDatabase);
  },
};

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
/** UInt64 columns arrive as strings (JSON output quotes 64-bit integers). */
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);

export function isQueryLogRow(doc: Record<string, unknown>): boolean {
  return doc.query_id !== undefined && doc.type !== undefined && doc.query !== undefined;
}

/** query_log's `type`: a number (Enum8 as number) or its name. */
function typeOf(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  const names: Record<string, number> = { QueryStart: 1, QueryFinish: 2, ExceptionBeforeStart: 3, ExceptionWhileProcessing: 4 };
  return typeof v === 'string' ? (names[v] ?? num(v)) : undefined;
}

export function clickhouseDecoder(server: string, defaultDatabase: string): SourceDecoder {
  return {
    format: 'clickhouse-query-log',
    servers: [],
    decode(message, ctx): DecodeResult {
      const u = unwrap(message.value, { maxMessageBytes: ctx.limits.maxMessageBytes, isBareRecord: (d) => isQueryLogRow(d) || isProcessesRow(d) });
      if (!u.ok) return u;
      let row = u.record;
      if (!row) {
        try {
          const doc = JSON.parse(u.text) as unknown;
          if (typeof doc === 'object' && doc !== null && !Array.isArray(doc)) row = doc as Record<string, unknown>;
        } catch {
          // not JSON: reported below
        }
      }
      if (row && isProcessesRow(row)) return decodeUnlogged(row, server, defaultDatabase, ctx, (q, db) => tablesOf(q, db, row.tables), (q) => tableFunctionsOf(q, []));
      if (!row || !isQueryLogRow(row)) return { ok: false, code: 'wrong_format', reason: 'expected a system.query_log row (query_id, type, query, ...) or a system.processes row (query_id, query, elapsed, Settings.Names, ...) as a JSON object' };
      const type = typeOf(row.type);
      if (type === undefined) return { ok: false, code: 'wrong_type', reason: `type is ${JSON.stringify(row.type)}: expected 1-4 or QueryStart, QueryFinish, ExceptionBeforeStart, ExceptionWhileProcessing` };
      if (type === 1) return { ok: true, events: [], facts: [], note: 'QueryStart: counted when it finishes' };
      if (row.is_initial_query !== undefined && num(row.is_initial_query) === 0) return { ok: true, events: [], facts: [], note: 'a distributed query\'s part on a shard: counted once, on the initial query' };
      const queryId = str(row.query_id);
      const query = str(row.query);
      const dbDefault = str(row.current_database) || defaultDatabase;
      const { tables, tablesFrom } = tablesOf(query, dbDefault, row.tables);
      const head = firstKeyword(query, 'clickhouse') || 'UNKNOWN';
      const inbound = WRITES.has(head);
      // A read that failed while processing had sent the client every block before the failure (seen on
      // 18.16: 326 MB sent, then the error; query_log: result_rows and result_bytes 0). An export that
      // fails on purpose at its last row (a cast, throwIf) moved its data: what it read is counted.
      const failedSending = type === 4 && !inbound && tables.length > 0 && (num(row.read_bytes) ?? 0) > 0;
      const status = type === 2 || failedSending ? 'ok' : 'error';
      if (tables.length === 0 && status === 'ok') return { ok: true, events: [], facts: [], note: 'no table: no stored data read' };
      const id = `${server}/${executionKey(row)}`;
      // INSERT ... SELECT on 18.16 reports its rows as read_rows, written_rows 0.
      const rows = failedSending ? (num(row.read_rows) ?? 0) : status === 'error' ? 0 : inbound ? num(row.written_rows) || num(row.read_rows) || 0 : (num(row.result_rows) ?? 0);
      const bytes = failedSending ? (num(row.read_bytes) ?? 0) : status === 'error' || inbound ? 0 : (num(row.result_bytes) ?? 0);
      const address = str(row.address).replace(/^::ffff:/, '');
      // event_time in UTC: the poller selects toString(event_time, 'UTC'); an export must do the same.
      const ts = row.event_time;
      const list = tables.length > 0 ? tables : [`${dbDefault}.`];
      const events: DecodedEvent[] = [];
      for (let i = 0; i < list.length; i++) {
        const dot = list[i].indexOf('.');
        const doc: Record<string, unknown> = {
          event_id: i > 0 ? `${id}/${i}` : id,
          ts: typeof ts === 'string' ? `${ts.replace(' ', 'T')}Z` : ts,
          user: str(row.user),
          action: head,
          bytes: i === 0 ? bytes : 0,
          rows: i === 0 ? rows : 0,
          bytes_estimated: failedSending,
          source: server,
          database: dot < 0 ? dbDefault : list[i].slice(0, dot),
          table: dot < 0 ? list[i] : list[i].slice(dot + 1),
          client_ip: address,
          client_app: str(row.client_name) || str(row.http_user_agent),
          query_id: queryId,
          status,
          statement: clip(query, STATEMENT_KEEP),
          read_rows: num(row.read_rows),
          read_bytes: num(row.read_bytes),
          result_rows: num(row.result_rows),
          result_bytes: num(row.result_bytes),
          written_rows: num(row.written_rows),
          query_duration_ms: num(row.query_duration_ms),
          tables_from: tablesFrom,
          ...(str(row.exception) ? { error: cut(str(row.exception), 512) } : {}),
          ...(failedSending && i === 0 ? { failed_while_sending: true, bytes_from: 'read_bytes: the query failed while sending its result (query_log keeps no result bytes then); what it read from storage is counted' } : {}),
          ...(i > 0 ? { bytes_counted_on: id } : {}),
        };
        const v = validateEvent(doc, ctx.limits, ctx.now);
        if (!v.ok) return v;
        events.push({ event: v.event });
      }
      return { ok: true, events, facts: [] };
    },
  };
}
