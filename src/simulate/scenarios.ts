// Labelled scenarios: insider behaviour injected into the normal activity (expected "malicious") and
// benign look-alikes that a naive detector would flag (expected "benign"). Each malicious scenario
// starts after at least three weeks of normal history for its actor, except the new hire, who has
// none by definition. The labels file is built from the emitted events, so it matches them exactly.
import { addWeekdays, dateString, isMonthEnd, localMidnightUtc, MS_PER_DAY, MS_PER_HOUR, nextWeekday } from '../calendar';
import { event } from './activity';
import type { SimEvent } from './event';
import { GB, isEtlService, type Person } from './organisation';
import { stream, type Random } from './random';
import { SENSITIVE_TABLES, table, type TableInfo } from './tables';

export type Expected = 'malicious' | 'benign';

export type ScenarioKind =
  | 'bulk_export'
  | 'single_day_spike'
  | 'slow_drip'
  | 'departing_spike'
  | 'off_hours_export'
  | 'sensitive_first_access'
  | 'new_hire_export'
  | 'department_month_end'
  | 'heavy_analyst'
  | 'etl_service'
  | 'allowlisted_migration';

export interface ScenarioPlan {
  id: string;
  kind: ScenarioKind;
  expected: Expected;
  description: string;
  /** For a department-wide scenario. */
  department?: string;
  /** Numbers a reader may want to check the scenario against (the actor's normal volume, local times...). */
  details: Record<string, string | number | string[]>;
  /** Events added by the scenario; look-alikes made of normal activity have none (they label it instead). */
  injected: SimEvent[];
}

export interface AllowlistEntry {
  user: string;
  reason: string;
  from: string;
  until: string;
  tables?: string[];
}

export interface Plan {
  /** The organisation as the scenarios need it (a new hire, a person on notice, a heavy analyst). */
  people: Person[];
  scenarios: ScenarioPlan[];
  skipped: Array<{ kind: ScenarioKind; reason: string }>;
  allowlist: AllowlistEntry[];
  /** The scenario that a person's normal activity on a local day belongs to, if any. */
  tagFor(p: Person, day: number): string | undefined;
}

export interface Period {
  start: number;
  end: number;
  /** Local days that the period touches, first and last. */
  firstDay: number;
  lastDay: number;
}

/** Days of normal history that volume-against-self needs before a scenario (three weeks). */
export const MIN_HISTORY_DAYS = 21;
// Where each scenario falls in a 45-day period; longer periods stretch the schedule proportionally.
const SCHEDULE: Record<string, number> = {
  slow_drip: 22,
  single_day_spike: 24,
  off_hours_export: 28,
  departing_notice: 29,
  sensitive_first_access: 31,
  new_hire: 33,
  allowlisted_migration: 36,
  bulk_export: 39,
};

