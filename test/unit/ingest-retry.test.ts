// What the ingester retries: a Kafka broker away for longer than the kafkajs producer's own retries is
// still transient (CI once stopped an ingester for good while the broker restarted under load).
import { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded } from 'kafkajs';
import { InsiderError } from '../../src/errors';
import { Abandoned, asRestartable, isRetriable, withRetry } from '../../src/kafka/retry';

const gaveUp = (cause: Error) => new KafkaJSNumberOfRetriesExceeded(cause, { retryCount: 5, retryTime: 1000 });
/** As kafkajs's retrier wraps what an inner retrier gave up on (its types omit the constructor's options). */
const wrappedAgain = (e: Error, cause: Error) => new (KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => KafkaJSNonRetriableError)(e, { cause });

describe('isRetriable', () => {
  it('retries a connection error that kafkajs gave up on', () => {
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    expect(refused.retriable).toBe(true);
    expect(gaveUp(refused).retriable).toBe(false); // kafkajs's own verdict
    expect(isRetriable(gaveUp(refused))).toBe(true);
  });

  it('retries a connection error that a kafkajs retrier around another gave up on (the wrapper of the wrapper)', () => {
    // kafkajs's retrier rejects with KafkaJSNonRetriableError(e, { cause: e.cause || e }) when the inner
    // retrier already gave up (a consumer heartbeat through a broker pool that could not reconnect).
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    const twice = wrappedAgain(gaveUp(refused), refused);
    expect(twice.retriable).toBe(false);
    expect(isRetriable(twice)).toBe(true);
    // What the consumer is handed to restart from: retriable in kafkajs's eyes, the broker's message kept.
    const restart = asRestartable(twice);
    expect([restart.name, (restart as InsiderError).code, (restart as { retriable?: boolean }).retriable, restart.message]).toEqual([
      'InsiderError',
      'KAFKA_UNAVAILABLE',
      true,
      'Kafka unavailable: Connection error: connect ECONNREFUSED 127.0.0.1:9092',
    ]);
    expect(asRestartable(refused)).toBe(refused);
  });

  it('does not retry what kafkajs gave up on for a cause that is not transient', () => {
    expect(isRetriable(gaveUp(new KafkaJSNonRetriableError('the record is too large')))).toBe(false);
    expect(isRetriable(new KafkaJSNonRetriableError('the record is too large'))).toBe(false);
    const tooLarge = new KafkaJSNonRetriableError('the record is too large');
    expect(isRetriable(wrappedAgain(gaveUp(tooLarge), tooLarge))).toBe(false);
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
  await expect(attempt).rejects.toThrow('storing alerts abandoned: the partition moved to another consumer, the group rebalanced, or this process is stopping');
  await expect(attempt).rejects.toMatchObject({ code: 'KAFKA_BATCH_ABANDONED', retriable: true });
});
