// SIEM export as OCSF on the real services: the notifier (real ClickHouse) sends alerts as OCSF
// Detection Findings through the signed webhook (format: ocsf) to a local receiver that verifies the
// signature and checks every record against the OCSF 1.8.0 field lists, and to a Kafka topic (real
// Kafka) read back and checked the same way; `sources export-ocsf`'s exporter turns the events of a
// MariaDB log topic into OCSF Datastore Activity records, one per event, each checked.
import { writeAlerts } from '../../src/alerts';
import type { Config } from '../../src/config';
import { createLogger } from '../../src/log';
import { createNotifier, type Notifier } from '../../src/notify';
import { createOcsfExport } from '../../src/notify/ocsf-export';
import { ident, sql, type ClickHouse } from '../../src/store';
import { freshDatabase } from '../helpers/database';
import { testConfig, uniqueName } from '../helpers/env';
import { notifyTestConfig } from '../helpers/notify-config';
import { ingestFixture, produce, waitUntil, type IngestFixture } from '../helpers/ingest-run';
import { ocsfProblems } from '../helpers/ocsf-validate';
import { auditRecords, decodeFixture, slowRecords } from '../fixtures/mariadb/decode';
import { makeAlert, startReceiver, type Receiver } from './notify-receivers';
import type { Kafka } from 'kafkajs';

jest.setTimeout(180000);
const log = createLogger({ level: 'silent' });
const SECRETS = { TEST_OCSF_HOOK_SECRET: 'whsec-ocsf-0123456789' };

/** Every message of a topic, read from the beginning until `n` arrived. */
async function readTopic(kafka: Kafka, topic: string, n: number): Promise<Array<{ key: string; value: Record<string, unknown> }>> {
  const consumer = kafka.consumer({ groupId: uniqueName('it_ocsf_reader') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got: Array<{ key: string; value: Record<string, unknown> }> = [];
  await consumer.run({ eachMessage: async ({ message }) => void got.push({ key: message.key?.toString() ?? '', value: JSON.parse(message.value!.toString()) as Record<string, unknown> }) });
  await waitUntil(`${n} messages on ${topic}`, async () => got.length >= n, 60000, 200);
  await consumer.disconnect();
  return got;
}

describe('OCSF to SIEMs: signed webhook, Kafka topic, events exporter', () => {
  let f: IngestFixture;
  let admin: ClickHouse;
  let ch: ClickHouse;
  let hook: Receiver;
  let notifier: Notifier;
  let siemTopic: string;
  const database = uniqueName('it_ocsf');

  beforeAll(async () => {
    f = await ingestFixture('it_ocsf', { partitions: 1 });
    const base = testConfig();
    ({ admin, ch } = await freshDatabase(database, base.clickhouse));
    siemTopic = `${f.topic}.siem`;
    const a = f.kafka.admin();
    await a.connect();
    await a.createTopics({ topics: [{ topic: siemTopic, numPartitions: 1 }], waitForLeaders: true });
    await a.disconnect();
    hook = await startReceiver('webhook', {
      secret: SECRETS.TEST_OCSF_HOOK_SECRET,
      checkBody: (body) => (Array.isArray(body) && body.length > 0 ? body.flatMap((r, i) => ocsfProblems(r as Record<string, unknown>).map((p) => `[${i}] ${p}`)) : ['body must be a non-empty JSON array of OCSF records']),
    });
    const config = notifyTestConfig(
      database,
      {
        identity: 'pseudonym',
        channels: {
          siemhook: { type: 'webhook', url: `${hook.url}/ocsf`, secretEnv: 'TEST_OCSF_HOOK_SECRET', format: 'ocsf' },
          siemkafka: { type: 'kafka', topic: siemTopic, format: 'ocsf' },
        },
        routes: [{ name: 'siem', minSeverity: 'low', channels: ['siemhook', 'siemkafka'] }],
      },
      { publicUrl: 'https://insider.example.com', pseudonymKey: 'test-pseudonym-key-0123456789' },
    );
    notifier = createNotifier({ config, ch, log, env: SECRETS });
    await notifier.start();
  });

  afterAll(async () => {
    await notifier?.stop();
    await hook?.close();
    await admin?.exec(sql`DROP DATABASE IF EXISTS ${ident(database)}`).catch(() => {});
    await ch?.close();
    await admin?.close();
    await f?.cleanup();
  });

  it('alerts reach the webhook signed and the Kafka topic, each a valid OCSF Detection Finding', async () => {
    const alerts = [makeAlert(1, { severity: 'critical' }), makeAlert(2, { severity: 'medium' })];
    await writeAlerts(ch, alerts);
    await hook.waitFor((r) => r.accepted().length >= 2, 60000, 'two OCSF webhook deliveries');
    expect(hook.requests.flatMap((r) => r.problems)).toEqual([]);
    const findings = hook.accepted().flatMap((r) => r.body as unknown as Array<Record<string, any>>); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(findings.map((x) => [x.class_uid, x.finding_info.uid, x.severity_id]).sort()).toEqual(alerts.map((a) => [2004, a.alertId, a.severity === 'critical' ? 5 : 3]).sort());
    // The page's minimum, no evidence: neither the employee's id nor the statement leaves.
    for (const r of hook.accepted()) expect(r.raw).not.toMatch(/employee1@corp\.example|SELECT \* FROM|10\.9\.9\.9/);
    const onKafka = await readTopic(f.kafka, siemTopic, 2);
    for (const m of onKafka) expect(ocsfProblems(m.value)).toEqual([]);
    expect(onKafka.map((m) => m.key).sort()).toEqual(alerts.map((a) => a.alertId).sort());
  });

  it('every event of a MariaDB log topic becomes one valid OCSF Datastore Activity record', async () => {
    const topic = uniqueName('it_ocsf_mdb');
    const out = uniqueName('it_ocsf_events');
    const a = f.kafka.admin();
    await a.connect();
    await a.createTopics({ topics: [{ topic, numPartitions: 1 }, { topic: out, numPartitions: 1 }], waitForLeaders: true });
    await a.disconnect();
    const records = [...slowRecords(), ...auditRecords()];
    await produce(f.kafka, topic, records.map((r) => ({ value: Buffer.from(r) })));
    const expected = (await decodeFixture('slow-first')).events;
    const config: Readonly<Config> = { ...f.config, ingest: { ...f.config.ingest, topics: [topic], sources: { [topic]: { format: 'mariadb', options: { server: 'fixture-mdb' } } } } };
    const exporter = createOcsfExport({ config, kafka: f.kafka, log, topic: out, groupId: uniqueName('it_ocsf_export'), from: [topic] });
    await exporter.start();
    try {
      const got = await readTopic(f.kafka, out, expected.length);
      expect(got).toHaveLength(expected.length);
      for (const m of got) expect(ocsfProblems(m.value)).toEqual([]);
      const uids = got.map((m) => (m.value.metadata as { uid: string }).uid);
      expect(uids).toEqual(expected.map((e) => e.event_id));
      const dump = got.find((m) => (m.value.unmapped as { action: string }).action === 'DUMP')!;
      expect(dump.value).toMatchObject({ class_uid: 6005, activity_id: 1, type_uid: 600501, table: { name: 'customers' }, database: { name: 'insider_fixtures' }, src_endpoint: { ip: '127.0.0.1' } });
    } finally {
      await exporter.stop();
    }
  });
});
