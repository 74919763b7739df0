// A flood of tiny records: uncompressed, a producer can put about 100,000 one-byte messages in each
// partition's megabyte of a fetch. kafkajs keeps every record of a fetch, and the ingester dead-letters
// each one (a copy for the dead-letter topic, a row for dead_letters): four partitions of them ran the
// ingester out of the chart's heap, and it would do so again after each restart. The per-fetch limit of
// src/kafka/batch-guard.ts (kafka.maxBatchRecords) is what holds it.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { sql } from '../../src/store';
import { ingestFixture, killIngesters, peakRssMb, rowCount, startIngester, waitUntil, type IngestFixture } from '../helpers/ingest-run';

jest.setTimeout(900000);

describe('a flood of tiny records', () => {
  let f: IngestFixture | undefined;
  afterAll(async () => {
    killIngesters();
    await f?.cleanup();
  });

  it('240,000 one-byte messages on four partitions, read in one fetch, are dead-lettered by an ingester with the chart\'s heap, which goes on to store the next event', async () => {
    f = await ingestFixture('it_flood', { partitions: 4 });
    const producer = f.kafka.producer();
    await producer.connect();
    try {
      // Batches just under the record limit (20,000), three per partition, all sent before the ingester starts.
      for (let partition = 0; partition < 4; partition++) {
        for (let k = 0; k < 3; k++) await producer.send({ topic: f.topic, messages: Array.from({ length: 19_999 }, () => ({ partition, value: 'x' })) });
      }
      const ts = new Date(Date.now() - 3_600_000).toISOString();
      await producer.send({ topic: f.topic, messages: [{ partition: 3, value: JSON.stringify({ event_id: 'after-flood', ts, user: 'u1@corp.example', action: 'SELECT', bytes: 1, table: 't' }) }] });
    } finally {
      await producer.disconnect();
    }
    const values = YAML.parse(fs.readFileSync(path.join(__dirname, '../../deploy/helm/insider-detector/values.yaml'), 'utf8')) as { ingester: { heapMb: number } };
    const options = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = `--max-old-space-size=${values.ingester.heapMb}`;
    const ingester = startIngester(f, 'flood');
    process.env.NODE_OPTIONS = options;
    if (options === undefined) delete process.env.NODE_OPTIONS;
    await ingester.started();
    // The partitions are read in any order: the event may be stored before the other partitions' letters.
    const deadLetters = async () => Number((await f!.ch.query<{ n: string }>(sql`SELECT count() AS n FROM dead_letters`))[0].n);
    await waitUntil('the flood dead-lettered and the event after it stored (or the ingester gone)', async () => ((await rowCount(f!.ch)) >= 1 && (await deadLetters()) >= 239_988) || ingester.child.exitCode !== null, 600000);
    expect(ingester.child.exitCode).toBeNull();
    const peakMb = peakRssMb(ingester.child.pid);
    process.stdout.write(`record flood: 240,000 tiny messages, ingester heap ${values.ingester.heapMb} MB, peak RSS ${peakMb} MB\n`);
    const dead = await f.ch.query<{ code: string; n: string }>(sql`SELECT reason_code AS code, count() AS n FROM dead_letters GROUP BY code`);
    expect(dead.map((d) => [d.code, Number(d.n)])).toEqual([['invalid_json', 239_988]]);
    expect(await rowCount(f.ch)).toBe(1);
    ingester.child.kill('SIGTERM');
    expect(await ingester.exited).toBe(0);
  });
});
