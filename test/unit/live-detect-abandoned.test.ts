// Takeovers with the real engine (src/live-detect/partitions.ts): a batch judged but not stored (its alerts
// never written) and delivered again to the same detector raises its alert revisions again, also when its
// employee is held through a partition of another topic too (one topic per database source). Found by review.
import type { AlertRecord } from '../../src/alerts/types';
import { dayOf, MS_PER_DAY } from '../../src/calendar';
import { allowlistFrom } from '../../src/detect/allowlist';
import { createEngine } from '../../src/detect/engine';
import type { DetectEvent } from '../../src/detect/event';
import type { DayHistory } from '../../src/detect/history';
import { gpdTail } from '../../src/detect/statistics/tail';
import { createLogger } from '../../src/log';
import type { Writers } from '../../src/live-detect/alert-writes';
import { partitionsOf } from '../../src/live-detect/partitions';
import type { PartitionBelow, TakeoverReads } from '../../src/live-detect/takeover-reads';
import { batchOf, catalog, detection, ev, historiesOf, people } from '../helpers/alice-and-peers';
import { handHistory, spread, type PersonDays } from '../helpers/detect-history';
import { at, DAY, MB } from '../helpers/detect-time';

/** Whose alert inserts a read of the stored alerts waited for: writers' prefixes, and inserts by query id. */
interface Waited {
  writers: Writers[];
  queryIds: string[];
}

const log = createLogger({ level: 'silent' });
const history = historiesOf();

describe('a takeover after a batch judged but not stored', () => {
  it('raises again the alert of a batch judged but not stored, when the batch comes back to this detector', async () => {
    // Alice's usual morning on topic u (pgaudit, say), held by this detector; her export arrives on topic t
    // (another source), where she has no event stored below the batch.
    const morning = Array.from({ length: 5 }, (_, i) => ev(`m${i}`, at(DAY, 8, i), 10 * MB));
    const exportEvents = Array.from({ length: 10 }, (_, i) => ev(`x${i}`, at(DAY, 10, i), 520 * MB, 'crm.customers'));
    const reads: TakeoverReads = {
      ingestedBelow: async () => new Map([[0, 1_000_000n]]),
      partitionEvents: async (_since, topic) => (topic === 'u' ? morning : []),
      employeeEvents: async () => [],
      alerts: async () => [] as AlertRecord[],
    };
    const engine = createEngine({ detection, people, catalog, allowlist: allowlistFrom([]), history, now: () => at(DAY, 12) });
    const partitions = partitionsOf(reads, engine, log);
    partitions.assigned({ t: [0], u: [0] }, 'm1');
    await partitions.enter(batchOf('u', 0, [5]));
    partitions.judged(batchOf('u', 0, [5]), []);

    // First delivery of t/0's batch: judged, alerts raised, then not stored (the store failed, or a join
    // that kept t/0 here made it a batch of a generation gone by: live.ts throws Abandoned).
    const b = batchOf('t', 0, [100]);
    const taken1 = (await partitions.enter(b))!;
    const first = [...taken1.alerts, ...(await engine.process(exportEvents))];
    expect(first.length).toBeGreaterThan(0);
    partitions.abandon(b, exportEvents);

    // Delivered again to this detector (its offset was never committed): the alert must be raised again.
    const taken2 = (await partitions.enter(b))!;
    const second = [...taken2.alerts, ...(await engine.process(exportEvents))];
    expect(second.map((a) => a.revision)).toEqual(first.map((a) => a.revision));
  });
});

// Only the sensitive-volume policy, at 1 GB a day: 600 MB on each of two topics crosses it together only.
const only = Object.fromEntries(Object.entries(detection.detectors).map(([k, v]) => [k, { ...(v as object), enabled: k === 'sensitive' }])) as typeof detection.detectors;
const oneGb = { ...detection, detectors: { ...only, sensitive: { ...only.sensitive, dailyBytes: 1e9 } } };
const big = (id: string, ts: number, bytes = 600 * MB) => ev(id, ts, bytes, 'crm.customers');

