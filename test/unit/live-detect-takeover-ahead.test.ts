// A takeover rebuilds from every stored event since yesterday, events dated ahead included (the live
// engine judges them on their own day), and judges the batch it takes over, dated ahead maybe: so it
// restores the stored alerts of every day an event may be dated (ingest.maxFutureSkewMs) — an alert
// of tomorrow, raised before midnight by the previous owner, is continued, not raised again.
import type { AlertRecord } from '../../src/alerts/types';
import { MS_PER_DAY } from '../../src/calendar';
import { allowlistFrom } from '../../src/detect/allowlist';
import { createEngine } from '../../src/detect/engine';
import { createLogger } from '../../src/log';
import { partitionsOf, type TakeoverReads } from '../../src/live-detect/partitions';
import { batchOf, catalog, detection, ev, historiesOf, people } from '../helpers/alice-and-peers';
import { at, DAY, MB } from '../helpers/detect-time';

const log = createLogger({ level: 'silent' });
const history = historiesOf();

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

  it('continues the stored alert of the batch taken over itself, dated ahead (its previous owner died before committing)', async () => {
    const clock = at(DAY, 23, 0);
    jest.spyOn(Date, 'now').mockReturnValue(clock);
    const exportEvents = Array.from({ length: 10 }, (_, i) => ev(`x${i}`, at(DAY + 1, 0, 10 + i), 520 * MB, 'crm.customers'));
    const a = createEngine({ detection, people, catalog, allowlist: allowlistFrom([]), history, now: () => clock, live: true });
    const stored: AlertRecord[] = await a.process(exportEvents);
    expect(stored.length).toBeGreaterThan(0);
    // Nothing of the partition stored below the batch: the rebuild's events say nothing of tomorrow.
    const reads: TakeoverReads = {
      ingestedBelow: async () => new Map([[0, 1_000_000n]]),
      partitionEvents: async () => [],
      employeeEvents: async () => [],
      alerts: async (first, last) => stored.filter((r) => r.windowEnd > first * MS_PER_DAY && r.windowStart < (last + 1) * MS_PER_DAY),
    };
    const b = createEngine({ detection, people, catalog, allowlist: allowlistFrom([]), history, now: () => clock, live: true });
    const partitions = partitionsOf(reads, b, log);
    partitions.assigned({ t: [0] }, 'm2');
    const taken = (await partitions.enter(batchOf('t', 0, Array.from({ length: 10 }, (_, i) => 500 + i))))!;
    const again = [...taken.alerts, ...(await b.process(exportEvents))].map((r) => `${r.alertId}#${r.revision}`);
    const before = new Set(stored.map((r) => `${r.alertId}#${r.revision}`));
    expect(again.filter((k) => before.has(k))).toEqual([]);
  });
});
