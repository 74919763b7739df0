// One employee's running totals for one UTC day (the alert window), updated event by event in event
// time. The detectors read it after every event, so a threshold is noticed at the event that crosses it.
import { localHour, MS_PER_DAY, MS_PER_HOUR } from '../calendar';
import { RecentIds } from '../kafka';
import type { AllowlistEntry } from './allowlist';
import type { Sensitivity } from './catalog';
import type { DetectEvent } from './event';
import { extendRun, noRun, type RunFields } from './day-run';

export interface Tally {
  bytes: number;
  rows: number;
  events: number;
}

/** With the day's latest run of activity (span.ts): an export across UTC midnight is judged as one. */
export interface DayState extends RunFields {
  user: string;
  day: number;
  /** Successful, not allowlisted activity: what the detectors judge. */
  bytes: number;
  rows: number;
  events: number;
  failed: number;
  /** The latest event ids, so a producer's duplicate (sent again shortly after) is not counted twice. */
  seen: RecentIds;
  firstTs: number;
  lastTs: number;
  tables: Map<string, Tally & { sensitivity: Sensitivity }>;
  sessions: Map<string, number>;
  clientIps: Map<string, number>;
  apps: Map<string, number>;
  sensitiveBytes: number;
  /** Sensitive tables touched today that were not known to the employee before today. */
  newSensitive: ReadonlySet<string>;
  offHoursBytes: number;
  /**
   * The current clock hour (ms of its start), its volume and largest event so far, and the day's busiest
   * hour so far counted beyond its largest event (sustained transfer, as history-source.ts has it).
   */
  hourStart: number;
  hourBytes: number;
  hourLargest: number;
  maxHourBytes: number;
  allowlisted: Readonly<Tally> & { readonly reasons: ReadonlySet<string> };
  /** Of `bytes`, how much was estimated (pgaudit logs rows, not bytes). */
  estimatedBytes: number;
  /** The people behind shared database roles, by bytes. */
  identities: ReadonlyMap<string, number>;
  /** Reads whose bytes no log measured (the source said why): counted, failed ones too, allowlisted ones not. */
  unmeasured: Unmeasured;
}

export interface Unmeasured {
  readonly reads: number;
  /** Of them, reads of a sensitive table. */
  readonly sensitive: number;
  readonly tables: ReadonlySet<string>;
  /** The first read's reason, as its source gave it. */
  readonly why: string;
}

// Most employees never touch a new sensitive table, an allowlisted one or a shared role: until their
// first such event these are shared and empty (about 700 bytes an employee less), and addEvent gives
// the day its own at the first write. So they are typed read-only: only addEvent writes them, never in place.
const NONE: ReadonlySet<string> = new Set<string>();
const NO_IDENTITIES: ReadonlyMap<string, number> = new Map<string, number>();
const NOT_ALLOWLISTED: DayState['allowlisted'] = Object.freeze({ bytes: 0, rows: 0, events: 0, reasons: NONE });
const NOTHING_UNMEASURED: Unmeasured = Object.freeze({ reads: 0, sensitive: 0, tables: NONE, why: '' });
type Allowlisted = Tally & { reasons: Set<string> };

/** Event ids remembered per employee and day: a producer retries within seconds, not thousands of events later. */
const SEEN_IDS = 4096;

export function newDayState(user: string, day: number): DayState {
  return {
    user,
    day,
    bytes: 0,
    rows: 0,
    events: 0,
    failed: 0,
    seen: new RecentIds(SEEN_IDS),
    firstTs: Infinity,
    lastTs: -Infinity,
    tables: new Map(),
    sessions: new Map(),
    clientIps: new Map(),
    apps: new Map(),
    sensitiveBytes: 0,
    newSensitive: NONE,
    offHoursBytes: 0,
    hourStart: -1,
    hourBytes: 0,
    hourLargest: 0,
    maxHourBytes: 0,
    allowlisted: NOT_ALLOWLISTED,
    estimatedBytes: 0,
    identities: NO_IDENTITIES,
    unmeasured: NOTHING_UNMEASURED,
    ...noRun(),
  };
}

