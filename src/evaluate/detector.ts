// What the evaluation harness asks of a detector: given the stored events of a period (ClickHouse), the
// alerts it would have raised, each stamped with the event time at which it would have fired. The
// project's detection engine implements this too, so that it is scored on exactly the same footing as
// the reference detectors it has to beat.
import type { Severity } from '../alerts';
import type { ClickHouse } from '../store';

export { SEVERITIES, severityRank, type Severity } from '../alerts';

export interface EvalAlert {
  user: string;
  detector: string;
  severity: Severity;
  /** The event-time window the alert is about: [windowStart, windowEnd). */
  windowStart: Date;
  windowEnd: Date;
  /** event time at which the alert would have fired */
  firedAt: Date;
  observedBytes: number;
  reason: string;
  /** The alert's score in decibans (src/detect/scoring.ts), when the detector gives one: its part in a case's risk. */
  score?: number;
}

export interface DetectContext {
  /** Connected to the database that holds access_events and its rollups. */
  ch: ClickHouse;
  /** The period to judge: [from, to). History before `from` may be read as a baseline. */
  from: Date;
  to: Date;
  /** What the simulated organisation's security team would configure: its table catalog and allowlist files. */
  organisation?: { catalogFile: string; allowlistFile: string };
}

export interface Detector {
  /** Short, stable, used in tables and the result file (e.g. "static-1gb"). */
  name: string;
  description: string;
  detect(ctx: DetectContext): Promise<EvalAlert[]>;
}
