// Expectations raised by analysts' verdicts ("expected for this role", "project work until a date"):
// for a person, or for everyone in a peer group (department and role, as the detector groups peers), the
// expected volume is multiplied by a bounded factor over whole UTC days [fromDay, untilDay) in event time.
// It is applied at one point, where the engine takes a person's profile for a day (adjustedProfile): the
// expected daily volume, busiest hour and sensitive volume, the drip's reference and the usual day all
// move up by the factor, so every anomaly that compares a volume with an expectation sees it. Policy
// limits (sensitive-table volume, daily ceiling, first access) are not touched: a verdict about what is
// normal for someone is not a change of policy. Stored and audited by the triage service
// (src/triage/adjustments.ts); the engine only reads them.
import { dateString, MS_PER_DAY } from '../calendar';
import type { Profile } from './history';
import { peerGroupKey, type Person } from './people';
import type { CusumState } from './statistics/cusum';
import type { Expectation } from './statistics/expectation';

/** The largest factor a verdict may set: beyond 10x, a "normal" day is a different job, not feedback. */
export const MAX_FACTOR = 10;
/** The smallest: anything less would not change a judgement. */
export const MIN_FACTOR = 1.1;
/** The longest an adjustment may last (days from its first day): every verdict is looked at again. */
export const MAX_DAYS = 90;

export type AdjustmentScope = 'user' | 'peer_group';
export type AdjustmentKind = 'expected_for_role' | 'project_work';

export interface ExpectationAdjustment {
  id: string;
  scope: AdjustmentScope;
  /** An employee id (user) or a peer group key "Department/Role" (peer_group). */
  subject: string;
  factor: number;
  /** First UTC day covered and the day after the last (exclusive), in event time. */
  fromDay: number;
  untilDay: number;
  kind: AdjustmentKind;
  reason: string;
  createdBy: string;
}

export interface Adjustments {
  entries: ReadonlyArray<ExpectationAdjustment>;
  /** The adjustment in force for this person on this day (the largest factor of theirs and their group's), or null. */
  on(person: Person, day: number): ExpectationAdjustment | null;
}

export function adjustmentsFrom(entries: ReadonlyArray<ExpectationAdjustment>): Adjustments {
  const bySubject = new Map<string, ExpectationAdjustment[]>();
  for (const a of entries) {
    const key = `${a.scope}\u0000${a.subject}`;
    bySubject.set(key, [...(bySubject.get(key) ?? []), a]);
  }
  return {
    entries,
    on(person, day) {
      if (bySubject.size === 0) return null;
      // A person the directory does not know has no peer group: only their own adjustments apply.
      const keys = [`user\u0000${person.id}`, ...(person.known ? [`peer_group\u0000${peerGroupKey(person)}`] : [])];
      let best: ExpectationAdjustment | null = null;
      for (const key of keys) {
        for (const a of bySubject.get(key) ?? []) {
          if (day >= a.fromDay && day < a.untilDay && (best === null || a.factor > best.factor)) best = a;
        }
      }
      return best;
    },
  };
}

export const NO_ADJUSTMENTS: Adjustments = adjustmentsFrom([]);

/** A factor as the detector uses it: within [1, MAX_FACTOR] whatever was stored. */
export function boundedFactor(factor: number): number {
  return Number.isFinite(factor) ? Math.min(MAX_FACTOR, Math.max(1, factor)) : 1;
}

function raised(e: Expectation | null, shift: number): Expectation | null {
  if (!e) return e;
  return { ...e, location: e.location + shift, peers: e.peers ? { ...e.peers, location: e.peers.location + shift } : e.peers };
}

function raisedDrip(s: CusumState, shift: number): CusumState {
  return s.reference ? { ...s, reference: raised(s.reference, shift) } : s;
}

/** The profile with every expected volume multiplied by `factor` (bounded); the same profile at 1. */
export function adjustedProfile(p: Profile, factor: number): Profile {
  const f = boundedFactor(factor);
  if (f === 1) return p;
  const shift = Math.log(f);
  return {
    ...p,
    volume: raised(p.volume, shift),
    hour: raised(p.hour, shift),
    sensitive: raised(p.sensitive, shift),
    usualDay: p.usualDay === null ? null : p.usualDay * f,
    largest: { ...p.largest, bytes: p.largest.bytes * f },
    drip: raisedDrip(p.drip, shift),
    sensitiveDrip: raisedDrip(p.sensitiveDrip, shift),
  };
}

const KIND_TEXT: Record<AdjustmentKind, string> = { expected_for_role: 'expected for the role', project_work: 'project work' };

/** The clause an alert raised despite an adjustment carries: "expected volume raised 3x until 2026-12-20 by alice: project work (...)". */
export function adjustmentClause(a: ExpectationAdjustment): string {
  const whom = a.scope === 'peer_group' ? ` for ${a.subject}` : '';
  return `expected volume raised ${Number(a.factor.toFixed(2))}x${whom} until ${dateString(a.untilDay)} by ${a.createdBy}: ${KIND_TEXT[a.kind]}${a.reason ? ` (${a.reason})` : ''} [${a.id}]`;
}

/** Whole UTC days covering [from, until): the first day and the day after the last. */
export function daysOf(from: number, until: number): { fromDay: number; untilDay: number } {
  return { fromDay: Math.floor(from / MS_PER_DAY), untilDay: Math.ceil(until / MS_PER_DAY) };
}
