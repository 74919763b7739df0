// Transactional producers (Kafka Connect and Debezium exactly-once, Flink sinks, kafkajs or librdkafka
// with a transactional id), several on one partition, as the real `insider ingest` and `insider detect`
// read them: what an aborted transaction sent is no event. Before src/kafka/aborted-transactions.ts,
// kafkajs's filter stored the records of a transaction aborted after another producer's (an export that
// never happened raised a ceiling alert), dead-lettered the committed retry of aborted events as
// duplicates, and dead-lettered an aborted batch past the record limit as unreadable data.
import type { Kafka, Message, Producer } from 'kafkajs';
import { listAlerts } from '../../src/alerts';
import { sql } from '../../src/store';
import { detectorStats, ingestFixture, killIngesters, startDetector, startIngester, storeTotals, waitForGroupAtEnd, waitUntil, withDetectorGroup, type IngestFixture } from '../helpers/ingest-run';

jest.setTimeout(600000);

/** `n` events tagged `tag` (their table), ids `<id>-<i>` (id defaults to the tag). */
function events(tag: string, n: number, opts: { id?: string; user?: string; bytes?: number; action?: string } = {}): Message[] {
  const ts = new Date(Date.now() - 3_600_000).toISOString();
  return Array.from({ length: n }, (_, i) => {
    const user = opts.user ?? `user${i % 20}@corp.example`;
    return { key: user, value: JSON.stringify({ event_id: `${opts.id ?? tag}-${i}`, ts, user, action: opts.action ?? 'SELECT', bytes: opts.bytes ?? 1000 + i, table: tag }) };
  });
}

async function transactional(kafka: Kafka, id: string): Promise<Producer> {
  const p = kafka.producer({ transactionalId: id, idempotent: true, maxInFlightRequests: 1 });
  await p.connect();
  return p;
}

/** B begins (100 events), A begins (100) and aborts, B sends 100 more and aborts: the broker lists A's abort first. */
async function abortInterleaved(a: Producer, b: Producer, topic: string): Promise<void> {
  const txB = await b.transaction();
  await txB.send({ topic, messages: events('abortedB', 100) });
  const txA = await a.transaction();
  await txA.send({ topic, messages: events('abortedA', 100) });
  await txA.abort();
  await txB.send({ topic, messages: events('abortedB', 100, { id: 'abortedB-more' }) });
  await txB.abort();
}

