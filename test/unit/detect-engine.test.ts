// The detection engine end to end, without services: a hand-built history (the DayHistory ClickHouse
// would give), a small catalog, allowlist and directory, and event streams fed in batches.
import type { AlertRecord } from '../../src/alerts/types';
import { severityRank } from '../../src/alerts/types';
import { MS_PER_DAY } from '../../src/calendar';
import { loadConfig } from '../../src/config';
import type { DetectionConfig } from '../../src/config/detection-schema';
import { allowlistFrom, type Allowlist } from '../../src/detect/allowlist';
import { catalogFrom } from '../../src/detect/catalog';
import { alertIdOf } from '../../src/alerts';
import { createEngine, type Engine } from '../../src/detect/engine';
import type { DetectEvent } from '../../src/detect/event';
import { formatBytes } from '../../src/format';
import type { DayHistory } from '../../src/detect/history';
import { peopleFrom, unknownPerson, type Person } from '../../src/detect/people';
import { settingsFor } from '../../src/detect/settings';
import { directoryEntry, handHistory, spread, type PersonDays } from '../helpers/detect-history';
import { at, DAY, GB, MB } from '../helpers/detect-time';

const WALL = Date.UTC(2026, 9, 20);

const { detection } = loadConfig({ env: {} }).config;

// ---- builders ----


// Alice and Bob among 38 colleagues (enough user-days for the organisation's own calibration).
const PEERS = Array.from({ length: 38 }, (_, i) => `peer${i + 1}`);
const people = peopleFrom([
  directoryEntry('alice', 'Sales', 'sales_ops'),
  directoryEntry('bob', 'Engineering', 'data_eng'),
  ...PEERS.map((id, i) => (i % 2 === 0 ? directoryEntry(id, 'Sales', 'sales_ops') : directoryEntry(id, 'Engineering', 'data_eng'))),
]);

const catalog = catalogFrom([
  { database: 'crm', table: 'customers', sensitivity: 'pii' },
  { database: 'pay', table: '*', sensitivity: 'payment' },
]);

/** Working days cycling through 50, 80, 100, 120, 200 MB: a median of 100 MB. */
const usual = (d: number) => [50, 80, 100, 120, 200][d % 5] * MB;

const USERS: Record<string, PersonDays> = {
  alice: { daily: usual, tables: ['crm.customers', 'crm.orders'] },
  bob: { daily: usual, tables: ['dw.orders_snapshot', 'crm.customers'] },
  ...Object.fromEntries(PEERS.map((id, i) => [id, { daily: spread(100 * MB, 0.5, 29 * i), tables: ['crm.orders'] }])),
};

const histories = new Map<number, DayHistory>();
/** The DayHistory ClickHouse would give for `day`, from the hand-built days above (built once per day). */
function fakeHistory(day: number): DayHistory {
  let h = histories.get(day);
  if (!h) histories.set(day, (h = handHistory(day, USERS, detection, people)));
  return h;
}

interface EngineSetup {
  alertIdKey?: string;
  allowlist?: Allowlist;
  history?: (day: number) => Promise<DayHistory>;
  now?: number;
}

function engineOf(o: EngineSetup = {}): Engine {
  return createEngine({
    detection,
    people,
    catalog,
    allowlist: o.allowlist ?? allowlistFrom([]),
    history: o.history ?? (async (day) => fakeHistory(day)),
    now: () => o.now ?? WALL,
    alertIdKey: o.alertIdKey,
  });
}

function ev(id: string, ts: number, bytes: number, over: Partial<DetectEvent> = {}): DetectEvent {
  return { eventId: id, ts, user: 'alice', action: 'SELECT', bytes, rows: Math.round(bytes / 500), table: 'crm.orders', clientIp: '10.1.2.3', clientApp: 'dbeaver', sessionId: 'sess-1', ok: true, ...over };
}

