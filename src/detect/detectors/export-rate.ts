// Anomaly, in progress: the busiest clock hour so far today, counted beyond its largest single query,
// against the person's busiest hours (the same model as the daily volume, on each day's figure). It
// measures sustained transfer: an export in chunks crosses it within its first hour, whatever the rest of
// the day looks like, and for people whose whole day is already large (a data engineer's 3 GB) where the
// daily total takes longer to look unusual; one big query does not (the daily volume judges that).
import { formatBytes, formatMultiple } from '../../format';
import { anomalyRate, findingFloorRate, oneIn } from '../scoring';
import { rateOf, thresholdOf, zOf } from '../statistics/expectation';
import type { Rule } from './rule';

export const exportRate: Rule = {
  name: 'exportRate',
  prepare({ settings, profile, history, scoring }) {
    const s = settings.exportRate;
    const e = profile.hour;
    if (!s.enabled || !e) return null;
    const tail = history.calibration.hour;
    const threshold = Math.max(s.minBytes / scoring.watch, Math.exp(thresholdOf(e, findingFloorRate(scoring), tail)));
    const expected = Math.exp(e.location);
    return (day) => {
      if (day.maxHourBytes < threshold) return null;
      const x = Math.log(day.maxHourBytes);
      const rate = rateOf(e, x, tail);
      return {
        detector: 'exportRate',
        kind: 'anomaly',
        observed: day.maxHourBytes,
        threshold,
        reference: expected,
        multiple: day.maxHourBytes / expected,
        rate,
        raises: true,
        clause: `${formatBytes(day.maxHourBytes)} sustained within one clock hour, ${oneIn(anomalyRate(rate, scoring))} for them: expected busiest hour ${formatBytes(expected)} (${formatMultiple(day.maxHourBytes / expected)})`,
        details: { z: Number(zOf(e, x).toFixed(2)), spread: Number(e.spread.toFixed(3)), hourStart: new Date(day.hourStart).toISOString() },
      };
    };
  },
};
