// Anomaly: today's volume so far against the person's expected day (statistics/expectation.ts: own
// history shrunk toward the peer group). The finding's rate is how often ordinary user-days are at least
// this unusual (the calibrated tail of z). Named volumePeers when the peers carry most of the expectation
// (a new hire, someone back from months away): a person with no days of their own in the window is judged
// against the peer group's expectation alone (the organisation's without a peer group).
import { formatBytes, formatMultiple } from '../../format';
import { ORGANISATION } from '../history';
import { anomalyRate, findingFloorRate, oneIn } from '../scoring';
import { rateOf, thresholdOf, zOf } from '../statistics/expectation';
import type { Rule } from './rule';

export const volumeSelf: Rule = {
  name: 'volumeSelf',
  prepare({ settings, profile, history, scoring }) {
    const s = settings.volumeSelf;
    const e = profile.volume;
    if (!s.enabled || !e) return null;
    const tail = history.calibration.volume;
    const threshold = Math.max(s.minBytes / scoring.watch, Math.exp(thresholdOf(e, findingFloorRate(scoring), tail)));
    const expected = Math.exp(e.location);
    const byPeers = e.ownWeight < 0.5;
    const from = e.peers?.group === ORGANISATION ? 'the organisation (no peer group)' : (e.peers?.group ?? 'peers');
    const basis = byPeers ? `expected ${formatBytes(expected)} from ${from} with ${e.ownDays} day(s) of their own` : `expected ${formatBytes(expected)}`;
    const uplift = profile.uplift > 0 ? `, month-end ${formatMultiple(Math.exp(profile.uplift))} included` : '';
    return (day) => {
      if (day.bytes < threshold) return null;
      const x = Math.log(day.bytes);
      const rate = rateOf(e, x, tail);
      const z = zOf(e, x);
      return {
        detector: byPeers ? 'volumePeers' : 'volumeSelf',
        kind: 'anomaly',
        observed: day.bytes,
        threshold,
        reference: expected,
        multiple: day.bytes / expected,
        rate,
        raises: true,
        clause: `${oneIn(anomalyRate(rate, scoring))} days for them: ${basis}${uplift} (${formatMultiple(day.bytes / expected)}, ${z.toFixed(1)} spreads)`,
        details: { z: Number(z.toFixed(2)), spread: Number(e.spread.toFixed(3)), ownDays: e.ownDays, ownWeight: Number(e.ownWeight.toFixed(2)), peerGroup: e.peers?.group ?? '', peerMixture: Number(e.mixture.toFixed(3)) },
      };
    };
  },
};
