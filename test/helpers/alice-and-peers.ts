// One employee and her peer group, for the engine's and the takeovers' unit tests with the real engine:
// alice (Sales, usually 50-200 MB a day, knows crm.customers, which is pii) and 38 peers (about 100 MB,
// crm.orders only), their histories built from hand rows as the rollups would give them.
import type { Batch } from 'kafkajs';
import { loadConfig } from '../../src/config';
import { catalogFrom } from '../../src/detect/catalog';
import type { DetectEvent } from '../../src/detect/event';
import type { DayHistory } from '../../src/detect/history';
import { peopleFrom } from '../../src/detect/people';
import { directoryEntry, handHistory, spread, type PersonDays } from './detect-history';
import { MB } from './detect-time';

export const { detection } = loadConfig({ env: {} }).config;
const PEERS = Array.from({ length: 38 }, (_, i) => `peer${i + 1}`);
export const people = peopleFrom([directoryEntry('alice', 'Sales', 'sales_ops'), ...PEERS.map((id) => directoryEntry(id, 'Sales', 'sales_ops'))]);
export const catalog = catalogFrom([{ database: 'crm', table: 'customers', sensitivity: 'pii' }]);
const usual = (d: number) => [50, 80, 100, 120, 200][d % 5] * MB;
const USERS: Record<string, PersonDays> = {
  alice: { daily: usual, tables: ['crm.customers', 'crm.orders'] },
  ...Object.fromEntries(PEERS.map((id, i) => [id, { daily: spread(100 * MB, 0.5, 29 * i), tables: ['crm.orders'] }])),
};

/** Every day's history, built once per test file (with the default detection settings unless others are given). */
export function historiesOf(settings = detection): (day: number) => Promise<DayHistory> {
  const histories = new Map<number, DayHistory>();
  return async (day) => {
    let h = histories.get(day);
    if (!h) histories.set(day, (h = handHistory(day, USERS, settings, people)));
    return h;
  };
}

/** One of alice's events. */
export const ev = (id: string, ts: number, bytes: number, table = 'crm.orders'): DetectEvent => ({ eventId: id, ts, user: 'alice', action: 'SELECT', bytes, rows: 1, table, clientIp: '', clientApp: '', sessionId: 's', ok: true });

/** A Kafka batch as the partitions see it: its topic, partition and offsets. */
export const batchOf = (topic: string, partition: number, offsets: number[]): Batch =>
  ({ topic, partition, messages: offsets.map((o) => ({ offset: String(o) })), firstOffset: () => String(offsets[0]) }) as unknown as Batch;
