// Every detector of the engine on its own: a RuleContext built by hand, prepare(), then the running
// totals of a day fed event by event (as the engine does), checked after every event so that the
// finding is seen at the event that crosses the threshold.
import { isWeekend } from '../../src/calendar';
import { loadConfig } from '../../src/config';
import type { DetectorSettings } from '../../src/config/detection-schema';
import { peerStats, userBaseline, type DayVolume, type PeerStats, type UserBaseline } from '../../src/detect/baselines';
import { catalogFrom } from '../../src/detect/catalog';
import { addEvent, newDayState } from '../../src/detect/day-state';
import { ceiling } from '../../src/detect/detectors/ceiling';
import { departing } from '../../src/detect/detectors/departing';
import { exportRate } from '../../src/detect/detectors/export-rate';
import { offHours } from '../../src/detect/detectors/off-hours';
import type { Check, Finding, Rule, RuleContext } from '../../src/detect/detectors/rule';
import { sensitive } from '../../src/detect/detectors/sensitive';
import { slowDrip } from '../../src/detect/detectors/slow-drip';
import { volumePeers } from '../../src/detect/detectors/volume-peers';
import { volumeSelf } from '../../src/detect/detectors/volume-self';
import type { DetectEvent } from '../../src/detect/event';
import type { Person } from '../../src/detect/people';
import { at, DAY, GB, MB, MIN, MON } from '../helpers/detect-time';


const { detection } = loadConfig({ env: {} }).config;
const DEFAULTS: DetectorSettings = detection.detectors;
const PARAMS = { baselineDays: detection.baselineDays, minHistoryDays: detection.minHistoryDays, sigmaFloor: detection.sigmaFloor, dripWindowDays: DEFAULTS.slowDrip.windowDays };
const catalog = catalogFrom([
  { database: 'crm', table: 'customers', sensitivity: 'pii' },
  { database: 'hr', table: '*', sensitivity: 'pii' },
  { database: 'pay', table: '*', sensitivity: 'payment' },
  { database: 'web', table: '*', sensitivity: 'public' },
]);

// ---- builders ----

/** The `n` weekdays before `day` (nearest first), with bytes from `bytesOf(i)` (i = 0: the nearest one). */
function weekdaysBefore(day: number, n: number, bytesOf: (i: number) => number): DayVolume[] {
  const out: DayVolume[] = [];
  for (let d = day - 1; out.length < n; d--) if (!isWeekend(d)) out.push({ day: d, bytes: bytesOf(out.length) });
  return out;
}

/** 20 working days at exactly 100 MB: median 100 MB, sigma at the floor (0.4). */
const STEADY = weekdaysBefore(DAY, 20, () => 100 * MB);

function person(over: Partial<Person> = {}): Person {
  return { id: 'alice', department: 'Sales', role: 'sales_ops', accountType: 'human', timezone: 'UTC', hireDay: MON - 1000, noticeDay: null, endDay: null, known: true, ...over };
}

const baselineOf = (series: DayVolume[], day = DAY, hourlyP95: number | null = 40 * MB): UserBaseline => userBaseline(series, day, hourlyP95, PARAMS);

/** Peers of Sales/sales_ops whose daily quantiles are the given numbers (q -> quantile). */
const salesPeers = (quantile: number, median = 100 * MB): PeerStats => ({ group: 'Sales/sales_ops', members: 8, userDays: 160, median, quantile, q: DEFAULTS.volumePeers.quantile });

function settings(over: { [K in keyof DetectorSettings]?: Partial<DetectorSettings[K]> } = {}): DetectorSettings {
  const out = { ...DEFAULTS } as Record<string, object>;
  for (const [k, v] of Object.entries(over)) out[k] = { ...out[k], ...v };
  return out as unknown as DetectorSettings;
}

