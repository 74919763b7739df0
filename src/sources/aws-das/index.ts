// Amazon RDS / Aurora Database Activity Streams for PostgreSQL (docs/sources/aws-das.md): the
// decrypted activity records (decryption with the stream's KMS key happens outside the product, in the
// Kinesis consumer that forwards them to Kafka). Accepted: the whole record
// {"type":"DatabaseActivityMonitoringRecords","version":..,"databaseActivityEvents": <object or its JSON
// string>} or the inner {"type":"DatabaseActivityMonitoringRecord","databaseActivityEventList":[...]}.
// Each activity event of class READ or WRITE with an object becomes one event: user dbUserName, rows
// rowCount, bytes estimated (rows x the table's width from statistics when collected, else
// defaultRowBytes: the stream counts rows, not bytes); heartbeats, connects and catalog-less events
// give none. Field names: the AWS documentation's databaseActivityEventList table for Aurora
// PostgreSQL (fixtures: test/fixtures/cloud/).
import { z } from 'zod';
import { validateEvent } from '../../event';
import { count, parseFormatOptions, parseVendorTime, readJsonRecord, str } from '../cloud-common';
import { cut } from '../../text';
import { STATEMENT_KEEP, type DecodedEvent, type DecodeResult, type SourceFormat } from '../types';

const optionsSchema = z.strictObject({
  server: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'expected a server name (letters, digits, . _ : -, at most 64)').optional(),
  defaultRowBytes: z.coerce.number().int().min(0).max(1 << 30).default(100),
});

function isDasRecord(doc: Record<string, unknown>): boolean {
  return doc.type === 'DatabaseActivityMonitoringRecords' || doc.type === 'DatabaseActivityMonitoringRecord' || Array.isArray(doc.databaseActivityEventList);
}

export const awsDasPostgresFormat: SourceFormat = {
  name: 'aws-das-postgres',
  summary: 'Amazon RDS/Aurora Database Activity Streams for PostgreSQL, decrypted records (databaseActivityEventList); bytes estimated from rowCount',
  optionsHelp: {
    server: 'the server name events carry as `source`, and the key of its table statistics (default: the topic)',
    defaultRowBytes: 'bytes per row when the table has no statistics (default 100)',
  },
  create(raw, topic) {
    const o = parseFormatOptions(optionsSchema, raw, topic, 'aws-das-postgres');
    const server = o.server ?? topic;
    return {
      format: 'aws-das-postgres',
      servers: [server],
      decode(message, ctx): DecodeResult {
        const read = readJsonRecord(message, ctx, isDasRecord, 'a Database Activity Streams record');
        if (!read.ok) return read;
        let inner: unknown = read.doc.databaseActivityEvents ?? read.doc;
        if (typeof inner === 'string') {
          try {
            inner = JSON.parse(inner);
          } catch {
            return { ok: false, code: 'encrypted', reason: 'databaseActivityEvents is not JSON: still encrypted? Decrypt it with the stream\'s KMS key before it reaches Kafka (docs/sources/aws-das.md)' };
          }
        }
        const list = (inner as { databaseActivityEventList?: unknown })?.databaseActivityEventList;
        if (!Array.isArray(list)) return { ok: false, code: 'missing_field', reason: 'no databaseActivityEventList array in the record' };
        const instance = str((inner as { instanceId?: unknown }).instanceId);
        const events: DecodedEvent[] = [];
        for (let i = 0; i < list.length; i++) {
          const a = list[i] as Record<string, unknown>;
          if (typeof a !== 'object' || a === null) return { ok: false, code: 'wrong_type', reason: `databaseActivityEventList[${i}] is not an object` };
          if (a.type === 'heartbeat') continue;
          const cls = str(a.class);
          const objectName = str(a.objectName);
          if ((cls !== 'READ' && cls !== 'WRITE') || !objectName) continue;
          const ts = parseVendorTime(a.logTime ?? a.endTime ?? a.startTime);
          if (ts === undefined) return { ok: false, code: 'bad_timestamp', reason: `databaseActivityEventList[${i}].logTime ${JSON.stringify(a.logTime)} is not a time` };
          const rows = count(a.rowCount) ?? 0;
          const database = str(a.databaseName);
          const table = objectName.includes('.') ? objectName : `public.${objectName}`;
          const width = ctx.tableStats(server, database, table, ts);
          const failed = (a.exitCode !== null && a.exitCode !== undefined && Number(a.exitCode) !== 0) || !!a.errorMessage;
          const bytes = failed || cls === 'WRITE' ? 0 : Math.round(rows * (width ? width.rowBytes : o.defaultRowBytes));
          const doc: Record<string, unknown> = {
            event_id: `${server}/${instance}/${str(a.sessionId)}/${str(a.statementId)}.${str(a.substatementId)}/${table}`,
            ts,
            user: str(a.dbUserName),
            action: str(a.command) || cls,
            bytes,
            rows: failed ? 0 : rows,
            bytes_estimated: !failed && cls === 'READ',
            source: server,
            database,
            table,
            client_ip: str(a.remoteHost),
            client_app: str(a.clientApplication),
            session_id: str(a.sessionId),
            query_id: `${str(a.statementId)}.${str(a.substatementId)}`,
            status: failed ? 'error' : 'ok',
            audit_class: cls,
            // Cut without the '…' the log formats add, as this format has always stored it (a change of stored values, not made here).
            statement: cut(str(a.commandText), STATEMENT_KEEP),
            rows_from: a.rowCount === null || a.rowCount === undefined ? 'not in the record' : 'rowCount',
            width_from: width ? 'pg_stats' : 'default',
            instance_id: instance,
            ...(a.errorMessage ? { error: cut(str(a.errorMessage), 512) } : {}),
          };
          const v = validateEvent(doc, ctx.limits, ctx.now);
          if (!v.ok) return { ok: false, code: v.code, reason: `databaseActivityEventList[${i}]: ${v.reason}` };
          events.push({ event: v.event });
        }
        return { ok: true, events, facts: [] };
      },
    };
  },
};
