// The workload simulator: events follow the contract, volumes look like what the organisation claims
// (roles orders of magnitude apart, heavy tails, quiet weekends, steady service accounts), the labels
// match the injected events exactly, and a seed always gives the same bytes.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { quantileSorted } from 'simple-statistics';
import { SERVICES } from '../../src/simulate/roles';
import {
  createSimulation,
  dayOf,
  isMonthEnd,
  isWeekend,
  localDayOf,
  localHour,
  MIN_HISTORY_DAYS,
  MS_PER_DAY,
  MS_PER_HOUR,
  OUTPUT_FILES,
  TABLES,
  toJsonLine,
  writeSimulation,
  type Labels,
  type ScenarioLabel,
  type SimEvent,
  type SimulationOptions,
} from '../../src/simulate';

const END = Date.UTC(2026, 2, 2, 9); // 2026-03-02T09:00Z: the period holds the January and February month ends
const OPTIONS: SimulationOptions = { seed: 11, employees: 150, days: 45, end: END };
const GB = 1e9;
const CONTRACT_FIELDS = ['event_id', 'ts', 'user', 'action', 'bytes', 'rows', 'source', 'database', 'table', 'client_ip', 'client_app', 'session_id', 'query_id', 'status'];

const median = (xs: number[]) => quantile(xs, 0.5);
function quantile(xs: number[], p: number): number {
  return quantileSorted([...xs].sort((a, b) => a - b), p);
}

