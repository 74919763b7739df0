// The next day's history is built a few minutes before midnight (src/live-detect/day-ahead.ts), so that
// the first events after midnight do not wait for the whole build: each day once, within the minutes the
// engine keeps such a history for (EARLY_ENOUGH_MS), and again the next day whatever the build did.
import type { AlertRecord } from '../../src/alerts/types';
import { dayOf, MS_PER_DAY, MS_PER_HOUR } from '../../src/calendar';
import { createEngine, EARLY_ENOUGH_MS } from '../../src/detect';
import { loadConfig } from '../../src/config';
import { allowlistFrom } from '../../src/detect/allowlist';
import { catalogFrom } from '../../src/detect/catalog';
import type { DetectEvent } from '../../src/detect/event';
import { peopleFrom } from '../../src/detect/people';
import { createLogger } from '../../src/log';
import { aheadOf, MAX_AHEAD_MS, PREPARE_AHEAD_MS, RETRY_AHEAD_MS, scheduleDayAhead } from '../../src/live-detect/day-ahead';

import { directoryEntry, handHistory, spread, type PersonDays } from '../helpers/detect-history';
import { MB } from '../helpers/detect-time';

const { detection } = loadConfig({ env: {} }).config;
const DAY = dayOf(Date.UTC(2026, 11, 4));
const midnight = (day: number) => day * MS_PER_DAY;

