// What the ingester retries: a Kafka broker away for longer than the kafkajs producer's own retries is
// still transient (CI once stopped an ingester for good while the broker restarted under load).
import { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded } from 'kafkajs';
import { isRetriable, withRetry } from '../../src/kafka/retry';

const gaveUp = (cause: Error) => new KafkaJSNumberOfRetriesExceeded(cause, { retryCount: 5, retryTime: 1000 });

describe('isRetriable', () => {
  it('retries a connection error that kafkajs gave up on', () => {
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    expect(refused.retriable).toBe(true);
    expect(gaveUp(refused).retriable).toBe(false); // kafkajs's own verdict
    expect(isRetriable(gaveUp(refused))).toBe(true);
  });

  it('does not retry what kafkajs gave up on for a cause that is not transient', () => {
    expect(isRetriable(gaveUp(new KafkaJSNonRetriableError('the record is too large')))).toBe(false);
    expect(isRetriable(new KafkaJSNonRetriableError('the record is too large'))).toBe(false);
    expect(isRetriable(new Error('a plain error'))).toBe(false);
  });
});

it('withRetry carries a dead-letter send through a broker that stays away past kafkajs retries', async () => {
  let calls = 0;
  const retried: number[] = [];
  const result = await withRetry(
    'produce to the dead-letter topic',
    async () => {
      calls += 1;
      if (calls < 4) throw gaveUp(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092'));
      return 'sent';
    },
    { policy: { initialDelayMs: 1, maxDelayMs: 2 }, shouldContinue: () => true, onRetry: (_e, attempt) => retried.push(attempt) },
  );
  expect(result).toBe('sent');
  expect(calls).toBe(4);
  expect(retried).toEqual([1, 2, 3]);
});
