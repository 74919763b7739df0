// What the ingester retries: a Kafka broker away for longer than the kafkajs producer's own retries is
// still transient (CI once stopped an ingester for good while the broker restarted under load).
import { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded } from 'kafkajs';
import { Abandoned, isRetriable, withRetry } from '../../src/kafka/retry';

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

it('withRetry abandons once the caller no longer owns the work, naming the work and no particular stage', async () => {
  // The live detector's alert writes retry through here as the ingester's inserts do (src/kafka is shared).
  let owned = true;
  const attempt = withRetry(
    'storing alerts',
    async () => {
      owned = false;
      throw Object.assign(new Error('ClickHouse unreachable'), { retriable: true });
    },
    { policy: { initialDelayMs: 1, maxDelayMs: 2 }, shouldContinue: () => owned, onRetry: () => {} },
  );
  await expect(attempt).rejects.toBeInstanceOf(Abandoned);
  await expect(attempt).rejects.toThrow('storing alerts abandoned: the partition moved to another consumer, or this process is stopping');
  await expect(attempt).rejects.toMatchObject({ code: 'INGEST_ABANDONED', retriable: true });
});
