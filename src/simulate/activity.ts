// Normal activity: what one person (or service account) does on one local day. People work in their
// own time zone's office hours, rarely at weekends (unless on call), spread a log-normal day's volume
// over a day's queries (a few large, many small; now and then one very large query on top), and now and
// then a query fails and moves nothing. Their habits shape the day: the job they had then (a role
// change), leave and the catch-up after it, month and quarter ends, a data project ramping up. Pipelines
// run every hour of every day at a steady volume; shared logins follow the office hours of several zones.
import { isMonthEnd, isQuarterEnd, isWeekend, localMidnightUtc, MS_PER_HOUR } from '../calendar';
import type { SimEvent } from './event';
import { isOnCall, jobOn, projectFactor, type Job, type Person, type TableUse } from './organisation';
import { stream, type Random } from './random';

/** Actions that write rather than read: they return next to nothing to the client. */
const WRITES = new Set(['UPDATE', 'INSERT', 'DELETE']);
const ERROR_RATE = 0.01;
/** Pareto tail of the extra heavy query: P(size > x * day) = (0.5 / x)^2 for x >= 0.5, at most 40 x the day. */
const BIG_QUERY = { min: 0.5, alpha: 2, max: 40 };

/**
 * The events of `p` on local day `day` (not sorted). `scenario` labels all of them, for the benign
 * look-alikes that consist of normal activity (a heavy analyst, an ETL account, month-end in finance).
 */
export function personDay(seed: number, p: Person, day: number, scenario?: string): SimEvent[] {
  if (day < p.hireDay || (p.endDay !== undefined && day > p.endDay)) return [];
  const rng = stream(seed, `day|${p.directory.id}|${day}`);
  if (p.kind === 'pipeline') return serviceDay(rng, p, day, scenario);
  return humanDay(rng, p, day, scenario);
}

/** How one day goes: its volume and pace (multipliers of a normal working day) and its hours. */
interface DayPlan {
  volume: number;
  busy: number;
  startHour: number;
  hours: number;
  /** An incident in the night (on call): a share of the day's volume between 00:00 and 05:00 local. */
  night: number;
}

function planDay(rng: Random, p: Person, day: number): DayPlan | null {
  if (p.leave && day >= p.leave.from && day <= p.leave.to) return null;
  const weekend = isWeekend(day);
  if (weekend && isOnCall(p, day)) {
    // On call: most of these weekends bring some work, now and then a night incident.
    if (!rng.chance(0.85)) return null;
    return { volume: rng.logNormal(0.7, 0.3), busy: 0.6, startHour: rng.int(8, 12) + rng.float(), hours: 3 + 6 * rng.float(), night: rng.chance(0.2) ? rng.logNormal(0.3, 0.4) : 0 };
  }
  if (weekend ? !rng.chance(p.weekendRate) : rng.chance(p.absentRate)) return null;
  if (weekend) {
    // A couple of hours to check on something, not a working day (a shared login: a little of everything).
    return { volume: 0.25, busy: 0.25, startHour: p.kind === 'shared' ? p.startHour : rng.int(10, 15) + rng.float(), hours: p.kind === 'shared' ? p.workHours : 1 + 2 * rng.float(), night: 0 };
  }
  let volume = 1;
  let busy = 1;
  const tenure = day - p.hireDay;
  if (tenure < 7) volume *= 0.3;
  else if (tenure < 14) volume *= 0.6;
  const closing = isQuarterEnd(day) ? p.quarterEndFactor : isMonthEnd(day) ? p.monthEndFactor : 1;
  if (closing !== 1) {
    volume *= closing;
    busy *= 1.5;
  }
  if (p.leave?.catchUpDays.includes(day)) {
    volume *= rng.logNormal(1.8, 0.2);
    busy *= 1.3;
  }
  volume *= projectFactor(p, day);
  const jitter = p.kind === 'shared' ? 0.3 : 0.4;
  return { volume, busy, startHour: p.startHour + jitter * rng.normal(), hours: Math.max(4, p.workHours + 0.5 * rng.normal()), night: 0 };
}

