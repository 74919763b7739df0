// Every detector, in the order their clauses appear in an explanation. A new detector is a file here
// with its settings in src/config/detection-schema.ts and config/default.yaml.
import { ceiling } from './ceiling';
import { departing } from './departing';
import { exportRate } from './export-rate';
import { offHours } from './off-hours';
import type { Rule } from './rule';
import { sensitive } from './sensitive';
import { slowDrip } from './slow-drip';
import { volumePeers } from './volume-peers';
import { volumeSelf } from './volume-self';

export const RULES: ReadonlyArray<Rule> = [volumeSelf, exportRate, volumePeers, departing, offHours, sensitive, slowDrip, ceiling];
export { usualDaily, type Check, type Finding, type Rule, type RuleContext } from './rule';
