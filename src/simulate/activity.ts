// Normal activity: what one person (or service account) does on one local day. People work in their
// own time zone's office hours, rarely at weekends, spread a log-normal day's volume over a day's
// queries (a few large, many small), and now and then a query fails and moves nothing. Service
// accounts run every hour of every day with a steady volume.
import { isMonthEnd, isWeekend, localMidnightUtc, MS_PER_HOUR } from '../calendar';
import type { SimEvent } from './event';
import type { Person, TableUse } from './organisation';
import { stream, type Random } from './random';

/** Actions that write rather than read: they return next to nothing to the client. */
const WRITES = new Set(['UPDATE', 'INSERT', 'DELETE']);
const ERROR_RATE = 0.01;

/**
 * The events of `p` on local day `day` (not sorted). `scenario` labels all of them, for the benign
 * look-alikes that consist of normal activity (a heavy analyst, an ETL account, month-end in finance).
 */
export function personDay(seed: number, p: Person, day: number, scenario?: string): SimEvent[] {
  if (day < p.hireDay || (p.endDay !== undefined && day > p.endDay)) return [];
  const rng = stream(seed, `day|${p.directory.id}|${day}`);
  return p.directory.account_type === 'service' ? serviceDay(rng, p, day, scenario) : humanDay(rng, p, day, scenario);
}

function humanDay(rng: Random, p: Person, day: number, scenario: string | undefined): SimEvent[] {
  const weekend = isWeekend(day);
  if (weekend ? !rng.chance(p.weekendRate) : rng.chance(p.absentRate)) return [];

  let volume = 1;
  let busy = 1;
  if (weekend) {
    // A couple of hours to check on something, not a working day.
    volume = 0.25;
    busy = 0.25;
  }
  const tenure = day - p.hireDay;
  if (tenure < 7) volume *= 0.3;
  else if (tenure < 14) volume *= 0.6;
  if (p.monthEndFactor !== 1 && isMonthEnd(day)) {
    volume *= p.monthEndFactor;
    busy *= 1.5;
  }
  const total = p.medianDailyBytes * volume * Math.exp(p.daySigma * rng.normal());
  const count = Math.max(1, rng.count(p.eventsPerDay * busy));
  const startHour = weekend ? rng.int(10, 15) + rng.float() : p.startHour + 0.4 * rng.normal();
  const hours = weekend ? 1 + 2 * rng.float() : Math.max(4, p.workHours + 0.5 * rng.normal());
  const midnight = localMidnightUtc(day, p.directory.timezone);
  const sessions = Array.from({ length: 1 + Math.floor(hours / 3.5) }, () => rng.hex(16));

  const drafts: Array<{ hour: number; action: string; use: TableUse; weight: number }> = [];
  for (let i = 0; i < count; i++) {
    // A few queries in the evening, after the working day.
    const hour = rng.chance(0.03) ? startHour + hours + 3 * rng.float() : startHour + hours * rng.float();
    const action = rng.weighted(p.actions, (a) => a[1])[0];
    const use = rng.weighted(p.tables, (t) => t.weight);
    // Within a day, single queries are heavy-tailed too: one big extract, many small lookups.
    drafts.push({ hour: Math.min(hour, 23.99), action, use, weight: WRITES.has(action) ? 0 : Math.exp(1.1 * rng.normal()) });
  }
  const totalWeight = drafts.reduce((s, d) => s + d.weight, 0) || 1;
  return drafts.map((d) => {
    const fraction = (d.hour - startHour) / (hours + 3);
    const session = sessions[Math.min(sessions.length - 1, Math.max(0, Math.floor(fraction * sessions.length)))];
    const bytes = WRITES.has(d.action) ? rng.int(0, 400) : Math.floor((total * d.weight) / totalWeight);
    const rows = WRITES.has(d.action) ? rng.int(1, 5) : Math.round(bytes / d.use.table.rowBytes);
    return event(rng, p, {
      at: midnight + Math.floor(d.hour * MS_PER_HOUR),
      action: d.action,
      use: d.use,
      bytes,
      rows,
      session,
      app: rng.pick(p.apps),
      scenario,
    });
  });
}

function serviceDay(rng: Random, p: Person, day: number, scenario: string | undefined): SimEvent[] {
  const total = p.medianDailyBytes * Math.exp(p.daySigma * rng.normal());
  const midnight = localMidnightUtc(day, p.directory.timezone);
  const perHour = p.eventsPerDay / 24;
  const out: SimEvent[] = [];
  for (let hour = 0; hour < 24; hour++) {
    const hourBytes = (total / 24) * Math.max(0.5, 1 + 0.1 * rng.normal());
    const count = Math.max(1, rng.count(perHour));
    const weights = Array.from({ length: count }, () => Math.exp(0.3 * rng.normal()));
    const sum = weights.reduce((s, w) => s + w, 0);
    const session = rng.hex(16);
    for (const w of weights) {
      const use = rng.weighted(p.tables, (t) => t.weight);
      const bytes = Math.floor((hourBytes * w) / sum);
      out.push(
        event(rng, p, {
          at: midnight + Math.floor((hour + rng.float()) * MS_PER_HOUR),
          action: rng.weighted(p.actions, (a) => a[1])[0],
          use,
          bytes,
          rows: Math.round(bytes / use.table.rowBytes),
          session,
          app: p.apps[0],
          scenario,
        }),
      );
    }
  }
  return out;
}

export interface EventDraft {
  at: number;
  action: string;
  use: TableUse;
  bytes: number;
  rows: number;
  session: string;
  app: string;
  clientIp?: string;
  scenario?: string;
  /** Force a failed query (bytes and rows 0); otherwise about 1% fail at random. */
  failed?: boolean;
}

/** A complete event from a draft. Failed queries move no data. */
export function event(rng: Random, p: Person, d: EventDraft): SimEvent {
  const failed = d.failed ?? rng.chance(ERROR_RATE);
  const e: SimEvent = {
    at: d.at,
    event_id: rng.uuid(),
    user: p.directory.id,
    action: d.action,
    bytes: failed ? 0 : d.bytes,
    rows: failed ? 0 : d.rows,
    source: d.use.table.source,
    database: d.use.table.database,
    table: d.use.table.table,
    client_ip: d.clientIp ?? p.clientIp,
    client_app: d.app,
    session_id: d.session,
    query_id: rng.hex(16),
    status: failed ? 'error' : 'ok',
  };
  if (d.scenario !== undefined) e.scenario = d.scenario;
  return e;
}
