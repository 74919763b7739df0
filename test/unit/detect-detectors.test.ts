// The detectors as the engine runs them, on a hand-built organisation (test/helpers/detect-history.ts):
// anomalies judged in units of each person's own variability, and policy limits that stay policy, with
// the routine rule for a role whose job is moving sensitive data. The statistics themselves are tested on
// series in detect-statistics.test.ts.
import type { AlertRecord } from '../../src/alerts/types';
import { severityRank } from '../../src/alerts/types';
import { loadConfig } from '../../src/config';
import { allowlistFrom } from '../../src/detect/allowlist';
import { catalogFrom } from '../../src/detect/catalog';
import { createEngine } from '../../src/detect/engine';
import type { DetectEvent } from '../../src/detect/event';
import { peopleFrom } from '../../src/detect/people';
import { directoryEntry, handHistory, spread, type PersonDays } from '../helpers/detect-history';
import { at, DAY, GB, MB, MIN } from '../helpers/detect-time';

const { detection } = loadConfig({ env: {} }).config;

const catalog = catalogFrom([
  { database: 'crm', table: 'customers', sensitivity: 'pii' },
  { database: 'pay', table: '*', sensitivity: 'payment' },
]);

// Sales/sales_ops: around 100 MB a day, some much more variable than others. Finance/payments_ops: their
// job is moving payment data, 12-20 GB of it a day, above the 10 GB sensitive-table limit. Forty people:
// enough user-days (800 in the 28-day pool) for the organisation's own calibration rather than the prior.
const SALES = [...Array.from({ length: 27 }, (_, i) => `s${i + 1}`), 'wide', 'narrow', 'sam'];
const PAYMENTS = [...Array.from({ length: 9 }, (_, i) => `p${i + 1}`), 'pam'];
const people = peopleFrom([...SALES.map((id) => directoryEntry(id, 'Sales', 'sales_ops')), ...PAYMENTS.map((id) => directoryEntry(id, 'Finance', 'payments_ops'))]);

const users: Record<string, PersonDays> = {};
SALES.forEach((id, i) => (users[id] = { daily: spread(100 * MB, 0.4 + 0.02 * i, 37 * i), tables: ['crm.orders'] }));
users.wide = { daily: spread(100 * MB, 1.1, 501), tables: ['crm.orders'] };
users.narrow = { daily: spread(100 * MB, 0.2, 733), tables: ['crm.orders'] };
PAYMENTS.forEach((id, i) => {
  const sensitive = spread(15 * GB, 0.15 + 0.01 * i, 1000 + 41 * i);
  users[id] = { daily: (d) => sensitive(d) * 1.1, sensitive, tables: ['pay.card_transactions', 'crm.orders'] };
});

function engine() {
  return createEngine({ detection, people, catalog, allowlist: allowlistFrom([]), history: async (day) => handHistory(day, users, detection, people), now: () => 0 });
}

/** `n` queries of `bytes` each, one every `gap` minutes from 09:00 on DAY (a Monday). */
function day(user: string, n: number, bytes: number, table = 'crm.orders', gap = 1): DetectEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    eventId: `${user}-${i}`, ts: at(DAY, 9, 0) + i * gap * MIN, user, action: 'SELECT', bytes, rows: Math.round(bytes / 500), table, clientIp: '10.0.0.7', clientApp: 'psql', sessionId: 's1', ok: true,
  }));
}

const latest = (alerts: AlertRecord[]) => alerts[alerts.length - 1];

