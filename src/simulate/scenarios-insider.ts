// The insider scenarios (expected "malicious"): the 2010 case of a 20 GB export and its relatives, and
// subtler ones that sit just under fixed thresholds (a 7.5x day, a 1.9x drip for three weeks, 5.5x on
// notice, 3.5x and under 500 MB at night, a 10x export by someone whose normal day is already gigabytes, first access to
// sensitive tables spread over days). Actors are typical of their role in how much they vary; the subtle
// scenarios are done by people with a steady routine (own spread at most 0.8x their role's), for whom
// such a change is unusual in their own terms (Planner.take).
import { addWeekdays, dateString, nextWeekday } from '../calendar';
import { event } from './activity';
import { burst } from './burst';
import type { SimEvent } from './event';
import { stream } from './random';
import { DEPARTMENTS, GB } from './roles';
import type { Person } from './organisation';
import type { Planner } from './scenarios';
import { SENSITIVE_TABLES, table } from './tables';

/** The usual day's tables of a person (by name). */
const tablesOf = (p: { tables: ReadonlyArray<{ table: { database: string; table: string } }> }) => p.tables.map((t) => table(`${t.table.database}.${t.table.table}`));

export function planInsiders(planner: Planner): void {
  const { seed, add, dayAt, fits, take, local, own } = planner;

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
      apply: () => serveNotice(p, notice, 30),
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


  add('bulk_export_heavy', 'malicious', (id) => {
    const day = dayAt('bulk_export_heavy');
    const problem = fits(day);
    const p = problem ? undefined : take(['data_engineer', 'data_scientist']);
    if (problem || !p) return problem ?? 'no suitable employee';
    const r = stream(seed, id);
    const from = local(p, day, 13 + r.int(0, 60) / 60);
    const injected = burst(own(r, p, id), {
      from,
      hours: (100 + r.int(0, 30)) / 60,
      bytes: 10 * p.medianDailyBytes * r.logNormal(1, 0.05),
      count: 50,
      tables: [table('sales.orders'), table('analytics.events_daily')],
      actions: [['EXPORT', 1]],
      sigma: 0.15,
      app: 'psql',
    });
    return {
      description: 'an export of about 10x the normal day (internal tables) over about two hours, by someone whose normal day is already large',
      details: { normal_daily_bytes: Math.round(p.medianDailyBytes), multiple: 10, bulk: 'yes' },
      injected,
    };
  });

  add('spike_subtle', 'malicious', (id) => {
    const day = dayAt('spike_subtle');
    const problem = fits(day);
    const p = problem ? undefined : take(['data_analyst', 'marketing_analyst', 'sales_ops', 'software_engineer'], { steady: true });
    if (problem || !p) return problem ?? 'no suitable employee';
    const r = stream(seed, id);
    const injected = burst(own(r, p, id), {
      from: local(p, day, p.startHour + 1),
      hours: p.workHours - 2,
      bytes: 6.5 * p.medianDailyBytes * r.logNormal(1, 0.05),
      count: r.int(15, 25),
      tables: [...tablesOf(p), table('crm.customers')],
      actions: [['SELECT', 3], ['EXPORT', 1]],
      sigma: 0.5,
    });
    return {
      description: 'one working day at about 7.5x the normal daily volume, just under an 8x rule, by a person with a steady routine',
      details: { normal_daily_bytes: Math.round(p.medianDailyBytes), multiple: 7.5, day: dateString(day), day_sigma: Number(p.daySigma.toFixed(2)) },
      injected,
    };
  });

  add('slow_drip_subtle', 'malicious', (id) => {
    const first = dayAt('slow_drip_subtle');
    const last = addWeekdays(first, 14);
    const problem = fits(first) ?? fits(last);
    const p = problem ? undefined : take(['marketing_analyst', 'data_analyst', 'support_lead', 'sales_ops'], { steady: true });
    if (problem || !p) return problem ?? 'no suitable employee';
    const r = stream(seed, id);
    const injected: SimEvent[] = [];
    const days: string[] = [];
    for (let d = first; d <= last; d = nextWeekday(d + 1)) {
      days.push(dateString(d));
      const bytes = 0.9 * p.medianDailyBytes * r.logNormal(1, 0.15);
      injected.push(...burst(own(r, p, id), { from: local(p, d, p.startHour + 1), hours: p.workHours - 2, bytes, count: r.int(4, 8), tables: [table('crm.customers'), ...tablesOf(p)], actions: [['SELECT', 3], ['EXPORT', 1]], sigma: 0.4 }));
    }
    return {
      description: 'about 1.9x the normal daily volume every working day for three weeks (just under a "2x on 8 of 10 days" rule), partly from the customer table',
      details: { normal_daily_bytes: Math.round(p.medianDailyBytes), multiple: 1.9, days, day_sigma: Number(p.daySigma.toFixed(2)) },
      injected,
    };
  });

  add('departing_subtle', 'malicious', (id) => {
    const notice = dayAt('departing_subtle_notice');
    const day = addWeekdays(notice, 6);
    const problem = fits(day);
    const p = problem ? undefined : take(['support_lead', 'sales_ops', 'marketing_analyst', 'data_analyst'], { steady: true });
    if (problem || !p) return problem ?? 'no suitable employee';
    const r = stream(seed, id);
    const injected = burst(own(r, p, id), {
      from: local(p, day, p.startHour + 3 + r.float()),
      hours: 4,
      bytes: 4.5 * p.medianDailyBytes * r.logNormal(1, 0.1),
      count: 15,
      tables: [table('crm.customers'), ...tablesOf(p)],
      actions: [['EXPORT', 1], ['SELECT', 2]],
      sigma: 0.5,
    });
    return {
      description: 'a person serving notice takes about 5.5x their normal day, just under a 6x rule for people leaving',
      details: { notice_date: dateString(notice), end_date: dateString(notice + 28), normal_daily_bytes: Math.round(p.medianDailyBytes), multiple: 5.5 },
      injected,
      apply: () => serveNotice(p, notice, 28),
    };
  });

  add('off_hours_subtle', 'malicious', (id) => {
    const day = dayAt('off_hours_subtle');
    const problem = fits(day);
    const p = problem ? undefined : take(['data_analyst', 'marketing_analyst', 'software_engineer'], { steady: true });
    if (problem || !p) return problem ?? 'no suitable employee';
    const r = stream(seed, id);
    const injected = burst(own(r, p, id), {
      from: local(p, day, 23 + r.int(0, 30) / 60),
      hours: 1 + r.float() / 2,
      bytes: 3.5 * p.medianDailyBytes * r.logNormal(1, 0.1),
      count: 12,
      tables: tablesOf(p),
      actions: [['EXPORT', 1], ['SELECT', 1]],
      sigma: 0.3,
    });
    return {
      description: 'about 3.5x the normal day pulled from the usual tables around midnight local time, under a "5x and 500 MB at night" rule',
      details: { normal_daily_bytes: Math.round(p.medianDailyBytes), multiple: 3.5, timezone: p.directory.timezone },
      injected,
    };
  });

  add('first_access_spread', 'malicious', (id) => {
    const first = dayAt('first_access_spread');
    const problem = fits(first) ?? fits(addWeekdays(first, 2));
    const p = problem ? undefined : take(['data_analyst', 'marketing_analyst', 'sales_ops', 'support_lead']);
    if (problem || !p) return problem ?? 'no suitable employee';
    const r = stream(seed, id);
    // Tables that neither the person nor anyone of their role normally reads.
    const roleTables = new Set(DEPARTMENTS.flatMap((d) => d.roles).find((x) => x.role === p.directory.role)!.tables.map(([t]) => t));
    const targets = r.shuffle(SENSITIVE_TABLES.filter((t) => !roleTables.has(`${t.database}.${t.table}`))).slice(0, 6);
    const o = own(r, p, id);
    const injected: SimEvent[] = [];
    for (let i = 0; i < 3; i++) {
      const d = addWeekdays(first, i);
      const from = local(p, d, p.startHour + 2 + 3 * r.float());
      targets.slice(2 * i, 2 * i + 2).forEach((t, j) =>
        injected.push(...burst(o, { from: from + j * 20 * 60_000, hours: 10 / 60, bytes: r.int(3, 20) * 1_000_000, count: r.int(1, 3), tables: [t], actions: [['SELECT', 1]], sigma: 0.3 })),
      );
    }
    return {
      description: 'first access to six sensitive tables outside the role, two a day on three working days (under a "3 in one day" rule)',
      details: { tables: targets.map((t) => `${t.database}.${t.table}`), normal_daily_bytes: Math.round(p.medianDailyBytes) },
      injected,
    };
  });
}

/** The person gave notice on `notice` and leaves `days` later: so says the directory. */
function serveNotice(p: Person, notice: number, days: number): void {
  p.noticeDay = notice;
  p.endDay = notice + days;
  p.directory.notice_date = dateString(notice);
  p.directory.end_date = dateString(p.endDay);
}
