// Retry with exponential backoff and full jitter for transient failures (ClickHouse or Kafka briefly
// away). Retries as long as the caller still owns the work; errors that retrying cannot fix are thrown.
import { backOff } from 'exponential-backoff';
import { InsiderError } from '../errors';

export interface RetryPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
}

export class Abandoned extends InsiderError {
  constructor(what: string) {
    super('INGEST_ABANDONED', `${what} abandoned: the partition moved to another consumer, or this process is stopping`, { retriable: true });
  }
}

export function isRetriable(err: unknown): boolean {
  if (err instanceof InsiderError) return err.retriable;
  // kafkajs marks its own errors. When its client gives up retrying (a broker down longer than the
  // producer's few retries) it wraps the transient error as non-retriable; a broker away is still
  // transient here, where retrying goes on while the partition is ours.
  if ((err as Error)?.name === 'KafkaJSNumberOfRetriesExceeded') return isRetriable((err as Error).cause);
  return Boolean((err as { retriable?: boolean })?.retriable);
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
