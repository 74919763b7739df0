// The limits on what one record batch, and one fetch, may put in a consumer's memory (batch-guard.ts),
// and the error that makes a batch unread rather than read. Apart from the guard so that the codecs and
// the record decoder can check them without importing it.
import { InsiderError, type ErrorContext } from '../errors';

export interface BatchLimits {
  /** Decompressed bytes of one record batch (headers count 64 more each in a fetch); a fetch holds about this, three times at most (default 16 MiB). */
  maxBytes: number;
  /** Records of one record batch (and ten times this in headers); a fetch holds about this, twice at most (default 20,000). */
  maxRecords: number;
}

const limits: BatchLimits = { maxBytes: 16 * 1024 * 1024, maxRecords: 20_000 };

export function batchLimits(): Readonly<BatchLimits> {
  return limits;
}

export function setBatchLimits(options: Partial<BatchLimits>): void {
  Object.assign(limits, options);
}

/** A batch that would cost more than the limits to read (what it decompresses to, its headers): it is not read. */
export class BatchTooLarge extends InsiderError {
  constructor(why: string, context: ErrorContext = {}) {
    super('KAFKA_BATCH_TOO_LARGE', why, { context });
  }

  /** A codec found the batch's output would pass maxBytes; thrown before it is decompressed. */
  static decompressing(codec: string, atLeast: number): BatchTooLarge {
    return new BatchTooLarge(`the ${codec} batch decompresses to more than ${limits.maxBytes} bytes, the limit (at least ${atLeast})`, { codec, atLeast });
  }
}