/** Alice's usual morning (5 x 10 MB), then a bulk export of crm.customers: 40 x 520 MB, one a minute from 10:00. */
function bulkExport(day = DAY, user = 'alice'): DetectEvent[] {
  const morning = Array.from({ length: 5 }, (_, i) => ev(`${user}-${day}-m${i}`, at(day, 8, i), 10 * MB, { user }));
  const xs = Array.from({ length: 40 }, (_, i) => ev(`${user}-${day}-x${String(i + 1).padStart(2, '0')}`, at(day, 10, i), 520 * MB, { user, table: 'crm.customers', sessionId: 'sess-2' }));
  return [...morning, ...xs];
}

/** Processes the events in batches of the given sizes (the rest in one last batch). */
async function processIn(engine: Engine, events: DetectEvent[], sizes: number[] = []): Promise<AlertRecord[]> {
  const out: AlertRecord[] = [];
  let i = 0;
  for (const n of sizes) {
    out.push(...(await engine.process(events.slice(i, i + n))));
    i += n;
  }
  if (i < events.length) out.push(...(await engine.process(events.slice(i))));
  return out;
}

// ---- the engine ----

describe('createEngine: a bulk export', () => {
  it('raises exactly one alert (one alertId), fired at the event that crossed the threshold', async () => {
    const alerts = await engineOf().process(bulkExport());
    expect(alerts.length).toBeGreaterThan(1);
    expect(new Set(alerts.map((a) => a.alertId))).toEqual(new Set([alertIdOf('alice', DAY)]));
    // 50 MB + one 520 MB query = 570 MB: 5.7x her 100 MB day, whose spread is about 0.5, rarer than the alert floor.
    const first = alerts[0];
    expect(first).toMatchObject({ revision: 1, user: 'alice', triggerEventId: `alice-${DAY}-x01`, firedAt: at(DAY, 10, 0), detectors: ['volumeSelf'], observedBytes: 570 * MB });
    expect(first.windowStart).toBe(DAY * MS_PER_DAY);
    expect(first.windowEnd).toBe((DAY + 1) * MS_PER_DAY);
    expect(alerts.every((a) => a.firedAt === first.firedAt && a.triggerEventId === first.triggerEventId)).toBe(true);
    expect(alerts.map((a) => a.revision)).toEqual(alerts.map((_, i) => i + 1));
  });

  it('revises only when the volume grew by updateGrowth, the severity rose or a new detector fired', async () => {
    const engine = engineOf();
    const events = bulkExport();
    let judged = 0;
    let last: AlertRecord | null = null;
    let revisions = 0;
    for (const e of events) {
      judged += e.bytes;
      const out = await engine.process([e]);
      expect(out.length).toBeLessThanOrEqual(1);
      const r = out[0];
      if (last) {
        const grown = judged >= last.observedBytes * detection.updateGrowth;
        // Growth always gives a revision (a detector fires on every event of this export)...
        if (grown) expect(r).toBeDefined();
        // ...and without growth, only a new detector or a higher severity does.
        if (r && !grown) {
          const newDetector = r.detectors.some((d) => !last!.detectors.includes(d));
          expect(newDetector || severityRank(r.severity) > severityRank(last.severity)).toBe(true);
        }
      }
      if (r) {
        expect(r.observedBytes).toBe(judged);
        last = r;
        revisions++;
      }
    }
    // The 4th export event puts 2.08 GB in the last hour: exportRate joins and the alert turns critical.
    expect(revisions).toBeGreaterThan(3);
    expect(revisions).toBeLessThan(15);
    expect(last!.revision).toBe(revisions);
  });

  it('starts medium and ends critical for a 20 GB export of a user with a 50-200 MB day', async () => {
    const alerts = await engineOf().process(bulkExport());
    expect(alerts[0].severity).toBe('medium');
    const last = alerts[alerts.length - 1];
    expect(last.severity).toBe('critical');
    expect(last.score).toBeGreaterThanOrEqual(80);
    expect(last.detectors).toEqual(expect.arrayContaining(['volumeSelf', 'exportRate', 'sensitive']));
    // Her expected day: about her median, 100 MB.
    expect(last.baselineBytes / (100 * MB)).toBeGreaterThan(0.9);
    expect(last.baselineBytes / (100 * MB)).toBeLessThan(1.1);
    expect(last.ratio).toBeGreaterThan(100);
    expect(last.peerGroup).toBe('Sales/sales_ops');
    expect(last.observedBytes).toBeGreaterThan(13 * GB);
  });

  it('explains the alert with the volume, which kind of finding fired, the expected day and the top table with its sensitivity', async () => {
    const alerts = await engineOf().process(bulkExport());
    const last = alerts[alerts.length - 1];
    expect(last.explanation.startsWith(`${formatBytes(last.observedBytes)} in `)).toBe(true);
    expect(last.explanation).toMatch(/anomaly: 1 in [\d,.]+( million| billion)? days for them: expected 100 MB/);
    expect(last.explanation).toMatch(/policy: [\d.]+ GB from pii\/payment tables \(limit 10 GB\)/);
    expect(last.explanation).toMatch(/\d+% from crm\.customers \(pii\)/);
    expect(last.evidence.topTables[0]).toMatchObject({ table: 'crm.customers', sensitivity: 'pii' });
    expect(last.evidence.sessions.top[0].id).toBe('sess-2');
  });

  it('keys alert ids with the pseudonym key, so that nobody without it can link an id to a person', async () => {
    const keyed = await engineOf({ alertIdKey: 'a-secret-key-of-some-length' }).process(bulkExport());
    expect(new Set(keyed.map((a) => a.alertId))).toEqual(new Set([alertIdOf('alice', DAY, 'a-secret-key-of-some-length')]));
    expect(alertIdOf('alice', DAY, 'a-secret-key-of-some-length')).not.toBe(alertIdOf('alice', DAY));
    expect(alertIdOf('alice', DAY, 'another-secret-key-0000')).not.toBe(alertIdOf('alice', DAY, 'a-secret-key-of-some-length'));
    expect(alertIdOf('alice', DAY, 'a-secret-key-of-some-length')).toMatch(/^al_20261012_[0-9a-f]{10}$/);
  });

  it('gives a separate alert for another UTC day of the same user', async () => {
    const alerts = await engineOf().process([...bulkExport(DAY), ...bulkExport(DAY + 1)]);
    expect(new Set(alerts.map((a) => a.alertId))).toEqual(new Set([alertIdOf('alice', DAY), alertIdOf('alice', DAY + 1)]));
    const second = alerts.filter((a) => a.alertId === alertIdOf('alice', DAY + 1));
    expect(second[0]).toMatchObject({ revision: 1, triggerEventId: `alice-${DAY + 1}-x01`, windowStart: (DAY + 1) * MS_PER_DAY });
  });
});

