// The simulated company's departments, roles, locations and service accounts: how much data a normal
// day of each role moves (orders of magnitude apart: a support agent reads a few MB, a data engineer
// GBs), how much it varies, which tables it reads, and the calendar habits of a role (month and quarter
// ends, on-call weekends). People are drawn around these figures in organisation.ts.

export const MB = 1_000_000;
export const GB = 1_000_000_000;

export interface RoleSpec {
  role: string;
  /** Share of the department's headcount. */
  share: number;
  medianDailyBytes: number;
  /** The role's typical day-to-day spread (sigma of log volume); each person has their own around it. */
  daySigma: number;
  eventsPerDay: number;
  tables: ReadonlyArray<[string, number]>;
  actions: ReadonlyArray<[string, number]>;
  apps: string[];
  /** Volume multiplier on the last working days of a month (closing the books); 1 = none. */
  monthEndFactor?: number;
  /** Multiplier on the last working days of a quarter (instead of the month-end one); 1 = none. */
  quarterEndFactor?: number;
  weekendRate?: number;
  /** Share of the role in an on-call rotation, and one weekend in how many each of them is on call. */
  onCall?: { share: number; every: number };
  /** Whether people of this role take on data projects that ramp their volume up for weeks. */
  projects?: boolean;
}

export interface DepartmentSpec {
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
    share: 0.275,
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
        // Sales operations closes the quarter: pipeline and bookings reports for days.
        role: 'sales_ops', share: 0.25, medianDailyBytes: 40 * MB, daySigma: 0.6, eventsPerDay: 35, quarterEndFactor: 3,
        tables: [['sales.orders', 4], ['sales.order_items', 3], ['sales.leads', 2], ['sales.price_lists', 2], ['analytics.kpi_daily', 2], ['crm.customers', 1]],
        actions: READ(85, [['EXPORT', 10], ['UPDATE', 5]]), apps: ['metabase', 'excel-odbc'], projects: true,
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
        actions: READ(85, [['EXPORT', 15]]), apps: ['metabase', 'tableau'], projects: true,
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
        role: 'accountant', share: 0.65, medianDailyBytes: 40 * MB, daySigma: 0.55, eventsPerDay: 40, monthEndFactor: 4, quarterEndFactor: 6,
        tables: [['finance.ledger_entries', 5], ['finance.invoices', 3], ['finance.gl_accounts', 2], ['payments.payouts', 2], ['finance.budgets', 1], ['payments.refunds', 1], ['finance.vendor_bank_accounts', 1]],
        actions: READ(80, [['EXPORT', 10], ['UPDATE', 10]]), apps: ['excel-odbc', 'sap-connector'],
      },
      {
        role: 'finance_analyst', share: 0.35, medianDailyBytes: 150 * MB, daySigma: 0.55, eventsPerDay: 40, monthEndFactor: 4, quarterEndFactor: 6,
        tables: [['finance.ledger_entries', 4], ['finance.budgets', 3], ['payments.card_transactions', 2], ['sales.orders', 2], ['analytics.kpi_daily', 2], ['finance.invoices', 1]],
        actions: READ(85, [['EXPORT', 15]]), apps: ['excel-odbc', 'tableau'],
      },
    ],
  },
  {
    // Moving card data is this role's job: most of its days exceed a flat limit on sensitive tables.
    name: 'Payments',
    share: 0.025,
    locations: [['London', 1], ['Singapore', 1]],
    roles: [
      {
        role: 'reconciliation_analyst', share: 1, medianDailyBytes: 9 * GB, daySigma: 0.45, eventsPerDay: 40,
        tables: [['payments.card_transactions', 5], ['payments.payouts', 2], ['payments.refunds', 2], ['payments.chargebacks', 1], ['finance.ledger_entries', 1]],
        actions: READ(80, [['EXPORT', 20]]), apps: ['recon-tool', 'excel-odbc'],
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
        actions: READ(85, [['EXPORT', 15]]), apps: ['DBeaver', 'jupyter', 'tableau'], projects: true,
      },
      {
        role: 'data_scientist', share: 0.3, medianDailyBytes: 800 * MB, daySigma: 0.7, eventsPerDay: 35,
        tables: [['analytics.churn_features', 4], ['analytics.events_daily', 3], ['analytics.web_sessions', 3], ['analytics.customer_segments', 2], ['sales.orders', 2], ['payments.card_transactions', 1]],
        actions: READ(80, [['EXPORT', 10], ['COPY', 10]]), apps: ['jupyter', 'DBeaver'], projects: true,
      },
    ],
  },
  {
    name: 'Engineering',
    share: 0.22,
    locations: [['Berlin', 2], ['San Francisco', 2], ['Bangalore', 1]],
    roles: [
      {
        role: 'software_engineer', share: 0.8, medianDailyBytes: 30 * MB, daySigma: 0.7, eventsPerDay: 35, onCall: { share: 0.3, every: 6 },
        tables: [['eng.deployments', 3], ['eng.feature_flags', 3], ['eng.app_config', 3], ['eng.service_audit_log', 2], ['eng.incidents', 2], ['sales.products', 1], ['public.store_locations', 1], ['analytics.events_daily', 1]],
        actions: READ(85, [['UPDATE', 15]]), apps: ['psql', 'DBeaver', 'datagrip'], projects: true,
      },
      {
        role: 'sre', share: 0.2, medianDailyBytes: 120 * MB, daySigma: 0.7, eventsPerDay: 35, weekendRate: 0.08, onCall: { share: 1, every: 4 },
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
        role: 'data_engineer', share: 1, medianDailyBytes: 3 * GB, daySigma: 0.6, eventsPerDay: 40, onCall: { share: 0.5, every: 5 },
        tables: [['sales.orders', 3], ['sales.order_items', 3], ['analytics.events_daily', 3], ['analytics.web_sessions', 2], ['payments.card_transactions', 2], ['crm.customers', 1], ['finance.ledger_entries', 1]],
        actions: READ(70, [['COPY', 20], ['EXPORT', 10]]), apps: ['psql', 'spark', 'airflow-dev'], projects: true,
      },
    ],
  },
];