describe('transactional producers', () => {
  let f: IngestFixture | undefined;
  afterAll(async () => {
    killIngesters();
    await f?.cleanup();
  });

  it('stores what committed transactions and plain sends wrote, nothing of aborted ones, whatever the order in which several producers began and aborted', async () => {
    // One partition, so that the producers' transactions interleave in it; a record limit an aborted batch passes.
    f = await ingestFixture('it_txn', { partitions: 1, maxBatchRecords: 1000 });
    const detectGroup = withDetectorGroup(f);
    const detector = startDetector(f, 'txn-detect');
    await detector.started();
    const ingester = startIngester(f, 'txn');
    await ingester.started();
    const topic = f.topic;
    const [a, b, c, d, e, g] = await Promise.all(['a', 'b', 'c', 'd', 'e', 'g'].map((x) => transactional(f!.kafka, `${f!.name}-${x}`)));
    const plain = f.kafka.producer();
    await plain.connect();

    // B begins, A begins, A aborts, B sends more and aborts: the broker lists A's abort first.
    await abortInterleaved(a, b, topic);
    await plain.send({ topic, acks: -1, messages: events('plain', 50) });
    // An aborted batch past the record limit (1,500 in one send), in a transaction begun before another aborted one.
    const txC = await c.transaction();
    await txC.send({ topic, messages: events('abortedBig', 1500) });
    const txD = await d.transaction();
    await txD.send({ topic, messages: events('abortedD', 10) });
    await txD.abort();
    await txC.abort();
    // An export over the 50 GB ceiling that never happened: its transaction aborted after another's.
    const txE = await e.transaction();
    await txE.send({ topic, messages: events('abortedExport', 1, { user: 'never.exported@corp.example', bytes: 60e9, action: 'EXPORT' }) });
    const txG = await g.transaction();
    await txG.send({ topic, messages: events('abortedG', 10) });
    await txG.abort();
    await txE.abort();
    // The exactly-once retry: B sends its aborted events again, committed; A commits after its abort.
    const retry = await b.transaction();
    await retry.send({ topic, messages: events('retriedB', 100, { id: 'abortedB' }) });
    await retry.commit();
    const again = await a.transaction();
    await again.send({ topic, messages: events('committedA', 100) });
    await again.commit();
    await plain.send({ topic, acks: -1, messages: events('last', 1) });
    await Promise.all([a, b, c, d, e, g, plain].map((p) => p.disconnect()));

    const expected = { committedA: 100, last: 1, plain: 50, retriedB: 100 };
    const total = Object.values(expected).reduce((s, n) => s + n, 0);
    await waitUntil('the last event stored', async () => {
      const [r] = await f!.ch.query<{ n: string }>(sql`SELECT count() AS n FROM access_events WHERE table_name = 'last'`);
      return Number(r.n) === 1;
    }, 300000);
    await waitForGroupAtEnd(f.kafka, f.groupId, topic, 300000);
    await waitForGroupAtEnd(f.kafka, detectGroup, topic, 300000);
    ingester.child.kill('SIGTERM');
    detector.child.kill('SIGTERM');
    expect({ ingester: await ingester.exited, detector: await detector.exited }).toEqual({ ingester: 0, detector: 0 });

    const byTag = await f.ch.query<{ t: string; n: string }>(sql`SELECT table_name AS t, count() AS n FROM access_events GROUP BY t ORDER BY t`);
    expect(Object.fromEntries(byTag.map((r) => [r.t, Number(r.n)]))).toEqual(expected);
    const totals = await storeTotals(f.ch);
    expect({ rows: totals.rows, unique: totals.uniqueEvents, dead: totals.deadLetterRows }).toEqual({ rows: total, unique: total, dead: 0 });
    // The detector judged the same events, and raised nothing for the export that never happened.
    const stats = detectorStats(detector.logFile);
    expect(stats && { judged: stats.events - stats.duplicates, invalid: stats.invalid }).toEqual({ judged: total, invalid: 0 });
    expect((await listAlerts(f.ch, {})).map((x) => x.user)).toEqual([]);
  });

  it('an ingester that starts inside an aborted transaction (its group committed there before a crash) stores nothing more of it', async () => {
    await f?.cleanup();
    f = await ingestFixture('it_txn_mid', { partitions: 1 });
    const topic = f.topic;
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((x) => transactional(f!.kafka, `${f!.name}-${x}`)));
    const plain = f.kafka.producer();
    await plain.connect();
    // B begins, A begins and aborts, B sends more and aborts; then C commits and a plain send ends it.
    await abortInterleaved(a, b, topic);
    const txC = await c.transaction();
    await txC.send({ topic, messages: events('committedC', 40) });
    await txC.commit();
    await plain.send({ topic, acks: -1, messages: events('last', 1) });
    await Promise.all([a, b, c, plain].map((p) => p.disconnect()));

    // The group's offset inside B's second batch, as a commit there before a crash would leave it: B's
    // first batch is 0-99, A's 100-199, A's abort marker 200 (or after B's second batch begins: the
    // coordinator writes it once abort() returned), B's second 200/201-300. The broker's list of aborted
    // transactions for a fetch from 260 holds B, whose first record is long before the fetch.
    const admin = f.kafka.admin();
    await admin.connect();
    await admin.setOffsets({ groupId: f.groupId, topic, partitions: [{ partition: 0, offset: '260' }] });
    await admin.disconnect();
    const ingester = startIngester(f, 'txn-mid');
    await ingester.started();
    await waitForGroupAtEnd(f.kafka, f.groupId, topic, 300000);
    ingester.child.kill('SIGTERM');
    expect(await ingester.exited).toBe(0);

    const byTag = await f.ch.query<{ t: string; n: string }>(sql`SELECT table_name AS t, count() AS n FROM access_events GROUP BY t ORDER BY t`);
    expect(Object.fromEntries(byTag.map((r) => [r.t, Number(r.n)]))).toEqual({ committedC: 40, last: 1 });
    const totals = await storeTotals(f.ch);
    expect({ rows: totals.rows, unique: totals.uniqueEvents, dead: totals.deadLetterRows }).toEqual({ rows: 41, unique: 41, dead: 0 });
  });
});