describe('the next day built ahead of midnight', () => {
  const log = createLogger({ level: 'silent' });
  afterEach(() => jest.useRealTimers());
  /** Lets the build's promise and the rescheduling run. */
  const settle = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };

  it('builds each next day once, within the minutes before it that the engine keeps, and again the day after', async () => {
    jest.useFakeTimers({ now: midnight(DAY) + 12 * MS_PER_HOUR });
    const built: Array<[number, number]> = [];
    const stop = scheduleDayAhead({ build: async (day) => void built.push([day, Date.now()]), log });
    jest.advanceTimersByTime(midnight(DAY + 1) - PREPARE_AHEAD_MS - Date.now() - 1);
    await settle();
    expect(built).toEqual([]);
    jest.advanceTimersByTime(1);
    await settle();
    expect(built).toEqual([[DAY + 1, midnight(DAY + 1) - PREPARE_AHEAD_MS]]);
    expect(PREPARE_AHEAD_MS).toBeLessThan(EARLY_ENOUGH_MS);
    // Nothing more that night, nor during the next day, then the day after.
    jest.advanceTimersByTime(MS_PER_DAY - 1);
    await settle();
    expect(built.map(([d]) => d)).toEqual([DAY + 1]);
    jest.advanceTimersByTime(1);
    await settle();
    expect(built).toEqual([
      [DAY + 1, midnight(DAY + 1) - PREPARE_AHEAD_MS],
      [DAY + 2, midnight(DAY + 2) - PREPARE_AHEAD_MS],
    ]);
    stop();
    jest.advanceTimersByTime(3 * MS_PER_DAY);
    await settle();
    expect(built.length).toBe(2);
  });

  it('begins as much earlier as the last build took longer (one and a half times, a minute more), at most MAX_AHEAD_MS, telling the engine so', async () => {
    jest.useFakeTimers({ now: midnight(DAY) + 12 * MS_PER_HOUR });
    const built: Array<[number, number, number]> = [];
    // At start-up a day's build took 6 minutes; each build ahead then takes 10, then 40 minutes.
    const takes = [10 * 60_000, 40 * 60_000, 40 * 60_000];
    const stop = scheduleDayAhead({
      build: async (day, earlyMs) => {
        built.push([day, midnight(day) - Date.now(), earlyMs]);
        jest.setSystemTime(Date.now() + takes[built.length - 1]);
      },
      log,
      lastBuildMs: 6 * 60_000,
    });
    // A minute at a time: each build's end is seen at the minute it ends.
    for (let i = 0; i < 3 * 24 * 60; i++) {
      jest.advanceTimersByTime(60_000);
      await settle();
    }
    stop();
    expect(built).toEqual([
      [DAY + 1, 10 * 60_000, 11 * 60_000],
      [DAY + 2, 16 * 60_000, 17 * 60_000],
      [DAY + 3, MAX_AHEAD_MS, MAX_AHEAD_MS + 60_000],
    ]);
    expect(aheadOf(0)).toBe(PREPARE_AHEAD_MS);
    expect(aheadOf(60_000)).toBe(PREPARE_AHEAD_MS);
  });

  it('builds at once when started within those minutes, tries a failed build again before midnight, and goes on the next day', async () => {
    jest.useFakeTimers({ now: midnight(DAY + 1) - 3 * RETRY_AHEAD_MS + 1 });
    const built: Array<[number, number]> = [];
    const stop = scheduleDayAhead({
      build: async (day) => {
        built.push([day, Date.now() - midnight(day)]);
        if (day === DAY + 1) throw new Error('ClickHouse unreachable');
      },
      log,
    });
    jest.advanceTimersByTime(0);
    await settle();
    expect(built).toEqual([[DAY + 1, 1 - 3 * RETRY_AHEAD_MS]]);
    for (let i = 0; i < 3; i++) {
      jest.advanceTimersByTime(RETRY_AHEAD_MS);
      await settle();
    }
    // Again while a retry still begins before midnight; not after.
    expect(built).toEqual([
      [DAY + 1, 1 - 3 * RETRY_AHEAD_MS],
      [DAY + 1, 1 - 2 * RETRY_AHEAD_MS],
      [DAY + 1, 1 - RETRY_AHEAD_MS],
    ]);
    jest.advanceTimersByTime(MS_PER_DAY);
    await settle();
    expect(built.map(([d]) => d)).toEqual([DAY + 1, DAY + 1, DAY + 1, DAY + 2]);
    stop();
  });

  it('gives the engine a history it judges the new day with, built once (not again at midnight)', async () => {
    let clock = midnight(DAY + 1) - PREPARE_AHEAD_MS;
    const builds: number[] = [];
    const history = { peers: () => null } as never;
    const engine = createEngine({
      detection: {} as never,
      people: new Map(),
      catalog: { sensitivity: () => 'internal', size: 0 } as never,
      allowlist: { covering: () => undefined, entries: [] } as never,
      adjustments: { on: () => null } as never,
      now: () => clock,
      history: async (day: number) => {
        builds.push(day);
        return history;
      },
    } as never);
    await engine.load(DAY + 1);
    clock = midnight(DAY + 1) + 1000;
    await engine.load(DAY + 1);
    expect(builds).toEqual([DAY + 1]);
  });

  it('replaces a history of the next day built hours early (an event dated ahead), so that midnight does not build it again', async () => {
    const { engine, o } = liveEngine(midnight(DAY) + 20 * MS_PER_HOUR);
    await engine.process([touch('today', o.clock - 60_000)]);
    // 20:00: one message dated 00:05 tomorrow (within ingest.maxFutureSkewMs) builds tomorrow's history early.
    await engine.process([touch('ahead', midnight(DAY + 1) + 5 * 60_000, 'crm.orders', 'peer1')]);
    o.clock = midnight(DAY + 1) - PREPARE_AHEAD_MS;
    await engine.load(DAY + 1);
    o.clock = midnight(DAY + 1) + 1000;
    await engine.process([touch('new', o.clock)]);
    expect(o.builds.filter(([day]) => day === DAY + 1)).toEqual([
      [DAY + 1, midnight(DAY) + 20 * MS_PER_HOUR],
      [DAY + 1, midnight(DAY + 1) - PREPARE_AHEAD_MS],
    ]);
  });

  it('awaits at midnight a build ahead still running, not begins the day a third time', async () => {
    const { engine, o } = liveEngine(midnight(DAY) + 20 * MS_PER_HOUR);
    await engine.process([touch('today', o.clock - 60_000)]);
    await engine.process([touch('ahead', midnight(DAY + 1) + 5 * 60_000, 'crm.orders', 'peer1')]);
    // 23:56: the build ahead begins, and takes minutes; the first event after midnight comes meanwhile.
    o.clock = midnight(DAY + 1) - PREPARE_AHEAD_MS;
    o.slow = true;
    const loading = engine.load(DAY + 1);
    o.clock = midnight(DAY + 1) + 1000;
    const judged = engine.process([touch('new', o.clock)]);
    await new Promise((resolve) => setImmediate(resolve));
    o.release();
    await Promise.all([loading, judged]);
    expect(o.builds.filter(([day]) => day === DAY + 1)).toEqual([
      [DAY + 1, midnight(DAY) + 20 * MS_PER_HOUR],
      [DAY + 1, midnight(DAY + 1) - PREPARE_AHEAD_MS],
    ]);
  });

  it('keeps judging events dated ahead with the early history while (and if) its replacement fails', async () => {
    const { engine, o } = liveEngine(midnight(DAY) + 20 * MS_PER_HOUR);
    await engine.process([touch('today', o.clock - 60_000)]);
    await engine.process([touch('ahead', midnight(DAY + 1) + 5 * 60_000, 'crm.orders', 'peer1')]);
    // 23:56: ClickHouse blips; the build ahead fails; the next event dated ahead is judged as before.
    o.clock = midnight(DAY + 1) - PREPARE_AHEAD_MS;
    o.down = true;
    await expect(engine.load(DAY + 1)).rejects.toThrow('unreachable');
    o.clock += 30_000;
    await expect(engine.process([touch('ahead2', midnight(DAY + 1) + 6 * 60_000, 'crm.orders', 'peer1')])).resolves.toEqual([]);
  });

  describe('sensitive tables first touched in the minutes after the build, the third after midnight', () => {
    /** The history built at 23:56 (alice knows crm.orders only), then her day before. */
    async function builtAhead() {
      const live = liveEngine(midnight(DAY + 1) - PREPARE_AHEAD_MS);
      await live.engine.process([touch('d0', midnight(DAY) + 10 * MS_PER_HOUR)]);
      await live.engine.load(DAY + 1);
      return live;
    }
    const reconnaissance = (alerts: AlertRecord[]) => alerts.map((a) => a.findings.map((f) => [f.detector, f.details?.newSensitiveTables]));

    it('counts the first two as known and recent the next day', async () => {
      const { engine, o } = await builtAhead();
      // 23:57 and 23:58: two of them for the first time (two of three: nothing yet).
      o.clock = midnight(DAY + 1) - 3 * 60_000;
      expect(await engine.process([touch('e1', o.clock, PII[0]), touch('e2', o.clock + 60_000, PII[1])])).toEqual([]);
      // 00:10: the third, within firstAccessDays of the others.
      o.clock = midnight(DAY + 1) + 10 * 60_000;
      expect(reconnaissance(await engine.process([touch('e3', o.clock, PII[2])]))).toEqual([[['sensitive', [...PII].sort()]]]);
    });

    it('also when they arrive after her first event of the new day (their source ships a few minutes behind)', async () => {
      const { engine, o } = await builtAhead();
      // 00:00:31: her query of 00:00:30 on a database whose log ships at once.
      o.clock = midnight(DAY + 1) + 31_000;
      expect(await engine.process([touch('b1', midnight(DAY + 1) + 30_000)])).toEqual([]);
      // 00:01: the other source's events of 23:57 and 23:58.
      o.clock = midnight(DAY + 1) + 60_000;
      expect(await engine.process([touch('e1', midnight(DAY + 1) - 180_000, PII[0]), touch('e2', midnight(DAY + 1) - 120_000, PII[1])])).toEqual([]);
      o.clock = midnight(DAY + 1) + 10 * 60_000;
      expect(reconnaissance(await engine.process([touch('e3', o.clock, PII[2])]))).toEqual([[['sensitive', [...PII].sort()]]]);
    });

    it('counts a table once when it is both: touched after midnight, then found touched at 23:59 (two tables do not cross three)', async () => {
      expect(detection.detectors.sensitive.firstAccessTables).toBe(3);
      const { engine, o } = await builtAhead();
      o.clock = midnight(DAY + 1) + 60_000;
      expect(await engine.process([touch('n1', midnight(DAY + 1) + 30_000, PII[0]), touch('n2', midnight(DAY + 1) + 40_000, PII[1])])).toEqual([]);
      expect(await engine.process([touch('late', midnight(DAY + 1) - 60_000, PII[0])])).toEqual([]);
      o.clock = midnight(DAY + 1) + 10 * 60_000;
      expect(await engine.process([touch('ordinary', o.clock)])).toEqual([]);
    });

    it.each([
      ['', false],
      [', also judged again (the alert floor changed) once the day before is forgotten', true],
    ])('counts them on the new day when they arrive after midnight%s', async (_, changeFloor) => {
      const { engine, o } = await builtAhead();
      o.clock = midnight(DAY + 1) - 60_000;
      expect(await engine.process([touch('e1', midnight(DAY + 1) - 180_000, PII[0]), touch('e2', midnight(DAY + 1) - 120_000, PII[1])])).toEqual([]);
      o.clock = midnight(DAY + 1) + 10 * 60_000;
      expect(await engine.process([touch('n1', o.clock)])).toEqual([]);
      // The day after begins (DAY is forgotten); an admin changes the alert floor.
      o.clock = midnight(DAY + 2) + 30_000;
      await engine.process([touch('m1', o.clock - 1000)]);
      if (changeFloor) engine.setAlertFloor(detection.scoring.alertFloor + 1);
      // 00:01: her query of 23:59 the day before, from a source a few minutes behind: the third pii table.
      o.clock = midnight(DAY + 2) + 60_000;
      expect(reconnaissance(await engine.process([touch('e3', midnight(DAY + 2) - 60_000, PII[2])]))).toEqual([[['sensitive', [...PII].sort()]]]);
    });

    it('learns a flood of late tables without judging her new day again for each (one judgement, not thousands)', async () => {
      const { engine, o } = await builtAhead();
      o.clock = midnight(DAY + 1) + 60_000;
      await engine.process([touch('n1', midnight(DAY + 1) + 30_000)]);
      const late = Array.from({ length: 3000 }, (_, i) => touch(`late${i}`, midnight(DAY + 1) - 60_000 + (i % 50), `x.t${i}`));
      await engine.process(late);
      expect(o.judgements.get(DAY + 1)).toBe(1);
    });
  });
});

