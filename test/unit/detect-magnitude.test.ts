// The magnitude policy (detectors/magnitude.ts): on an organisation whose ordinary days are heavy-tailed
// the calibration extrapolates a heavy tail, and a 20 GB export by someone whose days are about 100 MB
// scores no higher than medium; a day that is an anomaly on volume, 100x their expected day, 10x the
// largest of their own days in the baseline window and at least 5 GB is high whatever that tail says.
// The organisation here is the hand-built one of detect-detectors.test.ts, its calibration replaced by a
// heavy one (shape 0.6, the most tail.ts fits) like the one helper-84's organisation gave.
import type { AlertRecord } from '../../src/alerts/types';
import { severityRank } from '../../src/alerts/types';
import { loadConfig } from '../../src/config';
import type { DetectionConfig } from '../../src/config/detection-schema';
import { adjustedProfile } from '../../src/detect/adjustments';
import { allowlistFrom } from '../../src/detect/allowlist';
import { catalogFrom } from '../../src/detect/catalog';
import { createEngine } from '../../src/detect/engine';
import type { DetectEvent } from '../../src/detect/event';
import type { DayHistory } from '../../src/detect/history';
import { largestOf } from '../../src/detect/history';
import { peopleFrom } from '../../src/detect/people';
import { gpdTail } from '../../src/detect/statistics/tail';
import { directoryEntry, handHistory, spread, type PersonDays } from '../helpers/detect-history';
import { at, DAY, GB, MB, MIN } from '../helpers/detect-time';

const { detection } = loadConfig({ env: {} }).config;

const catalog = catalogFrom([{ database: 'crm', table: 'customers', sensitivity: 'pii' }]);

// Forty people around 100 MB a day; `steady` varies little, `wide` a hundredfold (its largest days are
// several GB), `heavy` moves about 2 GB a day with a wide spread; `newcomer` has five days of their own.
const OTHERS = Array.from({ length: 36 }, (_, i) => `m${i + 1}`);
const NAMES = [...OTHERS, 'steady', 'wide', 'heavy', 'newcomer'];
const people = peopleFrom(NAMES.map((id) => directoryEntry(id, 'Sales', 'sales_ops')));
const users: Record<string, PersonDays> = {};
OTHERS.forEach((id, i) => (users[id] = { daily: spread(100 * MB, 0.4 + 0.02 * i, 37 * i), tables: ['crm.orders'] }));
users.steady = { daily: spread(150 * MB, 0.25, 733), tables: ['crm.orders'] };
users.wide = { daily: spread(100 * MB, 2.0, 501), tables: ['crm.orders'] };
users.heavy = { daily: spread(2 * GB, 1.0, 91), tables: ['crm.orders'] };
users.newcomer = { daily: (d) => (d >= DAY - 7 ? 100 * MB : null), tables: ['crm.orders'] };

/**
 * The hand-built history with the calibration helper-84's heavy-tailed organisation gave (seed 1,
 * 2026-09-22): each statistic's tail a GPD of shape 0.25 beyond its top 5%, the combined one exponential.
 */
function heavyHistory(day: number, d: DetectionConfig): DayHistory {
  const h = handHistory(day, users, d, people);
  const heavy = gpdTail(3.32, 0.05, 0.25, 1.39, 'pool', 10_000);
  const combined = gpdTail(4.24, 0.05, 0, 1.0, 'pool', 10_000);
  return { ...h, calibration: { ...h.calibration, volume: heavy, hour: heavy, sensitive: heavy, combined } };
}

function engine(d: DetectionConfig = detection) {
  return createEngine({ detection: d, people, catalog, allowlist: allowlistFrom([]), history: async (day) => heavyHistory(day, d), now: () => 0 });
}

/** `n` queries of `bytes` each, one every `gap` minutes from 12:00 on DAY. */
function export_(user: string, n: number, bytes: number, gap = 3): DetectEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    eventId: `${user}-${i}`, ts: at(DAY, 12, 0) + i * gap * MIN, user, action: 'SELECT', bytes, rows: Math.round(bytes / 500), table: 'crm.orders', clientIp: '10.0.0.7', clientApp: 'psql', sessionId: 's1', ok: true,
  }));
}

const latest = (alerts: AlertRecord[]) => alerts[alerts.length - 1];
const without = (): DetectionConfig => ({ ...detection, detectors: { ...detection.detectors, magnitude: { ...detection.detectors.magnitude, enabled: false } } });

