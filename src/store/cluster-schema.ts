// The migrations of a single server, turned into their cluster form (clickhouse.cluster). The files in
// migrations/ stay written for one server; each statement becomes steps, each with where it runs:
//
//   CREATE TABLE t (...) ENGINE = XMergeTree ...  ->  t in <db>_local on every node, ENGINE =
//       ReplicatedXMergeTree('/clickhouse/tables/{shard}/<db>_local/t-vNNNN', '{replica}', ...), then t
//       in <db> on every node: ENGINE = Distributed(cluster, <db>_local, t, halfMD5(user) or 0)
//   CREATE MATERIALIZED VIEW v TO t AS SELECT ... FROM s  ->  in <db>_local on every node, unchanged: it
//       fires on each node's own inserts into s and writes to that node's t, so rollups stay per shard
//   CREATE VIEW                  ->  in <db> on every node (it reads the Distributed tables)
//   INSERT INTO ... SELECT       ->  once, in <db>, through the Distributed tables
//   DROP TABLE, RENAME TABLE     ->  wherever the table lives; a renamed table gets a new Distributed table
//   ALTER TABLE t ...            ->  once per shard on one replica (replication does the rest); column
//                                    changes also on every node's Distributed table
//
// Anything else is refused with the statement and what to do: a migration that the cluster form cannot
// express is caught by the unit test that plans every migration file, before it reaches a cluster.
import { MigrationError } from '../errors';
import { FIRST_SHARD_KEY, USER_SHARDING_KEY } from './cluster';
import { ident, literal } from './sql';

export type StepTarget = 'local-every-node' | 'main-every-node' | 'local-each-shard' | 'main-once';

/** Checks a node makes before a step that is not idempotent by itself, so a re-run skips what is done. */
export type StepGuard =
  | { kind: 'rename'; from: string; to: string }
  | { kind: 'add-column'; table: string; column: string }
  | { kind: 'drop-column'; table: string; column: string };

export interface ClusterStep {
  target: StepTarget;
  sql: string;
  guard?: StepGuard;
}

export interface CatalogEntry {
  kind: 'table' | 'materialized-view' | 'view';
  columns: string[];
  /**
   * The table's MATERIALIZED columns, redefined as ALIAS for its Distributed table: through a Distributed
   * table, 18.16 sends a materialized column's value on to the shard, which refuses it ("Cannot insert
   * column k, because it is MATERIALIZED column"). An ALIAS is not inserted and reads the same.
   */
  aliases?: string[];
  shardingKey: string;
  /** A table's engine, its arguments and the rest of its storage clause (PARTITION BY, ORDER BY, ...). */
  storage?: StorageDefinition;
}

export interface StorageDefinition {
  engine: string;
  args: string;
  rest: string;
}

/** What the migrations so far have created, by name: what a later statement refers to. */
export type Catalog = Map<string, CatalogEntry>;

export interface ClusterNames {
  cluster: string;
  /** Where the Distributed tables are: the configured database. */
  database: string;
  /** Where each shard's replicated tables are. */
  localDatabase: string;
}

const IDENT = '(`(?:[^`\\\\]|\\\\.)+`|[A-Za-z_][A-Za-z0-9_]*)';
const MERGE_TREE = /^(Replacing|Summing|Aggregating|Collapsing|VersionedCollapsing|Graphite)?MergeTree$/;

