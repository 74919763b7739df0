// Policy: an absolute daily ceiling. Whatever anyone's history, moving this much in a day is looked at.
import { formatBytes } from '../format';
import type { Rule } from './rule';

export const ceiling: Rule = {
  name: 'ceiling',
  prepare({ settings }) {
    const s = settings.ceiling;
    if (!s.enabled) return null;
    return (day) =>
      day.bytes < s.dailyBytes
        ? null
        : { detector: 'ceiling', observed: day.bytes, threshold: s.dailyBytes, reference: null, multiple: null, clause: `above the ${formatBytes(s.dailyBytes)} daily ceiling` };
  },
};
