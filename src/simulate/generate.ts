// The simulation as a stream of UTC days. People's local days are generated in order and bucketed by
// the UTC day their events fall in; a UTC day is emitted (sorted by time) as soon as no later local
// day can add to it, so memory holds about three days of events, never the whole period.
import { SimulationError } from '../errors';
import { dayOf, MS_PER_DAY } from '../calendar';
import { byTime, type SimEvent } from './event';
import { personDay } from './activity';
import { buildOrganisation, type DirectoryRow, type Person } from './organisation';
import { planScenarios, type AllowlistEntry, type Expected, type Plan, type ScenarioKind } from './scenarios';
import { TABLES, type TableInfo } from './tables';

export interface SimulationOptions {
  seed: number;
  /** People (service accounts come on top: one per 125 people, at least 2). */
  employees: number;
  days: number;
  /** End of the period (exclusive), ms since the epoch. */
  end: number;
  /** Inject the labelled scenarios (default true). */
  scenarios?: boolean;
}

export interface ScenarioLabel {
  id: string;
  kind: ScenarioKind;
  expected: Expected;
  /** The one user involved, or null for a department-wide scenario (see `users`). */
  user: string | null;
  users: string[];
  department?: string;
  /** First and last event of the scenario (ISO-8601 UTC). */
  start: string;
  end: string;
  events: number;
  bytes: number;
  description: string;
  details: Record<string, string | number | string[]>;
  /** Exactly the events that make up the scenario. */
  event_ids: string[];
}

export interface Labels {
  generator: 'insider simulate';
  format: 1;
  seed: number;
  start: string;
  end: string;
  days: number;
  employees: number;
  service_accounts: number;
  events: number;
  bytes: number;
  users: number;
  scenarios: ScenarioLabel[];
  skipped: Array<{ kind: string; reason: string }>;
}

export interface SimulatedDay {
  /** UTC day number (see calendar.ts). */
  day: number;
  events: SimEvent[];
}

export interface Simulation {
  readonly options: Readonly<SimulationOptions>;
  readonly start: number;
  readonly end: number;
  readonly people: ReadonlyArray<Person>;
  readonly directory: DirectoryRow[];
  readonly tables: ReadonlyArray<TableInfo>;
  readonly allowlist: AllowlistEntry[];
  /** The UTC days of the period in order, each sorted by time. Can be iterated once. */
  days(): Generator<SimulatedDay>;
  /** Totals and scenario labels; complete once days() has been iterated to the end. */
  labels(): Labels;
}

/** Fewer people than this cannot fill every role and scenario. */
export const MIN_EMPLOYEES = 40;

