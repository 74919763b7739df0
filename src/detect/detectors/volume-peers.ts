// Today's volume against the peers (same department and role, else the department): their daily
// quantile over the trailing weeks. For someone without enough own history (a new hire) this is the
// prior that judges them; for everyone else only a far outlier among peers counts, since their own
// baseline already knows that some people simply move more data than their colleagues.
import { formatBytes, formatMultiple, ordinalPercentile } from '../format';
import type { Rule } from './rule';

export const volumePeers: Rule = {
  name: 'volumePeers',
  prepare(ctx) {
    const s = ctx.settings.volumePeers;
    if (!s.enabled) return null;
    const peers = ctx.peers(s.quantile);
    if (!peers) return null;
    const coldStart = ctx.baseline.band === null;
    const threshold = Math.max(s.minBytes, peers.quantile * (coldStart ? s.coldStartMultiple : s.minMultiple));
    return (day) => {
      if (day.bytes < threshold) return null;
      const multiple = day.bytes / peers.quantile;
      return {
        detector: 'volumePeers',
        observed: day.bytes,
        threshold,
        reference: peers.quantile,
        multiple,
        clause: `${peers.group} peers' ${ordinalPercentile(peers.q)} percentile ${formatBytes(peers.quantile)} (${formatMultiple(multiple)})${coldStart ? `, ${ctx.baseline.activeDays} day(s) of own history` : ''}`,
        details: { peerGroup: peers.group, peerMembers: peers.members, peerMedian: Math.round(peers.median), coldStart: coldStart ? 'yes' : 'no' },
      };
    };
  },
};