describe('magnitude: a grossly abnormal day is high whatever the calibrated tail', () => {
  it('a 20 GB afternoon export of someone whose day is about 150 MB: high, with the figures that make it so', async () => {
    const alerts = await engine().process(export_('steady', 40, 500 * MB));
    const a = latest(alerts);
    expect(a.severity).toBe('high');
    expect(a.detectors).toContain('magnitude');
    expect(a.explanation).toMatch(/policy: [\d.]+ GB in the day is \d+x their expected day \(1\d\d MB\) and \d+x the largest of their \d+ day\(s\) in the last 28 \([\d.]+ MB\): at least 100x, 10x and 5 GB is high/);
    const f = a.findings.find((x) => x.detector === 'magnitude')!;
    expect(f.kind).toBe('policy');
    expect(Number(f.details!.multipleOfExpected)).toBeGreaterThanOrEqual(100);
    expect(Number(f.details!.multipleOfLargest)).toBeGreaterThanOrEqual(10);
    // High as soon as the day crossed all of it (100x their expected day, about 14 GB), not at the end of the export.
    const first = alerts.find((x) => x.severity === 'high')!;
    expect(first.observedBytes).toBeLessThan(15 * GB);
    expect(first.findings.find((x) => x.detector === 'magnitude')!.observed).toBe(first.observedBytes);
  });

  it('without it the same export is not high on that calibration (what the policy is for)', async () => {
    const alerts = await engine(without()).process(export_('steady', 40, 500 * MB));
    expect(alerts.length).toBeGreaterThan(0);
    expect(severityRank(latest(alerts).severity)).toBeLessThan(severityRank('high'));
    expect(latest(alerts).detectors).not.toContain('magnitude');
  });

  it('not below minBytes: 3 GB (20x their day) is left to the anomalies', async () => {
    const alerts = await engine().process(export_('steady', 6, 500 * MB));
    expect(alerts.flatMap((a) => a.detectors)).not.toContain('magnitude');
  });

  it('not for someone whose own days already reach a tenth of it (their largest day carries their variability)', async () => {
    const largest = largestOf(undefined, 0, 28);
    expect(largest).toEqual({ bytes: 0, days: 0, window: 28 });
    const h = heavyHistory(DAY, detection);
    // wide: 100 MB typical, largest day of the window several GB: 20 GB is well under 10x it.
    expect(h.profile('wide').largest.bytes).toBeGreaterThan(2 * GB);
    const alerts = await engine().process(export_('wide', 40, 500 * MB));
    expect(alerts.flatMap((a) => a.detectors)).not.toContain('magnitude');
  });

  it('not at less than multipleOfExpected of their expected day (someone whose day is 2 GB moving 40 GB)', async () => {
    const alerts = await engine().process(export_('heavy', 40, 1 * GB));
    expect(alerts.flatMap((a) => a.detectors)).not.toContain('magnitude');
  });

  it('an expectation adjustment (project work 3x) raises the largest day with the expected one', () => {
    const p = heavyHistory(DAY, detection).profile('steady');
    const raised = adjustedProfile(p, 3);
    expect(raised.largest).toEqual({ ...p.largest, bytes: p.largest.bytes * 3 });
    expect(raised.usualDay).toBeCloseTo(p.usualDay! * 3);
  });

  it('not for someone with fewer than minDays of their own in the window', async () => {
    const h = heavyHistory(DAY, detection);
    expect(h.profile('newcomer').largest.days).toBeLessThan(detection.detectors.magnitude.minDays);
    const alerts = await engine().process(export_('newcomer', 40, 500 * MB));
    expect(alerts.flatMap((a) => a.detectors)).not.toContain('magnitude');
  });

  it('only on a day that is an anomaly on volume: with a calibration that calls no day rare, nothing', async () => {
    const never = { rate: () => 1, threshold: () => Infinity, summary: { source: 'prior' as const, samples: 0, u: Infinity, rateAtU: 1, shape: 0, scale: 1 } };
    const e = createEngine({
      detection, people, catalog, allowlist: allowlistFrom([]), now: () => 0,
      history: async (day) => {
        const h = handHistory(day, users, detection, people);
        return { ...h, calibration: { ...h.calibration, volume: never } };
      },
    });
    const alerts = await e.process(export_('steady', 40, 500 * MB));
    expect(alerts.flatMap((a) => a.detectors)).not.toContain('magnitude');
  });
});
