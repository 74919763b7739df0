// The simulated company's people and how each of them works. Each person has their own level and their
// own day-to-day spread around their role's (log-normal: some people sit far above their peers, some
// vary ten times more than colleagues in the same job), and habits that make an organisation untidy:
// single heavy queries, people who changed team or role (the directory shows only the current one),
// leave and the catch-up after it, on-call weekends (with the odd night incident), data projects that
// ramp a person's volume up for weeks, month and quarter ends. Service accounts are pipelines (steady,
// around the clock) or logins shared by several people through a tool (as uneven as people).
import type { DirectoryEntry } from '../directory';
import { addWeekdays, dateString, nextWeekday } from '../calendar';
import { stream, type Random } from './random';
import { DEPARTMENTS, LOCATIONS, PROJECT_TABLES, SERVICES, SHARED_SERVICES, type DepartmentSpec, type RoleSpec, type ServiceSpec } from './roles';
import { table, type TableInfo } from './tables';

export { MB, GB, DEPARTMENTS, SERVICES, SHARED_SERVICES, LOCATIONS } from './roles';

/** A row of directory.csv: the directory's entry in its CSV form, dates YYYY-MM-DD or ''. */
export type DirectoryRow = Omit<DirectoryEntry, 'hire_date' | 'notice_date' | 'end_date'> & {
  hire_date: string;
  notice_date: string;
  end_date: string;
};

export interface TableUse {
  table: TableInfo;
  weight: number;
}

/** What a person's normal working day looks like in one job. */
export interface Job {
  department: string;
  role: string;
  /** Median bytes moved on a normal working day. */
  medianDailyBytes: number;
  /** Day-to-day spread (sigma of the log-normal). */
  daySigma: number;
  eventsPerDay: number;
  tables: TableUse[];
  actions: ReadonlyArray<[string, number]>;
  apps: string[];
}

/** A person (or service account) and how they normally work. Only `directory` is ever written out. */
export interface Person extends Job {
  directory: DirectoryRow;
  /** human: a person; pipeline: a job around the clock; shared: a login several people use through a tool. */
  kind: 'human' | 'pipeline' | 'shared';
  /** Day numbers (see calendar.ts); activity happens in [hireDay, endDay]. */
  hireDay: number;
  noticeDay?: number;
  endDay?: number;
  /** Local time the working day starts, in hours, and its length. */
  startHour: number;
  workHours: number;
  /** Probability of being away on a weekday (sickness, a day off) and of working on a weekend day. */
  absentRate: number;
  weekendRate: number;
  /** Volume multipliers on the last working days of a month and of a quarter; 1 = none. */
  monthEndFactor: number;
  quarterEndFactor: number;
  clientIp: string;
  /** Chance per working day of one extra heavy query on top of the day: single query sizes are heavy-tailed. */
  bigQueryRate: number;
  /** Until `untilDay` (exclusive) the person worked in another team or role, with that job's habits. */
  previous?: Job & { untilDay: number };
  /** Away on leave from..to (inclusive); the first working days back catch up. */
  leave?: { from: number; to: number; catchUpDays: number[] };
  /** On call one weekend in `every` (weekends numbered from the epoch), the one with index % every === offset. */
  onCall?: { every: number; offset: number };
  /** A data project from `start`: the volume ramps up over `rampDays` to `factor` x and stays there. */
  project?: { start: number; rampDays: number; factor: number; tables: TableUse[] };
}

export function isEtlService(p: Person): boolean {
  return p.directory.account_type === 'service' && p.directory.role === 'etl';
}

/** The weekend a Saturday or Sunday belongs to, numbered from the epoch (day 2 was a Saturday). */
export function weekendIndex(day: number): number {
  return Math.floor((day - 2) / 7);
}

/** Whether `day` (a Saturday or Sunday) is one of the person's on-call weekends. */
export function isOnCall(p: Person, day: number): boolean {
  return p.onCall !== undefined && ((weekendIndex(day) % p.onCall.every) + p.onCall.every) % p.onCall.every === p.onCall.offset;
}

