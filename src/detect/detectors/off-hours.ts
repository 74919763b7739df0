// Anomaly: volume at night in the employee's own time zone (from the directory), as a share of their
// expected day. Most days have none; how rare a given share is comes from the organisation's own nights
// (on-call incidents, late workers), calibrated like every other statistic.
import { formatBytes, formatMultiple } from '../../format';
import { anomalyRate, findingFloorRate, oneIn } from '../scoring';
import type { Rule } from './rule';

const hh = (h: number) => `${String(h).padStart(2, '0')}:00`;

export const offHours: Rule = {
  name: 'offHours',
  prepare(ctx) {
    const s = ctx.settings.offHours;
    const usual = ctx.profile.usualDay;
    if (!s.enabled || usual === null) return null;
    const tail = ctx.history.calibration.night;
    const ratio = tail.threshold(findingFloorRate(ctx.scoring));
    if (!Number.isFinite(ratio)) return null;
    const threshold = Math.max(s.minBytes / ctx.scoring.watch, usual * Math.exp(ratio));
    return (day) => {
      if (day.offHoursBytes < threshold) return null;
      const multiple = day.offHoursBytes / usual;
      const rate = tail.rate(Math.log(multiple));
      return {
        detector: 'offHours',
        kind: 'anomaly',
        observed: day.offHoursBytes,
        threshold,
        reference: usual,
        multiple,
        rate,
        raises: true,
        clause: `${formatBytes(day.offHoursBytes)} between ${hh(s.startHour)} and ${hh(s.endHour)} local time (${ctx.person.timezone}), ${formatMultiple(multiple)} their expected day: ${oneIn(anomalyRate(rate, ctx.scoring))} nights`,
      };
    };
  },
};
