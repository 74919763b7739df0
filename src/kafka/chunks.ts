// Our producers' requests, cut to size. kafkajs makes one record batch per partition of a send: a send
// must stay under the brokers' message.max.bytes (about 1 MB by default) and under the consumers'
// record limit (kafka.maxBatchRecords), past which a batch is not read (batch-guard.ts).

/** A message as our producers build it: its key and value, text or bytes. */
export interface Sized {
  key?: string | Buffer | null;
  value: string | Buffer | null;
}

export interface ChunkLimits<T> {
  /** Messages per chunk at most (default: no limit). */
  maxMessages?: number;
  /** Bytes per chunk at most, as `size` counts them; a message larger than this goes alone. */
  maxBytes: number;
  /** What a message costs against maxBytes (default: messageBytes). */
  size?: (message: T) => number;
}

/** Bytes per record beyond its key and value (its framing and its share of the batch). */
export const RECORD_OVERHEAD = 64;

/** A message's bytes as sent: its key and value in UTF-8 (or their buffers' length), and `overhead` more. */
export function messageBytes(message: Sized, overhead = RECORD_OVERHEAD): number {
  return Buffer.byteLength(message.key ?? '') + Buffer.byteLength(message.value ?? '') + overhead;
}

/**
 * The messages in order, in chunks of at most `maxMessages` and `maxBytes`. A chunk is given as soon
 * as it is full, or when the next message would pass the byte limit; the messages are taken one at a
 * time, so a lazy source (an iterator that builds each message) holds no more than a chunk at once.
 */
export async function* chunkMessages<T extends Sized>(messages: Iterable<T> | AsyncIterable<T>, limits: ChunkLimits<T>): AsyncGenerator<T[]> {
  const { maxMessages = Infinity, maxBytes } = limits;
  const size = limits.size ?? ((m: T) => messageBytes(m));
  let chunk: T[] = [];
  let bytes = 0;
  for await (const message of messages) {
    const cost = size(message);
    if (chunk.length > 0 && bytes + cost > maxBytes) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(message);
    bytes += cost;
    if (chunk.length >= maxMessages) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
  }
  if (chunk.length > 0) yield chunk;
}