/** The job the person had on `day`. */
export function jobOn(p: Person, day: number): Job {
  return p.previous !== undefined && day < p.previous.untilDay ? p.previous : p;
}

/** The project's volume multiplier on `day` (1 outside it). */
export function projectFactor(p: Person, day: number): number {
  const pr = p.project;
  if (!pr || day < pr.start) return 1;
  return 1 + (pr.factor - 1) * Math.min(1, (day - pr.start + 1) / pr.rampDays);
}

const FIRST_NAMES = [
  'Anna', 'Ben', 'Chloe', 'David', 'Elena', 'Farid', 'Grace', 'Hugo', 'Isha', 'James', 'Keiko', 'Liam', 'Maria', 'Noah',
  'Olivia', 'Pavel', 'Quinn', 'Rahul', 'Sofia', 'Tom', 'Uma', 'Victor', 'Wei', 'Xavier', 'Yara', 'Zoe', 'Arjun', 'Bea',
  'Carlos', 'Dana', 'Emil', 'Fatima', 'Greta', 'Hana', 'Ivan', 'Julia', 'Kofi', 'Lena', 'Marco', 'Nina', 'Omar', 'Priya',
];
const LAST_NAMES = [
  'Schmidt', 'Patel', 'Nguyen', 'Smith', 'Garcia', 'Muller', 'Kim', 'Rossi', 'Tanaka', 'Okafor', 'Silva', 'Cohen',
  'Novak', 'Jensen', 'Khan', 'Lopez', 'Brown', 'Weber', 'Singh', 'Chen', 'Ivanova', 'Dubois', 'Moreau', 'Fischer',
  'Walker', 'Haddad', 'Larsen', 'Costa', 'Yamamoto', 'Reyes', 'Murphy', 'Kowalski', 'Sato', 'Ali', 'Becker', 'Ward',
];

export interface OrganisationOptions {
  seed: number;
  employees: number;
  /** The simulated period, as day numbers [firstDay, lastDay]. */
  firstDay: number;
  lastDay: number;
}

/** Builds the people, deterministically for a seed. New hires and people on notice fall inside the period. */
export function buildOrganisation(opts: OrganisationOptions): Person[] {
  const rng = stream(opts.seed, 'organisation');
  const people: Person[] = [];
  const usedIds = new Set<string>();
  const counts = headcounts(opts.employees);
  for (const dept of DEPARTMENTS) {
    const members: Person[] = [];
    for (const spec of dept.roles) {
      for (let i = 0; i < (counts.get(spec.role) ?? 0); i++) members.push(person(rng, dept, spec, usedIds, opts));
    }
    assignManagers(members);
    people.push(...members);
  }
  // Habits come from a stream per person: a new habit never shifts anybody else's numbers.
  for (const p of people) addHabits(stream(opts.seed, `habits|${p.directory.id}`), p, opts);
  const serviceCount = Math.min(SERVICES.length, Math.max(2, Math.round(opts.employees / 125)));
  const owners = people.filter((p) => p.directory.role === 'data_engineer');
  for (const spec of SERVICES.slice(0, serviceCount)) people.push(serviceAccount(rng, spec, owners, opts));
  const sharedCount = Math.min(SHARED_SERVICES.length, Math.max(1, Math.round(opts.employees / 250)));
  for (const spec of SHARED_SERVICES.slice(0, sharedCount)) people.push(serviceAccount(rng, spec, owners, opts));
  return people;
}

/** Headcount per role: proportional to shares, every role present at least once. */
function headcounts(employees: number): Map<string, number> {
  const roles = DEPARTMENTS.flatMap((d) => d.roles.map((r) => ({ role: r.role, exact: employees * d.share * r.share })));
  const counts = new Map(roles.map((r) => [r.role, Math.max(1, Math.floor(r.exact))]));
  let total = [...counts.values()].reduce((s, n) => s + n, 0);
  // Largest remainders first, so the total is exactly `employees` (when there is room).
  const byRemainder = [...roles].sort((a, b) => b.exact - Math.floor(b.exact) - (a.exact - Math.floor(a.exact)) || a.role.localeCompare(b.role));
  for (let i = 0; total < employees; i = (i + 1) % byRemainder.length, total++) {
    const r = byRemainder[i].role;
    counts.set(r, (counts.get(r) ?? 0) + 1);
  }
  return counts;
}

