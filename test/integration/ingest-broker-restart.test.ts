// The Kafka broker restarted in the middle of a run: the ingester reconnects and carries on, and
// nothing is lost or doubled. Restarts the shared local broker, so it runs only where the project
// manages Kafka itself (which is the case on development machines and in CI).
import { localServices, servicesDown, servicesUp } from '../../src/local-services';
import { ingestFixture, killIngesters, produce, rowCount, startIngester, stopAndExpectExactlyOnce, traffic, waitUntil, type IngestFixture } from '../helpers/ingest-run';
import { testConfig } from '../helpers/env';

jest.setTimeout(600000);

describe('ingest across a Kafka broker restart', () => {
  let f: IngestFixture | undefined;
  const kafkaService = () => localServices(testConfig(), ['kafka']);

  afterAll(async () => {
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
    const ingester = startIngester(f, 'broker');
    await waitUntil('first half stored', async () => (await rowCount(f!.ch)) >= 1000, 120000, 50);

    await servicesDown(kafkaService(), () => {});
    await new Promise((r) => setTimeout(r, 5000));
    await servicesUp(kafkaService(), () => {});
    expect(ingester.child.exitCode).toBeNull();
    await produce(f.kafka, f.topic, t.messages.slice(half));

    await stopAndExpectExactlyOnce(f, ingester, t);
  });
});