interface CtxOptions {
  day?: number;
  person?: Partial<Person>;
  settings?: DetectorSettings;
  baseline?: UserBaseline;
  known?: { tables: string[]; activeDays: number };
  peers?: PeerStats | null;
}

/** A tenured employee with a steady 100 MB a day unless told otherwise. */
function ctxOf(o: CtxOptions = {}): RuleContext {
  const day = o.day ?? DAY;
  return {
    day,
    person: person(o.person),
    settings: o.settings ?? DEFAULTS,
    baseline: o.baseline ?? baselineOf(STEADY, day),
    known: { tables: new Set(o.known?.tables ?? ['crm.customers', 'crm.orders']), activeDays: o.known?.activeDays ?? 60 },
    peers: (q) => (o.peers === undefined ? salesPeers(400 * MB) : o.peers && { ...o.peers, q }),
    minHistoryDays: detection.minHistoryDays,
  };
}

let seq = 0;
function ev(ts: number, bytes: number, over: Partial<DetectEvent> = {}): DetectEvent {
  seq++;
  return { eventId: `e${seq}`, ts, user: 'alice', action: 'SELECT', bytes, rows: Math.round(bytes / 1000), table: 'crm.orders', clientIp: '10.0.0.7', clientApp: 'psql', sessionId: 's1', ok: true, ...over };
}

/** `n` events of `bytes` each, one a minute from `ts`. */
const burst = (ts: number, n: number, bytes: number, over: Partial<DetectEvent> = {}) => Array.from({ length: n }, (_, i) => ev(ts + i * MIN, bytes, over));

/**
 * Prepares `rule` and feeds the events one by one into the day's state (the facts the engine would give),
 * checking after each. Returns the first finding and the index of the event that produced it.
 */
function run(rule: Rule, ctx: RuleContext, events: DetectEvent[], day = ctx.day): { check: Check; first: { index: number; finding: Finding } | null; last: Finding | null } {
  const check = rule.prepare(ctx);
  if (!check) throw new Error(`${rule.name} does not judge this context`);
  const state = newDayState(ctx.person.id, day);
  const classes = new Set<string>(ctx.settings.sensitive.classes);
  let first: { index: number; finding: Finding } | null = null;
  let last: Finding | null = null;
  events.forEach((e, index) => {
    const sensitivity = catalog.sensitivity(e.table);
    addEvent(state, e, {
      sensitivity,
      sensitive: classes.has(sensitivity),
      knownTable: ctx.known.tables.has(e.table),
      timezone: ctx.person.timezone,
      night: ctx.settings.offHours,
      windowMs: ctx.settings.exportRate.windowMinutes * MIN,
      allowlisted: undefined,
    });
    last = check(state);
    if (last && !first) first = { index, finding: last };
  });
  return { check, first, last };
}

// ---- detectors ----

describe('volumeSelf', () => {
  it('fires at the event that takes the day to 8x the own median (the default minMultiple)', () => {
    // 7 x 100 MB = 700 MB is below 800 MB; the 8th event (150 MB) takes the day to 850 MB.
    const { first } = run(volumeSelf, ctxOf(), [...burst(at(DAY, 9), 7, 100 * MB), ev(at(DAY, 11), 150 * MB)]);
    expect(first?.index).toBe(7);
    const f = first!.finding;
    expect(f).toMatchObject({ detector: 'volumeSelf', observed: 850 * MB });
    expect(f.threshold).toBeCloseTo(800 * MB, 0);
    expect(f.reference).toBeCloseTo(100 * MB, 0);
    expect(f.multiple).toBeCloseTo(8.5, 6);
    expect(f.clause).toBe('own weekday median 100 MB (8.5x)');
    expect(f.details).toMatchObject({ sigma: 0.4, baselineDays: 20 });
  });

  it('needs minZ robust sd as well: a volatile employee doing 10x the median is not flagged', () => {
    // 10 MB, 100 MB and 1 GB days: sigma = 1.4826 ln 10 = 3.4, so 4 sd is far beyond 8x.
    const volatile = weekdaysBefore(DAY, 21, (i) => [10 * MB, 100 * MB, 1 * GB][i % 3]);
    const { first } = run(volumeSelf, ctxOf({ baseline: baselineOf(volatile) }), burst(at(DAY, 9), 10, 100 * MB));
    expect(first).toBeNull();
  });

  it('needs minBytes as well: 8x a 1 MB median is not 100 MB', () => {
    const tiny = weekdaysBefore(DAY, 20, () => 1 * MB);
    const { first } = run(volumeSelf, ctxOf({ baseline: baselineOf(tiny) }), [ev(at(DAY, 9), 50 * MB), ev(at(DAY, 10), 60 * MB)]);
    expect(first?.index).toBe(1);
    expect(first?.finding.threshold).toBe(100 * MB);
  });

  it('does not judge without a band (cold start) or when disabled', () => {
    expect(volumeSelf.prepare(ctxOf({ baseline: baselineOf(STEADY.slice(0, 5)) }))).toBeNull();
    expect(volumeSelf.prepare(ctxOf({ settings: settings({ volumeSelf: { enabled: false } }) }))).toBeNull();
  });
});

