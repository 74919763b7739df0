// Produces to and consumes from a topic of its own on the real broker with kafkajs.
import { createKafka } from '../../src/kafka';
import { createLogger } from '../../src/log';
import { testConfig, uniqueName } from '../helpers/env';

describe('Kafka (real broker)', () => {
  const config = testConfig();
  const log = createLogger({ level: 'silent' });
  const kafka = createKafka(config.kafka, log);
  const topic = uniqueName('it_kafka');

  afterAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  });

  it('delivers every produced message to a consumer group, in order per key', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
    await admin.disconnect();

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const users = ['alice', 'bob', 'carol', 'dave'];
    const messages = Array.from({ length: 200 }, (_, i) => ({ key: users[i % users.length], value: JSON.stringify({ seq: i, user: users[i % users.length] }) }));
    await producer.send({ topic, acks: -1, messages });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: uniqueName('it_group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: Array<{ seq: number; user: string; partition: number }> = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${received.length} of 200 messages arrived`)), 60000);
      consumer
        .run({
          eachMessage: async ({ message, partition }) => {
            received.push({ ...JSON.parse(String(message.value)), partition });
            if (received.length === messages.length) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();

    expect(received.map((r) => r.seq).sort((a, b) => a - b)).toEqual(messages.map((_, i) => i));
    for (const user of users) {
      const theirs = received.filter((r) => r.user === user);
      expect(new Set(theirs.map((r) => r.partition)).size).toBe(1);
      expect(theirs.map((r) => r.seq)).toEqual([...theirs.map((r) => r.seq)].sort((a, b) => a - b));
    }
  });
});
