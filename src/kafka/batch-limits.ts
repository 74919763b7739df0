// The limits on what one record batch, and one fetch, may put in a consumer's memory (batch-guard.ts),
// and the errors that make a batch unread rather than read. Apart from the guard so that the codecs and
// the record decoder can check them without importing it.
import { InsiderError } from '../errors';

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

/** A codec found the batch's output would pass maxBytes; thrown before it is decompressed. */
export class BatchTooLarge extends InsiderError {
  constructor(codec: string, atLeast: number) {
    super('KAFKA_BATCH_TOO_LARGE', `the ${codec} batch decompresses to more than ${limits.maxBytes} bytes, the limit (at least ${atLeast})`, { context: { codec, atLeast } });
  }
}

/** A batch that would cost more than the limits to read for another reason than its size (its headers). */
export class BatchUnreadable extends InsiderError {
  constructor(why: string) {
    super('KAFKA_BATCH_TOO_LARGE', why);
  }
}