describe('a batch judged but not stored, whose employee is held through another topic', () => {
  const morning = [big('u1', at(DAY, 9))];
  const afternoon = [big('t1', at(DAY, 11))];
  /** The morning is stored on u/0; nothing of alice's below the batch on t/0. */
  const reads: TakeoverReads = {
    ingestedBelow: async () => new Map([[0, 1_000_000n]]),
    partitionEvents: async (_since, topic) => (topic === 'u' ? morning : []),
    employeeEvents: async (_since, users, parts) => (users.includes('alice') && parts.some((p) => p.topic === 'u') ? morning : []),
    alerts: async () => [] as AlertRecord[],
  };
  afterEach(() => jest.restoreAllMocks());

  /** u/0 held with alice's morning; t/0's batch judged (the alert raised), then abandoned. */
  async function abandoned() {
    jest.spyOn(Date, 'now').mockReturnValue(at(DAY, 12));
    const engine = createEngine({ detection: oneGb, people, catalog, allowlist: allowlistFrom([]), history, now: () => at(DAY, 12), live: true });
    const partitions = partitionsOf(reads, engine, log);
    partitions.assigned({ t: [0], u: [0] }, 'm1');
    const bu = batchOf('u', 0, [5]);
    expect((await partitions.enter(bu))!.alerts).toEqual([]);
    partitions.judged(bu, []);
    const bt = batchOf('t', 0, [100]);
    const first = [...(await partitions.enter(bt))!.alerts, ...(await engine.process(afternoon))];
    expect(first.map((a) => [a.detectors, a.revision])).toEqual([[['sensitive'], 1]]);
    partitions.abandon(bt, afternoon);
    return { engine, partitions, bt };
  }

  it('raises the alert again when the batch comes back first, from both topics\' events', async () => {
    const { engine, partitions, bt } = await abandoned();
    const second = [...(await partitions.enter(bt))!.alerts, ...(await engine.process(afternoon))];
    expect(second.map((a) => a.revision)).toEqual([1]);
  });

  it("raises it again when the other topic's next batch comes first, without taking that partition over", async () => {
    const { engine, partitions, bt } = await abandoned();
    const bu = batchOf('u', 0, [6]);
    const between = (await partitions.enter(bu))!;
    // Alice rebuilt from her stored morning before u/0's next batch is judged (600 MB: no alert yet).
    expect(between.events).toBe(1);
    const small = [ev('u2', at(DAY, 11, 30), 10 * MB, 'crm.customers')];
    expect([...between.alerts, ...(await engine.process(small))]).toEqual([]);
    partitions.judged(bu, small);
    const second = [...(await partitions.enter(bt))!.alerts, ...(await engine.process(afternoon))];
    expect(second.map((a) => a.revision)).toEqual([1]);
  });
});