/** A job of `spec` for someone whose level and spread sit at these factors of the role's. */
function jobOf(rng: Random, dept: DepartmentSpec, spec: RoleSpec, level: number, spread: number): Job {
  const tables = spec.tables
    .filter((_, i) => i < 2 || rng.chance(0.8))
    .map(([name, w]) => ({ table: table(name), weight: w * rng.logNormal(1, 0.4) }));
  return {
    department: dept.name,
    role: spec.role,
    medianDailyBytes: spec.medianDailyBytes * level,
    daySigma: clamp(spec.daySigma * spread, 0.2, 1.5),
    eventsPerDay: spec.eventsPerDay * rng.logNormal(1, 0.25),
    tables,
    actions: spec.actions,
    apps: rng.shuffle(spec.apps).slice(0, rng.int(1, Math.min(2, spec.apps.length))),
  };
}

function person(rng: Random, dept: DepartmentSpec, spec: RoleSpec, usedIds: Set<string>, opts: OrganisationOptions): Person {
  const first = rng.pick(FIRST_NAMES);
  const last = rng.pick(LAST_NAMES);
  const id = uniqueId(`${first}.${last}`.toLowerCase(), usedIds);
  const location = rng.weighted(dept.locations, (l) => l[1])[0];
  const { timezone, subnet } = LOCATIONS[location];
  const periodDays = opts.lastDay - opts.firstDay + 1;

  // Most people joined years ago; about 3% join during the period and about 2% are serving notice.
  let hireDay = opts.firstDay - rng.int(60, 8 * 365);
  let noticeDay: number | undefined;
  let endDay: number | undefined;
  const fate = rng.float();
  if (fate < 0.03) {
    hireDay = opts.firstDay + rng.int(3, Math.max(3, periodDays - 6));
  } else if (fate < 0.05) {
    noticeDay = opts.firstDay + rng.int(-20, Math.max(-20, periodDays - 4));
    endDay = noticeDay + rng.int(14, 56);
  }
  // Own level and own spread around the role's: a few people vary far more (or less) than colleagues.
  const level = rng.logNormal(1, 0.6);
  const spread = rng.logNormal(1, 0.4);
  const job = jobOf(rng, dept, spec, level, spread);

  return {
    ...job,
    directory: {
      id,
      name: `${first} ${last}`,
      department: dept.name,
      role: spec.role,
      manager: '',
      location,
      timezone,
      hire_date: dateString(hireDay),
      notice_date: noticeDay === undefined ? '' : dateString(noticeDay),
      end_date: endDay === undefined ? '' : dateString(endDay),
      account_type: 'human',
    },
    kind: 'human',
    hireDay,
    noticeDay,
    endDay,
    startHour: clamp(8.75 + 0.6 * rng.normal(), 7, 10.5),
    workHours: clamp(8.5 + 0.5 * rng.normal(), 7, 10),
    absentRate: 0.05,
    weekendRate: spec.weekendRate ?? 0.04,
    monthEndFactor: spec.monthEndFactor ?? 1,
    quarterEndFactor: spec.quarterEndFactor ?? spec.monthEndFactor ?? 1,
    clientIp: `10.${subnet}.${rng.int(0, 63)}.${rng.int(2, 254)}`,
    bigQueryRate: 0.015,
  };
}