describe('createEngine: batches, duplicates, restarts', () => {
  /** Alice's and Bob's exports interleaved, as one Kafka topic delivers them. */
  const interleaved = () => {
    const a = bulkExport(DAY, 'alice');
    const b = bulkExport(DAY, 'bob');
    return a.flatMap((e, i) => [e, b[i]]);
  };

  it('gives identical alerts whatever the batches', async () => {
    const events = interleaved();
    const once = await engineOf().process(events);
    expect(once.length).toBeGreaterThan(2);
    for (const sizes of [[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], [7, 3, 30, 2], [89]]) {
      expect(await processIn(engineOf(), events, sizes)).toEqual(once);
    }
  });

  it('asks for the history of a day once, however many batches', async () => {
    const history = jest.fn(async (day: number) => fakeHistory(day));
    await processIn(engineOf({ history }), [...bulkExport(DAY), ...bulkExport(DAY + 1)], [3, 10, 20, 40]);
    expect(history.mock.calls.map(([d]) => d).sort()).toEqual([DAY, DAY + 1]);
  });

  it('starts a prepared day\'s history at once, asks for it no more, and gives the same alerts', async () => {
    const history = jest.fn(async (day: number) => fakeHistory(day));
    const engine = engineOf({ history });
    const first = await engine.process(bulkExport(DAY));
    engine.prepare(DAY + 1);
    expect(history.mock.calls.map(([d]) => d)).toEqual([DAY, DAY + 1]);
    const next = await engine.process(bulkExport(DAY + 1));
    expect(history).toHaveBeenCalledTimes(2);
    expect([...first, ...next]).toEqual(await engineOf().process([...bulkExport(DAY), ...bulkExport(DAY + 1)]));
  });

  it('builds no history for a day it no longer judges: events with old timestamps are counted late, not loaded for', async () => {
    const asked: number[] = [];
    const engine = engineOf({ history: async (day) => (asked.push(day), fakeHistory(day)) });
    await engine.process([ev('today', at(DAY, 9), MB)]);
    expect(asked).toEqual([DAY]);
    // Hostile or replayed: one event a day for the month before, in one batch and in several.
    const old = Array.from({ length: 30 }, (_, i) => ev(`old-${i}`, at(DAY - 2 - i, 12), 5 * GB));
    expect(await engine.process(old.slice(0, 10))).toEqual([]);
    for (const e of old.slice(10)) expect(await engine.process([e, ev(`now-${e.eventId}`, at(DAY, 10), MB)])).toEqual([]);
    expect(asked).toEqual([DAY]);
    expect(engine.stats().late).toBe(30);
    // Yesterday is still judged (late events of yesterday count), and loads its history.
    await engine.process([ev('yesterday', at(DAY - 1, 23), MB)]);
    expect(asked).toEqual([DAY, DAY - 1]);
  });

  it('builds the history of a day an event is dated ahead into again once that day has begun', async () => {
    const asked: number[] = [];
    let clock = at(DAY, 11);
    const engine = createEngine({ detection, people, catalog, allowlist: allowlistFrom([]), history: async (day) => (asked.push(day), fakeHistory(day)), now: () => clock });
    await engine.process([ev('today', at(DAY, 11), MB)]);
    // Dated tomorrow morning, arriving this morning (a clock ahead): tomorrow's history from today's rows so far.
    await engine.process([ev('ahead-1', at(DAY + 1, 9), MB), ev('ahead-2', at(DAY + 1, 10), MB)]);
    await engine.process([ev('ahead-3', at(DAY + 1, 10, 30), MB)]);
    expect(asked).toEqual([DAY, DAY + 1]);
    // Tomorrow has begun: its history is built again, once, from today's complete rows.
    clock = at(DAY + 1, 0, 30);
    await engine.process([ev('tomorrow-1', at(DAY + 1, 0, 30), MB)]);
    await engine.process([ev('tomorrow-2', at(DAY + 1, 0, 40), MB)]);
    expect(asked).toEqual([DAY, DAY + 1, DAY + 1]);
  });

  it('judges the employees it tracked on an early history with the history built again once the day began', async () => {
    let builds = 0;
    // The early build (from yesterday's rows so far) shows alice moving 10 GB a day; the one built after
    // midnight her usual 100 MB.
    const wrong = { ...USERS, alice: { daily: () => 10 * GB, tables: USERS.alice.tables } };
    const history = async (day: number) => (day === DAY + 1 && ++builds === 1 ? handHistory(day, wrong, detection, people) : fakeHistory(day));
    let clock = at(DAY, 11);
    const judged = createEngine({ detection, people, catalog, allowlist: allowlistFrom([]), history, now: () => clock });
    await judged.process([ev('today', at(DAY, 11), MB), ev('ahead', at(DAY + 1, 9), MB)]);
    clock = at(DAY + 1, 9);
    const alerts = await judged.process(Array.from({ length: 8 }, (_, i) => ev(`export-${i}`, at(DAY + 1, 9, i + 1), 250 * MB)));
    expect(builds).toBe(2);
    expect(alerts.length).toBeGreaterThan(0);
    expect(alerts[0].baselineBytes).toBeLessThan(GB);
  });

  it('builds an early history again only when it was built well before its day, and once after a failed build', async () => {
    const asked: number[] = [];
    let fail = false;
    let clock = at(DAY, 23, 58);
    const history = async (day: number) => {
      asked.push(day);
      if (fail) throw new Error('ClickHouse down');
      return fakeHistory(day);
    };
    const engine = createEngine({ detection, people, catalog, allowlist: allowlistFrom([]), history, now: () => clock });
    // A producer's clock two minutes fast at midnight: its history for tomorrow serves tomorrow.
    await engine.process([ev('fast-clock', at(DAY + 1, 0) + 30_000, MB)]);
    clock = at(DAY + 1, 0, 1);
    await engine.process([ev('midnight', at(DAY + 1, 0, 1), MB)]);
    expect(asked).toEqual([DAY + 1]);
    // Far ahead, and the build fails: after the day begins, one build, not two.
    fail = true;
    clock = at(DAY + 1, 9);
    await expect(engine.process([ev('far-ahead', at(DAY + 2, 8), MB)])).rejects.toThrow('ClickHouse down');
    fail = false;
    clock = at(DAY + 2, 8);
    await engine.process([ev('day-2-a', at(DAY + 2, 8), MB)]);
    await engine.process([ev('day-2-b', at(DAY + 2, 8, 5), MB)]);
    expect(asked).toEqual([DAY + 1, DAY + 2, DAY + 2]);
  });

  it('does not count a duplicate event id twice, in the same batch or a later one', async () => {
    const events = bulkExport();
    const expected = await engineOf().process(events);
    const withRetries = events.flatMap((e, i) => (i % 3 === 0 ? [e, { ...e }] : [e]));
    const engine = engineOf();
    expect(await processIn(engine, withRetries, [4, 4, 9])).toEqual(expected);
    expect(engine.stats()).toMatchObject({ events: withRetries.length, duplicates: withRetries.length - events.length });
  });

  it('continues the revisions of a stored alert after a restart instead of restarting at 1', async () => {
    const events = bulkExport();
    // Before the restart: the first 20 events.
    const before = await engineOf({ now: WALL }).process(events.slice(0, 20));
    const stored = before[before.length - 1];
    expect(stored.revision).toBeGreaterThan(1);
    // After it, the day is read again from the start (as a backfill or a rewound consumer would).
    const engine = engineOf({ now: WALL + 3_600_000 });
    engine.restore([...before].reverse());
    const after = await engine.process(events);
    expect(after.length).toBeGreaterThan(0);
    expect(after.map((a) => a.revision)).toEqual(after.map((_, i) => stored.revision + 1 + i));
    expect(after.every((a) => a.alertId === stored.alertId)).toBe(true);
    expect(after[0]).toMatchObject({ firedAt: stored.firedAt, triggerEventId: stored.triggerEventId, createdAtWall: WALL, updatedAtWall: WALL + 3_600_000 });
    // The replayed events up to the stored volume revise nothing: the first new revision is beyond it,
    // for a reason judged against the stored revision (growth, a new detector or a higher severity).
    expect(after[0].observedBytes).toBeGreaterThan(stored.observedBytes);
    expect(after[0].detectors).toEqual(expect.arrayContaining(stored.detectors));
    const grown = after[0].observedBytes >= stored.observedBytes * detection.updateGrowth;
    const newDetector = after[0].detectors.some((d) => !stored.detectors.includes(d));
    expect(grown || newDetector || severityRank(after[0].severity) > severityRank(stored.severity)).toBe(true);
    // Without restore the same replay starts over at revision 1.
    expect((await engineOf().process(events))[0].revision).toBe(1);
  });

  it('takes a person back from another detector: released and rebuilt, the revisions go on as one engine gives them; the others are kept', async () => {
    const alice = bulkExport(DAY, 'alice');
    const bob = bulkExport(DAY, 'bob');
    const one = await engineOf().process(alice);
    const oneBob = await engineOf().process(bob);
    // This detector judges alice's first 20 events and bob's first 20; another takes alice over and judges up to 30.
    const engine = engineOf();
    const first = await engine.process([...alice.slice(0, 20), ...bob.slice(0, 20)]);
    const other = engineOf();
    other.restore(first.filter((a) => a.user === 'alice'));
    const byOther = await other.process(alice.slice(0, 30));
    expect(byOther.length).toBeGreaterThan(0);
    // Alice comes back: her totals rebuilt from the 30 stored events, the other's alerts continued.
    engine.release(['alice']);
    engine.restore(byOther);
    expect(await engine.process(alice.slice(0, 30))).toEqual([]);
    const rest = await engine.process([...alice.slice(30), ...bob.slice(20)]);
    const of = (user: string, xs: AlertRecord[]) => xs.filter((a) => a.user === user);
    expect([...of('alice', first), ...byOther, ...of('alice', rest)]).toEqual(one);
    expect([...of('bob', first), ...of('bob', rest)]).toEqual(oneBob);
  });
});

