// The live engine's days follow the clock (src/detect/engine.ts, `live`): one event dated ahead, as the
// ingest limits allow (up to 24 h), is judged on its day but must not make the events of yesterday that are
// still arriving (a source a few minutes behind) too late to judge. Found by review.
import { loadConfig } from '../../src/config';
import { allowlistFrom } from '../../src/detect/allowlist';
import { catalogFrom } from '../../src/detect/catalog';
import { createEngine } from '../../src/detect/engine';
import type { DetectEvent } from '../../src/detect/event';
import type { DayHistory } from '../../src/detect/history';
import { peopleFrom } from '../../src/detect/people';
import { directoryEntry, handHistory, spread, type PersonDays } from '../helpers/detect-history';
import { at, DAY, MB } from '../helpers/detect-time';

const { detection } = loadConfig({ env: {} }).config;
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
