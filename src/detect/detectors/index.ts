// Every detector, in the order their clauses appear in an explanation: anomalies, then policies. A new
// detector is a file here with its settings in src/config/detection-schema.ts and config/default.yaml.
// (volumePeers is the name volumeSelf's findings take when the peer group carries the expectation; the
// departing watchlist changes how strictly anomalies are judged: departing.ts.)
import { ceiling } from './ceiling';
import { exportRate } from './export-rate';
import { magnitude } from './magnitude';
import { offHours } from './off-hours';
import type { Rule } from './rule';
import { sensitive } from './sensitive';
import { sensitiveSelf } from './sensitive-self';
import { sensitiveDrip, slowDrip } from './slow-drip';
import { unmeasuredReads } from './unmeasured-reads';
import { volumeSelf } from './volume-self';

export const RULES: ReadonlyArray<Rule> = [volumeSelf, exportRate, sensitiveSelf, offHours, slowDrip, sensitiveDrip, sensitive, ceiling, magnitude, unmeasuredReads];
/** The anomaly detectors: each a statistic of its own (the Bonferroni factor counts the enabled ones). */
export const ANOMALY_DETECTORS = ['volumeSelf', 'exportRate', 'sensitiveSelf', 'offHours', 'slowDrip', 'sensitiveDrip'] as const;
export { watchOf, type Watch } from './departing';
export { usualDaily, type Check, type Finding, type FindingKind, type Rule, type RuleContext } from './rule';
