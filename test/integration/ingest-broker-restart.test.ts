// The Kafka broker restarted in the middle of a run: the ingester reconnects and carries on, and
// nothing is lost or doubled. Restarts the shared local broker, so it runs only where the project
// manages Kafka itself (which is the case on development machines and in CI).
import { localServices, servicesDown, servicesUp } from '../../src/local-services';
import { ingestFixture, killIngesters, logTail, produce, rowCount, startIngester, stopAndExpectExactlyOnce, traffic, waitUntil, type IngestFixture, type RunningIngester } from '../helpers/ingest-run';
import { testConfig } from '../helpers/env';

// Every wait below has its own bound with a message; this one is only the last resort.
jest.setTimeout(900000);

describe('ingest across a Kafka broker restart', () => {
  let f: IngestFixture | undefined;
  let ingester: RunningIngester | undefined;
  let finished = false;
  const kafkaService = () => localServices(testConfig(), ['kafka']);
  // Each step with the seconds since the test began: a run that hangs shows where (CI keeps no other trace).
  const began = Date.now();
  const step = (what: string) => process.stdout.write(`broker restart +${((Date.now() - began) / 1000).toFixed(1)} s: ${what}\n`);

  afterAll(async () => {
    if (ingester && !finished) process.stdout.write(`broker restart: unfinished; the ingester's log ${ingester.logFile}:\n${logTail(ingester.logFile)}\n`);
    killIngesters();
    await servicesUp(kafkaService(), () => {});
    await f?.cleanup();
  });

  it('reconnects after the broker comes back and stores every event once', async () => {
    expect(kafkaService()[0].managed).toBe(true);
    f = await ingestFixture('it_ingest_broker');
    const t = traffic(100_000, { malformedEvery: 1000 });
    const half = Math.floor(t.messages.length / 2);
    await produce(f.kafka, f.topic, t.messages.slice(0, half));
    ingester = startIngester(f, 'broker');
    await waitUntil('first half stored', async () => (await rowCount(f!.ch)) >= 1000, 120000, 50);

    step('stopping the broker');
    await servicesDown(kafkaService(), step);
    // Longer than kafkajs's own retries of a connection (about 10 s: CI once stopped the ingester for good
    // when the broker took 4 s to start after a 5 s pause): the ingester must outlast them.
    await new Promise((r) => setTimeout(r, 20_000));
    await servicesUp(kafkaService(), step);
    expect(ingester.child.exitCode).toBeNull();
    step('producing the second half');
    await produce(f.kafka, f.topic, t.messages.slice(half));

    step('waiting for every event and dead letter, then stopping the ingester');
    await stopAndExpectExactlyOnce(f, ingester, t);
    finished = true;
  });
});
