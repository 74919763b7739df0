// Retry with exponential backoff and full jitter for transient failures (ClickHouse or Kafka briefly
// away). Retries as long as the caller still owns the work; errors that retrying cannot fix are thrown.
import { backOff } from 'exponential-backoff';
import { InsiderError } from '../errors';

export interface RetryPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
}

/** A consumer's batch given up before its commit (an ingester's or a live detector's); Kafka delivers it again. */
export class Abandoned extends InsiderError {
  constructor(what: string) {
    super('KAFKA_BATCH_ABANDONED', `${what} abandoned: the partition moved to another consumer, the group rebalanced, or this process is stopping`, { retriable: true });
  }
}

export function isRetriable(err: unknown): boolean {
  if (err instanceof InsiderError) return err.retriable;
  // kafkajs marks its own errors. When its client gives up retrying (a broker down longer than the
  // client's few retries) it wraps the transient error as non-retriable, and a retrier around that one
  // wraps it again (KafkaJSNonRetriableError, the first cause kept); a broker away is still transient
  // here, where retrying goes on while the partition is ours. What kafkajs refuses for good (an
  // authorisation failure, a bug) has a cause that is not retriable itself.
  const name = (err as Error)?.name;
  if (name === 'KafkaJSNumberOfRetriesExceeded' || name === 'KafkaJSNonRetriableError') {
    const cause = (err as Error).cause;
    return cause !== undefined && cause !== err && isRetriable(cause);
  }
  return Boolean((err as { retriable?: boolean })?.retriable);
}

/**
 * A transient failure kafkajs itself gave up on, as an error it restarts the consumer from: kafkajs
 * restarts after a crash only when the error says it is retriable, and it says so of neither wrapper.
 */
export function asRestartable(err: unknown): Error {
  if ((err as { retriable?: boolean })?.retriable === true) return err as Error;
  return new InsiderError('KAFKA_UNAVAILABLE', `Kafka unavailable: ${(err as Error)?.message ?? String(err)}`, { retriable: true, cause: err });
}

export async function withRetry<T>(
  what: string,
  fn: () => Promise<T>,
  opts: { policy: RetryPolicy; shouldContinue: () => boolean; onRetry: (err: unknown, attempt: number) => void },
): Promise<T> {
  if (!opts.shouldContinue()) throw new Abandoned(what);
  return backOff(
    async () => {
      if (!opts.shouldContinue()) throw new Abandoned(what);
      return fn();
    },
    {
      numOfAttempts: Number.MAX_SAFE_INTEGER,
      startingDelay: opts.policy.initialDelayMs,
      maxDelay: opts.policy.maxDelayMs,
      timeMultiple: 2,
      jitter: 'full',
      retry: (err, attempt) => {
        if (err instanceof Abandoned || !isRetriable(err)) return false;
        opts.onRetry(err, attempt);
        return opts.shouldContinue();
      },
    },
  ).catch((err: unknown) => {
    if (isRetriable(err) && !(err instanceof Abandoned) && !opts.shouldContinue()) throw new Abandoned(what);
    throw err;
  });
}
