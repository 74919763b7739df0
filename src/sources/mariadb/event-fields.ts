// What both kinds of MariaDB event take their fields from: a slow-log entry's (index.ts), and an audit
// line's when the slow log was off (hidden-reads.ts): the tables a query opened, as the audit log's
// TABLE lines named them (a fact `t:<query id>:<database>.<table>` on the connection). How much of the
// statement is kept is every format's (STATEMENT_KEEP, ../types.ts).
import type { SessionView } from '../types';

/** Tables the server reads for its own statistics while running a user's query (use_stat_tables). */
const INTERNAL = /^mysql\.(table_stats|column_stats|index_stats)$/;

/** The name of the fact that a query opened a table (`database.table`, or `table`). */
export const tableFactName = (queryId: string, table: string) => `t:${queryId}:${table}`;

/**
 * The tables the audit log named for a query, without the server's statistics tables unless the
 * statement names them.
 */
export function queryTables(view: SessionView, queryId: string, schema: string, statement?: string): Array<{ database: string; table: string }> {
  const prefix = tableFactName(queryId, '');
  const tables: Array<{ database: string; table: string }> = [];
  for (const name of view.attrs.keys()) {
    if (!name.startsWith(prefix)) continue;
    const full = name.slice(prefix.length);
    if (INTERNAL.test(full) && !statement?.includes(full.split('.')[1])) continue;
    tables.push(splitTable(full, schema));
  }
  return tables;
}

export function splitTable(qualified: string, schema: string): { database: string; table: string } {
  const dot = qualified.indexOf('.');
  return dot < 0 ? { database: schema, table: qualified } : { database: qualified.slice(0, dot), table: qualified.slice(dot + 1) };
}

/** Statements that read no table and move no data, as a rule: no event of their own (hidden-reads.ts: addUnseen). */
export const SESSION_ONLY: ReadonlySet<string> = new Set(['SET', 'USE', 'BEGIN', 'START', 'COMMIT', 'ROLLBACK', 'SAVEPOINT', 'RELEASE', 'LOCK', 'UNLOCK', 'FLUSH', 'KILL', 'DO', 'XA']);
