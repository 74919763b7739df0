// Every detector the harness scores, in the order of the result tables: the two references first, then
// the project's detection engine with the configured detection settings.
import type { DetectionConfig } from '../config';
import type { Detector } from './detector';
import { engineDetector } from './engine-detector';
import { meanSdDetector } from './mean-sd';
import { staticThresholdDetector } from './static-threshold';

export function registeredDetectors(detection: DetectionConfig): Detector[] {
  return [
    staticThresholdDetector(), // static-1gb: the fixed limit a DBA would set first
    meanSdDetector(), // mean-3sd: the textbook per-user baseline
    engineDetector(detection), // insider: this project
  ];
}
