// Today's volume against the employee's own usual day: median and robust sd of log volume over the
// trailing weeks, weekdays against weekdays (weekends against weekends once there are enough of them).
// Needs minHistoryDays of own history; before that, volume-peers is the prior.
import { formatBytes, formatMultiple } from '../format';
import type { Rule } from './rule';

export const volumeSelf: Rule = {
  name: 'volumeSelf',
  prepare({ settings, baseline }) {
    const s = settings.volumeSelf;
    const band = baseline.band;
    if (!s.enabled || !band) return null;
    const threshold = Math.max(s.minBytes, band.median * s.minMultiple, Math.exp(Math.log(band.median) + s.minZ * band.sigma));
    return (day) => {
      if (day.bytes < threshold) return null;
      const multiple = day.bytes / band.median;
      return {
        detector: 'volumeSelf',
        observed: day.bytes,
        threshold,
        reference: band.median,
        multiple,
        clause: `own ${band.kind} median ${formatBytes(band.median)} (${formatMultiple(multiple)})`,
        details: { sigma: Number(band.sigma.toFixed(3)), baselineDays: band.days, z: Number(((Math.log(day.bytes) - Math.log(band.median)) / band.sigma).toFixed(2)) },
      };
    };
  },
};
