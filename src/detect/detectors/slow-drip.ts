// Slow and low: an employee who takes "only" two or three times their usual volume, but every working
// day, never crosses a daily threshold. Counted over the last windowDays working days (today included):
// at least minDaysAbove of them above `multiple` x the median of the baselineDays before the window
// (a reference the drip itself cannot raise), adding up to minExcessBytes more than usual.
import { isWeekend } from '../../calendar';
import { formatBytes, formatMultiple } from '../format';
import type { Rule } from './rule';

export const slowDrip: Rule = {
  name: 'slowDrip',
  prepare({ settings, baseline, person, day: today }) {
    const s = settings.slowDrip;
    const { prior, reference, referenceDays } = baseline.drip;
    if (!s.enabled || isWeekend(today) || reference === null || referenceDays < s.minReferenceDays) return null;
    if (person.hireDay !== null && today - person.hireDay < s.minTenureDays) return null;
    const limit = reference * s.multiple;
    const above = prior.filter((d) => d.bytes >= limit);
    if (above.length + 1 < s.minDaysAbove) return null;
    const priorExcess = prior.reduce((sum, d) => sum + Math.max(0, d.bytes - reference), 0);
    return (day) => {
      if (day.bytes < limit) return null;
      const excess = priorExcess + (day.bytes - reference);
      if (excess < s.minExcessBytes) return null;
      const days = above.length + 1;
      return {
        detector: 'slowDrip',
        observed: excess,
        threshold: s.minExcessBytes,
        reference,
        multiple: (excess / (prior.length + 1) + reference) / reference,
        clause: `${days} of the last ${prior.length + 1} working days above ${formatMultiple(s.multiple)} the usual ${formatBytes(reference)}, ${formatBytes(excess)} more than usual in total`,
        sinceDay: above[0]?.day ?? today,
        details: { daysAbove: days, windowDays: prior.length + 1, referenceDays },
      };
    };
  },
};