export interface EventFacts {
  sensitivity: Sensitivity;
  /** Sensitive per the settings, and not known to the employee before today. */
  sensitive: boolean;
  knownTable: boolean;
  timezone: string;
  night: { startHour: number; endHour: number };
  allowlisted: AllowlistEntry | undefined;
}

const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
/** The day's own map: a new one in place of the shared empty one. */
const own = (m: ReadonlyMap<string, number>) => (m === NO_IDENTITIES ? new Map<string, number>() : (m as Map<string, number>));
/** The day's own set (a new one in place of the shared empty one), with `v` added. */
const added = (set: ReadonlySet<string>, v: string) => (set === NONE ? new Set<string>() : (set as Set<string>)).add(v);

/** Adds an event; false when it was already counted (a duplicate of an event id seen today). */
export function addEvent(s: DayState, e: DetectEvent, f: EventFacts): boolean {
  if (s.seen.has(e.eventId)) return false;
  s.seen.add(e.eventId);
  s.firstTs = Math.min(s.firstTs, e.ts);
  s.lastTs = Math.max(s.lastTs, e.ts);
  // Before the failed ones leave: a read that failed on purpose after sending its rows cannot be told apart here.
  if (e.unmeasured !== undefined && !f.allowlisted) {
    const u = s.unmeasured;
    s.unmeasured = { reads: u.reads + 1, sensitive: u.sensitive + (f.sensitive ? 1 : 0), tables: added(u.tables, e.table), why: u.why || e.unmeasured };
  }
  if (!e.ok) {
    s.failed++;
    return true;
  }
  if (f.allowlisted) {
    const a: Allowlisted = s.allowlisted === NOT_ALLOWLISTED ? { bytes: 0, rows: 0, events: 0, reasons: new Set() } : (s.allowlisted as Allowlisted);
    a.bytes += e.bytes;
    a.rows += e.rows;
    a.events++;
    a.reasons.add(f.allowlisted.reason);
    s.allowlisted = a;
    return true;
  }
  s.bytes += e.bytes;
  s.rows += e.rows;
  s.events++;
  let t = s.tables.get(e.table);
  if (!t) s.tables.set(e.table, (t = { bytes: 0, rows: 0, events: 0, sensitivity: f.sensitivity }));
  t.bytes += e.bytes;
  t.rows += e.rows;
  t.events++;
  add(s.sessions, e.sessionId, e.bytes);
  add(s.clientIps, e.clientIp, e.bytes);
  add(s.apps, e.clientApp, e.bytes);
  if (e.estimated) s.estimatedBytes += e.bytes;
  if (e.identity) s.identities = add(own(s.identities), e.identity, e.bytes);
  if (f.sensitive) {
    s.sensitiveBytes += e.bytes;
    if (!f.knownTable) s.newSensitive = added(s.newSensitive, e.table);
  }
  extendRun(s, s.day * MS_PER_DAY, e.ts, e.bytes, f.sensitive);
  if (isNight(localHour(e.ts, f.timezone), f.night)) s.offHoursBytes += e.bytes;
  // Clock hours, as the rollup user_hourly has them (the busiest hour's history comes from it). Events
  // arrive in order per user; an out-of-order one counts toward the current hour.
  const hour = e.ts - (e.ts % MS_PER_HOUR);
  if (hour > s.hourStart) {
    s.hourStart = hour;
    s.hourBytes = 0;
    s.hourLargest = 0;
  }
  s.hourBytes += e.bytes;
  if (e.bytes > s.hourLargest) s.hourLargest = e.bytes;
  if (s.hourBytes - s.hourLargest > s.maxHourBytes) s.maxHourBytes = s.hourBytes - s.hourLargest;
  return true;
}

export function isNight(hour: number, night: { startHour: number; endHour: number }): boolean {
  return night.startHour <= night.endHour ? hour >= night.startHour && hour < night.endHour : hour >= night.startHour || hour < night.endHour;
}
