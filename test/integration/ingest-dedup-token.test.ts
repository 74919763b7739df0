// The ingester's modern-only path (src/ingest/dedup-token.ts) on ClickHouse 26.x (chdb behind its
// HTTP front, on its own port): the capability check on serverVersion() turns insert deduplication
// tokens on, the `insider ingest` process stores every event once with them, and ClickHouse itself
// drops a repeated insert of the same Kafka range, in the table, its rollups and the ledger alike.
// On 18.16 the same check turns the feature off without touching the schema.
import fs from 'node:fs';
import path from 'node:path';
import { type Config } from '../../src/config';
import { deduplicationSettings, enableInsertDeduplication, insertDeduplicationToken } from '../../src/ingest/dedup-token';
import { localServices, servicesDown, servicesUp, stateDirOf } from '../../src/local-services';
import { createClickHouse, ident, sql } from '../../src/store';
import { testConfig, uniqueName } from '../helpers/env';
import { expectRollupsEqualRaw, ingestFixture, killIngesters, produce, rowCount, startIngester, storeTotals, traffic, waitUntil, type IngestFixture } from '../helpers/ingest-run';

jest.setTimeout(600_000);

const PORT = 24125;
const CHDB_URL = `http://127.0.0.1:${PORT}`;

describe('insert deduplication tokens', () => {
  const base = testConfig();
  const config: Config = { ...base, localServices: { ...base.localServices, chdb: { ...base.localServices.chdb, url: CHDB_URL } } };
  const services = localServices(config, ['chdb']);
  let f: IngestFixture | undefined;

  beforeAll(async () => {
    await servicesDown(services, () => {});
    fs.rmSync(path.join(stateDirOf(config), 'chdb', `data-${PORT}`), { recursive: true, force: true });
    const [status] = await servicesUp(services, (l) => process.stderr.write(`[chdb] ${l}\n`));
    expect(status.ready).toBe(true);
  });

  afterAll(async () => {
    killIngesters();
    await f?.cleanup();
    await servicesDown(services, () => {});
  });

  it('on 26.x: the ingester sends a token with each insert, and ClickHouse drops a repeated insert of the same Kafka range', async () => {
    f = await ingestFixture('it_dedup_modern', { clickhouseUrl: CHDB_URL, partitions: 3 });
    const t = traffic(6000, { malformedEvery: 300 });
    await produce(f.kafka, f.topic, t.messages);

    const ingester = startIngester(f, 'modern');
    await waitUntil('all valid events stored on 26.x', async () => (await rowCount(f!.ch)) >= t.valid, 300_000);
    await ingester.started();
    ingester.child.kill('SIGTERM');
    expect(await ingester.exited).toBe(0);

    // The capability check saw a modern server and switched the tokens on.
    const log = fs.readFileSync(ingester.logFile, 'utf8');
    const capability = log.split('\n').find((l) => l.includes('"msg":"ClickHouse capabilities"'));
    expect(JSON.parse(capability ?? '{}')).toMatchObject({ clickhouse: expect.stringMatching(/^26\./), insertDeduplicationTokens: true });
    const [create] = await f.ch.query<{ statement: string }>(sql`SHOW CREATE TABLE access_events`);
    expect(create.statement).toMatch(/non_replicated_deduplication_window = 1000/);

    const before = await storeTotals(f.ch);
    expect(before.rows).toBe(t.valid);
    expect(before.uniqueEvents).toBe(t.valid);
    expect(before.okBytes).toBe(t.validBytes);
    expectRollupsEqualRaw(before);

    // Every insert the ingester made is one ledger row (its Kafka range); send each range again under
    // the token the ingester computed for it, as a retry after a crash mid-insert would.
    const ranges = await f.ch.query<{ kafka_topic: string; kafka_partition: number; min_offset: string; max_offset: string; events: string }>(
      sql`SELECT kafka_topic, kafka_partition, min_offset, max_offset, events FROM ingest_batches ORDER BY kafka_partition, min_offset`,
    );
    expect(ranges.length).toBeGreaterThan(0);
    expect(ranges.reduce((n, r) => n + Number(r.events), 0)).toBe(t.valid);
    const rangeRows = (r: (typeof ranges)[number]) =>
      f!.ch.query<Record<string, unknown>>(
        sql`SELECT * FROM access_events WHERE kafka_partition = ${r.kafka_partition} AND kafka_offset >= ${Number(r.min_offset)} AND kafka_offset <= ${Number(r.max_offset)} ORDER BY kafka_offset`,
      );
    for (const r of ranges) {
      const rows = await rangeRows(r);
      expect(rows).toHaveLength(Number(r.events));
      const token = insertDeduplicationToken(r.kafka_topic, r.kafka_partition, Number(r.min_offset), Number(r.max_offset), Number(r.events));
      await f.ch.insert('access_events', rows, { settings: deduplicationSettings(token) });
    }
    const after = await storeTotals(f.ch);
    expect(after).toEqual(before);
    expect(await f.ch.query(sql`SELECT count() AS n FROM ingest_batches`)).toEqual([{ n: String(ranges.length) }]);

    // The control: the same rows under another token are stored again, with their rollups and a ledger
    // row, so it was the token that kept them out above.
    const [first] = ranges;
    const again = await rangeRows(first);
    await f.ch.insert('access_events', again, { settings: deduplicationSettings(`${insertDeduplicationToken(first.kafka_topic, first.kafka_partition, Number(first.min_offset), Number(first.max_offset), Number(first.events))}:other`) });
    const doubled = await storeTotals(f.ch);
    expect(doubled.rows).toBe(t.valid + Number(first.events));
    expectRollupsEqualRaw(doubled);
    expect(await f.ch.query(sql`SELECT count() AS n FROM ingest_batches`)).toEqual([{ n: String(ranges.length + 1) }]);
  });

  it('on 18.16: the same capability check turns the tokens off and alters nothing', async () => {
    // A database without tables: any ALTER would fail, so a clean answer proves none was sent.
    const database = uniqueName('it_dedup_old');
    const admin = createClickHouse(base.clickhouse, { database: 'default' });
    await admin.exec(sql`CREATE DATABASE ${ident(database)}`);
    const ch = createClickHouse(base.clickhouse, { database });
    try {
      const capability = await enableInsertDeduplication(ch);
      expect(capability).toEqual({ enabled: false, version: expect.stringMatching(/^18\.16\./) });
      // And on 26.x the same call does alter the tables, so it would have failed here.
      const modern = createClickHouse({ ...base.clickhouse, url: CHDB_URL }, { database: 'default' });
      const err = await enableInsertDeduplication(modern).catch((e: unknown) => e);
      await modern.close();
      expect((err as Error).message).toMatch(/access_events/);
    } finally {
      await ch.close();
      await admin.exec(sql`DROP DATABASE IF EXISTS ${ident(database)}`);
      await admin.close();
    }
  });
});
