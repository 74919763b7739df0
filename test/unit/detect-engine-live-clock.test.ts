// The live engine's days follow the clock (src/detect/engine.ts, `live`): one event dated ahead, as the
// ingest limits allow (up to 24 h), is judged on its day but must not make the events of yesterday that are
// still arriving (a source a few minutes behind) too late to judge. Found by review.
import { allowlistFrom } from '../../src/detect/allowlist';
import { createEngine } from '../../src/detect/engine';
import { catalog, detection, ev, historiesOf, people } from '../helpers/alice-and-peers';
import { at, DAY, MB } from '../helpers/detect-time';

const history = historiesOf();

describe('the live engine, one event dated ahead', () => {
  // It is 00:30 on DAY. A message dated DAY+1 00:10 (23.7 h ahead) arrives; then alice's export of
  // 23:40-23:55 yesterday, from a source that lags.
  const run = async (live: boolean) => {
    const engine = createEngine({ detection, people, catalog, allowlist: allowlistFrom([]), history, now: () => at(DAY, 0, 30), live });
    await engine.process([ev('y-m0', at(DAY - 1, 23, 0), 10 * MB)]);
    await engine.process([{ ...ev('ahead', at(DAY + 1, 0, 10), 1), user: 'peer1' }]);
    const late = Array.from({ length: 10 }, (_, i) => ev(`y-x${i}`, at(DAY - 1, 23, 40 + i), 520 * MB, 'crm.customers'));
    const alerts = await engine.process(late);
    return { alerts, stats: engine.stats() };
  };

  it("still judges yesterday's events, and the event dated ahead on its own day", async () => {
    const { alerts, stats } = await run(true);
    expect(stats.late).toBe(0);
    expect(stats.events).toBe(12);
    expect(alerts.length).toBeGreaterThan(0);
    expect(alerts.every((a) => a.user === 'alice')).toBe(true);
  });

  it("leaves a replay's days to its events (its clock is not theirs)", async () => {
    const { alerts, stats } = await run(false);
    expect(stats.late).toBe(10);
    expect(alerts).toEqual([]);
  });
});
