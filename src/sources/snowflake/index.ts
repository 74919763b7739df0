// Snowflake (docs/sources/snowflake.md): QUERY_HISTORY joined with ACCESS_HISTORY on QUERY_ID, exported
// as JSON lines (OBJECT_CONSTRUCT(*) of the joined row, column names as Snowflake writes them, any case).
// One finished query -> one event per table it read directly (DIRECT_OBJECTS_ACCESSED, else
// BASE_OBJECTS_ACCESSED): rows ROWS_WRITTEN_TO_RESULT (ROWS_PRODUCED before the 2024_02 bundle), bytes
// BYTES_WRITTEN_TO_RESULT (measured by Snowflake: the result's size), on the first table's event.
// UNLOAD (COPY INTO a stage: an export to files) counts ROWS_UNLOADED. Field names: Snowflake's
// ACCOUNT_USAGE QUERY_HISTORY and ACCESS_HISTORY documentation (fixtures: test/fixtures/cloud/).
import { z } from 'zod';
import { validateEvent } from '../../event';
import { count, parseFormatOptions, parseVendorTime, readJsonRecord, str } from '../cloud-common';
import { cut } from '../../text';
import { STATEMENT_KEEP, type DecodedEvent, type DecodeResult, type SourceFormat } from '../types';

const optionsSchema = z.strictObject({
  server: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'expected an account name (letters, digits, . _ : -, at most 64)').optional(),
});

const DATA_OBJECTS = new Set(['TABLE', 'VIEW', 'SECURE VIEW', 'MATERIALIZED VIEW', 'SECURE MATERIALIZED VIEW', 'EXTERNAL TABLE', 'DYNAMIC TABLE', 'ICEBERG TABLE', 'STREAM']);

function upperKeys(doc: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) out[k.toUpperCase()] = v;
  return out;
}

const isRow = (doc: Record<string, unknown>) => 'QUERY_ID' in doc || 'query_id' in doc;

/** ACCESS_HISTORY's object arrays: a JSON array, or its text (VARIANT columns exported as strings). */
function objects(v: unknown): Array<{ objectDomain?: string; objectName?: string }> | string {
  let a = v;
  if (typeof v === 'string') {
    try {
      a = JSON.parse(v);
    } catch {
      return 'not a JSON array';
    }
  }
  if (a === undefined || a === null) return [];
  return Array.isArray(a) ? (a as Array<{ objectDomain?: string; objectName?: string }>) : 'not an array';
}

export const snowflakeFormat: SourceFormat = {
  name: 'snowflake',
  summary: 'Snowflake QUERY_HISTORY joined with ACCESS_HISTORY, exported as JSON lines: ROWS_WRITTEN_TO_RESULT / ROWS_PRODUCED, BYTES_WRITTEN_TO_RESULT, objects accessed',
  optionsHelp: { server: 'the account name events carry as `source` (default: the topic)' },
  create(raw, topic) {
    const o = parseFormatOptions(optionsSchema, raw, topic, 'snowflake');
    const server = o.server ?? topic;
    return {
      format: 'snowflake',
      servers: [],
      decode(message, ctx): DecodeResult {
        const read = readJsonRecord(message, ctx, isRow, 'a QUERY_HISTORY row');
        if (!read.ok) return read;
        const r = upperKeys(read.doc);
        const queryId = str(r.QUERY_ID);
        if (!queryId) return { ok: false, code: 'missing_field', reason: 'QUERY_ID is empty' };
        const ts = parseVendorTime(r.END_TIME ?? r.START_TIME ?? r.QUERY_START_TIME);
        if (ts === undefined) return { ok: false, code: 'bad_timestamp', reason: `END_TIME ${JSON.stringify(r.END_TIME)} is not a time` };
        const direct = objects(r.DIRECT_OBJECTS_ACCESSED);
        const base = objects(r.BASE_OBJECTS_ACCESSED);
        if (typeof direct === 'string') return { ok: false, code: 'wrong_type', reason: `DIRECT_OBJECTS_ACCESSED is ${direct}` };
        if (typeof base === 'string') return { ok: false, code: 'wrong_type', reason: `BASE_OBJECTS_ACCESSED is ${base}` };
        const pick = (list: Array<{ objectDomain?: string; objectName?: string }>) => list.filter((x) => x && typeof x.objectName === 'string' && DATA_OBJECTS.has(String(x.objectDomain ?? '').toUpperCase())).map((x) => x.objectName as string);
        let tables = pick(direct);
        let tablesFrom = 'DIRECT_OBJECTS_ACCESSED';
        if (tables.length === 0) {
          tables = pick(base);
          tablesFrom = 'BASE_OBJECTS_ACCESSED';
        }
        const status = String(r.EXECUTION_STATUS ?? 'SUCCESS').toUpperCase() === 'SUCCESS' ? 'ok' : 'error';
        if (tables.length === 0 && status === 'ok') return { ok: true, events: [], facts: [], note: 'no table accessed (ACCESS_HISTORY has no objects: SHOW, a constant, or a query not in ACCESS_HISTORY)' };
        const type = str(r.QUERY_TYPE).toUpperCase() || 'UNKNOWN';
        const unload = type === 'UNLOAD';
        const rows = status === 'error' ? 0 : unload ? (count(r.ROWS_UNLOADED) ?? 0) : (count(r.ROWS_WRITTEN_TO_RESULT) ?? count(r.ROWS_PRODUCED) ?? 0);
        const bytes = status === 'error' ? 0 : (count(r.BYTES_WRITTEN_TO_RESULT) ?? 0);
        // A failed query names no object (ACCESS_HISTORY records none): its event has no table.
        const list = tables.length > 0 ? tables : [''];
        const events: DecodedEvent[] = [];
        for (let i = 0; i < list.length; i++) {
          // DB.SCHEMA.TABLE: the database, and the table with its schema.
          const dot = list[i].indexOf('.');
          const doc: Record<string, unknown> = {
            event_id: `${server}/${queryId}${i > 0 ? `/${i}` : ''}`,
            ts,
            user: str(r.USER_NAME),
            action: unload ? 'EXPORT' : type,
            bytes: i === 0 ? bytes : 0,
            rows: i === 0 ? rows : 0,
            bytes_estimated: false,
            source: server,
            database: dot < 0 ? str(r.DATABASE_NAME) : list[i].slice(0, dot),
            table: dot < 0 ? list[i] : list[i].slice(dot + 1),
            client_ip: str(r.CLIENT_IP),
            client_app: str(r.CLIENT_APPLICATION_ID),
            session_id: str(r.SESSION_ID),
            query_id: queryId,
            status,
            // Cut without the '…' the log formats add, as this format has always stored it (a change of stored values, not made here).
            statement: cut(str(r.QUERY_TEXT), STATEMENT_KEEP),
            role: str(r.ROLE_NAME),
            warehouse: str(r.WAREHOUSE_NAME),
            bytes_scanned: count(r.BYTES_SCANNED),
            tables_from: tablesFrom,
            ...(status === 'error' ? { error_code: str(r.ERROR_CODE), error: cut(str(r.ERROR_MESSAGE), 512) } : {}),
            ...(i > 0 ? { bytes_counted_on: `${server}/${queryId}` } : {}),
          };
          const v = validateEvent(doc, ctx.limits, ctx.now);
          if (!v.ok) return v;
          events.push({ event: v.event });
        }
        return { ok: true, events, facts: [] };
      },
    };
  },
};
