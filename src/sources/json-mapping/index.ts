// The `json` format: any JSON log, read through a declarative mapping file (mapping.ts,
// docs/sources/json.md). One record (bare, or in a shipper's envelope) -> its events: the record must
// pass the mapping's `where`, then each field is read and converted; several tables give one event
// each (the bytes and rows on the first). A field that cannot be read dead-letters the record with the
// field's name and the reason.
import path from 'node:path';
import { z } from 'zod';
import { validateEvent } from '../../event';
import { parseFormatOptions } from '../cloud-common';
import { unwrap } from '../envelope';
import { relationsOf } from '../postgres/statement';
import type { DecodedEvent, DecodeResult, SourceDecoder, SourceFormat } from '../types';
import { compileField, compileWhere, loadMapping, sqlTablesOf, type CompiledField, type Mapping } from './mapping';

export { loadMapping, validateMapping, mappingSchema, type Mapping } from './mapping';

const optionsSchema = z.strictObject({
  mappingFile: z.string().min(1, 'the path of the mapping file (YAML or JSON)'),
  server: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'expected a server name (letters, digits, . _ : -, at most 64)').optional(),
});

const KIND: Record<string, 'text' | 'ts' | 'bytes' | 'count' | 'flag' | 'tables'> = { ts: 'ts', bytes: 'bytes', rows: 'count', bytes_estimated: 'flag', tables: 'tables' };

export const jsonMappingFormat: SourceFormat = {
  name: 'json',
  summary: 'any JSON log through a declarative mapping file (field paths, timestamps, units, constants, regex extraction)',
  optionsHelp: {
    mappingFile: 'the mapping: a YAML or JSON file (docs/sources/json.md), validated when the source starts',
    server: 'the server name events carry as `source` unless the mapping says (default: the topic)',
  },
  create(raw, topic) {
    const o = parseFormatOptions(optionsSchema, raw, topic, 'json');
    const mapping = loadMapping(path.resolve(o.mappingFile), `ingest.sources.${topic}.options.mappingFile`);
    return jsonDecoder(mapping, o.server ?? topic);
  },
};

export function jsonDecoder(mapping: Mapping, server: string): SourceDecoder {
  const fields: Array<[string, CompiledField]> = Object.entries(mapping.fields)
    .filter(([name, spec]) => spec !== undefined && !(name === 'tables' && spec.sqlTables))
    .map(([name, spec]) => [name, compileField(spec!, KIND[name] ?? 'text')]);
  const extra: Array<[string, CompiledField]> = Object.entries(mapping.extra).map(([name, spec]) => [name, compileField(spec, 'text')]);
  const sqlTables = sqlTablesOf(mapping.fields.tables);
  const where = compileWhere(mapping.where);

  return {
    format: 'json',
    servers: [],
    decode(message, ctx): DecodeResult {
      let value = message.value;
      if (mapping.arrayLines && value && value.length <= ctx.limits.maxMessageBytes) {
        // A record a line of one JSON array: "[", "{...},", "{...}", "]".
        const t = value.toString('utf8').trim();
        if (t === '[' || t === ']') return { ok: true, events: [], facts: [], note: "the JSON array's bracket line" };
        if (t.endsWith(',')) value = Buffer.from(t.slice(0, -1));
      }
      const u = unwrap(value, { maxMessageBytes: ctx.limits.maxMessageBytes, isBareRecord: (d) => !isEnvelope(d) });
      if (!u.ok) return u;
      let record = u.record;
      if (!record) {
        let text = u.text.trim();
        if (mapping.arrayLines) {
          if (text === '[' || text === ']' || text === '') return { ok: true, events: [], facts: [], note: 'the JSON array\'s bracket line' };
          if (text.endsWith(',')) text = text.slice(0, -1);
        }
        try {
          const doc = JSON.parse(text) as unknown;
          if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { ok: false, code: 'not_an_object', reason: 'the record is JSON but not an object' };
          record = doc as Record<string, unknown>;
        } catch (err) {
          return { ok: false, code: u.envelope === 'none' ? 'invalid_json' : 'invalid_json', reason: `the record is not JSON${mapping.arrayLines ? '' : ' (a JSON array written a record a line? set arrayLines: true in the mapping)'}: ${(err as Error).message}` };
        }
      }
      const skip = where(record);
      if (skip) return { ok: true, events: [], facts: [], note: `not an access: ${skip}` };
      const doc: Record<string, unknown> = {};
      for (const [name, f] of fields) {
        const r = f(record);
        if (!r.ok) return { ok: false, code: name === 'ts' ? 'bad_timestamp' : 'mapping_failed', reason: `fields.${name}: ${r.reason}` };
        if (r.value !== undefined) doc[name] = r.value;
      }
      for (const [name, f] of extra) {
        const r = f(record);
        if (r.ok && r.value !== undefined) doc[name] = r.value;
      }
      doc.source ??= server;
      // A failed statement moves no data (the contract); what the log counted is kept.
      if (doc.status === 'error' && typeof doc.bytes === 'number' && doc.bytes > 0) {
        doc.bytes_on_error = doc.bytes;
        doc.bytes = 0;
      }
      let tables = (doc.tables as string[] | undefined) ?? [];
      delete doc.tables;
      if (sqlTables) {
        const text = sqlTables.text(record);
        if (text.ok && typeof text.value === 'string') tables = relationsOf(text.value, { dialect: sqlTables.dialect, defaultSchema: typeof doc.database === 'string' ? doc.database : '' });
      }
      if (tables.length === 0) return build([doc], ctx);
      return build(
        tables.map((t, i) => ({ ...doc, ...splitTable(t, doc.database),  ...(i > 0 ? { event_id: `${String(doc.event_id)}/${i}`, bytes: 0, rows: 0, bytes_counted_on: doc.event_id } : {}) })),
        ctx,
      );
    },
  };
}

/** db.table named in the statement: its own database when the record names none. */
function splitTable(t: string, database: unknown): { database?: string; table: string } {
  const dot = t.indexOf('.');
  if ((typeof database === 'string' && database !== '') || dot < 0) return { table: t };
  return { database: t.slice(0, dot), table: t.slice(dot + 1) };
}

/** A shipper's envelope holds the record as JSON text in `log`, `message` or `msg`. */
function isEnvelope(doc: Record<string, unknown>): boolean {
  return ['log', 'message', 'msg'].some((k) => typeof doc[k] === 'string' && /^\s*[[{]/.test(doc[k] as string));
}

function build(docs: Array<Record<string, unknown>>, ctx: Parameters<SourceDecoder['decode']>[1]): DecodeResult {
  const events: DecodedEvent[] = [];
  for (const d of docs) {
    const v = validateEvent(d, ctx.limits, ctx.now);
    if (!v.ok) return v;
    events.push({ event: v.event });
  }
  return { ok: true, events, facts: [] };
}
