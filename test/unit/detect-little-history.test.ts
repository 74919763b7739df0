// People with little or no history of their own, as an attacker would pick them: a new hire on their first
// day, someone back from months of leave, an account the directory does not know, the newest member of a
// small team whose job is moving more than a policy limit. Each is judged against their peer group's
// expectation (the organisation's without one), shrunk toward their own days as those accumulate, and a
// role's routine excess of a policy limit never exempts a volume far beyond what the role does.
import type { AlertRecord } from '../../src/alerts/types';
import { isWeekend } from '../../src/calendar';
import { severityRank } from '../../src/alerts/types';
import { loadConfig } from '../../src/config';
import { allowlistFrom } from '../../src/detect/allowlist';
import { catalogFrom } from '../../src/detect/catalog';
import { createEngine } from '../../src/detect/engine';
import type { DetectEvent } from '../../src/detect/event';
import { buildDayHistory, ROUTINE_HEADROOM, type DayHistory } from '../../src/detect/history';
import { peopleFrom } from '../../src/detect/people';
import { directoryEntry, handHistory, rowsOf, spread, type PersonDays } from '../helpers/detect-history';
import { at, DAY, GB, MB, MIN } from '../helpers/detect-time';

const { detection } = loadConfig({ env: {} }).config;

const catalog = catalogFrom([
  { database: 'crm', table: 'customers', sensitivity: 'pii' },
  { database: 'pay', table: '*', sensitivity: 'payment' },
]);

// Sales/sales_ops: 40 people around 100 MB a day (enough user-days for the organisation's own calibration). Ops/etl: two long-serving operators who move 60-90 GB a
// day, above the 50 GB daily ceiling (routine for them), and a third who joined today. Legal/counsel: one
// person, no peer group at all (no department prior either). The newcomers have no rows at all.
const SALES = Array.from({ length: 40 }, (_, i) => `s${i + 1}`);
const people = peopleFrom([
  ...SALES.map((id) => directoryEntry(id, 'Sales', 'sales_ops')),
  directoryEntry('newbie', 'Sales', 'sales_ops', { hire_date: '2026-10-12' }),
  directoryEntry('leaver', 'Sales', 'sales_ops'),
  directoryEntry('grower', 'Sales', 'sales_ops'),
  directoryEntry('etl1', 'Ops', 'etl'),
  directoryEntry('etl2', 'Ops', 'etl'),
  directoryEntry('etl3', 'Ops', 'etl', { hire_date: '2026-10-12' }),
  directoryEntry('counsel', 'Legal', 'counsel', { hire_date: '2026-10-12' }),
]);

const users: Record<string, PersonDays> = {};
SALES.forEach((id, i) => (users[id] = { daily: spread(100 * MB, 0.4 + 0.02 * i, 37 * i), tables: ['crm.orders'] }));
// Back from leave: active 60-90 days ago, nothing in the 28-day baseline window.
users.leaver = { daily: (d) => (d < DAY - 60 ? 120 * MB : null), tables: ['crm.orders'] };
users.etl1 = { daily: spread(70 * GB, 0.15, 3), tables: ['dw.facts'] };
users.etl2 = { daily: spread(75 * GB, 0.15, 11), tables: ['dw.facts'] };

const ceilingBytes = detection.detectors.ceiling.dailyBytes;
const history = (day: number): DayHistory => handHistory(day, users, detection, people);

function engine(config = detection) {
  return createEngine({ detection: config, people, catalog, allowlist: allowlistFrom([]), history: async (day) => handHistory(day, users, config, people), now: () => 0 });
}

/** `n` queries of `bytes` each, one every `gap` minutes from 09:00 on DAY (a Monday). */
function export_(user: string, n: number, bytes: number, table = 'crm.orders', gap = 1): DetectEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    eventId: `${user}-${i}`, ts: at(DAY, 9, 0) + i * gap * MIN, user, action: 'SELECT', bytes, rows: Math.round(bytes / 500), table, clientIp: '10.0.0.7', clientApp: 'psql', sessionId: 's1', ok: true,
  }));
}

