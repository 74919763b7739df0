// Policy: volume at night in the employee's own time zone (from the directory), against their usual day.
import { formatBytes, formatMultiple } from '../format';
import { usualDaily, type Rule } from './rule';

const hh = (h: number) => `${String(h).padStart(2, '0')}:00`;

export const offHours: Rule = {
  name: 'offHours',
  prepare(ctx) {
    const s = ctx.settings.offHours;
    const usual = usualDaily(ctx);
    if (!s.enabled || !usual) return null;
    const threshold = Math.max(s.minBytes, usual.bytes * s.minMultiple);
    return (day) => {
      if (day.offHoursBytes < threshold) return null;
      const multiple = day.offHoursBytes / usual.bytes;
      return {
        detector: 'offHours',
        observed: day.offHoursBytes,
        threshold,
        reference: usual.bytes,
        multiple,
        clause: `${formatBytes(day.offHoursBytes)} between ${hh(s.startHour)} and ${hh(s.endHour)} local time (${ctx.person.timezone}), ${formatMultiple(multiple)} the ${usual.label}`,
      };
    };
  },
};
