// What every detector implements. `prepare` runs once per employee and day, when their first event of
// the day arrives: it works out today's threshold from the baselines (or says the detector does not
// judge this person today). The function it returns runs after every event and reports a finding as soon
// as the running totals cross that threshold.
import type { DetectorName, DetectorSettings } from '../../config/detection-schema';
import type { PeerStats, UserBaseline } from '../baselines';
import type { DayState } from '../day-state';
import type { Person } from '../people';

export interface RuleContext {
  day: number;
  person: Person;
  settings: DetectorSettings;
  baseline: UserBaseline;
  known: { tables: ReadonlySet<string>; activeDays: number };
  peers(q: number): PeerStats | null;
  /** Active days of own history before a person's own figures are trusted. */
  minHistoryDays: number;
}

export interface Finding {
  detector: DetectorName;
  /** The figure judged (bytes, or a count of tables or days) and the threshold it crossed. */
  observed: number;
  threshold: number;
  /** The usual figure it was compared with, in bytes (own median, peers' quantile...), and observed / it. */
  reference: number | null;
  multiple: number | null;
  /** Part of the explanation, in numbers: "own weekday median 48 MB (425x)". */
  clause: string;
  /** A detector about several days (slow drip): the first day of its window. */
  sinceDay?: number;
  /** Extra figures for the alert's findings record. */
  details?: Record<string, number | string | string[]>;
}

export type Check = (s: DayState) => Finding | null;

export interface Rule {
  name: DetectorName;
  prepare(ctx: RuleContext): Check | null;
}

/** The usual daily volume of a person: their own median, or their peers' median without enough history. */
export function usualDaily(ctx: RuleContext): { bytes: number; label: string } | null {
  if (ctx.baseline.band) return { bytes: ctx.baseline.band.median, label: `own ${ctx.baseline.band.kind} median` };
  const peers = ctx.peers(0.5);
  return peers ? { bytes: peers.median, label: `${peers.group} peers' median` } : null;
}
