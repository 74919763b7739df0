// A takeover rebuilds from every stored event since yesterday, events dated ahead included (the live
// engine judges them on their own day), and judges the batch it takes over, dated ahead maybe: so it
// restores the stored alerts of every day an event may be dated (ingest.maxFutureSkewMs) — an alert
// of tomorrow, raised before midnight by the previous owner, is continued, not raised again.
import type { AlertRecord } from '../../src/alerts/types';
import { MS_PER_DAY } from '../../src/calendar';
import { allowlistFrom } from '../../src/detect/allowlist';
import { createEngine } from '../../src/detect/engine';
import { createLogger } from '../../src/log';
import { partitionsOf } from '../../src/live-detect/partitions';
import type { TakeoverReads } from '../../src/live-detect/takeover-reads';
import { batchOf, catalog, detection, ev, historiesOf, people } from '../helpers/alice-and-peers';
import { at, DAY, MB } from '../helpers/detect-time';

const log = createLogger({ level: 'silent' });
const history = historiesOf();

describe('a takeover in the hour before midnight', () => {
  afterEach(() => jest.restoreAllMocks());
  const clock = at(DAY, 23, 0);
  // A source whose clock is 70 minutes fast: alice's export is dated tomorrow 00:10-00:19.
  const exportEvents = Array.from({ length: 10 }, (_, i) => ev(`x${i}`, at(DAY + 1, 0, 10 + i), 520 * MB, 'crm.customers'));
  const engineAt = () => createEngine({ detection, people, catalog, allowlist: allowlistFrom([]), history, now: () => clock, live: true });
  const keys = (alerts: AlertRecord[]) => alerts.map((r) => `${r.alertId}#${r.revision}`);

  /**
   * Detector A judges the export and stores its alert; detector B is then given the partition, where the
   * export lies below the batch it starts at (`stored`: committed by A) or is that batch (A died before
   * committing). What B raises (live.ts stores it) that A had stored already.
   */
  async function storedAgain(where: 'stored' | 'batch'): Promise<string[]> {
    jest.spyOn(Date, 'now').mockReturnValue(clock);
    const stored = await engineAt().process(exportEvents);
    expect(stored.length).toBeGreaterThan(0);
    const reads: TakeoverReads = {
      ingestedBelow: async () => new Map([[0, 1_000_000n]]),
      partitionEvents: async () => (where === 'stored' ? exportEvents : []),
      employeeEvents: async () => [],
      // As alertRevisionsEverywhere's WHERE: window_end > first and window_start < last + 1.
      alerts: async (first, last) => stored.filter((r) => r.windowEnd > first * MS_PER_DAY && r.windowStart < (last + 1) * MS_PER_DAY),
    };
    const b = engineAt();
    const partitions = partitionsOf(reads, b, log);
    partitions.assigned({ t: [0] }, 'm2');
    const taken = (await partitions.enter(batchOf('t', 0, where === 'stored' ? [500] : exportEvents.map((_, i) => 500 + i))))!;
    const again = [...taken.alerts, ...(where === 'batch' ? await b.process(exportEvents) : [])];
    const before = new Set(keys(stored));
    return keys(again).filter((k) => before.has(k));
  }

  it('continues the stored alert of an event dated ahead below the batch, not raises it again as revision 1', async () => {
    expect(await storedAgain('stored')).toEqual([]);
  });

  it('continues the stored alert of the batch taken over itself, dated ahead (its previous owner died before committing)', async () => {
    expect(await storedAgain('batch')).toEqual([]);
  });
});