describe('employees made stale by a batch judged but not stored', () => {
  afterEach(() => jest.restoreAllMocks());

  /** What ClickHouse holds, by topic (partition 0 of each), and the alerts stored; `failing` fails the alerts' read. */
  function store() {
    const events: Record<string, DetectEvent[]> = { t: [], u: [], w: [] };
    const alerts: AlertRecord[] = [];
    const state = { failing: false };
    /** The partitions each read of employees' events asked for, and the topics taken over. */
    const asked: PartitionBelow[][] = [];
    const taken: string[] = [];
    /** Whose alert inserts each read of the stored alerts waited for first (writers, and inserts by query id). */
    const waited: Waited[] = [];
    const reads: TakeoverReads & { asked: PartitionBelow[][]; taken: string[]; waited: Waited[] } = {
      asked,
      taken,
      waited,
      ingestedBelow: async () => new Map([[0, 1_000_000n]]),
      partitionEvents: async (_s, topic) => {
        taken.push(topic);
        return events[topic] ?? [];
      },
      employeeEvents: async (_s, users, parts) => {
        asked.push([...parts]);
        return parts.flatMap((p) => (events[p.topic] ?? []).filter((e) => users.includes(e.user))).sort((a, b) => a.ts - b.ts);
      },
      alerts: async (first, last, { writers, queryIds }) => {
        waited.push({ writers: [...writers], queryIds: [...queryIds] });
        if (state.failing) throw new Error('ClickHouse: timeout');
        return alerts.filter((r) => r.windowEnd > first * MS_PER_DAY && r.windowStart < (last + 1) * MS_PER_DAY);
      },
    };
    jest.spyOn(Date, 'now').mockReturnValue(at(DAY, 12));
    const engine = createEngine({ detection: oneGb, people, catalog, allowlist: allowlistFrom([]), history, now: () => at(DAY, 12), live: true });
    const partitions = partitionsOf(reads, engine, log);
    /**
     * A batch entered and judged; stored (events, and alerts unless `abandon`) as live.ts does. Given up,
     * its alert insert's answer lost, unless `answered`: the insert's query id is `lost <topic>/<offset>`.
     */
    const judge = async (topic: string, offset: number, batchEvents: DetectEvent[], o: { abandon?: boolean; answered?: boolean } = {}) => {
      const b = batchOf(topic, 0, [offset]);
      const out = [...(await partitions.enter(b))!.alerts, ...(await engine.process(batchEvents))];
      if (o.abandon) {
        partitions.abandon(b, batchEvents, out, o.answered ? undefined : `lost ${topic}/${offset}`);
        return out;
      }
      partitions.judged(b, batchEvents);
      events[topic].push(...batchEvents);
      alerts.push(...out);
      engine.settled(out);
      return out;
    };
    return { alerts, events, state, partitions, judge, reads };
  }
  const keys = (alerts: AlertRecord[]) => alerts.map((a) => `${a.alertId}#${a.revision}`);
  /** Whose alert inserts a read waited for: topic/partition, topic/* for every partition of a topic, and query ids. */
  const named = ({ writers, queryIds }: Waited) => [...writers.map((w) => `${w.topic}/${w.partition ?? '*'}`), ...queryIds].sort();

  it('are rebuilt before a batch of any held partition, also one that carries their first event there', async () => {
    const { alerts, partitions, judge } = store();
    partitions.assigned({ t: [0], u: [0], w: [0] }, 'm1');
    for (const topic of ['w', 't']) expect(await judge(topic, 1, [])).toEqual([]);
    // u/0: alice's 1.2 GB morning, revision 1 raised and stored; t/0: 3 GB more, revision 2, abandoned.
    expect((await judge('u', 5, [big('u1', at(DAY, 9), 1200 * MB)])).map((a) => a.revision)).toEqual([1]);
    expect((await judge('t', 2, [big('t1', at(DAY, 11), 3000 * MB)], { abandon: true })).map((a) => a.revision)).toEqual([2]);
    // w/0's next batch first, alice's first event there: her stored revision 1 is continued, not raised again.
    const before = new Set(keys(alerts));
    const out = await judge('w', 2, [big('w1', at(DAY, 11, 30), 1500 * MB)]);
    expect(keys(out).filter((k) => before.has(k))).toEqual([]);
    expect(out.map((a) => a.observedBytes)).toEqual([2700 * MB]);
  });

  it('stay stale when their rebuild fails, so that the next batch carrying them rebuilds them', async () => {
    const { state, partitions, judge } = store();
    partitions.assigned({ t: [0], u: [0] }, 'm1');
    expect(await judge('u', 5, [big('u1', at(DAY, 9))])).toEqual([]);
    const afternoon = [big('t1', at(DAY, 11))];
    expect((await judge('t', 100, afternoon, { abandon: true })).map((a) => a.revision)).toEqual([1]);
    // The batch comes back; its takeover fails (the alerts' read): live.ts abandons it, nothing decoded.
    state.failing = true;
    await expect(partitions.enter(batchOf('t', 0, [100]))).rejects.toThrow('timeout');
    partitions.abandon(batchOf('t', 0, [100]), []);
    state.failing = false;
    // u/0's next batch, then the batch back: 600 MB + 10 MB + 600 MB crosses 1 GB once.
    const mid = await judge('u', 6, [big('u2', at(DAY, 11, 30), 10 * MB)]);
    const second = await judge('t', 100, afternoon);
    expect([...mid, ...second].map((a) => a.revision)).toEqual([1]);
  });

  it.each([
    ['', false],
    [', also after its takeover failed', true],
  ])("count their events stored below the abandoned batch on its partition, still assigned here%s", async (_, takeoverFails) => {
    const { state, partitions, judge } = store();
    partitions.assigned({ t: [0], u: [0] }, 'm1');
    expect(await judge('t', 50, [big('t0', at(DAY, 8), 500 * MB)])).toEqual([]);
    expect(await judge('u', 5, [big('u0', at(DAY, 9), 100 * MB)])).toEqual([]);
    // 11:00 on t/0: 600 MB, the alert raised (1.2 GB), abandoned.
    expect((await judge('t', 100, [big('t1', at(DAY, 11), 600 * MB)], { abandon: true })).map((a) => a.revision)).toEqual([1]);
    if (takeoverFails) {
      state.failing = true;
      await expect(partitions.enter(batchOf('t', 0, [100]))).rejects.toThrow('timeout');
      partitions.abandon(batchOf('t', 0, [100]), []);
      state.failing = false;
    }
    // u/0's next batch first: her day so far, stored and judged, is 500 + 100 + 500 MB.
    const out = await judge('u', 6, [big('u1', at(DAY, 11, 30), 500 * MB)]);
    expect(out.map((a) => [a.revision, a.observedBytes])).toEqual([[1, 1100 * MB]]);
  });

  it('forget where an abandoned batch stood once its partition went to another detector (what it judged there is not read back)', async () => {
    const { partitions, judge, reads } = store();
    partitions.assigned({ t: [0], u: [0], w: [0] }, 'm1');
    for (const [topic, offset] of [['t', 99], ['u', 5], ['w', 5]] as const) await judge(topic, offset, [ev(`${topic}0`, at(DAY, 8), MB)]);
    await judge('t', 100, [ev('t1', at(DAY, 9), MB)], { abandon: true });
    await judge('w', 6, []);
    // t/0 goes to another detector, then comes back with no batch of it here yet.
    partitions.assigned({ u: [0], w: [0] }, 'm1');
    await judge('u', 6, []);
    partitions.assigned({ t: [0], u: [0], w: [0] }, 'm1');
    // u/0's batch abandoned: alice stale; w/0's next batch rebuilds her, not from t/0 below 100.
    await judge('u', 7, [ev('u1', at(DAY, 10), MB)], { abandon: true });
    reads.asked.length = 0;
    await judge('w', 7, []);
    expect(reads.asked.flat().filter((p) => p.topic === 't')).toEqual([]);
  });

  /** Alice's events on t/0 and u/0, judged and stored; then u/0's next batch given up: she is stale. */
  async function staleFromU() {
    const s = store();
    s.partitions.assigned({ t: [0], u: [0] }, 'm1');
    await s.judge('t', 1, [ev('t0', at(DAY, 7), MB)]);
    await s.judge('u', 5, [ev('u0', at(DAY, 8), MB)]);
    const taken = [...s.reads.waited];
    await s.judge('u', 6, [ev('u1', at(DAY, 9), MB)], { abandon: true });
    s.reads.waited.length = 0;
    return { ...s, taken };
  }

  it("wait, before their rebuild reads the stored alerts, for the alert inserts of this detector's topics, not of every topic on the server", async () => {
    const { judge, reads, taken } = await staleFromU();
    // A takeover waits for its own partition's.
    expect(taken.map(named)).toEqual([['t/0'], ['u/0']]);
    await judge('t', 2, []);
    // The rebuild, before t/0's batch: every partition's of t and u (u/0 is taken over again at its next
    // batch), and the given-up batch's insert whose answer was lost.
    expect(reads.waited.map(named)).toEqual([['lost u/6', 't/*', 'u/*']]);
  });

  it("wait for the given-up batch's alert insert also once its partition went to another detector, by its query id (not the other detector's inserts there), and only until a rebuild waited for it", async () => {
    // u/0's batch given up (its alert insert's answer lost), then u/0 goes to another detector.
    const { partitions, judge, reads } = await staleFromU();
    partitions.assigned({ t: [0] }, 'm1');
    await judge('t', 2, []);
    expect(reads.waited.map(named)).toEqual([['lost u/6', 't/*']]);
    // Waited for once: the next rebuild (another batch given up, of t/0 now) does not wait for u/0 again.
    partitions.assigned({ t: [0], w: [0] }, 'm1');
    await judge('w', 1, [ev('w0', at(DAY, 9, 30), MB)]);
    await judge('t', 3, [ev('t1', at(DAY, 10), MB)], { abandon: true });
    reads.waited.length = 0;
    await judge('w', 2, []);
    expect(reads.waited.map(named)).toEqual([['lost t/3', 't/*', 'w/*']]);
  });

  it("wait for the given-up batch's alert inserts at the next takeover also when nobody is stale any more (the pause that lost the insert's answer had this detector expelled)", async () => {
    const { partitions, judge, reads } = await staleFromU();
    partitions.assigned({ t: [0], u: [0] }, 'm2');
    await judge('t', 2, [ev('t1', at(DAY, 10), MB)]);
    expect(reads.waited.map(named)).toEqual([['lost u/6', 't/0']]);
    // Waited for once.
    reads.waited.length = 0;
    await judge('u', 6, []);
    expect(reads.waited.map(named)).toEqual([['u/0']]);
  });

  it.each([
    ['whose answer was lost', false, ['lost u/6', 'w/0']],
    ['answered (nothing of it can still land)', true, ['w/0']],
  ])("wait at the next takeover for the alert insert of a given-up batch whose employees were on its partition only (nobody stale), %s", async (_, answered, waited) => {
    const { partitions, judge, reads } = store();
    partitions.assigned({ t: [0], u: [0] }, 'm1');
    await judge('t', 1, []);
    await judge('u', 5, [ev('u0', at(DAY, 8), MB)]);
    await judge('u', 6, [ev('u1', at(DAY, 9), MB)], { abandon: true, answered });
    partitions.assigned({ t: [0], u: [0], w: [0] }, 'm1');
    reads.waited.length = 0;
    await judge('w', 1, []);
    expect(reads.waited.map(named)).toEqual([waited]);
  });

  it("wait for the given-up batch's alert inserts again after a rebuild that failed", async () => {
    const { state, partitions, judge, reads } = await staleFromU();
    state.failing = true;
    await expect(partitions.enter(batchOf('t', 0, [2]))).rejects.toThrow('timeout');
    state.failing = false;
    await judge('t', 2, []);
    expect(reads.waited.map(named)).toEqual([['lost u/6', 't/*', 'u/*'], ['lost u/6', 't/*', 'u/*']]);
  });

  it("wait for the given-up batch's alert inserts when a takeover rebuilds them", async () => {
    const { partitions, judge, reads } = await staleFromU();
    // w/0 joins and its first batch comes first: its takeover rebuilds alice too.
    partitions.assigned({ t: [0], u: [0], w: [0] }, 'm1');
    await judge('w', 1, []);
    expect(reads.waited.map(named)).toEqual([['lost u/6', 'w/0']]);
  });

  it("raise again what their rebuild raised when the batch it came with is not stored either", async () => {
    const { alerts, events, partitions, judge } = store();
    partitions.assigned({ t: [0], u: [0], w: [0] }, 'm1');
    expect(await judge('w', 1, [])).toEqual([]);
    expect(await judge('u', 5, [big('u0', at(DAY, 8), 10 * MB)])).toEqual([]);
    // 1.2 GB of alice's on u/0 stored below where this detector stands, never judged here (a previous
    // owner judged it and died before storing the alert): her rebuild raises it.
    events.u.push(big('u1', at(DAY, 9), 1200 * MB));
    expect(await judge('t', 2, [big('t1', at(DAY, 10), 10 * MB)], { abandon: true })).toEqual([]);
    // w/0's batch: alice rebuilt (revision 1 raised with it), and that batch is not stored either.
    expect((await judge('w', 2, [], { abandon: true })).map((a) => a.revision)).toEqual([1]);
    // The next batch raises it again, and it is stored.
    expect((await judge('w', 2, [])).map((a) => a.revision)).toEqual([1]);
    expect(alerts.map((a) => a.revision)).toEqual([1]);
  });

  it('keep the partition whose batch a failed rebuild came before (nothing of it was judged)', async () => {
    const { state, partitions, judge, reads } = store();
    partitions.assigned({ t: [0], u: [0], w: [0] }, 'm1');
    for (const topic of ['t', 'u']) await judge(topic, 1, [ev(`${topic}1`, at(DAY, 9), 10 * MB)]);
    await judge('w', 1, []);
    await judge('t', 2, [ev('t2', at(DAY, 10), 10 * MB)], { abandon: true });
    // w/0's batch: alice's rebuild fails first; live.ts gives the batch up with nothing judged.
    state.failing = true;
    await expect(partitions.enter(batchOf('w', 0, [2]))).rejects.toThrow('timeout');
    partitions.abandon(batchOf('w', 0, [2]), [], []);
    state.failing = false;
    reads.taken.length = 0;
    await judge('w', 2, []);
    expect(reads.taken).toEqual([]);
  });
});