function humanDay(rng: Random, p: Person, day: number, scenario: string | undefined): SimEvent[] {
  const plan = planDay(rng, p, day);
  if (!plan) return [];
  const job: Job = jobOn(p, day);
  const tables: TableUse[] = p.project && day >= p.project.start ? [...job.tables, ...p.project.tables] : job.tables;
  const total = job.medianDailyBytes * plan.volume * Math.exp(job.daySigma * rng.normal());
  const count = Math.max(1, rng.count(job.eventsPerDay * plan.busy));
  const { startHour, hours } = plan;
  const midnight = localMidnightUtc(day, p.directory.timezone);
  const sessions = Array.from({ length: 1 + Math.floor(hours / 3.5) }, () => rng.hex(16));

  const drafts: Array<{ hour: number; action: string; use: TableUse; weight: number }> = [];
  for (let i = 0; i < count; i++) {
    // A few queries in the evening, after the working day.
    const hour = rng.chance(0.03) ? startHour + hours + 3 * rng.float() : startHour + hours * rng.float();
    const action = rng.weighted(job.actions, (a) => a[1])[0];
    const use = rng.weighted(tables, (t) => t.weight);
    // Within a day, single queries are heavy-tailed too: one big extract, many small lookups.
    drafts.push({ hour: Math.min(hour, 23.99), action, use, weight: WRITES.has(action) ? 0 : Math.exp(1.1 * rng.normal()) });
  }
  const totalWeight = drafts.reduce((s, d) => s + d.weight, 0) || 1;
  const events = drafts.map((d) => {
    const fraction = (d.hour - startHour) / (hours + 3);
    const session = sessions[Math.min(sessions.length - 1, Math.max(0, Math.floor(fraction * sessions.length)))];
    const bytes = WRITES.has(d.action) ? rng.int(0, 400) : Math.floor((total * d.weight) / totalWeight);
    const rows = WRITES.has(d.action) ? rng.int(1, 5) : Math.round(bytes / d.use.table.rowBytes);
    return event(rng, p, { at: midnight + Math.floor(d.hour * MS_PER_HOUR), action: d.action, use: d.use, bytes, rows, session, app: rng.pick(job.apps), scenario });
  });
  // Now and then one very large query on top of the day (heavy-tailed: mostly half a day, rarely ten days).
  if (!isWeekend(day) && rng.chance(p.bigQueryRate)) {
    const size = Math.min(BIG_QUERY.max, BIG_QUERY.min * Math.pow(1 - rng.float(), -1 / BIG_QUERY.alpha));
    const use = rng.weighted(tables, (t) => t.weight);
    const bytes = Math.floor(total * size);
    events.push(event(rng, p, { at: midnight + Math.floor((startHour + hours * rng.float()) * MS_PER_HOUR), action: rng.chance(0.5) ? 'EXPORT' : 'SELECT', use, bytes, rows: Math.round(bytes / use.table.rowBytes), session: rng.pick(sessions), app: rng.pick(job.apps), scenario }));
  }
  if (plan.night > 0) {
    // Paged at night: logs and incident tables pulled between midnight and 5 a.m. local time.
    const session = rng.hex(16);
    const n = rng.int(3, 12);
    for (let i = 0; i < n; i++) {
      const use = rng.weighted(tables, (t) => t.weight);
      const bytes = Math.floor((job.medianDailyBytes * plan.night * Math.exp(0.5 * rng.normal())) / n);
      events.push(event(rng, p, { at: midnight + Math.floor((1 + 4 * rng.float()) * MS_PER_HOUR), action: 'SELECT', use, bytes, rows: Math.round(bytes / use.table.rowBytes), session, app: rng.pick(job.apps), scenario }));
    }
  }
  return events;
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
