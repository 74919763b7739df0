// The organisation of the across-midnight tests (detect-across-midnight*.test.ts): forty people around
// 100 MB a day with the heavy-tailed calibration of detect-magnitude.test.ts, a Pacific evening worker and
// a 24/7 service account, and a way to write a run of queries.
import type { AlertRecord } from '../../src/alerts/types';
import { loadConfig } from '../../src/config';
import type { DetectionConfig } from '../../src/config/detection-schema';
import { allowlistFrom } from '../../src/detect/allowlist';
import { catalogFrom } from '../../src/detect/catalog';
import { createEngine } from '../../src/detect/engine';
import type { DetectEvent } from '../../src/detect/event';
import type { DayHistory } from '../../src/detect/history';
import { peopleFrom } from '../../src/detect/people';
import { gpdTail } from '../../src/detect/statistics/tail';
import { directoryEntry, handHistory, spread, type PersonDays } from './detect-history';
import { MB, MIN } from './detect-time';

export const { detection } = loadConfig({ env: {} }).config;

const catalog = catalogFrom([{ database: 'crm', table: 'customers', sensitivity: 'pii' }]);

// `steady` moves about 150 MB a day, `evening` the same but works 17:00-02:00 UTC (a Pacific working day),
// across midnight; with `service`, `svc` too: a service account, about 2 GB a day round the clock.
const OTHERS = Array.from({ length: 36 }, (_, i) => `m${i + 1}`);
const NAMES = [...OTHERS, 'steady', 'evening', 'wide'];
const people = peopleFrom(NAMES.map((id) => directoryEntry(id, 'Sales', 'sales_ops')));
const withService = peopleFrom([...NAMES.map((id) => directoryEntry(id, 'Sales', 'sales_ops')), directoryEntry('svc', 'IT', 'etl', { account_type: 'service' })]);
export const users: Record<string, PersonDays> = {};
OTHERS.forEach((id, i) => (users[id] = { daily: spread(100 * MB, 0.4 + 0.02 * i, 37 * i), tables: ['crm.orders'] }));
users.steady = { daily: spread(150 * MB, 0.25, 733), tables: ['crm.orders'] };
users.evening = { daily: spread(150 * MB, 0.25, 411), tables: ['crm.orders'] };
users.wide = { daily: spread(100 * MB, 2.0, 501), tables: ['crm.orders'] };
const svc = { daily: spread(2000 * MB, 0.15, 97), tables: ['crm.orders'] };

/** The heavy-tailed calibration of detect-magnitude.test.ts: an anomaly alone is rarely high. */
function heavyHistory(day: number, d: DetectionConfig, service: boolean): DayHistory {
  const h = service ? handHistory(day, { ...users, svc }, d, withService) : handHistory(day, users, d, people);
  const heavy = gpdTail(3.32, 0.05, 0.25, 1.39, 'pool', 10_000);
  const combined = gpdTail(4.24, 0.05, 0, 1.0, 'pool', 10_000);
  return { ...h, calibration: { ...h.calibration, volume: heavy, hour: heavy, sensitive: heavy, combined } };
}

export const engine = (o: { service?: boolean } = {}) =>
  createEngine({ detection, people: o.service ? withService : people, catalog, allowlist: allowlistFrom([]), history: async (day) => heavyHistory(day, detection, o.service ?? false), now: () => 0 });

/** The service account's bytes on a day (its history's), for the test of its ordinary days. */
export const serviceDaily = (day: number) => svc.daily(day);

/** `n` queries of `bytes` each, one every `gap` minutes from `from`. */
export function run(user: string, from: number, n: number, bytes: number, gap: number, table = 'crm.orders', tag = 'x'): DetectEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    eventId: `${user}-${tag}-${i}`, ts: from + i * gap * MIN, user, action: 'SELECT', bytes, rows: Math.round(bytes / 500), table, clientIp: '10.0.0.7', clientApp: 'psql', sessionId: `${user}-${tag}`, ok: true,
  }));
}

export const ofDay = (alerts: AlertRecord[], day: number) => alerts.filter((a) => a.windowEnd === (day + 1) * 86_400_000);
export const last = <T>(xs: T[]) => xs[xs.length - 1];
