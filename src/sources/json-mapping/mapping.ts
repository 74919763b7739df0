// A declarative mapping from any JSON log record to the event contract (docs/sources/json.md): field
// paths, constants and templates, with simple conversions (timestamps, units, scales, value maps,
// regular-expression extraction, case), and a filter of the records that are accesses at all. Written
// in a YAML or JSON file, validated when the source is created: a bad mapping stops the ingester with
// the file, the key and the reason. compileMapping() returns pure functions of one record.
import fs from 'node:fs';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../../errors';
import { parseVendorTime } from '../cloud-common';
import type { Dialect } from '../postgres/statement';

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const PATH = /^(?:[A-Za-z_@$][\w@$-]*|\["[^"]+"\])(?:\.[A-Za-z_@$][\w@$-]*|\[\d+\]|\["[^"]+"\])*$/;
const UNITS = { B: 1, kB: 1e3, KiB: 1024, MB: 1e6, MiB: 1024 ** 2, GB: 1e9, GiB: 1024 ** 3 } as const;

const fieldSpec = z
  .strictObject({
    /** Where the value is: `a.b[0].c`, `["key.with.dots"].x`. */
    path: z.string().regex(PATH, 'expected a field path such as query_statistics.bytes_sent, items[0].name or ["odd.key"]').optional(),
    /** A fixed value. */
    const: scalar.optional(),
    /** Text with paths in braces: "{connection_id}/{timestamp}/{id}". */
    template: z.string().min(1).optional(),
    /** Used when the path is absent or null. */
    default: scalar.optional(),
    /** A regular expression applied to the value as text; the capture group `group` (default 1) is kept. */
    regex: z.string().optional(),
    group: z.number().int().min(0).max(99).optional(),
    /** Replaces values: { "0": ok } (keys are the value as text); `otherwise` for values not listed. */
    map: z.record(z.string(), scalar).optional(),
    otherwise: scalar.optional(),
    case: z.enum(['upper', 'lower']).optional(),
    /** ts only: how the time is written. `sql` is "YYYY-MM-DD HH:MM:SS[.ffffff]" in `timezone`. */
    time: z.enum(['iso8601', 'sql', 'epoch_s', 'epoch_ms', 'epoch_us', 'epoch_ns']).optional(),
    /** For times without a zone: "+00:00" (default), "-05:00", ... */
    timezone: z.string().regex(/^[+-]\d\d:\d\d$/, 'expected an offset such as "+00:00" or "-05:00"').optional(),
    /** bytes: the unit the number is in. */
    unit: z.enum(Object.keys(UNITS) as [keyof typeof UNITS, ...Array<keyof typeof UNITS>]).optional(),
    /** Multiplies a number (rows in thousands: 1000). */
    scale: z.number().positive().optional(),
    /** tables only: read the table names from this SQL text's FROM / JOIN / INTO, in this dialect. */
    sqlTables: z.enum(['postgres', 'mysql', 'clickhouse']).optional(),
  })
  .superRefine((s, ctx) => {
    const sources = ['path', 'const', 'template'].filter((k) => s[k as keyof typeof s] !== undefined);
    if (sources.length !== 1) ctx.addIssue({ code: 'custom', message: `needs exactly one of path, const, template (has ${sources.length ? sources.join(', ') : 'none'})` });
    if (s.regex !== undefined) {
      try {
        new RegExp(s.regex);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['regex'], message: `not a regular expression: ${(err as Error).message}` });
      }
    }
    if (s.template !== undefined) {
      for (const m of s.template.matchAll(/\{([^}]*)\}/g)) if (!PATH.test(m[1])) ctx.addIssue({ code: 'custom', path: ['template'], message: `{${m[1]}} is not a field path` });
    }
  });

const fieldsSchema = z.strictObject({
  event_id: fieldSpec,
  ts: fieldSpec,
  user: fieldSpec,
  action: fieldSpec,
  bytes: fieldSpec,
  rows: fieldSpec.optional(),
  bytes_estimated: fieldSpec.optional(),
  source: fieldSpec.optional(),
  database: fieldSpec.optional(),
  table: fieldSpec.optional(),
  /** Several tables: one event each, the bytes and rows on the first. */
  tables: fieldSpec.optional(),
  client_ip: fieldSpec.optional(),
  client_app: fieldSpec.optional(),
  session_id: fieldSpec.optional(),
  query_id: fieldSpec.optional(),
  identity: fieldSpec.optional(),
  status: fieldSpec.optional(),
});

