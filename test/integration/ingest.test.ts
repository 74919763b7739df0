// The ingester end to end on the real Kafka and ClickHouse, run as the `insider ingest` process.
import { DUPLICATE, expectRollupsEqualRaw, ingestFixture, ingesterStats, killIngesters, produce, readDeadLetters, rowCount, startIngester, stopAndExpectExactlyOnce, storeTotals, traffic, waitUntil, type IngestFixture } from '../helpers/ingest-run';
import fs from 'node:fs';

jest.setTimeout(600000);

describe('ingest (real Kafka and ClickHouse)', () => {
  const fixtures: IngestFixture[] = [];
  afterAll(async () => {
    killIngesters();
    for (const f of fixtures) await f.cleanup();
  });
  const fixture = async (prefix: string, slow = false) => {
    const f = await ingestFixture(prefix, { slow });
    fixtures.push(f);
    return f;
  };

  it('stores 200,000 events once, dead-letters every malformed one (26 kinds) with its reason, and rollups equal raw sums', async () => {
    const f = await fixture('it_ingest_bulk');
    const t = traffic(200_000, { malformedEvery: 100, oversized: true });
    expect(t.malformed.size).toBeGreaterThanOrEqual(20);
    await produce(f.kafka, f.topic, t.messages);

    const ingester = startIngester(f, 'bulk');
    await waitUntil('all valid events stored', async () => (await rowCount(f.ch)) >= t.valid, 300000);
    await waitUntil('all dead letters recorded', async () => (await storeTotals(f.ch)).deadLetterRows >= t.malformedTotal, 60000);
    await ingester.started();
    ingester.child.kill('SIGTERM');
    expect(await ingester.exited).toBe(0);

    const totals = await storeTotals(f.ch);
    expect(totals.rows).toBe(t.valid);
    expect(totals.uniqueEvents).toBe(t.valid);
    expect(totals.okBytes).toBe(t.validBytes);
    expectRollupsEqualRaw(totals);
    expect(totals.deadLetterRows).toBe(t.malformedTotal);

    const dead = await readDeadLetters(f.kafka, `${f.topic}.dlq`, t.malformedTotal);
    expect(dead).toHaveLength(t.malformedTotal);
    const byKind = new Map<string, number>();
    for (const d of dead) {
      const kind = d.headers['test-kind'];
      const expected = t.malformed.get(kind);
      expect(expected).toBeDefined();
      expect({ kind, code: d.headers['x-dlq-reason-code'] }).toEqual({ kind, code: expected?.code });
      expect(d.headers['x-dlq-reason'].length).toBeGreaterThan(5);
      expect(d.headers['x-dlq-source-topic']).toBe(f.topic);
      expect(Number(d.headers['x-dlq-source-offset'])).toBeGreaterThanOrEqual(0);
      expect(d.headers['x-dlq-source-partition']).toMatch(/^[0-3]$/);
      expect(Date.parse(d.headers['x-dlq-time'])).toBeGreaterThan(0);
      byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
    }
    expect(Object.fromEntries(byKind)).toEqual(Object.fromEntries([...t.malformed].map(([k, v]) => [k, v.count])));
    expect(dead.find((d) => d.headers['test-kind'] === 'oversized-5mb')?.size).toBe(5 * 1024 * 1024);
  });

  it('survives SIGKILL at 6 random moments of a 200,000-event run: count = uniqExact(event_id) = valid events, rollups equal raw', async () => {
    const f = await fixture('it_ingest_crash', true);
    // Producer-side duplicates are left out: after a crash they are caught only within the dedup window.
    const t = traffic(200_000, { malformedEvery: 100 });
    const dupes = t.malformed.get(DUPLICATE.kind)?.count ?? 0;
    t.messages = t.messages.filter((m) => m.headers?.['test-kind'] !== DUPLICATE.kind);
    t.malformed.delete(DUPLICATE.kind);
    t.malformedTotal -= dupes;
    await produce(f.kafka, f.topic, t.messages);

    const kills: number[] = [];
    for (let round = 0; round < 6; round++) {
      const before = await rowCount(f.ch);
      const ingester = startIngester(f, `crash-${round}`);
      // Kill only once this run is writing, at a random moment after that.
      await waitUntil(`round ${round} making progress`, async () => (await rowCount(f.ch)) > before, 120000, 20);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 600)));
      ingester.child.kill('SIGKILL');
      await ingester.exited;
      kills.push(await rowCount(f.ch));
    }
    expect(kills.filter((n) => n < t.valid).length).toBeGreaterThanOrEqual(5);

    const last = startIngester(f, 'crash-final');
    await waitUntil('all valid events stored after the crashes', async () => (await rowCount(f.ch)) >= t.valid, 300000);
    await waitUntil('all dead letters recorded', async () => (await storeTotals(f.ch)).deadLetterOffsets >= t.malformedTotal, 60000);
    // Anything still in flight would show up now.
    await new Promise((r) => setTimeout(r, 3000));
    await last.started();
    last.child.kill('SIGTERM');
    expect(await last.exited).toBe(0);

    const totals = await storeTotals(f.ch);
    expect({ rows: totals.rows, unique: totals.uniqueEvents }).toEqual({ rows: t.valid, unique: t.valid });
    expect(totals.okBytes).toBe(t.validBytes);
    expectRollupsEqualRaw(totals);
    expect({ rows: totals.deadLetterRows, offsets: totals.deadLetterOffsets }).toEqual({ rows: t.malformedTotal, offsets: t.malformedTotal });
    const log = fs.readFileSync(last.logFile, 'utf8');
    expect(log).toMatch(/stopped: \d+ received/);
  });

  it('flushes and commits on SIGTERM: a restart skips nothing and stores the rest', async () => {
    const f = await fixture('it_ingest_sigterm', true);
    const t = traffic(60_000, { malformedEvery: 0 });
    await produce(f.kafka, f.topic, t.messages);
    const first = startIngester(f, 'sigterm-1');
    await waitUntil('progress', async () => (await rowCount(f.ch)) > 0, 120000, 20);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const afterStop = await rowCount(f.ch);
    expect(afterStop).toBeLessThan(t.valid);
    expect(fs.readFileSync(first.logFile, 'utf8')).toMatch(/SIGTERM: finishing the batch in hand/);

    const second = startIngester(f, 'sigterm-2');
    await second.started();
    await waitUntil('the rest stored', async () => (await rowCount(f.ch)) >= t.valid, 300000);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    const log = fs.readFileSync(second.logFile, 'utf8');
    // Everything the first run stored was committed: the second was handed none of it again.
    expect(log).toMatch(/stopped: \d+ received, \d+ inserted, 0 dead-lettered, 0 skipped as already stored/);
    const totals = await storeTotals(f.ch);
    expect([totals.rows, totals.uniqueEvents]).toEqual([t.valid, t.valid]);
  });

  it('stores the partitions of a fetch in one insert when their employees are apart, SIGKILL mid-run included; apart when an employee is in several', async () => {
    // Keyed by employee (as producers are): each employee's events in one partition.
    const f = await fixture('it_ingest_together');
    const t = traffic(120_000, { malformedEvery: 500, duplicates: false });
    await produce(f.kafka, f.topic, t.messages);
    for (const [label, rows] of [['together-a', 20_000], ['together-b', 60_000]] as const) {
      const ingester = startIngester(f, label);
      await waitUntil(`${label} stored ${rows} rows`, async () => (await rowCount(f.ch)) > rows, 120000, 20);
      ingester.child.kill('SIGKILL');
      await ingester.exited;
    }
    expect(await rowCount(f.ch)).toBeLessThan(t.valid);
    const last = startIngester(f, 'together-c');
    await stopAndExpectExactlyOnce(f, last, t);
    const together = ingesterStats(last.logFile);
    process.stdout.write(`partitions apart: ${together?.inserts} inserts carried ${together?.batchesInserted} batches\n`);
    expect(together?.batchesInserted).toBeGreaterThanOrEqual(4);
    expect(together?.inserts).toBeLessThan(together?.batchesInserted ?? 0);

    // Keyed by event: every employee in every partition, so every batch is inserted on its own.
    const g = await fixture('it_ingest_apart');
    const u = traffic(20_000);
    u.messages = u.messages.map((m, i) => ({ ...m, key: `event-${i}` }));
    await produce(g.kafka, g.topic, u.messages);
    const alone = startIngester(g, 'apart');
    await stopAndExpectExactlyOnce(g, alone, u);
    const apart = ingesterStats(alone.logFile);
    expect(apart?.batchesInserted).toBeGreaterThanOrEqual(4);
    expect(apart?.inserts).toBe(apart?.batchesInserted);
  });

  it('two ingesters in one group, one killed mid-run: nothing lost, nothing doubled', async () => {
    const f = await fixture('it_ingest_group', true);
    const t = traffic(120_000, { malformedEvery: 200 });
    await produce(f.kafka, f.topic, t.messages);
    const a = startIngester(f, 'group-a');
    const b = startIngester(f, 'group-b');
    await waitUntil('both members working', async () => (await rowCount(f.ch)) > 20_000, 120000, 50);
    a.child.kill('SIGKILL');
    await a.exited;
    const atKill = await rowCount(f.ch);
    expect(atKill).toBeLessThan(t.valid);
    await stopAndExpectExactlyOnce(f, b, t);
  });
});
