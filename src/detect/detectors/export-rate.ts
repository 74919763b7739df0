// Exports in progress: the volume of the last windowMinutes against the employee's 95th-percentile hour.
// A bulk export crosses it minutes after it starts, whatever the rest of the day looks like.
import { formatBytes, formatMultiple } from '../format';
import type { Rule } from './rule';

export const exportRate: Rule = {
  name: 'exportRate',
  prepare({ settings, baseline }) {
    const s = settings.exportRate;
    const p95 = baseline.hourlyP95;
    if (!s.enabled || p95 === null || baseline.band === null) return null;
    const threshold = Math.max(s.minBytes, p95 * s.minMultiple);
    return (day) => {
      if (day.recentBytes < threshold) return null;
      const multiple = day.recentBytes / p95;
      return {
        detector: 'exportRate',
        observed: day.recentBytes,
        threshold,
        reference: p95,
        multiple,
        clause: `${formatBytes(day.recentBytes)} within ${s.windowMinutes} min, own busiest usual hour ${formatBytes(p95)} (${formatMultiple(multiple)})`,
        details: { windowMinutes: s.windowMinutes },
      };
    };
  },
};
