// Policy on top of an anomaly: a day grossly beyond anything the person moves. The anomaly detectors'
// score is how rare the day is among the organisation's ordinary user-days, and beyond the days its pool
// holds that rate is extrapolated from the pool's heaviest cohorts (tail.ts): on an organisation whose
// ordinary days are heavy-tailed (people whose days vary a hundredfold, weekly cycles, scheduled jobs) a
// 20 GB export by someone whose days are a few hundred MB scores no higher than medium. This says what
// the calibration cannot: a day that is already an anomaly on volume (volumeSelf's calibrated threshold
// for the person today), at least `minBytes`, `multipleOfExpected` times their expected day and
// `multipleOfLargest` times the largest day of their own in the baseline window is at least `severity`.
// The largest day carries the person's own variability (someone whose days vary a hundredfold has had a
// large one); the anomaly keeps out what the organisation's days explain (a month-end close the group's
// uplift expects). Without `minDays` of their own in the window (a new hire, someone back from leave)
// their largest day says too little: not judged.
import { formatBytes, formatMultiple } from '../../format';
import { findingFloorRate } from '../scoring';
import { thresholdOf } from '../statistics/expectation';
import type { Rule } from './rule';

export const magnitude: Rule = {
  name: 'magnitude',
  prepare({ settings, profile, history, scoring }) {
    const s = settings.magnitude;
    const e = profile.volume;
    if (!s.enabled || !e || profile.largest.days < s.minDays || !(profile.largest.bytes > 0)) return null;
    const largest = profile.largest;
    const expected = Math.exp(e.location);
    // The day must be an anomaly on volume too: at or above what volumeSelf reports today (its minBytes aside).
    const anomaly = Math.exp(thresholdOf(e, findingFloorRate(scoring), history.calibration.volume));
    const threshold = Math.max(s.minBytes, s.multipleOfExpected * expected, s.multipleOfLargest * largest.bytes, anomaly);
    return (day) => {
      if (day.bytes < threshold) return null;
      return {
        detector: 'magnitude',
        kind: 'policy',
        observed: day.bytes,
        threshold,
        reference: largest.bytes,
        multiple: day.bytes / largest.bytes,
        severity: s.severity,
        raises: s.severity !== 'none',
        clause:
          `${formatBytes(day.bytes)} in ${day.window ? "the window" : "the day"} is ${formatMultiple(day.bytes / expected)} their expected day (${formatBytes(expected)}) and ` +
          `${formatMultiple(day.bytes / largest.bytes)} the largest of their ${largest.days} day(s) in the last ${largest.window} (${formatBytes(largest.bytes)}): ` +
          `at least ${formatMultiple(s.multipleOfExpected)}, ${formatMultiple(s.multipleOfLargest)} and ${formatBytes(s.minBytes)} is ${s.severity}`,
        details: {
          expected: Math.round(expected),
          largestDay: Math.round(largest.bytes),
          ownDays: largest.days,
          multipleOfExpected: Number((day.bytes / expected).toFixed(1)),
          multipleOfLargest: Number((day.bytes / largest.bytes).toFixed(1)),
        },
      };
    };
  },
};
