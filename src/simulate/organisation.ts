// The simulated company: departments, roles, locations and the people in them. Roles differ in how
// much data a normal day moves by orders of magnitude (a support agent reads a few MB, a data engineer
// GBs), each person has their own level around the role's (log-normal, so a few people sit far above
// their peers), and service accounts move large, steady volumes around the clock.
import type { DirectoryEntry } from '../directory';
import { dateString } from '../calendar';
import { stream, type Random } from './random';
import { table, type TableInfo } from './tables';

export const MB = 1_000_000;
export const GB = 1_000_000_000;

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

/** A person (or service account) and how they normally work. Only `directory` is ever written out. */
export interface Person {
  directory: DirectoryRow;
  /** Day numbers (see calendar.ts); activity happens in [hireDay, endDay]. */
  hireDay: number;
  noticeDay?: number;
  endDay?: number;
  /** Median bytes moved on a normal working day. */
  medianDailyBytes: number;
  /** Day-to-day spread (sigma of the log-normal). */
  daySigma: number;
  eventsPerDay: number;
  /** Local time the working day starts, in hours, and its length. */
  startHour: number;
  workHours: number;
  /** Probability of being away on a weekday (leave, sickness) and of working on a weekend day. */
  absentRate: number;
  weekendRate: number;
  /** Volume multiplier on the last working days of a month (finance closing the books); 1 = none. */
  monthEndFactor: number;
  tables: TableUse[];
  actions: ReadonlyArray<[string, number]>;
  apps: string[];
  clientIp: string;
}

interface RoleSpec {
  role: string;
  /** Share of the department's headcount. */
  share: number;
  medianDailyBytes: number;
  daySigma: number;
  eventsPerDay: number;
  tables: ReadonlyArray<[string, number]>;
  actions: ReadonlyArray<[string, number]>;
  apps: string[];
  monthEndFactor?: number;
  weekendRate?: number;
}

interface DepartmentSpec {
  name: string;
  share: number;
  locations: ReadonlyArray<[string, number]>;
  roles: RoleSpec[];
}

export const LOCATIONS: Record<string, { timezone: string; subnet: number }> = {
  London: { timezone: 'Europe/London', subnet: 11 },
  Berlin: { timezone: 'Europe/Berlin', subnet: 12 },
  'New York': { timezone: 'America/New_York', subnet: 13 },
  'San Francisco': { timezone: 'America/Los_Angeles', subnet: 14 },
  Singapore: { timezone: 'Asia/Singapore', subnet: 15 },
  Bangalore: { timezone: 'Asia/Kolkata', subnet: 16 },
  Datacenter: { timezone: 'UTC', subnet: 50 },
};

const READ = (select: number, extra: Array<[string, number]> = []): Array<[string, number]> => [['SELECT', select], ...extra];