const condition = z
  .strictObject({
    path: z.string().regex(PATH, 'expected a field path'),
    equals: scalar.optional(),
    in: z.array(scalar).min(1).optional(),
    matches: z.string().optional(),
    exists: z.boolean().optional(),
  })
  .superRefine((c, ctx) => {
    const tests = ['equals', 'in', 'matches', 'exists'].filter((k) => c[k as keyof typeof c] !== undefined);
    if (tests.length !== 1) ctx.addIssue({ code: 'custom', message: `needs exactly one of equals, in, matches, exists (has ${tests.length ? tests.join(', ') : 'none'})` });
    if (c.matches !== undefined) {
      try {
        new RegExp(c.matches);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['matches'], message: `not a regular expression: ${(err as Error).message}` });
      }
    }
  });

export const mappingSchema = z.strictObject({
  description: z.string().optional(),
  /**
   * The file is one JSON array written a record a line ("[", "{...},", "{...}", "]"), as MySQL's and
   * Percona's JSON audit logs are: a trailing comma is dropped and the bracket lines give nothing.
   */
  arrayLines: z.boolean().default(false),
  /** Records that are accesses: all conditions hold. Others give no event (a connect, a status line). */
  where: z.array(condition).default([]),
  fields: fieldsSchema,
  /** More fields kept with the event (in `extra`): name -> spec. */
  extra: z.record(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'expected a lower-case name'), fieldSpec).default({}),
});

export type Mapping = z.infer<typeof mappingSchema>;
type FieldSpec = z.infer<typeof fieldSpec>;

