// The slow-drip runs already reported, per employee and drip detector: a run (known by its first day) is
// paged once, on the day it crosses its threshold, and again only when its severity rises. Reported are
// the runs stored (restored, or written by the live detector), the runs raised on the days forgotten, and,
// while their day is still judged, the runs raised on it: without those, every later event of the day
// would raise the run again. A raised run is provisional: a batch that is then not stored (given up,
// taken over) releases its employees, and their runs must be raised again when their days are judged
// again, or the alert is never raised at all.
import { severityRank, type AlertRecord, type Severity } from '../alerts';

export interface DripRuns {
  /** The severity the run starting on `runStart` was reported at, null when it was not. */
  reportedAt(user: string, detector: string, runStart: number): Severity | null;
  /** A revision raised on `day` (still judged): provisional until stored or the day is forgotten. */
  raised(alert: AlertRecord, day: number): void;
  /** A revision stored (restored after a takeover, or written by the live detector): its runs are reported. */
  stored(alert: AlertRecord): void;
  /** Drops the provisional runs of these employees: their days are judged again from what is stored. */
  release(users: ReadonlySet<string>): void;
  /** The days before `oldest` are no longer judged: the runs raised on them are settled. */
  forget(oldest: number): void;
}

interface DripRun {
  runStart: number;
  severity: Severity;
}

export function createDripRuns(): DripRuns {
  /** Per user and drip detector: the run reported and the highest severity it was reported at. */
  const reported = new Map<string, DripRun>();
  /** The same, raised on the days still judged, by day (see `raised`). */
  const raised = new Map<string, Array<DripRun & { day: number }>>();
  const keyOf = (user: string, detector: string) => `${user}\u0000${detector}`;
  const userOf = (key: string) => key.slice(0, key.indexOf('\u0000'));
  const dripFindings = (a: AlertRecord) =>
    a.findings.flatMap((f) => {
      const runStart = f.details?.runStart;
      return (f.detector === 'slowDrip' || f.detector === 'sensitiveDrip') && typeof runStart === 'number' ? [{ key: keyOf(a.user, f.detector), runStart }] : [];
    });
  return {
    reportedAt(user, detector, runStart) {
      const key = keyOf(user, detector);
      let best: Severity | null = null;
      for (const r of [reported.get(key), ...(raised.get(key) ?? [])]) if (r && r.runStart === runStart && (best === null || severityRank(r.severity) > severityRank(best))) best = r.severity;
      return best;
    },
    raised(a, day) {
      for (const { key, runStart } of dripFindings(a)) {
        const list = raised.get(key) ?? [];
        const i = list.findIndex((r) => r.day === day);
        const next = { ...higher(i >= 0 ? list[i] : undefined, runStart, a.severity), day };
        if (i >= 0) list[i] = next;
        else list.push(next);
        raised.set(key, list);
      }
    },
    stored(a) {
      for (const { key, runStart } of dripFindings(a)) reported.set(key, higher(reported.get(key), runStart, a.severity));
    },
    release(users) {
      for (const key of raised.keys()) if (users.has(userOf(key))) raised.delete(key);
    },
    forget(oldest) {
      // Runs raised on days no longer judged are settled (those days' batches were stored or given up).
      for (const [key, list] of raised) {
        for (const r of list) if (r.day < oldest) reported.set(key, higher(reported.get(key), r.runStart, r.severity));
        const kept = list.filter((r) => r.day >= oldest);
        if (kept.length > 0) raised.set(key, kept);
        else raised.delete(key);
      }
    },
  };
}

/** A drip run noted again: the higher severity of the same run, or the new run. */
function higher(prev: DripRun | undefined, runStart: number, severity: Severity): DripRun {
  return { runStart, severity: prev !== undefined && prev.runStart === runStart && severityRank(prev.severity) > severityRank(severity) ? prev.severity : severity };
}
