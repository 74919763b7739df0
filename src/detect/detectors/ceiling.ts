// Policy: an absolute daily ceiling. Whatever anyone's history, moving this much in a day is looked at,
// at the policy's severity; for a role that routinely exceeds it, at its routine severity (by default
// recorded with other findings only: set a limit for the role with an override), up to the routine range:
// a day far beyond what the role and the person move is not routine (Routine.cap).
import { formatBytes } from '../../format';
import { atMostLow, routineDetails, routineVerdict, type Rule } from './rule';

export const ceiling: Rule = {
  name: 'ceiling',
  prepare({ settings, history, person, routineShare, routineRate, known, minHistoryDays }) {
    const s = settings.ceiling;
    if (!s.enabled) return null;
    let routine: ReturnType<typeof history.routine> | null = null;
    return (day) => {
      if (day.bytes < s.dailyBytes) return null;
      routine ??= history.routine(person, 'daily', s.dailyBytes);
      const verdict = routineVerdict(routine, day.bytes, { routineShare, routineRate });
      // Too little history to know whether it is routine for them: raised, but at low at most.
      const severity = verdict.routine ? s.routineSeverity : known.activeDays < minHistoryDays ? atMostLow(s.severity) : s.severity;
      return {
        detector: 'ceiling',
        kind: 'policy',
        observed: day.bytes,
        threshold: s.dailyBytes,
        reference: null,
        multiple: null,
        severity,
        raises: severity !== 'none',
        clause: `above the ${formatBytes(s.dailyBytes)} daily ceiling${verdict.clause ? ` (${verdict.clause})` : ''}`,
        details: routineDetails(routine, verdict.routine),
      };
    };
  },
};
