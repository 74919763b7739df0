// Anomaly: today's volume from sensitive tables (pii, payment) against the person's own days with such
// tables (the same model as the daily volume, shrunk toward the peer group's). A flat limit on sensitive
// tables is a policy (sensitive.ts); this asks whether today's sensitive volume is unusual for this person,
// which is where most insiders' interest lies. People who never read sensitive tables have no expectation:
// their first access is the policy's business.
import { formatBytes, formatMultiple } from '../../format';
import { anomalyRate, findingFloorRate, oneIn } from '../scoring';
import { rateOf, thresholdOf, zOf } from '../statistics/expectation';
import type { Rule } from './rule';

export const sensitiveSelf: Rule = {
  name: 'sensitiveSelf',
  prepare({ settings, profile, history, scoring }) {
    const s = settings.sensitiveSelf;
    const e = profile.sensitive;
    if (!s.enabled || !e || !settings.sensitive.enabled) return null;
    const tail = history.calibration.sensitive;
    const threshold = Math.max(s.minBytes / scoring.watch, Math.exp(thresholdOf(e, findingFloorRate(scoring), tail)));
    const expected = Math.exp(e.location);
    const classes = settings.sensitive.classes.join('/');
    return (day) => {
      if (day.sensitiveBytes < threshold) return null;
      const x = Math.log(day.sensitiveBytes);
      const rate = rateOf(e, x, tail);
      return {
        detector: 'sensitiveSelf',
        kind: 'anomaly',
        observed: day.sensitiveBytes,
        threshold,
        reference: expected,
        multiple: day.sensitiveBytes / expected,
        rate,
        raises: true,
        clause: `${formatBytes(day.sensitiveBytes)} from ${classes} tables, ${oneIn(anomalyRate(rate, scoring))} for them: expected ${formatBytes(expected)} on their days with such tables (${formatMultiple(day.sensitiveBytes / expected)})`,
        details: { z: Number(zOf(e, x).toFixed(2)), spread: Number(e.spread.toFixed(3)), ownDays: e.ownDays },
      };
    };
  },
};
