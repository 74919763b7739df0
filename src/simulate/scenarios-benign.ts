// Benign look-alikes (expected "benign"): what an organisation does that a naive detector flags. One is
// injected (an approved migration, covered by the allowlist); the others label normal activity: a heavy
// analyst, pipelines and shared logins, a role whose job is moving card data, month and quarter ends,
// on-call weekends, the catch-up after leave, people who changed job, data projects ramping up.
import { dateString, isMonthEnd, isQuarterEnd, isWeekend, MS_PER_DAY } from '../calendar';
import { burst } from './burst';
import { isEtlService, isOnCall, weekendIndex, type Person } from './organisation';
import { stream } from './random';
import { GB } from './roles';
import type { Planner } from './scenarios';
import { table } from './tables';

export function planBenign(planner: Planner): void {
  const { seed, add, dayAt, fits, take, local, own, tag, plan, people, period } = planner;
  const inPeriod = (day: number) => day >= period.firstDay && day <= period.lastDay;
  const id = (p: Person) => p.directory.id;

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


  // Habits of single people, most specific first: days, then whole periods.
  for (const p of people) {
    if (p.onCall) {
      const seen = new Set<number>();
      for (let d = period.firstDay; d <= period.lastDay; d++) {
        if (!isWeekend(d) || !isOnCall(p, d) || seen.has(weekendIndex(d))) continue;
        const w = weekendIndex(d);
        seen.add(w);
        add('on_call_weekend', 'benign', (sid) => {
          tag((x, day) => x === p && isWeekend(day) && weekendIndex(day) === w, sid);
          return { description: 'a weekend on call: work on Saturday and Sunday, now and then a night incident', details: { user: id(p), weekend_of: dateString(d) }, injected: [], optional: true };
        });
      }
    }
    if (p.leave && p.leave.catchUpDays.some(inPeriod)) {
      const leave = p.leave;
      add('return_from_leave', 'benign', (sid) => {
        tag((x, day) => x === p && leave.catchUpDays.includes(day), sid);
        return { description: 'the first working days back from leave: catching up at about twice the usual volume', details: { user: id(p), leave_from: dateString(leave.from), leave_to: dateString(leave.to) }, injected: [], optional: true };
      });
    }
  }
  for (const p of people) {
    const previous = p.previous;
    if (previous && inPeriod(previous.untilDay)) {
      add('role_change', 'benign', (sid) => {
        tag((x, day) => x === p && day >= previous.untilDay, sid);
        return {
          description: 'a person who changed team or role: the directory shows the new job, their history the old one',
          details: { user: id(p), changed_on: dateString(previous.untilDay), from: `${previous.department}/${previous.role}`, to: `${p.directory.department}/${p.directory.role}` },
          injected: [],
          optional: true,
        };
      });
    }
    const project = p.project;
    if (project && inPeriod(project.start)) {
      add('project_ramp_up', 'benign', (sid) => {
        tag((x, day) => x === p && day >= project.start, sid);
        return {
          description: 'a data project: the volume ramps up over about two weeks to a few times the usual, and stays there',
          details: { user: id(p), start: dateString(project.start), ramp_days: project.rampDays, factor: Number(project.factor.toFixed(2)), tables: project.tables.map((t) => `${t.table.database}.${t.table.table}`) },
          injected: [],
          optional: true,
        };
      });
    }
  }

  add('heavy_analyst', 'benign', (sid) => {
    const p = take(['data_analyst', 'data_scientist']);
    if (!p) return 'no suitable employee';
    const rng = stream(seed, sid);
    p.medianDailyBytes = 5 * GB * rng.logNormal(1, 0.1);
    p.daySigma = 0.25;
    p.absentRate = 0.02;
    tag((x) => x === p, sid);
    return {
      description: 'an analyst who downloads gigabytes every working day, far above the role, consistently',
      details: { user: id(p), normal_daily_bytes: Math.round(p.medianDailyBytes) },
      injected: [],
    };
  });

  for (const svc of people.filter(isEtlService)) {
    add('etl_service', 'benign', (sid) => {
      tag((x) => x === svc, sid);
      return { description: 'an ETL service account moving tens of GB, steadily, around the clock', details: { user: id(svc), normal_daily_bytes: Math.round(svc.medianDailyBytes) }, injected: [] };
    });
  }
  for (const svc of people.filter((p) => p.kind === 'shared')) {
    add('shared_service_account', 'benign', (sid) => {
      tag((x) => x === svc, sid);
      return { description: 'one login shared by several people through a tool: office hours of several time zones, as uneven as people', details: { user: id(svc), normal_daily_bytes: Math.round(svc.medianDailyBytes) }, injected: [] };
    });
  }

  // Whole departments and roles, last.
  const payments = people.filter((p) => p.directory.department === 'Payments');
  if (payments.length > 0) {
    add('routine_sensitive_role', 'benign', (sid) => {
      tag((x) => x.directory.department === 'Payments', sid);
      return {
        description: 'reconciliation analysts move gigabytes of card data every day: their job exceeds a flat limit on sensitive tables',
        department: 'Payments',
        details: { role: 'reconciliation_analyst', people: payments.length },
        injected: [],
      };
    });
  }
  const closes = new Map<string, string>();
  for (let d = period.firstDay; d <= period.lastDay; d++) {
    if (!isMonthEnd(d)) continue;
    const quarter = isQuarterEnd(d);
    const month = dateString(d).slice(0, 7);
    for (const department of ['Finance', 'Sales']) {
      const members = people.filter((p) => p.directory.department === department && (quarter ? p.quarterEndFactor : p.monthEndFactor) !== 1);
      const key = `${department}|${month}`;
      if (members.length === 0 || closes.has(key)) continue;
      add(quarter ? 'department_quarter_end' : 'department_month_end', 'benign', (sid) => {
        closes.set(key, sid);
        tag((x, day) => members.includes(x) && isMonthEnd(day) && dateString(day).slice(0, 7) === month, sid);
        return {
          description: quarter
            ? `${department} closes the quarter: ${department === 'Finance' ? 'the whole department moves about 6x' : 'sales operations moves about 3x'} its normal volume on the last working days of the quarter`
            : `${department} closes the books: the whole department moves about 4x its normal volume on the last working days of the month`,
          department,
          details: { month },
          injected: [],
        };
      });
    }
  }
}
