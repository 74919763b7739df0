// A Kafka topic as a channel, for SIEMs that read Kafka (Splunk Connect for Kafka, Sentinel via Event
// Hubs' Kafka endpoint, Elastic's Kafka input): each alert message as OCSF Detection Findings
// (../ocsf.ts), one a Kafka message, keyed by the alert id so one alert's updates stay in order. The
// delivery id is the finding's metadata.uid: a consumer deduplicates a retried send on it. A failed
// send is retried by the notifier like an HTTP delivery (retriable unless Kafka says otherwise).
import type { Kafka, Producer } from 'kafkajs';
import type { Outcome } from '../http';
import { findingsOf } from '../ocsf';
import type { Message } from '../page';
import type { Channel } from './index';

export function kafkaChannel(name: string, topic: string, kafka: () => Kafka, rate: Channel['rate'], updates: boolean): Channel {
  let producer: Producer | undefined;
  let connecting: Promise<void> | undefined;
  const connect = async (): Promise<Producer> => {
    if (!producer) {
      producer = kafka().producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      connecting = producer.connect();
    }
    await connecting;
    return producer;
  };
  return {
    name,
    type: 'kafka',
    updates,
    rate,
    render: () => undefined,
    async deliver(msg: Message, deliveryId: string, nowMs: number): Promise<Outcome> {
      const records = findingsOf(msg, deliveryId, nowMs);
      try {
        const p = await connect();
        await p.send({
          topic,
          acks: -1,
          messages: records.map((r) => ({ key: String((r.finding_info as { uid: string }).uid), value: JSON.stringify(r), headers: { 'ocsf-class-uid': String(r.class_uid), 'insider-delivery': deliveryId } })),
        });
        return { ok: true, status: 200 };
      } catch (err) {
        const e = err as Error & { retriable?: boolean };
        // A producer that failed to connect is made again on the next attempt.
        producer = undefined;
        return { ok: false, retriable: e.retriable !== false, status: 0, reason: `Kafka: ${e.message}` };
      }
    },
    async close() {
      const p = producer;
      producer = undefined;
      if (p) await connecting?.then(() => p.disconnect()).catch(() => {});
    },
  };
}