describe('createEngine: what is not judged', () => {
  const bobAllowlist = allowlistFrom([{ user: 'bob', reason: 'CHG-1234 warehouse migration', from: at(DAY, 0), until: at(DAY, 12), tables: new Set(['dw.orders_snapshot']) }]);
  /** A 30 GB dump of the warehouse snapshot, 60 x 500 MB from 01:00. */
  const dump = () => Array.from({ length: 60 }, (_, i) => ev(`bob-dump-${i}`, at(DAY, 1, i), 500 * MB, { user: 'bob', table: 'dw.orders_snapshot' }));

  it('keeps an allowlisted 30 GB dump out of the judged volume: no alert', async () => {
    expect(await engineOf({ allowlist: bobAllowlist }).process(dump())).toEqual([]);
    // The same dump without the allowlist entry is an alert.
    expect((await engineOf().process(dump())).length).toBeGreaterThan(0);
  });

  it('shows the allowlisted activity in the evidence and explanation of an alert raised by other activity', async () => {
    // 150 MB is an ordinary day for him; 150 + 750 MB is not.
    const other = [150, 750].map((mb, i) => ev(`bob-x${i}`, at(DAY, 14, i), mb * MB, { user: 'bob', table: 'crm.customers' }));
    const alerts = await engineOf({ allowlist: bobAllowlist }).process([...dump(), ...other]);
    expect(alerts).toHaveLength(1);
    const a = alerts[0];
    expect(a).toMatchObject({ user: 'bob', observedBytes: 900 * MB, eventCount: 2, triggerEventId: 'bob-x1' });
    expect(a.evidence.allowlisted).toEqual({ bytes: 30 * GB, events: 60, reasons: ['CHG-1234 warehouse migration'] });
    expect(a.evidence.topTables.map((t) => t.table)).toEqual(['crm.customers']);
    expect(a.explanation).toContain('30 GB more allowlisted (CHG-1234 warehouse migration)');
  });

  it('adds no bytes for failed queries, but counts them in the evidence', async () => {
    const failed = ev('f1', at(DAY, 9), 30 * GB, { ok: false });
    expect(await engineOf().process([failed])).toEqual([]);
    const alerts = await engineOf().process([failed, ev('ok1', at(DAY, 9, 5), 900 * MB)]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ observedBytes: 900 * MB, eventCount: 1, triggerEventId: 'ok1' });
    expect(alerts[0].evidence.failedEvents).toBe(1);
  });

  it('never scores bytes or rows that are not a finite number >= 0 (NaN, missing, negative, infinite): no "NaN GB" alert', async () => {
    // Ingest refuses such events; a buggy producer of DetectEvents (a source, a backfill) must still not page anyone.
    const bad = [Number.NaN, undefined as unknown as number, -5 * GB, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, '7000000000' as unknown as number];
    const events = bad.map((bytes, i) => ev(`bad${i}`, at(DAY, 9, i), bytes, { rows: bytes }));
    const engine = engineOf();
    expect(await engine.process(events)).toEqual([]);
    expect(engine.stats()).toMatchObject({ events: bad.length, unscored: bad.length });
    // The day goes on: a real 900 MB query is judged on the valid bytes alone, in plain numbers.
    const alerts = await engine.process([ev('ok1', at(DAY, 9, 30), 900 * MB)]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ observedBytes: 900 * MB, triggerEventId: 'ok1' });
    expect(Number.isFinite(alerts[0].score)).toBe(true);
    expect(Number.isFinite(alerts[0].observedRows)).toBe(true);
    expect(alerts[0].explanation).not.toMatch(/NaN|Infinity|-\d/);
    expect(alerts[0].severity).not.toBe('critical');
  });

  it('skips an event whose time is not a number (counted as unscored), judging the rest of the batch', async () => {
    const engine = engineOf();
    const alerts = await engine.process([ev('t-nan', Number.NaN, 900 * MB), ev('ok1', at(DAY, 9, 30), 900 * MB)]);
    expect(alerts.map((a) => a.triggerEventId)).toEqual(['ok1']);
    expect(engine.stats()).toMatchObject({ events: 1, unscored: 1 });
  });
});

