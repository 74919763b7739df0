// Expectation adjustments (analysts' feedback) as the engine applies them, on a hand-built organisation:
// a repeat of the alerted volume no longer alerts for that person only; a peer group's adjustment covers
// its members only; it ends at `until`; a revoked one no longer applies (also mid-day, as the live
// detector's refresh hands it over); the factor is bounded; far above the raised expectation still alerts
// and says so; policy limits are not lifted.
import type { AlertRecord } from '../../src/alerts/types';
import { loadConfig } from '../../src/config';
import { adjustedProfile, adjustmentsFrom, boundedFactor, MAX_FACTOR, NO_ADJUSTMENTS, type Adjustments, type ExpectationAdjustment } from '../../src/detect/adjustments';
import { allowlistFrom } from '../../src/detect/allowlist';
import { catalogFrom } from '../../src/detect/catalog';
import { createEngine } from '../../src/detect/engine';
import type { DetectEvent } from '../../src/detect/event';
import { peopleFrom } from '../../src/detect/people';
import { adjustmentRefusal, asDetectorAdjustments, defaultFactor, type Adjustment } from '../../src/triage/adjustments';
import { MS_PER_DAY } from '../../src/calendar';
import { directoryEntry, handHistory, spread, type PersonDays } from '../helpers/detect-history';
import { at, DAY, GB, MB, MIN } from '../helpers/detect-time';

const { detection } = loadConfig({ env: {} }).config;
const catalog = catalogFrom([{ database: 'crm', table: 'customers', sensitivity: 'pii' }]);

// Two groups of twenty with the same habits (about 100 MB a day): Sales/sales_ops and Support/support_ops.
const SALES = Array.from({ length: 20 }, (_, i) => `s${i}`);
const SUPPORT = Array.from({ length: 20 }, (_, i) => `t${i}`);
const people = peopleFrom([...SALES.map((id) => directoryEntry(id, 'Sales', 'sales_ops')), ...SUPPORT.map((id) => directoryEntry(id, 'Support', 'support_ops'))]);
const users: Record<string, PersonDays> = {};
[...SALES, ...SUPPORT].forEach((id, i) => (users[id] = { daily: spread(100 * MB, 0.25, 37 * i), tables: ['crm.orders'] }));

function engine(adjustments: Adjustments = NO_ADJUSTMENTS) {
  return createEngine({ detection, people, catalog, allowlist: allowlistFrom([]), adjustments, history: async (d) => handHistory(d, users, detection, people), now: () => 0 });
}

/** `n` queries of `bytes` each, one an hour from 09:00 on `day` (spread over the day: no busiest-hour finding). */
function dayOf(user: string, n: number, bytes: number, day = DAY, table = 'crm.orders', from = 0): DetectEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    eventId: `${user}-${day}-${table}-${from + i}`, ts: at(day, 9, 0) + (from + i) * 30 * MIN, user, action: 'SELECT', bytes, rows: Math.round(bytes / 500), table, clientIp: '10.0.0.7', clientApp: 'psql', sessionId: 's1', ok: true,
  }));
}

function adjustment(over: Partial<ExpectationAdjustment>): ExpectationAdjustment {
  return { id: 'adj_000000000001', scope: 'user', subject: 's1', factor: 10, fromDay: DAY - 1, untilDay: DAY + 5, kind: 'project_work', reason: 'migration project', createdBy: 'alice', ...over };
}

const anomalies = (alerts: AlertRecord[]) => alerts.flatMap((a) => a.findings.filter((f) => f.kind === 'anomaly').map((f) => f.detector));

