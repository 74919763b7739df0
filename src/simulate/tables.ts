// The simulated company's databases: which tables exist, on which server, how sensitive they are, and
// how wide a row is (bytes / row width = rows). Sensitivity: pii (personal data), payment (cards,
// transactions), internal, public. Written to tables.csv so a detector can tag tables the same way.
import { SimulationError } from '../errors';

export type Sensitivity = 'pii' | 'payment' | 'internal' | 'public';

export interface TableInfo {
  database: string;
  table: string;
  sensitivity: Sensitivity;
  /** Average bytes per returned row. */
  rowBytes: number;
  /** The server that logs access to it (the event's `source`). */
  source: string;
}

const t = (database: string, table: string, sensitivity: Sensitivity, rowBytes: number, source: string): TableInfo => ({
  database,
  table,
  sensitivity,
  rowBytes,
  source,
});

export const TABLES: ReadonlyArray<TableInfo> = [
  t('crm', 'customers', 'pii', 620, 'pg-crm-1'),
  t('crm', 'customer_addresses', 'pii', 240, 'pg-crm-1'),
  t('crm', 'customer_contacts', 'pii', 180, 'pg-crm-1'),
  t('crm', 'support_tickets', 'internal', 900, 'pg-crm-1'),
  t('crm', 'ticket_comments', 'internal', 1400, 'pg-crm-1'),
  t('crm', 'loyalty_accounts', 'pii', 160, 'pg-crm-1'),
  t('payments', 'card_transactions', 'payment', 320, 'pg-payments-1'),
  t('payments', 'payment_methods', 'payment', 210, 'pg-payments-1'),
  t('payments', 'refunds', 'payment', 260, 'pg-payments-1'),
  t('payments', 'chargebacks', 'payment', 380, 'pg-payments-1'),
  t('payments', 'payouts', 'payment', 240, 'pg-payments-1'),
  t('sales', 'orders', 'internal', 410, 'pg-sales-1'),
  t('sales', 'order_items', 'internal', 150, 'pg-sales-1'),
  t('sales', 'products', 'public', 1200, 'pg-sales-1'),
  t('sales', 'price_lists', 'internal', 90, 'pg-sales-1'),
  t('sales', 'promotions', 'public', 300, 'pg-sales-1'),
  t('sales', 'leads', 'pii', 350, 'pg-sales-1'),
  t('hr', 'employees', 'pii', 700, 'mysql-hr-1'),
  t('hr', 'salaries', 'pii', 120, 'mysql-hr-1'),
  t('hr', 'performance_reviews', 'pii', 2400, 'mysql-hr-1'),
  t('hr', 'org_units', 'internal', 200, 'mysql-hr-1'),
  t('finance', 'ledger_entries', 'internal', 180, 'pg-finance-1'),
  t('finance', 'invoices', 'pii', 520, 'pg-finance-1'),
  t('finance', 'budgets', 'internal', 140, 'pg-finance-1'),
  t('finance', 'gl_accounts', 'internal', 110, 'pg-finance-1'),
  t('finance', 'vendor_bank_accounts', 'payment', 230, 'pg-finance-1'),
  t('analytics', 'events_daily', 'internal', 260, 'dwh-1'),
  t('analytics', 'web_sessions', 'internal', 330, 'dwh-1'),
  t('analytics', 'customer_segments', 'pii', 190, 'dwh-1'),
  t('analytics', 'marketing_campaigns', 'internal', 450, 'dwh-1'),
  t('analytics', 'kpi_daily', 'internal', 120, 'dwh-1'),
  t('analytics', 'churn_features', 'pii', 800, 'dwh-1'),
  t('eng', 'deployments', 'internal', 300, 'pg-platform-1'),
  t('eng', 'feature_flags', 'internal', 150, 'pg-platform-1'),
  t('eng', 'app_config', 'internal', 500, 'pg-platform-1'),
  t('eng', 'service_audit_log', 'internal', 420, 'pg-platform-1'),
  t('eng', 'incidents', 'internal', 1100, 'pg-platform-1'),
  t('public', 'store_locations', 'public', 260, 'pg-sales-1'),
];

const byName = new Map(TABLES.map((x) => [`${x.database}.${x.table}`, x]));

/** A table by "database.table"; throws for a name that is not in the catalogue (a bug in the simulator). */
export function table(name: string): TableInfo {
  const found = byName.get(name);
  if (!found) throw new SimulationError(`unknown simulated table ${name}`);
  return found;
}

export function isSensitive(x: TableInfo): boolean {
  return x.sensitivity === 'pii' || x.sensitivity === 'payment';
}

export const SENSITIVE_TABLES: ReadonlyArray<TableInfo> = TABLES.filter(isSensitive);