describe('settingsFor', () => {
  const base: Pick<DetectionConfig, 'detectors' | 'overrides'> = {
    detectors: detection.detectors,
    overrides: [
      { accountType: 'service', reason: 'service accounts', detectors: { ceiling: { enabled: false }, offHours: { enabled: false } } },
      { department: 'Finance', reason: 'month end', detectors: { offHours: { startHour: 20 } } },
      { department: 'Finance', role: 'analyst', reason: 'analysts', detectors: { offHours: { startHour: 21, minBytes: 1 } } },
      { user: 'carol', reason: 'named user, written last', detectors: { offHours: { startHour: 23 } } },
      { department: 'Finance', role: 'nobody', reason: 'no match', detectors: { offHours: { startHour: 1 } } },
    ],
  };
  const who = (id: string, department: string, role: string, accountType: Person['accountType'] = 'human'): Person => ({ ...unknownPerson(id), department, role, accountType, known: true });

  it('gives the defaults to someone no override names', () => {
    expect(settingsFor(base, who('dave', 'Sales', 'sales_ops'))).toEqual(detection.detectors);
  });

  it('applies every matching override in order, later ones winning, keeping the keys they do not set', () => {
    expect(settingsFor(base, who('erin', 'Finance', 'controller')).offHours).toEqual({ ...detection.detectors.offHours, startHour: 20 });
    expect(settingsFor(base, who('frank', 'Finance', 'analyst')).offHours).toEqual({ ...detection.detectors.offHours, startHour: 21, minBytes: 1 });
    // The user override comes after the department and role ones: it wins, minBytes stays from the role one.
    expect(settingsFor(base, who('carol', 'Finance', 'analyst')).offHours).toEqual({ ...detection.detectors.offHours, startHour: 23, minBytes: 1 });
  });

  it('matches on account type, and needs every selector of an override to match', () => {
    const svc = settingsFor(base, who('svc-etl', 'Engineering', 'etl', 'service'));
    expect(svc.ceiling.enabled).toBe(false);
    expect(svc.offHours.enabled).toBe(false);
    expect(svc.volumeSelf).toEqual(detection.detectors.volumeSelf);
    // Department Finance alone does not make a Sales analyst match the Finance/analyst override.
    expect(settingsFor(base, who('gina', 'Sales', 'analyst')).offHours.startHour).toBe(detection.detectors.offHours.startHour);
  });

  it('gives service accounts the default overrides of config/default.yaml', () => {
    const svc = settingsFor(detection, who('svc-etl', 'Engineering', 'etl', 'service'));
    expect(svc.ceiling.enabled).toBe(false);
    expect(svc.volumePeers.enabled).toBe(false);
    expect(svc.sensitive).toMatchObject({ enabled: true, dailyBytes: null, firstAccessTables: detection.detectors.sensitive.firstAccessTables });
  });
});