describe('an adjustment from a false-positive verdict', () => {
  it('the alerted volume (8x their usual day) alerts without one', async () => {
    const alerts = await engine().process([...dayOf('s1', 8, 100 * MB), ...dayOf('s2', 8, 100 * MB)]);
    expect(new Set(alerts.map((a) => a.user))).toEqual(new Set(['s1', 's2']));
    expect(anomalies(alerts)).toContain('volumeSelf');
  });

  it('raises that person\'s expectation only: the same day no longer alerts for them, still does for a colleague', async () => {
    const e = engine(adjustmentsFrom([adjustment({})]));
    const alerts = await e.process([...dayOf('s1', 8, 100 * MB), ...dayOf('s2', 8, 100 * MB)]);
    expect(alerts.filter((a) => a.user === 's1')).toEqual([]);
    expect(anomalies(alerts.filter((a) => a.user === 's2'))).toContain('volumeSelf');
  });

  it('ends at `until`: the day it ends on is judged by the usual expectation again', async () => {
    const ended = engine(adjustmentsFrom([adjustment({ untilDay: DAY })]));
    expect(anomalies(await ended.process(dayOf('s1', 8, 100 * MB)))).toContain('volumeSelf');
    // ... and it does not apply before its first day either.
    const later = engine(adjustmentsFrom([adjustment({ fromDay: DAY + 1 })]));
    expect(anomalies(await later.process(dayOf('s1', 8, 100 * MB)))).toContain('volumeSelf');
  });

  it('a revoked one no longer applies: not handed to the detector, and taken back mid-day when the refresh brings the revocation', async () => {
    const stored: Adjustment = { id: 'adj_000000000002', kind: 'project_work', scope: 'user', subject: 's1', factor: 10, from: (DAY - 1) * MS_PER_DAY, until: (DAY + 5) * MS_PER_DAY, reason: 'project', alertId: '', createdBy: 'alice', createdAt: 0, revokedBy: null, revokedAt: null };
    expect(asDetectorAdjustments([stored])).toHaveLength(1);
    expect(asDetectorAdjustments([{ ...stored, revokedBy: 'bob', revokedAt: 1 }])).toEqual([]);

    const e = engine(adjustmentsFrom(asDetectorAdjustments([stored])));
    // The morning: 4 x 100 MB, covered.
    expect(await e.process(dayOf('s1', 4, 100 * MB))).toEqual([]);
    e.setAdjustments(adjustmentsFrom(asDetectorAdjustments([{ ...stored, revokedBy: 'bob', revokedAt: 1 }])));
    // The afternoon: 4 x 100 MB more, judged by the usual expectation again (the day's total, 800 MB).
    const afternoon = await e.process(dayOf('s1', 4, 100 * MB, DAY, 'crm.orders', 4));
    expect(anomalies(afternoon)).toContain('volumeSelf');
    expect(afternoon[0].explanation).not.toMatch(/despite/);
  });

  it('a new one is taken up mid-day as well (the live detector does not need a restart)', async () => {
    const e = engine();
    expect(anomalies(await e.process(dayOf('s1', 5, 100 * MB)))).toContain('volumeSelf');
    e.setAdjustments(adjustmentsFrom([adjustment({})]));
    // The open alert is not revised by more of the same: the raised expectation covers the day now.
    const more = await e.process(dayOf('s1', 3, 100 * MB, DAY, 'crm.orders', 5));
    expect(more).toEqual([]);
  });

  it("a peer group's applies to the group's members only", async () => {
    const group = adjustment({ scope: 'peer_group', subject: 'Sales/sales_ops', kind: 'expected_for_role', reason: 'quarterly campaign' });
    const a = adjustmentsFrom([group]);
    expect(a.on(people.get('s7')!, DAY)?.id).toBe(group.id);
    expect(a.on(people.get('t7')!, DAY)).toBeNull();
    const alerts = await engine(a).process([...dayOf('s1', 8, 100 * MB), ...dayOf('s2', 8, 100 * MB), ...dayOf('t1', 8, 100 * MB)]);
    expect(alerts.filter((x) => x.user.startsWith('s'))).toEqual([]);
    expect(anomalies(alerts.filter((x) => x.user === 't1'))).toContain('volumeSelf');
  });

  it('the factor is bounded: whatever is stored, at most 10x; a request beyond it is refused; the default covers the alert up to the bound', async () => {
    expect(boundedFactor(1000)).toBe(MAX_FACTOR);
    expect(boundedFactor(0.01)).toBe(1);
    expect(boundedFactor(Number.NaN)).toBe(1);
    const now = DAY * MS_PER_DAY;
    const asked = { kind: 'project_work' as const, subject: 's1', from: now, until: now + 10 * MS_PER_DAY, reason: 'x', alertId: '' };
    expect(adjustmentRefusal({ ...asked, factor: 11 }, now)).toMatch(/between 1.1 and 10/);
    expect(adjustmentRefusal({ ...asked, factor: 3 }, now)).toBeNull();
    // At most 90 days from today.
    expect(adjustmentRefusal({ ...asked, factor: 3, until: now + 120 * MS_PER_DAY }, now)).toMatch(/at most 90 days/);
    expect(adjustmentRefusal({ ...asked, factor: 3, until: now - 1 }, now)).toMatch(/future/);
    // The default: the alert's largest anomaly multiple with 25% headroom, within the bounds.
    expect(defaultFactor([{ kind: 'anomaly', multiple: 8 }], 7.5)).toBe(10);
    expect(defaultFactor([{ kind: 'anomaly', multiple: 3.1 }], 2)).toBe(3.9);
    expect(defaultFactor([{ kind: 'anomaly', multiple: 400 }], 400)).toBe(MAX_FACTOR);
    expect(defaultFactor([{ kind: 'policy', multiple: 50 }], 0)).toBe(2);

    // A stored 1000x is applied as 10x: a 50x day (5 GB) still alerts.
    const alerts = await engine(adjustmentsFrom([adjustment({ factor: 1000 })])).process(dayOf('s1', 10, 500 * MB));
    expect(anomalies(alerts)).toContain('volumeSelf');
    // The profile moves by exactly the bounded factor.
    const h = handHistory(DAY, users, detection, people);
    const p = h.profile('s1');
    const q = adjustedProfile(p, 1000);
    expect(q.volume!.location - p.volume!.location).toBeCloseTo(Math.log(MAX_FACTOR), 10);
    expect(q.usualDay! / p.usualDay!).toBeCloseTo(MAX_FACTOR, 10);
    expect(q.volume!.spread).toBe(p.volume!.spread);
  });

  it('a volume far above the raised expectation still alerts, and the alert says an adjustment was in force', async () => {
    const alerts = await engine(adjustmentsFrom([adjustment({ factor: 3 })])).process(dayOf('s1', 12, 500 * MB));
    expect(anomalies(alerts)).toContain('volumeSelf');
    const last = alerts[alerts.length - 1];
    expect(last.explanation).toMatch(/despite expected volume raised 3x until 2026-10-17 by alice: project work \(migration project\) \[adj_000000000001\]/);
  });

  it('does not lift a policy limit: 12 GB from a pii table is still a policy finding with a 10x adjustment', async () => {
    const alerts = await engine(adjustmentsFrom([adjustment({})])).process(dayOf('s1', 12, 1 * GB, DAY, 'crm.customers'));
    const policy = alerts.flatMap((a) => a.findings.filter((f) => f.kind === 'policy').map((f) => f.detector));
    expect(policy).toContain('sensitive');
  });
});