describe('volumePeers', () => {
  const newHire = () => baselineOf(STEADY.slice(0, 3));

  it('judges a cold start (no own band) at coldStartMultiple x the peers quantile', () => {
    // 3 x 400 MB = 1.2 GB; 2 x 500 MB is below, the third event crosses.
    const { first } = run(volumePeers, ctxOf({ baseline: newHire() }), burst(at(DAY, 9), 3, 500 * MB));
    expect(first?.index).toBe(2);
    expect(first?.finding).toMatchObject({ detector: 'volumePeers', observed: 1.5 * GB, threshold: 1.2 * GB, reference: 400 * MB, multiple: 3.75 });
    expect(first?.finding.clause).toBe("Sales/sales_ops peers' 99th percentile 400 MB (3.8x), 3 day(s) of own history");
    expect(first?.finding.details).toMatchObject({ peerGroup: 'Sales/sales_ops', peerMembers: 8, coldStart: 'yes' });
  });

  it('needs minMultiple (20x) for someone with history: the same 1.5 GB is no finding', () => {
    const ctx = ctxOf();
    expect(run(volumePeers, ctx, burst(at(DAY, 9), 3, 500 * MB)).first).toBeNull();
    // 20 x 400 MB = 8 GB.
    const { first } = run(volumePeers, ctx, [ev(at(DAY, 9), 7.9 * GB), ev(at(DAY, 10), 0.2 * GB)]);
    expect(first?.index).toBe(1);
    expect(first?.finding).toMatchObject({ threshold: 8 * GB, observed: 8.1 * GB, details: { coldStart: 'no' } });
    expect(first?.finding.clause).not.toMatch(/own history/);
  });

  it('asks for the configured quantile and keeps minBytes as a floor', () => {
    const peers = jest.fn((q: number) => peerStats('Sales/sales_ops', 6, [1 * MB, 2 * MB, 3 * MB], q));
    const ctx = { ...ctxOf({ baseline: newHire() }), peers };
    const { first } = run(volumePeers, ctx, [ev(at(DAY, 9), 400 * MB), ev(at(DAY, 9, 5), 100 * MB)]);
    expect(peers).toHaveBeenCalledWith(0.99);
    expect(first?.index).toBe(1);
    expect(first?.finding.threshold).toBe(500 * MB);
  });

  it('does not judge without peers or when disabled', () => {
    expect(volumePeers.prepare(ctxOf({ peers: null }))).toBeNull();
    expect(volumePeers.prepare(ctxOf({ settings: settings({ volumePeers: { enabled: false } }) }))).toBeNull();
  });
});

