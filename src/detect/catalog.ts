// The table catalog: how sensitive each table is (pii, payment, internal, public), from a CSV with the
// header database,table,sensitivity. A row may name `*` as the table to classify a whole database.
// Tables the catalog does not name are "internal": unknown data is not assumed harmless, nor sensitive.
import fs from 'node:fs';
import { parse as parseCsv } from 'csv-parse/sync';
import { SENSITIVITIES } from '../config';
import { ConfigError } from '../errors';

export type Sensitivity = (typeof SENSITIVITIES)[number];

export interface Catalog {
  sensitivity(table: string): Sensitivity;
  /** The tables ("db.table") and whole databases classified as one of `classes`. */
  tablesOf(classes: ReadonlyArray<Sensitivity>): { tables: string[]; databases: string[] };
  /** Number of classified tables and databases. */
  size: number;
}

export function catalogFrom(entries: ReadonlyArray<{ database: string; table: string; sensitivity: Sensitivity }>): Catalog {
  const exact = new Map<string, Sensitivity>();
  const databases = new Map<string, Sensitivity>();
  for (const e of entries) {
    if (e.table === '*') databases.set(e.database, e.sensitivity);
    else exact.set(`${e.database}.${e.table}`, e.sensitivity);
  }
  return {
    size: entries.length,
    tablesOf: (classes) => ({
      tables: [...exact].filter(([, c]) => classes.includes(c)).map(([t]) => t).sort(),
      databases: [...databases].filter(([, c]) => classes.includes(c)).map(([d]) => d).sort(),
    }),
    sensitivity(table) {
      const known = exact.get(table);
      if (known) return known;
      const dot = table.indexOf('.');
      return databases.get(dot < 0 ? table : table.slice(0, dot)) ?? 'internal';
    },
  };
}

/** Reads the catalog CSV; every bad line is reported at once, with its number. An empty path: no catalog. */
export function loadCatalog(file: string): Catalog {
  if (file === '') return catalogFrom([]);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read the table catalog: ${(err as Error).message}`, { file });
  }
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    // csv-parse's types do not model `info: true`, which wraps each record with the line it ends on.
    records = parseCsv(text, { bom: true, info: true, skip_empty_lines: true, relax_column_count: true, trim: true }) as unknown as typeof records;
  } catch (err) {
    throw new ConfigError(`${file}: not valid CSV: ${(err as Error).message}`, { file });
  }
  const [header, ...rows] = records;
  if (!header || header.record.join(',') !== 'database,table,sensitivity') {
    throw new ConfigError(`${file}:${header?.info.lines ?? 1}: the header must be database,table,sensitivity`, { file });
  }
  const errors: string[] = [];
  const entries = rows.flatMap(({ record: r, info }) => {
    const [database, table, sensitivity] = r;
    const line = `${file}:${info.lines}`;
    if (r.length !== 3 || !database || !table) {
      errors.push(`${line}: expected database,table,sensitivity`);
      return [];
    }
    if (!(SENSITIVITIES as readonly string[]).includes(sensitivity)) {
      errors.push(`${line}: sensitivity "${sensitivity}" is not one of ${SENSITIVITIES.join(', ')}`);
      return [];
    }
    return [{ database, table, sensitivity: sensitivity as Sensitivity }];
  });
  if (errors.length > 0) throw new ConfigError(errors.join('\n'), { file });
  return catalogFrom(entries);
}
