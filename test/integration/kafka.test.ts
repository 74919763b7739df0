// Produces to and consumes from a topic of its own on the real broker with kafkajs; the consumer loop's
// fence against a broker that expelled the member while it held a batch.
import { createConsumerLoop, createKafka } from '../../src/kafka';
import { createLogger } from '../../src/log';
import { testConfig, uniqueName } from '../helpers/env';
import { waitUntil } from '../helpers/wait';

describe('Kafka (real broker)', () => {
  const config = testConfig();
  const log = createLogger({ level: 'silent' });
  const kafka = createKafka(config.kafka, log);
  const topic = uniqueName('it_kafka');
  const fenced = uniqueName('it_fence');
  const slow = uniqueName('it_slow');

  afterAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, fenced, slow] }).catch(() => {});
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

  it("fails a batch's fence once the group expelled its member while it held the batch (its process stalled past the session)", async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: fenced, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: fenced, acks: -1, messages: [{ key: 'k', value: 'v' }] });
    await producer.disconnect();
    const outcomes: string[] = [];
    const settings = { groupId: uniqueName('it_fence_group'), sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000, fetchMaxBytes: 1 << 20 };
    let done: () => void;
    const judged = new Promise<void>((resolve) => (done = resolve));
    const loop = createConsumerLoop({
      kafka,
      log,
      name: 'fence test',
      settings,
      topics: [fenced],
      fromBeginning: true,
      concurrency: 1,
      commitFailed: 'commit failed',
      eachBatch: async (_batch, session) => {
        if (outcomes.length > 0) return undefined;
        const fence = () => session.fence().then(() => 'passed', (err: Error) => `failed: ${err.message}`);
        outcomes.push(await fence());
        // No heartbeat can leave while the event loop is held: the broker drops the member after 6 s.
        const until = Date.now() + 9000;
        while (Date.now() < until);
        outcomes.push(await fence());
        done();
        return undefined;
      },
    });
    await loop.start();
    await judged;
    await loop.stop();
    expect(outcomes[0]).toBe('passed');
    expect(outcomes[1]).toMatch(/^failed: /);
  }, 60000);

  describe('a member finishing a long batch while the group rebalances', () => {
    beforeAll(async () => {
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: slow, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true });
      await admin.disconnect();
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: slow, acks: -1, messages: [0, 1].map((partition) => ({ partition, key: `k${partition}`, value: 'v' })) });
      await producer.disconnect();
    });

    /**
     * Member A's first batch takes `batchMs` (heartbeats go on); a second member joins meanwhile. The member
     * ids A is given by its joins: one id when the group waited for it, two when it was removed and joined
     * again as a new member (the live detector then drops everything it held and takes it all over afresh).
     */
    async function memberIdsOfA(rebalanceTimeoutMs: number, batchMs: number): Promise<string[]> {
      const settings = { groupId: uniqueName('it_slow_group'), sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000, fetchMaxBytes: 1 << 20, rebalanceTimeoutMs };
      const ids: string[] = [];
      let inBatch: () => void;
      const started = new Promise<void>((resolve) => (inBatch = resolve));
      let slowDone = false;
      const loop = (name: string, onBatch: () => Promise<void>) =>
        createConsumerLoop({ kafka, log, name, settings, topics: [slow], fromBeginning: true, concurrency: 1, commitFailed: 'commit failed', eachBatch: async () => (await onBatch(), undefined) });
      const a = loop('member A', async () => {
        if (slowDone) return;
        slowDone = true;
        inBatch();
        await new Promise((r) => setTimeout(r, batchMs));
      });
      a.consumer.on(a.consumer.events.GROUP_JOIN, (e) => ids.push(e.payload.memberId));
      await a.start();
      await started;
      const b = loop('member B', async () => {});
      await b.start();
      // Long enough for A to finish its batch and whatever join follows.
      await waitUntil('member A joined after its batch', async () => ids.length >= 2, batchMs + 30000, 200);
      await Promise.all([a.stop(), b.stop()]);
      return [...new Set(ids)];
    }

    it('keeps the member when the batch ends within the rebalance timeout', async () => {
      expect((await memberIdsOfA(30000, 10000)).length).toBe(1);
    }, 90000);

    it('removes it, to join again as a new member, when the batch outlasts the rebalance timeout (the control)', async () => {
      expect((await memberIdsOfA(6000, 10000)).length).toBe(2);
    }, 90000);
  });
});