/** Project tables: what a data project reads on top of a person's usual tables. */
export const PROJECT_TABLES = ['analytics.events_daily', 'analytics.web_sessions', 'sales.order_items', 'analytics.marketing_campaigns', 'analytics.kpi_daily', 'sales.orders'];

export interface ServiceSpec {
  id: string;
  name: string;
  department: string;
  role: string;
  medianDailyBytes: number;
  tables: ReadonlyArray<[string, number]>;
  actions: ReadonlyArray<[string, number]>;
  app: string;
  /**
   * "pipeline": a job around the clock at a steady volume. "shared": one login that several people use
   * through a tool (a BI server, a support bot): office hours across time zones, as uneven as people.
   */
  kind: 'pipeline' | 'shared';
  daySigma: number;
}

/** Service accounts in the order they are added as the organisation grows (one per 125 people, at least 2). */
export const SERVICES: ReadonlyArray<ServiceSpec> = [
  { id: 'svc-etl-orders', name: 'ETL: orders to warehouse', department: 'Data Platform', role: 'etl', medianDailyBytes: 60 * GB, tables: [['sales.orders', 3], ['sales.order_items', 3], ['crm.customers', 1]], actions: [['COPY', 7], ['SELECT', 3]], app: 'airflow', kind: 'pipeline', daySigma: 0.08 },
  { id: 'svc-reporting', name: 'Scheduled reports', department: 'Data Platform', role: 'reporting', medianDailyBytes: 4 * GB, tables: [['analytics.kpi_daily', 2], ['sales.orders', 2], ['finance.ledger_entries', 1]], actions: [['SELECT', 1]], app: 'metabase-scheduler', kind: 'pipeline', daySigma: 0.08 },
  { id: 'svc-etl-payments', name: 'ETL: payments to warehouse', department: 'Data Platform', role: 'etl', medianDailyBytes: 25 * GB, tables: [['payments.card_transactions', 4], ['payments.refunds', 1], ['payments.payouts', 1]], actions: [['COPY', 7], ['SELECT', 3]], app: 'airflow', kind: 'pipeline', daySigma: 0.08 },
  { id: 'svc-search-indexer', name: 'Product search indexer', department: 'Data Platform', role: 'indexer', medianDailyBytes: 2 * GB, tables: [['sales.products', 3], ['public.store_locations', 1], ['sales.promotions', 1]], actions: [['SELECT', 1]], app: 'search-indexer', kind: 'pipeline', daySigma: 0.08 },
  { id: 'svc-etl-crm', name: 'ETL: CRM to warehouse', department: 'Data Platform', role: 'etl', medianDailyBytes: 15 * GB, tables: [['crm.customers', 2], ['crm.support_tickets', 2], ['crm.customer_contacts', 1]], actions: [['COPY', 7], ['SELECT', 3]], app: 'airflow', kind: 'pipeline', daySigma: 0.08 },
  { id: 'svc-ml-features', name: 'ML feature builder', department: 'Data Platform', role: 'feature_builder', medianDailyBytes: 8 * GB, tables: [['analytics.churn_features', 2], ['analytics.events_daily', 2]], actions: [['SELECT', 1]], app: 'spark', kind: 'pipeline', daySigma: 0.08 },
];

/** Shared logins, one per 250 people (at least one): used by people, so as uneven as people. */
export const SHARED_SERVICES: ReadonlyArray<ServiceSpec> = [
  { id: 'svc-bi-shared', name: 'BI server login shared by analysts', department: 'Analytics', role: 'shared_bi', medianDailyBytes: 1.5 * GB, tables: [['analytics.events_daily', 3], ['analytics.kpi_daily', 3], ['sales.orders', 2], ['analytics.customer_segments', 1]], actions: [['SELECT', 9], ['EXPORT', 1]], app: 'bi-server', kind: 'shared', daySigma: 0.55 },
  { id: 'svc-support-shared', name: 'Support macros login shared by the support team', department: 'Customer Support', role: 'shared_support', medianDailyBytes: 150 * MB, tables: [['crm.support_tickets', 3], ['crm.customers', 2], ['crm.ticket_comments', 2]], actions: [['SELECT', 9], ['UPDATE', 1]], app: 'support-macros', kind: 'shared', daySigma: 0.5 },
];