describe('simulate', () => {
  const sim = createSimulation(OPTIONS);
  const events: SimEvent[] = [];
  let labels: Labels;
  const people = new Map(sim.directory.map((d) => [d.id, d]));
  const tz = (user: string) => people.get(user)!.timezone;
  const scenarioUsers = new Set<string>();
  const byKind = (kind: string): ScenarioLabel => {
    const found = labels.scenarios.find((s) => s.kind === kind);
    if (!found) throw new Error(`no ${kind} scenario in the labels`);
    return found;
  };

  /** Per user, per local day: bytes moved by normal (unlabelled) activity. */
  const normalDays = new Map<string, Map<number, number>>();
  /** Events by the scenario the simulator gave them (kept in memory, never written out). */
  const byScenario = new Map<string, SimEvent[]>();
  const labelled = (s: ScenarioLabel) => byScenario.get(s.id) ?? [];

  beforeAll(() => {
    for (const day of sim.days()) events.push(...day.events);
    labels = sim.labels();
    for (const s of labels.scenarios) s.users.forEach((u) => scenarioUsers.add(u));
    for (const e of events) {
      if (e.scenario !== undefined) {
        const list = byScenario.get(e.scenario) ?? [];
        byScenario.set(e.scenario, list);
        list.push(e);
        continue;
      }
      const days = normalDays.get(e.user) ?? new Map<number, number>();
      normalDays.set(e.user, days);
      const d = localDayOf(e.at, tz(e.user));
      days.set(d, (days.get(d) ?? 0) + e.bytes);
    }
  });

  /** Working-day totals of a role's people who take part in no scenario. */
  function roleWeekdayTotals(role: string): number[] {
    const out: number[] = [];
    for (const [user, days] of normalDays) {
      const p = people.get(user)!;
      if (p.role !== role || scenarioUsers.has(user)) continue;
      for (const [d, bytes] of days) if (!isWeekend(d) && !(p.department === 'Finance' && isMonthEnd(d))) out.push(bytes);
    }
    return out;
  }

  describe('events', () => {
    it('follow the canonical contract exactly, and never carry the label', () => {
      for (const e of events.slice(0, 5000)) {
        const json = JSON.parse(toJsonLine(e));
        expect(Object.keys(json)).toEqual(CONTRACT_FIELDS);
        expect(json.ts).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      }
      const bad = events.filter(
        (e) => !Number.isSafeInteger(e.bytes) || e.bytes < 0 || !Number.isSafeInteger(e.rows) || e.rows < 0 || (e.status === 'error' && e.bytes + e.rows !== 0),
      );
      expect(bad).toEqual([]);
      const statuses = new Set(events.map((e) => e.status));
      expect(statuses).toEqual(new Set(['ok', 'error']));
      const errors = events.filter((e) => e.status === 'error').length / events.length;
      expect(errors).toBeGreaterThan(0.002);
      expect(errors).toBeLessThan(0.03);
      expect(new Set(events.map((e) => e.action))).toEqual(new Set(['SELECT', 'EXPORT', 'COPY', 'UPDATE', 'DUMP']));
    });

    it('are sorted by time, inside the period, with unique ids', () => {
      expect(events.filter((e, i) => i > 0 && e.at < events[i - 1].at)).toEqual([]);
      expect(events[0].at).toBeGreaterThanOrEqual(END - 45 * MS_PER_DAY);
      expect(events[events.length - 1].at).toBeLessThan(END);
      expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length);
      expect(labels.events).toBe(events.length);
      expect(labels.bytes).toBe(events.reduce((s, e) => s + e.bytes, 0));
    });

    it('scale sensibly: about 1,500 events per employee over 45 days', () => {
      const perEmployee = events.length / OPTIONS.employees;
      expect(perEmployee).toBeGreaterThan(1000);
      expect(perEmployee).toBeLessThan(3000);
    });

    it('only touch tables in the catalogue, and never before hire or after leaving', () => {
      const known = new Set(TABLES.map((t) => `${t.database}.${t.table}`));
      expect(events.filter((e) => !known.has(`${e.database}.${e.table}`))).toEqual([]);
      const outside = events.filter((e) => {
        const p = people.get(e.user)!;
        const d = localDayOf(e.at, p.timezone);
        return (p.hire_date !== '' && d < dayOf(Date.parse(p.hire_date))) || (p.end_date !== '' && d > dayOf(Date.parse(p.end_date)));
      });
      expect(outside).toEqual([]);
    });
  });

  describe('distributions', () => {
    it('gives roles normal volumes orders of magnitude apart, in the designed order', () => {
      const m = Object.fromEntries(['support_agent', 'software_engineer', 'data_analyst', 'data_engineer'].map((r) => [r, median(roleWeekdayTotals(r))]));
      expect(m.support_agent).toBeLessThan(m.software_engineer);
      expect(m.software_engineer).toBeLessThan(m.data_analyst);
      expect(m.data_analyst).toBeLessThan(m.data_engineer);
      expect(m.data_analyst / m.support_agent).toBeGreaterThan(10);
      expect(m.data_engineer / m.support_agent).toBeGreaterThan(100);
      expect(m.support_agent).toBeGreaterThan(1e6);
      expect(m.support_agent).toBeLessThan(20e6);
      expect(m.data_engineer).toBeGreaterThan(1 * GB);
    });

    it('has heavy tails: daily totals and single queries', () => {
      const days = roleWeekdayTotals('support_agent');
      expect(quantile(days, 0.99) / median(days)).toBeGreaterThan(4);
      const queries = events.filter((e) => e.scenario === undefined && e.status === 'ok' && e.action === 'SELECT' && people.get(e.user)!.role === 'data_analyst').map((e) => e.bytes);
      expect(quantile(queries, 0.99) / median(queries)).toBeGreaterThan(20);
    });

    it('keeps people to office hours in their own time zone, and weekends quiet', () => {
      const humans = events.filter((e) => e.scenario === undefined && people.get(e.user)!.account_type === 'human');
      const inHours = humans.filter((e) => {
        const h = localHour(e.at, tz(e.user));
        return h >= 6 && h < 22;
      }).length;
      expect(inHours / humans.length).toBeGreaterThan(0.97);
      // Office hours are the same locally, so UTC hours differ by location.
      const meanUtcHour = (zone: string) => {
        const hours = humans.filter((e) => tz(e.user) === zone).map((e) => new Date(e.at).getUTCHours());
        return hours.reduce((s, h) => s + h, 0) / hours.length;
      };
      expect(meanUtcHour('America/Los_Angeles') - meanUtcHour('Asia/Kolkata')).toBeGreaterThan(8);

      let weekdayBytes = 0;
      let weekendBytes = 0;
      const weekdays = new Set<number>();
      const weekends = new Set<number>();
      for (const e of humans) {
        const d = localDayOf(e.at, tz(e.user));
        if (isWeekend(d)) {
          weekendBytes += e.bytes;
          weekends.add(d);
        } else {
          weekdayBytes += e.bytes;
          weekdays.add(d);
        }
      }
      expect(weekdayBytes / weekdays.size / (weekendBytes / weekends.size)).toBeGreaterThan(10);
      expect(weekendBytes).toBeGreaterThan(0);
    });

    it('runs pipeline service accounts around the clock at a steady volume (shared logins follow their people)', () => {
      const pipelines = new Set(SERVICES.filter((s) => s.kind === 'pipeline').map((s) => s.id));
      const services = sim.directory.filter((d) => d.account_type === 'service' && pipelines.has(d.id));
      expect(services.length).toBeGreaterThanOrEqual(2);
      for (const svc of services) {
        const own = events.filter((e) => e.user === svc.id);
        expect(new Set(own.map((e) => new Date(e.at).getUTCHours())).size).toBe(24);
        const perDay = new Map<number, number>();
        for (const e of own) perDay.set(dayOf(e.at), (perDay.get(dayOf(e.at)) ?? 0) + e.bytes);
        const full = [...perDay.entries()].filter(([d]) => d > dayOf(END - 45 * MS_PER_DAY) && d < dayOf(END)).map(([, b]) => b);
        const mean = full.reduce((s, b) => s + b, 0) / full.length;
        const sd = Math.sqrt(full.reduce((s, b) => s + (b - mean) ** 2, 0) / full.length);
        expect(sd / mean).toBeLessThan(0.2);
        expect(mean).toBeGreaterThan(1 * GB);
        const weekend = [...perDay.entries()].filter(([d]) => isWeekend(d) && d > dayOf(END - 45 * MS_PER_DAY) && d < dayOf(END));
        expect(weekend.length).toBeGreaterThan(0);
        for (const [, b] of weekend) expect(b / mean).toBeGreaterThan(0.6);
      }
    });

    it('peaks finance at month end', () => {
      const monthEnd: number[] = [];
      const other: number[] = [];
      for (const [user, days] of normalDays) {
        if (people.get(user)!.department !== 'Finance') continue;
        for (const [d, b] of days) if (!isWeekend(d)) (isMonthEnd(d) ? monthEnd : other).push(b);
      }
      // Month-end activity is labelled (department_month_end), so take it from the labelled events.
      for (const s of labels.scenarios.filter((x) => x.kind === 'department_month_end')) {
        const ids = new Set(s.event_ids);
        const perUserDay = new Map<string, number>();
        for (const e of events) if (ids.has(e.event_id)) perUserDay.set(`${e.user}|${localDayOf(e.at, tz(e.user))}`, (perUserDay.get(`${e.user}|${localDayOf(e.at, tz(e.user))}`) ?? 0) + e.bytes);
        monthEnd.push(...perUserDay.values());
      }
      expect(median(monthEnd) / median(other)).toBeGreaterThan(2.5);
    });

    it('has new hires and people on notice in the directory', () => {
      const start = new Date(END - 45 * MS_PER_DAY).toISOString().slice(0, 10);
      expect(sim.directory.filter((d) => d.hire_date >= start).length).toBeGreaterThanOrEqual(2);
      expect(sim.directory.filter((d) => d.notice_date !== '' && d.end_date > d.notice_date).length).toBeGreaterThanOrEqual(2);
    });
  });

  describe('labels', () => {
    it('has every scenario kind, each labelled with the expected verdict', () => {
      const kinds = new Map<string, string>(labels.scenarios.map((s) => [s.kind, s.expected]));
      for (const k of ['bulk_export', 'single_day_spike', 'slow_drip', 'departing_spike', 'off_hours_export', 'sensitive_first_access', 'new_hire_export']) {
        expect([k, kinds.get(k)]).toEqual([k, 'malicious']);
      }
      for (const k of ['department_month_end', 'heavy_analyst', 'etl_service', 'allowlisted_migration']) expect([k, kinds.get(k)]).toEqual([k, 'benign']);
      expect(labels.skipped).toEqual([]);
      expect(labels.seed).toBe(OPTIONS.seed);
      expect(labels.end).toBe(new Date(END).toISOString());
    });

    it('lists exactly the events of each scenario, with their count, bytes, users and time span', () => {
      const seen = new Set<string>();
      for (const s of labels.scenarios) {
        const mine = labelled(s);
        expect(s.event_ids.slice().sort()).toEqual(mine.map((e) => e.event_id).sort());
        expect(s.events).toBe(mine.length);
        expect(s.bytes).toBe(mine.reduce((sum, e) => sum + e.bytes, 0));
        expect(s.users).toEqual([...new Set(mine.map((e) => e.user))].sort());
        if (s.user !== null) expect(s.users).toEqual([s.user]);
        expect(s.start).toBe(new Date(Math.min(...mine.map((e) => e.at))).toISOString());
        expect(s.end).toBe(new Date(Math.max(...mine.map((e) => e.at))).toISOString());
        s.event_ids.forEach((id) => seen.add(id));
      }
      // No event is in two scenarios, and nothing else carries a label.
      expect(seen.size).toBe(labels.scenarios.reduce((n, s) => n + s.event_ids.length, 0));
      expect(events.filter((e) => e.scenario !== undefined).length).toBe(seen.size);
    });

    it('puts malicious scenarios after three weeks of history (the new hire has none by definition)', () => {
      const start = END - 45 * MS_PER_DAY;
      for (const s of labels.scenarios.filter((x) => x.expected === 'malicious' && x.kind !== 'new_hire_export')) {
        expect([s.kind, Date.parse(s.start) - start >= MIN_HISTORY_DAYS * MS_PER_DAY]).toEqual([s.kind, true]);
      }
    });
  });

  describe('scenarios', () => {
    const normalMedian = (user: string) => median([...normalDays.get(user)!.entries()].filter(([d]) => !isWeekend(d)).map(([, b]) => b));

    it('bulk_export: about 20 GB from a PII table over about two hours', () => {
      const s = byKind('bulk_export');
      expect(s.bytes).toBeGreaterThan(18 * GB);
      expect(s.bytes).toBeLessThan(22 * GB);
      const span = Date.parse(s.end) - Date.parse(s.start);
      expect(span).toBeGreaterThan(1.5 * MS_PER_HOUR);
      expect(span).toBeLessThan(2.5 * MS_PER_HOUR);
      const tables = new Set(labelled(s).map((e) => `${e.database}.${e.table}`));
      for (const t of tables) expect(TABLES.find((x) => `${x.database}.${x.table}` === t)!.sensitivity).toBe('pii');
      expect(s.bytes / normalMedian(s.user!)).toBeGreaterThan(20);
    });

    it('single_day_spike: one day at about 10x the person\'s normal', () => {
      const s = byKind('single_day_spike');
      const days = new Set(labelled(s).map((e) => localDayOf(e.at, tz(s.user!))));
      expect(days.size).toBe(1);
      const [day] = [...days];
      const total = s.bytes + (normalDays.get(s.user!)!.get(day) ?? 0);
      const ratio = total / normalMedian(s.user!);
      expect(ratio).toBeGreaterThan(6);
      expect(ratio).toBeLessThan(16);
    });

    it('slow_drip: about 3x normal every working day for two weeks', () => {
      const s = byKind('slow_drip');
      const perDay = new Map<number, number>();
      for (const e of labelled(s)) {
        const d = localDayOf(e.at, tz(s.user!));
        perDay.set(d, (perDay.get(d) ?? 0) + e.bytes);
      }
      expect(perDay.size).toBeGreaterThanOrEqual(9);
      const days = [...perDay.keys()].sort((a, b) => a - b);
      expect(days[days.length - 1] - days[0]).toBeLessThan(14);
      const extra = median([...perDay.values()]) / normalMedian(s.user!);
      expect(extra).toBeGreaterThan(1.2);
      expect(extra).toBeLessThan(3.5);
    });

    it('departing_spike: a person on notice spikes after the notice date', () => {
      const s = byKind('departing_spike');
      const p = people.get(s.user!)!;
      expect(p.notice_date).not.toBe('');
      expect(p.end_date > p.notice_date).toBe(true);
      expect(s.start.slice(0, 10) > p.notice_date).toBe(true);
      expect(s.bytes / normalMedian(s.user!)).toBeGreaterThan(8);
    });

    it('off_hours_export: an export at about 3 a.m. local time', () => {
      const s = byKind('off_hours_export');
      for (const e of labelled(s)) {
        expect(e.action).toBe('EXPORT');
        const h = localHour(e.at, tz(s.user!));
        expect(h >= 2.5 && h < 4.5).toBe(true);
      }
    });

    it('sensitive_first_access: many sensitive tables the person never touched before', () => {
      const s = byKind('sensitive_first_access');
      const touched = new Set(labelled(s).map((e) => `${e.database}.${e.table}`));
      expect(touched.size).toBeGreaterThanOrEqual(10);
      for (const t of touched) expect(['pii', 'payment']).toContain(TABLES.find((x) => `${x.database}.${x.table}` === t)!.sensitivity);
      const before = events.filter((e) => e.user === s.user && e.at < Date.parse(s.start)).map((e) => `${e.database}.${e.table}`);
      expect(before.length).toBeGreaterThan(100);
      for (const t of before) expect(touched.has(t)).toBe(false);
    });

    it('new_hire_export: a new hire exports in the first week', () => {
      const s = byKind('new_hire_export');
      const hire = people.get(s.user!)!.hire_date;
      expect(hire >= new Date(END - 45 * MS_PER_DAY).toISOString().slice(0, 10)).toBe(true);
      expect(Date.parse(s.start) - Date.parse(hire)).toBeLessThan(7 * MS_PER_DAY);
      expect(s.bytes).toBeGreaterThan(1 * GB);
    });

    it('allowlisted_migration: covered by an allowlist entry with an expiry', () => {
      const s = byKind('allowlisted_migration');
      const entry = sim.allowlist.find((a) => a.user === s.user);
      expect(entry).toBeDefined();
      expect(entry!.reason).toMatch(/\w/);
      expect(Date.parse(entry!.from)).toBeLessThanOrEqual(Date.parse(s.start));
      expect(Date.parse(entry!.until)).toBeGreaterThan(Date.parse(s.end));
      expect(Date.parse(entry!.until) - Date.parse(entry!.from)).toBeLessThan(7 * MS_PER_DAY);
      for (const e of labelled(s)) expect(entry!.tables).toContain(`${e.database}.${e.table}`);
      expect(s.bytes).toBeGreaterThan(20 * GB);
    });

    it('heavy_analyst: gigabytes every working day, consistently, far above the role', () => {
      const s = byKind('heavy_analyst');
      const perDay = new Map<number, number>();
      for (const e of labelled(s)) {
        const d = localDayOf(e.at, tz(s.user!));
        if (!isWeekend(d)) perDay.set(d, (perDay.get(d) ?? 0) + e.bytes);
      }
      expect(perDay.size).toBeGreaterThan(25);
      const daily = [...perDay.values()];
      expect(median(daily)).toBeGreaterThan(10 * median(roleWeekdayTotals(people.get(s.user!)!.role)));
      expect(quantile(daily, 0.1)).toBeGreaterThan(1 * GB);
    });

    it('etl_service and department_month_end label service accounts and a whole department', () => {
      for (const s of labels.scenarios.filter((x) => x.kind === 'etl_service')) expect(people.get(s.user!)!.account_type).toBe('service');
      const monthEnds = labels.scenarios.filter((x) => x.kind === 'department_month_end');
      expect(monthEnds.length).toBe(2);
      for (const s of monthEnds) {
        expect(s.user).toBeNull();
        expect(s.department).toBe('Finance');
        expect(s.users.length).toBeGreaterThan(3);
        for (const u of s.users) expect(people.get(u)!.department).toBe('Finance');
      }
    });
  });
});

