// Table statistics of an audited PostgreSQL server, for the bytes pgaudit does not log:
//   read    every database's tables: pg_class.reltuples, relation sizes, pg_stats.avg_width per column
//           (a read-only role: pg_read_all_data, or SELECT on the audited tables, lets pg_stats show them);
//   store   one row per table and read in ClickHouse (`pg_table_stats`), with the time it was read;
//   use     an event is estimated with the newest read at or before its time, so a replay gives the
//           same bytes as the live run did.
// A row's width as `COPY ... TO` text = the sum of its columns' average widths + one separator per
// column (tabs and the newline). docs/sources/postgres.md states how far this is from the true bytes.
import { Client } from 'pg';
import { inList, sql, type ClickHouse } from '../../store';
import type { TableWidth } from '../types';
import type { RoutineRow } from './routines';

export interface TableStatsRow {
  server: string;
  database: string;
  table_name: string;
  reltuples: number;
  heap_bytes: number;
  total_bytes: number;
  column_names: string[];
  column_widths: number[];
  /** Seconds since the epoch. */
  read_at: number;
}

// A column's width as text: pg_stats.avg_width is its stored width, which for fixed-width types (an
// int8 is 8 bytes, its text up to 20 characters; a timestamptz 8 bytes, its text 22 or more) is not
// the text's: for those, the average length of the histogram bounds (or most common values) as text.
// Variable-width values are stored with a 1-byte header. NULLs print as \N (2 characters).
// A partitioned table's parent holds no rows, and autovacuum never analyses it (reltuples -1, no
// pg_stats): its rows and bytes are its leaf partitions' (a FETCH ALL, an aggregate, a DO block's cursor
// over it counted 0 rows), its columns' widths the inherited statistics when someone analysed it.
const TABLES_SQL = `
  SELECT n.nspname || '.' || c.relname AS table_name,
         greatest(coalesce(leaves.reltuples, c.reltuples), 0)::float8 AS reltuples,
         coalesce(leaves.heap_bytes, pg_relation_size(c.oid))::bigint AS heap_bytes,
         coalesce(leaves.total_bytes, pg_total_relation_size(c.oid))::bigint AS total_bytes,
         array_agg(a.attname::text ORDER BY a.attnum) AS column_names,
         array_agg(coalesce(
           (CASE
              WHEN t.typlen > 0 AND s.histogram_bounds IS NOT NULL THEN (SELECT avg(length(x)) FROM unnest(s.histogram_bounds::text::text[]) x)
              WHEN t.typlen > 0 AND s.most_common_vals IS NOT NULL THEN (SELECT avg(length(x)) FROM unnest(s.most_common_vals::text::text[]) x)
              WHEN t.typlen = -1 THEN greatest(s.avg_width - 1, 0)
              ELSE s.avg_width
            END) * (1 - s.null_frac) + 2 * s.null_frac,
           -1)::float8 ORDER BY a.attnum) AS column_widths
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = a.attname AND s.inherited = (c.relkind = 'p')
  LEFT JOIN LATERAL (
    SELECT sum(greatest(l.reltuples, 0)) AS reltuples, sum(pg_relation_size(l.oid)) AS heap_bytes, sum(pg_total_relation_size(l.oid)) AS total_bytes
    FROM pg_partition_tree(c.oid) t JOIN pg_class l ON l.oid = t.relid
    WHERE c.relkind = 'p' AND t.isleaf) leaves ON true
  WHERE c.relkind IN ('r', 'p', 'm')
    AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
  GROUP BY 1, 2, 3, 4`;

// The routines of a database (routines.ts): plpgsql bodies, read for the cursors they open (pgaudit 1.7
// logs neither a CALL nor a routine's cursor's query or FETCHes); the others by name only.
const ROUTINES_SQL = `
  SELECT n.nspname AS schema, p.proname AS name, p.prokind AS kind, l.lanname AS language,
         CASE WHEN l.lanname = 'plpgsql' THEN p.prosrc ELSE '' END AS source,
         coalesce(p.proargmodes::text[], '{}') AS arg_modes, coalesce(p.proargnames, '{}') AS arg_names
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_language l ON l.oid = p.prolang
  WHERE p.prokind IN ('f', 'p')
    AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
  ORDER BY 1, 2`;