describe('exportRate', () => {
  it('fires when the last windowMinutes add up to max(minBytes, minMultiple x the 95th-percentile hour)', () => {
    // p95 40 MB: 20x is 800 MB, so the 2 GB floor applies; 4 x 450 MB is below it, the 5th event crosses.
    const { first } = run(exportRate, ctxOf(), burst(at(DAY, 10), 5, 450 * MB));
    expect(first?.index).toBe(4);
    expect(first?.finding).toMatchObject({ detector: 'exportRate', observed: 2.25 * GB, threshold: 2 * GB, reference: 40 * MB, details: { windowMinutes: 60 } });
    expect(first?.finding.multiple).toBeCloseTo(56.25, 6);
    expect(first?.finding.clause).toBe('2.25 GB within 60 min, own busiest usual hour 40 MB (56x)');
  });

  it('scales with a busy hourly baseline', () => {
    const ctx = ctxOf({ baseline: baselineOf(STEADY, DAY, 200 * MB) });
    const { first } = run(exportRate, ctx, burst(at(DAY, 10), 10, 450 * MB));
    // 20 x 200 MB = 4 GB: the 9th event (4.05 GB).
    expect(first?.index).toBe(8);
    expect(first?.finding.threshold).toBe(4 * GB);
  });

  it('forgets events older than windowMinutes: 3 GB spread over 2 hours is no export in progress', () => {
    const ctx = ctxOf();
    const spread = run(exportRate, ctx, [ev(at(DAY, 9), 1.5 * GB), ev(at(DAY, 10), 1.5 * GB)]);
    expect(spread.first).toBeNull();
    // A minute less apart, both are in the same window.
    const close = run(exportRate, ctx, [ev(at(DAY, 9), 1.5 * GB), ev(at(DAY, 9, 59), 1.5 * GB)]);
    expect(close.first?.finding.observed).toBe(3 * GB);
  });

  it('does not judge without an hourly baseline, without a band (cold start), or when disabled', () => {
    expect(exportRate.prepare(ctxOf({ baseline: baselineOf(STEADY, DAY, null) }))).toBeNull();
    expect(exportRate.prepare(ctxOf({ baseline: baselineOf(STEADY.slice(0, 5), DAY, 40 * MB) }))).toBeNull();
    expect(exportRate.prepare(ctxOf({ settings: settings({ exportRate: { enabled: false } }) }))).toBeNull();
  });
});

describe('ceiling', () => {
  it('fires at the daily ceiling whatever the history, even for a cold start', () => {
    const ctx = ctxOf({ baseline: baselineOf([]), peers: null });
    const { first } = run(ceiling, ctx, [ev(at(DAY, 1), 30 * GB), ev(at(DAY, 2), 19.9 * GB), ev(at(DAY, 3), 0.1 * GB)]);
    expect(first?.index).toBe(2);
    expect(first?.finding).toEqual({ detector: 'ceiling', observed: 50 * GB, threshold: 50 * GB, reference: null, multiple: null, clause: 'above the 50 GB daily ceiling' });
  });

  it('is off when disabled (service accounts by default)', () => {
    expect(ceiling.prepare(ctxOf({ settings: settings({ ceiling: { enabled: false } }) }))).toBeNull();
  });
});