export const DEPARTMENTS: ReadonlyArray<DepartmentSpec> = [
  {
    name: 'Customer Support',
    share: 0.3,
    locations: [['Bangalore', 4], ['London', 3], ['New York', 3]],
    roles: [
      {
        role: 'support_agent', share: 0.9, medianDailyBytes: 5 * MB, daySigma: 0.6, eventsPerDay: 70,
        tables: [['crm.support_tickets', 5], ['crm.ticket_comments', 4], ['crm.customers', 3], ['crm.customer_contacts', 2], ['sales.orders', 2], ['crm.customer_addresses', 1], ['crm.loyalty_accounts', 1], ['payments.refunds', 1]],
        actions: READ(85, [['UPDATE', 15]]), apps: ['support-console'],
      },
      {
        role: 'support_lead', share: 0.1, medianDailyBytes: 25 * MB, daySigma: 0.6, eventsPerDay: 50,
        tables: [['crm.support_tickets', 5], ['crm.ticket_comments', 3], ['crm.customers', 2], ['analytics.kpi_daily', 2], ['sales.orders', 1], ['payments.refunds', 1]],
        actions: READ(85, [['UPDATE', 10], ['EXPORT', 5]]), apps: ['support-console', 'metabase'],
      },
    ],
  },
  {
    name: 'Sales',
    share: 0.13,
    locations: [['London', 3], ['New York', 3], ['Singapore', 2], ['San Francisco', 2]],
    roles: [
      {
        role: 'sales_rep', share: 0.75, medianDailyBytes: 3 * MB, daySigma: 0.7, eventsPerDay: 25,
        tables: [['sales.leads', 4], ['sales.orders', 3], ['crm.customers', 2], ['sales.products', 2], ['sales.price_lists', 2], ['sales.promotions', 1]],
        actions: READ(90, [['UPDATE', 10]]), apps: ['crm-web'],
      },
      {
        role: 'sales_ops', share: 0.25, medianDailyBytes: 40 * MB, daySigma: 0.6, eventsPerDay: 35,
        tables: [['sales.orders', 4], ['sales.order_items', 3], ['sales.leads', 2], ['sales.price_lists', 2], ['analytics.kpi_daily', 2], ['crm.customers', 1]],
        actions: READ(85, [['EXPORT', 10], ['UPDATE', 5]]), apps: ['metabase', 'excel-odbc'],
      },
    ],
  },
  {
    name: 'Marketing',
    share: 0.06,
    locations: [['London', 1], ['New York', 1]],
    roles: [
      {
        role: 'marketing_analyst', share: 1, medianDailyBytes: 80 * MB, daySigma: 0.65, eventsPerDay: 35,
        tables: [['analytics.marketing_campaigns', 4], ['analytics.web_sessions', 3], ['analytics.events_daily', 3], ['analytics.customer_segments', 2], ['sales.promotions', 2]],
        actions: READ(85, [['EXPORT', 15]]), apps: ['metabase', 'tableau'],
      },
    ],
  },
  {
    name: 'Human Resources',
    share: 0.03,
    locations: [['London', 1], ['Berlin', 1]],
    roles: [
      {
        role: 'hr_partner', share: 1, medianDailyBytes: 8 * MB, daySigma: 0.6, eventsPerDay: 20,
        tables: [['hr.employees', 4], ['hr.org_units', 2], ['hr.performance_reviews', 2], ['hr.salaries', 1]],
        actions: READ(85, [['UPDATE', 15]]), apps: ['hr-portal'],
      },
    ],
  },
  {
    name: 'Finance',
    share: 0.08,
    locations: [['London', 1], ['New York', 1]],
    roles: [
      {
        role: 'accountant', share: 0.65, medianDailyBytes: 40 * MB, daySigma: 0.55, eventsPerDay: 40, monthEndFactor: 4,
        tables: [['finance.ledger_entries', 5], ['finance.invoices', 3], ['finance.gl_accounts', 2], ['payments.payouts', 2], ['finance.budgets', 1], ['payments.refunds', 1], ['finance.vendor_bank_accounts', 1]],
        actions: READ(80, [['EXPORT', 10], ['UPDATE', 10]]), apps: ['excel-odbc', 'sap-connector'],
      },
      {
        role: 'finance_analyst', share: 0.35, medianDailyBytes: 150 * MB, daySigma: 0.55, eventsPerDay: 40, monthEndFactor: 4,
        tables: [['finance.ledger_entries', 4], ['finance.budgets', 3], ['payments.card_transactions', 2], ['sales.orders', 2], ['analytics.kpi_daily', 2], ['finance.invoices', 1]],
        actions: READ(85, [['EXPORT', 15]]), apps: ['excel-odbc', 'tableau'],
      },
    ],
  },
  {
    name: 'Analytics',
    share: 0.12,
    locations: [['London', 2], ['Berlin', 1], ['San Francisco', 1]],
    roles: [
      {
        role: 'data_analyst', share: 0.7, medianDailyBytes: 200 * MB, daySigma: 0.65, eventsPerDay: 45,
        tables: [['analytics.events_daily', 4], ['analytics.web_sessions', 3], ['sales.orders', 3], ['analytics.kpi_daily', 2], ['sales.order_items', 2], ['analytics.customer_segments', 2], ['crm.customers', 1], ['analytics.churn_features', 1]],
        actions: READ(85, [['EXPORT', 15]]), apps: ['DBeaver', 'jupyter', 'tableau'],
      },
      {
        role: 'data_scientist', share: 0.3, medianDailyBytes: 800 * MB, daySigma: 0.7, eventsPerDay: 35,
        tables: [['analytics.churn_features', 4], ['analytics.events_daily', 3], ['analytics.web_sessions', 3], ['analytics.customer_segments', 2], ['sales.orders', 2], ['payments.card_transactions', 1]],
        actions: READ(80, [['EXPORT', 10], ['COPY', 10]]), apps: ['jupyter', 'DBeaver'],
      },
    ],
  },
  {
    name: 'Engineering',
    share: 0.22,
    locations: [['Berlin', 2], ['San Francisco', 2], ['Bangalore', 1]],
    roles: [
      {
        role: 'software_engineer', share: 0.8, medianDailyBytes: 30 * MB, daySigma: 0.7, eventsPerDay: 35,
        tables: [['eng.deployments', 3], ['eng.feature_flags', 3], ['eng.app_config', 3], ['eng.service_audit_log', 2], ['eng.incidents', 2], ['sales.products', 1], ['public.store_locations', 1], ['analytics.events_daily', 1]],
        actions: READ(85, [['UPDATE', 15]]), apps: ['psql', 'DBeaver', 'datagrip'],
      },
      {
        role: 'sre', share: 0.2, medianDailyBytes: 120 * MB, daySigma: 0.7, eventsPerDay: 35, weekendRate: 0.12,
        tables: [['eng.service_audit_log', 4], ['eng.deployments', 3], ['eng.incidents', 3], ['eng.app_config', 2], ['analytics.events_daily', 1]],
        actions: READ(80, [['UPDATE', 10], ['COPY', 10]]), apps: ['psql'],
      },
    ],
  },
  {
    name: 'Data Engineering',
    share: 0.06,
    locations: [['Berlin', 1], ['San Francisco', 1]],
    roles: [
      {
        role: 'data_engineer', share: 1, medianDailyBytes: 3 * GB, daySigma: 0.6, eventsPerDay: 40,
        tables: [['sales.orders', 3], ['sales.order_items', 3], ['analytics.events_daily', 3], ['analytics.web_sessions', 2], ['payments.card_transactions', 2], ['crm.customers', 1], ['finance.ledger_entries', 1]],
        actions: READ(70, [['COPY', 20], ['EXPORT', 10]]), apps: ['psql', 'spark', 'airflow-dev'],
      },
    ],
  },
];