const latest = (alerts: AlertRecord[]) => alerts[alerts.length - 1];
const severity = (alerts: AlertRecord[]) => (alerts.length > 0 ? severityRank(latest(alerts).severity) : -1);

describe('no history of their own: judged against the peer group, else the organisation', () => {
  it('a new hire\'s 20 GB export on their first day alerts at least high, before it ends, against the peer group', async () => {
    const events = export_('newbie', 40, 500 * MB);
    const alerts = await engine().process(events);
    expect(severity(alerts)).toBeGreaterThanOrEqual(severityRank('high'));
    expect(alerts[0].firedAt).toBeLessThan(events[events.length - 1].ts);
    expect(latest(alerts).detectors).toContain('volumePeers');
    expect(latest(alerts).peerGroup).toBe('Sales/sales_ops');
    expect(latest(alerts).explanation).toMatch(/expected [\d.]+ MB from Sales\/sales_ops with 0 day\(s\) of their own/);
  });

  it('... while a first day like the role\'s (100 MB) raises nothing', async () => {
    expect(await engine().process(export_('newbie', 10, 10 * MB))).toEqual([]);
  });

  it.each([1, 2, 3, 4])('a new hire with %i ordinary day(s) of their own: a 20 GB export still alerts at least high', async (n) => {
    // Their first n working days (before DAY, a Monday) at the role's usual 100 MB.
    const own = { ...users, newbie: { daily: (d: number) => (d >= DAY - 2 - n && d < DAY - 2 ? 100 * MB : null), tables: ['crm.orders'] } };
    const e = createEngine({ detection, people, catalog, allowlist: allowlistFrom([]), history: async (day) => handHistory(day, own, detection, people), now: () => 0 });
    const h = handHistory(DAY, own, detection, people);
    expect(h.profile('newbie').volume!.ownDays).toBe(n);
    expect(severity(await e.process(export_('newbie', 40, 500 * MB)))).toBeGreaterThanOrEqual(severityRank('high'));
  });

  it('someone back from leave (no day in the baseline window) is judged the same way', async () => {
    expect(history(DAY).profile('leaver').activeDays).toBe(0);
    const alerts = await engine().process(export_('leaver', 40, 500 * MB));
    expect(severity(alerts)).toBeGreaterThanOrEqual(severityRank('high'));
  });

  it('a person without any peer group is judged against the organisation', async () => {
    expect(history(DAY).profile('counsel').volume?.peers?.group).toBe('organisation');
    const alerts = await engine().process(export_('counsel', 40, 500 * MB));
    expect(severity(alerts)).toBeGreaterThanOrEqual(severityRank('high'));
  });

  it('an account the directory does not know, first seen today, too', async () => {
    const alerts = await engine().process(export_('svc-unknown', 40, 500 * MB));
    expect(severity(alerts)).toBeGreaterThanOrEqual(severityRank('high'));
  });

  it('the expectation shrinks from the peers toward the person\'s own days as they accumulate', () => {
    // From their first day on, "grower" moves about 1 GB a day (ten times the role).
    const grows = spread(1 * GB, 0.3, 17);
    const own = Math.log(1 * GB);
    const peers = history(DAY).profile('newbie').volume!.location;
    const weights: number[] = [];
    const locations: number[] = [];
    for (const daysOwn of [0, 2, 5, 15]) {
      const withGrower = { ...users, grower: { daily: (d: number) => (d >= DAY - daysOwn * 1.4 - 1 ? grows(d) : null), tables: ['crm.orders'] } };
      const e = buildDayHistory(DAY, rowsOf(DAY, withGrower, detection), detection, people).profile('grower').volume!;
      weights.push(e.ownWeight);
      locations.push(e.location);
    }
    expect(weights[0]).toBe(0);
    expect(Math.abs(locations[0] - peers)).toBeLessThan(1e-9);
    for (let i = 1; i < weights.length; i++) {
      expect(weights[i]).toBeGreaterThan(weights[i - 1]);
      expect(locations[i]).toBeGreaterThan(locations[i - 1]);
    }
    // Three weeks of their own carry most of it.
    expect(weights[3]).toBeGreaterThan(0.75);
    expect(locations[3] - peers).toBeGreaterThan(0.75 * (own - peers));
  });
});

