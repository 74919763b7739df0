// A takeover rebuilds from every stored event since yesterday, events dated ahead included (the live
// engine judges them on their own day), so it must also restore the stored alerts of those days: an
// alert of tomorrow, raised before midnight by the previous owner, is continued, not raised again.
import type { Batch } from 'kafkajs';
import type { AlertRecord } from '../../src/alerts/types';
import { MS_PER_DAY } from '../../src/calendar';
import { loadConfig } from '../../src/config';
import { allowlistFrom } from '../../src/detect/allowlist';
import { catalogFrom } from '../../src/detect/catalog';
import { createEngine } from '../../src/detect/engine';
import type { DetectEvent } from '../../src/detect/event';
import type { DayHistory } from '../../src/detect/history';
import { peopleFrom } from '../../src/detect/people';
import { createLogger } from '../../src/log';
import { partitionsOf, type TakeoverReads } from '../../src/live-detect/partitions';
import { directoryEntry, handHistory, spread, type PersonDays } from '../helpers/detect-history';
import { at, DAY, MB } from '../helpers/detect-time';

const { detection } = loadConfig({ env: {} }).config;
const log = createLogger({ level: 'silent' });
const PEERS = Array.from({ length: 38 }, (_, i) => `peer${i + 1}`);
const people = peopleFrom([directoryEntry('alice', 'Sales', 'sales_ops'), ...PEERS.map((id) => directoryEntry(id, 'Sales', 'sales_ops'))]);
const catalog = catalogFrom([{ database: 'crm', table: 'customers', sensitivity: 'pii' }]);
const usual = (d: number) => [50, 80, 100, 120, 200][d % 5] * MB;
const USERS: Record<string, PersonDays> = {
  alice: { daily: usual, tables: ['crm.customers', 'crm.orders'] },
  ...Object.fromEntries(PEERS.map((id, i) => [id, { daily: spread(100 * MB, 0.5, 29 * i), tables: ['crm.orders'] }])),
};
const histories = new Map<number, DayHistory>();
const history = async (day: number) => {
  let h = histories.get(day);
  if (!h) histories.set(day, (h = handHistory(day, USERS, detection, people)));
  return h;
};
const ev = (id: string, ts: number, bytes: number, table = 'crm.orders'): DetectEvent => ({ eventId: id, ts, user: 'alice', action: 'SELECT', bytes, rows: 1, table, clientIp: '', clientApp: '', sessionId: 's', ok: true });
const batchOf = (topic: string, partition: number, offsets: number[]): Batch =>
  ({ topic, partition, messages: offsets.map((o) => ({ offset: String(o) })), firstOffset: () => String(offsets[0]) }) as unknown as Batch;

describe('a takeover in the hour before midnight', () => {
  afterEach(() => jest.restoreAllMocks());

  it("continues the stored alert of an event dated ahead, not raises it again as revision 1", async () => {
    const clock = at(DAY, 23, 0);
    jest.spyOn(Date, 'now').mockReturnValue(clock);
    // A source whose clock is 70 minutes fast: alice's export is dated tomorrow 00:10-00:19.
    const exportEvents = Array.from({ length: 10 }, (_, i) => ev(`x${i}`, at(DAY + 1, 0, 10 + i), 520 * MB, 'crm.customers'));
    // Detector A judges and stores the alert (the batch is committed).
    const a = createEngine({ detection, people, catalog, allowlist: allowlistFrom([]), history, now: () => clock, live: true });
    const stored: AlertRecord[] = await a.process(exportEvents);
    expect(stored.length).toBeGreaterThan(0);
    // A rebalance gives the partition to detector B; the stored events lie below where it starts.
    const reads: TakeoverReads = {
      ingestedBelow: async () => new Map([[0, 1_000_000n]]),
      partitionEvents: async () => exportEvents,
      employeeEvents: async () => [],
      // As alertRevisionsEverywhere's WHERE: window_end > first and window_start < last + 1.
      alerts: async (first, last) => stored.filter((r) => r.windowEnd > first * MS_PER_DAY && r.windowStart < (last + 1) * MS_PER_DAY),
    };
    const b = createEngine({ detection, people, catalog, allowlist: allowlistFrom([]), history, now: () => clock, live: true });
    const partitions = partitionsOf(reads, b, log);
    partitions.assigned({ t: [0] }, 'm2');
    const taken = (await partitions.enter(batchOf('t', 0, [500])))!;
    const again = taken.alerts.map((r) => `${r.alertId}#${r.revision}`);
    const before = new Set(stored.map((r) => `${r.alertId}#${r.revision}`));
    // Without the days ahead restored, B's takeover returns (and live.ts stores) the same revisions again.
    expect(again.filter((k) => before.has(k))).toEqual([]);
  });
});