describe('sensitive', () => {
  it('fires when the pii and payment tables add up to dailyBytes, not counting internal tables', () => {
    const events = [ev(at(DAY, 9), 9 * GB, { table: 'crm.customers' }), ev(at(DAY, 10), 5 * GB, { table: 'crm.orders' }), ev(at(DAY, 11), 1 * GB, { table: 'pay.cards' })];
    const { first } = run(sensitive, ctxOf({ known: { tables: ['crm.customers', 'crm.orders', 'pay.cards'], activeDays: 60 } }), events);
    expect(first?.index).toBe(2);
    expect(first?.finding).toMatchObject({ detector: 'sensitive', observed: 10 * GB, threshold: 10 * GB });
    expect(first?.finding.clause).toBe('10 GB from pii/payment tables (limit 10 GB)');
  });

  it('fires on first access to firstAccessTables sensitive tables not known before, whatever the volume', () => {
    const events = [
      ev(at(DAY, 9), 1 * MB, { table: 'crm.customers' }), // sensitive but known
      ev(at(DAY, 9, 1), 1 * MB, { table: 'hr.salaries' }), // new, pii
      ev(at(DAY, 9, 2), 1 * MB, { table: 'crm.leads' }), // new, but internal
      ev(at(DAY, 9, 3), 1 * MB, { table: 'web.pages' }), // new, but public
      ev(at(DAY, 9, 4), 1 * MB, { table: 'hr.salaries' }), // the same new table again
      ev(at(DAY, 9, 5), 1 * MB, { table: 'pay.cards' }), // new, payment: second
      ev(at(DAY, 9, 6), 1 * MB, { table: 'hr.reviews' }), // new, pii: third
    ];
    const { first } = run(sensitive, ctxOf({ known: { tables: ['crm.customers'], activeDays: 60 } }), events);
    expect(first?.index).toBe(6);
    expect(first?.finding).toMatchObject({ observed: 3, threshold: 3, details: { newSensitiveTables: ['hr.reviews', 'hr.salaries', 'pay.cards'] } });
    expect(first?.finding.clause).toBe('first access to 3 pii/payment tables in 60 active days: hr.reviews, hr.salaries, pay.cards');
  });

  it('does not judge first access for a new hire (fewer than minHistoryDays active days), but still judges volume', () => {
    const ctx = ctxOf({ known: { tables: [], activeDays: detection.minHistoryDays - 1 } });
    const tables = ['hr.a', 'hr.b', 'pay.c', 'pay.d', 'crm.customers'];
    expect(run(sensitive, ctx, tables.map((table, i) => ev(at(DAY, 9, i), 1 * MB, { table }))).first).toBeNull();
    const { first } = run(sensitive, ctx, [ev(at(DAY, 9), 11 * GB, { table: 'hr.a' })]);
    expect(first?.finding).toMatchObject({ observed: 11 * GB, threshold: 10 * GB });
    // From minHistoryDays on, the same first accesses are judged.
    expect(run(sensitive, ctxOf({ known: { tables: [], activeDays: detection.minHistoryDays } }), tables.map((table, i) => ev(at(DAY, 9, i), 1 * MB, { table }))).first?.index).toBe(2);
  });

  it('has no volume limit with dailyBytes null, and is off when disabled', () => {
    const ctx = ctxOf({ settings: settings({ sensitive: { dailyBytes: null } }) });
    expect(run(sensitive, ctx, [ev(at(DAY, 9), 40 * GB, { table: 'crm.customers' })]).first).toBeNull();
    expect(sensitive.prepare(ctxOf({ settings: settings({ sensitive: { enabled: false } }) }))).toBeNull();
  });
});