describe('a role that routinely exceeds a policy limit, in a small group', () => {
  it('its newest member exporting 500 GB on their first day alerts at least high (policy exemption does not exempt the anomaly)', async () => {
    const alerts = await engine().process(export_('etl3', 100, 5 * GB, 'dw.facts'));
    expect(severity(alerts)).toBeGreaterThanOrEqual(severityRank('high'));
    expect(latest(alerts).explanation).toContain('anomaly:');
  });

  it('two members do not make the limit routine for a third', () => {
    const r = history(DAY).routine(people.get('etl3')!, 'daily', ceilingBytes);
    expect(r.share).toBeLessThan(detection.routineShare);
    expect(r.own).toBe(0);
  });

  it('a member\'s own routine covers their usual days (70 GB over the working day: no alert) ...', async () => {
    const alerts = await engine().process(export_('etl1', 14, 5 * GB, 'dw.facts', 30));
    expect(alerts.map((a) => a.explanation)).toEqual([]);
  });

  it('... but not 500 GB: beyond the routine range the policy finding has its own severity', async () => {
    const r = history(DAY).routine(people.get('etl1')!, 'daily', ceilingBytes);
    expect(r.own).toBeGreaterThanOrEqual(detection.routineShare);
    // Four times their largest day (under 100 GB): well short of 500 GB.
    expect(r.cap).toBeGreaterThan(ROUTINE_HEADROOM * 80 * GB);
    expect(r.cap).toBeLessThan(ROUTINE_HEADROOM * 100 * GB);
    const alerts = await engine().process(export_('etl1', 100, 5 * GB, 'dw.facts'));
    const ceiling = latest(alerts).findings.find((f) => f.detector === 'ceiling');
    expect(ceiling).toMatchObject({ kind: 'policy', severity: detection.detectors.ceiling.severity, details: expect.objectContaining({ routine: 'no' }) });
    expect(ceiling?.clause).toMatch(/beyond the routine range for them \(up to [\d.]+ GB\)/);
    expect(severity(alerts)).toBeGreaterThanOrEqual(severityRank('medium'));
  });

  it('one extreme member does not stretch a routine role\'s range: a new member\'s 500 GB is beyond it', () => {
    // Data/mover: three members at 60-75 GB a day and one at 400 GB; the role's routine range follows the
    // typical member, not the extreme one.
    const movers = {
      ...users,
      m1: { daily: spread(60 * GB, 0.15, 1), tables: ['dw.facts'] },
      m2: { daily: spread(70 * GB, 0.15, 2), tables: ['dw.facts'] },
      m3: { daily: spread(75 * GB, 0.15, 3), tables: ['dw.facts'] },
      m4: { daily: spread(400 * GB, 0.15, 4), tables: ['dw.facts'] },
    };
    const withMovers = new Map(people);
    for (const [id, hire] of [['m1', '2023-01-09'], ['m2', '2023-01-09'], ['m3', '2023-01-09'], ['m4', '2023-01-09'], ['m5', '2026-10-12']]) {
      withMovers.set(id, peopleFrom([directoryEntry(id, 'Data', 'mover', { hire_date: hire })]).get(id)!);
    }
    const h = buildDayHistory(DAY, rowsOf(DAY, movers, detection), detection, withMovers);
    const r = h.routine(withMovers.get('m5')!, 'daily', ceilingBytes);
    expect(r.share).toBeGreaterThanOrEqual(detection.routineShare);
    // Four times the typical member's largest day (under 100 GB), not the extreme member's (over 400 GB).
    expect(r.cap).toBeLessThan(ROUTINE_HEADROOM * 100 * GB);
    expect(r.cap).toBeLessThan(500 * GB);
  });
});

