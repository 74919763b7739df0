// Fencing of a paused ingester (issue 14): two ingesters in one group under live traffic (about 1,500
// events/s), session timeout 10 s; one of them is stopped (SIGSTOP) for 12 s, past its session
// timeout, while it has batches in hand, then resumed (SIGCONT); five times, alternating. The group
// moves its partitions while it sleeps; resumed, it must not write what it held (docs/exactly-once.md,
// "A paused ingester"). count = uniqExact(event_id) = valid events, rollups equal raw sums.
import fs from 'node:fs';
import type { Message } from 'kafkajs';
import { ingestFixture, killIngesters, startIngester, stopAndExpectExactlyOnce, traffic, waitUntil, rowCount, type IngestFixture, type RunningIngester } from '../helpers/ingest-run';

// Not part of the compatibility check's recording (docs/clickhouse-compatibility.md): a stopped process
// records an answer when it wakes, not when the server gave it, so the recording cannot say in which
// order 18.16 ran the paused member's statements and the other member's; a replay in recorded order
// then re-sends an insert whose client timed out while it slept, though 18.16 had refused or never run it.
// Jest gives each test file its own copy of process.env; the ingesters spawned here inherit it.
delete process.env.INSIDER_CLICKHOUSE_RECORD_DIR;
jest.setTimeout(900000);
const RATE = 1500; // events per second
const PAUSES = 5;
const PAUSE_MS = 12000;

/** Sends the messages at about `rate` per second until all are sent; returns the rate achieved. */
async function liveTraffic(f: IngestFixture, messages: Message[], rate: number, stop: () => boolean): Promise<number> {
  const producer = f.kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const started = Date.now();
  let sent = 0;
  try {
    while (sent < messages.length && !stop()) {
      // Catch up with the schedule (a busy machine falls behind, then sends more at once).
      const due = Math.min(messages.length, Math.floor(((Date.now() - started) / 1000) * rate) + 1);
      if (due > sent) {
        await producer.send({ topic: f.topic, acks: -1, messages: messages.slice(sent, due) });
        sent = due;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await producer.disconnect();
  }
  return sent / ((Date.now() - started) / 1000);
}

const joins = (i: RunningIngester) => (fs.readFileSync(i.logFile, 'utf8').match(/"msg":"joined the consumer group"/g) ?? []).length;

describe('ingesters paused past their session timeout under live traffic', () => {
  let f: IngestFixture | undefined;
  afterAll(async () => {
    killIngesters();
    await f?.cleanup();
  });

  it('five 12 s SIGSTOPs of one of two ingesters (session timeout 10 s) at 1,500 events/s: nothing lost, nothing doubled', async () => {
    f = await ingestFixture('it_ingest_pause');
    const fixture = f;
    fs.writeFileSync(f.configFile, fs.readFileSync(f.configFile, 'utf8').replace('sessionTimeoutMs: 6000', 'sessionTimeoutMs: 10000'));
    expect(fs.readFileSync(f.configFile, 'utf8')).toMatch(/sessionTimeoutMs: 10000/);
    // Enough traffic to last through the pauses and the recoveries after them.
    const t = traffic(RATE * (PAUSES * (PAUSE_MS / 1000 + 10) + 20), { malformedEvery: 1000, duplicates: false });
    const members = [startIngester(f, 'pause-a'), startIngester(f, 'pause-b')];
    await Promise.all(members.map((m) => m.started()));

    let stopTraffic = false;
    const producing = liveTraffic(f, t.messages, RATE, () => stopTraffic);
    try {
      for (let p = 0; p < PAUSES; p++) {
        const member = members[p % 2];
        const other = members[(p + 1) % 2];
        // Pause only while this member is writing: rows arrive, and it holds partitions.
        const before = await rowCount(fixture.ch);
        await waitUntil(`progress before pause ${p + 1}`, async () => (await rowCount(fixture.ch)) > before, 120000, 100);
        const otherJoins = joins(other);
        member.child.kill('SIGSTOP');
        await new Promise((r) => setTimeout(r, PAUSE_MS));
        // The group gave its partitions to the other member meanwhile (the pause outlived the session).
        await waitUntil(`the other member took over during pause ${p + 1}`, async () => joins(other) > otherJoins, 60000, 200);
        const memberJoins = joins(member);
        member.child.kill('SIGCONT');
        // The resumed member finds out it was evicted and rejoins before the next pause.
        await waitUntil(`member rejoined after pause ${p + 1}`, async () => joins(member) > memberJoins, 120000, 200);
        expect(members.map((m) => m.child.exitCode)).toEqual([null, null]);
      }
    } catch (err) {
      stopTraffic = true;
      throw err;
    } finally {
      for (const m of members) if (m.child.exitCode === null) m.child.kill('SIGCONT');
      const rate = await producing;
      // Reported, not asserted: a busy machine sends slower; the faults happen under traffic either way.
      process.stdout.write(`live traffic: ${Math.round(rate)} events/s\n`);
    }
    await stopAndExpectExactlyOnce(fixture, members, t);
  });
});
