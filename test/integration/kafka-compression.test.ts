// Compressed batches from a real producer: Kafka's own console producer (from the jars the project
// installs under the state dir) with each codec, through the real `insider ingest` and `insider detect`
// processes. Before issue 14, snappy, lz4 and zstd stopped both, on every partition.
import { spawnSync } from 'node:child_process';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { Encoder as ZstdEncoder } from '@toondepauw/node-zstd';
import fs from 'node:fs';
import path from 'node:path';
import { stateDirOf } from '../../src/local-services';
import { listAlerts } from '../../src/alerts';
import { sql } from '../../src/store';
import { testConfig } from '../helpers/env';
import { detectorStats, expectRollupsEqualRaw, ingestFixture, killIngesters, peakRssMb, rowCount, startDetector, startIngester, storeTotals, waitForGroupAtEnd, waitUntil, withDetectorGroup, type IngestFixture } from '../helpers/ingest-run';

jest.setTimeout(900000);
const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
const PER_CODEC = 3000;

describe('compressed batches from Kafka\'s console producer', () => {
  let f: IngestFixture | undefined;
  afterAll(async () => {
    killIngesters();
    await f?.cleanup();
  });

  it('stores and detects gzip, snappy, lz4 and zstd batches', async () => {
    const config = testConfig();
    const libs = path.join(stateDirOf(config), 'kafka', 'libs');
    expect(fs.readdirSync(libs).some((j) => j.startsWith('kafka_'))).toBe(true);
    f = await ingestFixture('it_codecs');
    const detectGroup = withDetectorGroup(f);
    const detector = startDetector(f, 'codecs-detect');
    await detector.started();
    const ingester = startIngester(f, 'codecs');
    await ingester.started();

    const ts = new Date(Date.now() - 3_600_000).toISOString();
    for (const codec of CODECS) {
      const lines = Array.from({ length: PER_CODEC }, (_, i) =>
        JSON.stringify({ event_id: `${codec}-${i}`, ts, user: `user${i % 50}@corp.example`, action: 'SELECT', bytes: 1000 + i, table: codec, filler: 'abc'.repeat(50) }),
      );
      // In the middle of the codec's batches, one export above the 50 GB daily ceiling: it must alert.
      lines.splice(PER_CODEC / 2, 0, JSON.stringify({ event_id: `${codec}-export`, ts, user: `exporter-${codec}@corp.example`, action: 'EXPORT', bytes: 60e9, table: codec }));
      const run = spawnSync('java', ['-cp', `${libs}/*`, 'kafka.tools.ConsoleProducer', '--bootstrap-server', config.kafka.brokers[0], '--topic', f.topic, '--compression-codec', codec, '--batch-size', '500', '--producer-property', 'linger.ms=50'], {
        input: lines.join('\n') + '\n',
        encoding: 'utf8',
        timeout: 300000,
      });
      expect({ codec, status: run.status, stderr: run.stderr.split('\n').filter((l) => /ERROR|Exception/.test(l)) }).toEqual({ codec, status: 0, stderr: [] });
    }

    const total = (PER_CODEC + 1) * CODECS.length;
    // Generous waits on conditions: a busy machine makes this slower, not wrong.
    await waitUntil('every event stored', async () => (await rowCount(f!.ch)) >= total, 600000);
    await waitForGroupAtEnd(f.kafka, detectGroup, f.topic, 600000);

    expect({ ingester: ingester.child.exitCode, detector: detector.child.exitCode }).toEqual({ ingester: null, detector: null });
    ingester.child.kill('SIGTERM');
    detector.child.kill('SIGTERM');
    expect(await ingester.exited).toBe(0);
    expect(await detector.exited).toBe(0);

    const perCodec = await f.ch.query<{ table_name: string; n: string }>(sql`SELECT table_name, count() AS n FROM access_events GROUP BY table_name ORDER BY table_name`);
    expect(perCodec.map((r) => [r.table_name, Number(r.n)])).toEqual([...CODECS].sort().map((c) => [c, PER_CODEC + 1]));
    const totals = await storeTotals(f.ch);
    expect({ rows: totals.rows, unique: totals.uniqueEvents, dead: totals.deadLetterRows }).toEqual({ rows: total, unique: total, dead: 0 });
    expectRollupsEqualRaw(totals);
    process.stdout.write(`compression: ${total} messages sent (${CODECS.join(', ')}), ${totals.rows} stored (count), ${totals.uniqueEvents} uniqExact(event_id), ${totals.deadLetterRows} dead-lettered, rollups equal raw\n`);
    // Every message judged once in effect (a batch read again after a rejoin counts its events as
    // duplicates, which change nothing), none invalid.
    const stats = detectorStats(detector.logFile);
    expect(stats && { judged: stats.events - stats.duplicates, invalid: stats.invalid }).toEqual({ judged: total, invalid: 0 });
    // Detected: each codec's export raised its alert (ceiling), once.
    const alerts = await listAlerts(f.ch, { detector: 'ceiling' });
    expect(alerts.map((a) => a.user).sort()).toEqual([...CODECS].sort().map((c) => `exporter-${c}@corp.example`));
    expect(fs.readFileSync(ingester.logFile, 'utf8')).not.toMatch(/not implemented|crashed/);
  });

  it('compression bombs, one batch of 400 MB and forty of 15 MB (each under the limit) in one fetch, do not take the consumers past their memory; the events around them are stored and judged', async () => {
    f = await ingestFixture('it_bomb');
    const detectGroup = withDetectorGroup(f);
    // kafkajs as the attacker's producer: any codec that writes a valid zstd frame will do.
    const encoder = new ZstdEncoder(3);
    const codecs = CompressionCodecs as Record<number, () => { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> }>;
    const decompressOnly = codecs[CompressionTypes.ZSTD]();
    codecs[CompressionTypes.ZSTD] = () => ({ compress: async (e) => encoder.encodeSync(e.buffer), decompress: (b) => decompressOnly.decompress(b) });
    const ts = new Date(Date.now() - 3_600_000).toISOString();
    const event = (id: string) => ({ key: 'user1@corp.example', value: JSON.stringify({ event_id: id, ts, user: 'user1@corp.example', action: 'SELECT', bytes: 1000, table: 'bomb' }) });
    const junk = (n: number) => Array.from({ length: n }, () => ({ key: 'user1@corp.example', value: 'a'.repeat(1 << 20) }));
    const producer = f.kafka.producer();
    await producer.connect();
    try {
      // All sent before the consumers start: their first fetch holds every batch (a few kilobytes each).
      await producer.send({ topic: f.topic, messages: [event('before')] });
      const [sent] = await producer.send({ topic: f.topic, compression: CompressionTypes.ZSTD, messages: junk(400) });
      for (let i = 0; i < 40; i++) await producer.send({ topic: f.topic, compression: CompressionTypes.ZSTD, messages: junk(15) });
      await producer.send({ topic: f.topic, messages: [event('after')] });
      const detector = startDetector(f, 'bomb-detect');
      const ingester = startIngester(f, 'bomb');
      await Promise.all([detector.started(), ingester.started()]);
      await waitUntil('the events around the bombs stored', async () => (await rowCount(f!.ch)) >= 2, 300000);
      await waitForGroupAtEnd(f.kafka, detectGroup, f.topic, 300000);
      expect({ ingester: ingester.child.exitCode, detector: detector.child.exitCode }).toEqual({ ingester: null, detector: null });
      // Read whole, the 400 MB batch took the ingester to a 672 MB peak (the chart's limit is 512 MiB), and
      // the forty smaller ones, read in one fetch, would hold 600 MB at once.
      const peaks = { ingester: peakRssMb(ingester.child.pid), detector: peakRssMb(detector.child.pid) };
      process.stdout.write(`compression bombs: peak RSS ingester ${peaks.ingester} MB, detector ${peaks.detector} MB\n`);
      expect(peaks).toEqual({ ingester: expect.any(Number), detector: expect.any(Number) });
      // Without the limit per fetch: 971 MB and 878 MB; with it, 270-350 MB and about 410 MB here (the
      // garbage of dead-lettering 1 MiB records is collected lazily). The detector parses each record of the
      // smaller batches, and its memory limit is higher (2 GiB).
      expect(peaks.ingester).toBeLessThan(450);
      expect(peaks.detector).toBeLessThan(600);
      const first = BigInt(sent.baseOffset ?? '0');
      const dead = await f.ch.query<{ reason_code: string; kafka_offset: string; reason: string }>(sql`SELECT reason_code, kafka_offset, reason FROM dead_letters WHERE reason_code = 'batch_too_large'`);
      expect(dead.map((d) => Number(d.kafka_offset))).toEqual([Number(first) + 399]);
      expect(dead[0].reason).toMatch(new RegExp(`^a record batch too large to read, offsets ${first}-${first + 399n}, was skipped: the zstd batch decompresses to more than`));
      // The records of the smaller batches are read, and each is dead-lettered on its own (not an event).
      const others = await f.ch.query<{ n: string }>(sql`SELECT count() AS n FROM dead_letters WHERE reason_code != 'batch_too_large'`);
      expect(Number(others[0].n)).toBe(600);
      ingester.child.kill('SIGTERM');
      detector.child.kill('SIGTERM');
      expect([await ingester.exited, await detector.exited]).toEqual([0, 0]);
      const stats = detectorStats(detector.logFile);
      expect(stats && { judged: stats.events - stats.duplicates, invalid: stats.invalid }).toEqual({ judged: 2, invalid: 601 });
      expect(fs.readFileSync(detector.logFile, 'utf8')).toContain(`"offset":"${first + 399n}","msg":"a record batch too large to read`);
    } finally {
      await producer.disconnect();
      codecs[CompressionTypes.ZSTD] = () => decompressOnly;
    }
  });
});