describe('offHours', () => {
  // 03:00 in Singapore (UTC+8) on DAY is 19:00 UTC on the day before: that UTC day's state counts it.
  const nightInSingapore = at(DAY - 1, 19);

  it('counts volume at night in the person own time zone, against 5x their usual day', () => {
    const ctx = ctxOf({ day: DAY - 1, person: { timezone: 'Asia/Singapore' }, baseline: baselineOf(STEADY, DAY - 1) });
    const { first } = run(offHours, ctx, [ev(nightInSingapore, 300 * MB), ev(nightInSingapore + MIN, 300 * MB)]);
    expect(first?.index).toBe(1);
    expect(first?.finding).toMatchObject({ detector: 'offHours', observed: 600 * MB });
    expect(first?.finding.threshold).toBeCloseTo(500 * MB, 0);
    expect(first?.finding.multiple).toBeCloseTo(6, 6);
    expect(first?.finding.clause).toBe('600 MB between 22:00 and 06:00 local time (Asia/Singapore), 6x the own weekday median');
  });

  it('does not count the same instant for someone in UTC (19:00 is their evening), nor daytime in Singapore', () => {
    const utc = ctxOf({ day: DAY - 1, baseline: baselineOf(STEADY, DAY - 1) });
    expect(run(offHours, utc, [ev(nightInSingapore, 2 * GB)]).first).toBeNull();
    // 10:00 UTC is 18:00 in Singapore.
    const sg = ctxOf({ person: { timezone: 'Asia/Singapore' } });
    expect(run(offHours, sg, [ev(at(DAY, 10), 2 * GB)]).first).toBeNull();
    // 23:00 UTC is night in UTC.
    expect(run(offHours, ctxOf(), [ev(at(DAY, 23), 2 * GB)]).first?.finding.observed).toBe(2 * GB);
  });

  it("falls back to the peers' median without own history, and does not judge without either", () => {
    const ctx = ctxOf({ baseline: baselineOf([]), peers: salesPeers(400 * MB, 150 * MB) });
    const { first } = run(offHours, ctx, [ev(at(DAY, 2), 800 * MB)]);
    expect(first?.finding).toMatchObject({ reference: 150 * MB, threshold: 750 * MB });
    expect(first?.finding.clause).toMatch(/the Sales\/sales_ops peers' median$/);
    expect(offHours.prepare(ctxOf({ baseline: baselineOf([]), peers: null }))).toBeNull();
    expect(offHours.prepare(ctxOf({ settings: settings({ offHours: { enabled: false } }) }))).toBeNull();
  });
});

describe('departing', () => {
  const NOTICE = DAY - 10;
  const END = DAY + 14;
  const leaving = (day: number, over: Partial<Person> = { noticeDay: NOTICE, endDay: END }) => ctxOf({ day, person: over, baseline: baselineOf(STEADY, DAY) });

  it('fires at 6x the usual day for someone on notice', () => {
    // max(200 MB, 6 x 100 MB) = 600 MB.
    const { first } = run(departing, leaving(DAY), [ev(at(DAY, 9), 500 * MB), ev(at(DAY, 10), 150 * MB)]);
    expect(first?.index).toBe(1);
    expect(first?.finding).toMatchObject({ detector: 'departing', observed: 650 * MB });
    expect(first?.finding.threshold).toBeCloseTo(600 * MB, 0);
    expect(first?.finding.clause).toBe('on notice since 2026-10-02, leaving 2026-10-26; 6.5x the own weekday median of 100 MB');
  });

  it('watches only from the notice date to graceDays after the end date', () => {
    const grace = DEFAULTS.departing.graceDays;
    expect(departing.prepare(leaving(NOTICE - 1))).toBeNull();
    expect(departing.prepare(leaving(NOTICE))).not.toBeNull();
    expect(departing.prepare(leaving(END + grace))).not.toBeNull();
    expect(departing.prepare(leaving(END + grace + 1))).toBeNull();
    // Notice given, no end date yet: watched from the notice on.
    expect(departing.prepare(leaving(DAY + 100, { noticeDay: NOTICE, endDay: null }))).not.toBeNull();
    // An end date without a notice date: watched from graceDays before the end date.
    expect(departing.prepare(leaving(END - grace - 1, { noticeDay: null, endDay: END }))).toBeNull();
    expect(departing.prepare(leaving(END - grace, { noticeDay: null, endDay: END }))).not.toBeNull();
  });

  it('does not watch someone who is staying, nor anyone when disabled', () => {
    expect(departing.prepare(leaving(DAY, {}))).toBeNull();
    expect(departing.prepare({ ...leaving(DAY), settings: settings({ departing: { enabled: false } }) })).toBeNull();
  });
});

describe('slowDrip', () => {
  /** A Monday with 20 working days at 100 MB before the window, then 9 at `drip`. */
  const dripSeries = (today: number, drip: (i: number) => number, reference = 100 * MB, referenceDays = 20) => weekdaysBefore(today, 9 + referenceDays, (i) => (i < 9 ? drip(i) : reference));
  const dripCtx = (series: DayVolume[], over: CtxOptions = {}, today = DAY) => ctxOf({ day: today, baseline: baselineOf(series, today), ...over });

  it('fires on a run of working days above multiple x the reference that adds up to minExcessBytes', () => {
    const series = dripSeries(DAY, () => 250 * MB);
    const { first } = run(slowDrip, dripCtx(series), [ev(at(DAY, 9), 150 * MB), ev(at(DAY, 10), 100 * MB)]);
    // Today is judged only once it is itself above 2 x 100 MB.
    expect(first?.index).toBe(1);
    const f = first!.finding;
    // 9 days x 150 MB + today's 150 MB above the usual.
    expect(f).toMatchObject({ detector: 'slowDrip', observed: 1.5 * GB, threshold: 200 * MB, reference: 100 * MB, details: { daysAbove: 10, windowDays: 10, referenceDays: 20 } });
    expect(f.multiple).toBeCloseTo(2.5, 6);
    expect(f.sinceDay).toBe(series[8].day);
    expect(f.clause).toBe('10 of the last 10 working days above 2x the usual 100 MB, 1.5 GB more than usual in total');
  });

  it('needs minDaysAbove of the window above the limit', () => {
    // 7 prior days above + today = 8 (enough); 6 + today = 7 (not).
    expect(slowDrip.prepare(dripCtx(dripSeries(DAY, (i) => (i < 7 ? 250 * MB : 120 * MB))))).not.toBeNull();
    expect(slowDrip.prepare(dripCtx(dripSeries(DAY, (i) => (i < 6 ? 250 * MB : 120 * MB))))).toBeNull();
  });

  it('needs the excess to add up to minExcessBytes', () => {
    // Reference 10 MB, 9 days at 21 MB: 99 MB + today's 11 MB is 110 MB more, below 200 MB.
    const small = dripSeries(DAY, () => 21 * MB, 10 * MB);
    expect(run(slowDrip, dripCtx(small), [ev(at(DAY, 9), 21 * MB), ev(at(DAY, 10), 50 * MB)]).first).toBeNull();
    // The same shape at 10x the volume is enough.
    expect(run(slowDrip, dripCtx(dripSeries(DAY, () => 210 * MB, 100 * MB)), [ev(at(DAY, 9), 210 * MB)]).first).not.toBeNull();
  });

  it(`does not judge tenure below minTenureDays (${DEFAULTS.slowDrip.minTenureDays}): new starters ramp up`, () => {
    const series = dripSeries(DAY, () => 250 * MB);
    expect(slowDrip.prepare(dripCtx(series, { person: { hireDay: DAY - 60 } }))).toBeNull();
    expect(slowDrip.prepare(dripCtx(series, { person: { hireDay: DAY - 90 } }))).not.toBeNull();
    expect(slowDrip.prepare(dripCtx(series, { person: { hireDay: null } }))).not.toBeNull();
  });

  it('does not judge a weekend day, too few reference days, or when disabled', () => {
    const saturday = DAY + 5;
    expect(isWeekend(saturday)).toBe(true);
    expect(slowDrip.prepare(dripCtx(dripSeries(saturday, () => 250 * MB), {}, saturday))).toBeNull();
    // 11 working days before the window, fewer than minReferenceDays (12).
    expect(slowDrip.prepare(dripCtx(dripSeries(DAY, () => 250 * MB, 100 * MB, 11)))).toBeNull();
    expect(slowDrip.prepare(dripCtx(dripSeries(DAY, () => 250 * MB, 100 * MB, 12)))).not.toBeNull();
    expect(slowDrip.prepare(dripCtx(dripSeries(DAY, () => 250 * MB), { settings: settings({ slowDrip: { enabled: false } }) }))).toBeNull();
  });
});