/** The databases the role may connect to. */
async function databasesOf(url: string): Promise<string[]> {
  return withClient(url, undefined, async (c) =>
    (await c.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate AND has_database_privilege(datname, 'CONNECT') ORDER BY 1`)).rows.map((r) => r.datname),
  );
}

/** Reads the routines of every database the role may connect to (pg_proc is readable by every role). */
export async function readRoutines(url: string, server: string): Promise<RoutineRow[]> {
  const out: RoutineRow[] = [];
  for (const database of await databasesOf(url)) {
    const rows = await withClient(url, database, async (c) => (await c.query(ROUTINES_SQL)).rows as Array<Record<string, unknown>>);
    for (const r of rows) {
      out.push({ server, database, schema: String(r.schema), name: String(r.name), kind: String(r.kind), language: String(r.language), source: String(r.source ?? ''), arg_modes: (r.arg_modes as string[]) ?? [], arg_names: (r.arg_names as string[]) ?? [] });
    }
  }
  return out;
}

/** Reads the statistics of every database the role may connect to. Read-only; one connection at a time. */
export async function readTableStats(url: string, server: string, now = Date.now()): Promise<TableStatsRow[]> {
  const readAt = Math.floor(now / 1000);
  const databases = await databasesOf(url);
  const out: TableStatsRow[] = [];
  for (const database of databases) {
    const rows = await withClient(url, database, async (c) => (await c.query(TABLES_SQL)).rows as Array<Record<string, unknown>>);
    for (const r of rows) {
      out.push({
        server,
        database,
        table_name: String(r.table_name),
        reltuples: Number(r.reltuples),
        heap_bytes: Number(r.heap_bytes),
        total_bytes: Number(r.total_bytes),
        column_names: r.column_names as string[],
        column_widths: (r.column_widths as Array<number | string>).map(Number),
        read_at: readAt,
      });
    }
  }
  return out;
}

async function withClient<T>(url: string, database: string | undefined, fn: (c: Client) => Promise<T>): Promise<T> {
  // The URL's own database would win over a `database` option: the other databases go into the URL.
  const target = new URL(url);
  if (database) target.pathname = `/${encodeURIComponent(database)}`;
  const client = new Client({ connectionString: target.toString(), application_name: 'insider-table-stats', statement_timeout: 60000 });
  await client.connect();
  try {
    // Nothing here writes; say so to the server as well.
    await client.query('SET default_transaction_read_only = on');
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

export async function storeTableStats(ch: ClickHouse, rows: readonly TableStatsRow[]): Promise<void> {
  if (rows.length > 0) await ch.insert('pg_table_stats', rows);
}

/** Reads from the server and stores in ClickHouse: what the ingester runs on a schedule. */
export async function collectTableStats(ch: ClickHouse, url: string, server: string): Promise<number> {
  const rows = await readTableStats(url, server);
  await storeTableStats(ch, rows);
  return rows.length;
}

/** Up to this many reads per table are loaded: the history an estimate at an event's time can use. */
const HISTORY_PER_TABLE = 64;

/** The statistics of some servers, by table, newest read last. */
export class TableStatsIndex {
  private byTable = new Map<string, TableWidth[]>();
  /** The schema-qualified names of each server's, database's table name (`accounts` -> public.accounts, crm.accounts). */
  private byName = new Map<string, Set<string>>();

  static async load(ch: ClickHouse, servers: readonly string[]): Promise<TableStatsIndex> {
    const index = new TableStatsIndex();
    if (servers.length === 0) return index;
    const rows = await ch.query<{ server: string; database: string; table_name: string; reltuples: number; heap_bytes: string; column_names: string[]; column_widths: number[]; read_at: string }>(sql`
      SELECT server, database, table_name, reltuples, heap_bytes, column_names, column_widths, toUnixTimestamp(read_at) AS read_at
      FROM pg_table_stats WHERE server IN ${inList([...servers])}
      ORDER BY read_at DESC LIMIT ${HISTORY_PER_TABLE} BY server, database, table_name`);
    for (const r of rows) index.add({ ...r, heap_bytes: Number(r.heap_bytes), total_bytes: 0, reltuples: Number(r.reltuples), read_at: Number(r.read_at) });
    return index;
  }

  add(row: TableStatsRow): void {
    const k = `${row.server}\u0000${row.database}\u0000${row.table_name}`;
    const list = this.byTable.get(k) ?? [];
    list.push(widthOf(row));
    list.sort((a, b) => a.readAt - b.readAt);
    this.byTable.set(k, list);
    const name = `${row.server}\u0000${row.database}\u0000${row.table_name.slice(row.table_name.indexOf('.') + 1)}`;
    const qualified = this.byName.get(name) ?? new Set<string>();
    this.byName.set(name, qualified.add(row.table_name));
  }

  get size(): number {
    return this.byTable.size;
  }

  /**
   * The newest read at or before `at`; an event older than every read gets the oldest one. A name without
   * its schema (`accounts`, when the session's search_path is not known to have it: index.ts) is the
   * largest table of that name (another session's temporary tables never: it cannot read them).
   */
  at(server: string, database: string, table: string, at: number): TableWidth | undefined {
    const list = table.includes('.') ? this.byTable.get(`${server}\u0000${database}\u0000${table}`) : undefined;
    // Not schema.table: a name without schema (or a quoted one holding a dot).
    if (!list) return this.largestNamed(server, database, table, at);
    let best = list[0];
    for (const w of list) {
      if (w.readAt <= at) best = w;
      else break;
    }
    return best;
  }

  private largestNamed(server: string, database: string, name: string, at: number): TableWidth | undefined {
    let largest: TableWidth | undefined;
    for (const q of this.byName.get(`${server}\u0000${database}\u0000${name}`) ?? []) {
      if (q.startsWith('pg_temp_')) continue;
      const w = this.at(server, database, q, at);
      if (w && (!largest || w.rows * w.rowBytes > largest.rows * largest.rowBytes)) largest = w;
    }
    return largest;
  }
}

/** Per-row bytes as COPY text: columns' average text widths plus a separator each (tabs, newline); without pg_stats, the heap's bytes per row. */
export function widthOf(row: TableStatsRow): TableWidth {
  const widths = new Map<string, number>();
  row.column_names.forEach((name, i) => widths.set(name, row.column_widths[i]));
  const analysed = row.column_widths.length > 0 && row.column_widths.every((w) => w >= 0);
  // Heap fallback: a tuple's 23-byte header and its line pointer are not data (a partitioned table's
  // parent: its leaves' heap, TABLES_SQL). No heap is no width: 0, and the reader takes its default.
  const heapPerRow = row.reltuples > 0 && row.heap_bytes > 0 ? Math.max(1, row.heap_bytes / row.reltuples - 28) : 0;
  const rowBytes = analysed ? row.column_widths.reduce((s, w) => s + w + 1, 0) : heapPerRow;
  return {
    table: row.table_name,
    rowBytes,
    rows: Math.round(row.reltuples),
    readAt: row.read_at * 1000,
    columnsBytes(columns: string[]) {
      let sum = 0;
      for (const c of columns) {
        const w = widths.get(c);
        if (w === undefined || w < 0) return undefined;
        sum += w + 1;
      }
      return sum;
    },
  };
}
