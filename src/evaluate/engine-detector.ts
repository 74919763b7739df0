// The project's own detection engine as the harness sees it: a backfill over the period (the same code
// path as `insider detect --once`), with the simulated organisation's table catalog and allowlist, and
// one EvalAlert per stored alert (its latest revision: highest severity and volume, first firing time).
import type { AlertRecord } from '../alerts';
import type { DetectionConfig } from '../config';
import { backfill, engineFor } from '../detect';
import { loadEngineInputs } from '../triage';
import type { Detector, EvalAlert } from './detector';

export function engineDetector(detection: DetectionConfig): Detector {
  return {
    name: 'insider',
    description: 'this project: own robust baseline, peers, exports in progress, policies and slow drip, streaming in event time',
    async detect({ ch, from, to, organisation }) {
      const settings = { ...detection, ...(organisation ? { catalogFile: organisation.catalogFile, allowlistFile: organisation.allowlistFile } : {}) };
      const engine = engineFor(ch, settings, await loadEngineInputs(ch, settings));
      const latest = new Map<string, AlertRecord>();
      await backfill(ch, engine, { from: from.getTime(), to: to.getTime() }, async (revisions) => {
        for (const a of revisions) latest.set(a.alertId, a);
      });
      return [...latest.values()].map(evalAlertOf);
    },
  };
}

/** The engine's alert as the evaluation scores it (the live run above and the offline run share it). */
export function evalAlertOf(a: AlertRecord): EvalAlert {
  return {
    user: a.user,
    detector: 'insider',
    severity: a.severity,
    windowStart: new Date(a.windowStart),
    windowEnd: new Date(a.windowEnd),
    firedAt: new Date(a.firedAt),
    observedBytes: a.observedBytes,
    score: a.score,
    reason: `[${a.detectors.join(', ')}] ${a.explanation}`,
  };
}