/** Role changes, leave, on-call rotations and data projects, each for a few people. */
function addHabits(rng: Random, p: Person, opts: OrganisationOptions): void {
  const { firstDay, lastDay } = opts;
  const settled = p.hireDay <= firstDay - 60 && p.noticeDay === undefined;
  const spec = DEPARTMENTS.flatMap((d) => d.roles).find((r) => r.role === p.role)!;
  // About 3% changed team or role during the period; the directory shows the new job only.
  if (settled && lastDay - firstDay >= 30 && rng.chance(0.03)) {
    const others = DEPARTMENTS.filter((d) => d.name !== p.department);
    const dept = rng.weighted(others, (d) => d.share);
    const old = rng.weighted(dept.roles, (r) => r.share);
    const level = p.medianDailyBytes / spec.medianDailyBytes;
    const spread = p.daySigma / spec.daySigma;
    p.previous = { ...jobOf(rng, dept, old, level, spread), untilDay: nextWeekday(firstDay + rng.int(10, lastDay - firstDay - 10)) };
  }
  // About 6% take one to three weeks of leave; the first two working days back catch up.
  if (p.noticeDay === undefined && rng.chance(0.06)) {
    const from = nextWeekday(firstDay + rng.int(0, Math.max(0, lastDay - firstDay - 5)));
    const to = addWeekdays(from, rng.int(4, 14));
    p.leave = { from, to, catchUpDays: [addWeekdays(to + 1, 0), addWeekdays(to + 1, 1)] };
  }
  if (spec.onCall && rng.chance(spec.onCall.share)) p.onCall = { every: spec.onCall.every, offset: rng.int(0, spec.onCall.every - 1) };
  // About 5% of the roles that do data work start a project that ramps their volume up for weeks.
  if (spec.projects && settled && lastDay - firstDay >= 30 && rng.chance(0.05)) {
    const fresh = PROJECT_TABLES.filter((t) => !p.tables.some((u) => `${u.table.database}.${u.table.table}` === t));
    const weight = p.tables.reduce((s, t) => s + t.weight, 0) / 2;
    p.project = {
      start: nextWeekday(firstDay + rng.int(10, lastDay - firstDay - 12)),
      rampDays: rng.int(8, 15),
      factor: clamp(rng.logNormal(2.2, 0.2), 1.5, 3.5),
      tables: rng.shuffle(fresh).slice(0, 2).map((t) => ({ table: table(t), weight })),
    };
  }
}

function serviceAccount(rng: Random, spec: ServiceSpec, owners: Person[], opts: OrganisationOptions): Person {
  const created = opts.firstDay - rng.int(200, 1500);
  const shared = spec.kind === 'shared';
  return {
    directory: {
      id: spec.id,
      name: spec.name,
      department: spec.department,
      role: spec.role,
      manager: owners.length > 0 ? rng.pick(owners).directory.id : '',
      location: 'Datacenter',
      timezone: 'UTC',
      hire_date: dateString(created),
      notice_date: '',
      end_date: '',
      account_type: 'service',
    },
    kind: spec.kind,
    department: spec.department,
    role: spec.role,
    hireDay: created,
    medianDailyBytes: spec.medianDailyBytes,
    daySigma: spec.daySigma,
    eventsPerDay: shared ? 150 : 8 * 24,
    startHour: shared ? 6 : 0,
    workHours: shared ? 16 : 24,
    absentRate: 0,
    weekendRate: shared ? 0.5 : 1,
    monthEndFactor: 1,
    quarterEndFactor: 1,
    tables: spec.tables.map(([name, weight]) => ({ table: table(name), weight })),
    actions: spec.actions,
    apps: [spec.app],
    clientIp: `10.${LOCATIONS.Datacenter.subnet}.0.${rng.int(10, 250)}`,
    bigQueryRate: shared ? 0.03 : 0,
  };
}

/** The first member heads the department; the others are in teams of about eight, each with a lead. */
function assignManagers(members: Person[]): void {
  if (members.length === 0) return;
  const head = members[0].directory.id;
  let lead = head;
  members.slice(1).forEach((p, i) => {
    if (i % 8 === 0) {
      p.directory.manager = head;
      lead = p.directory.id;
    } else {
      p.directory.manager = lead;
    }
  });
}

function uniqueId(base: string, used: Set<string>): string {
  let candidate = `${base}@corp.example`;
  for (let n = 2; used.has(candidate); n++) candidate = `${base}${n}@corp.example`;
  used.add(candidate);
  return candidate;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