interface ServiceSpec {
  id: string;
  name: string;
  role: string;
  medianDailyBytes: number;
  tables: ReadonlyArray<[string, number]>;
  actions: ReadonlyArray<[string, number]>;
  app: string;
}

/** Service accounts in the order they are added as the organisation grows (one per 125 people, at least 2). */
export const SERVICES: ReadonlyArray<ServiceSpec> = [
  { id: 'svc-etl-orders', name: 'ETL: orders to warehouse', role: 'etl', medianDailyBytes: 60 * GB, tables: [['sales.orders', 3], ['sales.order_items', 3], ['crm.customers', 1]], actions: [['COPY', 7], ['SELECT', 3]], app: 'airflow' },
  { id: 'svc-reporting', name: 'Scheduled reports', role: 'reporting', medianDailyBytes: 4 * GB, tables: [['analytics.kpi_daily', 2], ['sales.orders', 2], ['finance.ledger_entries', 1]], actions: [['SELECT', 1]], app: 'metabase-scheduler' },
  { id: 'svc-etl-payments', name: 'ETL: payments to warehouse', role: 'etl', medianDailyBytes: 25 * GB, tables: [['payments.card_transactions', 4], ['payments.refunds', 1], ['payments.payouts', 1]], actions: [['COPY', 7], ['SELECT', 3]], app: 'airflow' },
  { id: 'svc-search-indexer', name: 'Product search indexer', role: 'indexer', medianDailyBytes: 2 * GB, tables: [['sales.products', 3], ['public.store_locations', 1], ['sales.promotions', 1]], actions: [['SELECT', 1]], app: 'search-indexer' },
  { id: 'svc-etl-crm', name: 'ETL: CRM to warehouse', role: 'etl', medianDailyBytes: 15 * GB, tables: [['crm.customers', 2], ['crm.support_tickets', 2], ['crm.customer_contacts', 1]], actions: [['COPY', 7], ['SELECT', 3]], app: 'airflow' },
  { id: 'svc-ml-features', name: 'ML feature builder', role: 'feature_builder', medianDailyBytes: 8 * GB, tables: [['analytics.churn_features', 2], ['analytics.events_daily', 2]], actions: [['SELECT', 1]], app: 'spark' },
];

