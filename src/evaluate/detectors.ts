// Every detector the harness scores, in the order of the result tables. The project's detection engine
// joins with one line here once it implements `Detector`.
import type { Detector } from './detector';
import { meanSdDetector } from './mean-sd';
import { staticThresholdDetector } from './static-threshold';

export function registeredDetectors(): Detector[] {
  return [
    staticThresholdDetector(), // static-1gb: the fixed limit a DBA would set first
    meanSdDetector(), // mean-3sd: the textbook per-user baseline
  ];
}
