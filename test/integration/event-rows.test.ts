// The ingester's TabSeparated rows (src/ingest/event-rows.ts) on the real ClickHouse: every value the
// event contract accepts is stored exactly as sent, whatever characters it holds, at both ends of the
// DateTime range (18.16 reads short numbers as dates and writes dates after 2105 past its calendar).
import { accessEventRows } from '../../src/ingest/event-rows';
import type { StoredEvent } from '../../src/ingest/event-rows';
import { encodeRows, sql, type ClickHouse } from '../../src/store';
import { dropDatabase, freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';

jest.setTimeout(120000);

const base: StoredEvent = {
  event_id: 'e',
  ts: 1_764_590_400,
  ts_ms: 999,
  user: 'alice@corp.example',
  action: 'SELECT',
  bytes: 0,
  rows: 0,
  source: 'pg-main',
  db_name: 'crm',
  table_name: 'customers',
  client_ip: '10.0.0.1',
  client_app: 'psql',
  session_id: 's',
  query_id: 'q',
  status: 'ok',
  bytes_estimated: 0,
  identity: '',
  extra: '',
  ingested_at: 1_764_590_401,
  kafka_topic: 'access.events',
  kafka_partition: 3,
  kafka_offset: 0,
};

const STRINGS = [
  'tab\there',
  'new\nline',
  'carriage\rreturn',
  'back\\slash',
  'back\\slash at end\\',
  '\\N',
  '\\t literally',
  'nul\u0000byte',
  'bell\u0007 backspace\b formfeed\f vtab\u000b',
  "quote' and \"double\"",
  'ünïcødé 名前 😀',
  '',
  ' leading and trailing ',
  '{"extra":"json","n":[1,2]}',
];
const TIMES = [0, 5, 59, 99_999, 999_999_999, 1_000_000_000, 1_764_590_400, 4_102_444_800, 4_294_967_295];

describe('access_events rows as TabSeparated (real ClickHouse)', () => {
  let admin: ClickHouse;
  let ch: ClickHouse;
  const database = uniqueName('it_event_rows');

  beforeAll(async () => {
    const config = testConfig();
    ({ admin, ch } = await freshDatabase(database, config.clickhouse));
  });
  afterAll(async () => {
    await dropDatabase(database, { admin, ch });
  });

  it('stores every string, number and time exactly as the rows hold them', async () => {
    const rows: StoredEvent[] = [];
    let offset = 0;
    for (const s of STRINGS) {
      for (const key of ['event_id', 'user', 'action', 'source', 'db_name', 'table_name', 'client_ip', 'client_app', 'session_id', 'query_id', 'identity', 'extra', 'kafka_topic'] as const) {
        const id = key === 'event_id' ? `${s}#${offset}` : `${key}-${offset}`;
        rows.push({ ...base, [key]: s, event_id: id, kafka_offset: offset++ });
      }
    }
    for (const ts of TIMES) rows.push({ ...base, event_id: `ts-${ts}`, ts, ingested_at: ts, kafka_offset: offset++ });
    rows.push({ ...base, event_id: 'big', bytes: Number.MAX_SAFE_INTEGER, rows: Number.MAX_SAFE_INTEGER, status: 'error', bytes_estimated: 1, kafka_partition: 4_294_967_295, kafka_offset: Number.MAX_SAFE_INTEGER });

    await ch.insert('access_events', rows, { encoded: encodeRows(accessEventRows, rows) });

    const stored = await ch.query<Record<string, string | number>>(sql`
      SELECT event_id, toUInt32(ts) AS ts, ts_ms, user, action, toString(bytes) AS bytes, toString(rows) AS rows, source, db_name,
        table_name, client_ip, client_app, session_id, query_id, toString(status) AS status, bytes_estimated, identity, extra,
        toUInt32(ingested_at) AS ingested_at, kafka_topic, kafka_partition, toString(kafka_offset) AS kafka_offset
      FROM access_events`);
    const byId = new Map(stored.map((r) => [r.event_id, r]));
    expect(stored).toHaveLength(rows.length);
    for (const row of rows) {
      const got = byId.get(row.event_id);
      const want = Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'number' ? String(v) : v]));
      const norm = got && Object.fromEntries(Object.entries(got).map(([k, v]) => [k, String(v)]));
      expect(norm).toEqual(want);
    }
  });
});
