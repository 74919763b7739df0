// Policy: an absolute daily ceiling. Whatever anyone's history, moving this much in a day is looked at,
// at the policy's severity; for a role that routinely exceeds it, at its routine severity (by default
// recorded with other findings only: set a limit for the role with an override).
import { formatBytes, formatPercent } from '../format';
import { atMostLow, type Rule } from './rule';

export const ceiling: Rule = {
  name: 'ceiling',
  prepare({ settings, history, person, routineShare, routineRate, known, minHistoryDays }) {
    const s = settings.ceiling;
    if (!s.enabled) return null;
    let routine: ReturnType<typeof history.routine> | null = null;
    return (day) => {
      if (day.bytes < s.dailyBytes) return null;
      routine ??= history.routine(person, 'daily', s.dailyBytes);
      const isRoutine = routine.share >= routineShare || routine.own >= routineShare || routine.probability >= routineRate;
      // Too little history to know whether it is routine for them: raised, but at low at most.
        // Too little history to know whether it is routine for them: raised, but at low at most.
      const severity = isRoutine ? s.routineSeverity : known.activeDays < minHistoryDays ? atMostLow(s.severity) : s.severity;
      return {
        detector: 'ceiling',
        kind: 'policy',
        observed: day.bytes,
        threshold: s.dailyBytes,
        reference: null,
        multiple: null,
        severity,
        raises: severity !== 'none',
        clause: `above the ${formatBytes(s.dailyBytes)} daily ceiling${isRoutine ? ` (routine for them: ${formatPercent(Math.max(routine.share, routine.own, routine.probability))} of ${routine.share >= Math.max(routine.own, routine.probability) ? `${routine.group}'s` : 'their'} days)` : ''}`,
        details: { routine: isRoutine ? 'yes' : 'no', groupShare: Number(routine.share.toFixed(3)), ownShare: Number(routine.own.toFixed(3)), ownProbability: Number(routine.probability.toPrecision(2)) },
      };
    };
  },
};
