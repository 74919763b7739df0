// Labelled scenarios: insider behaviour injected into the normal activity (expected "malicious",
// scenarios-insider.ts) and benign look-alikes that a naive detector would flag (expected "benign",
// scenarios-benign.ts). Each malicious scenario starts after at least three weeks of normal history for
// its actor, except the new hire, who has none by definition. The labels file is built from the emitted
// events, so it matches them exactly. This file is the planning both share: choosing actors, placing
// scenarios in the period, labelling days of normal activity.
import { localMidnightUtc, MS_PER_DAY, MS_PER_HOUR, nextWeekday } from '../calendar';
import type { SimEvent } from './event';
import { DEPARTMENTS } from './roles';
import type { Person } from './organisation';
import { stream, type Random } from './random';
import { planBenign } from './scenarios-benign';
import { planInsiders } from './scenarios-insider';
import type { Owner } from './burst';

export type Expected = 'malicious' | 'benign';

export type ScenarioKind =
  | 'bulk_export'
  | 'bulk_export_heavy'
  | 'single_day_spike'
  | 'spike_subtle'
  | 'slow_drip'
  | 'slow_drip_subtle'
  | 'departing_spike'
  | 'departing_subtle'
  | 'off_hours_export'
  | 'off_hours_subtle'
  | 'sensitive_first_access'
  | 'first_access_spread'
  | 'new_hire_export'
  | 'department_month_end'
  | 'department_quarter_end'
  | 'heavy_analyst'
  | 'etl_service'
  | 'shared_service_account'
  | 'routine_sensitive_role'
  | 'on_call_weekend'
  | 'return_from_leave'
  | 'role_change'
  | 'project_ramp_up'
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
  /** A habit's label (an on-call weekend the person did not work): not reported as skipped when it has no events. */
  optional?: boolean;
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

/** What a scenario's `build` returns: the scenario, and a change to the organisation made once it is accepted. */
export type Built = Omit<ScenarioPlan, 'id' | 'kind' | 'expected'> & { apply?: () => void };

/** What the scenario files plan with. */
export interface Planner {
  seed: number;
  period: Period;
  people: Person[];
  plan: Plan;
  /** Adds a scenario, or records why it cannot take place (`build` returned a reason). */
  add(kind: ScenarioKind, expected: Expected, build: (id: string) => Built | string): void;
  /** The working day of the period where a scenario falls (SCHEDULE, stretched for longer periods). */
  dayAt(key: string): number;
  /** Why a scenario on `day` cannot take place (too little history, after the period), or undefined. */
  fits(day: number, history?: number): string | undefined;
  /**
   * An unused, settled person (tenured, not leaving, no role change, leave or project, outside finance and
   * payments) of the first role in `roles` that has one, typical of the role in how much they vary (own
   * spread at most 1.2x the role's): the multiples the scenarios state are unusual for such a person, as
   * they were for everyone when everyone varied like their role. `steady`: own spread at most 0.8x the
   * role's, for the subtle scenarios, whose modest multiples are unusual only for a steady person.
   */
  take(roles: string[], opts?: { steady?: boolean }): Person | undefined;
  /** Labels a person's (or department's) normal activity on some local days with a scenario id. */
  tag(rule: (p: Person, day: number) => boolean, id: string): void;
  local(p: Person, day: number, hour: number): number;
  own(r: Random, p: Person, scenario: string): Owner;
}

// Where each scenario falls in a 45-day period; longer periods stretch the schedule proportionally.
const SCHEDULE: Record<string, number> = {
  slow_drip_subtle: 21,
  slow_drip: 22,
  single_day_spike: 24,
  spike_subtle: 26,
  departing_subtle_notice: 27,
  off_hours_export: 28,
  departing_notice: 29,
  sensitive_first_access: 31,
  new_hire: 33,
  first_access_spread: 34,
  allowlisted_migration: 36,
  off_hours_subtle: 37,
  bulk_export_heavy: 38,
  bulk_export: 39,
};

/** Own spread relative to the role's: at most this for a typical actor, and for a steady one. */
const TYPICAL = 1.2;
const STEADY = 0.8;
const ROLE_SIGMA = new Map(DEPARTMENTS.flatMap((d) => d.roles.map((r) => [r.role, r.daySigma] as const)));

export function planScenarios(seed: number, organisation: Person[], period: Period, enabled = true): Plan {
  // Scenario actors are changed (hire date, notice, volume): work on copies.
  const people = organisation.map((p) => ({ ...p, directory: { ...p.directory } }));
  const plan: Plan = { people, scenarios: [], skipped: [], allowlist: [], tagFor: () => undefined };
  if (!enabled) return plan;

  const rng = stream(seed, 'scenarios');
  const firstFullDay = Math.ceil(period.start / MS_PER_DAY);
  const stretch = Math.max(1, (period.lastDay - period.firstDay) / 45);
  const used = new Set<string>();
  const settled = (p: Person) =>
    p.kind === 'human' &&
    p.hireDay <= period.firstDay - 60 &&
    p.noticeDay === undefined &&
    p.previous === undefined &&
    p.leave === undefined &&
    p.project === undefined &&
    p.directory.department !== 'Finance' &&
    p.directory.department !== 'Payments';
  const rules: Array<{ matches: (p: Person, day: number) => boolean; id: string }> = [];
  let n = 0;

  const planner: Planner = {
    seed,
    period,
    people,
    plan,
    add(kind, expected, build) {
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
    },
    dayAt: (key) => nextWeekday(firstFullDay + Math.round(SCHEDULE[key] * stretch)),
    fits(day, history = MIN_HISTORY_DAYS) {
      if (day - firstFullDay < history) return `needs ${history} days of history before it; simulate more days`;
      if (day >= Math.floor(period.end / MS_PER_DAY)) return 'the period ends before it; simulate more days';
      return undefined;
    },
    take(roles, opts = {}) {
      for (const role of roles) {
        const candidates = people.filter(
          (p) => settled(p) && p.directory.role === role && !used.has(p.directory.id) && p.daySigma <= (opts.steady ? STEADY : TYPICAL) * (ROLE_SIGMA.get(role) ?? Infinity),
        );
        if (candidates.length > 0) {
          const chosen = rng.pick(candidates);
          used.add(chosen.directory.id);
          return chosen;
        }
      }
      return undefined;
    },
    tag(matches, id) {
      rules.push({ matches, id });
    },
    local: (p, day, hour) => localMidnightUtc(day, p.directory.timezone) + hour * MS_PER_HOUR,
    own: (r, p, scenario) => ({ scenario, rng: r, p, session: r.hex(16) }),
  };

  planInsiders(planner);
  planBenign(planner);
  // The first rule that matches labels the day (rules are added most specific first).
  plan.tagFor = (p, day) => rules.find((r) => r.matches(p, day))?.id;
  return plan;
}