describe('anomalies in units of the person\'s own variability', () => {
  it('the same 800 MB day (8x the usual 100 MB) alerts for a person with a narrow routine...', async () => {
    const alerts = await engine().process(day('narrow', 8, 100 * MB));
    expect(alerts.length).toBeGreaterThan(0);
    const a = latest(alerts);
    expect(a.detectors).toContain('volumeSelf');
    expect(a.explanation).toMatch(/anomaly: 1 in [\d,]+( million| billion)? days for them/);
    // The baseline is the person's own expected day, near 100 MB.
    expect(a.baselineBytes / (100 * MB)).toBeGreaterThan(0.8);
    expect(a.baselineBytes / (100 * MB)).toBeLessThan(1.25);
  });

  it('... and, spread over the working day, is an ordinary day for one whose days naturally vary tenfold', async () => {
    const alerts = await engine().process(day('wide', 8, 100 * MB, 'crm.orders', 60));
    // Neither the day nor its busiest hour is unusual for them (their last days may still feed a drip run).
    expect(alerts.flatMap((a) => a.detectors)).not.toContain('volumeSelf');
    expect(alerts.flatMap((a) => a.detectors)).not.toContain('exportRate');
    // The narrow person's same day, spread the same way, is.
    const narrow = await engine().process(day('narrow', 8, 100 * MB, 'crm.orders', 60));
    expect(narrow.flatMap((a) => a.detectors)).toContain('volumeSelf');
  });

  it('the wide person is still caught when the day is extreme for them too (a 20 GB export)', async () => {
    const alerts = await engine().process(day('wide', 40, 500 * MB));
    expect(alerts.length).toBeGreaterThan(0);
    expect(severityRank(latest(alerts).severity)).toBeGreaterThanOrEqual(severityRank('medium'));
    // Caught before the export ended.
    expect(alerts[0].firedAt).toBeLessThan(at(DAY, 9, 39));
  });
});

describe('policy is not anomaly: a role that routinely exceeds a limit', () => {
  it('15 GB from payment tables over the day is routine for payments operations: no alert', async () => {
    const alerts = await engine().process(day('pam', 30, 500 * MB, 'pay.card_transactions', 15));
    expect(alerts.map((a) => a.explanation)).toEqual([]);
  });

  it('the same 15 GB from a sales person is a policy finding (and an anomaly), named as such', async () => {
    const alerts = await engine().process(day('sam', 30, 500 * MB, 'pay.card_transactions'));
    const a = latest(alerts);
    expect(a.detectors).toEqual(expect.arrayContaining(['sensitive', 'volumeSelf']));
    // The last revision is the one magnitude raised to high at 10.5 GB (102x their day): 15 GB is under updateGrowth past it.
    expect(a.explanation).toMatch(/policy: [\d.]+ GB from pii\/payment tables \(limit 10 GB\)/);
    expect(a.explanation).toContain('anomaly:');
    expect(severityRank(a.severity)).toBeGreaterThanOrEqual(severityRank('medium'));
    expect(a.findings.find((f) => f.detector === 'sensitive')).toMatchObject({ kind: 'policy', details: expect.objectContaining({ routine: 'no' }) });
  });

  it('a payments operator moving far more than their routine is still an anomaly (the limit being routine does not hide it)', async () => {
    const alerts = await engine().process(day('pam', 80, 2 * GB, 'pay.card_transactions'));
    const a = latest(alerts);
    expect(a.detectors).toContain('sensitiveSelf');
    expect(a.explanation).toContain('anomaly:');
    // While the day was within the role's routine range, the policy finding was routine (recorded, severity none) ...
    const early = alerts.find((x) => x.findings.some((f) => f.detector === 'sensitive'))!;
    expect(early.findings.find((f) => f.detector === 'sensitive')).toMatchObject({ kind: 'policy', severity: 'none', details: expect.objectContaining({ routine: 'yes' }) });
    expect(early.explanation).toMatch(/routine for them/);
    // ... and 160 GB is far beyond it (four times the typical member's largest day is under 80 GB): policy at its own severity.
    const policy = a.findings.find((f) => f.detector === 'sensitive');
    expect(policy).toMatchObject({ kind: 'policy', severity: detection.detectors.sensitive.severity, details: expect.objectContaining({ routine: 'no' }) });
    expect(a.explanation).toMatch(/beyond the routine range for them/);
  });

  it('with routineSeverity set, the role\'s routine excess raises alerts at that severity (policy a team chose)', async () => {
    const strict = { ...detection, detectors: { ...detection.detectors, sensitive: { ...detection.detectors.sensitive, routineSeverity: 'low' as const } } };
    const e = createEngine({ detection: strict, people, catalog, allowlist: allowlistFrom([]), history: async (d) => handHistory(d, users, strict, people), now: () => 0 });
    const a = latest(await e.process(day('pam', 30, 500 * MB, 'pay.card_transactions', 15)));
    expect(a).toMatchObject({ severity: 'low', detectors: ['sensitive'] });
  });
});