/** The cluster steps of one statement of migration `version`; records what it creates in `catalog`. */
export function planStatement(statement: string, version: number, catalog: Catalog, names: ClusterNames): ClusterStep[] {
  const text = statement.trim();
  const refuse = (why: string): never => {
    throw new MigrationError(`cluster mode: ${why}: ${preview(text)}`, { version });
  };
  let m: RegExpExecArray | null;

  if ((m = re(`^CREATE\\s+TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?${IDENT}\\s*`).exec(text))) {
    const name = unquote(m[1]);
    const rest = text.slice(m[0].length);
    if (rest.startsWith('.')) refuse('a table is created in the migrated database; do not name another one');
    let columns: string[];
    let afterColumns: number;
    let source: CatalogEntry | undefined;
    let aliases: string[] | undefined;
    const as = re(`^AS\\s+${IDENT}(?:\\s+|$)`).exec(rest);
    if (as) {
      source = catalog.get(unquote(as[1]));
      if (!source || source.kind !== 'table') return refuse(`CREATE TABLE ... AS names ${as[1]}, which no earlier migration created as a table`);
      columns = [...source.columns];
      aliases = source.aliases;
      afterColumns = as[0].length;
    } else if (rest.startsWith('(')) {
      const end = closingParen(rest, 0);
      columns = columnNames(rest.slice(1, end));
      aliases = materializedAsAlias(rest.slice(1, end));
      afterColumns = end + 1;
    } else {
      return refuse('expected a column list or AS <table> after the table name');
    }
    const body = rest;
    let storage: StorageDefinition;
    const engine = /^(\s*)ENGINE\s*=\s*([A-Za-z]+)/i.exec(body.slice(afterColumns));
    if (engine && engine[2] === 'Null' && body.slice(afterColumns + engine[0].length).trim() === '') {
      // A Null table stores nothing (its views see its inserts): nothing to replicate or distribute;
      // each node has it in its shard database, where its views write to the shard's own tables.
      catalog.set(name, { kind: 'table', columns, shardingKey: FIRST_SHARD_KEY });
      return [{ target: 'local-every-node', sql: `CREATE TABLE IF NOT EXISTS ${ident(name)} ${body.trim()}` }];
    }
    if (engine) {
      const engineName = engine[2];
      if (!MERGE_TREE.test(engineName)) refuse(`only MergeTree family engines can be replicated (found ${engineName})`);
      let argsEnd = afterColumns + engine[0].length;
      let args = '';
      const open = /^\s*\(/.exec(body.slice(argsEnd));
      if (open) {
        const start = argsEnd + open[0].length - 1;
        const end = closingParen(body, start);
        args = body.slice(start + 1, end).trim();
        argsEnd = end + 1;
      }
      storage = { engine: engineName, args, rest: body.slice(argsEnd) };
    } else if (source?.storage && body.slice(afterColumns).trim() === '') {
      // CREATE TABLE t AS s copies s's engine: here with a ZooKeeper path of its own.
      storage = source.storage;
    } else {
      return refuse('name the ENGINE (a MergeTree family engine) of every table, right after its columns');
    }
    const zooKeeperPath = `/clickhouse/tables/{shard}/${names.localDatabase}/${name}-v${String(version).padStart(4, '0')}`;
    const replicated = `ENGINE = Replicated${storage.engine}(${[literal(zooKeeperPath), literal('{replica}'), ...(storage.args ? [storage.args] : [])].join(', ')})`;
    const head = body.slice(0, afterColumns).trimEnd();
    const localBody = `${head} ${replicated}${storage.rest}`;
    const shardingKey = columns.includes('user') ? USER_SHARDING_KEY : FIRST_SHARD_KEY;
    const entry: CatalogEntry = { kind: 'table', columns, shardingKey, storage, ...(aliases ? { aliases } : {}) };
    catalog.set(name, entry);
    return [{ target: 'local-every-node', sql: `CREATE TABLE IF NOT EXISTS ${ident(name)} ${localBody}` }, ...distributedTable(name, entry, names)];
  }

  if ((m = re(`^CREATE\\s+MATERIALIZED\\s+VIEW\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?${IDENT}\\s+`).exec(text))) {
    const name = unquote(m[1]);
    const rest = text.slice(m[0].length);
    const to = re(`^TO\\s+${IDENT}\\s+`).exec(rest);
    if (!to) refuse('a materialized view writes TO a table created by a migration (no inner table: it could not be replicated)');
    if (/\bPOPULATE\b/i.test(rest)) refuse('POPULATE is not supported (it races with inserts); backfill with INSERT ... SELECT');
    const target = catalog.get(unquote(to![1]));
    if (!target || target.kind !== 'table') refuse(`the view writes to ${to![1]}, which no earlier migration created as a table`);
    catalog.set(name, { kind: 'materialized-view', columns: [], shardingKey: FIRST_SHARD_KEY });
    // Unchanged, in each shard's database: unqualified names resolve there, to the shard's own tables.
    return [{ target: 'local-every-node', sql: `CREATE MATERIALIZED VIEW IF NOT EXISTS ${ident(name)} ${rest}` }];
  }

  if ((m = re(`^CREATE\\s+VIEW\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?${IDENT}\\s+`).exec(text))) {
    catalog.set(unquote(m[1]), { kind: 'view', columns: [], shardingKey: FIRST_SHARD_KEY });
    return [{ target: 'main-every-node', sql: text }];
  }

  if (/^INSERT\s+INTO\s/i.test(text)) return [{ target: 'main-once', sql: text }];

  if ((m = re(`^DROP\\s+TABLE\\s+(?:IF\\s+EXISTS\\s+)?${IDENT}$`).exec(text))) {
    const name = unquote(m[1]);
    const kind = catalog.get(name)?.kind;
    catalog.delete(name);
    const drop = `DROP TABLE IF EXISTS ${ident(name)}`;
    if (kind === 'materialized-view') return [{ target: 'local-every-node', sql: drop }];
    if (kind === 'view') return [{ target: 'main-every-node', sql: drop }];
    return [
      { target: 'main-every-node', sql: drop },
      { target: 'local-every-node', sql: drop },
    ];
  }

  if ((m = /^RENAME\s+TABLE\s+([\s\S]+)$/i.exec(text))) {
    const pairs = m[1].split(',').map((p) => re(`^\\s*${IDENT}\\s+TO\\s+${IDENT}\\s*$`).exec(p));
    if (pairs.some((p) => !p)) refuse('expected RENAME TABLE a TO b[, c TO d]');
    return pairs.flatMap((p) => {
      const from = unquote(p![1]);
      const to = unquote(p![2]);
      const entry = catalog.get(from);
      if (!entry) return refuse(`${from} was not created by an earlier migration`);
      catalog.delete(from);
      catalog.set(to, entry);
      const rename: ClusterStep = { target: 'local-every-node', sql: `RENAME TABLE ${ident(from)} TO ${ident(to)}`, guard: { kind: 'rename', from, to } };
      if (entry.kind === 'materialized-view') return [rename];
      if (entry.kind === 'view') return [{ ...rename, target: 'main-every-node' as const }];
      // The Distributed table names its shard table: it is replaced rather than renamed.
      return [rename, { target: 'main-every-node', sql: `DROP TABLE IF EXISTS ${ident(from)}` }, ...distributedTable(to, entry, names)];
    });
  }

  if ((m = re(`^ALTER\\s+TABLE\\s+${IDENT}\\s+`).exec(text))) {
    const name = unquote(m[1]);
    const entry = catalog.get(name);
    if (!entry || entry.kind !== 'table') return refuse(`ALTER of ${name}, which no earlier migration created as a table`);
    const commands = splitTopLevel(text.slice(m[0].length));
    const columnChange = commands.every((c) => /^(ADD|DROP|MODIFY|COMMENT|RENAME)\s+COLUMN\s/i.test(c));
    let guard: StepGuard | undefined;
    if (commands.length === 1) {
      const add = re(`^ADD\\s+COLUMN\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?${IDENT}`).exec(commands[0]);
      const drop = re(`^DROP\\s+COLUMN\\s+(?:IF\\s+EXISTS\\s+)?${IDENT}`).exec(commands[0]);
      if (add) {
        guard = { kind: 'add-column', table: name, column: unquote(add[1]) };
        entry.columns.push(guard.column);
      } else if (drop) {
        guard = { kind: 'drop-column', table: name, column: unquote(drop[1]) };
        entry.columns = entry.columns.filter((c) => c !== unquote(drop[1]));
      }
    }
    // Replicated tables replicate ALTERs: once per shard. Distributed tables hold only the column list.
    const steps: ClusterStep[] = [{ target: 'local-each-shard', sql: text, guard }];
    if (columnChange) steps.push({ target: 'main-every-node', sql: text, guard });
    return steps;
  }

  return refuse('this kind of statement has no cluster form yet (extend src/store/cluster-schema.ts and its test)');
}

/** The Distributed table over a shard table, on every node; its materialized columns as aliases. */
function distributedTable(name: string, entry: CatalogEntry, names: ClusterNames): ClusterStep[] {
  const create =
    `CREATE TABLE IF NOT EXISTS ${ident(name)} AS ${ident(names.localDatabase, name)} ` +
    `ENGINE = Distributed(${literal(names.cluster)}, ${literal(names.localDatabase)}, ${literal(name)}, ${entry.shardingKey})`;
  return [{ target: 'main-every-node', sql: create }, ...aliasSteps(name, entry)];
}

/**
 * A Distributed table's materialized columns redefined as aliases (re-runnable): part of creating it,
 * and run again by every migration (a cluster migrated before this existed keeps them materialized).
 */
export function aliasSteps(name: string, entry: CatalogEntry): ClusterStep[] {
  return (entry.aliases ?? []).map((column) => ({ target: 'main-every-node', sql: `ALTER TABLE ${ident(name)} MODIFY COLUMN ${column}` }));
}

/** The MATERIALIZED column definitions of a column list, as ALIAS definitions; undefined when there are none. */
function materializedAsAlias(list: string): string[] | undefined {
  const found = splitTopLevel(list).flatMap((item) => {
    const m = re(`^(${IDENT}\\s+[\\s\\S]*?)\\s+MATERIALIZED\\s+([\\s\\S]+)$`).exec(item);
    return m ? [`${m[1]} ALIAS ${m[3]}`] : [];
  });
  return found.length > 0 ? found : undefined;
}

function re(source: string): RegExp {
  return new RegExp(source, 'i');
}

function unquote(name: string): string {
  return name.startsWith('`') ? name.slice(1, -1).replace(/\\(.)/g, '$1') : name;
}

/** The index of the parenthesis closing the one at `start`, skipping quoted text. */
function closingParen(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === "'" || c === '`' || c === '"') {
      i = endOfQuoted(text, i);
    } else if (c === '(') {
      depth++;
    } else if (c === ')' && --depth === 0) {
      return i;
    }
  }
  throw new MigrationError(`cluster mode: unbalanced parentheses: ${preview(text)}`);
}

function endOfQuoted(text: string, start: number): number {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === quote) return i;
  }
  return text.length;
}

/** Splits at commas outside parentheses and quotes. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'" || c === '`' || c === '"') i = endOfQuoted(text, i);
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(from, i).trim());
      from = i + 1;
    }
  }
  parts.push(text.slice(from).trim());
  return parts.filter((p) => p.length > 0);
}

function columnNames(list: string): string[] {
  return splitTopLevel(list)
    .filter((item) => !/^(INDEX|CONSTRAINT|PROJECTION)\s/i.test(item))
    .map((item) => unquote(re(`^${IDENT}`).exec(item)?.[1] ?? item));
}

function preview(text: string): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}