export function isEtlService(p: Person): boolean {
  return p.directory.account_type === 'service' && p.directory.role === 'etl';
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
  const serviceCount = Math.min(SERVICES.length, Math.max(2, Math.round(opts.employees / 125)));
  const owners = people.filter((p) => p.directory.role === 'data_engineer');
  for (const spec of SERVICES.slice(0, serviceCount)) people.push(serviceAccount(rng, spec, owners, opts));
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

  const tables = spec.tables
    .filter((_, i) => i < 2 || rng.chance(0.8))
    .map(([name, w]) => ({ table: table(name), weight: w * rng.logNormal(1, 0.4) }));
  const apps = rng.shuffle(spec.apps).slice(0, rng.int(1, Math.min(2, spec.apps.length)));

  return {
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
    hireDay,
    noticeDay,
    endDay,
    medianDailyBytes: spec.medianDailyBytes * rng.logNormal(1, 0.5),
    daySigma: spec.daySigma,
    eventsPerDay: spec.eventsPerDay * rng.logNormal(1, 0.25),
    startHour: clamp(8.75 + 0.6 * rng.normal(), 7, 10.5),
    workHours: clamp(8.5 + 0.5 * rng.normal(), 7, 10),
    absentRate: 0.05,
    weekendRate: spec.weekendRate ?? 0.04,
    monthEndFactor: spec.monthEndFactor ?? 1,
    tables,
    actions: spec.actions,
    apps,
    clientIp: `10.${subnet}.${rng.int(0, 63)}.${rng.int(2, 254)}`,
  };
}

function serviceAccount(rng: Random, spec: ServiceSpec, owners: Person[], opts: OrganisationOptions): Person {
  const created = opts.firstDay - rng.int(200, 1500);
  return {
    directory: {
      id: spec.id,
      name: spec.name,
      department: 'Data Platform',
      role: spec.role,
      manager: owners.length > 0 ? rng.pick(owners).directory.id : '',
      location: 'Datacenter',
      timezone: 'UTC',
      hire_date: dateString(created),
      notice_date: '',
      end_date: '',
      account_type: 'service',
    },
    hireDay: created,
    medianDailyBytes: spec.medianDailyBytes,
    daySigma: 0.08,
    eventsPerDay: 8 * 24,
    startHour: 0,
    workHours: 24,
    absentRate: 0,
    weekendRate: 1,
    monthEndFactor: 1,
    tables: spec.tables.map(([name, weight]) => ({ table: table(name), weight })),
    actions: spec.actions,
    apps: [spec.app],
    clientIp: `10.${LOCATIONS.Datacenter.subnet}.0.${rng.int(10, 250)}`,
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
