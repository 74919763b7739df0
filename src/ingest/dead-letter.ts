// The dead-letter topic: every message that cannot become an event goes there with its original
// bytes untouched and headers that say why and where it came from. Produced with acks=all before
// the source offset is committed, so a rejected message is never lost.
import type { IHeaders, KafkaMessage, Producer } from 'kafkajs';

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

export function deadLetterTopicFor(sourceTopic: string, configured: string): string {
  return configured || `${sourceTopic}.dlq`;
}

export async function sendDeadLetters(producer: Producer, items: DeadLetter[], configuredTopic: string): Promise<void> {
  const byTopic = new Map<string, Array<{ key: Buffer | null; value: Buffer | null; headers: IHeaders }>>();
  const now = new Date().toISOString();
  for (const item of items) {
    const target = deadLetterTopicFor(item.topic, configuredTopic);
    const list = byTopic.get(target) ?? [];
    byTopic.set(target, list);
    list.push({
      key: item.message.key,
      value: item.message.value,
      headers: {
        ...(item.message.headers ?? {}),
        'x-dlq-reason-code': item.code,
        'x-dlq-reason': item.reason,
        'x-dlq-source-topic': item.topic,
        'x-dlq-source-partition': String(item.partition),
        'x-dlq-source-offset': item.message.offset,
        'x-dlq-source-timestamp': item.message.timestamp,
        'x-dlq-time': now,
      },
    });
  }
  await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
}

export function deadLetterRow(item: DeadLetter, now: number): DeadLetterRow {
  const value = item.message.value ?? Buffer.alloc(0);
  return {
    kafka_topic: item.topic,
    kafka_partition: item.partition,
    kafka_offset: Number(item.message.offset),
    kafka_ts: Math.floor(Number(item.message.timestamp) / 1000) || 0,
    reason_code: item.code,
    reason: item.reason,
    payload_bytes: value.length,
    // A readable start of the payload for data-quality reports; invalid UTF-8 shows as U+FFFD.
    payload_preview: value.subarray(0, PREVIEW_BYTES).toString('utf8'),
    dead_lettered_at: Math.floor(now / 1000),
  };
}
