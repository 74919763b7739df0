// The dead-letter topic: every message that cannot become an event goes there with its original
// bytes untouched and headers that say why and where it came from. Produced with acks=all before
// the source offset is committed, so a rejected message is never lost.
import type { IHeaders, KafkaMessage, Producer } from 'kafkajs';
import { chunkMessages, messageBytes } from '../kafka';

export interface DeadLetter {
  topic: string;
  partition: number;
  message: KafkaMessage;
  code: string;
  reason: string;
}

export interface DeadLetterRow {
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: number;
  kafka_ts: number;
  reason_code: string;
  reason: string;
  payload_bytes: number;
  payload_preview: string;
  dead_lettered_at: number;
}

const PREVIEW_BYTES = 512;
/** Dead letters are sent in requests of at most this many bytes: one record batch must stay under the broker's message.max.bytes. */
const SEND_BYTES = 512 * 1024;
/** What a dead letter's headers add to its key and value, about, against SEND_BYTES. */
const HEADER_BYTES = 1024;
/** What is kept of a dead letter's value that the dead-letter topic refuses as too large (the original stays at its source offset). */
const TRUNCATED_BYTES = 64 * 1024;
const MAX_DATETIME = 4294967295;

export function deadLetterTopicFor(sourceTopic: string, configured: string): string {
  return configured || `${sourceTopic}.dlq`;
}

interface OutgoingDeadLetter {
  topic: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
}

/**
 * Produces the dead letters (acks=all), in requests small enough for any broker. A message the topic
 * still refuses as too large (the source message was at the broker's limit, and the dead-letter
 * headers tipped it over) is sent again with its value cut to 64 KiB and `x-dlq-truncated`: a
 * hostile size must not stop the ingester, and the original stays at the source offset.
 */
export async function sendDeadLetters(producer: Producer, items: DeadLetter[], configuredTopic: string): Promise<void> {
  const now = new Date().toISOString();
  // Made one chunk at a time: a fetch of tiny invalid messages (tens of thousands) must not hold all of
  // their outgoing copies at once.
  const outgoing = (item: DeadLetter): OutgoingDeadLetter => {
    const headers: IHeaders = Object.create(null) as IHeaders;
    for (const [k, v] of Object.entries(item.message.headers ?? {})) {
      const kept = headerValue(v);
      if (kept !== undefined) headers[k] = kept;
    }
    Object.assign(headers, {
      'x-dlq-reason-code': item.code,
      'x-dlq-reason': item.reason.toWellFormed(),
      'x-dlq-source-topic': item.topic,
      'x-dlq-source-partition': String(item.partition),
      'x-dlq-source-offset': item.message.offset,
      'x-dlq-source-timestamp': item.message.timestamp,
      'x-dlq-time': now,
    });
    return { topic: deadLetterTopicFor(item.topic, configuredTopic), key: item.message.key, value: item.message.value, headers };
  };
  const copies = function* () {
    for (const item of items) yield outgoing(item);
  };
  for await (const chunk of chunkMessages(copies(), { maxBytes: SEND_BYTES, size: (d) => messageBytes(d, HEADER_BYTES) })) await sendChunk(producer, chunk);
}

async function sendChunk(producer: Producer, chunk: OutgoingDeadLetter[]): Promise<void> {
  try {
    await send(producer, chunk);
  } catch (err) {
    if (!isTooLarge(err)) throw err;
    // One at a time, truncating only the ones the broker refuses.
    for (const d of chunk) {
      try {
        await send(producer, [d]);
      } catch (e) {
        if (!isTooLarge(e)) throw e;
        const original = d.value?.length ?? 0;
        await send(producer, [{ ...d, key: null, value: d.value ? d.value.subarray(0, TRUNCATED_BYTES) : null, headers: { ...d.headers, 'x-dlq-truncated': `value cut to ${TRUNCATED_BYTES} of ${original} bytes and key dropped: the dead-letter topic refused the full message` } }]);
      }
    }
  }
}

async function send(producer: Producer, list: OutgoingDeadLetter[]): Promise<void> {
  const byTopic = new Map<string, Array<{ key: Buffer | null; value: Buffer | null; headers: IHeaders }>>();
  for (const d of list) {
    const l = byTopic.get(d.topic) ?? [];
    byTopic.set(d.topic, l);
    l.push({ key: d.key, value: d.value, headers: d.headers });
  }
  await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
}

/**
 * A source header as it can be produced again. kafkajs decodes headers into a plain object, so a header
 * named "constructor" or "toString" arrives as [Object's own function, its value]: such members (and
 * anything that is not bytes or text) are dropped, never sent, which would stop the ingester.
 */
function headerValue(v: unknown): Buffer | string | Array<Buffer | string> | undefined {
  const ok = (x: unknown): x is Buffer | string => Buffer.isBuffer(x) || typeof x === 'string';
  if (ok(v)) return v;
  if (Array.isArray(v)) {
    const kept = v.filter(ok);
    return kept.length === 0 ? undefined : kept.length === 1 ? kept[0] : kept;
  }
  return undefined;
}

function isTooLarge(err: unknown): boolean {
  const e = err as { type?: string; name?: string; message?: string; cause?: unknown; errors?: unknown[] };
  if (e?.type === 'MESSAGE_TOO_LARGE' || e?.type === 'RECORD_LIST_TOO_LARGE' || /too large/i.test(e?.message ?? '')) return true;
  return Array.isArray(e?.errors) ? e.errors.some(isTooLarge) : e?.cause !== undefined && e.cause !== err && isTooLarge(e.cause);
}

export function deadLetterRow(item: DeadLetter, now: number): DeadLetterRow {
  const value = item.message.value ?? Buffer.alloc(0);
  return {
    kafka_topic: item.topic,
    kafka_partition: item.partition,
    kafka_offset: Number(item.message.offset),
    // The producer sets this timestamp: any int64. Clamped to what DateTime holds, so that no value can
    // make ClickHouse refuse the dead letter (which would stop the ingester).
    kafka_ts: Math.min(MAX_DATETIME, Math.max(0, Math.floor(Number(item.message.timestamp) / 1000) || 0)),
    reason_code: item.code,
    reason: item.reason.toWellFormed(),
    payload_bytes: value.length,
    // A readable start of the payload for data-quality reports; invalid UTF-8 shows as U+FFFD.
    payload_preview: value.subarray(0, PREVIEW_BYTES).toString('utf8'),
    dead_lettered_at: Math.floor(now / 1000),
  };
}