describe('a slow-drip alert of a batch judged but not stored', () => {
  afterEach(() => jest.restoreAllMocks());
  const only = Object.fromEntries(Object.entries(detection.detectors).map(([k, v]) => [k, { ...(v as object), enabled: k === 'slowDrip' }])) as typeof detection.detectors;
  const dripOnly = { ...detection, detectors: only };
  // Alice: about 100 MB a day, then twice that for the last working days: a drip run in progress.
  const users: Record<string, PersonDays> = {
    alice: { daily: (d) => (d >= DAY - 5 ? 200 * MB : spread(100 * MB, 0.3, 3)(d)), tables: ['crm.orders'] },
    ...Object.fromEntries([...people.keys()].filter((id) => id !== 'alice').map((id, i) => [id, { daily: spread(100 * MB, 0.5, 29 * i), tables: ['crm.orders'] }])),
  };
  // The hand rows carry no pool of drip levels: a calibrated tail as the organisation's would give.
  const dripHistory = async (day: number): Promise<DayHistory> => {
    const h = handHistory(day, users, dripOnly, people);
    return { ...h, calibration: { ...h.calibration, drip: gpdTail(0, 1, 0, 0.5) } };
  };

  it.each([
    ['', at(DAY, 12)],
    [', also when the detector catches up a backlog two days behind the clock', at(DAY + 2, 12)],
  ])('is raised again when the batch comes back to this detector (the run was not reported: nothing was stored)%s', async (_, clock) => {
    jest.spyOn(Date, 'now').mockReturnValue(clock);
    const reads: TakeoverReads = { ingestedBelow: async () => new Map([[0, 1_000_000n]]), partitionEvents: async () => [], employeeEvents: async () => [], alerts: async () => [] };
    const engine = createEngine({ detection: dripOnly, people, catalog, allowlist: allowlistFrom([]), history: dripHistory, now: () => clock, live: true });
    const partitions = partitionsOf(reads, engine, log);
    partitions.assigned({ t: [0] }, 'm1');
    const events = Array.from({ length: 10 }, (_, i) => ev(`e${i}`, at(DAY, 9, i), 30 * MB));
    const b = batchOf('t', 0, [100]);
    const first = [...(await partitions.enter(b))!.alerts, ...(await engine.process(events))];
    expect(first.length).toBeGreaterThan(0);
    expect(first.every((a) => a.detectors.join() === 'slowDrip')).toBe(true);
    partitions.abandon(b, events, first);
    const second = [...(await partitions.enter(b))!.alerts, ...(await engine.process(events))];
    expect(second.map((a) => [a.detectors, a.revision, a.severity])).toEqual(first.map((a) => [a.detectors, a.revision, a.severity]));
  });

  describe('a run reported two days before the clock, the newest day judged still yesterday', () => {
    const peerEv = (id: string, ts: number): DetectEvent => ({ ...ev(id, ts, MB), user: 'peer1' });
    const drip = (day: number, p: string, n: number) => Array.from({ length: n }, (_, i) => ev(`${p}${i}`, at(day, 9, i), 30 * MB));

    /** Monday alice's run is raised and stored; Wednesday just after midnight a takeover (or not); Wednesday the run goes on. */
    async function wednesday(takeover: boolean) {
      const clock = { now: at(DAY, 12) };
      jest.spyOn(Date, 'now').mockImplementation(() => clock.now);
      const stored: AlertRecord[] = [];
      const reads: TakeoverReads = {
        ingestedBelow: async () => new Map([[0, 1_000_000n]]),
        partitionEvents: async () => [],
        employeeEvents: async () => [],
        alerts: async (first, last) => stored.filter((a) => dayOf(a.windowEnd - 1) >= first && dayOf(a.windowEnd - 1) <= last),
      };
      const engine = createEngine({ detection: dripOnly, people, catalog, allowlist: allowlistFrom([]), history: dripHistory, now: () => clock.now, live: true });
      const partitions = partitionsOf(reads, engine, log);
      partitions.assigned({ t: [0] }, 'm1');
      let offset = 0;
      const judge = async (events: DetectEvent[]) => {
        const b = batchOf('t', 0, [offset++]);
        const out = [...(await partitions.enter(b))!.alerts, ...(await engine.process(events))];
        stored.push(...out);
        engine.settled(out);
        partitions.judged(b, events);
        return out;
      };
      const monday = await judge(drip(DAY, 'a', 20));
      expect(monday.length).toBeGreaterThan(0);
      expect(monday.every((a) => a.detectors.join() === 'slowDrip')).toBe(true);
      clock.now = at(DAY + 1, 12);
      expect(await judge([peerEv('p1', at(DAY + 1, 9))])).toEqual([]);
      // Wednesday 00:01, before any event of Wednesday: the group expels this detector and gives t/0 back.
      clock.now = at(DAY + 2, 0, 1);
      if (takeover) partitions.assigned({ t: [0] }, 'm2');
      expect(await judge([peerEv('p2', at(DAY + 1, 23, 59))])).toEqual([]);
      clock.now = at(DAY + 2, 12);
      return judge(drip(DAY + 2, 'c', 5));
    }

    it('is not paged again without a takeover (the control)', async () => {
      expect(await wednesday(false)).toEqual([]);
    });

    it('is not paged again after a takeover just after midnight (the takeover restores only the alerts since yesterday)', async () => {
      expect(await wednesday(true)).toEqual([]);
    });
  });
});
