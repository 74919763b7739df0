// The cloud formats on records written from the vendors' documented field lists (test/fixtures/cloud/,
// see its README): Amazon RDS/Aurora Database Activity Streams for PostgreSQL and Snowflake's
// QUERY_HISTORY joined with ACCESS_HISTORY. What each record must give, and what is dead-lettered.
import fs from 'node:fs';
import path from 'node:path';
import { toCanonical } from '../../src/event';
import { createSources } from '../../src/sources';
import type { TableStatsRow } from '../../src/sources/postgres/table-stats';

const DIR = path.join(__dirname, '..', 'fixtures', 'cloud');
const LIMITS = { maxMessageBytes: 1 << 20, maxFutureSkewMs: 1e12 };
const lines = (file: string) => fs.readFileSync(path.join(DIR, file), 'utf8').trim().split('\n');

async function decode(format: string, records: string[], stats: TableStatsRow[] = []) {
  const sources = createSources({ settings: { sources: { t: { format, options: { server: 'cloud-1' } } } } as never, role: 'reader' });
  sources.addStats(stats);
  const outcomes = await sources.decodeBatch('t', records.map((r, i) => ({ value: Buffer.from(r), topic: 't', partition: 0, offset: String(i) })), LIMITS, Date.UTC(2030, 0, 1));
  return { outcomes, events: outcomes.flatMap((o) => (o.ok ? o.events.map(toCanonical) : [])) };
}

describe('aws-das-postgres: decrypted Database Activity Streams records', () => {
  const records = lines('aws-das-postgres.jsonl');

  it('gives one event per READ/WRITE activity with an object; connects and heartbeats give none', async () => {
    const { outcomes, events } = await decode('aws-das-postgres', records);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(events.map((e) => [e.user, e.action, e.database, e.table, e.rows, e.bytes, e.status, e.bytes_estimated, e.client_ip, e.client_app])).toEqual([
      ['bea_lopez', 'SELECT', 'crm', 'public.customers', 25, 2500, 'ok', true, '10.20.30.41', 'psql'],
      ['bea_lopez', 'SELECT', 'crm', 'public.customers', 79, 7900, 'ok', true, '10.20.30.41', 'psql'],
      ['bea_lopez', 'SELECT', 'crm', 'public.orders', 79, 7900, 'ok', true, '10.20.30.41', 'psql'],
      ['bea_lopez', 'COPY', 'crm', 'public.customers', 150000, 15000000, 'ok', true, '10.20.30.41', 'pg_dump'],
      ['bea_lopez', 'SELECT', 'crm', 'public.secrets', 0, 0, 'error', false, '10.20.30.41', 'psql'],
      ['bea_lopez', 'INSERT', 'crm', 'public.orders', 1, 0, 'ok', false, '10.20.30.41', 'psql'],
    ]);
    expect(events[0]).toMatchObject({ ts: '2026-11-30T09:14:02.731Z', session_id: '6578a1b2.3c4d', query_id: '1.1', rows_from: 'rowCount', width_from: 'default', instance_id: 'db-FZJTMYKCXQBUUZ6VLU7NW3ITCM' });
    expect(events[4].error).toBe('permission denied for table secrets');
    expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length);
  });

  it('estimates bytes from the table statistics when they were collected for the server', async () => {
    const stats: TableStatsRow[] = [{ server: 'cloud-1', database: 'crm', table_name: 'public.customers', reltuples: 150000, heap_bytes: 0, total_bytes: 0, column_names: ['id', 'email'], column_widths: [6, 30], read_at: Date.UTC(2026, 10, 1) / 1000 }];
    const { events } = await decode('aws-das-postgres', [records[1]], stats);
    // 25 rows x (6 + 30 + 2 separators): the widths as COPY text.
    expect([events[0].bytes, events[0].width_from]).toEqual([25 * 38, 'pg_stats']);
  });

  it.each([
    ['still encrypted', JSON.stringify({ type: 'DatabaseActivityMonitoringRecords', version: '1.2', databaseActivityEvents: 'AYADeJz...base64...', key: 'AQIDAH...' }), 'encrypted'],
    ['without its event list', JSON.stringify({ type: 'DatabaseActivityMonitoringRecord', clusterId: 'c' }), 'missing_field'],
    ['an event with a bad time', JSON.stringify({ type: 'DatabaseActivityMonitoringRecord', databaseActivityEventList: [{ class: 'READ', objectName: 'public.t', logTime: 'yesterday', dbUserName: 'u' }] }), 'bad_timestamp'],
    ['an event without its user', JSON.stringify({ type: 'DatabaseActivityMonitoringRecord', databaseActivityEventList: [{ class: 'READ', objectName: 'public.t', logTime: '2026-11-30 09:14:02.731944+00', rowCount: 1 }] }), 'empty_string'],
    ['a MariaDB line', '# User@Host: a[a] @  [127.0.0.1]', 'wrong_format'],
  ])('%s is dead-lettered with a reason', async (_what, text, code) => {
    const { outcomes } = await decode('aws-das-postgres', [text]);
    expect(outcomes[0].ok ? 'decoded' : outcomes[0].code).toBe(code);
  });
});