describe('createEngine: a new alert floor while running (setAlertFloor)', () => {
  const strict = { ...detection, scoring: { ...detection.scoring, alertFloor: 1e-6 } };
  const strictEngine = () => createEngine({ detection: strict, people, catalog, allowlist: allowlistFrom([]), history: async (day) => fakeHistory(day), now: () => WALL });
  const events = bulkExport().slice(0, 7); // the morning and two 520 MB queries

  it('raises nothing on a strict floor, and raises at the next event of the same day once the floor is relaxed, the day totals kept', async () => {
    const control = strictEngine();
    expect(await control.process(events)).toEqual([]);

    const engine = strictEngine();
    expect(await engine.process(events.slice(0, 6))).toEqual([]);
    engine.setAlertFloor(detection.scoring.alertFloor);
    const alerts = await engine.process(events.slice(6));
    expect(alerts).toHaveLength(1);
    // The day's running total was kept: the morning and both queries.
    expect(alerts[0]).toMatchObject({ user: 'alice', revision: 1, observedBytes: 50 * MB + 2 * 520 * MB, triggerEventId: `alice-${DAY}-x02` });
  });

  it('raises nothing more after the floor is made strict again', async () => {
    const engine = engineOf();
    expect((await engine.process(events.slice(0, 6))).length).toBe(1);
    engine.setAlertFloor(1e-6);
    // Another day: judged against the strict floor.
    expect(await engine.process(bulkExport(DAY + 1).slice(0, 7))).toEqual([]);
  });
});