/** Reads and validates a mapping file; every problem names the file, the key and the reason. */
export function loadMapping(file: string, where = 'mappingFile'): Mapping {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${where}: cannot read the mapping file ${file}: ${(err as Error).message}`);
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) throw new ConfigError(`${file}: not YAML or JSON: ${doc.errors[0].message.split('\n')[0]}`);
  return validateMapping(doc.toJS(), file);
}

export function validateMapping(raw: unknown, origin: string): Mapping {
  const parsed = mappingSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const key = i.path.join('.') || (i.code === 'unrecognized_keys' ? (i as { keys: string[] }).keys.join(', ') : '(top level)');
      const message = i.code === 'unrecognized_keys' ? `unknown key ${(i as { keys: string[] }).keys.map((k) => JSON.stringify(k)).join(', ')}` : i.message;
      return `${origin}: ${key}: ${message}`;
    });
    throw new ConfigError(lines.join('\n'));
  }
  return parsed.data;
}

/** `a.b[0]["c.d"]` -> ['a', 'b', 0, 'c.d'] */
function pathParts(path: string): Array<string | number> {
  const parts: Array<string | number> = [];
  for (const m of path.matchAll(/([^.[\]"]+)|\[(\d+)\]|\["([^"]+)"\]/g)) parts.push(m[2] !== undefined ? Number(m[2]) : (m[3] ?? m[1]));
  return parts;
}

function getter(path: string): (doc: unknown) => unknown {
  const parts = pathParts(path);
  return (doc) => {
    let v: unknown = doc;
    for (const p of parts) {
      if (v === null || v === undefined || typeof v !== 'object') return undefined;
      v = (v as Record<string | number, unknown>)[p];
    }
    return v;
  };
}

export type FieldValue = string | number | boolean | undefined | string[];
export type CompiledField = (doc: Record<string, unknown>) => { ok: true; value: FieldValue } | { ok: false; reason: string };

const asText = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v));

/** One field's spec as a function of the record: the raw value, then regex, map, case and the conversion for `kind`. */
export function compileField(spec: FieldSpec, kind: 'text' | 'ts' | 'bytes' | 'count' | 'flag' | 'tables'): CompiledField {
  const get = spec.path ? getter(spec.path) : undefined;
  const template = spec.template ? [...spec.template.matchAll(/\{([^}]*)\}/g)].map((m) => ({ token: m[0], get: getter(m[1]) })) : [];
  const re = spec.regex !== undefined ? new RegExp(spec.regex) : undefined;
  const group = spec.group ?? 1;
  const factor = (spec.unit ? UNITS[spec.unit] : 1) * (spec.scale ?? 1);
  return (doc) => {
    let v: unknown;
    if (spec.const !== undefined) v = spec.const;
    else if (get) v = get(doc);
    else {
      let out = spec.template!;
      for (const t of template) {
        const x = t.get(doc);
        out = out.replace(t.token, x === undefined || x === null ? '' : asText(x));
      }
      v = out;
    }
    if (v === undefined || v === null) v = spec.default;
    if (v === undefined) return { ok: true, value: undefined };
    if (re) {
      const m = re.exec(asText(v));
      if (!m || m[group] === undefined) {
        if (spec.default !== undefined) v = spec.default;
        else return { ok: false, reason: `${JSON.stringify(asText(v).slice(0, 60))} does not match ${spec.regex}` };
      } else v = m[group];
    }
    if (spec.map) {
      const key = asText(v);
      if (key in spec.map) v = spec.map[key];
      else if (spec.otherwise !== undefined) v = spec.otherwise;
    }
    if (spec.case && typeof v === 'string') v = spec.case === 'upper' ? v.toUpperCase() : v.toLowerCase();
    switch (kind) {
      case 'ts':
        return toTime(v, spec);
      case 'bytes':
      case 'count': {
        const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : NaN;
        if (Number.isNaN(n)) return { ok: false, reason: `${JSON.stringify(v)} is not a number` };
        return { ok: true, value: Math.round(n * factor) };
      }
      case 'flag':
        return { ok: true, value: v === true || v === 'true' || v === 1 || v === '1' };
      case 'tables': {
        if (spec.sqlTables) return { ok: true, value: [] as string[] };
        const list = Array.isArray(v) ? v : typeof v === 'string' ? v.split(',') : [];
        return { ok: true, value: list.map((x) => asText(x).trim()).filter((x) => x !== '') };
      }
      default:
        return { ok: true, value: typeof v === 'string' ? v : asText(v) };
    }
  };
}

/** The SQL text of a `tables` field with `sqlTables`, for the caller to scan (it knows the default schema). */
export function sqlTablesOf(spec: FieldSpec | undefined): { dialect: Dialect; text: CompiledField } | undefined {
  if (!spec?.sqlTables) return undefined;
  return { dialect: spec.sqlTables, text: compileField({ ...spec, sqlTables: undefined }, 'text') };
}

function toTime(v: unknown, spec: FieldSpec): { ok: true; value: number } | { ok: false; reason: string } {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? Number(v) : undefined;
  const bad = { ok: false as const, reason: `${JSON.stringify(v)} is not a time (${spec.time ?? 'iso8601'})` };
  switch (spec.time) {
    case 'epoch_s':
      return n === undefined ? bad : { ok: true, value: Math.round(n * 1000) };
    case 'epoch_ms':
      return n === undefined ? bad : { ok: true, value: Math.round(n) };
    case 'epoch_us':
      return n === undefined ? bad : { ok: true, value: Math.floor(n / 1000) };
    case 'epoch_ns':
      return n === undefined ? bad : { ok: true, value: Math.floor(n / 1e6) };
    case 'sql': {
      if (typeof v !== 'string' || !/^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?$/.test(v.trim())) return bad;
      const t = parseVendorTime(`${v.trim()}${spec.timezone ?? '+00:00'}`);
      return t === undefined ? bad : { ok: true, value: t };
    }
    default: {
      if (typeof v !== 'string') return bad;
      const t = parseVendorTime(v) ?? (/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? Date.parse(v) : NaN);
      return t === undefined || Number.isNaN(t) ? bad : { ok: true, value: t };
    }
  }
}

export function compileWhere(conditions: Mapping['where']): (doc: Record<string, unknown>) => string | undefined {
  const tests = conditions.map((c) => {
    const get = getter(c.path);
    const re = c.matches !== undefined ? new RegExp(c.matches) : undefined;
    return (doc: Record<string, unknown>): string | undefined => {
      const v = get(doc);
      if (c.exists !== undefined) return (v !== undefined && v !== null) === c.exists ? undefined : `${c.path} ${c.exists ? 'is absent' : 'is present'}`;
      if (c.equals !== undefined) return v === c.equals || (v !== undefined && asText(v) === asText(c.equals)) ? undefined : `${c.path} is not ${JSON.stringify(c.equals)}`;
      if (c.in) return c.in.some((x) => asText(x) === asText(v)) ? undefined : `${c.path} is not one of ${c.in.map((x) => JSON.stringify(x)).join(', ')}`;
      return re && v !== undefined && re.test(asText(v)) ? undefined : `${c.path} does not match ${c.matches}`;
    };
  });
  return (doc) => {
    for (const t of tests) {
      const why = t(doc);
      if (why) return why;
    }
    return undefined;
  };
}
