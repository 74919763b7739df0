// Queries query_log will not record, seen while they run (docs/sources/clickhouse.md, "Reads with query
// logging off"). Any user who may change settings can run with `log_queries = 0` (`SET`, `?log_queries=0`
// on the HTTP URL, a query's SETTINGS on newer servers): system.query_log then has no row of the query,
// so the decoder's events never come. While it runs it is in system.processes, whose `Settings.Names` /
// `Settings.Values` hold the settings the query changed; the poller reads that table each poll and sends
// the rows whose settings switch query logging off, and this makes them events of no bytes with the
// reason (`bytes_unknown`, `query_log_off_by`), which the detector's unmeasuredReads policy alerts on.
import crypto from 'node:crypto';
import { validateEvent } from '../../event';
import { firstKeyword } from '../postgres/statement';
import { clip } from '../../text';
import { STATEMENT_KEEP, type DecodeContext, type DecodedEvent, type DecodeResult } from '../types';

const NAMES = 'Settings.Names';
const VALUES = 'Settings.Values';

/** A system.processes row (the poller's, or a JSONEachRow export): no `type`, its settings as arrays. */
export function isProcessesRow(doc: Record<string, unknown>): boolean {
  return doc.query_id !== undefined && doc.query !== undefined && doc.elapsed !== undefined && doc.type === undefined && NAMES in doc;
}

/** log_queries_min_type's values that leave out QueryFinish rows (QUERY_FINISH itself still logs them). */
const HIDES_FINISH = new Set(['EXCEPTION_BEFORE_START', 'EXCEPTION_WHILE_PROCESSING', '3', '4']);

/**
 * What in the query's settings keeps its QueryFinish row out of query_log, e.g. `log_queries = 0`;
 * empty when nothing does. Names a server lacks (18.16 knows only log_queries) are simply never listed.
 * A minimum duration hides the query only if it may still finish under it.
 */
export function queryLogOffBy(settings: ReadonlyMap<string, string>, elapsedS: number): string[] {
  const off: string[] = [];
  const v = (name: string) => settings.get(name)?.trim();
  const logQueries = v('log_queries');
  if (logQueries !== undefined && /^(0|false)$/i.test(logQueries)) off.push(`log_queries = ${logQueries}`);
  const minType = v('log_queries_min_type');
  if (minType !== undefined && HIDES_FINISH.has(minType.toUpperCase())) off.push(`log_queries_min_type = ${minType}`);
  const minMs = Number(v('log_queries_min_query_duration_ms'));
  if (minMs > 0 && minMs > elapsedS * 1000) off.push(`log_queries_min_query_duration_ms = ${minMs}`);
  const probability = v('log_queries_probability');
  if (probability !== undefined && Number(probability) < 1) off.push(`log_queries_probability = ${probability}`);
  return off;
}

/** The row's settings, or why they cannot be read. */
export function settingsOf(row: Record<string, unknown>): Map<string, string> | string {
  const names = row[NAMES];
  const values = row[VALUES];
  if (!Array.isArray(names) || !Array.isArray(values) || names.length !== values.length) return `${NAMES} and ${VALUES} must be arrays of the same length`;
  const m = new Map<string, string>();
  names.forEach((n, i) => m.set(String(n), String(values[i])));
  return m;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? Number(v) : undefined);

/**
 * The event id after `<server>/`: the query id a client chose, and a hash of who ran what from where
 * (the same in every poll that sees the query, and after a restart; a query id reused by another
 * query gives another id).
 */
export function unloggedKey(row: Record<string, unknown>): string {
  const parts = [row.user, row.address, row.port, row.query].map((x) => str(x));
  return `${str(row.query_id)}/unlogged/${crypto.createHash('sha1').update(parts.join('\u0000')).digest('hex').slice(0, 12)}`;
}

export function decodeUnlogged(
  row: Record<string, unknown>,
  server: string,
  defaultDatabase: string,
  ctx: DecodeContext,
  tablesOf: (query: string, db: string) => { tables: string[]; tablesFrom: string },
  /** The table functions the query reads through (`remote()`, `merge()`, ...), as `name()`. */
  tableFunctionsOf: (query: string) => string[] = () => [],
): DecodeResult {
  const settings = settingsOf(row);
  if (typeof settings === 'string') return { ok: false, code: 'wrong_type', reason: `system.processes row: ${settings}` };
  const elapsed = num(row.elapsed);
  if (elapsed === undefined) return { ok: false, code: 'wrong_type', reason: `system.processes row: elapsed is ${JSON.stringify(row.elapsed)}: expected seconds` };
  const off = queryLogOffBy(settings, elapsed);
  if (off.length === 0) return { ok: true, events: [], facts: [], note: 'a running query query_log will record: counted when it finishes' };
  if (row.is_initial_query !== undefined && num(row.is_initial_query) === 0) return { ok: true, events: [], facts: [], note: "a distributed query's part on a shard: reported once, on the initial query" };
  const query = str(row.query);
  const dbDefault = str(row.current_database) || defaultDatabase;
  const found = tablesOf(query, dbDefault);
  // The server's own tables hold no one's data: another poller's reads of system.query_log (which run
  // with log_queries = 0) are not an employee hiding a read.
  let tables = found.tables.filter((t) => !t.startsWith('system.'));
  let tablesFrom = found.tablesFrom;
  // A table named beside a table function hides the function from tablesOf: `FROM remote('127.0.0.1',
  // crm.customers) CROSS JOIN system.one` names system.one only, and left out as such it read no table.
  if (tables.length === 0) {
    tables = tableFunctionsOf(query);
    if (tables.length > 0) tablesFrom = 'table functions in the query';
  }
  if (tables.length === 0) return { ok: true, events: [], facts: [], note: `ran with ${off.join(', ')}, but reads no table${found.tables.length > 0 ? ' but the system ones' : ''}` };
  // seen_at: the server's clock when the poller read the row (UTC); the query began `elapsed` before.
  const seen = typeof row.seen_at === 'string' ? Date.parse(`${row.seen_at.replace(' ', 'T')}Z`) : NaN;
  const ts = Math.round((Number.isFinite(seen) ? seen : ctx.now) - elapsed * 1000);
  const id = `${server}/${unloggedKey(row)}`;
  const events: DecodedEvent[] = [];
  for (let i = 0; i < tables.length; i++) {
    const dot = tables[i].indexOf('.');
    const doc: Record<string, unknown> = {
      event_id: i > 0 ? `${id}/${i}` : id,
      ts,
      user: str(row.user),
      action: firstKeyword(query, 'clickhouse') || 'UNKNOWN',
      bytes: 0,
      rows: 0,
      bytes_estimated: false,
      source: server,
      database: dot < 0 ? dbDefault : tables[i].slice(0, dot),
      table: dot < 0 ? tables[i] : tables[i].slice(dot + 1),
      client_ip: str(row.address).replace(/^::ffff:/, ''),
      client_app: str(row.client_name) || str(row.http_user_agent),
      query_id: str(row.query_id),
      status: 'ok',
      statement: clip(query, STATEMENT_KEEP),
      tables_from: tablesFrom,
      bytes_unknown: `ran with ${off.join(', ')}: system.query_log has no row of it`,
      query_log_off_by: off.join(', '),
      seen_in: 'system.processes',
      // So far, when the poller saw it: figures for the analyst, not the download.
      read_rows: num(row.read_rows),
      read_bytes: num(row.read_bytes),
      elapsed_s: elapsed,
    };
    const v = validateEvent(doc, ctx.limits, ctx.now);
    if (!v.ok) return v;
    events.push({ event: v.event });
  }
  return { ok: true, events, facts: [] };
}
