// Anomaly, slow and low: the CUSUM of the person's standardised excess over working days
// (statistics/cusum.ts), as it stands after yesterday, stepped with today's volume so far. Two channels:
// the daily volume (slowDrip) and the volume from sensitive tables (sensitiveDrip: the insider who takes
// a little customer data every day, which a busy project does not). A run is reported when its level is
// rare among ordinary people's (the calibrated tail of S), and again only when it reaches a higher
// severity than the engine already raised it at: one drip, one alert per severity, not one a day.
import { severityRank } from '../../alerts';
import { isWeekend } from '../../calendar';
import type { DetectorName } from '../../config';
import type { DayState } from '../day-state';
import { formatBytes } from '../../format';
import type { Calibration, Profile } from '../history';
import { anomalyRate, findingFloorRate, oneIn, severityOf } from '../scoring';
import { CUSUM_CLIP, cusumThreshold, cusumToday, referenceFor, type CusumState } from '../statistics/cusum';
import type { Expectation } from '../statistics/expectation';
import { scoreOfRate } from '../statistics/tail';
import type { Rule } from './rule';

interface Channel {
  name: Extract<DetectorName, 'slowDrip' | 'sensitiveDrip'>;
  what: string;
  expectation(p: Profile): Expectation | null;
  state(p: Profile): CusumState;
  tail(c: Calibration): Calibration['drip'];
  value(s: DayState): number;
}

function dripRule(ch: Channel): Rule {
  return {
    name: ch.name,
    prepare({ user, settings, profile, person, day: today, history, scoring, dripReported }) {
      const s = settings.slowDrip;
      const e = ch.expectation(profile);
      if (!s.enabled || !settings[ch.name].enabled || !e || isWeekend(today)) return null;
      if (person.hireDay !== null && today - person.hireDay < s.minTenureDays) return null;
      const state = ch.state(profile);
      const tail = ch.tail(history.calibration);
      const p = { k: s.k, maxRunDays: s.maxRunDays, minReferenceDays: s.minReferenceDays, ...CUSUM_CLIP };
      const target = tail.threshold(findingFloorRate(scoring));
      if (!Number.isFinite(target)) return null;
      const threshold = Math.exp(cusumThreshold(state, target, e, p));
      if (!Number.isFinite(threshold)) return null;
      const usual = Math.exp(referenceFor(state, e, p).location);
      const inRun = state.runStart !== null;
      const runStart = inRun ? state.runStart! : today;
      const reported = dripReported(user, ch.name, runStart);
      return (day) => {
        const value = ch.value(day);
        if (value < threshold) return null;
        const level = cusumToday(state, value, e, p);
        const excess = (inRun ? state.excessBytes : 0) + (value - usual);
        if (level < target || excess < s.minExcessBytes / scoring.watch) return null;
        const rate = tail.rate(level);
        const severity = severityOf(scoreOfRate(anomalyRate(rate, scoring)), scoring);
        const days = (inRun ? state.runDays : 0) + 1;
        return {
          detector: ch.name,
          kind: 'anomaly',
          observed: level,
          threshold: target,
          reference: usual,
          multiple: (excess / days + usual) / usual,
          rate,
          raises: reported === null || severityRank(severity) > severityRank(reported),
          clause: `${ch.what} above their expected ${formatBytes(usual)} for ${days} working day(s), ${formatBytes(excess)} more in all: a run ${oneIn(anomalyRate(rate, scoring))} working days reach`,
          sinceDay: runStart,
          details: { cusum: Number(level.toFixed(2)), runDays: days, runStart, excessBytes: Math.round(excess) },
        };
      };
    },
  };
}

export const slowDrip = dripRule({
  name: 'slowDrip',
  what: 'daily volume',
  expectation: (p) => p.volume,
  state: (p) => p.drip,
  tail: (c) => c.drip,
  value: (s) => s.bytes,
});

export const sensitiveDrip = dripRule({
  name: 'sensitiveDrip',
  what: 'volume from sensitive tables',
  expectation: (p) => p.sensitive,
  state: (p) => p.sensitiveDrip,
  tail: (c) => c.sensitiveDrip,
  value: (s) => s.sensitiveBytes,
});
