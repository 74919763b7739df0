// The hostile-input corpus (issue 14): 90+ kinds of hostile or odd message mixed into valid traffic,
// through the real `insider ingest` and `insider detect` processes on the real Kafka and ClickHouse.
// Every message is stored or dead-lettered with its reason, neither process exits, nothing is lost,
// and the detector judged every message.
import fs from 'node:fs';
import type { Message } from 'kafkajs';
import { sql } from '../../src/store';
import { HOSTILE } from '../helpers/hostile-corpus';
import { expectRollupsEqualRaw, ingestFixture, killIngesters, produce, readDeadLetters, rowCount, startDetector, startIngester, storeTotals, traffic, waitForGroupAtEnd, waitUntil, withDetectorGroup, type IngestFixture } from '../helpers/ingest-run';

jest.setTimeout(600000);

/** Sends in requests under the broker's 10 MB limit (a producer batches by partition); big ones alone. */
async function produceSized(f: IngestFixture, messages: Message[]): Promise<void> {
  let chunk: Message[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = (m.value as Buffer | null)?.length ?? 0;
    if (chunk.length > 0 && bytes + size > 2 * 1024 * 1024) {
      await produce(f.kafka, f.topic, chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(m);
    bytes += size;
  }
  if (chunk.length > 0) await produce(f.kafka, f.topic, chunk);
}

describe('hostile input corpus through the ingester and the live detector', () => {
  let f: IngestFixture | undefined;
  afterAll(async () => {
    killIngesters();
    await f?.cleanup();
  });

  it(`stores or dead-letters each of ${HOSTILE.length} kinds with its reason; neither process exits; the detector judges every message`, async () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(60);
    f = await ingestFixture('it_hostile');
    const detectGroup = withDetectorGroup(f);
    const detector = startDetector(f, 'hostile-detect');
    await detector.started();
    const ingester = startIngester(f, 'hostile');
    await ingester.started();

    // Valid traffic with each hostile kind twice (early and late), and the 4 MB kind three times in a
    // row on one key: one batch of dead letters larger than the broker's 10 MB limit.
    const t = traffic(20_000, { malformedEvery: 0 });
    const hostile: Message[] = [];
    const expected = new Map<string, { expect: string; count: number }>();
    let n = 1_000_000;
    for (const round of [0, 1]) {
      for (const k of HOSTILE) {
        const copies = k.kind === 'four-mb-garbage' ? 3 : 1;
        for (let c = 0; c < copies; c++) {
          const i = n++;
          hostile.push({ key: `hostile-${k.kind}-${round}`, value: k.value(i), headers: { ...(k.headers ?? {}), 'test-kind': k.kind }, timestamp: k.timestamp });
          const e = expected.get(k.kind) ?? { expect: k.expect, count: 0 };
          e.count++;
          expected.set(k.kind, e);
        }
      }
    }
    const stored = t.valid + [...expected.values()].filter((e) => e.expect === 'stored').reduce((s, e) => s + e.count, 0);
    const dead = [...expected.values()].filter((e) => e.expect !== 'stored').reduce((s, e) => s + e.count, 0);
    const half = hostile.length / 2;
    await produce(f.kafka, f.topic, t.messages.slice(0, 10_000));
    await produceSized(f, hostile.slice(0, half));
    await produce(f.kafka, f.topic, t.messages.slice(10_000));
    await produceSized(f, hostile.slice(half));

    await waitUntil('every valid and odd-but-valid event stored', async () => (await rowCount(f!.ch)) >= stored, 300000);
    await waitUntil('every rejected message dead-lettered', async () => (await storeTotals(f!.ch)).deadLetterOffsets >= dead, 120000);
    await waitForGroupAtEnd(f.kafka, detectGroup, f.topic);
    await new Promise((r) => setTimeout(r, 3000));

    expect({ ingester: ingester.child.exitCode, detector: detector.child.exitCode }).toEqual({ ingester: null, detector: null });
    ingester.child.kill('SIGTERM');
    detector.child.kill('SIGTERM');
    expect(await ingester.exited).toBe(0);
    expect(await detector.exited).toBe(0);

    const totals = await storeTotals(f.ch);
    expect({ rows: totals.rows, unique: totals.uniqueEvents }).toEqual({ rows: stored, unique: stored });
    expectRollupsEqualRaw(totals);
    expect({ rows: totals.deadLetterRows, offsets: totals.deadLetterOffsets }).toEqual({ rows: dead, offsets: dead });
    process.stdout.write(`hostile corpus: ${t.messages.length + hostile.length} messages sent (${hostile.length} hostile, ${HOSTILE.length} kinds), ${totals.rows} stored (count), ${totals.uniqueEvents} uniqExact(event_id), ${totals.deadLetterOffsets} dead-lettered, rollups equal raw\n`);

    // Each rejected kind with its reason, on the dead-letter topic.
    const letters = await readDeadLetters(f.kafka, `${f.topic}.dlq`, dead, 120000);
    const byKind = new Map<string, Set<string>>();
    const counts = new Map<string, number>();
    for (const d of letters) {
      const kind = d.headers['test-kind'];
      byKind.set(kind, (byKind.get(kind) ?? new Set()).add(d.headers['x-dlq-reason-code']));
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
    }
    const want = [...expected].filter(([, e]) => e.expect !== 'stored');
    expect(Object.fromEntries([...byKind].map(([k, v]) => [k, [...v]]))).toEqual(Object.fromEntries(want.map(([k, e]) => [k, [e.expect]])));
    expect(Object.fromEntries(counts)).toEqual(Object.fromEntries(want.map(([k, e]) => [k, e.count])));
    expect(letters.find((d) => d.headers['test-kind'] === 'four-mb-garbage')?.size).toBe(4 * 1024 * 1024);

    // Odd but valid events are stored as the contract says.
    const one = async (where: ReturnType<typeof sql>) => (await f!.ch.query<Record<string, string>>(sql`SELECT extra, toString(ts) AS ts_text, ts_ms, user FROM access_events WHERE ${where} LIMIT 1`))[0];
    expect(JSON.parse((await one(sql`extra LIKE '%isAdmin%'`)).extra)).toEqual({ ['__proto__']: { isAdmin: true } });
    expect(JSON.parse((await one(sql`extra LIKE '%nested deeper%'`)).extra)).toEqual({ _dropped: 'unknown fields nested deeper than 64 levels' });
    expect(await one(sql`ts = toDateTime('2016-12-31 23:59:59', 'UTC')`)).toMatchObject({ ts_ms: 999 });
    const [recent] = await f.ch.query<{ n: string }>(sql`SELECT count() AS n FROM access_events WHERE event_id LIKE 'hostile-%' AND ts < toDateTime('2000-01-01 00:00:00', 'UTC') AND ts_ms != 999`);
    expect(Number(recent.n)).toBe(0);

    const ingestLog = fs.readFileSync(ingester.logFile, 'utf8');
    expect(ingestLog).toMatch(new RegExp(`stopped: \\d+ received, ${stored} inserted, ${dead} dead-lettered`));
    // The detector read every message and rejected exactly those the ingester dead-letters.
    expect(fs.readFileSync(detector.logFile, 'utf8')).toMatch(new RegExp(`stopped: \\d+ events judged, \\d+ alert\\(s\\), \\d+ revision\\(s\\), ${dead} invalid`));
  });
});