/** Alice and ten peers, all usually about 100 MB a day of crm.orders; three pii tables none of them knows. */
const PEERS = Array.from({ length: 10 }, (_, i) => `peer${i + 1}`);
const people = peopleFrom([directoryEntry('alice', 'Sales', 'sales_ops'), ...PEERS.map((id) => directoryEntry(id, 'Sales', 'sales_ops'))]);
const users: Record<string, PersonDays> = Object.fromEntries(['alice', ...PEERS].map((id, i) => [id, { daily: spread(100 * MB, 0.5, 29 * i), tables: ['crm.orders'] }]));
const PII = ['hr.salaries', 'hr.reviews', 'hr.addresses'];
const touch = (id: string, ts: number, table = 'crm.orders', user = 'alice'): DetectEvent => ({ eventId: id, ts, user, action: 'SELECT', bytes: MB, rows: 1, table, clientIp: '', clientApp: '', sessionId: 's', ok: true });

/**
 * A live engine on a clock the test moves; its histories from the rollups' rows. Each build is noted;
 * `down`: they fail; `slow`: the next one waits for `release()`. `judgements`: how often alice's days
 * were judged (each asks the history what she knows), by day.
 */
function liveEngine(start: number) {
  const o = { clock: start, down: false, slow: false, release: () => {}, builds: [] as Array<[number, number]>, judgements: new Map<number, number>() };
  const engine = createEngine({
    detection,
    people,
    catalog: catalogFrom(PII.map((t) => ({ database: t.split('.')[0], table: t.split('.')[1], sensitivity: 'pii' as const }))),
    allowlist: allowlistFrom([]),
    live: true,
    now: () => o.clock,
    history: async (day) => {
      o.builds.push([day, o.clock]);
      if (o.down) throw new Error('ClickHouse unreachable');
      if (o.slow) {
        o.slow = false;
        await new Promise<void>((resolve) => (o.release = resolve));
      }
      const h = handHistory(day, users, detection, people);
      const known = (user: string) => {
        if (user === 'alice') o.judgements.set(day, (o.judgements.get(day) ?? 0) + 1);
        return h.known(user);
      };
      return { ...h, known };
    },
  });
  return { engine, o };
}
