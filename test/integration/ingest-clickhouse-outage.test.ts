// ClickHouse stopped for 30 s in the middle of a run: the ingester retries, does not crash, and when
// ClickHouse is back nothing is lost and nothing is doubled. A ClickHouse of its own (own port and
// state dir) so that the other tests' server is never stopped.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { localServices, servicesDown, servicesUp } from '../../src/local-services';
import { ingestFixture, killIngesters, produce, rowCount, startIngester, stopAndExpectExactlyOnce, traffic, waitUntil, type IngestFixture } from '../helpers/ingest-run';

jest.setTimeout(600000);

describe('ingest while ClickHouse is down for 30 s', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'insider-outage-'));
  const file = path.join(stateDir, 'services.yaml');
  fs.writeFileSync(file, `clickhouse: { url: "http://127.0.0.1:18124" }\nlocalServices: { stateDir: "${stateDir}", clickhouse: { tcpPort: 19001 } }\n`);
  const services = () => localServices(loadConfig({ file, env: {} }).config, ['clickhouse']);
  let f: IngestFixture | undefined;

  beforeAll(async () => {
    await servicesUp(services(), () => {});
  });
  afterAll(async () => {
    killIngesters();
    await f?.cleanup();
    await servicesDown(services(), () => {});
  });

  it('pauses, retries with backoff, resumes: nothing lost, nothing doubled, no crash', async () => {
    f = await ingestFixture('it_ingest_outage', { clickhouseUrl: 'http://127.0.0.1:18124' });
    const t = traffic(150_000, { malformedEvery: 500 });
    const half = Math.floor(t.messages.length / 2);
    await produce(f.kafka, f.topic, t.messages.slice(0, half));
    const ingester = startIngester(f, 'outage');
    await waitUntil('progress before the outage', async () => (await rowCount(f!.ch)) > 5_000, 120000, 50);

    // ClickHouse goes away while events keep arriving: the ingester has work it cannot store.
    await servicesDown(services(), () => {});
    const downAt = Date.now();
    await produce(f.kafka, f.topic, t.messages.slice(half));
    await new Promise((r) => setTimeout(r, Math.max(0, 30000 - (Date.now() - downAt))));
    expect(ingester.child.exitCode).toBeNull();
    await servicesUp(services(), () => {});
    const downFor = Date.now() - downAt;

    await stopAndExpectExactlyOnce(f, ingester, t);
    expect(downFor).toBeGreaterThanOrEqual(30000);
    const log = fs.readFileSync(ingester.logFile, 'utf8');
    expect(log).toMatch(/transient failure; retrying with backoff/);
  });
});