export function createSimulation(options: SimulationOptions): Simulation {
  const { seed, days, end } = options;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new SimulationError(`seed must be a non-negative integer, got ${seed}`);
  if (!Number.isSafeInteger(options.employees) || options.employees < MIN_EMPLOYEES) {
    throw new SimulationError(`employees must be an integer >= ${MIN_EMPLOYEES}, got ${options.employees}`);
  }
  if (!Number.isSafeInteger(days) || days < 1) throw new SimulationError(`days must be a positive integer, got ${days}`);
  if (!Number.isFinite(end) || end - days * MS_PER_DAY < 0) throw new SimulationError('the period must end at a valid time after 1970 + days');
  const start = end - days * MS_PER_DAY;
  const firstDay = dayOf(start) - 1;
  const lastDay = dayOf(end - 1) + 1;
  const organisation = buildOrganisation({ seed, employees: options.employees, firstDay: dayOf(start), lastDay: dayOf(end - 1) });
  const plan = planScenarios(seed, organisation, { start, end, firstDay: dayOf(start), lastDay: dayOf(end - 1) }, options.scenarios ?? true);
  const tally = createTally(plan);
  let started = false;

  return {
    options: Object.freeze({ ...options }),
    start,
    end,
    people: plan.people,
    directory: plan.people.map((p) => p.directory),
    tables: TABLES,
    allowlist: plan.allowlist,
    *days() {
      if (started) throw new SimulationError('a simulation can be iterated only once');
      started = true;
      const injected = new Map<number, SimEvent[]>();
      for (const s of plan.scenarios) for (const e of s.injected) push(injected, dayOf(e.at), e);
      const buckets = new Map<number, SimEvent[]>();
      const first = dayOf(start);
      const last = dayOf(end - 1);
      let next = first;
      const flush = (upTo: number): SimulatedDay[] => {
        const out: SimulatedDay[] = [];
        for (; next <= Math.min(upTo, last); next++) {
          const all = [...(buckets.get(next) ?? []), ...(injected.get(next) ?? [])].filter((e) => e.at >= start && e.at < end).sort(byTime);
          buckets.delete(next);
          tally.add(all);
          out.push({ day: next, events: all });
        }
        return out;
      };
      for (let local = firstDay; local <= lastDay; local++) {
        for (const p of plan.people) {
          for (const e of personDay(seed, p, local, plan.tagFor(p, local))) push(buckets, dayOf(e.at), e);
        }
        // Local day local+1 starts at UTC (local+1) - 14 h at the earliest (UTC+14): UTC day local-1 is complete.
        yield* flush(local - 1);
        for (const d of buckets.keys()) if (d < next) buckets.delete(d);
      }
      yield* flush(last);
    },
    labels: () => tally.labels({
      seed,
      start: new Date(start).toISOString(),
      end: new Date(end).toISOString(),
      days,
      employees: plan.people.filter((p) => p.directory.account_type === 'human').length,
      service_accounts: plan.people.filter((p) => p.directory.account_type === 'service').length,
    }),
  };
}

function push(map: Map<number, SimEvent[]>, key: number, e: SimEvent): void {
  const list = map.get(key);
  if (list) list.push(e);
  else map.set(key, [e]);
}

type Header = Pick<Labels, 'seed' | 'start' | 'end' | 'days' | 'employees' | 'service_accounts'>;

/** Counts what was emitted, so that the labels describe exactly the events that were written. */
function createTally(plan: Plan) {
  let events = 0;
  let bytes = 0;
  const users = new Set<string>();
  const perScenario = new Map<string, { ids: string[]; bytes: number; users: Set<string>; first: number; last: number }>();
  return {
    add(list: SimEvent[]) {
      for (const e of list) {
        events++;
        bytes += e.bytes;
        users.add(e.user);
        if (e.scenario === undefined) continue;
        let s = perScenario.get(e.scenario);
        if (!s) {
          s = { ids: [], bytes: 0, users: new Set(), first: e.at, last: e.at };
          perScenario.set(e.scenario, s);
        }
        s.ids.push(e.event_id);
        s.bytes += e.bytes;
        s.users.add(e.user);
        s.first = Math.min(s.first, e.at);
        s.last = Math.max(s.last, e.at);
      }
    },
    labels(header: Header): Labels {
      const scenarios: ScenarioLabel[] = [];
      const skipped = [...plan.skipped];
      for (const s of plan.scenarios) {
        const seen = perScenario.get(s.id);
        if (!seen) {
          if (!s.optional) skipped.push({ kind: s.kind, reason: `${s.id} has no events in the period` });
          continue;
        }
        const involved = [...seen.users].sort();
        scenarios.push({
          id: s.id,
          kind: s.kind,
          expected: s.expected,
          user: s.department === undefined && involved.length === 1 ? involved[0] : null,
          users: involved,
          ...(s.department === undefined ? {} : { department: s.department }),
          start: new Date(seen.first).toISOString(),
          end: new Date(seen.last).toISOString(),
          events: seen.ids.length,
          bytes: seen.bytes,
          description: s.description,
          details: s.details,
          event_ids: seen.ids,
        });
      }
      return { generator: 'insider simulate', format: 1, ...header, events, bytes, users: users.size, scenarios, skipped };
    },
  };
}