export function planScenarios(seed: number, organisation: Person[], period: Period, enabled = true): Plan {
  // Scenario actors are changed (hire date, notice, volume): work on copies.
  const people = organisation.map((p) => ({ ...p, directory: { ...p.directory } }));
  const plan: Plan = { people, scenarios: [], skipped: [], allowlist: [], tagFor: () => undefined };
  if (!enabled) return plan;

  const rng = stream(seed, 'scenarios');
  const firstFullDay = Math.ceil(period.start / MS_PER_DAY);
  const stretch = Math.max(1, (period.lastDay - period.firstDay) / 45);
  const dayAt = (key: string) => nextWeekday(firstFullDay + Math.round(SCHEDULE[key] * stretch));
  const used = new Set<string>();
  // Malicious actors: tenured people outside finance (whose month-end is its own labelled scenario).
  const tenured = (p: Person) =>
    p.directory.account_type === 'human' && p.hireDay <= period.firstDay - 60 && p.noticeDay === undefined && p.directory.department !== 'Finance';
  const take = (roles: string[]): Person | undefined => {
    for (const role of roles) {
      const candidates = people.filter((p) => tenured(p) && p.directory.role === role && !used.has(p.directory.id));
      if (candidates.length > 0) {
        const chosen = rng.pick(candidates);
        used.add(chosen.directory.id);
        return chosen;
      }
    }
    return undefined;
  };
  const tags = new Map<string, string>();
  let n = 0;
  // `build` returns the scenario, or why it cannot take place; `apply` changes the organisation (a notice
  // date, a hire date, an allowlist entry) only once the scenario is accepted.
  type Built = Omit<ScenarioPlan, 'id' | 'kind' | 'expected'> & { apply?: () => void };
  const add = (kind: ScenarioKind, expected: Expected, build: (id: string) => Built | string) => {
    const id = `${kind}-${String(++n).padStart(2, '0')}`;
    const built = build(id);
    if (typeof built === 'string') {
      plan.skipped.push({ kind, reason: built });
      return;
    }
    const outside = built.injected.find((e) => e.at < period.start || e.at >= period.end);
    if (outside) {
      plan.skipped.push({ kind, reason: `it would fall outside the period (${new Date(outside.at).toISOString()}); simulate more days` });
      return;
    }
    const { apply, ...scenario } = built;
    apply?.();
    plan.scenarios.push({ id, kind, expected, ...scenario });
  };
  const fits = (day: number, history = MIN_HISTORY_DAYS) => {
    if (day - firstFullDay < history) return `needs ${history} days of history before it; simulate more days`;
    if (day >= Math.floor(period.end / MS_PER_DAY)) return 'the period ends before it; simulate more days';
    return undefined;
  };
  const local = (p: Person, day: number, hour: number) => localMidnightUtc(day, p.directory.timezone) + hour * MS_PER_HOUR;
  const own = (r: Random, p: Person, scenario: string) => ({ scenario, rng: r, p, session: r.hex(16) });

  add('slow_drip', 'malicious', (id) => {
    const first = dayAt('slow_drip');
    const problem = fits(first) ?? fits(first + 13);
    const p = problem ? undefined : take(['sales_ops', 'support_lead', 'marketing_analyst', 'data_analyst']);
    if (problem || !p) return problem ?? 'no suitable employee';
    const r = stream(seed, id);
    const injected: SimEvent[] = [];
    const days: string[] = [];
    for (let d = first; d < first + 14; d = nextWeekday(d + 1)) {
      days.push(dateString(d));
      const o = own(r, p, id);
      const bytes = 2 * p.medianDailyBytes * r.logNormal(1, 0.15);
      const uses = [table('crm.customers'), ...p.tables.map((t) => t.table)];
      injected.push(...burst(o, { from: local(p, d, p.startHour + 1), hours: p.workHours - 2, bytes, count: r.int(6, 10), tables: uses, actions: [['SELECT', 3], ['EXPORT', 1]], sigma: 0.4 }));
    }
    return {
      description: 'about 3x the normal daily volume, every working day for two weeks, partly from the customer table',
      details: { normal_daily_bytes: Math.round(p.medianDailyBytes), multiple: 3, days },
      injected,
    };
  });

  add('single_day_spike', 'malicious', (id) => {
    const day = dayAt('single_day_spike');
    const problem = fits(day);
    const p = problem ? undefined : take(['marketing_analyst', 'sre', 'data_scientist', 'support_lead']);
    if (problem || !p) return problem ?? 'no suitable employee';
    const r = stream(seed, id);
    const bytes = 9 * p.medianDailyBytes * r.logNormal(1, 0.05);
    const injected = burst(own(r, p, id), {
      from: local(p, day, p.startHour + 0.5),
      hours: p.workHours - 1,
      bytes,
      count: r.int(20, 30),
      tables: p.tables.map((t) => t.table),
      actions: [['SELECT', 3], ['EXPORT', 2]],
      sigma: 0.6,
    });
    return {
      description: 'one working day at about 10x the normal daily volume (the usual day plus 9x of extra queries)',
      details: { normal_daily_bytes: Math.round(p.medianDailyBytes), multiple: 10, day: dateString(day) },
      injected,
    };
  });

  add('off_hours_export', 'malicious', (id) => {
    const day = dayAt('off_hours_export');
    const problem = fits(day);
    const p = problem ? undefined : take(['software_engineer', 'sre', 'data_analyst']);
    if (problem || !p) return problem ?? 'no suitable employee';
    const r = stream(seed, id);
    const minute = r.int(0, 20);
    const startHour = 3 + minute / 60;
    const injected = burst(own(r, p, id), {
      from: local(p, day, startHour),
      hours: (25 + r.int(0, 15)) / 60,
      bytes: 1.5 * GB * r.logNormal(1, 0.1),
      count: 20,
      tables: [table('payments.card_transactions'), table('crm.customers')],
      actions: [['EXPORT', 1]],
      sigma: 0.2,
      app: 'psql',
      clientIp: `10.200.${r.int(0, 255)}.${r.int(2, 254)}`,
    });
    return {
      description: 'an export of card transactions and customers at about 3 a.m. local time, over the VPN',
      details: { local_start: `${dateString(day)} 03:${String(minute).padStart(2, '0')}`, timezone: p.directory.timezone, normal_daily_bytes: Math.round(p.medianDailyBytes) },
      injected,
    };
  });

  add('departing_spike', 'malicious', (id) => {
    const notice = dayAt('departing_notice');
    const day = addWeekdays(notice, 4);
    const problem = fits(day);
    const p = problem ? undefined : take(['sales_ops', 'sales_rep', 'marketing_analyst', 'support_lead']);
    if (problem || !p) return problem ?? 'no suitable employee';
    const r = stream(seed, id);
    const injected = burst(own(r, p, id), {
      from: local(p, day, 14 + r.float()),
      hours: 3,
      bytes: 20 * p.medianDailyBytes * r.logNormal(1, 0.1),
      count: 25,
      tables: [table('crm.customers'), table('sales.leads'), table('sales.orders')],
      actions: [['EXPORT', 2], ['SELECT', 1]],
      sigma: 0.5,
    });
    return {
      description: 'a person serving notice exports about 20x their normal daily volume of customer and lead data',
      details: { notice_date: dateString(notice), end_date: dateString(notice + 30), normal_daily_bytes: Math.round(p.medianDailyBytes), multiple: 20 },
      injected,
      apply: () => {
        p.noticeDay = notice;
        p.endDay = notice + 30;
        p.directory.notice_date = dateString(notice);
        p.directory.end_date = dateString(p.endDay);
      },
    };
  });

  add('sensitive_first_access', 'malicious', (id) => {
    const day = dayAt('sensitive_first_access');
    const problem = fits(day);
    const p = problem ? undefined : take(['software_engineer', 'sre']);
    if (problem || !p) return problem ?? 'no suitable employee';
    const r = stream(seed, id);
    const usual = new Set(p.tables.map((t) => t.table));
    const targets = r.shuffle(SENSITIVE_TABLES.filter((t) => !usual.has(t))).slice(0, 12);
    const o = own(r, p, id);
    const from = local(p, day, p.startHour + 2);
    const injected = targets.flatMap((t, i) =>
      burst(o, { from: from + i * 10 * 60_000, hours: 8 / 60, bytes: r.int(2, 10) * 1_000_000, count: r.int(1, 3), tables: [t], actions: [['SELECT', 1]], sigma: 0.3 }),
    );
    return {
      description: 'first-ever access to 12 sensitive (pii, payment) tables in one afternoon, at a modest volume',
      details: { tables: targets.map((t) => `${t.database}.${t.table}`), normal_daily_bytes: Math.round(p.medianDailyBytes) },
      injected,
    };
  });

  add('new_hire_export', 'malicious', (id) => {
    const hire = dayAt('new_hire');
    const day = addWeekdays(hire, 3);
    const problem = fits(day, 0);
    const p = problem ? undefined : take(['support_agent', 'sales_rep']);
    if (problem || !p) return problem ?? 'no suitable employee';
    const r = stream(seed, id);
    const injected = burst(own(r, p, id), {
      from: local(p, day, 15 + r.float()),
      hours: 1,
      bytes: 2.5 * GB * r.logNormal(1, 0.1),
      count: 30,
      tables: [table('crm.customers'), table('crm.customer_contacts')],
      actions: [['EXPORT', 1]],
      sigma: 0.2,
    });
    return {
      description: 'a new hire exports about 2.5 GB of customer data in their first week',
      details: { hire_date: dateString(hire), day: dateString(day) },
      injected,
      apply: () => {
        p.hireDay = hire;
        p.directory.hire_date = dateString(hire);
      },
    };
  });

  add('allowlisted_migration', 'benign', (id) => {
    const day = dayAt('allowlisted_migration');
    const problem = fits(day);
    const p = problem ? undefined : take(['data_engineer', 'sre']);
    if (problem || !p) return problem ?? 'no suitable employee';
    const r = stream(seed, id);
    const tables = [table('sales.orders'), table('sales.order_items')];
    const injected = burst(own(r, p, id), {
      from: local(p, day, 10),
      hours: 3,
      bytes: 30 * GB * r.logNormal(1, 0.05),
      count: 90,
      tables,
      actions: [['DUMP', 1]],
      sigma: 0.15,
      app: 'pg_dump',
    });
    const ticket = `CHG-${r.int(1000, 9999)}`;
    return {
      description: 'a 30 GB dump of the orders tables by an engineer, covered by an allowlist entry with an expiry',
      details: { ticket, normal_daily_bytes: Math.round(p.medianDailyBytes) },
      injected,
      apply: () =>
        plan.allowlist.push({
          user: p.directory.id,
          reason: `${ticket}: one-off migration of the orders database to the new cluster`,
          from: new Date((day - 1) * MS_PER_DAY).toISOString(),
          until: new Date((day + 2) * MS_PER_DAY).toISOString(),
          tables: tables.map((t) => `${t.database}.${t.table}`),
        }),
    };
  });

  add('bulk_export', 'malicious', (id) => {
    const day = dayAt('bulk_export');
    const problem = fits(day);
    const p = problem ? undefined : take(['data_analyst', 'support_lead', 'sales_ops']);
    if (problem || !p) return problem ?? 'no suitable employee';
    const r = stream(seed, id);
    const o = own(r, p, id);
    const from = local(p, day, 14 + r.int(0, 45) / 60);
    const customers = table('crm.customers');
    // The first attempt fails (a statement timeout), then the export runs in chunks for two hours.
    const failed = event(r, p, { at: from - r.int(60_000, 120_000), action: 'EXPORT', use: { table: customers, weight: 1 }, bytes: 0, rows: 0, session: o.session, app: 'DBeaver', scenario: id, failed: true });
    const chunks = burst(o, { from, hours: (115 + r.int(0, 10)) / 60, bytes: 20 * GB * r.logNormal(1, 0.03), count: 60, tables: [customers], actions: [['EXPORT', 1]], sigma: 0.15, app: 'DBeaver' });
    return {
      description: 'about 20 GB of customer records (pii) exported over about two hours: the 2010 case',
      details: { table: 'crm.customers', normal_daily_bytes: Math.round(p.medianDailyBytes) },
      injected: [failed, ...chunks],
    };
  });

  // Benign look-alikes made of normal activity: labelled, not injected.
  add('heavy_analyst', 'benign', (id) => {
    const p = take(['data_analyst', 'data_scientist']);
    if (!p) return 'no suitable employee';
    p.medianDailyBytes = 5 * GB * rng.logNormal(1, 0.1);
    p.daySigma = 0.25;
    p.absentRate = 0.02;
    tags.set(p.directory.id, id);
    return {
      description: 'an analyst who downloads gigabytes every working day, far above the role, consistently',
      details: { user: p.directory.id, normal_daily_bytes: Math.round(p.medianDailyBytes) },
      injected: [],
    };
  });

  for (const svc of people.filter(isEtlService)) {
    add('etl_service', 'benign', (id) => {
      tags.set(svc.directory.id, id);
      return {
        description: 'an ETL service account moving tens of GB, steadily, around the clock',
        details: { user: svc.directory.id, normal_daily_bytes: Math.round(svc.medianDailyBytes) },
        injected: [],
      };
    });
  }

  const monthEnds = new Map<string, string>();
  for (let d = period.firstDay; d <= period.lastDay; d++) {
    const month = dateString(d).slice(0, 7);
    if (!isMonthEnd(d) || monthEnds.has(month)) continue;
    add('department_month_end', 'benign', (id) => {
      monthEnds.set(month, id);
      return {
        description: 'Finance closes the books: the whole department moves about 4x its normal volume on the last working days of the month',
        department: 'Finance',
        details: { month },
        injected: [],
      };
    });
  }

  plan.tagFor = (p, day) => {
    const tag = tags.get(p.directory.id);
    if (tag) return tag;
    if (p.monthEndFactor !== 1 && isMonthEnd(day)) return monthEnds.get(dateString(day).slice(0, 7));
    return undefined;
  };
  return plan;
}

