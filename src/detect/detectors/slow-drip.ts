// Anomaly, slow and low: the CUSUM of the person's standardised excess over working days
// (statistics/cusum.ts), as it stands after yesterday, stepped with today's volume so far. A run is
// reported when its level is rare among ordinary people's (the calibrated tail of S), and again only
// when it reaches a higher severity than the engine already raised it at: one drip, one alert per
// severity, not one a day.
import { severityRank } from '../../alerts/types';
import { isWeekend } from '../../calendar';
import { formatBytes } from '../format';
import { anomalyRate, findingFloorRate, oneIn, severityOf } from '../scoring';
import { CUSUM_CLIP, cusumThreshold, cusumToday, referenceFor } from '../statistics/cusum';
import { scoreOfRate } from '../statistics/tail';
import type { Rule } from './rule';

export const slowDrip: Rule = {
  name: 'slowDrip',
  prepare({ settings, profile, person, day: today, history, scoring, dripReported }) {
    const s = settings.slowDrip;
    const e = profile.volume;
    if (!s.enabled || !e || isWeekend(today)) return null;
    if (person.hireDay !== null && today - person.hireDay < s.minTenureDays) return null;
    const tail = history.calibration.drip;
    const p = { k: s.k, maxRunDays: s.maxRunDays, minReferenceDays: s.minReferenceDays, ...CUSUM_CLIP };
    const target = tail.threshold(findingFloorRate(scoring));
    if (!Number.isFinite(target)) return null;
    const threshold = Math.exp(cusumThreshold(profile.drip, target, e, p));
    if (!Number.isFinite(threshold)) return null;
    const usual = Math.exp(referenceFor(profile.drip, e, p).location);
    const inRun = profile.drip.runStart !== null;
    return (day) => {
      if (day.bytes < threshold) return null;
      const level = cusumToday(profile.drip, day.bytes, e, p);
      const excess = (inRun ? profile.drip.excessBytes : 0) + (day.bytes - usual);
      if (level < target || excess < s.minExcessBytes / scoring.watch) return null;
      const rate = tail.rate(level);
      const severity = severityOf(scoreOfRate(anomalyRate(rate, scoring)), scoring);
      const days = (inRun ? profile.drip.runDays : 0) + 1;
      return {
        detector: 'slowDrip',
        kind: 'anomaly',
        observed: level,
        threshold: target,
        reference: usual,
        multiple: (excess / days + usual) / usual,
        rate,
        raises: dripReported === null || severityRank(severity) > severityRank(dripReported),
        clause: `above their expected ${formatBytes(usual)} for ${days} working day(s), ${formatBytes(excess)} more in all: a run ${oneIn(anomalyRate(rate, scoring))} working days reach`,
        sinceDay: inRun ? profile.drip.runStart! : today,
        details: { cusum: Number(level.toFixed(2)), runDays: days, excessBytes: Math.round(excess) },
      };
    };
  },
};