describe('what a built history keeps of the daily volumes: the baseline window, its first day included', () => {
  it('a largest day and a routine of their own rest on the window\'s days, not the day before it', () => {
    // 'edge': 10 GB on the window's working days, 80 GB on its first day, 900 GB the day before it (the
    // history keeps only the window's volumes once built: one day too few or too many shows here).
    const B = detection.baselineDays;
    const rows = rowsOf(DAY, { ...users, edge: { daily: (d) => (d >= DAY - B ? 10 * GB : null) } }, detection);
    rows.daily = rows.daily.filter((r) => !(r.user === 'edge' && r.day === DAY - B));
    rows.daily.push({ user: 'edge', day: DAY - B, bytes: 80 * GB }, { user: 'edge', day: DAY - B - 1, bytes: 900 * GB });
    const withEdge = new Map(people).set('edge', peopleFrom([directoryEntry('edge', 'Ops', 'etl')]).get('edge')!);
    const h = buildDayHistory(DAY, rows, detection, withEdge);
    const active = rows.daily.filter((r) => r.user === 'edge' && r.day >= DAY - B).length;
    expect(h.profile('edge').largest.days).toBe(active);
    expect(h.profile('edge').largest.bytes / (80 * GB)).toBeCloseTo(1, 12);
    const r = h.routine(withEdge.get('edge')!, 'daily', 50 * GB);
    expect(r.own).toBe(1 / active);
  });
});

describe('a single heavy member in a small group', () => {
  it('does not make the limit routine for the others', () => {
    const withHeavy = { ...users, h1: { daily: spread(60 * GB, 0.1, 5), tables: ['crm.orders'] }, h2: { daily: spread(100 * MB, 0.4, 6) }, h3: { daily: spread(100 * MB, 0.4, 7) }, h4: { daily: spread(100 * MB, 0.4, 8) } };
    const risk = new Map(people);
    for (const id of ['h1', 'h2', 'h3', 'h4']) risk.set(id, peopleFrom([directoryEntry(id, 'Risk', 'analyst')]).get(id)!);
    const h = buildDayHistory(DAY, rowsOf(DAY, withHeavy, detection), detection, risk);
    expect(h.routine(risk.get('h2')!, 'daily', ceilingBytes).share).toBeLessThan(detection.routineShare);
    // The heavy member's own routine stays theirs.
    expect(h.routine(risk.get('h1')!, 'daily', ceilingBytes).own).toBeGreaterThanOrEqual(detection.routineShare);
  });
});

describe('the routine of a limit on sensitive tables', () => {
  it('follows the bytes from sensitive tables of the baseline window only: share, own share and range from the typical member\'s largest day', () => {
    // Payments/clerk: four members who read 6-12 GB a day from sensitive tables, and far more (900 GB) on
    // days before the baseline window, which must count for nothing.
    const B = detection.baselineDays;
    const clerks: Record<string, PersonDays> = { ...users };
    const withClerks = new Map(people);
    const largest: number[] = [];
    for (let i = 1; i <= 4; i++) {
      const usual = spread((5 + i) * GB, 0.2, 5 * i);
      clerks[`c${i}`] = { daily: spread(20 * GB, 0.1, i), sensitive: (d) => (d < DAY - B ? 900 * GB : usual(d)), tables: ['pay.cards'] };
      withClerks.set(`c${i}`, peopleFrom([directoryEntry(`c${i}`, 'Payments', 'clerk')]).get(`c${i}`)!);
      const inWindow = Array.from({ length: B }, (_, k) => DAY - B + k).filter((d) => !isWeekend(d));
      largest.push(Math.max(...inWindow.map(usual)));
    }
    const h = buildDayHistory(DAY, rowsOf(DAY, clerks, detection), detection, withClerks);
    const limit = 3 * GB;
    const r = h.routine(withClerks.get('c1')!, 'sensitive', limit);
    expect(r.share).toBe(1);
    expect(r.own).toBe(1);
    const sorted = [...largest].sort((a, b) => a - b);
    expect(r.cap).toBe(ROUTINE_HEADROOM * ((sorted[1] + sorted[2]) / 2));
    // Above every in-window day: not routine for anyone, whatever the days before the window were.
    expect(h.routine(withClerks.get('c2')!, 'sensitive', 100 * GB)).toMatchObject({ share: 0, own: 0, cap: 0 });
  });
});