describe('createEngine: sensitive classes per person, as their overrides set them', () => {
  // Engineering counts only payment tables as sensitive; Sales keeps the defaults (pii and payment). Both
  // read 12 GB of crm.customers (pii): over the 10 GB sensitive limit for Alice, no sensitive volume at all
  // for Bob, whichever of them the engine judges first (the engine shares one class set per override).
  const scoped = { ...detection, overrides: [...detection.overrides, { department: 'Engineering', reason: 'payments only', detectors: { sensitive: { classes: ['payment' as const] } } }] };
  const read = (user: string) => Array.from({ length: 12 }, (_, i) => ev(`${user}-pii-${i}`, at(DAY, 10, i), GB, { user, table: 'crm.customers', sessionId: `s-${user}` }));
  const judged = async (order: string[]) => {
    const engine = createEngine({ detection: scoped, people, catalog, allowlist: allowlistFrom([]), history: async (day) => fakeHistory(day), now: () => WALL });
    const alerts = await engine.process(order.flatMap(read));
    const last = (user: string) => alerts.filter((a) => a.user === user).at(-1);
    return { alice: last('alice')?.findings.find((f) => f.detector === 'sensitive'), bob: last('bob')?.findings.find((f) => f.detector === 'sensitive') };
  };

  it.each([[['alice', 'bob']], [['bob', 'alice']]])('judges %j each by their own classes', async (order) => {
    const { alice, bob } = await judged(order);
    expect(alice).toMatchObject({ kind: 'policy', clause: expect.stringMatching(/from pii\/payment tables \(limit 10 GB\)/) });
    expect(bob).toBeUndefined();
  });
});