describe('simulate output', () => {
  const small: SimulationOptions = { seed: 5, employees: 60, days: 45, end: END };
  const dirs: string[] = [];
  const run = async (opts: SimulationOptions) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-'));
    dirs.push(dir);
    await writeSimulation(createSimulation(opts), { outDir: dir });
    return dir;
  };
  const digest = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it('writes the five files; the same seed, options and end give byte-identical output; another seed differs', async () => {
    const a = await run(small);
    const b = await run(small);
    const c = await run({ ...small, seed: 6 });
    for (const f of Object.values(OUTPUT_FILES)) expect([f, digest(path.join(a, f))]).toEqual([f, digest(path.join(b, f))]);
    expect(digest(path.join(a, OUTPUT_FILES.events))).not.toBe(digest(path.join(c, OUTPUT_FILES.events)));
    expect(digest(path.join(a, OUTPUT_FILES.directory))).not.toBe(digest(path.join(c, OUTPUT_FILES.directory)));

    const lines = fs.readFileSync(path.join(a, OUTPUT_FILES.events), 'utf8').trimEnd().split('\n');
    const labels = JSON.parse(fs.readFileSync(path.join(a, OUTPUT_FILES.labels), 'utf8')) as Labels;
    expect(lines.length).toBe(labels.events);
    expect(lines.every((l) => !l.includes('scenario'))).toBe(true);
    const ids = new Set(lines.map((l) => (JSON.parse(l) as { event_id: string }).event_id));
    for (const s of labels.scenarios) for (const id of s.event_ids) expect(ids.has(id)).toBe(true);

    const directory = fs.readFileSync(path.join(a, OUTPUT_FILES.directory), 'utf8');
    expect(directory.split('\n')[0]).toBe('id,name,department,role,manager,location,timezone,hire_date,notice_date,end_date,account_type');
    const rows = parseCsv(directory, { columns: true }) as Array<Record<string, string>>;
    expect(rows.length).toBe(labels.employees + labels.service_accounts);
    for (const r of rows) {
      expect(['human', 'service']).toContain(r.account_type);
      for (const f of ['hire_date', 'notice_date', 'end_date']) expect(r[f]).toMatch(/^(\d{4}-\d{2}-\d{2})?$/);
    }
    const tables = fs.readFileSync(path.join(a, OUTPUT_FILES.tables), 'utf8').split('\n');
    expect(tables[0]).toBe('database,table,sensitivity');
    expect(new Set(tables.slice(1).filter(Boolean).map((l) => l.split(',')[2]))).toEqual(new Set(['pii', 'payment', 'internal', 'public']));
    const allowlist = JSON.parse(fs.readFileSync(path.join(a, OUTPUT_FILES.allowlist), 'utf8')) as { entries: Array<Record<string, unknown>> };
    expect(allowlist.entries).toHaveLength(1);
    expect(Object.keys(allowlist.entries[0])).toEqual(['user', 'reason', 'from', 'until', 'tables']);
  });

  it('refuses options it cannot honour', () => {
    expect(() => createSimulation({ ...small, employees: 10 })).toThrow(/employees must be an integer >= 40/);
    expect(() => createSimulation({ ...small, days: 0 })).toThrow(/days must be a positive integer/);
    expect(() => createSimulation({ ...small, end: NaN })).toThrow(/valid time/);
  });

  it('skips, and says so, the scenarios that a short period cannot hold', () => {
    const short = createSimulation({ ...small, days: 20 });
    for (const _ of short.days()) void _;
    const l = short.labels();
    expect(l.scenarios.filter((s) => s.expected === 'malicious')).toEqual([]);
    expect(l.skipped.map((s) => s.kind)).toContain('bulk_export');
    expect(l.skipped.every((s) => /simulate more days/.test(s.reason))).toBe(true);
  });
});