describe('snowflake: QUERY_HISTORY joined with ACCESS_HISTORY as JSON lines', () => {
  const records = lines('snowflake.jsonl');

  it('gives each query its events: measured result bytes, tables from the objects accessed', async () => {
    const { outcomes, events } = await decode('snowflake', records);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(events.map((e) => [e.action, e.database, e.table, e.rows, e.bytes, e.status, e.tables_from])).toEqual([
      ['SELECT', 'CRM', 'PUBLIC.CUSTOMERS', 120000, 18733056, 'ok', 'DIRECT_OBJECTS_ACCESSED'],
      ['SELECT', 'CRM', 'PUBLIC.CUSTOMERS', 5400, 221184, 'ok', 'DIRECT_OBJECTS_ACCESSED'],
      ['SELECT', 'CRM', 'PUBLIC.ORDERS', 0, 0, 'ok', 'DIRECT_OBJECTS_ACCESSED'],
      ['EXPORT', 'CRM', 'PUBLIC.CUSTOMERS', 2000000, 112, 'ok', 'DIRECT_OBJECTS_ACCESSED'],
      ['SELECT', 'CRM', '', 0, 0, 'error', 'BASE_OBJECTS_ACCESSED'],
      ['SELECT', 'CRM', 'REPORTING.EU_CUSTOMERS', 800, 96000, 'ok', 'DIRECT_OBJECTS_ACCESSED'],
      ['SELECT', 'CRM', 'PUBLIC.CUSTOMERS', 10, 1580, 'ok', 'DIRECT_OBJECTS_ACCESSED'],
    ]);
    for (const e of events) expect([e.user, e.bytes_estimated, e.source]).toEqual(['BEA.LOPEZ@CORP.EXAMPLE', false, 'cloud-1']);
    expect(events[0]).toMatchObject({ ts: '2026-11-30T09:14:05.388Z', role: 'ANALYST', warehouse: 'ANALYTICS_WH', query_id: '01b2c3d4-0000-5e6f-0000-00012a3b4c5d', session_id: '1234567890123' });
    expect(events[4]).toMatchObject({ error_code: '003001' });
  });

  it.each([
    ['a row without QUERY_ID value', JSON.stringify({ QUERY_ID: '', END_TIME: '2026-11-30 09:14:05.388 +0000' }), 'missing_field'],
    ['objects that are not an array', JSON.stringify({ QUERY_ID: 'q', USER_NAME: 'u', END_TIME: '2026-11-30 09:14:05.388 +0000', DIRECT_OBJECTS_ACCESSED: '{"objectName":' }), 'wrong_type'],
    ['a bad time', JSON.stringify({ QUERY_ID: 'q', USER_NAME: 'u', END_TIME: '30/11/2026' }), 'bad_timestamp'],
    ['a cut line', lines('snowflake.jsonl')[0].slice(0, 120), 'invalid_json'],
  ])('%s is dead-lettered with a reason', async (_what, text, code) => {
    const { outcomes } = await decode('snowflake', [text]);
    expect(outcomes[0].ok ? 'decoded' : outcomes[0].code).toBe(code);
  });
});