interface Burst {
  from: number;
  hours: number;
  bytes: number;
  count: number;
  tables: TableInfo[];
  actions: ReadonlyArray<[string, number]>;
  /** Spread of chunk sizes (log-normal sigma). */
  sigma: number;
  app?: string;
  clientIp?: string;
}

/** `count` events evenly spread (with jitter) over `hours` from `from`, moving `bytes` in total. */
function burst(o: { scenario: string; rng: Random; p: Person; session: string }, b: Burst): SimEvent[] {
  const { rng, p } = o;
  const weights = Array.from({ length: b.count }, () => Math.exp(b.sigma * rng.normal()));
  const sum = weights.reduce((s, w) => s + w, 0);
  const span = b.hours * MS_PER_HOUR;
  return weights.map((w, i) => {
    const t = b.tables.length === 1 ? b.tables[0] : rng.pick(b.tables);
    const bytes = Math.floor((b.bytes * w) / sum);
    return event(rng, p, {
      at: Math.floor(b.from + ((i + rng.float()) / b.count) * span),
      action: rng.weighted(b.actions, (a) => a[1])[0],
      use: { table: t, weight: 1 },
      bytes,
      rows: Math.round(bytes / t.rowBytes),
      session: o.session,
      app: b.app ?? rng.pick(p.apps),
      clientIp: b.clientIp,
      scenario: o.scenario,
      // Injected volume must arrive as stated: no random failures inside a scenario.
      failed: false,
    });
  });
}
